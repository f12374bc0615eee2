"""The schema: DDL from ``schema.sql``, a version in ``meta``, migrations applied on open."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import duckdb

from ouroboros.errors import StoreError

__all__ = ["SCHEMA_VERSION", "migrate"]

SCHEMA_VERSION = 5


def _v2_bitemporal(cur: duckdb.DuckDBPyConnection) -> None:
    """Valid time and expiry on observations and relations; aliases; ingested sources."""
    for table in ("observations", "relations"):
        for column in ("valid_from", "valid_to", "expired_at"):
            cur.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} TIMESTAMP")
    cur.execute(
        "CREATE TABLE IF NOT EXISTS aliases (alias VARCHAR NOT NULL, norm VARCHAR NOT NULL, "
        "entity_id BIGINT NOT NULL, created_at TIMESTAMP NOT NULL)"
    )
    cur.execute(
        "CREATE TABLE IF NOT EXISTS sources (document VARCHAR NOT NULL, kind VARCHAR NOT NULL, "
        "digest VARCHAR NOT NULL, chunks VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL)"
    )


def _v3_openapi_clients(cur: duckdb.DuckDBPyConnection) -> None:
    """Bootstrapped OpenAPI clients, shared by every process on the file."""
    cur.execute(
        "CREATE TABLE IF NOT EXISTS openapi_clients (name VARCHAR NOT NULL, "
        "version VARCHAR NOT NULL, spec_url VARCHAR NOT NULL, base_url VARCHAR NOT NULL, "
        "redacted BOOLEAN NOT NULL, title VARCHAR, spec_version VARCHAR NOT NULL, "
        "spec VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)"
    )


def _v4_changes(cur: duckdb.DuckDBPyConnection) -> None:
    """The change feed for subscriptions as a table (dropped again by version 5)."""
    cur.execute(
        "CREATE TABLE IF NOT EXISTS changes (seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL, "
        "names VARCHAR NOT NULL)"
    )


def _v5_changes_in_memory(cur: duckdb.DuckDBPyConnection) -> None:
    """The owner keeps the change feed in memory (changes.py: a row per write cost too much)."""
    cur.execute("DROP TABLE IF EXISTS changes")


# version -> step that upgrades a database from version-1 to version. Add entries, never edit.
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    2: _v2_bitemporal,
    3: _v3_openapi_clients,
    4: _v4_changes,
    5: _v5_changes_in_memory,
}


def _ddl() -> str:
    return resources.files("ouroboros.store").joinpath("schema.sql").read_text(encoding="utf-8")


def _version(cur: duckdb.DuckDBPyConnection) -> int | None:
    exists = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()
    if not exists or not exists[0]:
        return None
    row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def migrate(cur: duckdb.DuckDBPyConnection) -> int:
    """Create or upgrade the schema in one transaction; return the version now in force.

    Raises StoreError if the file was written by a newer Ouroboros.
    """
    cur.execute("BEGIN TRANSACTION")
    try:
        version = _version(cur)
        if version is None:
            # The DDL has no string literals: strip `--` comments, then split on `;`.
            text = "\n".join(ln.split("--", 1)[0] for ln in _ddl().splitlines())
            for statement in text.split(";"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute("DELETE FROM meta WHERE key = 'schema_version'")
            cur.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            version = SCHEMA_VERSION
        elif version > SCHEMA_VERSION:
            raise StoreError(
                f"the database has schema version {version}, newer than this Ouroboros "
                f"understands ({SCHEMA_VERSION}); upgrade ouroboros-engine"
            )
        while version < SCHEMA_VERSION:
            MIGRATIONS[version + 1](cur)
            version += 1
            cur.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return version
