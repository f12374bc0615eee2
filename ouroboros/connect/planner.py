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
import weakref
from collections import OrderedDict
from collections.abc import Generator, Hashable, Mapping
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

    __slots__ = ("available", "closures", "nodes", "params", "requests", "roots", "unreachable")

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
        # The runner's memo: id(node) -> names of the resolvers under it (None: too many).
        self.closures: dict[int, frozenset[str] | None] = {}

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
        done: set[int] = set()
        # Iterative post-order: (node, step index) frames; a step's dependencies come first.
        for root in self.roots:
            stack: list[tuple[AttrNode, int, int]] = [(root, 0, 0)]
            while stack:
                node, i, j = stack.pop()
                if i >= len(node.options):
                    done.add(id(node))
                    continue
                step = node.options[i]
                deps = (*step.requires, *step.optionals)
                if j < len(deps):
                    stack.append((node, i, j + 1))
                    if id(deps[j]) not in done:
                        stack.append((deps[j], 0, 0))
                    continue
                seen.setdefault(step.resolver.name, None)
                stack.append((node, i + 1, 0))
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


class _OverBudget(Exception):
    """The exact search took too many steps (see ``_Planner.budget``)."""


_RANK_TABLES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _rank_tables(index: Indexes) -> tuple[dict[str, int], list[Keyword], dict[Keyword, list[Any]]]:
    """Per index, once: each resolver's count of required inputs, the outputs of resolvers
    that need none, and for each attribute the resolvers requiring it (name, outputs)."""
    tables = _RANK_TABLES.get(index)
    if tables is None:
        needs: dict[str, int] = {}
        starts: list[Keyword] = []
        users: dict[Keyword, list[Any]] = {}
        for r in index.resolvers.values():
            required = r.input.required
            needs[r.name] = len(required)
            if not required:
                starts.extend(r.output)
            entry = (r.name, tuple(r.output))
            for a in required:
                users.setdefault(a, []).append(entry)
        tables = _RANK_TABLES[index] = (needs, starts, users)
    return tables


def attribute_ranks(index: Indexes, available: frozenset[Keyword]) -> dict[Keyword, int]:
    """Return, for every attribute reachable from ``available``, the fewest resolver steps to
    it (available attributes are 0): a breadth-first pass by rank where a resolver fires once
    all its required inputs are ranked, its outputs one past the highest of them."""
    needs, starts, users = _rank_tables(index)
    ranks: dict[Keyword, int] = {}
    waiting = needs.copy()
    current: list[Keyword] = list(available)
    carry: list[Keyword] = list(starts)  # rank 1
    rank = 0
    while current or carry:
        fired: list[Keyword] = []
        for attr in current:
            if attr in ranks:
                continue
            ranks[attr] = rank
            for name, outputs in users.get(attr, ()):
                left = waiting[name] - 1
                waiting[name] = left
                if left == 0:  # its last input was ranked just now: outputs are one past
                    fired.extend(outputs)
        current = carry + fired if carry else fired
        carry = []
        rank += 1
    return ranks


_RANKS: weakref.WeakKeyDictionary[Any, OrderedDict[frozenset[Keyword], dict[Keyword, int]]] = (
    weakref.WeakKeyDictionary()
)
_RANKS_LOCK = threading.Lock()


def _ranks_for(index: Indexes, available: frozenset[Keyword]) -> dict[Keyword, int]:
    """``attribute_ranks`` remembered per index for the last 16 sets of available attributes
    (ranks depend on nothing else, and an index never changes)."""
    with _RANKS_LOCK:
        per_index = _RANKS.get(index)
        if per_index is None:
            per_index = _RANKS[index] = OrderedDict()
        ranks = per_index.get(available)
        if ranks is not None:
            per_index.move_to_end(available)
            return ranks
    ranks = attribute_ranks(index, available)
    with _RANKS_LOCK:
        per_index[available] = ranks
        while len(per_index) > 16:
            per_index.popitem(last=False)
    return ranks


class _Fail:
    """Why an attribute can't be reached; ``cycle``: the attributes of a cycle that stopped it;
    ``closes``: the attribute itself closed that cycle.

    ``why`` is the reason's text or the pieces to build it from (one list of missing inputs per
    option; an input is its text or ``(dep, sub_fail)``); it is built when first read, since
    most failures inside a search are never shown.
    """

    __slots__ = ("_why", "closes", "cycle")

    def __init__(
        self,
        why: str | tuple[Keyword] | list[list[Any]],
        cycle: tuple[Keyword, ...] | None = None,
        closes: bool = False,
    ) -> None:
        self._why = why
        self.cycle = cycle
        self.closes = closes

    @property
    def reason(self) -> str:
        why = self._why
        if isinstance(why, tuple):  # (attr,): the attribute closed the cycle
            assert self.cycle is not None
            why = self._why = f"can't reach {attr_text(why[0])} {_cycle_text(self.cycle)}"
        elif not isinstance(why, str):
            texts = [
                "inputs can't be met: can't reach "
                + ", ".join(m if isinstance(m, str) else _missing_text(*m) for m in missing)
                for missing in why
            ]
            why = self._why = " OR ".join(dict.fromkeys(texts))
        return why


_AVAILABLE = object()
# Exact search plans an attribute again only inside a cycle (results there depend on the path,
# so they are not memoized); past this many repeats it is going exponential, so stop early.
_MAX_REEXPANSIONS = 64
_MAX_CYCLE_HITS = 16  # a search this full of cycles is on its way there: stop sooner
_MAX_NESTING = 32  # nested-input checks inside nested-input checks (a backstop; cycles stop first)

Trail = tuple[tuple[str, Keyword, Shape], ...]
"""The nested-input checks in progress: (resolver, attribute, wanted shape), outermost first."""


class _Planner:
    """One planning pass; memoizes attribute nodes (Tarjan-style, so cycles stay correct).

    Iterative: each attribute is planned by a generator that yields the attributes it needs and
    receives their nodes, driven from an explicit stack, so a chain of any length plans without
    touching Python's recursion limit.
    """

    def __init__(
        self,
        index: Indexes,
        available: frozenset[Keyword],
        trail: Trail = (),
        ranks: dict[Keyword, int] | None = None,
    ) -> None:
        self.index = index
        self.available = available
        self.trail = trail
        self.memo: dict[Keyword, AttrNode | _Fail] = {}
        self.active: dict[Keyword, int] = {}
        self.stack: list[Keyword] = []  # the attributes of ``active``, in order
        self.low = 1 << 30
        # Exact search is exponential on some cyclic graphs (results inside a cycle depend on
        # the path taken, so they cannot be memoized); past this many expansions the pass
        # stops and plan_attrs plans again in ranked mode.
        # Without cycles every attribute is expanded once, so this is never reached there.
        self.budget = 1_000 + 4 * len(index.providers)
        self.ranks = ranks
        self.wanted: frozenset[Keyword] = frozenset()  # requested: unknown ones get a hint
        self.expanded: dict[Keyword, None] = {}
        self.again = 0  # expansions of an attribute already expanded once
        self.cycles = 0  # times the search ran into an attribute it is planning

    def _known(self, attr: Keyword) -> AttrNode | _Fail | object | None:
        """The node of ``attr`` when it needs no planning (available, memoized, a cycle,
        unknown), else None."""
        if attr in self.available:
            return _AVAILABLE
        hit = self.memo.get(attr)
        if hit is not None:
            return hit
        depth = self.active.get(attr)
        if depth is not None:
            if self.ranks is None:
                self.cycles += 1
                if self.cycles > _MAX_CYCLE_HITS:
                    raise _OverBudget
            self.low = min(self.low, depth)
            # Only the first attributes of a ring are ever shown (see _cycle_text).
            seg = self.stack[depth : depth + 10]
            ring = (*seg, attr) if len(self.stack) - depth < 10 else tuple(seg)
            return _Fail((attr,), ring, True)
        if not self.index.providers.get(attr):
            hint = ""
            if attr in self.wanted:  # asked for by the user: suggest (costly, so only then)
                hint = did_you_mean(str(attr), known_attributes(self.index))
            fail = _Fail("unknown: no resolver outputs it" + hint)
            self.memo[attr] = fail
            return fail
        ranks = self.ranks
        if ranks is not None and attr not in ranks:  # ranked mode: unreachable, say why briefly
            lacking = {
                attr_text(dep): None
                for r in self.index.providers[attr]
                for dep in r.input.required
                if dep not in ranks
            }
            fail = _Fail(f"inputs can't be met: can't reach {', '.join(lacking)}")
            self.memo[attr] = fail
            return fail
        return None

    def node(self, attr: Keyword) -> AttrNode | _Fail | object:
        known = self._known(attr)
        if known is not None:
            return known
        stack = [self._plan(attr)]
        send: Any = None
        while stack:
            try:
                want = stack[-1].send(send)
            except StopIteration as stop:
                stack.pop()
                send = stop.value
                continue
            known = self._known(want)
            if known is None:
                stack.append(self._plan(want))
                send = None
            else:
                send = known
        return send

    def _plan(self, attr: Keyword) -> Generator[Keyword, Any, AttrNode | _Fail]:
        self.budget -= 1
        if self.budget < 0:
            raise _OverBudget
        if self.ranks is None:  # only a cycle makes an attribute be expanded again
            if attr in self.expanded:
                self.again += 1
                if self.again > _MAX_REEXPANSIONS:
                    raise _OverBudget
            else:
                self.expanded[attr] = None
        ranks = self.ranks
        my_rank = ranks[attr] if ranks is not None else 0
        my_depth = len(self.active)
        self.active[attr] = my_depth
        self.stack.append(attr)
        outer_low, self.low = self.low, 1 << 30
        options: list[ResolverStep] = []
        reasons: list[list[Any]] = []
        cycle: tuple[Keyword, ...] | None = None
        for r in self.index.providers[attr]:
            if ranks is not None and any(
                ranks.get(d, my_rank) >= my_rank for d in r.input.required
            ):
                continue  # ranked mode: only inputs reachable in fewer steps (never a cycle)
            # one option: plan the resolver's missing inputs (yielded to the driver)
            requires: list[AttrNode] = []
            missing: list[Any] = []
            nested: list[tuple[Keyword, Shape]] = []
            for dep in r.input.required:
                sub = yield dep
                if isinstance(sub, _Fail):
                    cycle = cycle or sub.cycle
                    missing.append((dep, sub))
                    continue
                shape = r.input[dep]
                if shape:
                    nested.append((dep, shape))
                    if isinstance(sub, AttrNode):
                        narrowed, why = self.narrow_nested(sub, shape)
                        if narrowed is None:
                            missing.append(f"{attr_text(dep)} {_shape_text(shape)}{why}")
                            continue
                        sub = narrowed
                if isinstance(sub, AttrNode):
                    requires.append(sub)
            if missing:
                reasons.append(missing)
                continue
            optionals: list[AttrNode] = []
            for dep in r.input.optionals:
                if ranks is not None and ranks.get(dep, my_rank) >= my_rank:
                    continue
                sub = yield dep
                if isinstance(sub, AttrNode):
                    optionals.append(sub)
                if r.input[dep] and not isinstance(sub, _Fail):
                    nested.append((dep, r.input[dep]))
            options.append(ResolverStep(r, tuple(requires), tuple(optionals), tuple(nested)))
        del self.active[attr]
        self.stack.pop()
        result: AttrNode | _Fail = (
            AttrNode(attr, tuple(options)) if options else _Fail(reasons, cycle)
        )
        if self.low >= my_depth:
            self.memo[attr] = result
        self.low = min(self.low, outer_low)
        return result

    def narrow_nested(self, node: AttrNode, shape: Shape) -> tuple[AttrNode | None, str]:
        """Keep the options whose declared nested output can reach ``shape`` (nested pruning);
        when none can, return ``(None, why)``."""
        kept = []
        why = ""
        for s in node.options:
            fail = _nested_reachable(self.index, s.resolver, node.attr, shape, self.trail)
            if fail is None:
                kept.append(s)
            else:
                why = why or fail
        if not kept:
            return None, why
        return (node if len(kept) == len(node.options) else AttrNode(node.attr, tuple(kept))), ""


def _cycle_text(ring: tuple[Keyword, ...]) -> str:
    shown = " -> ".join(attr_text(a) for a in ring[:9])
    return f"(cycle: {shown}{' ...' if len(ring) > 9 else ''})"


def _missing_text(dep: Keyword, sub: _Fail) -> str:
    """An input that can't be reached; a cycle on the way is named, other reasons stay short."""
    if sub.cycle is None:
        return attr_text(dep)
    if sub.closes:  # the input itself closes the cycle
        return f"{attr_text(dep)} {_cycle_text(sub.cycle)}"
    return f"{attr_text(dep)} (through {_cycle_text(sub.cycle)[1:-1]})"


def _shape_text(shape: Shape) -> str:
    return "..." if shape.recursive and not len(shape) else shape.to_edn()


def _nested_reachable(
    index: Indexes, provider: Resolver, attr: Keyword, shape: Shape, trail: Trail
) -> str | None:
    """Return None when ``provider``'s output of ``attr`` can reach ``shape``, else why not."""
    key = (provider.name, attr, shape)
    if key in trail:  # the same nested check inside itself: a nested-input cycle
        ring = [*trail[trail.index(key) :], key]
        steps = " -> ".join(f"{attr_text(a)} {_shape_text(sh)}" for _, a, sh in ring)
        return f" (nested input cycle: {steps})"
    if len(trail) >= _MAX_NESTING:
        return f" (nested inputs more than {_MAX_NESTING} levels deep)"
    provided = provider.output.get(attr, EMPTY)
    return _shape_reachable(index, provided, shape, (*trail, key))


def _shape_reachable(index: Indexes, have: Shape, want: Shape, trail: Trail) -> str | None:
    planner = _Planner(index, frozenset(have), trail)
    for attr in want.required:
        sub = planner.node(attr)
        if isinstance(sub, _Fail):
            return f" ({attr_text(attr)} {sub.reason})"
        sub_want = want[attr]
        if not sub_want or sub_want.recursive:
            continue
        if have.get(attr):
            fail = _shape_reachable(index, have[attr], sub_want, trail)
            if fail is not None:
                return fail
        elif isinstance(sub, AttrNode):
            fails = [
                _nested_reachable(index, s.resolver, attr, sub_want, trail) for s in sub.options
            ]
            if all(f is not None for f in fails):
                return fails[0]
    return None


def _plan_roots(
    planner: _Planner, requests: Mapping[Keyword, Mapping[Any, Any]]
) -> tuple[list[AttrNode], dict[Keyword, str]]:
    roots: list[AttrNode] = []
    unreachable: dict[Keyword, str] = {}
    for attr in requests:
        node = planner.node(attr)
        if isinstance(node, AttrNode):
            roots.append(node)
        elif isinstance(node, _Fail):
            unreachable[attr] = node.reason
    return roots, unreachable


def plan_attrs(
    index: Indexes,
    requests: Mapping[Keyword, Mapping[Any, Any]],
    available: frozenset[Keyword],
) -> Plan:
    """Return the plan that resolves ``requests`` (attribute → params) given ``available``.

    Pure: reads only the index. Unreachable attributes are reported in ``plan.unreachable``; the
    runner decides whether that is an error (strict) or data (lenient).
    """
    wanted = frozenset(requests)
    planner = _Planner(index, available)
    planner.wanted = wanted
    try:
        roots, unreachable = _plan_roots(planner, requests)
    except _OverBudget:
        # Ranked mode: options use only inputs reachable in fewer steps, so no search path can
        # cycle and every node memoizes (linear); longer alternative paths are left out.
        planner = _Planner(index, available, ranks=_ranks_for(index, available))
        planner.budget = 1 << 62
        planner.wanted = wanted
        roots, unreachable = _plan_roots(planner, requests)
    nodes: dict[Keyword, AttrNode] = {}
    todo = list(reversed(roots))
    while todo:  # every node of the plan, depth first (iterative: chains may be long)
        node = todo.pop()
        if node.attr in nodes:
            continue
        nodes[node.attr] = node
        for step in reversed(node.options):
            todo.extend(reversed((*step.requires, *step.optionals)))
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
