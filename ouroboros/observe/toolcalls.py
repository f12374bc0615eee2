"""``observe_tool_call``: the span, metrics and live event of one AI tool call."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from typing import Any

from ouroboros.observe import events, metrics, tracing

__all__ = ["ToolCallObservation", "observe_tool_call"]


class ToolCallObservation:
    """What ``observe_tool_call`` yields: call ``finish(envelope)`` with the call's envelope."""

    def __init__(self, tool: str, caller: Any, writes: bool, span: Any) -> None:
        self.tool = tool
        self.caller = caller
        self.writes = writes
        self.span = span
        self.started = time.perf_counter()
        self.envelope: Mapping[str, Any] | None = None

    def finish(self, envelope: Mapping[str, Any]) -> None:
        """Record the outcome of the call from its result envelope."""
        self.envelope = envelope


@contextlib.contextmanager
def observe_tool_call(
    tool: str, caller: Any, writes: bool = False
) -> Iterator[ToolCallObservation]:
    """Trace, count and publish one tool call (``tool`` must be a registered name or
    ``"unknown"``: it becomes a metric label)."""
    transport = str(getattr(caller, "transport", "local"))
    attrs = {"ouroboros.tool": tool, "ouroboros.caller.transport": transport}
    with tracing.request_span(f"tool {tool}", attrs, kind="internal") as current:
        seen = ToolCallObservation(tool, caller, writes, current)
        try:
            yield seen
        finally:
            _record(seen)


def _record(seen: ToolCallObservation) -> None:
    envelope = seen.envelope or {}
    status = str(envelope.get("status", "error"))
    ok = status == "success"
    seconds = time.perf_counter() - seen.started
    metrics.record_tool(seen.tool, seconds, ok)
    error = envelope.get("error") if isinstance(envelope.get("error"), Mapping) else None
    details: dict[str, Any] = {
        "caller": str(getattr(seen.caller, "id", "local")),
        "transport": str(getattr(seen.caller, "transport", "local")),
        "status": status,
    }
    params = envelope.get("params")
    if isinstance(params, Mapping):
        details["params"] = sorted(str(k) for k in params)[:20]  # names only: values may be secret
    if error is not None:
        details["error_type"] = str(error.get("type"))
        details["message"] = str(error.get("message", ""))[:300]
        tracing.set_error(seen.span, f"{error.get('type')}: {error.get('message', '')}")
        if error.get("type") == "RateLimitedError":
            metrics.record_rate_limited("tool")
    kind = "write" if seen.writes else "tool"
    events.publish(kind, seen.tool, ok=ok, duration_ms=seconds * 1000.0, details=details)
    if not ok:
        events.publish("error", f"tool {seen.tool}", ok=False, details=details)
