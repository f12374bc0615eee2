"""The DuckDB connection of the owning process: a cursor per thread and one write path.

Reads run on a per-thread cursor without locks (DuckDB's MVCC). Every write runs inside
``transaction()``, which holds the single write lock, so writes are serialised and atomic;
callbacks registered with ``on_commit`` run only after the COMMIT succeeded (the in-memory
graph model and search index are updated there, so they never show a rolled-back write).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from ouroboros.errors import StoreBusyError, StoreError

__all__ = ["Database", "is_lock_error"]

log = logging.getLogger(__name__)


def is_lock_error(exc: BaseException) -> bool:
    """Return True if ``exc`` is DuckDB refusing a file another process holds."""
    text = str(exc)
    return isinstance(exc, duckdb.IOException) and (
        "lock" in text.lower() or "Conflicting lock" in text
    )


class _Tx:
    """The state of the open write transaction (reentrant: nested blocks join it)."""

    __slots__ = ("cursor", "depth", "hooks", "thread")

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor
        self.thread = threading.get_ident()
        self.depth = 0
        self.hooks: list[Callable[[], None]] = []


class Database:
    """One DuckDB connection per process; ``cursor()`` per thread; ``transaction()`` to write."""

    def __init__(self, path: str, *, timeout: float = 10.0) -> None:
        self.path = path
        self._con = self._connect(path, timeout)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._tx: _Tx | None = None
        self._closed = False
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()

    @staticmethod
    def _connect(path: str, timeout: float) -> duckdb.DuckDBPyConnection:
        # A previous owner may still be releasing the file: retry a lock error until `timeout`.
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                return duckdb.connect(path)
            except duckdb.Error as exc:
                if not is_lock_error(exc):
                    raise StoreError(f"cannot open database {path}: {exc}") from None
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"database {path} is held by another process that is not an Ouroboros "
                        f"store owner (or did not release it within {timeout:.0f} s)",
                        details={"path": path},
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return this thread's cursor (created on first use)."""
        if self._closed:
            raise StoreError("the store is closed")
        tx = self._tx
        if tx is not None and tx.thread == threading.get_ident():
            return tx.cursor  # the writing thread reads its own uncommitted writes
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
            with self._cursors_lock:
                self._cursors.append(cur)
        return cur

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        """Run one parameterised statement on this thread's cursor."""
        return (
            self.cursor().execute(sql, params) if params is not None else self.cursor().execute(sql)
        )

    def fetchone(self, sql: str, params: Any = None) -> tuple[Any, ...] | None:
        """Run a query and return the first row or None."""
        return self.execute(sql, params).fetchone()

    def fetchall(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run a query and return all rows."""
        return self.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Hold the write lock and run the block in one transaction (nested blocks join it)."""
        with self._write_lock:
            if self._closed:
                raise StoreError("the store is closed")
            outer = self._tx is None
            if outer:
                cur = self._con.cursor()
                cur.execute("BEGIN TRANSACTION")
                self._tx = _Tx(cur)
            tx = self._tx
            assert tx is not None
            tx.depth += 1
            try:
                yield tx.cursor
            except BaseException:
                if outer:
                    self._tx = None
                    try:
                        tx.cursor.execute("ROLLBACK")
                    except duckdb.Error:
                        log.exception("rollback failed")
                    tx.cursor.close()
                raise
            finally:
                tx.depth -= 1
            if outer:
                self._tx = None
                try:
                    tx.cursor.execute("COMMIT")
                except duckdb.Error as exc:
                    tx.cursor.close()
                    raise StoreError(f"commit failed: {exc}") from None
                tx.cursor.close()
                for hook in tx.hooks:
                    hook()

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` after the current transaction commits (now, if none is open)."""
        if self._tx is None:
            hook()
        else:
            self._tx.hooks.append(hook)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the write lock without a transaction (no write runs meanwhile)."""
        with self._write_lock:
            yield

    def checkpoint(self) -> None:
        """Write the WAL into the database file (after bulk loads)."""
        with self._write_lock:
            self._con.execute("CHECKPOINT")

    def close(self) -> None:
        """Close the connection; waits for a running write to finish."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            # Drop every reference to DuckDB objects so nothing of the binding outlives close.
            with self._cursors_lock:
                cursors, self._cursors = self._cursors, []
            self._local = threading.local()
            try:
                for cur in cursors:
                    cur.close()
                self._con.close()
            except duckdb.Error:
                log.exception("closing %s failed", self.path)
            del cursors
            self._con = None  # type: ignore[assignment]
