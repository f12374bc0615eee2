"""MCP over stdio: serve one server on this process's stdin and stdout until the client leaves."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

import anyio
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from ouroboros.config import Settings

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
    async with stdio_server() as (read_stream, write_stream):
        try:
            with contextlib.redirect_stdout(sys.stderr):
                await server.run(read_stream, write_stream, server.create_initialization_options())
        finally:
            sys.stdout.flush()


def log_to_stderr(level: int = logging.WARNING) -> None:
    """Send log records to stderr (stdout belongs to the protocol)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


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
