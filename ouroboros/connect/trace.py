"""Trace: what ran in one request (resolver and mutation calls, plans, durations, errors).

Tracing is off unless asked for, and then costs one record per resolver step (a batch call is one
record, however many entities it served)::

    trace = Trace()
    engine.process(query, trace=trace)
    print(trace.format())        # a table a person can read
    trace.to_data()              # the same as plain data (JSON-ready)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Trace", "TraceEvent"]


def _size(value: Any) -> int:
    try:
        return len(value)
    except TypeError:
        return 0 if value is None else 1


@dataclass(slots=True)
class TraceEvent:
    """One call: ``kind`` ("resolver" / "mutation" / "plan"), ``name``, ``path`` of the level,
    ``calls`` (function invocations), ``inputs`` (entities served), ``input`` (what was passed),
    ``output_size`` (keys or items returned), ``duration`` (seconds), ``errors`` (messages)."""

    kind: str
    name: str
    path: tuple[Any, ...]
    calls: int
    inputs: int
    input: Any
    output_size: int
    duration: float
    errors: list[str] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "path": [str(p) for p in self.path],
            "calls": self.calls,
            "inputs": self.inputs,
            "input": _plain(self.input),
            "output_size": self.output_size,
            "duration_ms": round(self.duration * 1000, 3),
            "errors": list(self.errors),
        }


def _plain(value: Any, depth: int = 0) -> Any:
    if depth > 4:
        return "…"
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in list(value.items())[:20]}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        out = [_plain(v, depth + 1) for v in items[:20]]
        if len(items) > 20:
            out.append(f"… {len(items) - 20} more")
        return out
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


class Trace:
    """Collects ``TraceEvent`` records for one request; ``plans`` counts plans made vs reused."""

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []
        self.plans_made = 0
        self.plans_reused = 0
        self.duration = 0.0

    def record(
        self,
        kind: str,
        name: str,
        path: tuple[Any, ...],
        payloads: list[Any],
        outcomes: list[Any],
        duration: float,
        *,
        batch: bool,
    ) -> None:
        """Add the record of one resolver step or mutation call."""
        from ouroboros.connect.runner import Failure

        errors = [f"{type(o.exc).__name__}: {o.exc}" for o in outcomes if isinstance(o, Failure)]
        inputs = sum(len(p) for p in payloads) if batch else len(payloads)
        size = sum(_size(o) for o in outcomes if not isinstance(o, Failure))
        shown = payloads if (batch or len(payloads) != 1) else payloads[0]
        self.events.append(
            TraceEvent(kind, name, path, len(payloads), inputs, shown, size, duration, errors)
        )

    @property
    def resolvers(self) -> list[str]:
        """Names of the resolvers that ran, in order (one entry per step)."""
        return [e.name for e in self.events if e.kind == "resolver"]

    def to_data(self) -> dict[str, Any]:
        """Return the trace as plain data."""
        return {
            "duration_ms": round(self.duration * 1000, 3),
            "plans_made": self.plans_made,
            "plans_reused": self.plans_reused,
            "events": [e.to_data() for e in self.events],
        }

    def format(self) -> str:
        """Return the trace as a table: one line per step."""
        lines = [
            f"request {self.duration * 1000:.2f} ms, plans made {self.plans_made}, "
            f"reused {self.plans_reused}"
        ]
        for e in self.events:
            path = "/".join(str(p) for p in e.path) or "(root)"
            err = f"  ERROR {'; '.join(e.errors)}" if e.errors else ""
            lines.append(
                f"  {e.kind:<8} {e.name:<32} at {path:<24} calls {e.calls:>4} inputs {e.inputs:>5} "
                f"out {e.output_size:>5}  {e.duration * 1000:8.3f} ms{err}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Trace({len(self.events)} events)"
