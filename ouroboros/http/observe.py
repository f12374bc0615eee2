"""Request observation (id, span, metrics, telemetry, live event) and ``GET /metrics``."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ouroboros.http.auth import caller_of, require_scope
from ouroboros.observe import events, metrics, tracing
from ouroboros.observe.context import new_request_id, reset_request_id, set_request_id
from ouroboros.observe.redact import redact_query

__all__ = ["ObserveMiddleware", "metrics_endpoint", "surface_of"]

log = logging.getLogger(__name__)

# Served often and saying nothing about use: counted in metrics, not kept as telemetry events.
QUIET_PATHS = frozenset({"/health", "/ready", "/metrics", "/", "/favicon.ico"})
QUIET_PREFIXES = ("/dashboard/",)


def surface_of(route: str) -> str:
    """Return the front door a route template belongs to (a bounded metric label)."""
    if route in {"/eql", "/graphql", "/mcp"}:
        return route[1:]
    if route == "/" or route.startswith("/dashboard"):
        return "dashboard"
    return "http"


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path or "/"
    app = scope.get("app")
    for candidate in getattr(app, "routes", ()) or ():
        try:
            match, _ = candidate.matches(scope)
        except Exception:
            continue
        if match.name == "FULL":
            return str(getattr(candidate, "path", "unmatched"))
    return "unmatched"


class ObserveMiddleware:
    """Outermost ASGI middleware: a request id (``X-Request-ID``), one span per request,
    ``ouroboros_requests_total`` and its histogram, a telemetry event, a live-feed event."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        offered = None
        for key, value in scope.get("headers", ()):
            if key == b"x-request-id":
                offered = value.decode("latin-1")
                break
        request_id = new_request_id(offered)
        token = set_request_id(request_id)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, request_id)
        finally:
            reset_request_id(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        method = scope.get("method", "GET")
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        attrs = {
            "http.request.method": method,
            "url.path": scope.get("path", ""),
            "url.query": redact_query(scope.get("query_string", b"").decode("latin-1")),
            "ouroboros.request_id": request_id,
        }
        carrier = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope.get("headers", ())
            if key in (b"traceparent", b"tracestate")
        }  # W3C trace context: the caller's trace continues here
        with tracing.request_span(method, attrs, carrier=carrier) as current:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = _route_of(scope)
                code = status["code"]
                if current.is_recording():
                    current.update_name(f"{method} {route}")
                    current.set_attribute("http.route", route)
                    current.set_attribute("http.response.status_code", code)
                    if code >= 500:
                        tracing.set_error(current, f"HTTP {code}")
                self._record(scope, method, route, code, time.perf_counter() - started)

    def _record(self, scope: Scope, method: str, route: str, code: int, seconds: float) -> None:
        surface = surface_of(route)
        metrics.record_request(surface, route, code, seconds)
        if code == 429:
            metrics.record_rate_limited(surface)
        path = scope.get("path", "")
        if path in QUIET_PATHS or path.startswith(QUIET_PREFIXES):
            return
        ok = code < 400
        caller = caller_of(scope)
        details = {"status": code, "surface": surface, "caller": caller.id, "method": method}
        name = f"{method} {route}"
        events.publish("request", name, ok=ok, duration_ms=seconds * 1000.0, details=details)
        if code >= 500:
            events.publish("error", name, ok=False, details=details)
        service = getattr(scope["app"].state, "service", None)
        if service is None:
            return
        try:  # every request in telemetry; it must never fail the request
            service.store.record_event("request", name, ok, seconds * 1000.0, details)
        except Exception:
            log.warning("could not record telemetry for %s", name, exc_info=True)


async def metrics_endpoint(request: Request) -> Response:
    """Return every metric family in the Prometheus text format (needs the ``metrics`` scope,
    which ``admin`` implies)."""
    require_scope(caller_of(request.scope), "metrics", "GET /metrics")
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)


def route_names() -> dict[str, Any]:
    """Return the routes this module serves (for the app's route list)."""
    return {"/metrics": metrics_endpoint}
