"""JSON wire form of EQL results, input entities, queries and ASTs (DESIGN §2).

Results (`result_to_json` / `result_from_json`):

=============================  =================================  ==============================
Python                         JSON                               back (`result_from_json`)
=============================  =================================  ==============================
``Keyword`` key ``user/name``  ``"user/name"`` (no colon)         `Keyword`
``Ident`` key                  its EDN text ``"[:user/id 1]"``    `Ident`
``Symbol`` key (a mutation)    ``"ns/op"``                        `Keyword` (equal to the text)
other keys                     ``str`` as is; others as EDN text  `Keyword` when a valid name,
                                                                  else the plain string
``Keyword``/``Symbol`` value   plain string, no colon             ``str``
``set``/``frozenset``/tuple    array                              ``list``
``datetime``/``date``          ISO 8601 string                    ``str``
``UUID``, ``Decimal``          string                             ``str``
``Tagged``                     its value                          the value
``float`` inf / nan            ``"Infinity"``, ``"-Infinity"``,   ``str``
                               ``"NaN"`` (not valid JSON numbers)
=============================  =================================  ==============================

So ``result_from_json(result_to_json(r)) == r`` holds for results whose values are JSON-faithful
(strings, numbers, booleans, None, lists and maps); keywords and sets as values come back as
strings and lists.

Queries (`query_from_json`) travel as EDN text (a JSON string), or as JSON query data: strings are
attribute names (``"user/name"``, ``":user/name"``; ``"*"`` is the wildcard), a 2-item array is an
ident, a one-entry object is a join (its value an array, a union object, ``"..."`` or a depth), and
an object with ``"key"`` or ``"mutation"`` carries params: ``{"key": "user/posts", "params":
{"limit": 10}, "query": [...]}`` or ``{"mutation": "user/create!", "params": {...}}``.

`ast_to_json` renders an AST for people and tools (``ouroboros parse``): each node an object with
``type``, ``key``, ``dispatch_key``, ``params``, ``children``, ``query``, ``meta``, keywords
written ``":ns/name"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from ouroboros.eql.ast import (
    Call,
    EList,
    Ident,
    Join,
    Keyword,
    Node,
    Prop,
    Root,
    Symbol,
    Tagged,
    Union,
    UnionEntry,
)
from ouroboros.eql.convert import query_to_ast
from ouroboros.eql.parser import parse
from ouroboros.eql.printer import to_edn
from ouroboros.eql.reader import MAX_DEPTH
from ouroboros.errors import EQLError, EQLSyntaxError

__all__ = [
    "ast_to_json",
    "entity_from_json",
    "key_to_json",
    "query_from_json",
    "result_from_json",
    "result_to_json",
]

_MAX_DEPTH = 512
_MAX_INPUT_DEPTH = MAX_DEPTH  # JSON data coming in (queries, entities): the EDN reader's limit


def _check_depth(value: Any, what: str) -> None:
    """Raise EQLError when ``value`` nests arrays and objects deeper than ``_MAX_INPUT_DEPTH``.

    Iterative, so data nested far deeper than the interpreter's recursion limit is refused
    before any recursive conversion sees it.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > _MAX_INPUT_DEPTH:
            raise EQLError(f"{what} nests deeper than {_MAX_INPUT_DEPTH} levels")
        if isinstance(current, Mapping):
            stack.extend((v, depth + 1) for v in current.values())
        elif isinstance(current, list):
            stack.extend((v, depth + 1) for v in current)


# --- results -------------------------------------------------------------------------------


def result_to_json(data: Any) -> Any:
    """Return JSON-compatible data for a result (see the table in the module docstring)."""
    try:
        return _to_json(data, 0)
    except RecursionError:  # below _MAX_DEPTH, but deeper than the stack left to us
        raise EQLError("the result nests too deeply to encode") from None


def _to_json(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise EQLError(f"the result nests deeper than {_MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        return str(value)  # Keyword and Symbol values lose their type: plain strings
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {_key_to_json(k): _to_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(item, depth + 1) for item in value]
    if isinstance(value, (set, frozenset)):
        items = [_to_json(item, depth + 1) for item in value]
        try:
            return sorted(items)  # a set has no order: give JSON a stable one where there is one
        except TypeError:
            return items
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, Tagged):
        return _to_json(value.value, depth + 1)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    # Anything else a resolver returned (a Path, an enum, ...) travels as its text rather than
    # failing the whole response.
    return str(value)


def key_to_json(key: Any) -> str:
    """Return a result-map key as a JSON object key: ``"ns/name"``, or an ident's EDN text."""
    return _key_to_json(key)


def _key_to_json(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    try:
        if isinstance(key, tuple):
            return to_edn(key if isinstance(key, Ident) or not _is_ident_like(key) else Ident(*key))
        return to_edn(key)
    except EQLError:
        # A key with no EDN text (an empty keyword inside a tuple, a non-finite decimal, an
        # object a resolver made up): every result must still encode, so it travels as the
        # JSON text of its encoded value, which `result_from_json` reads back as a plain string.
        encoded = _to_json(key, 0)
        if isinstance(encoded, str):
            return encoded
        return json.dumps(encoded, ensure_ascii=False, allow_nan=False, sort_keys=True)


def _is_ident_like(key: tuple[Any, ...]) -> bool:
    return len(key) == 2 and isinstance(key[0], str) and not isinstance(key, EList)


def result_from_json(data: Any) -> Any:
    """Return result data from its JSON form: string keys → `Keyword`, ``"[...]"`` keys → `Ident`.

    Raises EQLError for data nested deeper than the EDN reader's ``MAX_DEPTH``.
    """
    _check_depth(data, "the data")
    return _from_json(data, 0)


def _from_json(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise EQLError(f"the data nests deeper than {_MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        return {_key_from_json(k): _from_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(item, depth + 1) for item in value]
    return value


def _key_from_json(key: Any) -> Any:
    if not isinstance(key, str):
        return key
    if key.startswith("[") and key.endswith("]"):
        try:
            root = parse(f"[{key}]")
        except EQLSyntaxError:
            return key
        (node,) = root.children
        if isinstance(node, Prop) and isinstance(node.key, Ident):
            return node.key
        return key
    return _keyword_or_str(key)


_keywords: dict[str, Any] = {}


def _keyword_or_str(text: str) -> Any:
    found = _keywords.get(text)
    if found is None:
        name = text[1:] if text.startswith(":") else text
        try:
            to_edn(Keyword(name))
            found = Keyword(name)
        except EQLError:
            found = text
        if len(_keywords) > 4096:
            _keywords.clear()
        _keywords[text] = found
    return found


def entity_from_json(obj: Any) -> dict[Any, Any]:
    """Return an input entity from JSON: an object keyed by attribute names (or ident texts).

    Raises EQLError when ``obj`` is not an object or a key is not an attribute name.
    """
    if not isinstance(obj, Mapping):
        raise EQLError(f"an entity must be a JSON object, found {type(obj).__name__}")
    _check_depth(obj, "the entity")
    entity = result_from_json(obj)
    for key in entity:
        if not isinstance(key, (Keyword, Ident)):
            raise EQLError(f"an entity key must be an attribute name like 'user/id', found {key!r}")
    return entity


# --- queries -------------------------------------------------------------------------------


def query_from_json(value: Any) -> Root:
    """Return the AST of a query sent as JSON: EDN text, or JSON query data.

    Raises EQLSyntaxError for bad EDN text and EQLError for bad query data (including data
    nested deeper than the EDN reader's ``MAX_DEPTH``).
    """
    if isinstance(value, str):
        return parse(value)
    if not isinstance(value, list):
        raise EQLError(
            f"a query must be EDN text or a JSON array of attributes, found {type(value).__name__}"
        )
    _check_depth(value, "the query")
    return query_to_ast([_query_item(item, [index]) for index, item in enumerate(value)])


def _query_item(item: Any, path: list[Any]) -> Any:
    if isinstance(item, str):
        return Symbol("*") if item == "*" else item
    if isinstance(item, list):
        if len(item) == 2 and isinstance(item[0], str):
            return Ident(item[0].removeprefix(":"), _params_value(item[1]))
        raise EQLError(f"an ident is a 2-item array [attribute, value] (at {path})", path=path)
    if isinstance(item, Mapping):
        if ("key" in item or "mutation" in item) and set(item) <= {
            "key",
            "mutation",
            "params",
            "query",
        }:
            return _param_item(item, path)
        if len(item) != 1:
            raise EQLError(f"a join is an object with exactly one entry (at {path})", path=path)
        ((key, sub),) = item.items()
        return {_join_key(key): _subquery(sub, [*path, key])}
    return item


def _join_key(key: str) -> Any:
    if key.startswith("[") and key.endswith("]"):
        parsed = _key_from_json(key)
        if isinstance(parsed, Ident):
            return parsed
    return key


def _subquery(sub: Any, path: list[Any]) -> Any:
    if isinstance(sub, list):
        return [_query_item(item, [*path, index]) for index, item in enumerate(sub)]
    if isinstance(sub, Mapping):
        return {key: _subquery(branch, [*path, key]) for key, branch in sub.items()}
    if sub == "...":
        return Symbol("...")
    return sub


def _param_item(item: Mapping[str, Any], path: list[Any]) -> Any:
    params = item.get("params", {})
    if not isinstance(params, Mapping):
        raise EQLError(f"params must be a JSON object (at {path})", path=path)
    converted = {_keyword_or_str(k): _params_value(v) for k, v in params.items()}
    if "mutation" in item:
        name = Symbol(item["mutation"])
        if "query" in item:
            return EList(({name: _subquery(item["query"], path)}, converted))
        return EList((name, converted))
    key = _join_key(item["key"]) if isinstance(item["key"], str) else item["key"]
    if isinstance(key, list):
        key = _query_item(key, path)
    if "query" in item:
        return EList(({key: _subquery(item["query"], path)}, converted))
    return EList((key, converted))


def _params_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_keyword_or_str(k): _params_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_params_value(v) for v in value]
    return value


# --- the AST as JSON -----------------------------------------------------------------------


def ast_to_json(node: Node) -> dict[str, Any]:
    """Return a JSON object for an AST node: type, key, dispatch_key, params, children, query, meta."""
    out: dict[str, Any] = {"type": node.type}
    if isinstance(node, (Prop, Join, Call)):
        out["key"] = _edn_json(node.key)
        out["dispatch_key"] = _edn_json(node.dispatch_key)
        out["params"] = _edn_json(node.params)
    if isinstance(node, UnionEntry):
        out["union_key"] = _edn_json(node.union_key)
    if isinstance(node, (Join, Call, Union, UnionEntry)) and node.query is not None:
        out["query"] = _edn_json(node.query)
    children = getattr(node, "children", None)
    if children is not None and not isinstance(node, Prop):
        out["children"] = [ast_to_json(child) for child in children]
    meta = getattr(node, "meta", None)
    if meta:
        out["meta"] = _edn_json(meta)
    return out


def _edn_json(value: Any) -> Any:
    """Values in the AST JSON: keywords as ":ns/name", other EDN-only values as strings."""
    if isinstance(value, Keyword):
        return f":{value}"
    if isinstance(value, Symbol):
        return str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else to_edn(value)
    if isinstance(value, Mapping):
        return {
            (f":{k}" if isinstance(k, Keyword) else k if isinstance(k, str) else to_edn(k)): (
                _edn_json(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_edn_json(item) for item in value]
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Tagged):
        return {"tag": value.tag, "value": _edn_json(value.value)}
    return str(value)
