"""MCP servers as foreign sources: one long-lived SDK client session, tools as operations.

A ``[[foreign]]`` table with ``kind = "mcp"`` names a server by ``command = [...]`` (started as
a subprocess and spoken to over stdio; ``env`` adds environment variables) or by ``url`` (MCP
streamable HTTP; ``token_env`` names the variable holding its bearer token). What it becomes,
for a source called ``S``:

- every tool ``T`` is the mutation ``S/T``: ``[(S/T {:arg ...})]`` calls it with the params as
  its arguments and answers its structured result (or its text, parsed as JSON when it is);
- every read-only tool (``readOnlyHint``) is also the global attribute ``S/T`` with params:
  ``[(:S/search_nodes {:query "tea"})]``; a missing required argument fails that attribute;
- a read-only tool whose one required argument is a list of strings and whose output holds a
  list of objects keyed by ``name`` (the official memory server's ``open_nodes``, and ours) is
  an ident entry point: input ``S.<item>/name`` (``entities`` gives ``S.entity``), outputs
  ``S.<item>/<property>`` for the item's other properties. A batch of entities is one call
  with all their names, so with ``link = {"S.entity/name" = "entity/name"}`` local entities
  join the server's.

The session (``McpSession``) runs on its own thread and event loop. It starts when the source
loads (the tools are listed once, then), is started again on the next call after the server
process died or the connection dropped (a read is retried once on the new session; a mutation
is not, since it may have run), and is closed when the service closes. Every call has the
source's ``timeout``; a call that fails or times out fails only its attributes. ``tools = [...]``
keeps only the tools named.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from ouroboros.errors import ForeignSourceError, InvalidInputError, OuroborosError

__all__ = ["McpSession", "mcp_operations"]

log = logging.getLogger(__name__)

START_TIMEOUT = 30.0  # spawning `npx`/`node` and the handshake; calls use the source's timeout


def _error(name: str, message: str, **details: Any) -> OuroborosError:
    return ForeignSourceError(
        f"foreign source {name!r}: {message}", details={"source": name, **details}
    )


class McpSession:
    """One client session to an MCP server, usable from any thread (``call`` blocks).

    Raises ``ForeignSourceError`` (from ``start``, ``list_tools`` and ``call``) when the server
    cannot be started or reached, answers an error, or does not answer within ``timeout``.
    """

    def __init__(self, source: Mapping[str, Any]) -> None:
        self.name = str(source["name"])
        self.command: list[str] | None = list(source["command"]) if source.get("command") else None
        self.url: str | None = source.get("url")
        self.env = {str(k): str(v) for k, v in (source.get("env") or {}).items()}
        self.timeout = float(source.get("timeout", 5.0))
        self.headers: dict[str, str] = {}
        env = source.get("token_env")
        if env:
            token = os.environ.get(env)
            if not token:
                raise InvalidInputError(f"foreign source {self.name!r}: ${env} is not set")
            self.headers["authorization"] = f"Bearer {token}"
        self.starts = 0  # how many sessions were started (the first, then each restart)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._stop: asyncio.Event | None = None
        self._runner: Any = None
        self._dead = True
        self._closed = False
        self._stderr: Any = None

    @property
    def where(self) -> str:
        """The command line or URL, for messages and the plugin's origin."""
        return " ".join(self.command) if self.command else str(self.url)

    # --- the loop thread -----------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name=f"mcp-{self.name}", daemon=True)
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    def _transport(self, stack: contextlib.AsyncExitStack) -> Any:
        """The SDK transport; an HTTP client we make is closed with ``stack`` (the SDK leaves a
        given client open)."""
        if self.command:
            from mcp import StdioServerParameters
            from mcp.client.stdio import stdio_client

            if self._stderr is None:
                self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (held for the session)
            params = StdioServerParameters(
                command=self.command[0], args=self.command[1:], env=self.env or None
            )
            return stdio_client(params, errlog=self._stderr)
        import httpx2 as httpx
        from mcp.client.streamable_http import streamable_http_client

        http = httpx.AsyncClient(headers=self.headers, timeout=self.timeout)
        stack.push_async_callback(http.aclose)
        return streamable_http_client(str(self.url), http_client=http)

    async def _run(self, ready: Future[Any], stop: asyncio.Event) -> None:
        """Hold one session open until ``stop`` is set (enter and exit in this one task)."""
        from mcp import Client

        try:
            # The handshake and tools/list get the start timeout; each call its own.
            async with (
                contextlib.AsyncExitStack() as stack,
                Client(self._transport(stack), read_timeout_seconds=START_TIMEOUT) as client,
            ):
                self._client = client
                if not ready.done():
                    ready.set_result(client)
                await stop.wait()
        except BaseException as exc:  # reported to the starter; after start, just logged
            if not ready.done():
                ready.set_exception(exc)
            elif not isinstance(exc, (asyncio.CancelledError, GeneratorExit)):
                log.debug("MCP session %s ended: %s", self.name, exc)
        finally:
            self._client = None
            self._dead = True

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            lines = [ln.strip() for ln in self._stderr.read().splitlines() if ln.strip()]
        except (OSError, ValueError):
            return ""
        return f" (its stderr: {lines[-1][:200]})" if lines else ""

    def start(self) -> None:
        """Start a session unless one is running (called with ``_lock`` held or at load)."""
        if self._closed:
            raise _error(self.name, "the session is closed")
        if not self._dead:
            return
        self._shutdown_session()
        loop = self._ensure_loop()
        ready: Future[Any] = Future()
        self._stop = asyncio.Event()
        self._runner = asyncio.run_coroutine_threadsafe(self._run(ready, self._stop), loop)
        wait = max(self.timeout, START_TIMEOUT)
        try:
            ready.result(wait)
        except TimeoutError:
            self._shutdown_session()
            raise _error(self.name, f"{self.where} did not start within {wait:g} s") from None
        except Exception as exc:
            self._shutdown_session()
            raise _error(
                self.name,
                f"cannot start {self.where}: {_describe(exc)}{self._stderr_tail()}",
            ) from None
        self._dead = False
        self.starts += 1

    def _shutdown_session(self) -> None:
        """End the current session (if any) and wait briefly for it to finish."""
        loop, runner, stop = self._loop, self._runner, self._stop
        if loop is None or runner is None:
            return
        self._runner = None
        if stop is not None:
            loop.call_soon_threadsafe(stop.set)
        try:
            runner.result(10)
        except BaseException:  # it hung or failed: cancel it, it is gone either way
            runner.cancel()
            log.debug("MCP session %s did not end cleanly", self.name)

    def close(self) -> None:
        """End the session, stop the server process and the loop thread (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._shutdown_session()
            loop, thread = self._loop, self._thread
            if loop is not None:
                loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(5)
            if loop is not None and not loop.is_running():
                loop.close()
            if self._stderr is not None:
                self._stderr.close()

    # --- calls ---------------------------------------------------------------------------

    def _submit(self, make: Callable[[Any], Any], what: str) -> Any:
        with self._lock:
            self.start()
            client, loop = self._client, self._loop
        assert loop is not None
        future = asyncio.run_coroutine_threadsafe(make(client), loop)
        try:
            return future.result(self.timeout + 1.0)
        except TimeoutError:
            future.cancel()
            raise _error(self.name, f"no answer to {what} in {self.timeout:g} s") from None
        except Exception as exc:
            if _is_timeout(exc):
                raise _error(self.name, f"no answer to {what} in {self.timeout:g} s") from None
            self._dead = True  # the transport failed: start a new session on the next call
            raise _error(self.name, f"{what} failed: {_describe(exc)}") from None

    def list_tools(self) -> list[Any]:
        """Return the server's tools (every page)."""

        async def fetch(client: Any) -> list[Any]:
            tools: list[Any] = []
            cursor = None
            for _ in range(100):
                page = (
                    await client.list_tools(cursor=cursor) if cursor else await client.list_tools()
                )
                tools.extend(page.tools)
                cursor = getattr(page, "next_cursor", None)
                if not cursor:
                    break
            return tools

        return list(self._submit(fetch, "tools/list"))

    def call(self, tool: str, arguments: Mapping[str, Any], *, retry: bool = False) -> Any:
        """Call ``tool`` and return its structured result (else its text, parsed if JSON).

        ``retry``: when the session had died, try once more on a new session (reads only).
        """
        args = dict(arguments)

        async def run(client: Any) -> Any:
            return await client.call_tool(tool, args, read_timeout_seconds=self.timeout)

        try:
            result = self._submit(run, f"tools/call {tool}")
        except OuroborosError:
            if not (retry and self._dead):
                raise
            result = self._submit(run, f"tools/call {tool}")
        if getattr(result, "is_error", False):
            raise _error(self.name, f"{tool}: {_text_of(result)[:300]}", tool=tool)
        structured = getattr(result, "structured_content", None)
        if structured is not None:
            return structured
        text = _text_of(result)
        try:
            return json.loads(text)
        except ValueError:
            return text


def _is_timeout(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return isinstance(exc, TimeoutError) or "timed out" in text or "timeout" in text


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions[:3])
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def _text_of(result: Any) -> str:
    return "\n".join(
        str(getattr(c, "text", "")) for c in getattr(result, "content", []) or []
    ).strip()


def _plain(params: Any) -> dict[str, Any]:
    from ouroboros.eql.wire import result_to_json

    data = result_to_json(dict(params or {}))
    return {str(k).lstrip(":"): v for k, v in data.items()}


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_ATTR_PART = re.compile(r"[^A-Za-z0-9_.?!*+-]")


def _part(text: str) -> str:
    return _ATTR_PART.sub("-", text)


def _deref(schema: Any, root: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """``schema`` with a local ``$ref`` (``#/$defs/X``, ``#/definitions/X``) followed."""
    if not isinstance(schema, Mapping):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and depth < 10:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        return _deref(target, root, depth + 1)
    return dict(schema)


def _lookup_shape(tool: Any) -> tuple[str, str, list[str]] | None:
    """``(argument, list property, item properties)`` for an ident-entry-point tool, else None."""
    schema = tool.input_schema or {}
    required = list(schema.get("required") or [])
    props = schema.get("properties") or {}
    if len(required) != 1:
        return None
    arg = _deref(props.get(required[0]), schema)
    if arg.get("type") != "array" or _deref(arg.get("items"), schema).get("type") != "string":
        return None
    out = tool.output_schema or {}
    for key, value in (out.get("properties") or {}).items():
        value = _deref(value, out)
        items = _deref(value.get("items"), out)
        if value.get("type") != "array" or items.get("type") != "object":
            continue
        fields = items.get("properties") or {}
        if _deref(fields.get("name"), out).get("type") == "string":
            return required[0], key, [f for f in fields if f != "name"]
    return None


def mcp_operations(source: Mapping[str, Any], session: McpSession) -> list[Any]:
    """Return the mutations and resolvers of one MCP source (its session already started)."""
    from ouroboros import mutation, resolver

    name = session.name
    only = set(source.get("tools") or ())
    ops: list[Any] = []
    entry_points: set[str] = set()
    for tool in session.list_tools():
        if only and tool.name not in only:
            continue
        tname = _part(tool.name)
        attr = f"{name}/{tname}"
        doc = f"From {name} ({session.where}): {(tool.description or tool.name).strip()}"
        schema = tool.input_schema or {}
        params = sorted((schema.get("properties") or {}).keys())
        required = list(schema.get("required") or [])

        def call_mutation(params_: Any, _t: str = tool.name) -> Any:
            result = session.call(_t, _plain(params_))
            return result if isinstance(result, Mapping) else {"result": result}

        ops.append(
            mutation(
                call_mutation,
                name=attr,
                params=params or None,
                timeout=session.timeout * 2 + 1,
                blocking=True,
                doc=doc,
            )
        )
        read_only = bool(getattr(tool.annotations, "read_only_hint", False))
        if not read_only:
            continue

        def read(
            env: Any, _data: Any, _t: str = tool.name, _a: str = attr, _req: tuple = tuple(required)
        ) -> Any:
            args = _plain(getattr(env, "params", None))
            missing = [r for r in _req if r not in args]
            if missing:
                raise InvalidInputError(
                    f"{_a} needs the param{'s' if len(missing) > 1 else ''} "
                    + ", ".join(f":{m}" for m in missing)
                    + f" (as (:{_a} {{:{missing[0]} ...}}))"
                )
            return {_a: session.call(_t, args, retry=True)}

        ops.append(
            resolver(
                read,
                name=f"foreign.{name}/{tname}",
                output=[attr],
                params=params or None,
                timeout=session.timeout * 2 + 1,
                blocking=True,
                cache=True,
                doc=doc,
            )
        )
        shape = _lookup_shape(tool)
        if shape is None:
            continue
        arg, key, fields = shape
        ns = f"{name}.{_part(_singular(key))}"
        if ns in entry_points or not fields:
            continue
        entry_points.add(ns)
        in_attr = f"{ns}/name"

        def lookup(
            items: list[dict[str, Any]],
            _t: str = tool.name,
            _arg: str = arg,
            _key: str = key,
            _ns: str = ns,
            _in: str = in_attr,
        ) -> Any:
            names = list(dict.fromkeys(str(item[_in]) for item in items))
            answer = session.call(_t, {_arg: names}, retry=True)
            rows = answer.get(_key) if isinstance(answer, Mapping) else None
            found: dict[str, dict[str, Any]] = {}
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, Mapping) and isinstance(row.get("name"), str):
                    found[row["name"]] = {
                        f"{_ns}/{_part(k)}": v for k, v in row.items() if k != "name"
                    }
            return [found.get(str(item[_in]), {}) for item in items]

        ops.append(
            resolver(
                lookup,
                name=f"foreign.{name}/{tname}-by-name",
                input=[in_attr],
                output=[f"{ns}/{_part(f)}" for f in fields],
                batch=True,
                timeout=session.timeout * 2 + 1,
                blocking=True,
                doc=f"{doc} (one call for a batch of names)",
            )
        )
    return ops
