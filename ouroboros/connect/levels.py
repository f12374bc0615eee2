"""Levels: a query compiled once into per-entity-level instructions for the runner.

A ``Level`` is what the runner needs for one entity level of a query: the attributes to plan
(with their params), the keys to copy into the result, the joins to descend, idents,
placeholders, the wildcard and mutations. Compiling once per query keeps per-entity work tiny.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import FunctionType
from typing import Any

from ouroboros.connect.keys import freeze
from ouroboros.connect.shapes import OPTIONAL_KEY, Shape
from ouroboros.eql.ast import Call, Ident, Join, Keyword, Prop, Root, Symbol, Union
from ouroboros.errors import EQLError, QueryLimitError

__all__ = [
    "IdentSpec",
    "JoinSpec",
    "Level",
    "PlaceholderSpec",
    "compile_query",
    "query_size",
    "shape_level",
]

PLACEHOLDER_NS = ">"
MAP_CONTAINER_KEY = Keyword("ouroboros/map-container?")
REMOVE_ERROR_ITEMS_KEY = Keyword("ouroboros/remove-error-items")  # see builtin_plugins
_JOIN_FLAGS = (MAP_CONTAINER_KEY, REMOVE_ERROR_ITEMS_KEY)
ERRORS_KEY = Keyword("ouroboros/errors")  # asked for explicitly: selected, never planned


def _is_placeholder(key: Any) -> bool:
    return type(key) is Keyword and key.namespace == PLACEHOLDER_NS


@dataclass(eq=False, slots=True)
class JoinSpec:
    """One join of a level: plain (``child``), union (``branches``) or recursive (``depth``)."""

    key: Keyword
    params: Mapping[Any, Any]
    child: Level | None = None
    branches: tuple[tuple[Keyword, Level], ...] = ()
    recursive: bool = False
    depth: int | None = None
    map_container: bool = False
    remove_errors: bool = False
    _next: Level | None = None


@dataclass(eq=False, slots=True)
class IdentSpec:
    """An ident entry point ``[:user/id 1]`` (as a prop or a join) and the level under it."""

    key: Ident
    level: Level


@dataclass(eq=False, slots=True)
class PlaceholderSpec:
    """A placeholder ``{:>/name [...]}``: a view over the same entity (params become data).

    ``fresh``: the placeholder has params, or asks for an attribute of its parent with other
    params, so it runs as a new entity made of the data the parent entity arrived with (Pathom's
    "keep split when placeholder uses different parameters").
    """

    key: Keyword
    level: Level
    params: Mapping[Any, Any]
    fresh: bool = False


@dataclass(eq=False, slots=True)
class Level:
    """The compiled instructions for one entity level (see module docstring)."""

    nodes: tuple[Any, ...]
    requests: dict[Keyword, dict[Any, Any]] = field(default_factory=dict)
    required: tuple[Keyword, ...] = ()
    optional: frozenset[Keyword] = frozenset()
    props: tuple[Keyword, ...] = ()
    joins: tuple[JoinSpec, ...] = ()
    idents: tuple[IdentSpec, ...] = ()
    placeholders: tuple[PlaceholderSpec, ...] = ()
    fresh_placeholders: bool = False
    calls: tuple[tuple[Call, Level | None], ...] = ()
    wildcard: bool = False
    plan_key: Any = None
    overrides: Mapping[Keyword, int] = field(default_factory=dict)
    plans: dict[Any, Any] = field(default_factory=dict)
    foreign: dict[Any, Any] = field(default_factory=dict)  # dynamic resolvers' sub-queries
    _selector: Any = None

    @property
    def extra_keys(self) -> tuple[Any, ...]:
        """Result keys filled from sub-levels: placeholders, idents, joins (in that order)."""
        return (
            *(ph.key for ph in self.placeholders),
            *(ident.key for ident in self.idents),
            *(spec.key for spec in self.joins),
        )

    def selector(self) -> Any:
        """Return ``select(entities, *extra_columns) -> [dict]`` for this level (generated once).

        One list comprehension over a dict display with the keys bound as locals is the cheapest
        way CPython builds result maps; a missing attribute raises ``KeyError`` and the runner
        takes its slow path.
        """
        if self._selector is None:
            keys = (*self.props, *self.extra_keys)
            template = _selector_template(len(self.props), len(keys) - len(self.props))
            # The keys become the parameters' defaults, so each lookup is a local (LOAD_FAST).
            self._selector = FunctionType(template.__code__, template.__globals__, "select", keys)
        return self._selector

    def next_level(self, spec: JoinSpec) -> Level | None:
        """Return the level under a recursive join (``None`` when its depth is used up)."""
        if spec.depth is None:
            return self
        if spec._next is None:
            spec._next = _compile(self.nodes, {**self.overrides, spec.key: spec.depth - 1})
        return spec._next


@functools.lru_cache(maxsize=512)
def _selector_template(n_props: int, n_extra: int) -> FunctionType:
    """Return ``select`` for a level of ``n_props`` props and ``n_extra`` extras.

    It depends on the counts only (the keys are bound as parameter defaults), so a query that
    comes back with other ident or param values reuses it: ``exec`` runs once per shape.
    """
    names = [f"k{i}" for i in range(n_props)] + [f"x{i}" for i in range(n_extra)]
    args = "".join(f", v{i}" for i in range(n_extra))
    binds = "".join(f", {n}=None" for n in names)
    items = [f"k{i}: e[k{i}]" for i in range(n_props)]
    items += [f"x{i}: v{i}" for i in range(n_extra)]
    row = "{" + ", ".join(items) + "}"
    loop = f"zip(entities{args})" if n_extra else "entities"
    target = f"(e{args})" if n_extra else "e"
    src = f"def select(entities{args}{binds}):\n    return [{row} for {target} in {loop}]\n"
    namespace: dict[str, Any] = {}
    exec(src, namespace)  # generated from attribute counts only, never from input
    template: FunctionType = namespace["select"]
    return template


def compile_query(root: Root) -> Level:
    """Return the root ``Level`` of ``root`` (mutations go to ``level.calls``).

    Raises ``EQLError`` for a form the engine cannot run.
    """
    return _compile(root.children, {}, allow_calls=True)


def _compile(
    nodes: tuple[Any, ...],
    overrides: Mapping[Keyword, int],
    *,
    allow_calls: bool = False,
    inherited: Mapping[Any, Any] | None = None,
) -> Level:
    """Compile one level; ``inherited`` (an ident join's params) are the default params of
    every attribute asked at this level (an attribute's own params win)."""
    level = Level(nodes=tuple(nodes), overrides=overrides)
    defaults = {k: v for k, v in (inherited or {}).items() if k != OPTIONAL_KEY}
    requests: dict[Keyword, dict[Any, Any]] = {}
    optional_flags: dict[Keyword, bool] = {}
    props: dict[Keyword, None] = {}
    joins: dict[Keyword, JoinSpec] = {}
    idents: list[IdentSpec] = []
    placeholders: list[PlaceholderSpec] = []
    calls: list[tuple[Call, Level | None]] = []

    def request(attr: Keyword, params: Mapping[Any, Any]) -> None:
        is_optional = bool(params.get(OPTIONAL_KEY))
        merged = requests.setdefault(attr, {})
        merged.update({k: v for k, v in params.items() if k != OPTIONAL_KEY})
        for k, v in defaults.items():
            merged.setdefault(k, v)
        optional_flags[attr] = optional_flags.get(attr, True) and is_optional

    for node in nodes:
        if isinstance(node, Call):
            if not allow_calls:
                raise EQLError(f"a mutation may only appear at the top of a query: {node.key}")
            calls.append((node, _compile(node.children, {}) if node.children is not None else None))
        elif isinstance(node, Prop):
            key = node.key
            if type(key) is Symbol:
                if key == "*":
                    level.wildcard = True
                    continue
                raise EQLError(f"unexpected symbol in a query: {key}")
            if isinstance(key, tuple):
                idents.append(IdentSpec(Ident(key[0], key[1]), _wildcard_level()))
            elif not isinstance(key, Keyword):
                raise EQLError(f"unexpected key in a query: {key!r}")
            elif _is_placeholder(key):
                placeholders.append(PlaceholderSpec(key, _compile((), overrides), node.params))
            elif key == ERRORS_KEY:
                props[key] = None  # the error map itself: filled in by lenient mode
            else:
                request(key, node.params)
                props[key] = None
        elif isinstance(node, Join):
            key = node.key
            if isinstance(key, tuple):
                sub = (
                    _compile(node.children or (), {}, inherited=node.params)
                    if node.children is not None
                    else level
                )
                idents.append(IdentSpec(Ident(key[0], key[1]), sub))
                continue
            if _is_placeholder(key):
                placeholders.append(
                    PlaceholderSpec(key, _compile(node.children or (), overrides), node.params)
                )
                continue
            spec = JoinSpec(
                key=key,
                params=node.params,
                map_container=bool(node.params.get(MAP_CONTAINER_KEY)),
                remove_errors=bool(node.params.get(REMOVE_ERROR_ITEMS_KEY)),
            )
            if node.children is None:
                depth = overrides.get(key, node.query if isinstance(node.query, int) else None)
                # A recursive join is never required (Pathom ends the recursion where the data
                # ends); past its depth it is a plain optional prop, the data there kept as is.
                optional_params = {
                    **{k: v for k, v in node.params.items() if k not in _JOIN_FLAGS},
                    OPTIONAL_KEY: True,
                }
                if depth is not None and depth < 1:
                    request(key, optional_params)
                    props[key] = None
                    continue
                spec.recursive = True
                spec.depth = depth
                request(key, optional_params)
                joins[key] = spec
                props.pop(key, None)
                continue
            elif len(node.children) == 1 and isinstance(node.children[0], Union):
                spec.branches = tuple(
                    (entry.union_key, _compile(entry.children, {}))
                    for entry in node.children[0].children
                )
            else:
                spec.child = _compile(node.children, {})
            params = {k: v for k, v in node.params.items() if k not in _JOIN_FLAGS}
            request(key, params)
            joins[key] = spec
            props.pop(key, None)
        else:
            raise EQLError(f"unexpected node in a query: {node!r}")
    for ph in placeholders:
        ph.fresh = bool(_clean(ph.params)) or any(
            attr in requests and _clean(requests[attr]) != _clean(params)
            for attr, params in ph.level.requests.items()
        )
    level.requests = requests
    level.fresh_placeholders = any(ph.fresh for ph in placeholders)
    level.optional = frozenset(a for a, flag in optional_flags.items() if flag)
    level.required = tuple(a for a in requests if a not in level.optional)
    level.props = tuple(props)
    level.joins = tuple(joins.values())
    level.idents = tuple(idents)
    level.placeholders = tuple(placeholders)
    level.calls = tuple(calls)
    level.plan_key = tuple((a, freeze(p), a in level.optional) for a, p in requests.items())
    for attr in level.optional:
        requests[attr] = {**requests[attr], OPTIONAL_KEY: True}
    return level


def _clean(params: Mapping[Any, Any]) -> dict[Any, Any]:
    return {k: v for k, v in params.items() if k != OPTIONAL_KEY}


def _wildcard_level() -> Level:
    level = _compile((), {})
    level.wildcard = True
    return level


def query_size(root: Root) -> tuple[int, int]:
    """Return ``(depth, nodes)`` of a query: join nesting depth and the number of AST nodes.

    A bounded recursion ``{:a 3}`` counts as depth 3; ``...`` counts as 1 (the runner bounds it).
    """
    count = 0

    def walk(children: Any, depth: int) -> int:
        nonlocal count
        deepest = depth
        for node in children or ():
            count += 1
            if isinstance(node, Union):
                for entry in node.children:
                    count += 1
                    deepest = max(deepest, walk(entry.children, depth))
            elif isinstance(node, (Join, Call)) and node.children is not None:
                deepest = max(deepest, walk(node.children, depth + 1))
            elif isinstance(node, Join):
                extra = node.query if isinstance(node.query, int) else 1
                deepest = max(deepest, depth + extra)
        return deepest

    depth = walk(root.children, 0)
    return depth, count


def check_limits(root: Root, max_depth: int | None, max_nodes: int | None) -> None:
    """Raise ``QueryLimitError`` when ``root`` is deeper or larger than allowed."""
    if max_depth is None and max_nodes is None:
        return
    depth, nodes = query_size(root)
    if max_depth is not None and depth > max_depth:
        raise QueryLimitError(
            f"query is {depth} joins deep; the limit is {max_depth}",
            details={"depth": depth, "max_depth": max_depth},
        )
    if max_nodes is not None and nodes > max_nodes:
        raise QueryLimitError(
            f"query has {nodes} nodes; the limit is {max_nodes}",
            details={"nodes": nodes, "max_nodes": max_nodes},
        )


_shape_levels: dict[Shape, Level] = {}


def shape_level(shape: Shape) -> Level:
    """Return the level that resolves a nested-input shape (compiled once per shape)."""
    level = _shape_levels.get(shape)
    if level is None:

        def nodes(s: Shape) -> tuple[Any, ...]:
            out: list[Any] = []
            for a, sub in s.items():
                params = {OPTIONAL_KEY: True} if a in s.optional else {}
                if sub.recursive:
                    recurse = Symbol("...")
                    out.append(
                        Join(key=a, dispatch_key=a, query=recurse, children=None, params=params)
                    )
                elif sub:
                    out.append(
                        Join(key=a, dispatch_key=a, query=None, children=nodes(sub), params=params)
                    )
                else:
                    out.append(Prop(key=a, dispatch_key=a, params=params))
            return tuple(out)

        level = compile_query(Root(children=nodes(shape)))
        _shape_levels[shape] = level
    return level
