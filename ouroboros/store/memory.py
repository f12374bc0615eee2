"""The memory: string key → JSON value, with created/updated times, in DuckDB."""

from __future__ import annotations

import json
from typing import Any

from ouroboros.store.clock import iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.validate import check_identifier, check_json_value

__all__ = ["Memory"]


def _row(key: str, value: str, created: Any, updated: Any) -> dict[str, Any]:
    return {
        "key": key,
        "value": json.loads(value),
        "created_at": iso(created),
        "updated_at": iso(updated),
    }


class Memory:
    """Key/value reads on the caller's cursor; writes through the one write path."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: Any) -> dict[str, Any] | None:
        """Return ``{"key", "value", "created_at", "updated_at"}`` or None."""
        key = check_identifier(key, "memory key")
        rows = self.db.fetchall(
            "SELECT key, value, created_at, updated_at FROM memory WHERE key = ?", [key]
        )
        return _row(*rows[0]) if rows else None

    def set(self, key: Any, value: Any) -> dict[str, Any]:
        """Store ``value`` under ``key``; return the record plus ``"created": bool``."""
        key = check_identifier(key, "memory key")
        text = check_json_value(value, f"value of memory key {key!r}")
        now = utcnow()
        with self.db.transaction() as cur:
            row = cur.execute("SELECT created_at FROM memory WHERE key = ?", [key]).fetchone()
            if row is None:
                cur.execute("INSERT INTO memory VALUES (?, ?, ?, ?)", [key, text, now, now])
                created_at = now
            else:
                cur.execute(
                    "UPDATE memory SET value = ?, updated_at = ? WHERE key = ?", [text, now, key]
                )
                created_at = row[0]
        return {
            "key": key,
            "value": json.loads(text),
            "created_at": iso(created_at),
            "updated_at": iso(now),
            "created": row is None,
        }

    def delete(self, key: Any) -> bool:
        """Delete ``key``; return whether it existed."""
        key = check_identifier(key, "memory key")
        with self.db.transaction() as cur:
            row = cur.execute("SELECT count(*) FROM memory WHERE key = ?", [key]).fetchone()
            if not row or not row[0]:
                return False
            cur.execute("DELETE FROM memory WHERE key = ?", [key])
        return True

    def clear(self) -> int:
        """Delete every key; return how many there were."""
        with self.db.transaction() as cur:
            row = cur.execute("SELECT count(*) FROM memory").fetchone()
            cur.execute("DELETE FROM memory")
        return int(row[0]) if row else 0

    def keys(self) -> list[str]:
        """Return every key, sorted."""
        return [r[0] for r in self.db.fetchall("SELECT key FROM memory ORDER BY key")]

    def all(self) -> list[dict[str, Any]]:
        """Return every record, sorted by key."""
        return [
            _row(*r)
            for r in self.db.fetchall(
                "SELECT key, value, created_at, updated_at FROM memory ORDER BY key"
            )
        ]
