"""Explain: the plans of a whole query (root level and nested joins) as text, JSON, DOT, Mermaid."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ouroboros.connect.render import (
    PlanTree,
    plan_to_data,
    plan_to_text,
    plans_to_dot,
    plans_to_mermaid,
)
from ouroboros.connect.shapes import EMPTY, attr_text

if TYPE_CHECKING:
    from ouroboros.connect.interface import Engine
    from ouroboros.connect.levels import Level

__all__ = ["FORMATS", "explain"]

FORMATS = ("text", "json", "dot", "mermaid")


def _children(
    engine: Engine, level: Level, available: frozenset[Any]
) -> list[tuple[str, Level, frozenset[Any]]]:
    """Return (label, level, available) for each nested level, from the declared outputs."""
    out = []
    for spec in level.joins:
        shape = EMPTY
        for r in engine.index.providers.get(spec.key, ()):
            shape = shape.merge(r.output.get(spec.key, EMPTY))
        sub_available = frozenset(shape)
        if spec.recursive:
            continue
        if spec.branches:
            for union_key, sub in spec.branches:
                out.append((f"{attr_text(spec.key)} ({attr_text(union_key)})", sub, sub_available))
        elif spec.child is not None:
            out.append((attr_text(spec.key), spec.child, sub_available))
    for ident in level.idents:
        out.append(
            (
                f"[{attr_text(ident.key[0])} {ident.key[1]!r}]",
                ident.level,
                frozenset([ident.key[0]]),
            )
        )
    for ph in level.placeholders:
        out.append((attr_text(ph.key), ph.level, available))
    for call, call_level in level.calls:
        if call_level is not None:
            m = engine.index.mutations.get(call.key)
            out.append((f"({call.key})", call_level, frozenset(m.output) if m else frozenset()))
    return out


def _data(engine: Engine, level: Level, available: frozenset[Any], depth: int) -> dict[str, Any]:
    data = plan_to_data(engine.plan_level(level, available))
    if depth < 8:
        data["joins"] = {
            label: _data(engine, sub, avail, depth + 1)
            for label, sub, avail in _children(engine, level, available)
        }
    return data


def _text(
    engine: Engine, level: Level, available: frozenset[Any], indent: str, depth: int
) -> list[str]:
    lines = [
        indent + line for line in plan_to_text(engine.plan_level(level, available)).splitlines()
    ]
    if depth < 8:
        for label, sub, avail in _children(engine, level, available):
            lines.append(f"{indent}join {label}:")
            lines.extend(_text(engine, sub, avail, indent + "    ", depth + 1))
    return lines


def _tree(engine: Engine, level: Level, available: frozenset[Any], depth: int) -> PlanTree:
    children = _children(engine, level, available) if depth < 8 else []
    return (
        engine.plan_level(level, available),
        [(label, _tree(engine, sub, avail, depth + 1)) for label, sub, avail in children],
    )


def explain(engine: Engine, level: Level, available: frozenset[Any], fmt: str) -> str:
    """Return the query's plans in ``fmt``, every level (DOT and Mermaid draw nested levels
    as clusters / subgraphs inside their parent's).

    Raises ``ValueError`` for an unknown format.
    """
    if fmt == "text":
        return "\n".join(_text(engine, level, available, "", 0))
    if fmt == "json":
        return json.dumps(_data(engine, level, available, 0), indent=2, default=str)
    if fmt == "dot":
        return plans_to_dot(_tree(engine, level, available, 0))
    if fmt == "mermaid":
        return plans_to_mermaid(_tree(engine, level, available, 0))
    raise ValueError(f"unknown plan format {fmt!r}; use one of {', '.join(FORMATS)}")
