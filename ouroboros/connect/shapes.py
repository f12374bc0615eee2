"""Shapes: the attribute trees a resolver needs and provides, read from EQL text or Python data.

A shape is Pathom's *shape descriptor*: attribute → sub-shape (empty for a scalar), plus the set
of attributes that are optional at that level. ``[:user/id {:user/friends [:user/name]}]`` reads
as ``{user/id: {}, user/friends: {user/name: {}}}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ouroboros.eql.ast import EList, Join, Keyword, Prop, Root, Symbol, Union

__all__ = ["EMPTY", "OPTIONAL_KEY", "RECURSIVE", "Shape", "attr_text", "keyword", "read_shape"]

OPTIONAL_KEY = Keyword("ouroboros/optional?")
"""The param that marks an attribute optional: ``(? :user/x)`` is ``(:user/x {OPTIONAL_KEY true})``."""


def keyword(name: Any) -> Keyword:
    """Return ``name`` as a Keyword, accepting ``"user/id"``, ``":user/id"`` or a Keyword."""
    if isinstance(name, Keyword):
        return name
    if isinstance(name, str):
        return Keyword(name[1:] if name.startswith(":") else name)
    raise TypeError(f"an attribute name must be a string, not {type(name).__name__}: {name!r}")


def attr_text(attr: Any) -> str:
    """Return an attribute as EDN text, ``:user/id``."""
    return f":{attr}"


class Shape(Mapping[Keyword, "Shape"]):
    """An immutable attribute tree: a mapping attr → sub-shape, with ``optional`` attributes.

    ``recursive``: the sub-shape of a recursive join (``{:children ...}``), meaning "the
    enclosing shape again" at every level down (``RECURSIVE``).
    """

    __slots__ = ("_fields", "_optionals", "_required", "optional", "recursive")

    def __init__(
        self,
        fields: Mapping[Keyword, Shape] | None = None,
        optional: Iterable[str] = (),
        recursive: bool = False,
    ) -> None:
        self._fields: dict[Keyword, Shape] = dict(fields or {})
        self.optional: frozenset[Keyword] = frozenset(keyword(a) for a in optional)
        self.recursive = recursive
        # Read on every planning step and resolver call: computed once (shapes never change).
        self._required = tuple(a for a in self._fields if a not in self.optional)
        self._optionals = tuple(a for a in self._fields if a in self.optional)

    def __bool__(self) -> bool:
        return bool(self._fields) or self.recursive

    def __getitem__(self, key: Keyword) -> Shape:
        return self._fields[key]

    def __iter__(self) -> Iterator[Keyword]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __hash__(self) -> int:
        return hash((frozenset(self._fields.items()), self.optional, self.recursive))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Shape):
            return (
                self._fields == other._fields
                and self.optional == other.optional
                and self.recursive == other.recursive
            )
        return NotImplemented

    @property
    def required(self) -> tuple[Keyword, ...]:
        """The attributes at this level that are not optional, in declaration order."""
        return self._required

    @property
    def optionals(self) -> tuple[Keyword, ...]:
        """The optional attributes at this level, in declaration order."""
        return self._optionals

    def merge(self, other: Shape) -> Shape:
        """Return the union of two shapes (an attribute required in either stays required)."""
        fields = dict(self._fields)
        for attr, sub in other._fields.items():
            fields[attr] = fields[attr].merge(sub) if attr in fields else sub
        optional = (self.optional | other.optional) - (
            {a for a in self._fields if a not in self.optional}
            | {a for a in other._fields if a not in other.optional}
        )
        return Shape(fields, optional, self.recursive or other.recursive)

    def to_query(self) -> list[Any]:
        """Return the shape as Python query data (``["user/id", {"user/friends": [...]}]``)."""
        out: list[Any] = []
        for attr, sub in self._fields.items():
            item: Any = {attr: _RECURSE if sub.recursive else sub.to_query()} if sub else attr
            if attr in self.optional:
                item = EList((item, {OPTIONAL_KEY: True}))
            out.append(item)
        return out

    def to_edn(self) -> str:
        """Return the shape as EQL text: ``[:user/id {:user/friends [:user/name]} (? :x)]``."""
        parts = []
        for attr, sub in self._fields.items():
            inner = "..." if sub.recursive else sub.to_edn()
            text = f"{{{attr_text(attr)} {inner}}}" if sub else attr_text(attr)
            parts.append(f"(? {text})" if attr in self.optional else text)
        return "[" + " ".join(parts) + "]"

    def __repr__(self) -> str:
        return f"Shape({self.to_edn()})"


EMPTY = Shape()
RECURSIVE = Shape(recursive=True)
"""The sub-shape of ``{:a ...}``: the enclosing shape again, all the way down."""
_RECURSE = Symbol("...")


def read_shape(spec: Any) -> Shape:
    """Return the shape of ``spec``: EQL text, a ``Root``, a ``Shape`` or a list of attributes.

    Raises ``TypeError`` / ``ValueError`` (or ``EQLSyntaxError`` for text) on a bad declaration.
    """
    if spec is None:
        return EMPTY
    if isinstance(spec, Shape):
        return spec
    if isinstance(spec, str):
        from ouroboros.eql import parse

        return _from_ast(parse(spec).children)
    if isinstance(spec, Root):
        return _from_ast(spec.children)
    if isinstance(spec, (list, tuple)) and not isinstance(spec, EList):
        return _from_data(spec)
    raise TypeError(f"expected EQL text or a list of attributes, got {type(spec).__name__}")


def _from_ast(children: Iterable[Any]) -> Shape:
    fields: dict[Keyword, Shape] = {}
    optional: set[Keyword] = set()
    for node in children:
        if isinstance(node, Prop):
            if isinstance(node.key, Symbol) or not isinstance(node.key, Keyword):
                raise ValueError(f"only attributes belong in a shape, not {node.key!r}")
            sub = EMPTY
        elif isinstance(node, Join):
            if not isinstance(node.key, Keyword):
                raise ValueError(f"only attributes belong in a shape, not {node.key!r}")
            sub = RECURSIVE if node.children is None else EMPTY
            for child in node.children or ():
                if isinstance(child, Union):
                    for entry in child.children:
                        sub = sub.merge(_from_ast(entry.children))
                else:
                    sub = sub.merge(_from_ast([child]))
        else:
            raise ValueError(f"only attributes and joins belong in a shape, not {node!r}")
        key = node.key
        fields[key] = fields[key].merge(sub) if key in fields else sub
        if node.params.get(OPTIONAL_KEY):
            optional.add(key)
    return Shape(fields, optional)


def _from_data(items: Iterable[Any]) -> Shape:
    fields: dict[Keyword, Shape] = {}
    optional: set[Keyword] = set()
    for item in items:
        is_optional = False
        if isinstance(item, tuple) and len(item) == 2 and item[0] == "?":  # (? :a)
            is_optional = True
            item = item[1]
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Mapping):
            is_optional = bool(item[1].get(OPTIONAL_KEY))
            item = item[0]
        if isinstance(item, Mapping):
            if len(item) != 1:
                raise ValueError(f"a join must have exactly one entry: {item!r}")
            ((key, sub_items),) = item.items()
            attr = keyword(key)
            sub = RECURSIVE if sub_items == "..." else _from_data(sub_items)
        else:
            attr = keyword(item)
            sub = EMPTY
        fields[attr] = fields[attr].merge(sub) if attr in fields else sub
        if is_optional:
            optional.add(attr)
    return Shape(fields, optional)
