"""MCP over stdio: serve one server on this process's stdin and stdout until the client leaves."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

__all__ = ["log_to_stderr", "serve_stdio"]


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
