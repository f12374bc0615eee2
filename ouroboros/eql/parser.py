"""EQL parser: `parse(text) -> Root`, giving the EDN forms of the reader their EQL meaning.

Every EQL form (pathom-eql.md §1): properties, joins, idents, ident joins, params in both the
``(:k {..})`` and ``{(:k {..}) [...]}`` forms, unions, recursion (``...`` and a depth), mutations and
mutation joins, the wildcard ``*``, placeholders (plain keywords like ``:>/x``), metadata, and the
optional-attribute sugar ``(? :a)`` (params ``{:ouroboros/optional? true}``).

Metadata is kept where the AST has a place for it: on the query vector (``Root.meta``), on a join
map, a param or call list, an ident vector or ``*`` (the node's ``meta``); metadata on a join's
sub-query vector or union map joins the join's ``meta``. Metadata on a union branch's vector or on a
plain value (a param, an ident value) is read and dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from ouroboros.eql.ast import (
    Call,
    ChildNode,
    EList,
    Ident,
    Join,
    Keyword,
    Prop,
    Root,
    Symbol,
    Tagged,
    Union,
    UnionEntry,
    is_wildcard,
)
from ouroboros.eql.atoms import (
    atom_value,
    inst_value,
    keyword_value,
    number_value,
    string_value,
    symbol_value,
    uuid_value,
)
from ouroboros.eql.convert import OPTIONAL_PARAM, RECURSE, WILDCARD, query_expr, replace_params
from ouroboros.eql.reader import (
    MAX_LENGTH,
    Form,
    ReadError,
    Token,
    describe,
    locate,
    position,
    read,
)
from ouroboros.errors import EQLSyntaxError

__all__ = ["parse"]


class _NoParams(dict):
    """An empty dict that refuses changes: the params of every parsed node that has none.

    Shared by all such nodes (and by the cached keyword props), so it must never change; being a
    dict it still passes ``isinstance(x, dict)``, ``json.dumps`` and ``== {}``.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the params of a parsed EQL node are read-only; build a new node instead")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __repr__(self) -> str:
        return "{}"


_NO_PARAMS: Mapping[Any, Any] = _NoParams()


def parse(text: str | bytes) -> Root:
    """Return the AST of an EQL query or transaction written as EDN text.

    Raises EQLSyntaxError (and nothing else) for text that is not EQL: its ``line`` and
    ``column`` (1-based) point at the offending form, its message says what EQL expects there
    and its ``context`` shows the line with a caret under the spot.
    """
    if type(text) is not str:
        if isinstance(text, (bytes, bytearray, memoryview)):
            text = _decode(bytes(text))
        elif isinstance(text, str):
            text = str(text)
        else:
            raise EQLSyntaxError(
                f"EQL text must be str or bytes, not {type(text).__name__}", line=1, column=1
            )
    if len(text) > MAX_LENGTH:
        raise EQLSyntaxError(
            f"the query is {len(text)} characters long; the limit is {MAX_LENGTH}",
            line=1,
            column=1,
        )
    try:
        return _root(read(text), len(text.rstrip()))
    except ReadError as exc:
        line, column, context = locate(text, exc.pos)
        raise EQLSyntaxError(exc.message, line=line, column=column, context=context) from None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8-sig", errors="replace")
        line, column, context = locate(good, len(good))
        raise EQLSyntaxError(
            f"the query is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            line=line,
            column=column,
            context=context,
        ) from None


# --- EQL meaning ---------------------------------------------------------------------------
#
# The hot path is a vector of keywords and joins; the checks are ordered for it. A plain
# property node is immutable (its params are the shared read-only `_NO_PARAMS`), so one node per
# keyword is cached and shared between parses.

_props: dict[str, Prop] = {}
_PROP_CACHE_LIMIT = 4096


def _keyword_prop(token: Token) -> Prop:
    key = keyword_value(token)
    node = Prop(key=key, dispatch_key=key, params=_NO_PARAMS)
    if len(_props) >= _PROP_CACHE_LIMIT:
        _props.clear()
    _props[token] = node
    return node


def _root(forms: list[Any], end: int) -> Root:
    if not forms:
        raise ReadError("expected a query vector [...], found an empty query", end)
    if len(forms) > 1:
        raise ReadError(
            f"expected one query vector, found {describe(forms[1])} after it", position(forms[1])
        )
    form, meta = _unwrap_meta(forms[0])
    if type(form) is not Form or form.kind != "vector":
        raise ReadError(f"the query must be a vector [...], found {describe(form)}", position(form))
    return Root(children=_children(form.items)[0], meta=meta)


def _children(items: list[Any]) -> tuple[tuple[ChildNode, ...], list[Any]]:
    """Return the nodes of a query vector's items and the query data that mirrors them."""
    nodes: list[ChildNode] = []
    data: list[Any] = []
    for item in items:
        if type(item) is Token and item.type == "KEYWORD":
            node: ChildNode = _props.get(item) or _keyword_prop(item)
            nodes.append(node)
            data.append(node.key)
        else:
            node = _expr(item)
            nodes.append(node)
            data.append(query_expr(node))
    return tuple(nodes), data


def _expr(item: Any) -> ChildNode:
    if type(item) is Form:
        kind = item.kind
        if kind == "map":
            return _join(item, None)
        if kind == "vector":
            ident = _ident(item)
            return Prop(key=ident, dispatch_key=ident.attr, params=_NO_PARAMS)
        if kind == "list":
            return _list(item)
        if kind == "meta":
            target, meta = _unwrap_meta(item)
            return _with_meta(_expr(target), meta)
        raise ReadError(_expected_expr(item), item.pos)
    kind = item.type
    if kind == "KEYWORD":
        return _props.get(item) or _keyword_prop(item)
    if kind == "SYMBOL":
        symbol = symbol_value(item)
        if type(symbol) is Symbol:
            if symbol == "*":
                return Prop(key=WILDCARD, dispatch_key=WILDCARD, params=_NO_PARAMS)
            raise ReadError(
                f"a bare symbol {symbol} is not an EQL expression: write a property as :{symbol} "
                f"or call a mutation as ({symbol} {{...}})",
                item.start_pos,
            )
    raise ReadError(_expected_expr(item), item.start_pos)


def _expected_expr(item: Any) -> str:
    return (
        "expected a property (:ns/name), a join {:k [...]}, an ident [:k v], "
        f"a parameter list (:k {{...}}), a mutation (ns/op {{...}}) or *, found {describe(item)}"
    )


def _ident(vector: Form) -> Ident:
    items = vector.items
    if len(items) != 2:
        raise ReadError(
            f"an ident is [keyword value] (2 items), found {len(items)} item"
            f"{'' if len(items) == 1 else 's'}",
            vector.pos,
        )
    attr = items[0]
    if type(attr) is not Token or attr.type != "KEYWORD":
        raise ReadError(
            f"an ident starts with the attribute keyword, found {describe(attr)}", position(attr)
        )
    return Ident(keyword_value(attr), _value(items[1], True))


def _join(form: Form, meta: dict[Any, Any] | None) -> Join | Call:
    items = form.items
    if len(items) != 2:
        if len(items) % 2:
            raise ReadError(
                "a map needs an even number of forms (key value pairs)", position(items[-1])
            )
        raise ReadError(
            f"a join map must have exactly one entry, found {len(items) // 2}",
            form.pos if not items else position(items[2]),
        )
    key_item, value_item = items
    if type(key_item) is Form and key_item.kind == "meta":
        key_item, key_meta = _unwrap_meta(key_item)
        meta = _merge_meta(key_meta, meta)
    if type(value_item) is Form and value_item.kind == "meta":
        value_item, value_meta = _unwrap_meta(value_item)
        meta = _merge_meta(value_meta, meta)
    params: Mapping[Any, Any] = _NO_PARAMS
    key: Any
    dispatch: Any
    if type(key_item) is Token:
        if key_item.type == "KEYWORD":
            key = dispatch = keyword_value(key_item)
        elif key_item.type == "SYMBOL" and _is_mutation_name(symbol_value(key_item)):
            symbol = symbol_value(key_item)
            call = Call(key=symbol, dispatch_key=symbol, params=_NO_PARAMS)
            return _mutation_join(call, value_item, meta)
        else:
            raise ReadError(_expected_key(key_item), key_item.start_pos)
    elif key_item.kind == "vector":
        key = _ident(key_item)
        dispatch = key.attr
    elif key_item.kind == "list":
        head = _list(key_item)
        if type(head) is Call:
            return _mutation_join(head, value_item, meta)
        if type(head) is not Prop or is_wildcard(head.key):
            raise ReadError(
                "a join key must be a property, an ident or a param expression (:k {...}), "
                f"found {describe(key_item.items[0])} inside the list",
                key_item.pos,
            )
        key, dispatch, params = head.key, head.dispatch_key, head.params
        meta = _merge_meta(head.meta, meta)
    else:
        raise ReadError(_expected_key(key_item), key_item.pos)
    if type(value_item) is Form and value_item.kind == "vector":
        children, query = _children(value_item.items)
        return Join(
            key=key, dispatch_key=dispatch, query=query, children=children, params=params, meta=meta
        )
    query, subnodes = _join_value(value_item)
    return Join(
        key=key, dispatch_key=dispatch, query=query, children=subnodes, params=params, meta=meta
    )


def _is_mutation_name(symbol: Any) -> bool:
    return type(symbol) is Symbol and symbol not in ("*", "...", "?")


def _expected_key(item: Any) -> str:
    return (
        "a join key must be a property :k, an ident [:k v], a param expression (:k {...}) "
        f"or a mutation (ns/op {{...}}), found {describe(item)}"
    )


def _join_value(item: Any) -> tuple[Any, Any]:
    """The query and children of a join value other than a vector: union, ``...``, depth."""
    if type(item) is Form:
        if item.kind == "map":
            union = _union(item)
            return union.query, (union,)
    elif item.type == "SYMBOL" and item == "...":
        return RECURSE, None
    elif item.type == "NUMBER":
        depth = number_value(item)
        if type(depth) is int:
            if depth < 0:
                raise ReadError(
                    f"a recursion depth must be 0 or more, found {depth}", item.start_pos
                )
            return depth, None
    raise ReadError(
        "a join's value must be a query vector [...], a union map {...}, the recursion "
        f"marker ... or a recursion depth, found {describe(item)}",
        position(item),
    )


def _union(form: Form) -> Union:
    items = form.items
    if not items:
        raise ReadError("a union map needs at least one branch {:type/key [...]}", form.pos)
    if len(items) % 2:
        raise ReadError(
            "a map needs an even number of forms (key value pairs)", position(items[-1])
        )
    entries = []
    query: dict[Keyword, list[Any]] = {}
    for index in range(0, len(items), 2):
        key_item = items[index]
        if type(key_item) is not Token or key_item.type != "KEYWORD":
            raise ReadError(
                f"a union key must be a keyword, found {describe(key_item)}", position(key_item)
            )
        union_key = keyword_value(key_item)
        if union_key in query:
            raise ReadError(f"duplicate union key :{union_key}", key_item.start_pos)
        branch, _ = _unwrap_meta(items[index + 1])
        if type(branch) is not Form or branch.kind != "vector":
            raise ReadError(
                f"a union branch must be a query vector [...], found {describe(branch)}",
                position(branch),
            )
        children, branch_query = _children(branch.items)
        query[union_key] = branch_query
        entries.append(UnionEntry(union_key=union_key, query=branch_query, children=children))
    return Union(query=query, children=tuple(entries))


def _mutation_join(call: Call, value: Any, meta: dict[Any, Any] | None) -> Call:
    if type(value) is not Form or value.kind != "vector":
        raise ReadError(
            f"a mutation join selects from the result with a query vector [...], "
            f"found {describe(value)}",
            position(value),
        )
    children, query = _children(value.items)
    return Call(
        key=call.key,
        dispatch_key=call.dispatch_key,
        params=call.params,
        query=query,
        children=children,
        meta=_merge_meta(call.meta, meta),
    )


def _list(form: Form) -> ChildNode:
    items = form.items
    if not items:
        raise ReadError(
            "an empty list is not EQL: write (:k {params}) or (ns/op {params})", form.pos
        )
    head = items[0]
    if type(head) is Token and head.type == "SYMBOL":
        symbol = symbol_value(head)
        if type(symbol) is Symbol and symbol not in ("*", "..."):
            if symbol == "?":
                return _optional(form)
            if len(items) > 2:
                raise ReadError(
                    "a mutation call is (ns/op {params}): one params map at most",
                    position(items[2]),
                )
            return Call(key=symbol, dispatch_key=symbol, params=_params(form))
        if symbol == "*":
            raise ReadError("the wildcard * takes no parameters", head.start_pos)
    if len(items) > 2:
        raise ReadError(
            "a parameter list is (expression {params}): one params map after the expression",
            position(items[2]),
        )
    # The head may be a whole join, a mutation join included: ({ns/op [...]} {params}).
    return _add_params(_expr(head), _params(form))


def _optional(form: Form) -> ChildNode:
    items = form.items
    if len(items) != 2:
        raise ReadError(
            "(? ...) marks one attribute optional: (? :ns/attr) or (? {:ns/attr [...]})",
            form.pos if len(items) < 2 else position(items[2]),
        )
    node = _expr(items[1])
    if type(node) is Call:
        raise ReadError("a mutation cannot be optional", position(items[1]))
    return _add_params(node, {OPTIONAL_PARAM: True})


def _params(form: Form) -> Mapping[Any, Any]:
    items = form.items
    if len(items) < 2:
        return _NO_PARAMS
    params, _ = _unwrap_meta(items[1])
    if type(params) is not Form or params.kind != "map":
        raise ReadError(f"params must be a map {{...}}, found {describe(params)}", position(params))
    return _map_value(params) or _NO_PARAMS


def _add_params(node: ChildNode, params: Mapping[Any, Any]) -> ChildNode:
    if not params:
        return node
    return replace_params(node, {**node.params, **params} if node.params else params)


# --- metadata ------------------------------------------------------------------------------


def _unwrap_meta(item: Any) -> tuple[Any, dict[Any, Any] | None]:
    """Return ``(target, metadata)`` of a form; nested ``^a ^b x`` merge, the outer one winning."""
    if type(item) is not Form or item.kind != "meta":
        return item, None
    layers = []
    while type(item) is Form and item.kind == "meta":
        layers.append(item.items[0])
        item = item.items[1]
    if type(item) is Form:
        if item.kind == "tagged":
            raise ReadError("metadata cannot be attached to a tagged value", item.pos)
    elif item.type != "SYMBOL" or type(symbol_value(item)) is not Symbol:
        raise ReadError(
            f"metadata applies to a collection or a symbol, not to {describe(item)}",
            item.start_pos,
        )
    meta: dict[Any, Any] = {}
    for layer in reversed(layers):
        meta.update(_meta_value(layer))
    return item, meta


def _meta_value(item: Any) -> dict[Any, Any]:
    if type(item) is Form:
        if item.kind == "map":
            return _map_value(item)
    elif item.type == "KEYWORD":
        return {keyword_value(item): True}
    elif item.type in ("SYMBOL", "STRING"):
        value = atom_value(item)
        if isinstance(value, str):
            return {Keyword("tag"): value}
    raise ReadError(
        f"metadata must be a map, a keyword, a symbol or a string, found {describe(item)}",
        position(item),
    )


def _with_meta(node: ChildNode, meta: dict[Any, Any] | None) -> ChildNode:
    if not meta:
        return node
    return dataclasses.replace(node, meta=_merge_meta(node.meta, meta))


def _merge_meta(*layers: Any) -> dict[Any, Any] | None:
    present = [layer for layer in layers if layer]
    if not present:
        return None
    if len(present) == 1:
        return dict(present[0])
    merged: dict[Any, Any] = {}
    for layer in present:
        merged.update(layer)
    return merged


# --- values (params, ident values, metadata) -----------------------------------------------


def _value(item: Any, hashable: bool = False) -> Any:
    """Return the Python value of a form; ``hashable`` turns vectors into tuples (dict keys)."""
    if type(item) is not Form:
        return atom_value(item)
    kind = item.kind
    if kind == "map":
        if hashable:
            raise ReadError(
                "a map cannot be a map key, a set element or an ident value here", item.pos
            )
        return _map_value(item)
    if kind == "vector":
        values = [_value(x, hashable) for x in item.items]
        return tuple(values) if hashable else values
    if kind == "list":
        return EList([_value(x, hashable) for x in item.items])
    if kind == "set":
        elements = [_value(x, True) for x in item.items]
        result = frozenset(elements)
        if len(result) != len(elements):
            _duplicate(item.items, elements, "set element")
        return result
    if kind == "tagged":
        return _tagged(item, hashable)
    target, _ = _unwrap_meta(item)
    return _value(target, hashable)


def _map_value(form: Form) -> dict[Any, Any]:
    items = form.items
    if len(items) % 2:
        raise ReadError(
            "a map needs an even number of forms (key value pairs)", position(items[-1])
        )
    keys = [_value(items[i], True) for i in range(0, len(items), 2)]
    result = {
        key: _value(items[i + 1]) for key, i in zip(keys, range(0, len(items), 2), strict=True)
    }
    if len(result) != len(keys):
        _duplicate(items[::2], keys, "map key")
    return result


def _duplicate(forms: list[Any], values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for form, value in zip(forms, values, strict=True):
        if value in seen:
            shown = str(form) if type(form) is Token else describe(form)
            raise ReadError(f"duplicate {what} {shown}", position(form))
        seen.add(value)


_TAGS: dict[str, Callable[[str, int], Any]] = {"inst": inst_value, "uuid": uuid_value}


def _tagged(form: Form, hashable: bool) -> Any:
    tag_token, value_item = form.items
    tag = str(tag_token)[1:]
    reader = _TAGS.get(tag)
    if reader is None:
        return Tagged(tag, _value(value_item, hashable))
    if type(value_item) is Form or value_item.type != "STRING":
        raise ReadError(
            f"#{tag} takes a string, found {describe(value_item)}", position(value_item)
        )
    return reader(string_value(value_item), value_item.start_pos)
