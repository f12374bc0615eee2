"""Typed attributes: a registry of attribute name → Python type and doc, and value checks.

The registry feeds output validation (``Engine(validate=True)``) and, later, generated GraphQL
types and MCP JSON Schemas.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ouroboros.connect.shapes import keyword
from ouroboros.eql.ast import Keyword
from ouroboros.errors import RegistrationError

__all__ = ["AttributeRegistry", "AttributeSpec", "type_name"]


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """An attribute's declared type: ``AttributeSpec("user/age", int, doc="Age in years")``.

    ``type`` is a Python type, a union (``int | None``), a tuple of types, ``typing.Any`` or a
    shallow generic (``list[str]``). ``many=True`` means the value is a list/tuple/set of items of
    ``type`` (a join to many entities is ``AttributeSpec("user/friends", dict, many=True)``).
    """

    name: str
    type: Any
    doc: str = ""
    many: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", keyword(self.name))

    def check(self, value: Any) -> bool:
        """Return whether ``value`` fits this spec."""
        if self.many:
            if not isinstance(value, (list, tuple, set, frozenset)):
                return False
            return all(_fits(item, self.type) for item in value)
        return _fits(value, self.type)

    def describe(self) -> str:
        """Return the declared type as text: ``int``, ``list[str]``, ``many dict``."""
        text = type_name(self.type)
        return f"many {text}" if self.many else text


def type_name(tp: Any) -> str:
    """Return a readable name for a type annotation."""
    if isinstance(tp, type):
        return tp.__name__
    if isinstance(tp, tuple):
        return " | ".join(type_name(t) for t in tp)
    return str(tp).replace("typing.", "")


def _fits(value: Any, tp: Any) -> bool:
    if tp is Any or tp is object:
        return True
    if tp is None or tp is type(None):
        return value is None
    if isinstance(tp, type):
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return True
        if tp is int and isinstance(value, bool):
            return False
        return isinstance(value, tp)
    if isinstance(tp, tuple):
        return any(_fits(value, t) for t in tp)
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(_fits(value, t) for t in typing.get_args(tp))
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if isinstance(origin, type):
        if not isinstance(value, origin):
            return False
        value = cast(Any, value)
        args = typing.get_args(tp)
        if origin in (list, set, frozenset) and args:
            return all(_fits(v, args[0]) for v in value)
        if origin is tuple and args:
            if len(args) == 2 and args[1] is Ellipsis:
                return all(_fits(v, args[0]) for v in value)
            return len(args) == len(value) and all(map(_fits, value, args))
        if origin is dict and len(args) == 2:
            return all(_fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
        return True
    return True


class AttributeRegistry(Mapping[str, AttributeSpec]):
    """The attribute specs an engine knows: a read-only mapping attribute → ``AttributeSpec``."""

    def __init__(self, specs: Iterable[AttributeSpec] = ()) -> None:
        self._specs: dict[Keyword, AttributeSpec] = {}
        self._docs: dict[Keyword, str] = {}
        for spec in specs:
            self.add(spec)

    def document(self, attr: str, doc: str) -> None:
        """Record a one-line description of ``attr`` (the first one given is kept).

        Unlike a spec it declares no type, so any attribute (nested ones too) can have one.
        """
        if doc:
            self._docs.setdefault(keyword(attr), doc)

    def doc_of(self, attr: str) -> str:
        """Return ``attr``'s description: its spec's ``doc``, else one given to ``document``."""
        key = keyword(attr)
        spec = self._specs.get(key)
        return (spec.doc if spec is not None else "") or self._docs.get(key, "")

    @property
    def documented(self) -> frozenset[Keyword]:
        """Every attribute with a description."""
        return frozenset(a for a in (*self._specs, *self._docs) if self.doc_of(a))

    def add(self, spec: AttributeSpec) -> None:
        """Register ``spec``; raises ``RegistrationError`` if the name has a different spec."""
        if not isinstance(spec, AttributeSpec):
            raise RegistrationError(f"not an AttributeSpec: {spec!r}")
        key = keyword(spec.name)
        old = self._specs.get(key)
        if old is not None and (old.type != spec.type or old.many != spec.many):
            raise RegistrationError(
                f"attribute :{key} declared twice with different types: "
                f"{old.describe()} and {spec.describe()}"
            )
        if old is None or (spec.doc and not old.doc):
            self._specs[key] = spec

    def __getitem__(self, key: str) -> AttributeSpec:
        return self._specs[key]  # type: ignore[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def check_output(self, output: Mapping[Any, Any]) -> list[str]:
        """Return a message for each value of ``output`` that does not fit its spec."""
        problems = []
        specs = self._specs
        for attr, value in output.items():
            spec = specs.get(attr)
            if spec is not None and not spec.check(value):
                problems.append(
                    f":{attr} = {value!r:.60} ({type(value).__name__}) is not {spec.describe()}"
                )
        return problems

    def __repr__(self) -> str:
        return f"AttributeRegistry({sorted(self._specs)!r})"
