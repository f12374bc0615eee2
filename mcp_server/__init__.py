"""The MCP server, stdio and streamable HTTP (installed as `ouroboros.mcp_server`).

``build_mcp_server(registry, ...)`` makes an MCP server from a tool registry; ``serve_stdio``
serves it over stdio (``ouroboros mcp``); ``MCPHttpApp`` mounts it at ``/mcp`` in a Starlette app.
"""

from __future__ import annotations

from .callers import (
    CALLER_SCOPE_KEY,
    CallerFactory,
    caller_from_request,
    default_caller,
    local_caller,
)
from .http import MCPHttpApp, transport_security_for
from .resources import ENTITY_TEMPLATE, GRAPH_URI, PAGE_TEMPLATE
from .server import build_mcp_server
from .stdio import serve_stdio

__all__ = [
    "CALLER_SCOPE_KEY",
    "ENTITY_TEMPLATE",
    "GRAPH_URI",
    "PAGE_TEMPLATE",
    "CallerFactory",
    "MCPHttpApp",
    "build_mcp_server",
    "caller_from_request",
    "default_caller",
    "local_caller",
    "serve_stdio",
    "transport_security_for",
]
