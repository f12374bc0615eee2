"""Prometheus metrics: the Ouroboros families, the functions that record them, and ``/metrics`` text.

Every family lives in one process-wide ``REGISTRY`` (not prometheus_client's default one, so
importing Ouroboros adds nothing to an application's own registry). Labels are bounded: route
templates, resolver / tool / operation / provider names, never ids or free text.

For other parts of the system (call these; they never raise):

- ``record_model_call(provider, input_tokens, output_tokens, cost_usd, seconds, ok=True)``: one
  LLM call by the agent (``ouroboros_model_*``).
- ``record_rate_limited(surface)``: a caller refused by a rate limit.
- ``record_request``, ``record_resolver``, ``record_tool``, ``record_store``, ``record_eql``:
  used by the HTTP middleware, the engine hooks, the tool registry and the store wrapper.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE",
    "REGISTRY",
    "record_eql",
    "record_model_call",
    "record_rate_limited",
    "record_request",
    "record_resolver",
    "record_store",
    "record_tool",
    "render",
    "snapshot",
    "watch_plan_cache",
]

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text exposition format's content type."""

REGISTRY = CollectorRegistry(auto_describe=True)
"""Every Ouroboros metric family."""

# Fast calls (store reads take microseconds) down to slow ones (model calls take seconds).
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_MAX_LABEL = 80

REQUESTS = Counter(
    "ouroboros_requests_total",
    "Requests served, by surface (http, eql, graphql, mcp, cli, dashboard), route template and status.",
    ["surface", "route", "status"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "ouroboros_request_seconds",
    "Request latency by surface and route template.",
    ["surface", "route"],
    buckets=_BUCKETS,
    registry=REGISTRY,
)
EQL_REQUESTS = Counter(
    "ouroboros_eql_requests_total",
    "EQL queries run (any surface), by outcome (ok or error).",
    ["surface", "outcome"],
    registry=REGISTRY,
)
RESOLVER_CALLS = Counter(
    "ouroboros_resolver_calls_total",
    "Resolver and mutation calls (a batch call counts once).",
    ["resolver"],
    registry=REGISTRY,
)
RESOLVER_ERRORS = Counter(
    "ouroboros_resolver_errors_total",
    "Resolver and mutation calls that raised.",
    ["resolver"],
    registry=REGISTRY,
)
RESOLVER_SECONDS = Histogram(
    "ouroboros_resolver_seconds",
    "Resolver call latency.",
    ["resolver"],
    buckets=_BUCKETS,
    registry=REGISTRY,
)
TOOL_CALLS = Counter(
    "ouroboros_tool_calls_total", "AI tool calls (any surface).", ["tool"], registry=REGISTRY
)
TOOL_ERRORS = Counter(
    "ouroboros_tool_errors_total",
    "AI tool calls that ended in an error envelope.",
    ["tool"],
    registry=REGISTRY,
)
TOOL_SECONDS = Histogram(
    "ouroboros_tool_seconds", "AI tool call latency.", ["tool"], buckets=_BUCKETS, registry=REGISTRY
)
STORE_OPS = Counter(
    "ouroboros_store_operations_total",
    "Store operations (Store interface methods).",
    ["op"],
    registry=REGISTRY,
)
STORE_ERRORS = Counter(
    "ouroboros_store_errors_total", "Store operations that raised.", ["op"], registry=REGISTRY
)
STORE_SECONDS = Histogram(
    "ouroboros_store_operation_seconds",
    "Store operation latency.",
    ["op"],
    buckets=_BUCKETS,
    registry=REGISTRY,
)
MODEL_CALLS = Counter(
    "ouroboros_model_calls_total",
    "LLM calls by provider and outcome.",
    ["provider", "outcome"],
    registry=REGISTRY,
)
MODEL_TOKENS = Counter(
    "ouroboros_model_tokens_total",
    "LLM tokens by provider and direction (input or output).",
    ["provider", "direction"],
    registry=REGISTRY,
)
MODEL_COST = Counter(
    "ouroboros_model_cost_usd_total", "LLM cost in US dollars.", ["provider"], registry=REGISTRY
)
MODEL_SECONDS = Histogram(
    "ouroboros_model_seconds",
    "LLM call latency.",
    ["provider"],
    buckets=_BUCKETS,
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "ouroboros_rate_limited_total",
    "Calls refused by a rate limit, by surface.",
    ["surface"],
    registry=REGISTRY,
)


def _label(value: object) -> str:
    text = str(value)
    return text if len(text) <= _MAX_LABEL else text[:_MAX_LABEL]


def _safely(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:  # metrics must never break the thing they measure
        log.debug("metric update failed", exc_info=True)


def record_request(surface: str, route: str, status: int | str, seconds: float) -> None:
    """Count one request (``route`` is a template such as ``/eql``, never a raw path)."""

    def update() -> None:
        REQUESTS.labels(_label(surface), _label(route), str(status)).inc()
        REQUEST_SECONDS.labels(_label(surface), _label(route)).observe(seconds)

    _safely(update)


def record_eql(surface: str, ok: bool) -> None:
    """Count one EQL query run through a front door."""
    _safely(lambda: EQL_REQUESTS.labels(_label(surface), "ok" if ok else "error").inc())


def record_resolver(resolver: str, seconds: float, ok: bool) -> None:
    """Count one resolver (or mutation) call and its latency."""

    def update() -> None:
        name = _label(resolver)
        RESOLVER_CALLS.labels(name).inc()
        RESOLVER_SECONDS.labels(name).observe(seconds)
        if not ok:
            RESOLVER_ERRORS.labels(name).inc()

    _safely(update)


def record_tool(tool: str, seconds: float, ok: bool) -> None:
    """Count one tool call and its latency (unknown tool names are counted as ``unknown``)."""

    def update() -> None:
        name = _label(tool)
        TOOL_CALLS.labels(name).inc()
        TOOL_SECONDS.labels(name).observe(seconds)
        if not ok:
            TOOL_ERRORS.labels(name).inc()

    _safely(update)


def record_store(op: str, seconds: float, ok: bool) -> None:
    """Count one store operation and its latency."""

    def update() -> None:
        STORE_OPS.labels(op).inc()
        STORE_SECONDS.labels(op).observe(seconds)
        if not ok:
            STORE_ERRORS.labels(op).inc()

    _safely(update)


def record_model_call(
    provider: str,
    input_tokens: int,
    output_tokens: int,
    cost_usd: float,
    seconds: float,
    ok: bool = True,
) -> None:
    """Count one LLM call: its tokens in and out, its cost (USD) and its latency.

    For the agent's providers; ``provider`` is a provider name (``openai``, ``anthropic``, ...),
    never a model id typed by a user. Also publishes a ``model`` event to the live feed.
    """

    def update() -> None:
        name = _label(provider)
        MODEL_CALLS.labels(name, "ok" if ok else "error").inc()
        MODEL_TOKENS.labels(name, "input").inc(max(int(input_tokens), 0))
        MODEL_TOKENS.labels(name, "output").inc(max(int(output_tokens), 0))
        MODEL_COST.labels(name).inc(max(float(cost_usd), 0.0))
        MODEL_SECONDS.labels(name).observe(seconds)

    _safely(update)
    from ouroboros.observe import events

    events.publish(
        "model",
        str(provider),
        ok=ok,
        duration_ms=seconds * 1000.0,
        details={
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_usd": cost_usd,
        },
    )


def record_rate_limited(surface: str) -> None:
    """Count one call refused by a rate limit."""
    _safely(lambda: RATE_LIMITED.labels(_label(surface)).inc())


class _PlanCacheCollector(Collector):
    """Reads plan-cache hits and misses at scrape time from objects with ``hits``/``misses``."""

    def __init__(self) -> None:
        self._caches: list[Any] = []
        self._lock = threading.Lock()

    def watch(self, cache: Any) -> None:
        with self._lock:
            if all(c is not cache for c in self._caches):
                self._caches.append(cache)

    def collect(self) -> Iterable[Any]:
        with self._lock:
            caches = list(self._caches)
        hits = sum(int(getattr(c, "hits", 0)) for c in caches)
        misses = sum(int(getattr(c, "misses", 0)) for c in caches)
        size = sum(len(c) for c in caches if hasattr(c, "__len__"))
        yield CounterMetricFamily(
            "ouroboros_plan_cache_hits", "Plans served from the plan cache.", value=hits
        )
        yield CounterMetricFamily(
            "ouroboros_plan_cache_misses", "Plans made (not in the plan cache).", value=misses
        )
        yield GaugeMetricFamily(
            "ouroboros_plan_cache_entries", "Plans held in the plan cache.", value=size
        )


_PLAN_CACHES = _PlanCacheCollector()
REGISTRY.register(_PLAN_CACHES)


def watch_plan_cache(cache: Any) -> None:
    """Report ``cache.hits`` / ``cache.misses`` / ``len(cache)`` at every scrape (an engine's
    ``plan_cache``; the process-wide one is shared, so it is counted once)."""
    if cache is not None:
        _PLAN_CACHES.watch(cache)


def render() -> bytes:
    """Return every family in the Prometheus text format."""
    return generate_latest(REGISTRY)


def snapshot() -> dict[str, Any]:
    """Return the counters the dashboard's health panel shows, as plain data.

    ``requests``: per route ``{count, errors, seconds_sum}``; ``tools`` / ``resolvers``:
    per name ``{count, errors, seconds_sum}``; ``rate_limited``; ``model_tokens``.
    """
    out: dict[str, Any] = {
        "requests": {},
        "tools": {},
        "resolvers": {},
        "store": {},
        "rate_limited": 0.0,
        "model_tokens": 0.0,
        "eql": {"ok": 0.0, "error": 0.0},
        "plan_cache": {"hits": 0.0, "misses": 0.0},
    }

    def slot(table: str, name: str) -> dict[str, float]:
        return out[table].setdefault(name, {"count": 0.0, "errors": 0.0, "seconds_sum": 0.0})

    for family in REGISTRY.collect():
        for sample in family.samples:
            labels = sample.labels
            name = sample.name
            if name == "ouroboros_requests_total":
                entry = slot("requests", f"{labels['surface']} {labels['route']}")
                entry["count"] += sample.value
                if labels["status"][:1] in {"4", "5"} or labels["status"] == "error":
                    entry["errors"] += sample.value
            elif name == "ouroboros_request_seconds_sum":
                slot("requests", f"{labels['surface']} {labels['route']}")["seconds_sum"] += (
                    sample.value
                )
            elif name in _PER_NAME:
                table, field, key = _PER_NAME[name]
                slot(table, labels[key])[field] += sample.value
            elif name == "ouroboros_rate_limited_total":
                out["rate_limited"] += sample.value
            elif name == "ouroboros_model_tokens_total":
                out["model_tokens"] += sample.value
            elif name == "ouroboros_eql_requests_total":
                out["eql"][labels["outcome"]] += sample.value
            elif name == "ouroboros_plan_cache_hits_total":
                out["plan_cache"]["hits"] = sample.value
            elif name == "ouroboros_plan_cache_misses_total":
                out["plan_cache"]["misses"] = sample.value
    return out


_PER_NAME = {
    "ouroboros_tool_calls_total": ("tools", "count", "tool"),
    "ouroboros_tool_errors_total": ("tools", "errors", "tool"),
    "ouroboros_tool_seconds_sum": ("tools", "seconds_sum", "tool"),
    "ouroboros_resolver_calls_total": ("resolvers", "count", "resolver"),
    "ouroboros_resolver_errors_total": ("resolvers", "errors", "resolver"),
    "ouroboros_resolver_seconds_sum": ("resolvers", "seconds_sum", "resolver"),
    "ouroboros_store_operations_total": ("store", "count", "op"),
    "ouroboros_store_errors_total": ("store", "errors", "op"),
    "ouroboros_store_operation_seconds_sum": ("store", "seconds_sum", "op"),
}
