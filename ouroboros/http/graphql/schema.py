"""The Strawberry schema built at run time from a ``SchemaModel``, and how it executes.

An operation runs through the engine **once**: the first Query root field to resolve compiles
the whole operation (``compile.py``) and awaits ``engine.process_async``; every root field then
picks its part of that one result, and nested fields read the result's dicts directly through
the schema's default resolver (a field's python name maps to its attribute). Only fields with
arguments have a (tiny) resolver of their own, to read their placeholder. Tools run as
mutations through the tool registry, with the request's caller, so their scopes apply.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule
from strawberry import Info
from strawberry.annotation import StrawberryAnnotation
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver
from strawberry.types.unset import UNSET

import ouroboros.errors as errors_module
from ouroboros.eql import Ident, result_to_json, to_edn
from ouroboros.errors import OuroborosError
from ouroboros.http.graphql.compile import compile_operation, placeholder_key
from ouroboros.http.graphql.cost import CostLimits
from ouroboros.http.graphql.model import ArgSpec, FieldSpec, SchemaModel, TypeSpec
from ouroboros.http.graphql.validation import DocumentChecker, OffLoopValidation

__all__ = ["GraphQLLimits", "ReportedError", "build_schema"]

log = logging.getLogger(__name__)

EQL_TASK = "ouroboros.eql_task"


class ReportedError(OuroborosError):
    """An error reported as data (a tool envelope's ``error``), raised again with its shape."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(
            str(error.get("message", "error")),
            path=error.get("path"),
            details=error.get("details"),
        )
        self._type = str(error.get("type", "OuroborosError"))
        known = getattr(errors_module, self._type, None)
        if isinstance(known, type) and issubclass(known, OuroborosError):
            self.http_status = known.http_status  # type: ignore[misc]

    @property
    def type(self) -> str:
        return self._type


class GraphQLLimits:
    """Validation limits per document: depth, aliases, fields, repeats (``cost.py``), tokens."""

    def __init__(
        self,
        max_depth: int = 16,
        max_aliases: int = 64,
        max_tokens: int = 2000,
        *,
        max_fields: int = 2000,
        max_repeats: int = 32,
        max_bytes: int = 64 * 1024,
        extra_rules: Sequence[type[ASTValidationRule]] = (),
    ) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.max_tokens = max_tokens
        self.max_fields = max_fields
        self.max_repeats = max_repeats
        self.max_bytes = max_bytes
        self.extra_rules = tuple(extra_rules)

    def checker(self) -> DocumentChecker:
        """Return the document checker these limits describe (one per schema)."""
        costs = CostLimits(
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_fields=self.max_fields,
            max_repeats=self.max_repeats,
        )
        return DocumentChecker(
            costs,
            max_tokens=self.max_tokens,
            max_bytes=self.max_bytes,
            extra_rules=self.extra_rules,
        )

    def extensions(self, checker: DocumentChecker | None = None) -> list[Callable[[], Any]]:
        """Return extension factories (0.341 deprecates instances: one per request).

        Parsing and validation run in ``checker``'s worker threads, cost limits first, so no
        document holds the event loop (Strawberry's ``QueryDepthLimiter`` and
        ``MaxAliasesLimiter`` walked every fragment spread: exponential, on the loop).
        """
        shared = checker or self.checker()
        return [lambda: OffLoopValidation(shared)]


class OuroborosSchema(strawberry.Schema):
    """A Strawberry schema that does not log expected errors (they are answered, not bugs)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [
            e
            for e in errors
            if e.original_error is not None and not isinstance(e.original_error, OuroborosError)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def _wire_json(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool):
        return value
    return result_to_json(value)


_SCALAR_PY: dict[str, str] = {"Int": "int", "Float": "float", "String": "str", "Boolean": "bool"}


def _annotation(scalar_or_type: str, *, many: bool = False, required: bool = False) -> str:
    inner = scalar_or_type
    if inner.startswith("["):
        inner, many = inner[1:-1], True
    text = _SCALAR_PY.get(inner, inner)
    if many:
        text = f"List[Optional[{text}]]"
    return text if required else f"Optional[{text}]"


class _Runtime:
    """What the generated resolvers close over: the model, the service, the compiled schema."""

    def __init__(self, model: SchemaModel, service: Any, checker: DocumentChecker) -> None:
        self.model = model
        self.service = service
        self.checker = checker
        # operation node id + variables → (operation node, EQL text); the document cache hands
        # back the same document for the same text, so a repeated query compiles once.
        self._compiled: OrderedDict[tuple[int, str], tuple[Any, str]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(raw: Any) -> tuple[int, str] | None:
        try:
            return (id(raw.operation), json.dumps(raw.variable_values, sort_keys=True, default=str))
        except (TypeError, ValueError):
            return None

    def cached_eql_text(self, raw: Any) -> str | None:
        """Return the EQL text of the operation being executed if it was compiled before."""
        key = self._key(raw)
        if key is None:
            return None
        with self._lock:
            hit = self._compiled.get(key)
            if hit is not None and hit[0] is raw.operation:
                self._compiled.move_to_end(key)
                return hit[1]
        return None

    def eql_text(self, raw: Any) -> str:
        """Return the EQL text of the operation being executed (compiled, then cached)."""
        root = compile_operation(
            self.model, raw.schema, raw.operation, raw.fragments, raw.variable_values
        )
        text = str(to_edn(root))
        key = self._key(raw)
        if key is not None:
            with self._lock:
                self._compiled[key] = (raw.operation, text)
                if len(self._compiled) > 256:
                    self._compiled.popitem(last=False)
        return text

    async def operation_result(self, info: Any) -> tuple[dict[Any, Any] | None, bool]:
        """Return ``(result, first)``: the one EQL run of this operation, shared by root fields."""
        context = info.context
        task = context.get(EQL_TASK)
        first = task is None
        if task is None:
            task = asyncio.ensure_future(self._run(info))
            context[EQL_TASK] = task
        try:
            return await asyncio.shield(task), first
        except OuroborosError:
            if first:
                raise
            return None, False

    async def _run(self, info: Any) -> dict[Any, Any]:
        raw = info._raw_info
        text = self.cached_eql_text(raw)
        if text is None:  # compiling walks the whole operation: off the loop
            text = await self.checker.off_loop(self.eql_text, raw)
        context = info.context
        service = self.service
        result: dict[Any, Any] = await service.engine.process_async(
            text,
            context={
                "caller": context.get("caller"),
                "settings": service.settings,
                "transport": "graphql",
            },
        )
        return result


def _resolver(fn: Callable[..., Any]) -> StrawberryResolver[Any]:
    resolver: StrawberryResolver[Any] = StrawberryResolver(fn)
    resolver.__dict__["arguments"] = []  # the field's arguments are set explicitly
    return resolver


def _arguments(args: tuple[ArgSpec, ...], ns: dict[str, Any]) -> list[StrawberryArgument]:
    return [
        StrawberryArgument(
            python_name=a.name,
            graphql_name=a.name,
            type_annotation=StrawberryAnnotation(
                _annotation(a.type, required=a.required), namespace=ns
            ),
            default=UNSET,
        )
        for a in args
    ]


def _field_type(fspec: FieldSpec) -> str:
    if fspec.kind == "tool":
        return "Optional[JSON]"
    if fspec.object_type is not None:
        return _annotation(fspec.object_type, many=fspec.many)
    return _annotation(fspec.scalar, many=fspec.many)


def _make_field(
    fspec: FieldSpec, ns: dict[str, Any], resolver: Callable[..., Any] | None
) -> StrawberryField:
    annotation = StrawberryAnnotation(_field_type(fspec), namespace=ns)
    field = StrawberryField(
        python_name=fspec.python_name,
        graphql_name=fspec.name,
        type_annotation=annotation,
        base_resolver=_resolver(resolver) if resolver is not None else None,
        description=fspec.doc or None,
        default=None if resolver is None else UNSET,
    )
    extra = []
    if fspec.catch_all_params:
        extra.append(ArgSpec(name="params", target="", type="JSON"))
    if resolver is not None:
        field.arguments = _arguments((*fspec.args, *extra), ns)
    return field


def _read_value(fspec: FieldSpec, value: Any) -> Any:
    if fspec.wrap_single and isinstance(value, Mapping):
        return [value]
    return value


def _nested_resolver(fspec: FieldSpec) -> Callable[..., Any]:
    attr = fspec.attr

    def resolve(root: Any, info: Info, **kwargs: Any) -> Any:
        holder = (
            root.get(placeholder_key(str(info.path.key))) if isinstance(root, Mapping) else None
        )
        return _read_value(fspec, holder.get(attr) if isinstance(holder, Mapping) else None)

    resolve.__name__ = fspec.python_name
    return resolve


def _root_resolver(fspec: FieldSpec, runtime: _Runtime) -> Callable[..., Any]:
    attr = fspec.attr

    async def resolve(root: Any, info: Info, **kwargs: Any) -> Any:
        result, _ = await runtime.operation_result(info)
        if result is None:
            return None
        holder = result.get(placeholder_key(str(info.path.key)))
        return _read_value(fspec, holder.get(attr) if isinstance(holder, Mapping) else None)

    resolve.__name__ = fspec.python_name
    return resolve


def _ident_resolver(fspec: FieldSpec, runtime: _Runtime) -> Callable[..., Any]:
    async def resolve(root: Any, info: Info, **kwargs: Any) -> Any:
        result, _ = await runtime.operation_result(info)
        if result is None:
            return None
        for arg in fspec.args:
            value = kwargs.get(arg.name, UNSET)
            if value is not UNSET and value is not None:
                return result.get(Ident(arg.target, value))
        return None

    resolve.__name__ = fspec.python_name
    return resolve


def _tool_resolver(fspec: FieldSpec, runtime: _Runtime) -> Callable[..., Any]:
    tool = fspec.tool
    assert tool is not None

    async def resolve(root: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context
        if fspec.tool_arguments_json:
            arguments = kwargs.get("arguments")
            arguments = {} if arguments in (None, UNSET) else arguments
        else:
            arguments = {k: v for k, v in kwargs.items() if v is not UNSET}
        envelope = await runtime.service.tools.call(tool, arguments, caller=context.get("caller"))
        if envelope.get("status") != "success":
            exc = ReportedError(envelope.get("error") or {"message": "tool failed"})
            if exc.http_status in (401, 403, 429) and context.get("response") is not None:
                context["response"].status_code = exc.http_status
            raise exc
        return envelope.get("result")

    resolve.__name__ = fspec.python_name
    return resolve


def _make_type(spec: TypeSpec, ns: dict[str, Any], runtime: _Runtime, *, root: str | None) -> type:
    fields: dict[str, StrawberryField] = {}
    annotations: dict[str, StrawberryAnnotation] = {}
    for fspec in spec.fields.values():
        resolver: Callable[..., Any] | None = None
        if fspec.kind == "tool":
            resolver = _tool_resolver(fspec, runtime)
        elif fspec.kind == "ident":
            resolver = _ident_resolver(fspec, runtime)
        elif root == "query":
            resolver = _root_resolver(fspec, runtime)
        elif fspec.uses_placeholder:
            resolver = _nested_resolver(fspec)
        fields[fspec.python_name] = _make_field(fspec, ns, resolver)
        annotations[fspec.python_name] = StrawberryAnnotation(_field_type(fspec), namespace=ns)

    def body(namespace: dict[str, Any]) -> None:
        namespace.update(fields)
        namespace["__annotations__"] = {k: f.type_annotation for k, f in fields.items()}

    import types as pytypes

    cls = pytypes.new_class(spec.name, (), {}, body)
    wrapped = strawberry.type(cls, name=spec.name, description=spec.doc or None)
    # strawberry.type re-reads string annotations without their namespace; give it back so
    # types that refer to each other (cycles included) resolve when the schema is built.
    for f in wrapped.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if f.python_name in annotations:
            f.type_annotation = annotations[f.python_name]
    return wrapped


def build_schema(
    model: SchemaModel, service: Any, limits: GraphQLLimits | None = None
) -> strawberry.Schema:
    """Return the Strawberry schema of ``model`` whose resolvers run on ``service``."""
    limits = limits or GraphQLLimits()
    checker = limits.checker()
    runtime = _Runtime(model, service, checker)
    ns: dict[str, Any] = {"Optional": Optional, "List": list, "JSON": JSON}
    classes = {}
    for spec in model.types.values():
        classes[spec.name] = _make_type(spec, ns, runtime, root=None)
    ns.update(classes)
    query = _make_type(model.query, ns, runtime, root="query")
    mutation = _make_type(model.mutation, ns, runtime, root="mutation") if model.mutation else None
    attrs = model.python_attrs
    wrap = model.wrap_single

    def default_resolver(source: Any, python_name: str) -> Any:
        if isinstance(source, Mapping):
            attr = attrs.get(python_name)
            value = source.get(attr) if attr is not None else None
            if python_name in wrap and isinstance(value, Mapping):
                return [value]
            return value
        return getattr(source, python_name, None)

    config = StrawberryConfig(
        auto_camel_case=False,
        default_resolver=default_resolver,
        scalar_map={
            JSON: strawberry.scalar(
                name="JSON",
                description="Any JSON value (EQL results in the JSON wire form).",
                serialize=_wire_json,
                parse_value=lambda v: v,
            )
        },
    )
    return OuroborosSchema(
        query=query,
        mutation=mutation,
        types=list(classes.values()),
        config=config,
        extensions=limits.extensions(checker),
    )


def is_object_definition(value: Any) -> bool:
    """Return whether ``value`` is a Strawberry object type (for tests)."""
    return isinstance(getattr(value, "__strawberry_definition__", None), StrawberryObjectDefinition)
