"""Query data ↔ AST: `query_to_ast` reads EQL written as Python data, `ast_to_query` writes it.

Query data is EQL as Python values, the way Clojure programs hold EQL:

=====================  ==============================================================
EQL                    Python
=====================  ==============================================================
vector ``[...]``       ``list``
property ``:a/b``      ``Keyword("a/b")``, or a plain ``str`` (``"a/b"`` or ``":a/b"``)
ident ``[:a/id 1]``    ``Ident("a/id", 1)`` or a 2-tuple / 2-list ``("a/id", 1)``
join ``{:a [...]}``    a one-entry ``dict`` ``{Keyword("a"): [...]}``
union                  ``{Keyword("a"): {Keyword("x/id"): [...], ...}}``
recursion              ``Symbol("...")`` (or the string ``"..."``) or an ``int`` depth
params ``(:a {..})``   ``EList((key_or_join, {params}))``
mutation               ``EList((Symbol("ns/op"), {params}))``; a mutation join is
                       ``EList(({Symbol("ns/op"): [...]}, {params}))``
optional ``(? :a)``    ``EList((Symbol("?"), key_or_join))``
wildcard ``*``         ``Symbol("*")``
=====================  ==============================================================

`ast_to_query` always writes the canonical form: keywords as `Keyword`, idents as `Ident`,
params as ``EList((expr, params))`` (a param join comes back wrapped: ``({:a [:b]} {:p 1})``),
calls as ``EList((sym, params))``. Metadata has no place in query data and is not written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ouroboros.eql.ast import (
    OPTIONAL_PARAM,
    Call,
    ChildNode,
    EList,
    Ident,
    Join,
    Keyword,
    Node,
    Prop,
    Root,
    Symbol,
    Union,
    UnionEntry,
    is_wildcard,
)
from ouroboros.eql.reader import MAX_DEPTH
from ouroboros.errors import EQLError

__all__ = [
    "OPTIONAL_PARAM",
    "RECURSE",
    "WILDCARD",
    "ast_to_query",
    "query_expr",
    "query_to_ast",
    "replace_params",
    "to_keyword",
]

"""The param `(? :a)` sets on an attribute (Pathom's ``::pco/optional?``)."""

RECURSE = Symbol("...")
WILDCARD = Symbol("*")
_OPTIONAL_HEAD = Symbol("?")


# --- AST → data ----------------------------------------------------------------------------


def query_expr(node: ChildNode) -> Any:
    """Return the query-data expression of one child node, reusing its ``query`` (O(1))."""
    if type(node) is Prop:
        return EList((node.key, node.params)) if node.params else node.key
    if type(node) is Join:
        join = {node.key: node.query}
        return EList((join, node.params)) if node.params else join
    if type(node) is Call:
        if node.query is None:
            return EList((node.key, node.params))
        return EList(({node.key: node.query}, node.params))
    raise EQLError(f"not an EQL child node: {node!r}")


def ast_to_query(node: Node) -> list[Any]:
    """Return the query data (a list) of an AST; for a single child node, a one-item query.

    The data is rebuilt from ``children`` (it does not trust a node's ``query`` field), so it
    also works for ASTs built by hand.
    """
    if isinstance(node, Root):
        return [_expr_deep(child) for child in node.children]
    if isinstance(node, (Prop, Join, Call)):
        return [_expr_deep(node)]
    if isinstance(node, Union):
        return [_union_deep(node)]
    if isinstance(node, UnionEntry):
        return [_expr_deep(child) for child in node.children]
    raise EQLError(f"not an EQL AST node: {node!r}")


def _expr_deep(node: Any) -> Any:
    if type(node) is Prop:
        return EList((node.key, dict(node.params))) if node.params else node.key
    if type(node) is Join:
        join = {node.key: _subquery_deep(node)}
        return EList((join, dict(node.params))) if node.params else join
    if type(node) is Call:
        if node.children is None and node.query is None:
            return EList((node.key, dict(node.params)))
        return EList(({node.key: _subquery_deep(node)}, dict(node.params)))
    raise EQLError(f"not an EQL child node: {node!r}")


def _subquery_deep(node: Join | Call) -> Any:
    children = node.children
    if children is None:
        return node.query
    if len(children) == 1 and type(children[0]) is Union:
        return _union_deep(children[0])
    return [_expr_deep(child) for child in children]


def _union_deep(union: Union) -> dict[Keyword, list[Any]]:
    return {
        entry.union_key: [_expr_deep(child) for child in entry.children] for entry in union.children
    }


# --- data → AST ----------------------------------------------------------------------------


def query_to_ast(data: Any) -> Root:
    """Return the AST of EQL query data (see the module docstring); a `Root` passes through.

    Raises EQLError naming what is wrong and where (``at query[2][:user/friends]``).
    """
    if isinstance(data, Root):
        return data
    if isinstance(data, str):
        raise EQLError(
            "query data must be a list (an EQL vector); parse EQL text with ouroboros.eql.parse"
        )
    if not isinstance(data, (list, tuple)) or isinstance(data, (EList, Ident)):
        raise EQLError(f"query data must be a list (an EQL vector), found {_kind(data)}")
    return Root(children=_children(data, ["query"]))


def to_keyword(value: Any, path: list[Any] | None = None) -> Keyword:
    """Return ``value`` as a `Keyword` (a plain str may carry a leading ':'); EQLError if not."""
    if type(value) is Keyword:
        return value
    if isinstance(value, str) and not isinstance(value, Symbol):
        text = value[1:] if value.startswith(":") else value
        problem = _name_problem(text)
        if problem:
            raise _error(problem, path or [])
        return Keyword(text)
    raise _error(f"expected a keyword (attribute name), found {_kind(value)}", path or [])


def _children(items: Any, path: list[Any]) -> tuple[ChildNode, ...]:
    if len(path) > MAX_DEPTH:
        raise _error(f"the query nests deeper than {MAX_DEPTH} levels", path)
    return tuple(_expr(item, [*path, index]) for index, item in enumerate(items))


def _expr(value: Any, path: list[Any]) -> ChildNode:
    if type(value) is Keyword:
        return Prop(key=value, dispatch_key=value)
    if isinstance(value, Symbol):
        if value == "*":
            return Prop(key=WILDCARD, dispatch_key=WILDCARD)
        raise _error(
            f"a bare symbol {value} is not an EQL expression; call a mutation as "
            f"EList((Symbol({str(value)!r}), {{...}}))",
            path,
        )
    if isinstance(value, str):
        key = to_keyword(value, path)
        return Prop(key=key, dispatch_key=key)
    if isinstance(value, EList):
        return _list(value, path)
    if isinstance(value, (tuple, list)):
        ident = _ident(value, path)
        return Prop(key=ident, dispatch_key=ident.attr)
    if isinstance(value, Mapping):
        return _join(value, path)
    raise _error(
        f"expected a property, join, ident, param expression or mutation, found {_kind(value)}",
        path,
    )


def _ident(value: Any, path: list[Any]) -> Ident:
    if type(value) is Ident:
        return value
    if len(value) != 2:
        raise _error(
            f"an ident is [keyword value] (2 items), found a {len(value)}-item sequence", path
        )
    return Ident(to_keyword(value[0], [*path, 0]), value[1])


def _join(value: Mapping[Any, Any], path: list[Any]) -> Join | Call:
    if len(value) != 1:
        raise _error(f"a join map must have exactly one entry, found {len(value)}", path)
    ((key, sub),) = value.items()
    where = [*path, key]
    if isinstance(key, Symbol) and key not in ("*", "...", "?"):
        if not isinstance(sub, (list, tuple)) or isinstance(sub, (EList, Ident)):
            raise _error(f"a mutation join selects with a query list, found {_kind(sub)}", where)
        children = _children(sub, where)
        return Call(
            key=key,
            dispatch_key=key,
            params={},
            query=[query_expr(child) for child in children],
            children=children,
        )
    params: dict[Any, Any] = {}
    dispatch: Keyword
    if isinstance(key, EList):
        head = _list(key, [*path, "key"])
        if type(head) is not Prop or is_wildcard(head.key):
            raise _error("a join key must be a property, an ident or a param expression", where)
        key, dispatch, params = head.key, cast(Keyword, head.dispatch_key), dict(head.params)
    elif isinstance(key, tuple):
        key = _ident(key, [*path, "key"])
        dispatch = key.attr
    else:
        key = dispatch = to_keyword(key, [*path, "key"])
    query, subnodes = _join_value(sub, where)
    return Join(
        key=key,
        dispatch_key=dispatch,
        query=query,
        children=subnodes,
        params=params,
    )


def _join_value(sub: Any, path: list[Any]) -> tuple[Any, Any]:
    if isinstance(sub, list) or (isinstance(sub, tuple) and not isinstance(sub, (EList, Ident))):
        children = _children(sub, path)
        return [query_expr(child) for child in children], children
    if isinstance(sub, Mapping):
        union = _union(sub, path)
        return union.query, (union,)
    if sub == "..." and isinstance(sub, str):
        return RECURSE, None
    if isinstance(sub, int) and not isinstance(sub, bool):
        if sub < 0:
            raise _error(f"a recursion depth must be 0 or more, found {sub}", path)
        return sub, None
    raise _error(
        "a join's value must be a query list, a union map, '...' or a recursion depth, "
        f"found {_kind(sub)}",
        path,
    )


def _union(value: Mapping[Any, Any], path: list[Any]) -> Union:
    if not value:
        raise _error("a union map needs at least one branch", path)
    entries = []
    for union_key, branch in value.items():
        where = [*path, union_key]
        if not isinstance(union_key, str) or isinstance(union_key, Symbol):
            raise _error(f"a union key must be a keyword, found {_kind(union_key)}", where)
        keyword = to_keyword(union_key, where)
        if not isinstance(branch, (list, tuple)) or isinstance(branch, (EList, Ident)):
            raise _error(f"a union branch must be a query list, found {_kind(branch)}", where)
        children = _children(branch, where)
        entries.append(
            UnionEntry(
                union_key=keyword,
                query=[query_expr(child) for child in children],
                children=children,
            )
        )
    query = {entry.union_key: entry.query for entry in entries}
    return Union(query=query, children=tuple(entries))


def _list(value: EList, path: list[Any]) -> ChildNode:
    if not value:
        raise _error("an empty EList is not an EQL expression", path)
    head = value[0]
    if isinstance(head, Symbol) and head not in ("*", "..."):
        if head == "?":
            if len(value) != 2:
                raise _error(
                    "(? ...) marks one attribute optional: EList((Symbol('?'), key))", path
                )
            node = _expr(value[1], [*path, 1])
            if type(node) is Call:
                raise _error("a mutation cannot be optional", path)
            return _with_params(node, {OPTIONAL_PARAM: True})
        if len(value) > 2:
            raise _error("a mutation call is (ns/op {params}): one params map at most", path)
        return Call(key=head, dispatch_key=head, params=_params(value, path))
    if len(value) > 2:
        raise _error("a param expression is (expression {params}): one params map at most", path)
    node = _expr(head, [*path, 0])
    return _with_params(node, _params(value, path))


def _params(value: EList, path: list[Any]) -> dict[Any, Any]:
    if len(value) < 2:
        return {}
    params = value[1]
    if not isinstance(params, Mapping):
        raise _error(f"params must be a map, found {_kind(params)}", [*path, 1])
    return dict(params)


def _with_params(node: ChildNode, params: dict[Any, Any]) -> ChildNode:
    if not params:
        return node
    return replace_params(node, {**node.params, **params})


def replace_params(node: ChildNode, params: Mapping[Any, Any]) -> ChildNode:
    """Return ``node`` with its params replaced (the node classes are frozen)."""
    if isinstance(node, Prop):
        return Prop(key=node.key, dispatch_key=node.dispatch_key, params=params, meta=node.meta)
    if isinstance(node, Join):
        return Join(
            key=node.key,
            dispatch_key=node.dispatch_key,
            query=node.query,
            children=node.children,
            params=params,
            meta=node.meta,
        )
    return Call(
        key=node.key,
        dispatch_key=node.dispatch_key,
        params=params,
        query=node.query,
        children=node.children,
        meta=node.meta,
    )


def _name_problem(text: str) -> str | None:
    if not text:
        return "an attribute name cannot be empty"
    if text.startswith(":"):
        return f"invalid keyword '::{text[1:]}'"
    if "/" in text:
        ns, _, name = text.partition("/")
        if not ns or not name or "/" in name:
            return f"invalid keyword ':{text}': write namespace/name with exactly one '/'"
    if any(c.isspace() or c in '()[]{}",;^@`~\\' for c in text):
        return f"invalid keyword {text!r}: it has whitespace or EDN delimiters in it"
    return None


def _where(path: list[Any]) -> str:
    from ouroboros.eql.printer import to_edn

    out = str(path[0]) if path else "query"
    for step in path[1:]:
        if isinstance(step, int) and not isinstance(step, bool):
            out += f"[{step}]"
        else:
            try:
                out += f"[{to_edn(step)}]"
            except EQLError:
                out += f"[{step!r}]"
    return out


def _error(message: str, path: list[Any]) -> EQLError:
    return EQLError(f"{message} (at {_where(path)})", path=path[1:])


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"a bool ({value})"
    if isinstance(value, EList):
        return "an EList"
    if isinstance(value, Mapping):
        return "a dict"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__}"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, Keyword):
        return f"the keyword :{value}"
    if isinstance(value, Symbol):
        return f"the symbol {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"a {type(value).__name__}"
