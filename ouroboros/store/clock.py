"""Store time: naive UTC datetimes in DuckDB, ISO-8601 strings with ``Z`` in results."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso", "parse_iso", "utcnow"]


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime (what TIMESTAMP columns hold)."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(value: datetime | None) -> str | None:
    """Return ``value`` as ``2026-01-02T03:04:05.678901Z`` (None stays None)."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """Return the naive UTC datetime for an ISO-8601 string (``Z`` or an offset accepted)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
