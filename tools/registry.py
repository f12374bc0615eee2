"""The tool registry: tools as EQL templates with schemas, called through one result envelope."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from ouroboros.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    OuroborosError,
    PermissionDeniedError,
    RegistrationError,
    ToolNotFoundError,
)
from ouroboros.observe.toolcalls import observe_tool_call
from ouroboros.store.validate import check_identifier
from ouroboros.tools.coerce import coerce_arguments
from ouroboros.tools.policy import Caller, RateLimiter

__all__ = [
    "IDEMPOTENCY_ARG",
    "KeyedWrites",
    "PendingAudit",
    "Recorder",
    "Tool",
    "ToolContext",
    "ToolRegistry",
    "envelope_error",
]

log = logging.getLogger(__name__)

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
IDEMPOTENCY_ARG = "idempotencyKey"
IDEMPOTENCY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "description": (
        "Optional. A key of your choice for this write (a UUID): a retry with the same key "
        "and arguments applies once and returns the first result (keys are kept 24 hours; "
        "the same key with other arguments is refused)."
    ),
}


class Recorder(Protocol):
    """Where tool calls are recorded: telemetry events and the audit log (the store has both)."""

    def record_event(
        self,
        kind: str,
        name: str,
        ok: bool,
        duration_ms: float,
        details: Mapping[str, Any] | None = None,
    ) -> Any: ...

    def audit(
        self,
        actor: str,
        action: str,
        target: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
    ) -> Any: ...


class Processor(Protocol):
    """What a tool runs its query through (an ``ouroboros.Engine``)."""

    async def process_async(
        self, query: Any, entity: Any = None, *, context: Mapping[str, Any] | None = None
    ) -> dict[Any, Any]: ...


class KeyedWrites:
    """The ``idempotencyKey`` of one write-tool call, for the call's store writes to carry.

    The registry puts it in the request context as ``"idempotency"``; each write of the call
    to ``store`` takes the next key (``<tool>:<key>``, then ``<tool>:<key>#2``...), so the
    store applies each at most once and a retried call that had written returns the first
    results. Writes to any other store carry no key.
    """

    __slots__ = ("_lock", "_n", "key", "store", "tool")

    def __init__(self, store: Any, tool: str, key: str) -> None:
        self.store = store
        self.tool = tool
        self.key = key
        self._n = 0
        self._lock = threading.Lock()

    def next_key(self, store: Any) -> str | None:
        """Return the key of the call's next write to ``store`` (None for another store)."""
        if store is not self.store:
            return None
        with self._lock:
            self._n += 1
            n = self._n
        return f"{self.tool}:{self.key}" if n == 1 else f"{self.tool}:{self.key}#{n}"


class PendingAudit:
    """The success audit record of one write-tool call, for the write itself to carry.

    The registry puts it in the request context as ``"audit"``; the first store write of the
    call claims it and passes ``record`` to the store, which inserts it in the write's own
    transaction (one commit instead of two, and the record commits with the write or not at
    all). ``written`` tells the registry it need not audit the call afterwards. ``store`` is
    the recorder: a write to any other store does not claim it.
    """

    __slots__ = ("_claimed", "_lock", "record", "store", "written")

    def __init__(self, store: Any, record: dict[str, Any]) -> None:
        self.store = store
        self.record = record
        self.written = False
        self._claimed = False
        self._lock = threading.Lock()

    def claim(self, store: Any) -> dict[str, Any] | None:
        """Return the record for a write to ``store`` (once per call; else None)."""
        if store is not self.store:
            return None
        with self._lock:
            if self._claimed:
                return None
            self._claimed = True
        return self.record


@dataclass(frozen=True)
class ToolContext:
    """What a tool's query builder and shaper can see for one call."""

    engine: Processor
    caller: Caller
    context: Mapping[str, Any]
    allow_mutations: bool = False


QueryBuilder = Callable[[dict[str, Any], ToolContext], Any]
Shaper = Callable[[dict[Any, Any], dict[str, Any], ToolContext], Any]
Runner = Callable[[dict[str, Any], ToolContext], Awaitable[Any]]


@dataclass(frozen=True)
class Tool:
    """One AI tool: an EQL query (or mutation) template, its schemas, and its result shaping.

    ``query(args, ctx)`` returns the EQL (text, AST or query data) to run; ``shape(result, args,
    ctx)`` turns the engine's result into what the model sees. ``run`` replaces both for tools
    that need several queries. ``writes`` tools need the ``write`` scope and are audited.
    """

    name: str
    description: str
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any] | None = None
    query: QueryBuilder | None = None
    shape: Shaper | None = None
    run: Runner | None = None
    writes: bool = False
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False
    title: str | None = None
    tags: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not TOOL_NAME.match(self.name):
            raise RegistrationError(
                f"tool name {self.name!r} must match {TOOL_NAME.pattern} (MCP and OpenAI rules)"
            )
        if (self.query is None) == (self.run is None):
            raise RegistrationError(f"tool {self.name!r} needs exactly one of query= or run=")
        if self.input_schema.get("type") != "object":
            raise RegistrationError(
                f"tool {self.name!r}: input_schema must be a JSON object schema"
            )
        if self.writes:  # every write tool takes an optional idempotencyKey
            props = dict(self.input_schema.get("properties") or {})
            if IDEMPOTENCY_ARG not in props:
                props[IDEMPOTENCY_ARG] = dict(IDEMPOTENCY_SCHEMA)
                object.__setattr__(self, "input_schema", {**self.input_schema, "properties": props})

    def describe(self) -> dict[str, Any]:
        """Return the tool's public description (no functions): name, description, schemas."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "input_schema": dict(self.input_schema),
            "writes": self.writes,
        }
        if self.output_schema is not None:
            out["output_schema"] = dict(self.output_schema)
        return out

    async def invoke(self, args: dict[str, Any], ctx: ToolContext) -> Any:
        """Run the tool with already-validated ``args``; return its shaped result."""
        if self.run is not None:
            return await self.run(args, ctx)
        assert self.query is not None  # guaranteed by __post_init__
        query = self.query(args, ctx)
        result = await ctx.engine.process_async(query, context=ctx.context)
        return self.shape(result, args, ctx) if self.shape is not None else result


def envelope_error(tool: str, params: Any, exc: OuroborosError) -> dict[str, Any]:
    """Return the error envelope for a failed call."""
    return {"tool": tool, "params": params, "status": "error", "error": exc.to_dict()}


class ToolRegistry:
    """Registered tools, the enabled subset, and the one way to call them.

    ``call`` returns one envelope: ``{"tool", "params", "status": "success", "result"}``,
    ``{"tool", "params", "status": "error", "error": {type, message, ...}}`` or
    ``{"tool", "status": "not-found", "error": {...}, "available_tools": [...]}``.
    Every call is checked (enabled, scope, rate limit), recorded in telemetry, and every
    write is audited.
    """

    def __init__(
        self,
        tools: Iterable[Tool] = (),
        *,
        engine: Processor | None = None,
        recorder: Recorder | None = None,
        rate_limiter: RateLimiter | None = None,
        enabled: Iterable[str] | None = None,
        allow_mutations: bool = False,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)
        self.engine = engine
        self.recorder = recorder
        self.rate_limiter = rate_limiter
        self.allow_mutations = allow_mutations
        self.context: dict[str, Any] = dict(context or {})
        self._enabled: set[str] | None = set(enabled) if enabled is not None else None

    # --- registration -------------------------------------------------------------------

    def register(self, tool: Tool) -> Tool:
        """Add ``tool``; a duplicate name raises RegistrationError."""
        if tool.name in self._tools:
            raise RegistrationError(f"tool {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def unregister(self, name: str) -> bool:
        """Remove a tool; return whether it was there."""
        return self._tools.pop(name, None) is not None

    def clear(self) -> None:
        """Remove every tool."""
        self._tools.clear()

    def enable_only(self, names: Iterable[str]) -> None:
        """Restrict the callable and listed tools to ``names`` (all registered by default)."""
        wanted = set(names)
        unknown = wanted - set(self._tools)
        if unknown:
            raise ToolNotFoundError(
                f"cannot enable unknown tools: {', '.join(sorted(unknown))}",
                details={"available_tools": sorted(self._tools)},
            )
        self._enabled = wanted

    # --- reading ------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The enabled tool names, in registration order."""
        return [n for n in self._tools if self._enabled is None or n in self._enabled]

    @property
    def all_names(self) -> list[str]:
        """Every registered tool name, enabled or not."""
        return list(self._tools)

    def exists(self, name: str) -> bool:
        """Return whether ``name`` is registered and enabled."""
        return name in self._tools and (self._enabled is None or name in self._enabled)

    def get(self, name: str) -> Tool:
        """Return the enabled tool ``name`` or raise ToolNotFoundError listing the available."""
        if not isinstance(name, str) or not self.exists(name):
            raise ToolNotFoundError(
                f"tool not found: {name!r}",
                details={"available_tools": self.names},
            )
        return self._tools[name]

    def list(self) -> list[dict[str, Any]]:
        """Return the enabled tools' descriptions (no functions)."""
        return [self._tools[n].describe() for n in self.names]

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Any:
        return iter([self._tools[n] for n in self.names])

    # --- calling ------------------------------------------------------------------------

    async def call(
        self,
        name: str,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        caller: Caller | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Call tool ``name`` with JSON ``arguments``; return the result envelope (never raises
        for tool-level problems — not found, bad arguments, policy, resolver errors).

        ``context`` is merged over the registry's own for this call only (the MCP server passes
        ``{"settings": ...}`` with the roots its client offered).

        Each call is one span (a trace's root when no request is traced, as over MCP stdio),
        counted in the tool metrics and published to the live event feed."""
        caller = caller or Caller()
        known = self.exists(name) if isinstance(name, str) else False
        with observe_tool_call(name if known else "unknown", caller, self._writes(name)) as seen:
            envelope = await self._call_envelope(name, arguments, caller, context)
            seen.finish(envelope)
        return envelope

    def _writes(self, name: Any) -> bool:
        tool = self._tools.get(name) if isinstance(name, str) else None
        return bool(tool is not None and tool.writes)

    async def _call_envelope(
        self,
        name: str,
        arguments: Mapping[str, Any] | str | None,
        caller: Caller,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        params: Any = dict(arguments) if isinstance(arguments, Mapping) else arguments
        started = time.perf_counter()
        try:
            tool = self.get(name)
        except ToolNotFoundError as exc:
            self._record(str(name), caller, ok=False, started=started, error=exc, params=params)
            return {
                "tool": name,
                "params": params,
                "status": "not-found",
                "error": exc.to_dict(),
                "available_tools": self.names,
            }
        pending: PendingAudit | None = None
        try:
            self._check(tool, caller)
            args = coerce_arguments(arguments, tool.input_schema, tool=tool.name)
            params = args
            keyed = self._keyed(tool, args)
            if keyed is not None:
                replay = await self._replay(keyed, args)
                if replay is not None:
                    self._record(tool.name, caller, ok=True, started=started, params=params)
                    return {
                        "tool": tool.name,
                        "params": params,
                        "status": "success",
                        "result": replay,
                    }
            if tool.writes:
                pending = self._pending_audit(tool, caller, params)
            ctx = self.tool_context(caller, tool, audit=pending, keyed=keyed, extra=extra)
            result = await tool.invoke({k: v for k, v in args.items() if k != IDEMPOTENCY_ARG}, ctx)
            if keyed is not None:
                await self._remember(keyed, args, result)
        except OuroborosError as exc:
            self._record(tool.name, caller, ok=False, started=started, error=exc, params=params)
            if tool.writes:
                self._audit(tool, caller, params, outcome=f"error: {exc.type}")
            return envelope_error(tool.name, params, exc)
        except Exception as exc:  # a bug in a tool: report, keep serving, log the traceback
            log.exception("tool %s failed", tool.name)
            wrapped = OuroborosError(f"{tool.name} failed: {type(exc).__name__}: {exc}")
            self._record(tool.name, caller, ok=False, started=started, error=wrapped, params=params)
            return envelope_error(tool.name, params, wrapped)
        self._record(tool.name, caller, ok=True, started=started, params=params)
        if tool.writes and (pending is None or not pending.written):
            self._audit(tool, caller, params, outcome="ok")
        return {"tool": tool.name, "params": params, "status": "success", "result": result}

    def _keyed(self, tool: Tool, args: Mapping[str, Any]) -> KeyedWrites | None:
        """Return the call's KeyedWrites when a write tool got an ``idempotencyKey``."""
        key = args.get(IDEMPOTENCY_ARG)
        if key is None or not tool.writes:
            return None
        if not isinstance(key, str) or not 1 <= len(key) <= 200:
            raise InvalidInputError(
                f"{IDEMPOTENCY_ARG} must be a string of 1 to 200 characters",
                details={"argument": IDEMPOTENCY_ARG},
            )
        store = self.recorder
        if store is None or not callable(getattr(store, "tool_result", None)):
            raise InvalidInputError(
                f"{IDEMPOTENCY_ARG} needs a store to keep results in; this registry has none"
            )
        return KeyedWrites(store, tool.name, key)

    @staticmethod
    def _digest(args: Mapping[str, Any]) -> str:
        body = {k: v for k, v in args.items() if k != IDEMPOTENCY_ARG}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    async def _replay(self, keyed: KeyedWrites, args: Mapping[str, Any]) -> Any:
        """Return the recorded result of an earlier call with the key (None: none yet).

        Raises ConflictError when the key was used with other arguments."""
        stored = await anyio.to_thread.run_sync(keyed.store.tool_result, keyed.tool, keyed.key)
        if stored is None:
            return None
        if stored.get("args") != self._digest(args):
            raise ConflictError(
                f"{IDEMPOTENCY_ARG} {keyed.key!r} was already used for a {keyed.tool} call "
                "with other arguments",
                details={IDEMPOTENCY_ARG: keyed.key},
            )
        return stored.get("result")

    async def _remember(self, keyed: KeyedWrites, args: Mapping[str, Any], result: Any) -> None:
        from ouroboros.tools.shapes import wire

        try:  # the writes are done (each keyed): a failure to record must not fail the call
            await anyio.to_thread.run_sync(
                keyed.store.tool_result_put, keyed.tool, keyed.key, self._digest(args), wire(result)
            )
        except OuroborosError:
            log.warning("could not record the result of %s for its key", keyed.tool, exc_info=True)

    def call_sync(
        self, name: str, arguments: Mapping[str, Any] | str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """``call`` for synchronous code (the CLI); must not run inside an event loop."""

        async def _run() -> dict[str, Any]:
            return await self.call(name, arguments, **kw)

        return anyio.run(_run)

    def tool_context(
        self,
        caller: Caller,
        tool: Tool | None = None,
        *,
        audit: PendingAudit | None = None,
        keyed: KeyedWrites | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ToolContext:
        """Return the context a tool runs with for ``caller`` (``extra`` over the registry's).

        ``"audited"`` tells mutations that this registry audits the call (a write tool), so they
        do not audit it a second time; mutations reached any other way audit themselves.
        ``"audit"`` (a ``PendingAudit``) lets the call's store write carry that audit record;
        ``"idempotency"`` (a ``KeyedWrites``) gives its store writes their keys.
        """
        if self.engine is None:
            raise RegistrationError("this tool registry has no engine to run tools with")
        context = {**self.context, **(extra or {}), "caller": caller}
        if tool is not None:
            context["tool"] = tool.name
            context["audited"] = tool.writes
        if audit is not None:
            context["audit"] = audit
        if keyed is not None:
            context["idempotency"] = keyed
        return ToolContext(
            engine=self.engine,
            caller=caller,
            context=context,
            allow_mutations=self.allow_mutations,
        )

    def _check(self, tool: Tool, caller: Caller) -> None:
        if tool.writes and not caller.can("write"):
            raise ForbiddenError(
                f"tool {tool.name!r} writes; the caller {caller.id!r} has no write scope",
                details={"needed_scope": "write", "scopes": sorted(caller.scopes)},
            )
        if not caller.can("read"):
            raise ForbiddenError(f"the caller {caller.id!r} has no read scope")
        if self.rate_limiter is not None:
            self.rate_limiter.check(caller.id)

    def _record(
        self,
        tool: str,
        caller: Caller,
        *,
        ok: bool,
        started: float,
        params: Any,
        error: OuroborosError | None = None,
    ) -> None:
        if self.recorder is None:
            return
        duration = (time.perf_counter() - started) * 1000.0
        # Argument names only: values may hold secrets or personal data.
        details: dict[str, Any] = {
            "caller": caller.id,
            "transport": caller.transport,
            "params": sorted(params) if isinstance(params, Mapping) else [],
        }
        if error is not None:
            details["error_type"] = error.type
        try:
            self.recorder.record_event("tool", tool, ok, duration, details)
        except Exception:  # telemetry must never break a tool call
            log.warning("could not record telemetry for tool %s", tool, exc_info=True)

    def _pending_audit(self, tool: Tool, caller: Caller, params: Any) -> PendingAudit | None:
        """Return the call's success audit for its write to carry (None: audit afterwards)."""
        if self.recorder is None or not callable(getattr(self.recorder, "audit", None)):
            return None
        record = {
            "actor": caller.id,
            "action": f"tool:{tool.name}",
            "target": _audit_target(params),
            "outcome": "ok",
        }
        try:  # a record the store would refuse must not fail the write: audit it afterwards
            for field_name in ("actor", "action", "target", "outcome"):
                check_identifier(record[field_name], field_name)
        except OuroborosError:
            return None
        return PendingAudit(self.recorder, record)

    def _audit(self, tool: Tool, caller: Caller, params: Any, *, outcome: str) -> None:
        if self.recorder is None:
            return
        target = _audit_target(params)
        try:
            self.recorder.audit(caller.id, f"tool:{tool.name}", target, outcome, None)
        except Exception:
            log.warning("could not audit tool %s", tool.name, exc_info=True)


def _audit_target(params: Any) -> str:
    """A short description of what a write touched (names and keys, never values)."""
    if not isinstance(params, Mapping):
        return "-"
    for key in ("key", "name", "client", "entityNames", "names", "oldName"):
        if key in params:
            value = params[key]
            return str(value)[:200]
    for key in ("entities", "relations", "observations", "deletions"):
        if key in params and isinstance(params[key], list):
            return f"{key}: {len(params[key])}"
    return "-"  # the store refuses an empty target


def require_mutations_allowed(ctx: ToolContext, what: str) -> None:
    """Raise PermissionDeniedError unless mutations are allowed and the caller may write."""
    if not ctx.allow_mutations:
        raise PermissionDeniedError(
            f"{what}: mutations are disabled (query_eql is read-only unless "
            "OUROBOROS_ALLOW_MUTATIONS / --allow-mutations is set)"
        )
    if not ctx.caller.can("write"):
        raise ForbiddenError(f"{what}: the caller {ctx.caller.id!r} has no write scope")
