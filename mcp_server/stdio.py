"""MCP over stdio: serve one server on this process's stdin and stdout until the client leaves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from ouroboros.config import Settings

if sys.platform != "win32":
    import fcntl

__all__ = ["log_to_stderr", "serve_settings_stdio", "serve_stdio"]

log = logging.getLogger(__name__)


async def serve_stdio(server: Server[Any]) -> None:
    """Serve ``server`` over stdio; return when stdin closes.

    While serving, the SDK points fd 1 at stderr and ``sys.stdout`` is ``sys.stderr``, so a
    stray print (or a child process writing to fd 1) cannot corrupt the protocol. Python's
    buffered stdout is flushed before fd 1 goes back to the wire, or a print made while serving
    would reach the client at exit.
    """
    sys.stdout.flush()
    async with contextlib.AsyncExitStack() as stack:
        pipes = await stack.enter_async_context(_asyncio_pipes())
        # duck-typed streams: the SDK iterates lines and awaits write()/flush()
        streams = stdio_server(*pipes) if pipes else stdio_server()  # type: ignore[arg-type]
        read_stream, write_stream = await stack.enter_async_context(streams)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                await server.run(read_stream, write_stream, server.create_initialization_options())
        finally:
            sys.stdout.flush()


class _LineReader:
    """``async for line in reader``: lines from an asyncio pipe, decoded as UTF-8."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _LineReader:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")


class _LineWriter:
    """``await write(text)`` / ``await flush()`` over an asyncio pipe."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self._writer.drain()


MAX_LINE = 256 * 1024 * 1024  # one JSON-RPC message per line; a big create_entities is fine


@contextlib.asynccontextmanager
async def _asyncio_pipes() -> AsyncIterator[tuple[_LineReader, _LineWriter] | None]:
    """Yield non-blocking line streams on the stdio pipes, or None to use the SDK's own.

    The SDK reads and writes stdio through worker threads (two thread hops per message); on
    asyncio with pipes, the event loop can do it directly, which takes about half a millisecond
    off every call. Like the SDK, this moves the wire to private descriptors and points fd 0 at
    the null device and fd 1 at stderr while serving, then restores them.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # another event loop (trio)
        loop = None
    if loop is None or sys.platform == "win32" or not (_is_pipe(0) and _is_pipe(1)):
        yield None
        return
    wire_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    wire_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    in_file = os.fdopen(wire_in, "rb", buffering=0)
    out_file = os.fdopen(wire_out, "wb", buffering=0)
    write_transport: asyncio.WriteTransport | None = None
    try:
        reader = asyncio.StreamReader(limit=MAX_LINE, loop=loop)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop), in_file
        )
        write_transport, write_protocol = await loop.connect_write_pipe(
            lambda: asyncio.streams.FlowControlMixin(loop=loop), out_file
        )
        writer = asyncio.StreamWriter(write_transport, write_protocol, reader, loop)
        yield _LineReader(reader), _LineWriter(writer)
    finally:
        if write_transport is not None:
            write_transport.close()
        os.dup2(in_file.fileno(), 0)
        os.dup2(out_file.fileno(), 1)


def _is_pipe(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def log_to_stderr(level: int = logging.WARNING) -> None:
    """Send log records to stderr (stdout belongs to the protocol)."""
    from ouroboros.observe import logs

    logs.configure(level=level)  # --log-format / $OUROBOROS_LOG_FORMAT, with ids, redacted


def serve_settings_stdio(settings: Settings, *, log_level: str = "WARNING") -> None:
    """Open the service for ``settings`` and serve its enabled tools over stdio (``ouroboros mcp``).

    Logs go to stderr; anything printed while the service opens goes to stderr too, so stdout
    carries nothing but the protocol. Returns when the client closes stdin.
    """
    from ouroboros.mcp_server.server import build_mcp_server
    from ouroboros.service import open_service

    log_to_stderr(logging.getLevelName(log_level.upper()))
    with contextlib.ExitStack() as stack:
        with contextlib.redirect_stdout(sys.stderr):
            service = stack.enter_context(open_service(settings))
            server = build_mcp_server(service.tools)
        log.info("serving %d tools over stdio on %s", len(service.tools), settings.db_path)
        anyio.run(serve_stdio, server)
