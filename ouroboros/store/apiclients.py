"""Bootstrapped OpenAPI clients: name, where the spec came from, base URL and the spec itself.

Kept in the store so every process on the same database sees a client bootstrapped by any of
them (``openapi/bootstrap!`` in one, ``openapi/call!`` in another). Portable SQL: the same class
runs on DuckDB and PostgreSQL. A secret never reaches the table: both URLs are stored with their
user-info dropped and credential-like query values redacted (``ouroboros.observe.redact``), and
``redacted`` says the base URL lost something, so a process that does not hold the full URL in
memory knows it must bootstrap the client again rather than call with a redacted value.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from ouroboros.errors import InvalidInputError, PayloadTooLargeError
from ouroboros.observe.redact import redact_url
from ouroboros.store.clock import iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.validate import check_identifier

__all__ = ["MAX_SPEC_JSON_BYTES", "ApiClients"]

MAX_SPEC_JSON_BYTES = 32 * 1024 * 1024  # a 10 MiB YAML spec grows a little as JSON

_SUMMARY = (
    "name, version, spec_url, base_url, redacted, title, spec_version, created_at, updated_at"
)


def _record(row: tuple[Any, ...], spec: str | None = None) -> dict[str, Any]:
    name, version, spec_url, base_url, redacted, title, spec_version, created, updated = row
    out: dict[str, Any] = {
        "name": name,
        "version": version,
        "spec_url": spec_url,
        "base_url": base_url,
        "redacted": bool(redacted),
        "title": title,
        "spec_version": spec_version,
        "created_at": iso(created),
        "updated_at": iso(updated),
    }
    if spec is not None:
        out["spec"] = json.loads(spec)
    return out


def _url(value: Any, what: str) -> str:
    text = check_identifier(value, what)
    return redact_url(text)


class ApiClients:
    """The ``openapi_clients`` table: one row per client name (the latest bootstrap)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(
        self,
        name: Any,
        spec_url: Any,
        base_url: Any,
        spec: Any,
        title: Any = None,
        spec_version: Any = "",
    ) -> dict[str, Any]:
        """Record (or replace) the client ``name``; return its record without the spec.

        ``spec_url`` and ``base_url`` are stored redacted; ``redacted`` in the record says
        whether the base URL carried a secret that was not stored. Raises InvalidInputError
        (bad name, URL or spec) or PayloadTooLargeError (spec over 32 MiB as JSON).
        """
        name = check_identifier(name, "OpenAPI client name")
        stored_spec_url = _url(spec_url, "spec URL")
        raw_base = check_identifier(base_url, "base URL")
        stored_base = redact_url(raw_base)
        if not isinstance(spec, dict):
            raise InvalidInputError("an OpenAPI spec must be a map")
        try:
            text = json.dumps(spec, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"the OpenAPI spec is not JSON-serialisable: {exc}") from None
        if len(text) > MAX_SPEC_JSON_BYTES:
            raise PayloadTooLargeError(
                f"the OpenAPI spec is {len(text):,} bytes of JSON; the limit is "
                f"{MAX_SPEC_JSON_BYTES:,}",
                details={"limit": MAX_SPEC_JSON_BYTES, "size": len(text)},
            )
        title_text = None if title is None else str(title)
        version_text = str(spec_version or "")
        version = secrets.token_hex(8)
        now = utcnow()
        with self.db.transaction() as cur:
            row = cur.execute(
                "SELECT created_at FROM openapi_clients WHERE name = ?", [name]
            ).fetchone()
            created = now if row is None else row[0]
            cur.execute("DELETE FROM openapi_clients WHERE name = ?", [name])
            cur.execute(
                "INSERT INTO openapi_clients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    name,
                    version,
                    stored_spec_url,
                    stored_base,
                    stored_base != raw_base,
                    title_text,
                    version_text,
                    text,
                    created,
                    now,
                ],
            )
        return _record(
            (
                name,
                version,
                stored_spec_url,
                stored_base,
                stored_base != raw_base,
                title_text,
                version_text,
                created,
                now,
            )
        )

    def get(self, name: Any, with_spec: bool = True) -> dict[str, Any] | None:
        """Return the record of client ``name`` (with ``spec`` unless ``with_spec`` is false:
        a spec can be megabytes), or None."""
        name = check_identifier(name, "OpenAPI client name")
        spec = ", spec" if with_spec else ""
        row = self.db.fetchone(
            f"SELECT {_SUMMARY}{spec} FROM openapi_clients WHERE name = ?", [name]
        )
        if row is None:
            return None
        return _record(tuple(row[:9]), row[9] if with_spec else None)

    def list(self) -> list[dict[str, Any]]:
        """Return every client's record (without specs), by name."""
        return [
            _record(tuple(r))
            for r in self.db.fetchall(f"SELECT {_SUMMARY} FROM openapi_clients ORDER BY name")
        ]

    def delete(self, name: Any) -> bool:
        """Forget client ``name``; return whether there was one."""
        name = check_identifier(name, "OpenAPI client name")
        with self.db.transaction() as cur:
            row = cur.execute(
                "SELECT count(*) FROM openapi_clients WHERE name = ?", [name]
            ).fetchone()
            if not row or not row[0]:
                return False
            cur.execute("DELETE FROM openapi_clients WHERE name = ?", [name])
        return True
