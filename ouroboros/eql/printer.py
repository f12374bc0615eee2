"""EDN printer: `to_edn` writes AST nodes, query data and result values as EDN text.

The contract is ``parse(to_edn(ast)) == ast`` for every AST the parser can produce. Values print
as EDN: ``dict`` → map, ``list``/``tuple``/`Ident` → vector, `EList` → list, ``set``/``frozenset`` →
set (elements sorted by their text, so the output is stable), `Keyword` → ``:ns/name``, `Symbol`,
``str`` (JSON-style escapes, which EDN reads), ``int``, ``float`` (``##Inf``, ``##NaN``), ``Decimal``
(``1.5M``), ``bool``, ``None`` → ``nil``, ``datetime``/``date`` → ``#inst "..."``, ``UUID`` →
``#uuid "..."``, `Tagged` → ``#tag value``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ouroboros.eql.ast import (
    OPTIONAL_PARAM,
    Call,
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
)
from ouroboros.errors import EQLError

__all__ = ["to_edn"]


def to_edn(value: Any) -> str:
    """Return the EDN text of an AST node, query data or a value; EQLError if not printable."""
    return _print(value)


def _print(value: Any) -> str:
    printer = _PRINTERS.get(type(value))
    if printer is not None:
        return printer(value)
    return _print_other(value)


# --- AST nodes -----------------------------------------------------------------------------


def _meta(meta: Mapping[Any, Any] | None) -> str:
    return f"^{_map(meta)} " if meta else ""


def _root(node: Root) -> str:
    return _meta(node.meta) + "[" + " ".join([_print(child) for child in node.children]) + "]"


def _key(key: Any, params: Mapping[Any, Any], bare: bool) -> str:
    """The text of a prop or join key with its params: ``:k``, ``(:k {..})``, ``(? :k)``."""
    text = _ident(key) if isinstance(key, tuple) else _keyword(key)
    if params:
        if len(params) == 1 and params.get(OPTIONAL_PARAM) is True:
            return f"(? {text})"
        return f"({text} {_map(params)})"
    return text if bare else f"({text})"


def _prop(node: Prop) -> str:
    if type(node.key) is Symbol:
        if node.params:
            raise EQLError("the wildcard * takes no parameters")
        return _meta(node.meta) + _symbol(node.key)
    # A keyword cannot carry metadata; a list around it can: ^{..} (:k)
    bare = not node.meta or type(node.key) is not Keyword
    return _meta(node.meta) + _key(node.key, node.params, bare)


def _subquery(node: Join | Call) -> str:
    children = node.children
    if children is None:
        return _print(node.query)
    if len(children) == 1 and type(children[0]) is Union:
        return _union(children[0])
    return "[" + " ".join([_print(child) for child in children]) + "]"


def _join(node: Join) -> str:
    return _meta(node.meta) + "{" + _key(node.key, node.params, True) + " " + _subquery(node) + "}"


def _union(node: Union) -> str:
    return "{" + ", ".join([_union_entry(entry) for entry in node.children]) + "}"


def _union_entry(entry: UnionEntry) -> str:
    return (
        _keyword(entry.union_key)
        + " ["
        + " ".join([_print(child) for child in entry.children])
        + "]"
    )


def _call(node: Call) -> str:
    if node.key in ("*", "...", "?"):
        raise EQLError(f"{node.key} is not a mutation name")
    name = _symbol(node.key)
    head = f"({name} {_map(node.params)})" if node.params else f"({name})"
    if node.children is None and node.query is None:
        return _meta(node.meta) + head
    return _meta(node.meta) + "{" + head + " " + _subquery(node) + "}"


# --- values --------------------------------------------------------------------------------

_NAME = re.compile(r"[^\s,;()\[\]{}\"\\^@`~:#'0-9][^\s,;()\[\]{}\"\\^@`~]*")
_KEYWORD_NAME = re.compile(r"[^\s,;()\[\]{}\"\\^@`~:][^\s,;()\[\]{}\"\\^@`~]*")
_checked: dict[str, str] = {}


def _keyword(value: str) -> str:
    text = _checked.get(value)
    if text is None:
        ns, sep, name = value.partition("/")
        good = bool(_KEYWORD_NAME.fullmatch(value)) and (
            not sep or (bool(ns) and bool(name) and "/" not in name)
        )
        if not good:
            raise EQLError(f"cannot print {value!r} as an EDN keyword")
        text = ":" + value
        if len(_checked) > 4096:
            _checked.clear()
        _checked[value] = text
    return text


def _symbol(value: str) -> str:
    if value == "/":
        return value
    ns, sep, name = value.partition("/")
    if (
        not _NAME.fullmatch(value)
        or value in ("true", "false", "nil")
        or re.match(r"[+-]?\.?[0-9]", value)
        or (sep and (not ns or not name or "/" in name))
    ):
        raise EQLError(f"cannot print {value!r} as an EDN symbol")
    return str(value)


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _int(value: int) -> str:
    return int.__repr__(value)


def _float(value: float) -> str:
    if math.isfinite(value):
        return float.__repr__(value)
    if math.isnan(value):
        return "##NaN"
    return "##Inf" if value > 0 else "##-Inf"


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise EQLError(f"cannot print {value!r} as EDN: only finite decimals have an M literal")
    return f"{value}M"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _none(value: None) -> str:
    return "nil"


def _map(value: Mapping[Any, Any]) -> str:
    return "{" + ", ".join([f"{_print(k)} {_print(v)}" for k, v in value.items()]) + "}"


def _vector(value: Any) -> str:
    return "[" + " ".join([_print(item) for item in value]) + "]"


def _ident(value: tuple[Any, ...]) -> str:
    return "[" + " ".join([_print(item) for item in value]) + "]"


def _elist(value: EList) -> str:
    return "(" + " ".join([_print(item) for item in value]) + ")"


def _set(value: Any) -> str:
    return "#{" + " ".join(sorted(_print(item) for item in value)) + "}"


def _inst(value: date) -> str:
    return f'#inst "{value.isoformat()}"'


def _uuid(value: UUID) -> str:
    return f'#uuid "{value}"'


def _tagged(value: Tagged) -> str:
    if value.tag in ("inst", "uuid") or not re.fullmatch(
        r"[a-zA-Z][^\s,;()\[\]{}\"\\^@`~]*", value.tag
    ):
        raise EQLError(f"cannot print the tag {value.tag!r} as EDN")
    return f"#{value.tag} {_print(value.value)}"


_PRINTERS: dict[type, Any] = {
    Root: _root,
    Prop: _prop,
    Join: _join,
    Call: _call,
    Union: _union,
    UnionEntry: lambda entry: "[" + " ".join([_print(c) for c in entry.children]) + "]",
    Keyword: _keyword,
    Symbol: _symbol,
    str: _string,
    int: _int,
    bool: _bool,
    float: _float,
    type(None): _none,
    Decimal: _decimal,
    dict: _map,
    list: _vector,
    tuple: _vector,
    Ident: _ident,
    EList: _elist,
    set: _set,
    frozenset: _set,
    datetime: _inst,
    date: _inst,
    UUID: _uuid,
    Tagged: _tagged,
}


def _print_other(value: Any) -> str:
    """Subclasses and other mappings/sequences, by the first matching base."""
    if isinstance(value, bool):
        return _bool(value)
    if isinstance(value, Keyword):
        return _keyword(value)
    if isinstance(value, Symbol):
        return _symbol(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Mapping):
        return _map(value)
    if isinstance(value, EList):
        return _elist(value)
    if isinstance(value, (list, tuple)):
        return _vector(value)
    if isinstance(value, (set, frozenset)):
        return _set(value)
    if isinstance(value, date):
        return _inst(value)
    raise EQLError(f"cannot print a {type(value).__name__} as EDN")
