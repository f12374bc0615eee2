"""Planner: index + requested attributes + data available → a plan of resolver / AND / OR nodes.

Planning is pure and per entity level. For each requested attribute that is not available, the
planner finds the resolvers that output it (an OR of options when there are several); for each
option it plans the missing inputs the same way (their nodes run first), checks nested inputs
can be met, keeps reachable optional inputs, and refuses cycles. What cannot be reached is
reported per attribute with Pathom's wording, alternatives joined by ``OR``::

    :user/email  unknown: no resolver outputs it
    :user/score  inputs can't be met: can't reach :user/karma OR inputs can't be met: ...

Plans are cached process-wide (``PLAN_CACHE``, an LRU); the key is the index, the requested
attributes with their params, and the set of available attributes, so ident values never enter it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ouroboros.connect.shapes import EMPTY, OPTIONAL_KEY, Shape, attr_text
from ouroboros.connect.suggest import did_you_mean, known_attributes
from ouroboros.eql.ast import Keyword

if TYPE_CHECKING:
    from ouroboros.connect.indexes import Indexes
    from ouroboros.connect.operations import Resolver

__all__ = ["PLAN_CACHE", "AttrNode", "Plan", "PlanCache", "ResolverStep", "plan_attrs"]


@dataclass(frozen=True, eq=False, slots=True)
class ResolverStep:
    """Run ``resolver`` after its missing inputs: ``requires`` (all needed) and ``optionals``."""

    resolver: Resolver
    requires: tuple[AttrNode, ...]
    optionals: tuple[AttrNode, ...]
    nested: tuple[tuple[Keyword, Shape], ...]

    @property
    def static_rank(self) -> tuple[int, int]:
        """OR preference before learned run time: priority, then fewer inputs still to get."""
        return (-self.resolver.priority, len(self.requires))


@dataclass(frozen=True, eq=False, slots=True)
class AttrNode:
    """How to get ``attr``: one option is a resolver node, several an OR node (first that works)."""

    attr: Keyword
    options: tuple[ResolverStep, ...]


class Plan:
    """The plan of one entity level: ``roots`` (one node per requested attribute to resolve),
    ``unreachable`` (attribute → reason), ``params`` (resolver name → merged params).

    ``to_data()`` returns the plan as resolver / AND / OR node records (see ``render``).
    """

    __slots__ = ("available", "nodes", "params", "requests", "roots", "unreachable")

    def __init__(
        self,
        *,
        available: frozenset[Keyword],
        requests: Mapping[Keyword, Mapping[Any, Any]],
        roots: tuple[AttrNode, ...],
        nodes: Mapping[Keyword, AttrNode],
        unreachable: Mapping[Keyword, str],
        params: Mapping[str, Mapping[Any, Any]],
    ) -> None:
        self.available = available
        self.requests = requests
        self.roots = roots
        self.nodes = nodes
        self.unreachable = unreachable
        self.params = params

    @property
    def required_unreachable(self) -> dict[Keyword, str]:
        """Unreachable requested attributes that are not optional."""
        return {
            a: why
            for a, why in self.unreachable.items()
            if not self.requests.get(a, {}).get(OPTIONAL_KEY)
        }

    @property
    def resolvers(self) -> list[str]:
        """Names of every resolver the plan may call (each once), dependencies first."""
        seen: dict[str, None] = {}

        def walk(node: AttrNode) -> None:
            for step in node.options:
                for dep in (*step.requires, *step.optionals):
                    walk(dep)
                seen.setdefault(step.resolver.name, None)

        for root in self.roots:
            walk(root)
        return list(seen)

    def to_data(self) -> dict[str, Any]:
        """Return the plan as plain data: ``{"root", "nodes", "requested", "available", ...}``.

        Node records: ``{"id", "type": "resolver", "resolver", "expects", "input", "params",
        "requires"}`` (``requires`` is the id of the node to run first, or None),
        ``{"id", "type": "or", "expects", "run_or": [ids]}`` and ``{"id", "type": "and",
        "run_and": [ids]}``.
        """
        from ouroboros.connect.render import plan_to_data

        return plan_to_data(self)

    def __repr__(self) -> str:
        return (
            f"Plan(roots={[str(r.attr) for r in self.roots]}, "
            f"unreachable={sorted(map(str, self.unreachable))})"
        )


class _Fail:
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


_AVAILABLE = object()


class _Planner:
    """One planning pass; memoizes attribute nodes (Tarjan-style, so cycles stay correct)."""

    def __init__(self, index: Indexes, available: frozenset[Keyword]) -> None:
        self.index = index
        self.available = available
        self.memo: dict[Keyword, AttrNode | _Fail] = {}
        self.active: dict[Keyword, int] = {}
        self.low = 1 << 30

    def node(self, attr: Keyword) -> AttrNode | _Fail | object:
        if attr in self.available:
            return _AVAILABLE
        hit = self.memo.get(attr)
        if hit is not None:
            return hit
        depth = self.active.get(attr)
        if depth is not None:
            self.low = min(self.low, depth)
            return _Fail(f"can't reach {attr_text(attr)} (cycle)")
        providers = self.index.providers.get(attr)
        if not providers:
            known = known_attributes(self.index)
            fail = _Fail("unknown: no resolver outputs it" + did_you_mean(str(attr), known))
            self.memo[attr] = fail
            return fail
        my_depth = len(self.active)
        self.active[attr] = my_depth
        outer_low, self.low = self.low, 1 << 30
        options: list[ResolverStep] = []
        reasons: list[str] = []
        for r in providers:
            step = self.step(r, reasons)
            if step is not None:
                options.append(step)
        del self.active[attr]
        result: AttrNode | _Fail
        if options:
            result = AttrNode(attr, tuple(options))
        else:
            result = _Fail(" OR ".join(dict.fromkeys(reasons)))
        if self.low >= my_depth:
            self.memo[attr] = result
        self.low = min(self.low, outer_low)
        return result

    def step(self, r: Resolver, reasons: list[str]) -> ResolverStep | None:
        requires: list[AttrNode] = []
        missing: list[str] = []
        nested: list[tuple[Keyword, Shape]] = []
        for attr in r.input.required:
            sub = self.node(attr)
            if isinstance(sub, _Fail):
                missing.append(attr_text(attr))
                continue
            shape = r.input[attr]
            if shape:
                nested.append((attr, shape))
                if isinstance(sub, AttrNode):
                    narrowed = self.narrow_nested(sub, shape)
                    if narrowed is None:
                        missing.append(f"{attr_text(attr)} {shape.to_edn()}")
                        continue
                    sub = narrowed
            if isinstance(sub, AttrNode):
                requires.append(sub)
        if missing:
            reasons.append(f"inputs can't be met: can't reach {', '.join(missing)}")
            return None
        optionals: list[AttrNode] = []
        for attr in r.input.optionals:
            sub = self.node(attr)
            if isinstance(sub, AttrNode):
                optionals.append(sub)
            if r.input[attr] and not isinstance(sub, _Fail):
                nested.append((attr, r.input[attr]))
        return ResolverStep(r, tuple(requires), tuple(optionals), tuple(nested))

    def narrow_nested(self, node: AttrNode, shape: Shape) -> AttrNode | None:
        """Keep the options whose declared nested output can reach ``shape`` (nested pruning)."""
        kept = [
            s for s in node.options if _nested_reachable(self.index, s.resolver, node.attr, shape)
        ]
        if not kept:
            return None
        return node if len(kept) == len(node.options) else AttrNode(node.attr, tuple(kept))


def _nested_reachable(index: Indexes, provider: Resolver, attr: Keyword, shape: Shape) -> bool:
    provided = provider.output.get(attr, EMPTY)
    return _shape_reachable(index, provided, shape, 0)


def _shape_reachable(index: Indexes, have: Shape, want: Shape, depth: int) -> bool:
    if depth > 16:
        return False
    planner = _Planner(index, frozenset(have))
    for attr in want.required:
        sub = planner.node(attr)
        if isinstance(sub, _Fail):
            return False
        if want[attr] and attr in have and have[attr]:
            if not _shape_reachable(index, have[attr], want[attr], depth + 1):
                return False
        elif (
            want[attr]
            and isinstance(sub, AttrNode)
            and not any(
                _shape_reachable(index, s.resolver.output.get(attr, EMPTY), want[attr], depth + 1)
                for s in sub.options
            )
        ):
            return False
    return True


def plan_attrs(
    index: Indexes,
    requests: Mapping[Keyword, Mapping[Any, Any]],
    available: frozenset[Keyword],
) -> Plan:
    """Return the plan that resolves ``requests`` (attribute → params) given ``available``.

    Pure: reads only the index. Unreachable attributes are reported in ``plan.unreachable``; the
    runner decides whether that is an error (strict) or data (lenient).
    """
    planner = _Planner(index, available)
    roots: list[AttrNode] = []
    unreachable: dict[Keyword, str] = {}
    for attr in requests:
        node = planner.node(attr)
        if isinstance(node, AttrNode):
            roots.append(node)
        elif isinstance(node, _Fail):
            unreachable[attr] = node.reason
    nodes: dict[Keyword, AttrNode] = {}

    def collect(node: AttrNode) -> None:
        if node.attr in nodes:
            return
        nodes[node.attr] = node
        for step in node.options:
            for dep in (*step.requires, *step.optionals):
                collect(dep)

    for root in roots:
        collect(root)
    params: dict[str, dict[Any, Any]] = {}
    for attr, attr_params in requests.items():
        if not attr_params or attr not in nodes:
            continue
        clean = {k: v for k, v in attr_params.items() if k != OPTIONAL_KEY}
        if not clean:
            continue
        for step in nodes[attr].options:
            params.setdefault(step.resolver.name, {}).update(clean)
    return Plan(
        available=available,
        requests=requests,
        roots=tuple(roots),
        nodes=nodes,
        unreachable=unreachable,
        params=params,
    )


class PlanCache:
    """A thread-safe LRU of plans: ``get(key)`` / ``put(key, plan)``; ``maxsize`` entries."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Plan] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Plan | None:
        with self._lock:
            plan = self._data.get(key)
            if plan is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return plan

    def put(self, key: Hashable, plan: Plan) -> None:
        with self._lock:
            self._data[key] = plan
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


PLAN_CACHE = PlanCache()
"""The process-wide plan cache shared by every engine (keys include the index identity)."""
