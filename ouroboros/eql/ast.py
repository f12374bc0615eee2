"""EQL AST: keywords, symbols, idents and the frozen node classes of the EQL spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

__all__ = [
    "EMPTY_PARAMS",
    "Call",
    "ChildNode",
    "EList",
    "Ident",
    "Join",
    "Keyword",
    "Node",
    "Prop",
    "Root",
    "Symbol",
    "Tagged",
    "Union",
    "UnionEntry",
    "is_ident",
    "is_wildcard",
]


class Keyword(str):
    """An EDN keyword, without its colon: ``Keyword("user/name") == "user/name"``.

    A ``str`` subclass that neither overrides ``__eq__`` nor ``__hash__``, so it is equal and
    hash-equal to the plain string, and result maps keyed by keywords answer plain-string lookups.
    """

    __slots__ = ()

    @property
    def namespace(self) -> str | None:
        """The part before the ``/`` (``None`` for a simple keyword like ``:a``)."""
        ns, sep, _ = self.rpartition("/")
        return ns if sep and ns else None

    @property
    def name(self) -> str:
        """The part after the ``/`` (the whole keyword when it has no namespace)."""
        ns, sep, nm = self.rpartition("/")
        return nm if sep and ns else str(self)

    def __repr__(self) -> str:
        return f"Keyword({str.__repr__(self)})"


class Symbol(str):
    """An EDN symbol (``...``, ``*``, ``ns/op!``); equal to the plain string like ``Keyword``."""

    __slots__ = ()

    @property
    def namespace(self) -> str | None:
        ns, sep, _ = self.rpartition("/")
        return ns if sep and ns else None

    @property
    def name(self) -> str:
        ns, sep, nm = self.rpartition("/")
        return nm if sep and ns else str(self)

    def __repr__(self) -> str:
        return f"Symbol({str.__repr__(self)})"


class Ident(tuple):
    """An ident ``[:user/id 1]``: a 2-tuple ``(Keyword, value)`` equal to the plain tuple.

    Result maps are keyed by idents, so ``result[("user/id", 1)]`` works.
    """

    __slots__ = ()

    def __new__(cls, attr: str, value: Any) -> Ident:
        key = attr if isinstance(attr, Keyword) else Keyword(attr)
        return tuple.__new__(cls, (key, value))

    @property
    def attr(self) -> Keyword:
        return self[0]

    @property
    def value(self) -> Any:
        return self[1]

    def __repr__(self) -> str:
        return f"Ident({self[0]!r}, {self[1]!r})"

    def __getnewargs__(self) -> tuple[Any, Any]:  # pickling and copy
        return (self[0], self[1])


class EList(tuple):
    """An EDN list ``( ... )`` as a value (inside params); a tuple, printed with parentheses."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"EList({tuple.__repr__(self)})"


@dataclass(frozen=True, slots=True)
class Tagged:
    """An EDN tagged value other than ``#inst`` / ``#uuid`` (kept as tag + value)."""

    tag: str
    value: Any


EMPTY_PARAMS: Mapping[Any, Any] = {}


def is_ident(key: Any) -> bool:
    """Return whether ``key`` is an ident (a 2-tuple whose first item is a keyword)."""
    return isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], Keyword)


def is_wildcard(key: Any) -> bool:
    """Return whether ``key`` is the wildcard symbol ``*``."""
    return type(key) is Symbol and key == "*"


# --- nodes ---------------------------------------------------------------------------------
#
# Field names follow the EQL spec (``:type :key :dispatch-key :params :query :children :meta
# :union-key``). Nodes are frozen; children are tuples. ``params`` is always a mapping (empty when
# the query had none) and is compared by value. ``query`` keeps the sub-query as query data (see
# ``ouroboros.eql.convert``) the way the spec does; ``meta`` is the EDN metadata map or None.


@dataclass(frozen=True, kw_only=True, slots=True)
class Prop:
    """A property ``:a``, an ident ``[:a 1]``, or the wildcard ``*`` (key is ``Symbol("*")``)."""

    type: ClassVar[str] = "prop"
    key: Keyword | Ident | Symbol
    dispatch_key: Keyword | Symbol
    params: Mapping[Any, Any] = field(default_factory=dict)
    meta: Mapping[Any, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class UnionEntry:
    """One branch of a union: ``union_key`` selects it, ``children`` is its query."""

    type: ClassVar[str] = "union-entry"
    union_key: Keyword
    query: Any
    children: tuple[ChildNode, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Union:
    """The single child of a union join; ``children`` are its entries."""

    type: ClassVar[str] = "union"
    query: Any
    children: tuple[UnionEntry, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Join:
    """A join ``{:k [...]}``. Recursion: ``query`` is ``Symbol("...")`` or an int, children None.

    A union join has ``children == (Union(...),)``.
    """

    type: ClassVar[str] = "join"
    key: Keyword | Ident
    dispatch_key: Keyword
    query: Any
    children: tuple[ChildNode | Union, ...] | None = ()
    params: Mapping[Any, Any] = field(default_factory=dict)
    meta: Mapping[Any, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Call:
    """A mutation ``(ns/op {...})``; a mutation join also has ``query`` and ``children``."""

    type: ClassVar[str] = "call"
    key: Symbol
    dispatch_key: Symbol
    params: Mapping[Any, Any] = field(default_factory=dict)
    query: Any = None
    children: tuple[ChildNode, ...] | None = None
    meta: Mapping[Any, Any] | None = None


ChildNode: TypeAlias = Prop | Join | Call


@dataclass(frozen=True, kw_only=True, slots=True)
class Root:
    """The query vector: its ``children`` are props, joins and calls."""

    type: ClassVar[str] = "root"
    children: tuple[ChildNode, ...] = ()
    meta: Mapping[Any, Any] | None = None


Node: TypeAlias = Root | Prop | Join | Union | UnionEntry | Call


OPTIONAL_PARAM = Keyword("ouroboros/optional?")
"""The param ``(? :a)`` sets: ``(:a {:ouroboros/optional? true})`` (an optional attribute)."""
