"""Test helpers: build EQL ASTs from Python query data without depending on the parser."""

from __future__ import annotations

from typing import Any

from ouroboros.eql.ast import Call, Ident, Join, Keyword, Prop, Root, Symbol, Union, UnionEntry


def node(item: Any, params: dict | None = None) -> Any:
    params = dict(params or {})
    if isinstance(item, Ident):
        return Prop(key=item, dispatch_key=item.attr, params=params)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], dict):
        head = item[0]
        if isinstance(head, Symbol):
            return Call(key=head, dispatch_key=head, params=item[1])
        if isinstance(head, dict) and len(head) == 1 and isinstance(next(iter(head)), Symbol):
            ((sym, sub),) = head.items()
            return Call(
                key=sym, dispatch_key=sym, params=item[1], query=sub, children=children(sub)
            )
        return node(head, item[1])
    if isinstance(item, Symbol):
        if item == "*":
            return Prop(key=item, dispatch_key=item, params=params)
        return Call(key=item, dispatch_key=item, params=params)
    if isinstance(item, str):
        k = Keyword(item)
        return Prop(key=k, dispatch_key=k, params=params)
    if isinstance(item, dict):
        ((key, sub),) = item.items()
        if isinstance(key, Ident):
            k, dk = key, key.attr
        else:
            k = dk = Keyword(key)
        if sub == "..." or (isinstance(sub, int) and not isinstance(sub, bool)):
            q = Symbol("...") if sub == "..." else sub
            return Join(key=k, dispatch_key=dk, query=q, children=None, params=params)
        if isinstance(sub, dict):
            entries = tuple(
                UnionEntry(union_key=Keyword(uk), query=uq, children=children(uq))
                for uk, uq in sub.items()
            )
            return Join(
                key=k,
                dispatch_key=dk,
                query=sub,
                children=(Union(query=sub, children=entries),),
                params=params,
            )
        return Join(key=k, dispatch_key=dk, query=sub, children=children(sub), params=params)
    raise TypeError(item)


def children(items: list[Any]) -> tuple[Any, ...]:
    return tuple(node(i) for i in items)


def q(*items: Any) -> Root:
    """``q("a", {"b": ["c"]}, (Symbol("x/y"), {}))`` → Root."""
    return Root(children=children(list(items)))


def ident(attr: str, value: Any) -> Ident:
    return Ident(attr, value)


def sym(name: str) -> Symbol:
    return Symbol(name)


def opt(attr: Any) -> tuple[Any, dict]:
    return (attr, {Keyword("ouroboros/optional?"): True})
