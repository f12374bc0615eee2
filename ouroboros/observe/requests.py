"""``observed_request``: one request outside HTTP (a CLI command), traced, counted and recorded."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

from ouroboros.observe import events, metrics, tracing
from ouroboros.observe.context import new_request_id, reset_request_id, set_request_id

__all__ = ["observed_request"]

log = logging.getLogger(__name__)


def _environment_carrier() -> dict[str, str]:
    return {
        name.lower(): os.environ[name]
        for name in ("TRACEPARENT", "TRACESTATE")
        if name in os.environ
    }


@contextlib.contextmanager
def observed_request(
    surface: str,
    route: str,
    *,
    recorder: Any = None,
    details: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """Run the block as one request: a request id (yielded), a root span ``<surface> <route>``,
    ``ouroboros_requests_total{surface,route,status}``, a telemetry event through
    ``recorder.record_event`` (the store), a live-feed event. ``route`` is a fixed name such as
    ``"query"``, never user text. ``$TRACEPARENT`` (and ``$TRACESTATE``) in the environment, the
    OpenTelemetry convention for a parent process, makes the span a child of that trace.
    Exceptions propagate (status ``error``)."""
    request_id = new_request_id()
    token = set_request_id(request_id)
    started = time.perf_counter()
    ok = False
    name = f"{surface} {route}"
    try:
        with tracing.request_span(
            name,
            {"ouroboros.surface": surface, "ouroboros.request_id": request_id},
            carrier=_environment_carrier(),
        ):
            yield request_id
            ok = True
    finally:
        seconds = time.perf_counter() - started
        metrics.record_request(surface, route, "ok" if ok else "error", seconds)
        info = {"surface": surface, "status": "ok" if ok else "error", **(details or {})}
        events.publish("request", name, ok=ok, duration_ms=seconds * 1000.0, details=info)
        if recorder is not None:
            try:
                recorder.record_event("request", name, ok, seconds * 1000.0, info)
            except Exception:
                log.warning("could not record telemetry for %s", name, exc_info=True)
        reset_request_id(token)
        tracing.flush()
