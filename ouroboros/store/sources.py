"""Ingested sources: which document or conversation produced which entities, and its digest."""

from __future__ import annotations

import json
from typing import Any

from ouroboros.errors import InvalidInputError
from ouroboros.store.clock import iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.validate import check_identifier

__all__ = ["KINDS", "Sources"]

KINDS = ("markdown", "text", "transcript")


class Sources:
    """The ``sources`` table: one row per ingested document (the latest ingest)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, document: Any, with_chunks: bool = True) -> dict[str, Any] | None:
        """Return ``{"document", "kind", "digest", "chunks", "ingested_at"}`` or None
        (without ``chunks`` unless ``with_chunks``: the list can be long)."""
        document = check_identifier(document, "document")
        chunks = "chunks" if with_chunks else "NULL"
        row = (
            self.db.cursor()
            .execute(
                f"SELECT document, kind, digest, {chunks}, ingested_at FROM sources "
                "WHERE document = ?",
                [document],
            )
            .fetchone()
        )
        if row is None:
            return None
        out = {"document": row[0], "kind": row[1], "digest": row[2], "ingested_at": iso(row[4])}
        if with_chunks:
            out["chunks"] = json.loads(row[3])
        return out

    def put(self, document: Any, kind: Any, digest: Any, chunks: Any) -> dict[str, Any]:
        """Record (or replace) what ``document`` produced; return the record."""
        document = check_identifier(document, "document")
        if kind not in KINDS:
            raise InvalidInputError(f"source kind must be one of {', '.join(KINDS)}")
        if not isinstance(digest, str) or not digest:
            raise InvalidInputError("digest must be a non-empty string")
        if not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks):
            raise InvalidInputError("chunks must be a list of entity names")
        now = utcnow()
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM sources WHERE document = ?", [document])
            cur.execute(
                "INSERT INTO sources VALUES (?, ?, ?, ?, ?)",
                [document, kind, digest, json.dumps(chunks, ensure_ascii=False), now],
            )
        return {
            "document": document,
            "kind": kind,
            "digest": digest,
            "chunks": chunks,
            "ingested_at": iso(now),
        }

    def list(self) -> list[dict[str, Any]]:
        """Return every source (without its chunk list), by document."""
        rows = (
            self.db.cursor()
            .execute(
                "SELECT document, kind, digest, json_array_length(chunks), ingested_at "
                "FROM sources ORDER BY document"
            )
            .fetchall()
        )
        return [
            {"document": d, "kind": k, "digest": g, "chunks": int(n), "ingested_at": iso(t)}
            for d, k, g, n, t in rows
        ]
