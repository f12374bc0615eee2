"""Telemetry resolvers: ``:telemetry/*`` events and statistics, per-tool history, ``:audit/log``.

Events live in the store (``events`` table): every tool call is one event of kind ``tool``
with its duration. The store keeps no event id, so ``:event/id`` is a short content hash
(timestamp, kind, name, duration) — stable across reads, good for de-duplicating in a client.
There is no ``telemetry/clear!`` mutation: the store offers no way to delete events (telemetry
and audit are append-only there), and a resolver must not reach around it with SQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ouroboros.resolvers.storeuse import count_param, param, params_of, store_of

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = ["EVENT_ATTRS", "event_attrs", "operations", "telemetry_stats"]

EVENT_ATTRS = [
    "event/id",
    "event/kind",
    "event/name",
    "event/timestamp",
    "event/ok?",
    "event/duration-ms",
    "event/details",
]
AUDIT_ATTRS = [
    "audit/timestamp",
    "audit/actor",
    "audit/action",
    "audit/target",
    "audit/outcome",
    "audit/details",
]
DEFAULT_EVENTS = 1000  # the original kept a 1000-event ring buffer
DEFAULT_RECENT = 10
MAX_EVENTS = 100_000


def event_attrs(event: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``:event/*`` attributes of a store event record."""
    digest = hashlib.sha1(
        json.dumps(
            [event.get("ts"), event.get("kind"), event.get("name"), event.get("duration_ms")],
            default=str,
        ).encode()
    ).hexdigest()[:16]
    return {
        "event/id": digest,
        "event/kind": event.get("kind"),
        "event/name": event.get("name"),
        "event/timestamp": event.get("ts"),
        "event/ok?": bool(event.get("ok")),
        "event/duration-ms": event.get("duration_ms"),
        "event/details": event.get("details"),
    }


def _audit_attrs(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "audit/timestamp": record.get("ts"),
        "audit/actor": record.get("actor"),
        "audit/action": record.get("action"),
        "audit/target": record.get("target"),
        "audit/outcome": record.get("outcome"),
        "audit/details": record.get("details"),
    }


def telemetry_stats(by_kind: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Return ``:telemetry/stats`` from the store's per-kind statistics.

    ``telemetry/error-rate`` is a fraction from 0 to 1 (the original reported a percentage);
    the tool durations are the real average and 95th percentile of ``tool`` events in ms
    (None before any tool call).
    """
    total = sum(int(r.get("count", 0)) for r in by_kind)
    errors = sum(int(r.get("errors", 0)) for r in by_kind)
    kinds = {r.get("kind"): r for r in by_kind}
    tool = kinds.get("tool") or {}
    query = kinds.get("query") or {}
    return {
        "telemetry/total-events": total,
        "telemetry/tool-invocations": int(tool.get("count", 0)),
        "telemetry/query-executions": int(query.get("count", 0)),
        "telemetry/errors": errors,
        "telemetry/error-rate": round(errors / total, 6) if total else 0.0,
        "telemetry/avg-tool-duration-ms": tool.get("avg_ms"),
        "telemetry/p95-tool-duration-ms": tool.get("p95_ms"),
    }


def _tool_stats(rows: list[Mapping[str, Any]], name: str) -> dict[str, Any]:
    for row in rows:
        if row.get("name") == name:
            return {
                "tool/calls": row.get("count", 0),
                "tool/errors": row.get("errors", 0),
                "tool/error-rate": row.get("error_rate", 0.0),
                "tool/avg-duration-ms": row.get("avg_ms"),
                "tool/p95-duration-ms": row.get("p95_ms"),
                "tool/last-called-at": row.get("last_at"),
            }
    return {
        "tool/calls": 0,
        "tool/errors": 0,
        "tool/error-rate": 0.0,
        "tool/avg-duration-ms": None,
        "tool/p95-duration-ms": None,
        "tool/last-called-at": None,
    }


ATTRIBUTE_DOCS: dict[str, str] = {
    "telemetry/events": "Recorded events, newest first (params limit, kind, name).",
    "telemetry/recent": "The latest events (param count).",
    "event/id": "The event's id.",
    "event/kind": "The event's kind (tool, query, request, ...).",
    "event/name": "What the event is about (a tool name, an endpoint, ...).",
    "event/timestamp": "When the event happened (ISO 8601, UTC).",
    "event/ok?": "Whether it succeeded.",
    "event/duration-ms": "How long it took, in milliseconds.",
    "event/details": "The event's other recorded fields (redacted).",
    "telemetry/stats": "Counts, error rate and tool durations over all telemetry.",
    "telemetry/total-events": "How many events are recorded.",
    "telemetry/tool-invocations": "How many tool calls are recorded.",
    "telemetry/query-executions": "How many query runs are recorded.",
    "telemetry/errors": "How many recorded events failed.",
    "telemetry/error-rate": "The fraction of recorded events that failed (0 to 1).",
    "telemetry/avg-tool-duration-ms": "The mean tool-call duration, in milliseconds.",
    "telemetry/p95-tool-duration-ms": "The 95th-percentile tool-call duration, in milliseconds.",
    "telemetry/by-tool": "One tool's events (param tool-name or a :tool/name ident; all tools without).",
    "tool/name": "A tool's name (as MCP lists it).",
    "tool/stats": "The tool's calls, errors, error rate and durations.",
    "audit/log": "The audit log of writes, newest first (param limit).",
    "audit/timestamp": "When the write happened (ISO 8601, UTC).",
    "audit/actor": "Who wrote (the caller's id).",
    "audit/action": "What was done (the tool or mutation).",
    "audit/target": "What it was done to.",
    "audit/outcome": "Whether it succeeded (ok or the error type).",
    "audit/details": "The write's other recorded fields (redacted).",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the telemetry and audit resolvers over ``runtime.store``.

    ``(:telemetry/events {:limit 1000 :kind "tool" :name "file_read"})`` and
    ``(:telemetry/recent {:count 10})`` — newest first, as ``{:event/id :event/kind
    :event/name :event/timestamp :event/ok? :event/duration-ms :event/details}``;
    ``:telemetry/stats`` (``{telemetry/total-events, telemetry/tool-invocations,
    telemetry/query-executions, telemetry/errors, telemetry/error-rate (fraction 0..1),
    telemetry/avg-tool-duration-ms, telemetry/p95-tool-duration-ms}``) — the same keys are
    also top-level attributes, as in the original; ``(:telemetry/by-tool {:tool-name "x"})``
    or ``{[:tool/name "x"] [:telemetry/by-tool]}`` (that tool's events; all tool events without
    a name); ``[:tool/name "x"]`` → ``:tool/stats`` (calls, errors, error-rate, durations);
    ``(:audit/log {:limit 100})`` (``{:audit/timestamp :audit/actor :audit/action
    :audit/target :audit/outcome :audit/details}``).
    """
    from ouroboros import document, optional, resolver

    def store(env: Any) -> Any:
        return store_of(runtime, env)

    def limit_of(params: Mapping[str, Any], *names: str, default: int) -> int:
        return count_param(
            param(params, *names), name=names[0], default=default, low=1, high=MAX_EVENTS
        )

    @resolver(
        name="telemetry/events",
        doc="Recorded telemetry events, newest first, filtered by kind and name.",
        output=[{"telemetry/events": EVENT_ATTRS}],
        params=["limit", "kind", "name"],
        types={"telemetry/events": list},
        blocking=True,
    )
    def events_resolver(env: Any, _data: Any) -> dict[str, Any]:
        params = params_of(env)
        rows = store(env).events(
            limit_of(params, "limit", "n", default=DEFAULT_EVENTS),
            param(params, "kind"),
            param(params, "name"),
        )
        return {"telemetry/events": [event_attrs(e) for e in rows]}

    @resolver(
        name="telemetry/recent",
        doc="The latest telemetry events.",
        output=[{"telemetry/recent": EVENT_ATTRS}],
        params=["count"],
        types={"telemetry/recent": list},
        blocking=True,
    )
    def recent_resolver(env: Any, _data: Any) -> dict[str, Any]:
        params = params_of(env)
        rows = store(env).events(limit_of(params, "count", "n", "limit", default=DEFAULT_RECENT))
        return {"telemetry/recent": [event_attrs(e) for e in rows]}

    stat_attrs = [
        "telemetry/total-events",
        "telemetry/tool-invocations",
        "telemetry/query-executions",
        "telemetry/errors",
        "telemetry/error-rate",
        "telemetry/avg-tool-duration-ms",
        "telemetry/p95-tool-duration-ms",
    ]

    @resolver(
        name="telemetry/stats",
        doc="Counts, error rate and tool durations over all telemetry.",
        output=["telemetry/stats", *stat_attrs],
        types={
            "telemetry/stats": dict,
            "telemetry/total-events": int,
            "telemetry/tool-invocations": int,
            "telemetry/query-executions": int,
            "telemetry/errors": int,
            "telemetry/error-rate": float,
            "telemetry/avg-tool-duration-ms": float | None,
            "telemetry/p95-tool-duration-ms": float | None,
        },
        blocking=True,
    )
    def stats_resolver(env: Any, _data: Any) -> dict[str, Any]:
        stats = telemetry_stats(store(env).event_stats("kind"))
        return {"telemetry/stats": stats, **stats}

    @resolver(
        name="telemetry/by-tool",
        doc="The telemetry events of one tool (or of every tool).",
        input=[optional("tool/name")],
        output=[{"telemetry/by-tool": EVENT_ATTRS}],
        params=["tool-name", "limit"],
        types={"telemetry/by-tool": list},
        blocking=True,
    )
    def by_tool_resolver(env: Any, data: Any) -> dict[str, Any]:
        params = params_of(env)
        name = data.get("tool/name") or param(params, "tool-name", "tool", "name")
        rows = store(env).events(
            limit_of(params, "limit", default=DEFAULT_EVENTS),
            "tool",
            None if name is None else str(name),
        )
        return {"telemetry/by-tool": [event_attrs(e) for e in rows]}

    @resolver(
        name="tool/stats",
        doc="One tool's calls, errors and durations.",
        input=["tool/name"],
        output=["tool/stats"],
        types={"tool/stats": dict},
        blocking=True,
    )
    def tool_stats_resolver(env: Any, data: Any) -> dict[str, Any]:
        rows = [r for r in store(env).event_stats("name")]
        # event_stats groups by name across kinds; tool names do not collide with other kinds'
        return {"tool/stats": _tool_stats(rows, str(data["tool/name"]))}

    @resolver(
        name="audit/log",
        doc="The audit log of writes, newest first.",
        output=[{"audit/log": AUDIT_ATTRS}],
        params=["limit"],
        types={"audit/log": list},
        blocking=True,
    )
    def audit_resolver(env: Any, _data: Any) -> dict[str, Any]:
        limit = limit_of(params_of(env), "limit", "n", default=100)
        return {"audit/log": [_audit_attrs(r) for r in store(env).audit_log(limit)]}

    return document(
        [
            events_resolver,
            recent_resolver,
            stats_resolver,
            by_tool_resolver,
            tool_stats_resolver,
            audit_resolver,
        ],
        ATTRIBUTE_DOCS,
    )
