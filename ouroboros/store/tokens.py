"""API tokens for the HTTP front door: only a SHA-256 hash of each secret is stored."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from ouroboros.errors import ConflictError, InvalidInputError
from ouroboros.store.clock import iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.validate import check_identifier

__all__ = ["SECRET_PREFIX", "Tokens", "new_secret"]

SECRET_PREFIX = "ouro_"


def new_secret() -> str:
    """Return a fresh token secret (256 bits, URL-safe)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _record(row: tuple[Any, ...]) -> dict[str, Any]:
    tid, name, scopes, created, _used, revoked = row
    return {
        "id": tid,
        "name": name,
        "scopes": json.loads(scopes),
        "created_at": iso(created),
        "revoked": revoked is not None,
        "revoked_at": iso(revoked),
    }


_COLUMNS = "id, name, scopes, created_at, last_used_at, revoked_at"


class Tokens:
    """Create, list, revoke and verify tokens."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self, name: Any, scopes: Any, secret: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Return ``(secret, record)``; the secret is shown only here.

        ``secret`` is normally generated here; a client process generates it itself so that a
        retried call after a failover is recognised (same hash) instead of minting a second token.
        Raises ConflictError if an active token has this name.
        """
        name = check_identifier(name, "token name")
        if isinstance(scopes, str) or not isinstance(scopes, (list, tuple)):
            raise InvalidInputError("scopes must be a list of strings")
        scope_list = sorted({check_identifier(s, "scope") for s in scopes})
        if secret is None:
            secret = new_secret()
        elif not isinstance(secret, str) or len(secret) < 32:
            raise InvalidInputError("a token secret must be a string of at least 32 characters")
        digest = _hash(secret)
        with self.db.transaction() as cur:
            same = cur.execute(
                f"SELECT {_COLUMNS} FROM tokens WHERE secret_hash = ?", [digest]
            ).fetchone()
            if same is not None:
                return secret, _record(same)
            clash = cur.execute(
                "SELECT count(*) FROM tokens WHERE name = ? AND revoked_at IS NULL", [name]
            ).fetchone()
            if clash and clash[0]:
                raise ConflictError(
                    f"an active token named {name!r} exists", details={"name": name}
                )
            tid = "tok_" + secrets.token_hex(6)
            now = utcnow()
            cur.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                [tid, name, json.dumps(scope_list), digest, now],
            )
        return secret, _record((tid, name, json.dumps(scope_list), now, None, None))

    def list(self) -> list[dict[str, Any]]:
        """Return every token record (never a secret), oldest first."""
        return [
            _record(r)
            for r in self.db.fetchall(f"SELECT {_COLUMNS} FROM tokens ORDER BY created_at, id")
        ]

    def revoke(self, name_or_id: Any) -> bool:
        """Revoke the active token with this name or id; return whether one was revoked."""
        key = check_identifier(name_or_id, "token name or id")
        with self.db.transaction() as cur:
            row = cur.execute(
                "SELECT count(*) FROM tokens WHERE (name = ? OR id = ?) AND revoked_at IS NULL",
                [key, key],
            ).fetchone()
            if not row or not row[0]:
                return False
            cur.execute(
                "UPDATE tokens SET revoked_at = ? WHERE (name = ? OR id = ?) AND revoked_at IS NULL",
                [utcnow(), key, key],
            )
        return True

    def verify(self, secret: Any) -> dict[str, Any] | None:
        """Return the record of an active token with this secret, else None."""
        if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
            return None
        try:
            digest = _hash(secret)
        except UnicodeEncodeError:
            return None
        row = self.db.fetchone(
            f"SELECT {_COLUMNS} FROM tokens WHERE secret_hash = ? AND revoked_at IS NULL", [digest]
        )
        return None if row is None else _record(row)
