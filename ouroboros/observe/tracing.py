"""OpenTelemetry traces: one trace per request, child spans for plan, resolver, tool, store, model.

The tracer provider is this package's own (the global one is left to the application) and made
on first use. Spans are exported with OTLP/HTTP (protobuf) only when
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set; otherwise
they stay in the process and serve only for the trace ids in logs. Every attribute value is
redacted (``observe.redact``) before it is set::

    with request_span("POST /eql", {"http.route": "/eql"}, carrier=headers):  # a root span
        with span("plan", {"ouroboros.attributes": 3}):       # a child, only inside a request
            ...

W3C trace context both ways: ``request_span(..., carrier=headers)`` continues the trace of an
incoming ``traceparent`` (and ``tracestate``) header, and ``outbound_headers()`` (inside
``client_span(...)``) returns the ``traceparent`` to send with an outbound HTTP request, so a
server behind us sees its work as part of our trace. A malformed ``traceparent`` is ignored
(a new trace starts), as the W3C spec asks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanProcessor
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ouroboros.observe.redact import REDACTED, is_sensitive, redact_text

__all__ = [
    "client_span",
    "current_trace_id",
    "flush",
    "in_request",
    "outbound_headers",
    "provider",
    "request_span",
    "set_attributes",
    "set_error",
    "span",
    "use_provider",
]

log = logging.getLogger(__name__)

_lock = threading.Lock()
_provider: TracerProvider | None = None
_MAX_ATTR = 1000
_W3C = TraceContextTextMapPropagator()
_CARRIED = ("traceparent", "tracestate")


def _make_provider() -> TracerProvider:
    from ouroboros import __version__

    made = TracerProvider(
        resource=Resource.create({"service.name": "ouroboros", "service.version": __version__})
    )
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor: SpanProcessor = BatchSpanProcessor(OTLPSpanExporter())
        made.add_span_processor(processor)
        log.info("exporting traces with OTLP/HTTP to %s", redact_text(endpoint))
    return made


def provider() -> TracerProvider:
    """Return the tracer provider (made on first use from the environment)."""
    global _provider
    if _provider is None:
        with _lock:
            if _provider is None:
                _provider = _make_provider()
    return _provider


@contextlib.contextmanager
def use_provider(replacement: TracerProvider) -> Iterator[TracerProvider]:
    """Use ``replacement`` for new spans inside the block (tests, embedding applications)."""
    global _provider
    with _lock:
        previous, _provider = _provider, replacement
    try:
        yield replacement
    finally:
        with _lock:
            _provider = previous


def flush(timeout_millis: int = 5000) -> bool:
    """Export every finished span now (before a CLI command exits); return whether it worked."""
    current = _provider
    return True if current is None else bool(current.force_flush(timeout_millis))


def _tracer() -> trace.Tracer:
    return provider().get_tracer("ouroboros")


def _attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if value is None:
            continue
        if is_sensitive(key.rsplit(".", 1)[-1]):
            out[key] = REDACTED
        elif isinstance(value, (bool, int, float)):
            out[key] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            out[key] = [redact_text(v)[:_MAX_ATTR] for v in value[:50]]
        else:
            out[key] = redact_text(str(value))[:_MAX_ATTR]
    return out


def in_request() -> bool:
    """Return whether a recording span is current (code runs inside a traced request)."""
    return trace.get_current_span().is_recording()


def _incoming(carrier: Mapping[str, str] | None) -> Any:
    """The trace context an incoming request carries (None: start a new trace)."""
    if not carrier:
        return None
    picked = {k: v for k, v in ((k.lower(), v) for k, v in carrier.items()) if k in _CARRIED}
    if "traceparent" not in picked:
        return None
    context = _W3C.extract(picked)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


@contextlib.contextmanager
def request_span(
    name: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    kind: str = "server",
    carrier: Mapping[str, str] | None = None,
) -> Iterator[Span]:
    """Start a span that is a trace's root (or a child when a request is already traced).

    ``carrier`` (an incoming request's headers, names in any case) with a valid W3C
    ``traceparent`` makes the span a child of that remote span instead: same trace id, the
    header's span as parent. An exception leaving the block marks the span as an error and
    propagates.
    """
    span_kind = trace.SpanKind.SERVER if kind == "server" else trace.SpanKind.INTERNAL
    with _tracer().start_as_current_span(
        name,
        context=_incoming(carrier),
        kind=span_kind,
        attributes=_attributes(attributes),
        record_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            set_error(current, exc)
            raise


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Span | None]:
    """Start a child span of the current request; outside a traced request, yield None."""
    if not in_request():
        yield None
        return
    with _tracer().start_as_current_span(
        name, attributes=_attributes(attributes), record_exception=False
    ) as current:
        try:
            yield current
        except BaseException as exc:
            set_error(current, exc)
            raise


@contextlib.contextmanager
def client_span(name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Span | None]:
    """Start a client span for one outbound call (inside a traced request; else yield None):
    send ``outbound_headers()`` from inside the block."""
    if not in_request():
        yield None
        return
    with _tracer().start_as_current_span(
        name,
        kind=trace.SpanKind.CLIENT,
        attributes=_attributes(attributes),
        record_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            set_error(current, exc)
            raise


def outbound_headers() -> dict[str, str]:
    """Return the W3C ``traceparent`` (and ``tracestate``) for an outbound request made now:
    empty outside a traced request, so nothing is invented."""
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    headers: dict[str, str] = {}
    _W3C.inject(headers)
    return headers


def set_attributes(current: Span | None, attributes: Mapping[str, Any]) -> None:
    """Set ``attributes`` (redacted like every other attribute) on ``current`` if it records."""
    if current is not None and current.is_recording():
        current.set_attributes(_attributes(attributes))


def set_error(current: Span | None, exc: BaseException | str) -> None:
    """Mark ``current`` as failed with ``exc`` (its type and redacted message)."""
    if current is None or not current.is_recording():
        return
    if isinstance(exc, BaseException):
        current.set_attribute("error.type", type(exc).__name__)
        message = redact_text(str(exc))[:_MAX_ATTR]
    else:
        message = redact_text(exc)[:_MAX_ATTR]
    current.set_status(Status(StatusCode.ERROR, message))


def current_trace_id() -> str | None:
    """Return the current trace id as 32 hex digits, or None outside a trace."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
