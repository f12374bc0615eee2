"""The live dashboard: the page at ``/``, its package assets, its JSON API and its WebSocket.

- ``GET /`` and ``/dashboard/static/*``: the page (plain HTML/CSS/JS shipped in the package, no
  CDN); public, because it holds no data: everything it shows comes through the calls below.
- ``GET /dashboard/api/health``: lifecycle state, request/tool/resolver counters, top tools and
  resolvers from telemetry, recent errors (``read`` scope).
- ``GET /dashboard/api/graph/search?q=`` and ``/dashboard/api/graph/entity?name=``: the graph
  explorer's search and one entity with its observations, relations and neighbours.
- ``POST /dashboard/api/query`` (JSON ``{"query": "<EQL>"}``): the result, the plan as data and the
  run's trace (each resolver's time and errors), lenient, with /eql's mutation rules.
- ``WS /dashboard/ws``: the live event feed. The bearer token comes as a subprotocol
  (``bearer.<token>`` beside ``ouroboros.v1``) or as the first message ``{"type": "auth",
  "token": ...}``, never in the URL; without tokens only loopback clients are served. The
  ``Origin`` must be this server (or a configured CORS origin), so another web page open in the
  same browser cannot read the feed.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ouroboros.errors import InvalidInputError, OuroborosError, PermissionDeniedError
from ouroboros.http.auth import Authenticator, caller_of, is_loopback, require_scope
from ouroboros.observe import events, metrics
from ouroboros.tools.policy import SCOPES, Caller

__all__ = ["STATIC_DIR", "dashboard_routes"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static" / "dashboard"
SUBPROTOCOL = "ouroboros.v1"
AUTH_TIMEOUT = 10.0
MAX_QUERY_CHARS = 20_000


async def page_endpoint(request: Request) -> Response:
    """Return the dashboard page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


def _service(request: Request) -> Any:
    return request.app.state.service


async def health_api(request: Request) -> Response:
    """Return what the health panel shows (``read`` scope)."""
    require_scope(caller_of(request.scope), "read", "the dashboard")
    service = _service(request)
    lifecycle = service.runtime.lifecycle.status()
    stats: list[dict[str, Any]] = []
    try:
        stats = await anyio.to_thread.run_sync(service.store.event_stats, "name")
    except OuroborosError:
        log.warning("could not read telemetry stats", exc_info=True)
    errors = [e for e in events.recent() if e["kind"] == "error"][-20:]
    return JSONResponse(
        {
            "time": time.time(),
            "lifecycle": lifecycle,
            "machine": _machine(),
            "metrics": metrics.snapshot(),
            "telemetry": stats[:50],
            "errors": errors,
            "tools": len(service.tools),
        }
    )


def _machine() -> dict[str, Any]:
    from ouroboros.resolvers.lifecycle import STATES, TRANSITIONS

    return {
        "states": [s.id for s in STATES if s.type == "atomic"],
        "transitions": [
            {"event": t.event, "source": t.source, "target": t.target} for t in TRANSITIONS
        ],
    }


async def graph_search_api(request: Request) -> Response:
    """Return entities matching ``?q=`` (the store's ranked search; ``read`` scope)."""
    require_scope(caller_of(request.scope), "read", "the dashboard")
    text = request.query_params.get("q", "").strip()[:500]
    store = _service(request).store
    if not text:
        data = await anyio.to_thread.run_sync(lambda: store.read_graph(0, 50))
        return JSONResponse({"results": data.get("entities", [])[:50]})
    found = await anyio.to_thread.run_sync(lambda: store.search(text, 25))
    return JSONResponse({"results": found.get("results", [])})


async def graph_entity_api(request: Request) -> Response:
    """Return one entity, its relations and its neighbours (``?name=``; ``read`` scope)."""
    require_scope(caller_of(request.scope), "read", "the dashboard")
    name = request.query_params.get("name", "")
    if not name or len(name) > 1000:
        raise InvalidInputError("give ?name= (an entity name up to 1000 characters)")
    store = _service(request).store

    def read() -> dict[str, Any]:
        entity = store.get_entity(name)
        if entity is None:
            return {"entity": None, "nodes": [], "relations": []}
        around = store.neighbours(name)
        return {
            "entity": entity,
            "nodes": around.get("nodes", []),
            "relations": around.get("relations", []),
        }

    return JSONResponse(await anyio.to_thread.run_sync(read))


async def query_api(request: Request) -> Response:
    """Run an EQL query for the console: ``{result, plan, trace, duration_ms}`` (lenient)."""
    from ouroboros.connect.trace import Trace
    from ouroboros.eql import result_to_json
    from ouroboros.http.eql import has_mutations, read_eql_request

    caller = caller_of(request.scope)
    require_scope(caller, "read", "the dashboard query console")
    service = _service(request)
    root, entity, _ = await read_eql_request(request)
    if has_mutations(root):
        require_scope(caller, "write", "an EQL mutation")
        if not service.settings.allow_mutations:
            raise PermissionDeniedError(
                "EQL mutations are disabled on this server (start it with --allow-mutations)"
            )
    engine = service.engine
    plan = json.loads(engine.explain(root, list(entity), fmt="json"))
    trace = Trace()
    started = time.perf_counter()
    result = await engine.process_async(
        root,
        entity or None,
        context={"caller": caller, "settings": service.settings, "transport": "dashboard"},
        lenient=True,
        trace=trace,
    )
    return JSONResponse(
        {
            "result": result_to_json(result),
            "plan": plan,
            "trace": trace.to_data(),
            "duration_ms": round((time.perf_counter() - started) * 1000.0, 3),
        }
    )


def _origin_allowed(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: the token (or loopback) decides
    settings = websocket.app.state.settings
    if origin in settings.cors_origins:
        return True
    host = websocket.headers.get("host", "")
    return origin in {f"http://{host}", f"https://{host}"}


async def _ws_caller(websocket: WebSocket, authenticator: Authenticator) -> Caller | None:
    """Return the caller of a WebSocket (after accepting it), or None after closing it."""
    offered = list(websocket.scope.get("subprotocols") or [])
    token = next((p[len("bearer.") :] for p in offered if p.startswith("bearer.")), None)
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    client = websocket.client.host if websocket.client else None
    if token is None and not await authenticator.has_tokens():
        if authenticator.bound_to_loopback and is_loopback(client):
            return Caller(id=f"local:{client}", scopes=frozenset(SCOPES), transport="dashboard")
        await _refuse(websocket, "this server serves loopback clients only")
        return None
    if token is None:
        await websocket.send_json({"type": "auth-required"})
        try:
            with anyio.fail_after(AUTH_TIMEOUT):
                first = await websocket.receive_json()
        except (TimeoutError, ValueError, KeyError, WebSocketDisconnect):
            await _refuse(websocket, 'send {"type": "auth", "token": ...} first')
            return None
        token = first.get("token") if isinstance(first, dict) else None
        if not isinstance(token, str) or first.get("type") != "auth":
            await _refuse(websocket, 'send {"type": "auth", "token": ...} first')
            return None
    record = await authenticator.verify(token.strip())
    if record is None:
        await _refuse(websocket, "unknown or revoked token")
        return None
    return Caller(
        id=f"token:{record['name']}",
        scopes=frozenset(record.get("scopes") or ()),
        transport="dashboard",
    )


async def _refuse(websocket: WebSocket, message: str) -> None:
    try:
        await websocket.send_json(
            {"type": "error", "error": {"type": "AuthError", "message": message}}
        )
        await websocket.close(code=1008, reason=message[:120])
    except Exception:
        pass


async def events_ws(websocket: WebSocket) -> None:
    """Stream the live event feed: first ``{"type": "hello", "recent": [...]}``, then one
    ``{"type": "event", "event": {...}}`` per event."""
    authenticator: Authenticator | None = getattr(websocket.app.state, "authenticator", None)
    host = websocket.headers.get("host", "").rsplit(":", 1)[0]
    if authenticator is None or not _origin_allowed(websocket):
        await websocket.close(code=1008)
        return
    if authenticator.bound_to_loopback and not is_loopback(host):
        await websocket.close(code=1008)  # DNS rebinding: like AuthMiddleware's Host check
        return
    caller = await _ws_caller(websocket, authenticator)
    if caller is None:
        return
    if not caller.can("read"):
        await _refuse(websocket, f"the caller {caller.id!r} has no read scope")
        return
    subscription = events.subscribe()
    try:
        await websocket.send_json(
            {"type": "hello", "caller": caller.id, "recent": events.recent(200)}
        )
        async with anyio.create_task_group() as tasks:

            async def watch_close() -> None:
                try:
                    while True:
                        message = await websocket.receive()
                        if message["type"] == "websocket.disconnect":
                            break
                finally:
                    tasks.cancel_scope.cancel()

            tasks.start_soon(watch_close)
            while True:
                event = await subscription.get()
                await websocket.send_json({"type": "event", "event": event})
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        subscription.close()


def dashboard_routes() -> list[BaseRoute]:
    """Return the dashboard's routes (the page, assets, API and WebSocket)."""
    return [
        Route("/", page_endpoint, methods=["GET"]),
        Mount(
            "/dashboard/static",
            StaticFiles(directory=STATIC_DIR, follow_symlink=True),
            name="dashboard-static",
        ),
        Route("/dashboard/api/health", health_api, methods=["GET"]),
        Route("/dashboard/api/graph/search", graph_search_api, methods=["GET"]),
        Route("/dashboard/api/graph/entity", graph_entity_api, methods=["GET"]),
        Route("/dashboard/api/query", query_api, methods=["POST"]),
        WebSocketRoute("/dashboard/ws", events_ws),
    ]
