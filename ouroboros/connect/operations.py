"""Operations: resolvers and mutations as frozen records of data plus a function.

A resolver declares the attributes it needs (``input``) and the attributes it provides
(``output``), as EQL text or Python data::

    @resolver(input=["user/id"], output=["user/name", {"user/friends": ["user/id"]}])
    def user(inp):
        return {"user/name": ..., "user/friends": [{"user/id": 2}]}

A one-parameter function receives the input map; a two-parameter function receives
``(env, input)``. A batch resolver (``batch=True``) receives a list of input maps and returns a
list of maps in the same order. Functions may be sync or ``async``. The record is callable, so a
unit test can call ``user({"user/id": 1})`` directly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ouroboros.connect.shapes import EMPTY, OPTIONAL_KEY, Shape, keyword, read_shape
from ouroboros.eql.ast import EList, Keyword, Symbol
from ouroboros.errors import RegistrationError

__all__ = [
    "Mutation",
    "Operation",
    "Resolver",
    "attributes_of",
    "document",
    "first_line",
    "mutation",
    "optional",
    "resolver",
]

F = TypeVar("F", bound=Callable[..., Any])


def optional(attr: str) -> EList:
    """Return an optional attribute for an input list: ``optional("user/x")`` = ``(? :user/x)``."""
    return EList((keyword(attr), {OPTIONAL_KEY: True}))


def _wants_env(fn: Callable[..., Any]) -> bool:
    """Return whether ``fn`` takes ``(env, input)`` rather than ``(input)``."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values()):
        return True
    if len(positional) not in (1, 2):
        raise RegistrationError(
            f"{getattr(fn, '__name__', fn)!r} must take (input) or (env, input), "
            f"not {len(positional)} required parameters"
        )
    return len(positional) == 2


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
    )


def _name_of(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None) or ""
    qual = str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "anonymous"))
    return f"{module}/{qual}" if module and module != "__main__" else qual


def first_line(text: str) -> str:
    """Return the first non-blank line of ``text``, stripped (``""`` for none)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _call_directly(op: Resolver | Mutation, args: tuple[Any, ...]) -> Any:
    """Call an operation's function the way a unit test would: with the input (or params) map,
    or with ``(env, input)``; a detached env is supplied when the function wants one."""
    if len(args) == 1 and op.wants_env:
        from ouroboros.connect.env import Env

        args = (Env.detached(), args[0])
    elif len(args) == 2 and not op.wants_env:
        args = (args[1],)
    return op.fn(*args)


@dataclass(frozen=True, eq=False, kw_only=True)
class Resolver:
    """A resolver: ``name``, the ``input`` and ``output`` shapes, flags, and the function.

    Calling the record calls the function: ``r(input)`` or ``r(env, input)`` (what the function
    takes); an env-taking function called with only the input gets an empty env.
    """

    name: str
    fn: Callable[..., Any]
    input: Shape = EMPTY
    output: Shape = EMPTY
    batch: bool = False
    priority: int = 0
    cache: bool = True
    cache_key: Callable[[Any, Any], Any] | None = None
    cache_store: Any = None
    timeout: float | None = None
    batch_chunk_size: int | None = None
    blocking: bool | Callable[[Any], bool] = False
    doc: str = ""
    params: Shape = EMPTY
    types: Mapping[str, Any] = field(default_factory=dict)
    docs: Mapping[str, str] = field(default_factory=dict)
    dynamic: bool = False
    wants_env: bool = False
    is_async: bool = False

    kind = "resolver"

    def __call__(self, *args: Any) -> Any:
        return _call_directly(self, args)

    @property
    def summary(self) -> str:
        """The first line of ``doc`` (its one-line description)."""
        return first_line(self.doc)

    @property
    def provides(self) -> tuple[Keyword, ...]:
        """The top-level attributes this resolver outputs."""
        return tuple(self.output)

    def __repr__(self) -> str:
        return (
            f"Resolver({self.name!r}, input={self.input.to_edn()}, output={self.output.to_edn()})"
        )


@dataclass(frozen=True, eq=False, kw_only=True)
class Mutation:
    """A mutation: ``name`` (a symbol such as ``user/create``), ``params``, ``output``, function.

    The function receives the params map (``fn(params)`` or ``fn(env, params)``) and returns
    the result map.
    """

    name: Symbol
    fn: Callable[..., Any]
    params: Shape = EMPTY
    output: Shape = EMPTY
    timeout: float | None = None
    blocking: bool | Callable[[Any], bool] = False
    doc: str = ""
    docs: Mapping[str, str] = field(default_factory=dict)
    wants_env: bool = False
    is_async: bool = False

    kind = "mutation"

    def __call__(self, *args: Any) -> Any:
        return _call_directly(self, args)

    @property
    def summary(self) -> str:
        """The first line of ``doc`` (its one-line description)."""
        return first_line(self.doc)

    def __repr__(self) -> str:
        return f"Mutation({str(self.name)!r}, output={self.output.to_edn()})"


Operation = Resolver | Mutation


def _read(spec: Any, what: str, name: str) -> Shape:
    try:
        return read_shape(spec)
    except (TypeError, ValueError) as exc:
        raise RegistrationError(f"{name}: bad {what} declaration: {exc}") from exc


def _read_docs(docs: Mapping[str, str] | None, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for attr, text in (docs or {}).items():
        if not isinstance(text, str) or not text.strip():
            raise RegistrationError(f"{name}: the description of :{attr} must be non-empty text")
        out[keyword(attr)] = text.strip()
    return out


def make_resolver(
    fn: Callable[..., Any],
    *,
    output: Any,
    input: Any = None,
    batch: bool = False,
    priority: int = 0,
    name: str | None = None,
    cache: bool = True,
    cache_key: Callable[[Any, Any], Any] | None = None,
    cache_store: Any = None,
    timeout: float | None = None,
    batch_chunk_size: int | None = None,
    blocking: bool | Callable[[Any], bool] = False,
    doc: str | None = None,
    params: Any = None,
    types: Mapping[str, Any] | None = None,
    docs: Mapping[str, str] | None = None,
    dynamic: bool = False,
) -> Resolver:
    """Return a ``Resolver`` record for ``fn`` (the non-decorator form of ``@resolver``)."""
    rname = name or _name_of(fn)
    out = _read(output, "output", rname)
    if not out:
        raise RegistrationError(f"resolver {rname} declares no output")
    if batch_chunk_size is not None and batch_chunk_size < 1:
        raise RegistrationError(f"resolver {rname}: batch_chunk_size must be at least 1")
    if timeout is not None and timeout <= 0:
        raise RegistrationError(f"resolver {rname}: timeout must be positive")
    if cache_key is not None and not callable(cache_key):
        raise RegistrationError(f"resolver {rname}: cache_key must be a function (env, input)")
    if cache_store is not None and not (
        callable(getattr(cache_store, "get", None)) and hasattr(cache_store, "__setitem__")
    ):
        raise RegistrationError(
            f"resolver {rname}: cache_store needs get(key, default) and store[key] = value"
        )
    return Resolver(
        name=rname,
        fn=fn,
        input=_read(input, "input", rname),
        output=out,
        batch=batch,
        priority=priority,
        cache=cache,
        cache_key=cache_key,
        cache_store=cache_store,
        timeout=timeout,
        batch_chunk_size=batch_chunk_size,
        blocking=blocking,
        doc=doc if doc is not None else inspect.getdoc(fn) or "",
        params=_read(params, "params", rname),
        types={keyword(k): v for k, v in (types or {}).items()},
        docs=_read_docs(docs, rname),
        dynamic=dynamic,
        wants_env=_wants_env(fn),
        is_async=_is_async(fn),
    )


def resolver(
    fn: Callable[..., Any] | None = None,
    *,
    output: Any,
    input: Any = None,
    batch: bool = False,
    priority: int = 0,
    name: str | None = None,
    cache: bool = True,
    cache_key: Callable[[Any, Any], Any] | None = None,
    cache_store: Any = None,
    timeout: float | None = None,
    batch_chunk_size: int | None = None,
    blocking: bool | Callable[[Any], bool] = False,
    doc: str | None = None,
    params: Any = None,
    types: Mapping[str, Any] | None = None,
    docs: Mapping[str, str] | None = None,
    dynamic: bool = False,
) -> Any:
    """Decorate a function as a resolver; returns a ``Resolver`` record.

    ``output`` / ``input``: EQL text or a list of attributes and ``{attr: [...]}`` joins;
    optional inputs are ``(? :a)`` in text or ``optional("a")`` in a list. ``batch``: the function
    takes a list of inputs and returns a list of maps in order. ``priority``: higher wins when
    several resolvers provide an attribute. ``cache=False`` opts out of the per-request cache;
    ``cache_key(env, input)`` computes the cache key instead of the input itself (e.g. to ignore
    part of it); ``cache_store`` keeps results beyond the request (see ``connect.cache``).
    ``dynamic``: the function also answers for sub-queries, reading ``env.query`` (see README).
    ``timeout`` (seconds), ``batch_chunk_size``, ``blocking`` (sync function run in a worker
    thread under ``process_async``; or a predicate ``blocking(env) -> bool`` deciding per call,
    e.g. not when the data is in this process's memory), ``doc`` (default: the docstring),
    ``params`` (documentary), ``types`` (attribute → Python type, registered as attribute specs),
    ``docs`` (attribute → one-line description, for any attribute in ``output``, nested ones
    too; shown by ``/index``, GraphQL and ``ouroboros plan``). Raises ``RegistrationError`` on a
    bad declaration.
    """
    kwargs = dict(
        output=output,
        input=input,
        batch=batch,
        priority=priority,
        name=name,
        cache=cache,
        cache_key=cache_key,
        cache_store=cache_store,
        timeout=timeout,
        batch_chunk_size=batch_chunk_size,
        blocking=blocking,
        doc=doc,
        params=params,
        types=types,
        docs=docs,
        dynamic=dynamic,
    )
    if fn is not None:
        return make_resolver(fn, **kwargs)

    def decorate(f: Callable[..., Any]) -> Resolver:
        return make_resolver(f, **kwargs)

    return decorate


def mutation(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    output: Any = None,
    params: Any = None,
    timeout: float | None = None,
    blocking: bool | Callable[[Any], bool] = False,
    doc: str | None = None,
    docs: Mapping[str, str] | None = None,
) -> Any:
    """Decorate a function as a mutation named ``name`` (``"ns/op"``); returns a ``Mutation``.

    The function receives the call's params map (``(params)`` or ``(env, params)``) and returns
    a map, which a mutation join (``{(ns/op {...}) [:a]}``) can read further. ``doc`` defaults
    to the docstring; ``docs`` describes output attributes, as for ``@resolver``.
    """

    def decorate(f: Callable[..., Any]) -> Mutation:
        mname = name or _name_of(f)
        if timeout is not None and timeout <= 0:
            raise RegistrationError(f"mutation {mname}: timeout must be positive")
        return Mutation(
            name=Symbol(mname),
            fn=f,
            params=_read(params, "params", mname),
            output=_read(output, "output", mname),
            timeout=timeout,
            blocking=blocking,
            doc=doc if doc is not None else inspect.getdoc(f) or "",
            docs=_read_docs(docs, mname),
            wants_env=_wants_env(f),
            is_async=_is_async(f),
        )

    return decorate(fn) if fn is not None else decorate


def _attrs_of(shape: Shape, out: set[Keyword]) -> set[Keyword]:
    for attr, sub in shape.items():
        out.add(attr)
        _attrs_of(sub, out)
    return out


def attributes_of(op: Operation, *, inputs: bool = True) -> set[Keyword]:
    """Return every attribute ``op`` gives (nested ones too) and, with ``inputs``, takes."""
    found = _attrs_of(op.output, set())
    if inputs and isinstance(op, Resolver):
        _attrs_of(op.input, found)
    return found


def document(operations: Any, docs: Mapping[str, str]) -> list[Operation]:
    """Return ``operations`` with one-line descriptions of the attributes they touch.

    ``docs`` maps attribute → description, for a whole module at once: each operation keeps
    those of the attributes in its ``output`` and ``input`` (nested ones too) and its own
    ``docs`` win. Raises ``RegistrationError`` for an empty description.
    """
    table = _read_docs(docs, "document")
    out: list[Operation] = []
    for op in flatten_operations(operations):
        touched = attributes_of(op)
        mine = {a: text for a, text in table.items() if a in touched}
        out.append(replace(op, docs={**mine, **op.docs}))
    return out


def flatten_operations(operations: Any) -> list[Operation]:
    """Return the operations in ``operations`` (nested lists and tuples allowed), in order.

    Raises ``RegistrationError`` for anything that is not a ``Resolver`` or ``Mutation``.
    """
    out: list[Operation] = []

    def walk(item: Any) -> None:
        if isinstance(item, (Resolver, Mutation)):
            out.append(item)
        elif isinstance(item, (list, tuple, set, frozenset)) or (
            isinstance(item, Sequence) and not isinstance(item, (str, bytes))
        ):
            for sub in item:
                walk(sub)
        else:
            raise RegistrationError(
                f"not a resolver or mutation: {item!r} (decorate it with @resolver or @mutation)"
            )

    walk(operations)
    return out
