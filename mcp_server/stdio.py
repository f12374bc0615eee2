"""MCP over stdio: serve one server on this process's stdin and stdout until the client leaves."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

import anyio
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse

from ouroboros.config import Settings

__all__ = ["log_to_stderr", "serve_settings_stdio", "serve_stdio", "write_startup_lines"]

log = logging.getLogger(__name__)


# After the client closes stdin, how long the requests it already sent may take to be answered
# before the server cancels them and exits.
DRAIN_SECONDS = 10.0


async def serve_stdio(server: Server[Any]) -> None:
    """Serve ``server`` over stdio with the SDK's transport; return when the client leaves.

    While serving, the SDK points fd 0 at the null device and fd 1 at stderr, and
    ``sys.stdout`` is ``sys.stderr``, so a stray print (or a child process writing to fd 1)
    cannot corrupt the protocol. Python's buffered stdout is flushed before fd 1 goes back to
    the wire, or a print made while serving would reach the client at exit.

    A client that closes stdin still gets the answers to the requests it sent (for up to
    `DRAIN_SECONDS`; the SDK alone would cancel them at end of input). A client that closed
    stdout as well cannot be answered: the broken pipe ends serving quietly.

    (A hand-written asyncio pipe transport used to replace the SDK's: it saved ~0.4 ms a call
    but crashed on every normal disconnect; see bench/RESULTS.md "MCP stdio transport".)
    """
    sys.stdout.flush()
    try:
        async with stdio_server() as (read_stream, write_stream):
            pending = _Pending()
            try:
                with contextlib.redirect_stdout(sys.stderr):
                    await server.run(
                        _DrainingReader(read_stream, pending),
                        _AnsweringWriter(write_stream, pending),
                        server.create_initialization_options(),
                    )
            finally:
                sys.stdout.flush()
    except* (BrokenPipeError, ConnectionResetError):
        log.info("the client closed stdout; serving ends")


class _Pending:
    """The ids of requests read from the client and not yet answered."""

    def __init__(self) -> None:
        self.ids: set[Any] = set()
        self._empty = anyio.Event()
        self._empty.set()

    def add(self, request_id: Any) -> None:
        self.ids.add(request_id)
        if self._empty.is_set():
            self._empty = anyio.Event()

    def discard(self, request_id: Any) -> None:
        self.ids.discard(request_id)
        if not self.ids:
            self._empty.set()

    async def wait_empty(self) -> None:
        await self._empty.wait()


class _DrainingReader:
    """The SDK's read stream, whose end waits until the requests already read are answered.

    The SDK's dispatcher cancels every in-flight handler when its read stream ends; holding
    the end back lets a client that writes its requests and closes stdin (a pipeline, or a
    client shutting down) still read every answer.
    """

    def __init__(self, inner: Any, pending: _Pending) -> None:
        self._inner = inner
        self._pending = pending
        self.last_context: Any = None

    async def receive(self) -> Any:
        try:
            item = await self._inner.receive()
        except anyio.EndOfStream:
            with anyio.move_on_after(DRAIN_SECONDS):
                await self._pending.wait_empty()
            if self._pending.ids:
                log.warning(
                    "stdin closed; cancelling %d unanswered request(s)", len(self._pending.ids)
                )
            raise
        self.last_context = getattr(self._inner, "last_context", None)
        message = getattr(item, "message", None)
        if isinstance(message, JSONRPCRequest):
            self._pending.add(message.id)
        elif (
            isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled"
        ):
            self._pending.discard((message.params or {}).get("requestId"))  # never answered
        return item

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> _DrainingReader:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> _DrainingReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _AnsweringWriter:
    """The SDK's write stream; marks a request answered once its response is sent."""

    def __init__(self, inner: Any, pending: _Pending) -> None:
        self._inner = inner
        self._pending = pending

    async def send(self, item: Any) -> None:
        await self._inner.send(item)
        message = getattr(item, "message", None)
        if isinstance(message, (JSONRPCResponse, JSONRPCError)):
            self._pending.discard(message.id)

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _AnsweringWriter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def log_to_stderr(level: int = logging.WARNING) -> None:
    """Send log records to stderr (stdout belongs to the protocol)."""
    from ouroboros.observe import logs

    logs.configure(level=level)  # --log-format / $OUROBOROS_LOG_FORMAT, with ids, redacted


def serve_settings_stdio(settings: Settings, *, log_level: str = "WARNING") -> None:
    """Open the service for ``settings`` and serve its enabled tools over stdio (``ouroboros mcp``).

    Logs go to stderr; anything printed while the service opens goes to stderr too, so stdout
    carries nothing but the protocol. Returns when the client closes stdin.
    """
    from ouroboros.mcp_server.server import build_mcp_server, server_instructions
    from ouroboros.service import open_service

    log_to_stderr(logging.getLevelName(log_level.upper()))
    with contextlib.ExitStack() as stack:
        with contextlib.redirect_stdout(sys.stderr):
            service = stack.enter_context(open_service(settings))
            server = build_mcp_server(
                service.tools,
                changes=service.store.changes,
                instructions=server_instructions(service.semantic_note),
            )
        write_startup_lines(service)
        anyio.run(serve_stdio, server)


STDIO_AUTH = "stdio: the client that started this process is the local caller, every scope"


def write_startup_lines(service: Any) -> None:
    """Write what this server runs with to stderr (never stdout: it carries the protocol)."""
    from ouroboros.startup import startup_lines

    lines = startup_lines(service, serving="MCP over stdio", auth=STDIO_AUTH, client_roots=True)
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    sys.stderr.flush()
