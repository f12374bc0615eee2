"""Authentication: bearer tokens with scopes, or the token-less loopback-only local mode.

- With active tokens in the database, every request except ``/health`` carries
  ``Authorization: Bearer <secret>``; the verified token becomes the request's ``Caller``
  (id ``token:<name>``, its scopes; ``admin`` implies every scope).
- Without tokens the server only binds to loopback (``check_bind`` refuses anything else at
  start), and a request from a loopback address is the local caller with every scope.
  A server bound elsewhere never falls back to local mode, even if its last token is revoked.
- Bound to loopback, the ``Host`` header must name a loopback host (DNS-rebinding defence).

The caller is left on the ASGI scope under ``CALLER_SCOPE_KEY``, where the endpoints and the
MCP server's caller hook read it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable
from typing import Any

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from ouroboros.chat.routes import CHAT_PATHS
from ouroboros.errors import (
    ForbiddenError,
    InvalidInputError,
    OuroborosError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from ouroboros.http.graphql.ide import wants_page
from ouroboros.mcp_server.callers import CALLER_SCOPE_KEY
from ouroboros.tools.policy import SCOPES, Caller, RateLimiter

__all__ = [
    "PUBLIC_PATHS",
    "PUBLIC_PREFIXES",
    "AuthMiddleware",
    "Authenticator",
    "BindRefusedError",
    "MisdirectedRequestError",
    "caller_of",
    "check_bind",
    "is_loopback",
    "require_scope",
]

PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/",
        *CHAT_PATHS.values(),
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    }
)
"""Paths served without a token: liveness (it reveals nothing), the dashboard page (it holds no
data), the chat webhooks, whose platform signature is their authentication (checked before
anything else runs), and the RFC 9728 protected-resource metadata (public by design)."""

PUBLIC_PREFIXES = ("/dashboard/static/", "/graphql/assets/")
"""Path prefixes served without a token (the dashboard's and GraphiQL's package assets)."""

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class BindRefusedError(PermissionDeniedError):
    """A non-loopback bind without any token in the database."""


class MisdirectedRequestError(InvalidInputError):
    """A ``Host`` header that does not name this loopback-only server."""

    http_status = 421


def is_loopback(host: str | None) -> bool:
    """Return whether ``host`` (an address or ``localhost``, brackets allowed) is loopback."""
    if not host:
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, has_tokens: bool) -> None:
    """Refuse to serve on a non-loopback ``host`` while no API token exists.

    Raises BindRefusedError with a one-line explanation of what to do instead.
    """
    if has_tokens or is_loopback(host):
        return
    raise BindRefusedError(
        f"refusing to bind {host}: no API tokens exist, so anyone on the network could use the "
        "server; create one with `ouroboros token create NAME --scope read` or bind 127.0.0.1"
    )


def caller_of(scope: Scope) -> Caller:
    """Return the caller the auth middleware left on ``scope`` (the local caller if none)."""
    found = scope.get(CALLER_SCOPE_KEY)
    return found if isinstance(found, Caller) else Caller(transport="http")


def require_scope(caller: Caller, needed: str, what: str) -> None:
    """Raise ForbiddenError unless ``caller`` holds ``needed`` (admin implies all)."""
    if not caller.can(needed):
        raise ForbiddenError(
            f"{what} needs the {needed!r} scope; the caller {caller.id!r} has "
            f"{', '.join(sorted(caller.scopes)) or 'none'}",
            details={"needed_scope": needed, "scopes": sorted(caller.scopes)},
        )


class Authenticator:
    """Turns a request's headers into a ``Caller``; caches lookups for ``ttl`` seconds.

    ``store`` has ``token_list()`` and ``token_verify(secret)``. A revoked token stops working
    within ``ttl`` seconds; a first token created while the server runs switches it from local
    mode to token mode within ``ttl`` seconds.
    """

    def __init__(
        self,
        store: Any,
        *,
        bound_to_loopback: bool,
        ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.bound_to_loopback = bound_to_loopback
        self.ttl = ttl
        self._clock = clock
        self._has_tokens: tuple[float, bool] | None = None
        self._verified: dict[str, tuple[float, dict[str, Any] | None]] = {}

    async def has_tokens(self) -> bool:
        """Return whether any active token exists (cached)."""
        now = self._clock()
        cached = self._has_tokens
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        tokens = await anyio.to_thread.run_sync(self.store.token_list)
        found = any(not t.get("revoked") for t in tokens)
        self._has_tokens = (now, found)
        return found

    async def verify(self, secret: str) -> dict[str, Any] | None:
        """Return the active token record for ``secret`` (cached by hash), else None."""
        digest = hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()
        now = self._clock()
        cached = self._verified.get(digest)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        record = await anyio.to_thread.run_sync(self.store.token_verify, secret)
        if len(self._verified) > 1024:
            self._verified.clear()
        self._verified[digest] = (now, record)
        return record

    async def authenticate(self, headers: dict[str, str], client_host: str | None) -> Caller:
        """Return the caller of a request; raises UnauthenticatedError (401)."""
        auth = headers.get("authorization")
        if auth is None and not await self.has_tokens():
            if self.bound_to_loopback and is_loopback(client_host):
                return Caller(id=f"local:{client_host}", scopes=frozenset(SCOPES), transport="http")
            raise UnauthenticatedError(
                "this server has no active API tokens and serves no one but loopback clients"
            )
        if auth is None:
            raise UnauthenticatedError("missing bearer token: send 'Authorization: Bearer <token>'")
        scheme, _, secret = auth.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise UnauthenticatedError("the Authorization header must be 'Bearer <token>'")
        record = await self.verify(secret.strip())
        if record is None:
            raise UnauthenticatedError("unknown or revoked token")
        return Caller(
            id=f"token:{record['name']}",
            scopes=frozenset(record.get("scopes") or ()),
            transport="http",
        )


class AuthMiddleware:
    """ASGI middleware: check the Host, authenticate, rate-limit tokens, set the caller.

    The ``Authenticator`` is read from ``app.state.authenticator`` (set by the lifespan).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate_limiter: RateLimiter | None = None,
        check_host: bool = True,
    ) -> None:
        self.app = app
        self.rate_limiter = rate_limiter
        self.check_host = check_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from ouroboros.http.errors import error_response

        try:
            caller = await self._caller(scope)
        except OuroborosError as exc:
            headers = None
            if exc.http_status == 401:  # every 401 points at the protected-resource metadata
                from ouroboros.http.resource_metadata import challenge

                headers = {"WWW-Authenticate": challenge(scope)}
            await error_response(exc, headers)(scope, receive, send)
            return
        if caller is not None:
            scope[CALLER_SCOPE_KEY] = caller
        await self.app(scope, receive, send)

    async def _caller(self, scope: Scope) -> Caller | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        authenticator: Authenticator | None = getattr(scope["app"].state, "authenticator", None)
        if self.check_host and (authenticator is None or authenticator.bound_to_loopback):
            host = _host_name(headers.get("host", ""))
            if not is_loopback(host):
                raise MisdirectedRequestError(
                    f"Host {host!r} is not a loopback name; this server answers loopback hosts only"
                )
        if scope["path"] in PUBLIC_PATHS or scope["path"].startswith(PUBLIC_PREFIXES):
            return None
        if scope["path"] == "/graphql" and _serves_graphiql(scope):
            return None  # the GraphiQL page holds no data; its queries are authenticated
        if authenticator is None:
            from ouroboros.http.errors import ServiceNotRunningError

            raise ServiceNotRunningError("the server is starting or stopping; retry shortly")
        client = scope.get("client")
        caller = await authenticator.authenticate(headers, client[0] if client else None)
        if self.rate_limiter is not None and caller.id.startswith("token:"):
            self.rate_limiter.check(caller.id)
        return caller


def _serves_graphiql(scope: Scope) -> bool:
    return bool(getattr(scope["app"].state, "graphiql", False)) and wants_page(scope)


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
