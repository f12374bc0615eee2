"""MCP over streamable HTTP as an ASGI endpoint to mount at ``/mcp`` inside a host Starlette app.

The SDK's session manager runs a task group that must be entered in the **host** app's
lifespan (a mounted sub-app's lifespan never runs, and the manager cannot be entered twice).
``MCPHttpApp`` is the endpoint; its ``lifespan()`` builds the MCP server (after the host has
opened the service) and enters a fresh session manager::

    mcp = MCPHttpApp(lambda: build_mcp_server(service.tools, read_graph=...),
                     transport_security=transport_security_for(settings.host))

    @asynccontextmanager
    async def lifespan(app):
        with open_service(settings) as service:   # first: the MCP server needs the tools
            async with mcp.lifespan():
                yield

    app = Starlette(routes=[..., Route("/mcp", mcp, methods=["GET", "POST", "DELETE"])],
                    lifespan=lifespan)

Before the lifespan has started (or after it ended) the endpoint answers 503 with the one error
shape. The caller of each request comes from ``caller_factory`` (see ``callers.py``): the front
door's auth middleware puts the verified ``Caller`` in ``scope["ouroboros.caller"]``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

__all__ = ["LOOPBACK_HOSTS", "MCPHttpApp", "transport_security_for"]

log = logging.getLogger(__name__)

LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")


def transport_security_for(
    host: str,
    *,
    allowed_hosts: Iterable[str] = (),
    allowed_origins: Iterable[str] = (),
) -> TransportSecuritySettings:
    """Return DNS-rebinding protection settings for a server bound to ``host``.

    The ``Host`` header must name a loopback host (with or without a port) or one of
    ``allowed_hosts`` (``"example.com"``, ``"example.com:*"`` for any port); a browser
    ``Origin`` must be a loopback origin or one of ``allowed_origins``. For a server bound to a
    non-loopback address without ``allowed_hosts``, protection is off (logged): the front door
    then requires tokens, and the names clients use for the host cannot be guessed here.
    """
    hosts = list(allowed_hosts)
    origins = list(allowed_origins)
    if not _is_loopback(host) and not hosts:
        log.warning(
            "MCP over HTTP on %s without allowed hosts: DNS-rebinding protection is off", host
        )
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    for name in LOOPBACK_HOSTS:
        hosts += [name, f"{name}:*"]
        origins += [f"http://{name}", f"http://{name}:*", f"https://{name}", f"https://{name}:*"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class MCPHttpApp:
    """An ASGI endpoint serving MCP streamable HTTP; enter ``lifespan()`` in the host app.

    ``server`` is an MCP server or a zero-argument function returning one (called when the
    lifespan starts, so it can use what the host's lifespan opened). The other options are the
    SDK's: ``stateless`` (no sessions: each POST stands alone), ``json_response`` (JSON bodies
    instead of SSE streams), ``max_request_body_size`` (413 beyond it).
    """

    def __init__(
        self,
        server: Server[Any] | Callable[[], Server[Any]],
        *,
        transport_security: TransportSecuritySettings | None = None,
        stateless: bool = False,
        json_response: bool = False,
        max_request_body_size: int = 4 * 1024 * 1024,
        session_idle_timeout: float | None = 30 * 60,
    ) -> None:
        self._server = server
        self.transport_security = transport_security or transport_security_for("127.0.0.1")
        self.stateless = stateless
        self.json_response = json_response
        self.max_request_body_size = max_request_body_size
        self.session_idle_timeout = session_idle_timeout
        self.session_manager: StreamableHTTPSessionManager | None = None

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[StreamableHTTPSessionManager]:
        """Build the server and run a fresh session manager until the block exits."""
        server = self._server if isinstance(self._server, Server) else self._server()
        manager = StreamableHTTPSessionManager(
            app=server,
            json_response=self.json_response,
            stateless=self.stateless,
            security_settings=self.transport_security,
            max_request_body_size=self.max_request_body_size,
            session_idle_timeout=None if self.stateless else self.session_idle_timeout,
        )
        async with manager.run():
            self.session_manager = manager
            try:
                yield manager
            finally:
                self.session_manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        manager = self.session_manager
        if manager is None:
            response = JSONResponse(
                {
                    "error": {
                        "type": "OuroborosError",
                        "message": "MCP is not running: the host app's lifespan has not "
                        "entered MCPHttpApp.lifespan()",
                    }
                },
                status_code=503,
            )
            await response(scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)


def _is_loopback(host: str) -> bool:
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
