"""Plan rendering: a plan as data (resolver / AND / OR node records), text, DOT or Mermaid."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ouroboros.connect.shapes import OPTIONAL_KEY, attr_text

if TYPE_CHECKING:
    from ouroboros.connect.planner import AttrNode, Plan, ResolverStep

__all__ = [
    "PlanTree",
    "plan_to_data",
    "plan_to_dot",
    "plan_to_json",
    "plan_to_mermaid",
    "plan_to_text",
    "plans_to_dot",
    "plans_to_mermaid",
]

PlanTree = tuple["Plan", list[tuple[str, "PlanTree"]]]
"""A level's plan and its nested levels (joins, idents, placeholders): ``(plan, [(label, tree)])``."""


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """Return ``plan`` as plain data (see ``Plan.to_data``); nested plans under ``"joins"``."""
    nodes: list[dict[str, Any]] = []

    def new(record: dict[str, Any]) -> int:
        record["id"] = len(nodes) + 1
        nodes.append(record)
        return len(nodes)

    def emit_step(step: ResolverStep, attr: str) -> int:
        deps = [emit_attr(d) for d in (*step.requires, *step.optionals)]
        first: int | None
        if not deps:
            first = None
        elif len(deps) == 1:
            first = deps[0]
        else:
            first = new({"type": "and", "run_and": deps})
        r = step.resolver
        return new(
            {
                "type": "resolver",
                "resolver": r.name,
                "expects": [str(attr)],
                "input": r.input.to_edn(),
                "params": _plain(plan.params.get(r.name, {})),
                "batch": r.batch,
                "requires": first,
            }
        )

    def emit_attr(node: AttrNode) -> int:
        if len(node.options) == 1:
            return emit_step(node.options[0], node.attr)
        branches = [
            emit_step(s, node.attr) for s in sorted(node.options, key=lambda s: s.static_rank)
        ]
        return new({"type": "or", "expects": [str(node.attr)], "run_or": branches})

    roots = [emit_attr(r) for r in plan.roots]
    root: int | None
    if not roots:
        root = None
    elif len(roots) == 1:
        root = roots[0]
    else:
        root = new({"type": "and", "run_and": roots})
    return {
        "root": root,
        "nodes": nodes,
        "requested": [str(a) for a in plan.requests],
        "optional": [str(a) for a, p in plan.requests.items() if p.get(OPTIONAL_KEY)],
        "available": sorted(str(a) for a in plan.available),
        "unreachable": {str(a): why for a, why in plan.unreachable.items()},
    }


def plan_to_json(plan: Plan) -> str:
    """Return the plan data as indented JSON."""
    return json.dumps(plan_to_data(plan), indent=2, default=str)


def _summaries(plan: Plan) -> dict[str, str]:
    """Return each planned resolver's one-line description, by name."""
    out: dict[str, str] = {}

    def walk(node: AttrNode) -> None:
        for step in node.options:
            out[step.resolver.name] = step.resolver.summary
            for dep in (*step.requires, *step.optionals):
                walk(dep)

    for root in plan.roots:
        walk(root)
    return out


def _label(node: dict[str, Any], docs: dict[str, str] | None = None) -> str:
    if node["type"] == "resolver":
        params = f" {node['params']}" if node["params"] else ""
        batch = " (batch)" if node["batch"] else ""
        summary = (docs or {}).get(node["resolver"])
        doc = f" — {summary}" if summary else ""
        return f"resolver {node['resolver']}{batch} → {', '.join(map(attr_text, node['expects']))}{params}{doc}"
    if node["type"] == "or":
        return f"OR → {', '.join(map(attr_text, node['expects']))}"
    return "AND"


def plan_to_text(plan: Plan) -> str:
    """Return the plan as an indented tree a person can read, each resolver with its
    one-line description."""
    data = plan_to_data(plan)
    docs = _summaries(plan)
    by_id = {n["id"]: n for n in data["nodes"]}
    lines: list[str] = []
    if data["available"]:
        lines.append("available: " + " ".join(map(attr_text, data["available"])))
    lines.append("requested: " + " ".join(map(attr_text, data["requested"])))

    def walk(node_id: int, prefix: str, last: bool, head: str = "") -> None:
        node = by_id[node_id]
        branch = "└─ " if last else "├─ "
        lines.append(f"{prefix}{branch}{head}{_label(node, docs)}")
        child_prefix = prefix + ("   " if last else "│  ")
        children: list[tuple[int, str]] = []
        if node["type"] == "resolver" and node["requires"] is not None:
            children.append((node["requires"], "after: "))
        elif node["type"] == "or":
            children.extend((c, "") for c in node["run_or"])
        elif node["type"] == "and":
            children.extend((c, "") for c in node["run_and"])
        for i, (child, h) in enumerate(children):
            walk(child, child_prefix, i == len(children) - 1, h)

    if data["root"] is not None:
        walk(data["root"], "", True)
    else:
        lines.append("(nothing to run)")
    for attr, why in data["unreachable"].items():
        lines.append(f"unreachable {attr_text(attr)}: {why}")
    return "\n".join(lines)


def plan_to_dot(plan: Plan) -> str:
    """Return the plan as a Graphviz DOT digraph (edges point from a node to what runs after)."""
    data = plan_to_data(plan)
    out = ["digraph plan {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node in data["nodes"]:
        shape = {"resolver": "box", "or": "diamond", "and": "ellipse"}[node["type"]]
        label = _label(node).replace('"', '\\"')
        out.append(f'  n{node["id"]} [shape={shape}, label="{label}"];')
    for node in data["nodes"]:
        if node["type"] == "resolver" and node["requires"] is not None:
            out.append(f'  n{node["requires"]} -> n{node["id"]} [label="then"];')
        for child in node.get("run_or", ()):
            out.append(f'  n{node["id"]} -> n{child} [label="or"];')
        for child in node.get("run_and", ()):
            out.append(f'  n{node["id"]} -> n{child} [label="and"];')
    for attr, why in data["unreachable"].items():
        text = f"unreachable {attr_text(attr)}: {why}".replace('"', '\\"')
        out.append(f'  "u_{attr}" [shape=note, color=red, label="{text}"];')
    out.append("}")
    return "\n".join(out)


def plan_to_mermaid(plan: Plan) -> str:
    """Return the plan as a Mermaid flowchart."""
    data = plan_to_data(plan)
    out = ["flowchart LR"]

    def esc(text: str) -> str:
        return text.replace('"', "#quot;")

    for node in data["nodes"]:
        label = esc(_label(node))
        if node["type"] == "or":
            out.append(f'  n{node["id"]}{{"{label}"}}')
        elif node["type"] == "and":
            out.append(f'  n{node["id"]}(("{label}"))')
        else:
            out.append(f'  n{node["id"]}["{label}"]')
    for node in data["nodes"]:
        if node["type"] == "resolver" and node["requires"] is not None:
            out.append(f"  n{node['requires']} -->|then| n{node['id']}")
        for child in node.get("run_or", ()):
            out.append(f"  n{node['id']} -->|or| n{child}")
        for child in node.get("run_and", ()):
            out.append(f"  n{node['id']} --> n{child}")
    for i, (attr, why) in enumerate(data["unreachable"].items()):
        out.append(f'  u{i}["{esc(f"unreachable {attr_text(attr)}: {why}")}"]')
    return "\n".join(out)


def _dot_nodes(data: dict[str, Any], prefix: str, indent: str) -> list[str]:
    out = []
    for node in data["nodes"]:
        shape = {"resolver": "box", "or": "diamond", "and": "ellipse"}[node["type"]]
        label = _label(node).replace('"', '\\"')
        out.append(f'{indent}{prefix}n{node["id"]} [shape={shape}, label="{label}"];')
    for node in data["nodes"]:
        at = f"{indent}{prefix}n{node['id']}"
        if node["type"] == "resolver" and node["requires"] is not None:
            out.append(
                f'{indent}{prefix}n{node["requires"]} -> {prefix}n{node["id"]} [label="then"];'
            )
        for child in node.get("run_or", ()):
            out.append(f'{at} -> {prefix}n{child} [label="or"];')
        for child in node.get("run_and", ()):
            out.append(f'{at} -> {prefix}n{child} [label="and"];')
    for i, (attr, why) in enumerate(data["unreachable"].items()):
        text = f"unreachable {attr_text(attr)}: {why}".replace('"', '\\"')
        out.append(f'{indent}{prefix}u{i} [shape=note, color=red, label="{text}"];')
    return out


def plans_to_dot(tree: PlanTree) -> str:
    """Return every level of a query's plans as one DOT digraph; each nested level (a join,
    an ident, a placeholder) is a cluster inside its parent's, labelled with its key."""
    out = ["digraph plan {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    counter = [0]

    def level(node: PlanTree, prefix: str, indent: str) -> None:
        plan, children = node
        data = plan_to_data(plan)
        out.extend(_dot_nodes(data, prefix, indent))
        if not data["nodes"] and not data["unreachable"] and not children:
            out.append(f'{indent}{prefix}empty [shape=plaintext, label="(nothing to run)"];')
        for label, child in children:
            counter[0] += 1
            k = counter[0]
            text = label.replace('"', '\\"')
            out.append(f"{indent}subgraph cluster_{k} {{")
            out.append(f'{indent}  label="{text}";')
            level(child, f"l{k}_", indent + "  ")
            out.append(f"{indent}}}")

    level(tree, "", "  ")
    out.append("}")
    return "\n".join(out)


def plans_to_mermaid(tree: PlanTree) -> str:
    """Return every level of a query's plans as one Mermaid flowchart; each nested level is a
    subgraph inside its parent's, titled with its key."""
    out = ["flowchart LR"]
    counter = [0]

    def esc(text: str) -> str:
        return text.replace('"', "#quot;")

    def level(node: PlanTree, prefix: str, indent: str) -> None:
        plan, children = node
        data = plan_to_data(plan)
        for n in data["nodes"]:
            label = esc(_label(n))
            ident = f"{indent}{prefix}n{n['id']}"
            if n["type"] == "or":
                out.append(f'{ident}{{"{label}"}}')
            elif n["type"] == "and":
                out.append(f'{ident}(("{label}"))')
            else:
                out.append(f'{ident}["{label}"]')
        for n in data["nodes"]:
            me = f"{prefix}n{n['id']}"
            if n["type"] == "resolver" and n["requires"] is not None:
                out.append(f"{indent}{prefix}n{n['requires']} -->|then| {me}")
            for child in n.get("run_or", ()):
                out.append(f"{indent}{me} -->|or| {prefix}n{child}")
            for child in n.get("run_and", ()):
                out.append(f"{indent}{me} --> {prefix}n{child}")
        for i, (attr, why) in enumerate(data["unreachable"].items()):
            out.append(f'{indent}{prefix}u{i}["{esc(f"unreachable {attr_text(attr)}: {why}")}"]')
        if not data["nodes"] and not data["unreachable"] and not children:
            out.append(f'{indent}{prefix}empty["(nothing to run)"]')
        for label, child in children:
            counter[0] += 1
            k = counter[0]
            out.append(f'{indent}subgraph l{k}["{esc(label)}"]')
            level(child, f"l{k}_", indent + "  ")
            out.append(f"{indent}end")

    level(tree, "", "  ")
    return "\n".join(out)
