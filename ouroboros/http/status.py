"""``/health`` (liveness), ``/ready`` (store and lifecycle) and ``/index`` (the attribute index)."""

from __future__ import annotations

from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ouroboros import __version__
from ouroboros.http.auth import caller_of, require_scope

__all__ = ["attribute_index", "health_endpoint", "index_endpoint", "ready_endpoint"]


async def health_endpoint(request: Request) -> Response:
    """Answer 200 while the process serves HTTP (no auth, no store access)."""
    return JSONResponse({"status": "ok", "version": __version__})


async def ready_endpoint(request: Request) -> Response:
    """Answer 200 when the store answers and the lifecycle is running, else 503."""
    service = getattr(request.app.state, "service", None)
    checks: dict[str, Any] = {"service": service is not None}
    if service is not None:
        try:
            await anyio.to_thread.run_sync(service.store.token_list)
            checks["store"] = True
        except Exception as exc:
            checks["store"] = False
            checks["store_error"] = f"{type(exc).__name__}: {exc}"
        status = service.runtime.lifecycle.status()
        checks["lifecycle"] = status.get("state")
        checks["running"] = bool(status.get("ready?"))
    ready = bool(checks.get("service") and checks.get("store") and checks.get("running"))
    body = {"status": "ready" if ready else "not-ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


def attribute_index(engine: Any, tools: Any = None) -> dict[str, Any]:
    """Return the engine's attribute index as JSON data: attributes, resolvers, mutations."""
    index = engine.index
    specs = engine.attributes
    globals_ = index.reachable(())
    attributes = []
    for attr in sorted(set(index.attributes) | set(specs)):
        spec = specs.get(attr)
        attributes.append(
            {
                "name": str(attr),
                "type": spec.describe() if spec else None,
                "doc": specs.doc_of(attr),
                "many": bool(spec and spec.many),
                "global": attr in globals_,
                "provided_by": [r.name for r in index.providers.get(attr, ())],
                "input_of": list(index.input_of.get(attr, ())),
            }
        )
    resolvers = [
        {
            "name": r.name,
            "input": r.input.to_edn(),
            "output": r.output.to_edn(),
            "params": r.params.to_edn() if r.params else None,
            "batch": r.batch,
            "priority": r.priority,
            "doc": r.doc,
        }
        for r in index.resolvers.values()
    ]
    mutations = [
        {
            "name": str(m.name),
            "params": m.params.to_edn() if m.params else None,
            "output": m.output.to_edn() if m.output else None,
            "doc": m.doc,
        }
        for m in index.mutations.values()
    ]
    body: dict[str, Any] = {
        "attributes": attributes,
        "resolvers": resolvers,
        "mutations": mutations,
    }
    if tools is not None:
        body["tools"] = [
            {"name": t["name"], "description": t["description"], "writes": t["writes"]}
            for t in tools.list()
        ]
    return body


async def index_endpoint(request: Request) -> Response:
    """Answer the attribute index (needs the ``read`` scope when tokens are on)."""
    require_scope(caller_of(request.scope), "read", "GET /index")
    service = request.app.state.service
    cached = getattr(request.app.state, "index_json", None)
    if cached is None:
        cached = attribute_index(service.engine, service.tools)
        request.app.state.index_json = cached
    return JSONResponse(cached)
