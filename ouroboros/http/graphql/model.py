"""The GraphQL schema as data, derived from the attribute index, the attribute specs and tools.

- **Query**: one field per *global* attribute (reachable from nothing), qualified
  (``git__commits``), with the params its resolvers declare as arguments plus a catch-all
  ``params: JSON``; one *ident entry point* per namespace whose attributes some resolver takes
  as its only input (``entity(name: "Alice")`` for ``[:entity/name "Alice"]``).
- **Object types**: a type per set of attributes an entity starts with (an ident namespace, or
  the attributes a join's output declares); its fields are every attribute reachable from that
  set (globals excepted), so the index's reachability is the type system. A join attribute
  (declared with a sub-shape) is an object (list) field; other attributes are scalars typed
  from the attribute specs (``int`` → Int, ``str`` → String, ``float`` → Float, ``bool`` →
  Boolean, anything else → JSON).
- **Mutation**: one field per enabled tool (``memory_set(key: ..., value: ...)``), typed from
  the tool's input JSON Schema (or ``arguments: JSON``), returning the tool result as JSON.

Names follow ``names.py``; collisions raise ``NameCollisionError`` while the model is built.
"""

from __future__ import annotations

import logging
import types
import typing
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ouroboros.connect.shapes import Shape
from ouroboros.eql import Keyword
from ouroboros.http.graphql.names import (
    NameTable,
    encode,
    graphql_name,
    is_graphql_name,
    pascal_case,
)

__all__ = ["ArgSpec", "FieldSpec", "SchemaModel", "TypeSpec", "build_model"]

log = logging.getLogger(__name__)

JSON = "JSON"
PARAMS_ARG = "params"


@dataclass(frozen=True)
class ArgSpec:
    """A GraphQL argument: its name, what it stands for (a param or an ident attribute), type."""

    name: str
    target: str
    type: str = JSON
    required: bool = False


@dataclass
class FieldSpec:
    """One GraphQL field: the attribute (or tool) behind it and how its value is typed."""

    name: str
    python_name: str
    kind: str  # "attribute" | "ident" | "tool"
    attr: Keyword | None = None
    object_type: str | None = None
    scalar: str = JSON
    many: bool = False
    wrap_single: bool = False
    args: tuple[ArgSpec, ...] = ()
    catch_all_params: bool = False
    doc: str = ""
    tool: str | None = None
    tool_arguments_json: bool = False

    @property
    def uses_placeholder(self) -> bool:
        """Fields with arguments compile into their own placeholder (``:>/<response key>``)."""
        return self.kind == "attribute" and (bool(self.args) or self.catch_all_params)


@dataclass
class TypeSpec:
    """One GraphQL object type: its home namespace and fields by GraphQL name."""

    name: str
    home: str | None
    available: frozenset[Keyword]
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    doc: str = ""


@dataclass
class SchemaModel:
    """Every type of the generated schema, plus lookups the executor needs."""

    types: dict[str, TypeSpec]
    query: TypeSpec
    mutation: TypeSpec | None
    python_attrs: dict[str, Keyword]
    wrap_single: frozenset[str]
    skipped: list[str]


class _Builder:
    def __init__(self, engine: Any, tools: Any) -> None:
        self.engine = engine
        self.index = engine.index
        self.specs = engine.attributes
        self.tools = tools
        self.types: dict[str, TypeSpec] = {}
        self.by_available: dict[frozenset[Keyword], TypeSpec] = {}
        self.python_attrs: dict[str, Keyword] = {}
        self.wrap: set[str] = set()
        self.skipped: set[str] = set()
        self.shapes: dict[Keyword, Shape] = {}
        self._reach: dict[frozenset[Keyword], frozenset[Keyword]] = {}
        self._counter = 0
        for r in self.index.resolvers.values():
            self._collect(r.output)
        self.globals = self.reach(frozenset())

    def _collect(self, shape: Shape) -> None:
        for attr, sub in shape.items():
            if sub:
                old = self.shapes.get(attr)
                self.shapes[attr] = old.merge(sub) if old is not None else sub
                self._collect(sub)

    def reach(self, available: frozenset[Keyword]) -> frozenset[Keyword]:
        hit = self._reach.get(available)
        if hit is None:
            hit = self.index.reachable(available)
            self._reach[available] = hit
        return hit

    def python_name(self, attr: Keyword | None) -> str:
        self._counter += 1
        name = f"f{self._counter}"
        if attr is not None:
            self.python_attrs[name] = attr
        return name

    # -- types ------------------------------------------------------------------------

    def type_name(self, suggested: str) -> str:
        name = pascal_case(suggested)
        if name in ("Query", "Mutation", "Subscription", "JSON") or name in self.types:
            n = 2
            while f"{name}{n}" in self.types:
                n += 1
            name = f"{name}{n}"
        return name

    def object_type(
        self, available: frozenset[Keyword], suggested: str, home: str | None
    ) -> TypeSpec:
        found = self.by_available.get(available)
        if found is not None:
            return found
        spec = TypeSpec(name=self.type_name(suggested), home=home, available=available)
        self.types[spec.name] = spec
        self.by_available[available] = spec
        table = NameTable(f"type {spec.name}")
        attrs = (self.reach(available) - self.globals) | available
        for attr in sorted(attrs):
            fspec = self.attribute_field(attr, home)
            if fspec is None:
                continue
            table.claim(fspec.name, f":{attr}")
            spec.fields[fspec.name] = fspec
        if not spec.fields:
            fspec = FieldSpec(name="_empty", python_name=self.python_name(None), kind="none")
            spec.fields["_empty"] = fspec
        return spec

    def attribute_field(
        self, attr: Keyword, home: str | None, *, root: bool = False
    ) -> FieldSpec | None:
        name = graphql_name(attr, None if root else home)
        if name is None:
            if attr not in self.skipped:
                self.skipped.add(attr)
                log.info("attribute :%s has no GraphQL name; reach it through /eql", attr)
            return None
        sub = self.shapes.get(attr)
        spec = self.specs.get(attr)
        doc = self.specs.doc_of(attr)
        if not doc:
            providers = self.index.providers.get(attr, ())
            doc = next((r.doc.splitlines()[0] for r in providers if r.doc), "")
        args = self.param_args(attr)
        fspec = FieldSpec(
            name=name,
            python_name=self.python_name(attr),
            kind="attribute",
            attr=attr,
            args=args,
            catch_all_params=root,
            doc=doc,
        )
        if sub:
            available = frozenset(sub)
            sub_home = _home_namespace(available)
            target = self.object_type(available, str(attr), sub_home)
            fspec.object_type = target.name
            many = _join_many(spec)
            fspec.many = many is not False
            fspec.wrap_single = many is None
            if fspec.wrap_single:
                self.wrap.add(fspec.python_name)
        else:
            fspec.scalar, fspec.many = _scalar_of(spec)
        return fspec

    def param_args(self, attr: Keyword) -> tuple[ArgSpec, ...]:
        table = NameTable(f"arguments of :{attr}")
        args: dict[str, ArgSpec] = {}
        for r in self.index.providers.get(attr, ()):
            for param in r.params:
                name = encode(str(param)) if "/" not in param else graphql_name(param)
                if name is None or name == PARAMS_ARG:
                    continue
                table.claim(name, f":{param}")
                scalar, many = _scalar_of(self.specs.get(param))
                args[name] = ArgSpec(name=name, target=str(param), type=_list_of(scalar, many))
        return tuple(args.values())

    # -- roots ------------------------------------------------------------------------

    def query(self) -> TypeSpec:
        query = TypeSpec(name="Query", home=None, available=frozenset())
        table = NameTable("type Query")
        # Ident entry points first, so entity types get their namespace's name.
        idents: dict[str, list[Keyword]] = {}
        for inputs in self.index.io:
            if len(inputs) == 1:
                (attr,) = inputs
                ns = attr.namespace
                if ns and attr not in self.globals and graphql_name(attr, ns):
                    idents.setdefault(ns, []).append(attr)
        for ns in sorted(idents):
            attrs = sorted(set(idents[ns]))
            name = encode(ns)
            if name is None:
                continue
            target = self.object_type(frozenset(attrs), ns, ns)
            args = []
            for attr in attrs:
                arg_name = graphql_name(attr, ns)
                assert arg_name is not None
                scalar, _ = _scalar_of(self.specs.get(attr))
                args.append(
                    ArgSpec(name=arg_name, target=str(attr), type=scalar, required=len(attrs) == 1)
                )
            table.claim(name, f"the ident entry point of {', '.join(':' + a for a in attrs)}")
            query.fields[name] = FieldSpec(
                name=name,
                python_name=self.python_name(None),
                kind="ident",
                object_type=target.name,
                args=tuple(args),
                doc=f"The entity with the given {' or '.join(':' + a for a in attrs)}.",
            )
        for attr in sorted(self.globals):
            fspec = self.attribute_field(attr, None, root=True)
            if fspec is None:
                continue
            table.claim(fspec.name, f":{attr}")
            query.fields[fspec.name] = fspec
        return query

    def mutation(self) -> TypeSpec | None:
        if self.tools is None:
            return None
        mutation = TypeSpec(name="Mutation", home=None, available=frozenset())
        table = NameTable("type Mutation")
        for tool in self.tools:
            name = tool.name.replace("-", "_")
            if not is_graphql_name(name):
                self.skipped.add(f"tool {tool.name}")
                continue
            table.claim(name, f"tool {tool.name!r}")
            args, as_json = _tool_args(tool.input_schema)
            mutation.fields[name] = FieldSpec(
                name=name,
                python_name=self.python_name(None),
                kind="tool",
                tool=tool.name,
                args=args,
                tool_arguments_json=as_json,
                doc=(tool.description or "").strip(),
            )
        return mutation if mutation.fields else None


def build_model(engine: Any, tools: Any = None) -> SchemaModel:
    """Return the schema model of ``engine``'s index and ``tools`` (a ToolRegistry or None).

    Raises NameCollisionError when two attributes or tools map to one GraphQL name in a type.
    """
    b = _Builder(engine, tools)
    query = b.query()
    mutation = b.mutation()
    return SchemaModel(
        types=b.types,
        query=query,
        mutation=mutation,
        python_attrs=b.python_attrs,
        wrap_single=frozenset(b.wrap),
        skipped=sorted(b.skipped),
    )


# --- typing ----------------------------------------------------------------------------

_SCALARS: dict[Any, str] = {int: "Int", float: "Float", str: "String", bool: "Boolean"}


def _scalar_of(spec: Any) -> tuple[str, bool]:
    """Return ``(GraphQL scalar, is list)`` for an attribute spec (JSON when unknown)."""
    if spec is None:
        return JSON, False
    tp = spec.type
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        rest = [t for t in typing.get_args(tp) if t is not type(None)]
        tp = rest[0] if len(rest) == 1 else Any
    scalar = _SCALARS.get(tp, JSON)
    return scalar, bool(spec.many) and scalar != JSON


def _list_of(scalar: str, many: bool) -> str:
    return f"[{scalar}]" if many else scalar


def _join_many(spec: Any) -> bool | None:
    """Return whether a join holds many entities: True, False, or None (unknown → a list)."""
    if spec is None:
        return None
    if spec.many:
        return True
    tp = spec.type
    origin = typing.get_origin(tp) or tp
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (dict, Mapping) or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return False
    return None


def _home_namespace(attrs: frozenset[Keyword]) -> str | None:
    counts = Counter(a.namespace for a in attrs if a.namespace)
    if not counts:
        return None
    best = max(counts.values())
    return min(ns for ns, c in counts.items() if c == best)


_JSON_SCHEMA_SCALARS = {
    "string": "String",
    "integer": "Int",
    "number": "Float",
    "boolean": "Boolean",
}


def _tool_args(schema: Mapping[str, Any]) -> tuple[tuple[ArgSpec, ...], bool]:
    props = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    if not all(is_graphql_name(p) for p in props):
        return (ArgSpec(name="arguments", target="", type=JSON),), True
    args = []
    for prop, sub in props.items():
        scalar = JSON
        if isinstance(sub, Mapping):
            kind = sub.get("type")
            if isinstance(kind, str):
                scalar = _JSON_SCHEMA_SCALARS.get(kind, JSON)
        args.append(ArgSpec(name=prop, target=prop, type=scalar, required=prop in required))
    return tuple(args), False
