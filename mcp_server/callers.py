"""Who is calling over MCP: the caller hook that turns a request context into a ``Caller``.

stdio and in-memory connections have no HTTP request: the caller is the local user with every
scope. Over streamable HTTP the front door authenticates the request first and leaves the
verified ``Caller`` on the ASGI scope under ``CALLER_SCOPE_KEY`` (or on ``request.state.caller``);
``default_caller`` reads it from there. A request that carries no caller gets every scope only
when it comes from a loopback address (the token-less, loopback-only server of DESIGN §6), and
no scope at all otherwise, so a misconfigured front door fails closed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from mcp.server.context import ServerRequestContext

from ouroboros.tools.policy import SCOPES, Caller

__all__ = [
    "CALLER_SCOPE_KEY",
    "CallerFactory",
    "caller_from_request",
    "default_caller",
    "local_caller",
]

CALLER_SCOPE_KEY = "ouroboros.caller"
"""The ASGI scope key where an HTTP front door puts the verified ``Caller`` of a request."""

CallerFactory = Callable[[ServerRequestContext[Any, Any]], Caller]
"""``caller_factory(ctx) -> Caller``: who makes this MCP request (``ctx.request`` is the
Starlette ``Request`` over HTTP and ``None`` over stdio and in memory)."""


def local_caller(transport: str = "stdio") -> Caller:
    """Return the local caller: id ``local``, every scope."""
    return Caller(id="local", scopes=frozenset(SCOPES), transport=transport)


def caller_from_request(request: Any) -> Caller:
    """Return the caller an HTTP request carries (see the module docstring for the rules)."""
    scope = getattr(request, "scope", None) or {}
    found = scope.get(CALLER_SCOPE_KEY)
    if found is None:
        state = scope.get("state")
        if isinstance(state, dict):
            found = state.get("caller")
    if isinstance(found, Caller):
        return found
    client = scope.get("client")
    host = client[0] if client else None
    if host is not None and _is_loopback(host):
        return Caller(id=f"local:{host}", scopes=frozenset(SCOPES), transport="http")
    return Caller(id=f"anonymous:{host or 'unknown'}", scopes=frozenset(), transport="http")


def default_caller(ctx: ServerRequestContext[Any, Any]) -> Caller:
    """Return the caller of ``ctx``: local over stdio and in memory, else from the HTTP request."""
    if ctx.request is None:
        return local_caller("stdio")
    return caller_from_request(ctx.request)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
