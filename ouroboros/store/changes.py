"""The change feed: which entities each graph write touched, in commit order, read by a cursor.

Every graph write (create, add, delete, rename, invalidate, purge, restore) appends one entry:
the entity names it touched (``["*"]`` when it may have touched any, as a snapshot restore
does) under the next ``seq``. A reader keeps the last cursor it saw and asks for what came
after (``since``), so it sees every write, whichever process or instance made it:

- DuckDB: one process owns the file and every write of every process runs in the owner (the
  others reach it over its socket), so the owner keeps the feed in memory: an entry is added
  when the write commits (a rolled-back write adds none), and other processes call
  ``changes`` over the same socket. A cursor carries the owner's random epoch in its high bits;
  a cursor from an earlier owner (the file changed hands) reads as ``all``.
- PostgreSQL: many instances write at once, so the entry is a row of the ``changes`` table,
  added in the write's transaction under a transaction-scoped advisory lock: the writers that
  touched the graph commit their rows one at a time, so ``max(seq) + 1`` never lands below a
  row still to commit (a reader cannot skip one).

Why not a table on DuckDB too (schema 4 had one): its one extra statement per write cost as
much again as the write itself (median 4.0 → 7.7 ms per ``add_observations`` on the loaded
2-core test machine), and the owner sees every write anyway. Why not LISTEN/NOTIFY on
PostgreSQL: a reader that was away would miss writes; a table read by cursor tells it.
Only the newest ``KEEP`` entries are kept; an older cursor gets ``all: true`` ("anything may
have changed, read again").
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ouroboros.errors import InvalidInputError
from ouroboros.store.clock import utcnow

__all__ = ["CHANGES_LOCK", "GRAPH_WRITES", "KEEP", "Changes", "touched_names"]

KEEP = 10_000  # rows kept; older cursors read as "everything may have changed"
PRUNE_EVERY = 500
MAX_NAMES = 1_000  # per answer; more is "all"
CHANGES_LOCK = 0x0B0B06  # pg_advisory_xact_lock key for appending a change row

GRAPH_WRITES = frozenset(
    {
        "create_entities",
        "create_relations",
        "add_observations",
        "delete_entities",
        "delete_observations",
        "delete_relations",
        "rename_entity",
        "invalidate_observations",
        "invalidate_relations",
        "purge",
        "merge_entities",
        "restore_snapshot",
    }
)


def _arg(args: Sequence[Any], kwargs: Mapping[str, Any], index: int, name: str) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name)


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _ends(relations: Any) -> list[str]:
    return [str(r.get(k)) for r in _items(relations) for k in ("from", "to") if r.get(k)]


def touched_names(
    method: str, args: Sequence[Any], kwargs: Mapping[str, Any], result: Any
) -> list[str]:
    """Return the entity names a graph write touched (``["*"]``: possibly any), else []."""
    if method == "restore_snapshot":
        return ["*"]
    if method == "create_entities":
        return [str(e["name"]) for e in _items(result) if "name" in e]
    if method == "create_relations":
        return _ends(result)
    if method == "add_observations":
        return [
            str(r["entityName"])
            for r in _items(result)
            if r.get("entityName") and r.get("addedObservations")
        ]
    if method == "rename_entity":
        old, new = _arg(args, kwargs, 0, "old"), _arg(args, kwargs, 1, "new")
        return [str(n) for n in (old, new) if isinstance(n, str)]
    if method == "merge_entities" and isinstance(result, Mapping):
        return [str(result[k]) for k in ("from", "into") if k in result]
    if method == "purge":
        names = _arg(args, kwargs, 0, "entity_names")
        observations = _arg(args, kwargs, 1, "observations")
        out = [str(n) for n in names] if isinstance(names, list) else []
        out += [str(o["entityName"]) for o in _items(observations) if o.get("entityName")]
        return out
    if not result:  # a delete or invalidation that found nothing changed nothing
        return []
    first = _arg(args, kwargs, 0, {"delete_entities": "names"}.get(method, ""))
    if method == "delete_entities":
        return [str(n) for n in first] if isinstance(first, list) else []
    if method in ("delete_observations", "invalidate_observations"):
        return [str(d["entityName"]) for d in _items(first) if d.get("entityName")]
    if method in ("delete_relations", "invalidate_relations"):
        return _ends(first)
    return []


class Changes:
    """The change feed on either backend's database (see the module docstring)."""

    def __init__(self, db: Any, *, postgres: bool = False) -> None:
        self.db = db
        self.postgres = postgres
        # DuckDB: the owner's memory. Cursors are (epoch << 32) | seq.
        self._epoch = secrets.randbelow(2**20 - 1) + 1
        self._seq = 0
        self._ring: deque[tuple[int, list[str]]] = deque(maxlen=KEEP)
        self._lock = threading.Lock()

    def record(self, names: Iterable[str]) -> None:
        """Add one entry for the open write transaction (it counts once that commits)."""
        unique = list(dict.fromkeys(names))
        if not unique:
            return
        if not self.postgres:
            self.db.on_commit(lambda: self._append(unique))
            return
        with self.db.transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(?)", [CHANGES_LOCK])
            row = cur.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()
            seq = int(row[0] if row else 0) + 1
            cur.execute(
                "INSERT INTO changes VALUES (?, ?, ?)",
                [seq, utcnow(), json.dumps(unique, ensure_ascii=False)],
            )
            if seq % PRUNE_EVERY == 0:
                cur.execute("DELETE FROM changes WHERE seq <= ?", [seq - KEEP])

    def _append(self, names: list[str]) -> None:
        with self._lock:
            self._seq += 1
            self._ring.append((self._seq, names))

    def since(self, cursor: Any = None, limit: int = 1000) -> dict[str, Any]:
        """Return ``{"cursor", "names", "all"}``: the names touched after ``cursor``.

        ``cursor=None`` answers the newest ``cursor`` and no names (a reader starting now).
        ``all`` is true when the reader may have missed entries (its cursor is older than the
        entries kept, from another owner, or newer than any: the database was replaced) or more
        than ``MAX_NAMES`` names changed; it should then read everything again.
        """
        if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
            raise InvalidInputError(f"cursor must be an integer, not {cursor!r}")
        limit = max(1, min(int(limit), 10_000))
        if self.postgres:
            return self._since_table(cursor, limit)
        with self._lock:
            high = self._seq
            base = self._epoch << 32
            if cursor is None or cursor == base | high:
                return {"cursor": base | high, "names": [], "all": False}
            at = cursor - base
            low = self._ring[0][0] if self._ring else high + 1
            if not 0 <= at <= high or at < low - 1:
                return {"cursor": base | high, "names": [], "all": True}
            rows = [(seq, names) for seq, names in self._ring if seq > at][:limit]
        return self._answer(cursor if not rows else base | rows[-1][0], rows)

    def _since_table(self, cursor: int | None, limit: int) -> dict[str, Any]:
        low_high = self.db.fetchone("SELECT min(seq), max(seq) FROM changes")
        low = int(low_high[0]) if low_high and low_high[0] is not None else 0
        high = int(low_high[1]) if low_high and low_high[1] is not None else 0
        if cursor is None or cursor == high:
            return {"cursor": high, "names": [], "all": False}
        if cursor > high or cursor < 0 or (low and cursor < low - 1):
            return {"cursor": high, "names": [], "all": True}
        rows = [
            (int(seq), json.loads(text))
            for seq, text in self.db.fetchall(
                "SELECT seq, names FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                [cursor, limit],
            )
        ]
        return self._answer(rows[-1][0] if rows else cursor, rows)

    @staticmethod
    def _answer(cursor: int, rows: list[tuple[int, list[str]]]) -> dict[str, Any]:
        names: dict[str, None] = {}
        for _seq, touched in rows:
            names.update(dict.fromkeys(touched))
        everything = "*" in names or len(names) > MAX_NAMES
        return {"cursor": cursor, "names": [] if everything else list(names), "all": everything}
