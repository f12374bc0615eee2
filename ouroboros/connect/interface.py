"""Engine: the one entry point — register operations, then ``process`` EQL queries.

::

    engine = Engine([user_by_id, user_friends], lenient=False)
    engine.process("[{[:user/id 1] [:user/name {:user/friends [:user/name]}]}]")
    await engine.process_async(query, {"user/id": 1}, context={"caller": "cli"})

``query`` is EQL text, a parsed ``Root``, or Python query data (a list).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from ouroboros.connect.attributes import AttributeRegistry, AttributeSpec
from ouroboros.connect.cache import CacheStore, PlanStore
from ouroboros.connect.drivers import (
    core_level_async,
    core_level_sync,
    core_mutate_async,
    core_mutate_sync,
    core_resolve_async,
    core_resolve_sync,
    drive_async,
    drive_sync,
)
from ouroboros.connect.env import Env
from ouroboros.connect.index_resolvers import index_operations
from ouroboros.connect.indexes import Indexes
from ouroboros.connect.levels import Level, check_limits, compile_query
from ouroboros.connect.operations import Operation, flatten_operations
from ouroboros.connect.planner import PLAN_CACHE, Plan, plan_attrs
from ouroboros.connect.plugins import Plugin, build_chain, check_plugins
from ouroboros.connect.resolver_calls import core_merge_attribute
from ouroboros.connect.runner import Run, core_choose_path, run_request
from ouroboros.connect.shapes import keyword
from ouroboros.connect.trace import Trace
from ouroboros.eql.ast import Root
from ouroboros.errors import (
    EQLError,
    InvalidInputError,
    OuroborosError,
    QueryLimitError,
    RegistrationError,
)

__all__ = ["Engine"]

_TOO_DEEP = "the query is nested too deeply to run (Python recursion limit)"


@dataclass(slots=True)
class Chains:
    """The plugin-wrapped core functions (``None`` where no plugin wraps that step)."""

    resolve_sync: Any = None
    resolve_async: Any = None
    mutate_sync: Any = None
    mutate_async: Any = None
    run_sync: Any = None
    run_async: Any = None
    level_sync: Any = None
    level_async: Any = None
    plan: Any = None
    choose_path: Any = None
    merge_attribute: Any = None


def _to_root(query: Any) -> Root:
    if isinstance(query, Root):
        return query
    if isinstance(query, str):
        from ouroboros.eql import parse

        return parse(query)
    if isinstance(query, (list, tuple)):
        from ouroboros.eql import query_to_ast

        return query_to_ast(list(query))
    raise EQLError(f"a query is EQL text, a Root or a list, not {type(query).__name__}")


def _core_run_sync(env: Env, level: Level, entity: dict[Any, Any]) -> dict[Any, Any]:
    run: Run = env.request
    return drive_sync(run, run_request(run, level, entity))


async def _core_run_async(env: Env, level: Level, entity: dict[Any, Any]) -> dict[Any, Any]:
    run: Run = env.request
    return await drive_async(run, run_request(run, level, entity))


class Engine:
    """A resolver engine over ``operations`` (resolvers and mutations, nested lists allowed).

    Options: ``lenient`` (return partial data plus ``ouroboros/errors`` instead of raising),
    ``plugins`` (``Plugin`` middleware, first = outermost), ``attributes`` (``AttributeSpec``
    records, merged with resolvers' inline ``types``), ``validate`` (check resolver output
    against the specs; ``AttributeTypeError``), ``max_depth`` / ``max_nodes`` (query limits;
    ``QueryLimitError``), ``max_recursion`` (levels an unbounded ``...`` may descend),
    ``index_resolvers`` (serve ``:ouroboros.index/*``), ``plan_cache`` (an LRU shared by every
    engine by default; any ``get``/``put`` store; ``None`` to plan every level afresh),
    ``resolver_cache`` (a cache store keeping resolver results across requests: a dict, an
    ``LRUCache``, anything with ``get`` and item assignment; see ``connect.cache``).

    Raises ``RegistrationError`` for duplicate names, plugin ids or conflicting specs.
    """

    def __init__(
        self,
        operations: Iterable[Operation] | Any = (),
        *,
        lenient: bool = False,
        plugins: Iterable[Plugin] = (),
        attributes: Iterable[AttributeSpec] = (),
        validate: bool = False,
        max_depth: int | None = None,
        max_nodes: int | None = None,
        max_recursion: int = 64,
        index_resolvers: bool = True,
        plan_cache: PlanStore | None = PLAN_CACHE,
        resolver_cache: CacheStore | None = None,
    ) -> None:
        ops = flatten_operations(operations)
        if index_resolvers:  # skipped when already there (an engine rebuilt from .operations)
            ops.extend(op for op in index_operations() if all(op is not o for o in ops))
        self.index = Indexes(ops)
        self.lenient = lenient
        self.validate = validate
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_recursion = max_recursion
        if plan_cache is not None and not (
            callable(getattr(plan_cache, "get", None))
            and callable(getattr(plan_cache, "put", None))
        ):
            raise RegistrationError("plan_cache needs get(key) and put(key, plan) (a PlanCache)")
        if resolver_cache is not None and not (
            callable(getattr(resolver_cache, "get", None))
            and hasattr(resolver_cache, "__setitem__")
        ):
            raise RegistrationError(
                "resolver_cache needs get(key, default) and store[key] = value (a dict, an LRUCache)"
            )
        self.plan_cache = plan_cache
        self.resolver_cache = resolver_cache
        self.attributes = AttributeRegistry(attributes)
        for r in self.index.resolvers.values():
            for attr, tp in r.types.items():
                self.attributes.add(AttributeSpec(attr, tp))
        for op in self.index.operations:
            for attr, doc in op.docs.items():
                self.attributes.document(attr, doc)
        self.plugins = check_plugins(plugins)
        self.remove_error_items = any(p.id == "ouroboros/remove-error-items" for p in self.plugins)
        self.weights: dict[str, float] = {}
        self.or_resolvers = frozenset(
            r.name for rs in self.index.providers.values() if len(rs) > 1 for r in rs
        )
        self.chains = self._build_chains()
        self.plan_token = (self.index.token, tuple(p.id for p in self.plugins if p.wrap_plan))
        self._queries: OrderedDict[str, tuple[Root, Level]] = OrderedDict()
        self._lock = threading.Lock()

    # -- registry views ---------------------------------------------------------------------

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every registered resolver and mutation."""
        return self.index.operations

    @property
    def resolvers(self) -> Mapping[str, Any]:
        """Resolvers by name."""
        return self.index.resolvers

    @property
    def mutations(self) -> Mapping[Any, Any]:
        """Mutations by name."""
        return self.index.mutations

    def _build_chains(self) -> Chains:
        chains = Chains()
        plugins = self.plugins

        def wraps(hook: str) -> bool:
            return any(getattr(p, hook) is not None for p in plugins)

        if wraps("wrap_resolve"):
            chains.resolve_sync = build_chain(plugins, "wrap_resolve", core_resolve_sync)
            chains.resolve_async = build_chain(plugins, "wrap_resolve", core_resolve_async)
        if wraps("wrap_mutate"):
            chains.mutate_sync = build_chain(plugins, "wrap_mutate", core_mutate_sync)
            chains.mutate_async = build_chain(plugins, "wrap_mutate", core_mutate_async)
        if wraps("wrap_run") or wraps("wrap_root_run"):
            root = ("wrap_run", "wrap_root_run")
            chains.run_sync = build_chain(plugins, root, _core_run_sync)
            chains.run_async = build_chain(plugins, root, _core_run_async)
        if wraps("wrap_run"):  # every nested run too
            chains.level_sync = build_chain(plugins, "wrap_run", core_level_sync)
            chains.level_async = build_chain(plugins, "wrap_run", core_level_async)
        if wraps("wrap_plan"):
            chains.plan = build_chain(plugins, "wrap_plan", plan_attrs)
        if wraps("wrap_choose_path"):
            chains.choose_path = build_chain(plugins, "wrap_choose_path", core_choose_path)
        if wraps("wrap_merge_attribute"):
            chains.merge_attribute = build_chain(
                plugins, "wrap_merge_attribute", core_merge_attribute
            )
        return chains

    # -- queries and plans ------------------------------------------------------------------

    def compile(self, query: Any) -> tuple[Root, Level]:
        """Return the parsed query and its compiled root level (EQL text is cached).

        Raises ``EQLSyntaxError`` for bad text and ``QueryLimitError`` past the limits.
        """
        if isinstance(query, str):
            with self._lock:
                hit = self._queries.get(query)
                if hit is not None:
                    self._queries.move_to_end(query)
                    return hit
        root = _to_root(query)
        check_limits(root, self.max_depth, self.max_nodes)
        compiled = (root, compile_query(root))
        if isinstance(query, str):
            with self._lock:
                self._queries[query] = compiled
                if len(self._queries) > 256:
                    self._queries.popitem(last=False)
        return compiled

    def plan_level(self, level: Level, available: frozenset[Any]) -> Plan:
        """Return the plan of one compiled level given the available attributes (cached)."""
        cache = self.plan_cache
        key = (self.plan_token, level.plan_key, available)
        if cache is not None:
            plan = cache.get(key)
            if plan is not None:
                return plan
        planner = self.chains.plan or plan_attrs
        try:
            plan = planner(self.index, level.requests, available)
        except RecursionError:
            raise QueryLimitError(
                "the resolver chains needed are too deep to plan (hundreds of resolvers in a row)"
            ) from None
        if cache is not None:
            cache.put(key, plan)
        return plan

    def plan(self, query: Any, available: Iterable[str] | Mapping[str, Any] = ()) -> Plan:
        """Return the plan of the query's root level, given the attributes already available.

        ``available`` may be attribute names or an entity (its keys are used).
        """
        _, level = self.compile(query)
        return self.plan_level(level, frozenset(keyword(a) for a in available))

    def explain(
        self, query: Any, available: Iterable[str] | Mapping[str, Any] = (), fmt: str = "text"
    ) -> str:
        """Return the plan as ``text``, ``json``, ``dot`` or ``mermaid``, nested joins included
        (a join's level is planned from what its resolver declares it returns)."""
        from ouroboros.connect.explain import explain

        _, level = self.compile(query)
        return explain(self, level, frozenset(keyword(a) for a in available), fmt)

    # -- running ----------------------------------------------------------------------------

    def _start(
        self,
        query: Any,
        entity: Mapping[Any, Any] | None,
        context: Mapping[str, Any] | None,
        lenient: bool | None,
        trace: Trace | None,
        is_async: bool,
    ) -> tuple[Run, Level, dict[Any, Any], Env]:
        _, level = self.compile(query)
        run = Run(
            self,
            context=context,
            lenient=self.lenient if lenient is None else lenient,
            trace=trace,
            is_async=is_async,
        )
        env = Env(engine=self, context=run.context, is_async=is_async, request=run)
        return run, level, dict(entity) if entity else {}, env

    def process(
        self,
        query: Any,
        entity: Mapping[Any, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        lenient: bool | None = None,
        trace: Trace | None = None,
    ) -> dict[Any, Any]:
        """Return the data ``query`` asks for, starting from ``entity`` (sync).

        Async resolvers run on a private event loop. ``context`` is exposed to resolvers as
        ``env.context``; ``lenient`` overrides the engine's mode for this request; a ``Trace``
        passed as ``trace`` is filled with what ran. Raises ``UnreachableError``,
        ``AttributeMissingError``, ``ResolverError``, ``MutationNotFoundError`` (strict mode),
        ``QueryLimitError`` and ``EQLSyntaxError``.
        """
        t0 = perf_counter()
        run, level, start, env = self._start(query, entity, context, lenient, trace, False)
        try:
            if self.chains.run_sync is not None:
                return self.chains.run_sync(env, level, start)
            return drive_sync(run, run_request(run, level, start))
        except RecursionError:
            raise QueryLimitError(_TOO_DEEP) from None
        finally:
            if trace is not None:
                trace.duration = perf_counter() - t0

    async def process_async(
        self,
        query: Any,
        entity: Mapping[Any, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        lenient: bool | None = None,
        trace: Trace | None = None,
    ) -> dict[Any, Any]:
        """Return the data ``query`` asks for (async; independent resolvers run concurrently).

        Sync resolvers run inline, or in a worker thread when declared ``blocking=True``.
        Raises like ``process``.
        """
        t0 = perf_counter()
        run, level, start, env = self._start(query, entity, context, lenient, trace, True)
        try:
            if self.chains.run_async is not None:
                return await self.chains.run_async(env, level, start)
            return await drive_async(run, run_request(run, level, start))
        except RecursionError:
            raise QueryLimitError(_TOO_DEEP) from None
        finally:
            if trace is not None:
                trace.duration = perf_counter() - t0

    def request(self, request: Any, *, context: Mapping[str, Any] | None = None) -> dict[Any, Any]:
        """Pathom's boundary interface: run one request given as data; errors come back as data.

        ``request`` is a query (EQL text or Python query data) or a map with ``"query"``
        (required), ``"entity"`` (a map), ``"lenient"`` (bool) and ``"include_stats"`` (bool:
        the run's trace under ``"ouroboros/run-stats"``). Returns the result map, or the one
        error shape ``{"error": {"type", "message", ...}}`` for a bad request or a strict-mode
        failure; nothing is raised for them.
        """
        try:
            query, entity, lenient, trace = _read_request(request)
            result = self.process(query, entity, context=context, lenient=lenient, trace=trace)
        except OuroborosError as exc:
            return exc.to_json()
        return _with_stats(result, trace)

    async def request_async(
        self, request: Any, *, context: Mapping[str, Any] | None = None
    ) -> dict[Any, Any]:
        """``request`` under ``process_async``."""
        try:
            query, entity, lenient, trace = _read_request(request)
            result = await self.process_async(
                query, entity, context=context, lenient=lenient, trace=trace
            )
        except OuroborosError as exc:
            return exc.to_json()
        return _with_stats(result, trace)

    def process_one(
        self,
        entity: Mapping[Any, Any] | None,
        attr: Any,
        *,
        context: Mapping[str, Any] | None = None,
        lenient: bool | None = None,
    ) -> Any:
        """Return the value of one attribute for ``entity`` (Pathom's ``process-one``).

        ``attr`` is an attribute name (``"user/name"``) or a one-entry join as Python data
        (``{"user/friends": ["user/name"]}``). Raises like ``process``; in lenient mode a value
        that could not be resolved is ``None``.
        """
        if isinstance(attr, Mapping):
            if len(attr) != 1:
                raise EQLError("process_one takes one attribute or a join with exactly one entry")
            key = keyword(next(iter(attr)))
        else:
            key = keyword(attr)
        out = self.process([attr], entity, context=context, lenient=lenient)
        return out.get(key)

    def __repr__(self) -> str:
        return f"Engine({self.index!r}, lenient={self.lenient})"


REQUEST_KEYS = ("query", "entity", "lenient", "include_stats")
RUN_STATS_KEY = keyword("ouroboros/run-stats")


def _read_request(request: Any) -> tuple[Any, Mapping[Any, Any] | None, bool | None, Trace | None]:
    if isinstance(request, (str, list, tuple, Root)):
        return request, None, None, None
    if not isinstance(request, Mapping):
        raise InvalidInputError(
            f"a request is a query or a map with {', '.join(REQUEST_KEYS)}, "
            f"not {type(request).__name__}"
        )
    unknown = [str(k) for k in request if k not in REQUEST_KEYS]
    if unknown:
        raise InvalidInputError(
            f"unknown request key(s) {', '.join(unknown)}; known: {', '.join(REQUEST_KEYS)}"
        )
    if "query" not in request:
        raise InvalidInputError("a request map needs a 'query'")
    entity = request.get("entity")
    if entity is not None and not isinstance(entity, Mapping):
        raise InvalidInputError(f"'entity' must be a map, not {type(entity).__name__}")
    flags = {}
    for flag in ("lenient", "include_stats"):
        value = request.get(flag)
        if value is not None and not isinstance(value, bool):
            raise InvalidInputError(f"'{flag}' must be true or false, not {value!r}")
        flags[flag] = value
    trace = Trace() if flags["include_stats"] else None
    return request["query"], entity, flags["lenient"], trace


def _with_stats(result: dict[Any, Any], trace: Trace | None) -> dict[Any, Any]:
    if trace is not None:
        result[RUN_STATS_KEY] = trace.to_data()
    return result
