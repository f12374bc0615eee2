"""PostgreSQL connections for the store: a pool, one transaction per write, retries, migrations.

``PgDatabase`` offers the calls the DuckDB ``Database`` offers (``transaction()``, ``cursor()``,
``fetchall``, ``fetchone``, ``on_commit``) over a ``psycopg_pool.ConnectionPool``, so the parts
of the store written in portable SQL (memory, tokens, audit) run on both backends unchanged:
their ``?`` placeholders become psycopg's ``%s``. Every process talks to the server directly (no
owner election): PostgreSQL's MVCC and constraints do what the owner's write lock does on DuckDB.

``run`` retries a whole unit of work, with exponential backoff and jitter, on the errors that
mean "try again": a serialization failure or deadlock, a unique violation raced by another
instance (the retried work then sees the other's row and skips it), a dropped connection.

Migrations: ``pgschema.sql`` is version 1 of the Postgres schema; ``MIGRATIONS`` upgrade it in
order on open, under an advisory lock so several instances starting at once migrate it once. A
database written by a newer Ouroboros is refused with a clear error.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool

from ouroboros.errors import StoreBusyError, StoreError

__all__ = ["PG_SCHEMA_VERSION", "TRANSIENT", "PgDatabase"]

log = logging.getLogger(__name__)

T = TypeVar("T")

PG_SCHEMA_VERSION = 4
# version -> SQL that upgrades a database from version-1 to version. Add entries, never edit.
# A new database gets pgschema.sql (version 1) and then every step, so each table is defined once.
MIGRATIONS: dict[int, str] = {
    # Bootstrapped OpenAPI clients, shared by every instance (URLs stored redacted).
    2: """
    CREATE TABLE openapi_clients (
        name         text      PRIMARY KEY,
        version      text      NOT NULL,
        spec_url     text      NOT NULL,
        base_url     text      NOT NULL,
        redacted     boolean   NOT NULL,
        title        text,
        spec_version text      NOT NULL,
        spec         text      NOT NULL,
        created_at   timestamp NOT NULL,
        updated_at   timestamp NOT NULL
    );
    """,
    # Issue 11: results of keyed writes and tool calls (idempotencyKey), entity aliases.
    3: """
    CREATE TABLE write_results (
        request_id text      PRIMARY KEY,
        result     text      NOT NULL,
        created_at timestamp NOT NULL
    );
    CREATE TABLE aliases (
        norm       text      PRIMARY KEY,
        alias      text      NOT NULL,
        entity_id  bigint    NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        created_at timestamp NOT NULL
    );
    CREATE INDEX aliases_by_entity ON aliases (entity_id);
    """,
    # The change feed for subscriptions (see changes.py): rows appended in commit order.
    4: """
    CREATE TABLE changes (
        seq   bigint    PRIMARY KEY,
        ts    timestamp NOT NULL,
        names text      NOT NULL
    );
    """,
}
MIGRATION_LOCK = 0x0B0B05  # pg_advisory_xact_lock key: one migrating instance at a time

TRANSIENT = (
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.UniqueViolation,
    psycopg.OperationalError,
)
RETRIES = 6
POOL_MAX = 8

_QMARK = re.compile(r"\?")


def _sql(text: str) -> str:
    """DuckDB-style ``?`` placeholders to psycopg's ``%s`` (our SQL has no literal ``?``/``%``)."""
    return _QMARK.sub("%s", text)


class PgCursor:
    """A psycopg cursor that takes ``?`` placeholders, like a DuckDB connection."""

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Any = None) -> PgCursor:
        self._cur.execute(_sql(sql), params)
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cur.fetchall()

    @property
    def raw(self) -> psycopg.Cursor[Any]:
        return self._cur


class _Tx:
    __slots__ = ("cursor", "depth", "hooks")

    def __init__(self, cursor: PgCursor) -> None:
        self.cursor = cursor
        self.depth = 0
        self.hooks: list[Callable[[], None]] = []


class PgDatabase:
    """A connection pool to one PostgreSQL database, with the store's transaction helpers."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.path = url
        self._local = threading.local()
        self._closed = False
        try:
            self.pool = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_MAX,
                timeout=timeout,
                open=False,
                kwargs={"autocommit": True},
            )
            self.pool.open(wait=True, timeout=timeout)
        except Exception as exc:  # psycopg_pool.PoolTimeout, OperationalError
            raise StoreBusyError(
                f"cannot reach PostgreSQL at {_redact(url)} within {timeout:.0f} s: {exc}",
                details={"backend": "postgres"},
            ) from None

    # --- transactions --------------------------------------------------------------------

    def _tx(self) -> _Tx | None:
        return getattr(self._local, "tx", None)

    @contextmanager
    def transaction(self) -> Iterator[PgCursor]:
        """Run the block in one transaction on a pooled connection (nested blocks join it)."""
        if self._closed:
            raise StoreError("the store is closed")
        tx = self._tx()
        if tx is not None:
            tx.depth += 1
            try:
                yield tx.cursor
            finally:
                tx.depth -= 1
            return
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as raw:
            tx = _Tx(PgCursor(raw))
            self._local.tx = tx
            try:
                yield tx.cursor
            finally:
                self._local.tx = None
        for hook in tx.hooks:
            hook()

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` after the current transaction commits (now, if none is open)."""
        tx = self._tx()
        if tx is None:
            hook()
        else:
            tx.hooks.append(hook)

    def run(self, work: Callable[[], T], *, write: bool) -> T:
        """Run ``work`` (which opens its own transactions), retrying transient failures."""
        delay = 0.01
        for attempt in range(RETRIES + 1):
            try:
                return work()
            except TRANSIENT as exc:
                if self._tx() is not None or attempt == RETRIES:
                    if isinstance(exc, psycopg.OperationalError):
                        raise StoreBusyError(f"PostgreSQL is unavailable: {exc}") from None
                    raise StoreError(f"PostgreSQL kept refusing the operation: {exc}") from None
                log.debug("transient PostgreSQL error (attempt %d): %s", attempt + 1, exc)
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    # --- reads outside a transaction ------------------------------------------------------

    @contextmanager
    def _reader(self) -> Iterator[PgCursor]:
        tx = self._tx()
        if tx is not None:
            yield tx.cursor
            return
        if self._closed:
            raise StoreError("the store is closed")
        with self.pool.connection() as conn, conn.cursor() as raw:
            yield PgCursor(raw)

    def fetchall(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run a query and return all rows."""
        with self._reader() as cur:
            return cur.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Any = None) -> tuple[Any, ...] | None:
        """Run a query and return the first row or None."""
        with self._reader() as cur:
            return cur.execute(sql, params).fetchone()

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL checkpoints by itself."""

    def close(self) -> None:
        """Close the pool."""
        if not self._closed:
            self._closed = True
            self.pool.close()

    # --- schema -----------------------------------------------------------------------------

    def migrate(self) -> int:
        """Create or upgrade the schema (once, whichever instance gets there first)."""

        def work() -> int:
            with self.transaction() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK])
                cur.execute("SELECT to_regclass('ouroboros_meta') IS NOT NULL")
                exists = cur.fetchone()
                version: int | None = None
                if exists and exists[0]:
                    row = cur.execute(
                        "SELECT value FROM ouroboros_meta WHERE key = 'schema_version'"
                    ).fetchone()
                    version = int(row[0]) if row else None
                if version is None:
                    ddl = resources.files("ouroboros.store").joinpath("pgschema.sql")
                    cur.raw.execute(ddl.read_text(encoding="utf-8").encode())
                    cur.execute("INSERT INTO ouroboros_meta VALUES ('schema_version', '1')")
                    version = 1
                if version > PG_SCHEMA_VERSION:
                    raise StoreError(
                        f"the PostgreSQL database has schema version {version}, newer than "
                        f"this Ouroboros understands ({PG_SCHEMA_VERSION}); upgrade "
                        "ouroboros-engine",
                        details={"schema_version": version, "supported": PG_SCHEMA_VERSION},
                    )
                while version < PG_SCHEMA_VERSION:
                    version += 1
                    cur.raw.execute(MIGRATIONS[version].encode())
                    cur.execute(
                        "UPDATE ouroboros_meta SET value = ? WHERE key = 'schema_version'",
                        [str(version)],
                    )
                return version

        return self.run(work, write=True)


def _redact(url: str) -> str:
    return re.sub(r"^([^:/]+://[^:/@]*):[^@]*@", r"\1:***@", url)
