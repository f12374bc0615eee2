"""Telemetry events (tool calls, queries, errors with durations) and the audit log.

Events are written on every tool call, so they are buffered in the owner and flushed in one
transaction every ``FLUSH_SECONDS`` (or every ``FLUSH_EVENTS``), and before any read of them. A
crash can lose at most that last buffer of telemetry — never a graph or memory write, which
commit on their own. Audit records (who changed what) are written synchronously.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

from ouroboros.errors import InvalidInputError
from ouroboros.store.clock import iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.validate import check_identifier, check_json_value, finite

__all__ = ["Telemetry"]

FLUSH_SECONDS = 0.5
FLUSH_EVENTS = 500

_Event = tuple[datetime, str, str, bool, float, str | None]


def _details(value: Any) -> str | None:
    return None if value is None else check_json_value(value, "details")


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise InvalidInputError("limit must be an integer from 1 to 100000")
    return value


class Telemetry:
    """Buffered event writes, event queries and statistics, and the audit log."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._buffer: list[_Event] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ouroboros-telemetry", daemon=True)
        self._thread.start()

    def record_event(
        self, kind: Any, name: Any, ok: Any, duration_ms: Any, details: Any = None
    ) -> None:
        """Buffer one event (``kind``: tool / query / error ...; ``name``: which one)."""
        row: _Event = (
            utcnow(),
            check_identifier(kind, "event kind"),
            check_identifier(name, "event name"),
            bool(ok),
            finite(duration_ms, "duration_ms"),
            _details(details),
        )
        with self._lock:
            self._buffer.append(row)
            full = len(self._buffer) >= FLUSH_EVENTS
        if full:
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the database closed under us: stop quietly
                if self._stop.is_set():
                    return

    def flush(self) -> None:
        """Write buffered events now."""
        with self._lock:
            rows, self._buffer = self._buffer, []
        if not rows:
            return
        cols = list(zip(*rows, strict=True))
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO events SELECT unnest(?::TIMESTAMP[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[]), unnest(?::BOOLEAN[]), unnest(?::DOUBLE[]), "
                "unnest(?::VARCHAR[])",
                [list(c) for c in cols],
            )

    def reset_buffer(self) -> None:
        """Drop buffered events (after a restore replaced the tables)."""
        with self._lock:
            self._buffer = []

    def events(
        self, limit: int = 100, kind: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the newest events first: ``[{ts, kind, name, ok, duration_ms, details}]``."""
        self.flush()
        rows = self.db.fetchall(
            "SELECT ts, kind, name, ok, duration_ms, details FROM events "
            "WHERE (?::VARCHAR IS NULL OR kind = ?) AND (?::VARCHAR IS NULL OR name = ?) "
            "ORDER BY ts DESC LIMIT ?",
            [kind, kind, name, name, _limit(limit)],
        )
        return [
            {
                "ts": iso(ts),
                "kind": k,
                "name": n,
                "ok": ok,
                "duration_ms": d,
                "details": _load(det),
            }
            for ts, k, n, ok, d, det in rows
        ]

    def event_stats(self, by: str = "name") -> list[dict[str, Any]]:
        """Return per-``name`` (or per-``kind``) counts, error rate and avg/p50/p95 durations."""
        if by not in ("name", "kind"):
            raise InvalidInputError("by must be 'name' or 'kind'")
        self.flush()
        rows = self.db.fetchall(
            f"SELECT {by}, count(*), count(*) FILTER (WHERE NOT ok), avg(duration_ms), "
            "quantile_cont(duration_ms, 0.5), quantile_cont(duration_ms, 0.95), max(ts) "
            f"FROM events GROUP BY {by} ORDER BY count(*) DESC, {by}"
        )
        return [
            {
                by: key,
                "count": count,
                "errors": errors,
                "error_rate": round(errors / count, 6) if count else 0.0,
                "avg_ms": round(avg, 3),
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "last_at": iso(last),
            }
            for key, count, errors, avg, p50, p95, last in rows
        ]

    def audit(
        self, actor: Any, action: Any, target: Any, outcome: Any, details: Any = None
    ) -> None:
        """Append one audit record (written at once, not buffered)."""
        self.write_audit(self.audit_row(actor, action, target, outcome, details))

    def audit_row(
        self, actor: Any, action: Any, target: Any, outcome: Any, details: Any = None
    ) -> list[Any]:
        """Return a checked audit row for ``write_audit`` (raises InvalidInputError)."""
        return [
            utcnow(),
            check_identifier(actor, "actor"),
            check_identifier(action, "action"),
            check_identifier(target, "target"),
            check_identifier(outcome, "outcome"),
            _details(details),
        ]

    def write_audit(self, row: list[Any]) -> None:
        """Insert an ``audit_row``; inside an open transaction it joins it (and its fate)."""
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?)", row)

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the newest audit records first."""
        rows = self.db.fetchall(
            "SELECT ts, actor, action, target, outcome, details FROM audit "
            "ORDER BY ts DESC LIMIT ?",
            [_limit(limit)],
        )
        return [
            {
                "ts": iso(ts),
                "actor": a,
                "action": act,
                "target": t,
                "outcome": o,
                "details": _load(d),
            }
            for ts, a, act, t, o, d in rows
        ]

    def close(self) -> None:
        """Stop the flusher and write what is buffered."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()
