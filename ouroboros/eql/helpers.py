"""AST helpers Pathom users know: merge, focus and mask queries; depth and size for limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ouroboros.eql.ast import Call, ChildNode, Join, Node, Prop, Root, Symbol, Union, UnionEntry
from ouroboros.eql.convert import RECURSE, ast_to_query, query_expr, query_to_ast
from ouroboros.eql.parser import parse
from ouroboros.eql.printer import to_edn
from ouroboros.errors import EQLError

__all__ = [
    "focus_subquery",
    "mask_query",
    "merge_asts",
    "merge_queries",
    "query_depth",
    "query_size",
]

QueryLike = Root | str | bytes | list[Any]
"""A query as an AST, EDN text or query data."""


def as_root(query: Any) -> Root:
    """Return the AST of a query given as a `Root`, EDN text or query data."""
    if isinstance(query, Root):
        return query
    if isinstance(query, (str, bytes)):
        return parse(query)
    return query_to_ast(query)


# --- merge ---------------------------------------------------------------------------------


class _Conflict(Exception):
    """Two children of one key cannot merge: different params, or one mutation twice."""


def merge_asts(*asts: Root | None) -> Root | None:
    """Return one AST asking for everything the ``asts`` ask for, or None when they conflict.

    Variadic like EQL's ``merge-asts``: no argument gives an empty ``Root``, one gives it back,
    and ``None`` is the identity. Children are matched by key: a prop and a join of the same key
    become the join, two joins merge their sub-queries (unions branch by branch; bounded
    recursion keeps the larger depth, ``...`` wins), metadata merges with the right winning.
    As in the ``eql`` library, the merge is refused (``None``) when one key appears with
    different params, and when the same mutation appears twice (even with equal params): a
    conflict anywhere makes the whole result ``None``. Raises ``EQLError`` where no merge makes
    sense (a recursive join with a plain one, a union with a plain join).
    """
    merged = Root(children=())
    seen = False
    for ast in asts:
        if ast is None:
            continue
        if not seen:
            merged, seen = ast, True
            continue
        try:
            children = _merge_children(merged.children, ast.children)
        except _Conflict:
            return None
        merged = Root(children=children, meta=_merge_maps(merged.meta, ast.meta))
    return merged


def merge_queries(*queries: QueryLike | None) -> list[Any] | None:
    """Return the query data of ``merge_asts`` over ``queries`` (each a Root, EDN text, data or
    None), or None when they conflict. ``merge_queries()`` and ``merge_queries(None)`` are ``[]``.
    """
    merged = merge_asts(*(None if q is None else as_root(q) for q in queries))
    if merged is None:
        return None
    return ast_to_query(merged)


def _identity(node: ChildNode) -> Any:
    """What makes two children "the same" when merging: kind, key type and key (`:*` ≠ `*`)."""
    kind = (type(node) is Call, type(node.key) is Symbol)
    try:
        hash(node.key)
    except TypeError:  # an ident whose value is a list (query data allows it)
        return (*kind, to_edn(node.key))
    return (*kind, node.key)


def _merge_children(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    merged: list[Any] = []
    where: dict[Any, int] = {}
    for node in (*a, *b):
        identity = _identity(node)
        index = where.get(identity)
        if index is None:
            where[identity] = len(merged)
            merged.append(_normalized(node))
        else:
            merged[index] = _merge_nodes(merged[index], node)
    return tuple(merged)


def _normalized(node: Any) -> Any:
    """``node`` with repeated children inside it merged too (so merging is idempotent)."""
    if isinstance(node, Prop) or node.children is None:
        return node
    union = _union_of(node) if isinstance(node, Join) else None
    if union is not None:
        merged = _merge_unions(union, _union(()))
        return _join_like(node, merged.query, (merged,), node.params, node.meta)
    children = _merge_children(node.children, ())
    if len(children) == len(node.children) and all(
        new is old for new, old in zip(children, node.children, strict=True)
    ):
        return node
    return _with_children(node, children)


def _with_children(node: Any, children: tuple[Any, ...]) -> Any:
    """Return the join or mutation join ``node`` with ``children`` (and the matching query)."""
    query = [query_expr(child) for child in children]
    if isinstance(node, Call):
        return Call(
            key=node.key,
            dispatch_key=node.dispatch_key,
            params=node.params,
            query=query,
            children=children,
            meta=node.meta,
        )
    return _join_like(node, query, children, node.params, node.meta)


def _merge_nodes(x: Any, y: Any) -> Any:
    if isinstance(x, Call):
        raise _Conflict(f"mutation {x.key} appears twice")
    if dict(x.params or {}) != dict(y.params or {}):
        raise _Conflict(f"{x.key} appears with different params")
    params = dict(x.params or {})
    meta = _merge_maps(x.meta, y.meta)
    if isinstance(x, Prop) and isinstance(y, Prop):
        return Prop(key=x.key, dispatch_key=x.dispatch_key, params=params, meta=meta)
    if isinstance(x, Prop) or isinstance(y, Prop):
        join = _normalized(y if isinstance(x, Prop) else x)
        return _join_like(join, join.query, join.children, params, meta)
    query, children = _merge_subqueries(x, y)
    return _join_like(x, query, children, params, meta)


def _merge_subqueries(x: Join, y: Join) -> tuple[Any, Any]:
    if x.children is None or y.children is None:
        if x.children is not None or y.children is not None:
            raise EQLError(f"cannot merge a recursive join with a non-recursive one for :{x.key}")
        if x.query == RECURSE or y.query == RECURSE:
            return RECURSE, None
        return max(x.query, y.query), None
    x_union, y_union = _union_of(x), _union_of(y)
    if (x_union is None) != (y_union is None):
        raise EQLError(f"cannot merge a union join with a plain join for :{x.key}")
    if x_union is not None and y_union is not None:
        union = _merge_unions(x_union, y_union)
        return union.query, (union,)
    children = _merge_children(x.children, y.children)
    return [query_expr(child) for child in children], children


def _union_of(join: Join) -> Union | None:
    children = join.children
    if children and len(children) == 1 and isinstance(children[0], Union):
        return children[0]
    return None


def _merge_unions(x: Union, y: Union) -> Union:
    entries: dict[Any, UnionEntry] = {}
    for entry in (*x.children, *y.children):
        seen = entries.get(entry.union_key)
        children = _merge_children(seen.children if seen else (), entry.children)
        entries[entry.union_key] = UnionEntry(
            union_key=entry.union_key,
            query=[query_expr(child) for child in children],
            children=children,
        )
    return _union(tuple(entries.values()))


def _union(entries: tuple[UnionEntry, ...]) -> Union:
    return Union(query={e.union_key: e.query for e in entries}, children=entries)


def _join_like(join: Join, query: Any, children: Any, params: Mapping[Any, Any], meta: Any) -> Join:
    return Join(
        key=join.key,
        dispatch_key=join.dispatch_key,
        query=query,
        children=children,
        params=params,
        meta=meta,
    )


def _merge_maps(x: Mapping[Any, Any] | None, y: Mapping[Any, Any] | None) -> dict[Any, Any] | None:
    if not x and not y:
        return None
    return {**(x or {}), **(y or {})}


# --- focus and mask ------------------------------------------------------------------------


def focus_subquery(ast: QueryLike, sub: QueryLike) -> Root:
    """Return ``ast`` narrowed to what ``sub`` mentions (EQL's focus-subquery).

    Children come in ``sub``'s order; a child ``sub`` names without a sub-query is kept whole,
    one it joins into is focused recursively. In a union, the branches ``sub`` does not mention
    are kept unchanged.
    """
    source, focus = as_root(ast), as_root(sub)
    return Root(children=_focus(source.children, focus.children), meta=source.meta)


def _index(children: tuple[Any, ...]) -> dict[Any, Any]:
    return {_identity(child): child for child in children}


def _focus(source: tuple[Any, ...], focus: tuple[Any, ...]) -> tuple[Any, ...]:
    index = _index(source)
    out = []
    for wanted in focus:
        found = index.get(_identity(wanted))
        if found is None:
            continue
        if isinstance(wanted, Prop) or not wanted.children or found.children is None:
            out.append(found)
            continue
        narrowed = _narrow(found, wanted, keep_unmentioned_branches=True)
        if narrowed is not None:
            out.append(narrowed)
    return tuple(out)


def _narrow(found: Any, wanted: Any, *, keep_unmentioned_branches: bool) -> Any:
    """``found`` with its sub-query narrowed by ``wanted``'s (focus or mask); None: nothing left."""
    narrow = _focus if keep_unmentioned_branches else _mask
    wanted_union = _union_of(wanted) if isinstance(wanted, Join) else None
    found_union = _union_of(found) if isinstance(found, Join) else None
    if found_union is not None:
        by_key = {e.union_key: e.children for e in wanted_union.children} if wanted_union else {}
        entries = []
        for entry in found_union.children:
            branch = by_key.get(entry.union_key, None if wanted_union else wanted.children)
            if branch is None:
                if keep_unmentioned_branches:
                    entries.append(entry)
                continue
            children = narrow(entry.children, branch)
            entries.append(
                UnionEntry(
                    union_key=entry.union_key,
                    query=[query_expr(c) for c in children],
                    children=children,
                )
            )
        if not entries:
            return None
        union = _union(tuple(entries))
        return _join_like(found, union.query, (union,), found.params, found.meta)
    wanted_children = wanted.children
    if wanted_union is not None:  # a union shape over a plain join: every branch applies
        wanted_children = tuple(c for e in wanted_union.children for c in e.children)
    children = narrow(found.children, wanted_children)
    return _with_children(found, children)


def mask_query(source: QueryLike, mask: QueryLike) -> Root:
    """Return ``source`` keeping only what ``mask`` also asks for, in ``source``'s order.

    Params and metadata come from ``source``. A join the mask names without a sub-query is
    kept whole; one it joins into is masked recursively, and a union branch the mask does not
    mention is dropped (unlike `focus_subquery`, which keeps it); a plain sub-query masks every
    branch of a union.
    """
    root, shape = as_root(source), as_root(mask)
    return Root(children=_mask(root.children, shape.children), meta=root.meta)


def _mask(source: tuple[Any, ...], mask: tuple[Any, ...]) -> tuple[Any, ...]:
    index = _index(mask)
    out = []
    for node in source:
        wanted = index.get(_identity(node))
        if wanted is None:
            continue
        keep_whole = isinstance(node, Prop) or isinstance(wanted, Prop) or not wanted.children
        if keep_whole or node.children is None:
            out.append(node)
        else:
            narrowed = _narrow(node, wanted, keep_unmentioned_branches=False)
            if narrowed is not None:  # a union none of whose branches the mask names
                out.append(narrowed)
    return tuple(out)


# --- limits --------------------------------------------------------------------------------


def query_depth(node: Node) -> int:
    """Return how deeply a query nests: 1 for a flat vector, +1 per join level.

    A recursive join counts as one level below its parent (its depth is only known at run
    time); a union's branches sit one level below the join.
    """
    if isinstance(node, Prop):
        return 0
    if isinstance(node, Root):
        return 1 + max((query_depth(child) for child in node.children), default=0)
    if isinstance(node, (Join, Call)):
        if node.children is None:
            return 1 if node.query is not None else 0
        return 1 + max((query_depth(child) for child in node.children), default=0)
    if isinstance(node, Union):
        return max((query_depth(entry) for entry in node.children), default=0) - 1
    return 1 + max((query_depth(child) for child in node.children), default=0)


def query_size(node: Node) -> int:
    """Return the number of AST nodes below ``node`` (props, joins, calls, unions, branches)."""
    children = getattr(node, "children", None)
    if not children:
        return 0
    return sum(1 + query_size(child) for child in children)
