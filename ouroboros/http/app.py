"""``create_app``: the Starlette application — routes, middleware and the lifespan that runs them.

::

    app = create_app(Settings.from_env())          # opens the service in its lifespan
    app = create_app(service=service)              # serves a service the caller owns

Nothing happens at import time or in ``create_app``: the lifespan opens the service (store,
engine, tools), builds the GraphQL schema from the attribute index, enters the MCP session
manager, and closes everything in reverse order on shutdown.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ouroboros.chat import AgentRunner, ChatEndpoints, ChatSettings
from ouroboros.chat.settings import load_chat_settings
from ouroboros.config import Settings
from ouroboros.http.agent import agent_endpoint
from ouroboros.http.auth import Authenticator, AuthMiddleware, check_bind, is_loopback
from ouroboros.http.dashboard import dashboard_routes
from ouroboros.http.eql import eql_endpoint
from ouroboros.http.errors import ServiceNotRunningError, error_response, exception_handlers
from ouroboros.http.graphql.ide import asset_endpoint, graphiql_page, wants_page
from ouroboros.http.limits import BodyLimitMiddleware
from ouroboros.http.observe import ObserveMiddleware, metrics_endpoint
from ouroboros.http.openapi import openapi_endpoint
from ouroboros.http.resource_metadata import METADATA_PATHS, resource_metadata_endpoint
from ouroboros.http.status import health_endpoint, index_endpoint, ready_endpoint
from ouroboros.tools.policy import RateLimiter

if TYPE_CHECKING:
    from ouroboros.service import Service

__all__ = ["create_app"]

log = logging.getLogger(__name__)


class _LateEndpoint:
    """An ASGI endpoint built in the lifespan and read from ``app.state`` per request."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = getattr(scope["app"].state, self.name, None)
        if endpoint is None:
            exc = ServiceNotRunningError(f"{self.name} is not running yet")
            await error_response(exc)(scope, receive, send)
            return
        await endpoint(scope, receive, send)


class _GraphQLFront:
    """``/graphql``: the GraphiQL page for a browser (when on), else the GraphQL endpoint."""

    def __init__(self, graphiql: bool) -> None:
        self.graphiql = graphiql
        self.endpoint = _LateEndpoint("graphql")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.graphiql and wants_page(scope):
            await graphiql_page()(scope, receive, send)
            return
        await self.endpoint(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    *,
    service: Service | None = None,
    graphiql: bool | None = None,
    token_cache_ttl: float = 2.0,
    chat: ChatSettings | None = None,
    chat_agent: AgentRunner | None = None,
    on_start: Callable[[Service, bool], None] | None = None,
) -> Starlette:
    """Return the HTTP application for ``settings`` (or for an already open ``service``).

    ``graphiql``: serve the GraphiQL page at ``GET /graphql`` (a browser's ``Accept: text/html``)
    and its shipped assets at ``/graphql/assets/*`` (default: ``settings.extra["graphiql"]``, else
    on when bound to loopback and off otherwise). ``token_cache_ttl``: how long a verified token (and "are there
    tokens?") is cached. The lifespan raises BindRefusedError for a non-loopback host without
    tokens. ``chat`` (default: from the environment) turns on the chat platforms' webhooks;
    ``chat_agent`` replaces the agent they run (default: the configured providers).
    ``on_start(service, has_tokens)`` runs once the service is open and the bind is checked
    (``ouroboros serve`` prints its start-up lines there).
    """
    if settings is None:
        settings = service.settings if service is not None else Settings.from_env()
    bound_to_loopback = is_loopback(settings.host)
    if graphiql is None:
        chosen = settings.extra.get("graphiql")
        graphiql = bound_to_loopback if chosen is None else bool(chosen)

    from ouroboros.mcp_server import MCPHttpApp, build_mcp_server, transport_security_for
    from ouroboros.mcp_server.server import server_instructions

    holder: dict[str, Any] = {}
    chat_endpoints = ChatEndpoints(
        chat if chat is not None else load_chat_settings(settings.extra.get("config")),
        rate_limit_per_minute=settings.rate_limit_per_minute,
    )
    mcp = MCPHttpApp(
        lambda: build_mcp_server(
            holder["service"].tools,
            changes=holder["service"].store.changes,
            instructions=server_instructions(holder["service"].semantic_note),
        ),
        transport_security=transport_security_for(settings.host),
        max_request_body_size=max(settings.max_body_bytes, 1),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if service is None:
                from ouroboros.service import open_service

                running = stack.enter_context(open_service(settings))
            else:
                running = service
            authenticator = Authenticator(
                running.store, bound_to_loopback=bound_to_loopback, ttl=token_cache_ttl
            )
            has_tokens = await authenticator.has_tokens()
            check_bind(settings.host, has_tokens)
            if on_start is not None:
                on_start(running, has_tokens)
            from ouroboros.http.graphql import build_graphql_app

            holder["service"] = running
            app.state.service = running
            app.state.authenticator = authenticator
            app.state.graphql = build_graphql_app(running, settings)
            await stack.enter_async_context(mcp.lifespan())
            if chat_endpoints.settings.enabled:
                from ouroboros.chat.agent_runner import agent_runner

                chat_endpoints.bind(
                    chat_agent or agent_runner(running, tools=chat_endpoints.settings.tools)
                )
            try:
                yield
            finally:
                chat_endpoints.unbind()
                app.state.graphql = None
                app.state.authenticator = None
                app.state.service = None

    middleware = [Middleware(ObserveMiddleware)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "Accept",
                    "Mcp-Session-Id",
                    "Mcp-Protocol-Version",
                    "Last-Event-ID",
                ],
                expose_headers=["WWW-Authenticate", "Retry-After", "Mcp-Session-Id"],
            )
        )
    middleware += [
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(
            AuthMiddleware,
            rate_limiter=RateLimiter(settings.rate_limit_per_minute),
            check_host=bound_to_loopback,
        ),
    ]
    routes = [
        Route("/eql", eql_endpoint, methods=["POST"]),
        Route("/agent", agent_endpoint, methods=["POST"]),
        Route("/graphql", _GraphQLFront(graphiql), methods=["GET", "POST"]),
        Route("/graphql/assets/{name}", asset_endpoint, methods=["GET"]),
        Route("/mcp", mcp, methods=["GET", "POST", "DELETE"]),
        Route("/health", health_endpoint, methods=["GET"]),
        Route("/ready", ready_endpoint, methods=["GET"]),
        Route("/index", index_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi_endpoint, methods=["GET"]),
        *(Route(p, resource_metadata_endpoint, methods=["GET"]) for p in sorted(METADATA_PATHS)),
        *chat_endpoints.routes(),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *dashboard_routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.graphiql = graphiql
    return app
