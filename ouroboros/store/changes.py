"""The change feed: which entities each graph write touched, in commit order, read by a cursor.

Every graph write (create, add, delete, rename, invalidate, purge, restore) appends one row to
the ``changes`` table in its own transaction: ``seq`` (1, 2, 3, ... in commit order), ``ts``
and ``names`` (a JSON array of the entity names it touched; ``["*"]`` when it may have touched
any, as a snapshot restore does). A reader keeps the last ``seq`` it saw and asks for what came
after (``since``), so it sees every write, whichever process or instance made it:

- DuckDB: one process owns the file and every write of every process runs in the owner (the
  others reach it over its socket), under its one write lock, so ``max(seq) + 1`` is in commit
  order. Readers in other processes call ``changes`` over the same socket.
- PostgreSQL: many instances write at once, so the row is added under a transaction-scoped
  advisory lock: the writers that touched the graph commit their change rows one at a time, and
  ``max(seq) + 1`` never lands below a row still to commit (a reader cannot skip one).

Why a table and not an in-memory list in the owner, or PostgreSQL's LISTEN/NOTIFY: the same
portable SQL works on both backends, a cursor survives the owner changing (the rows are in the
file), and a reader that falls behind is told so rather than silently missing writes. Only
the newest ``KEEP`` rows are kept; a cursor older than them gets ``all: true`` ("anything may
have changed, read again").
"""

from __future__ import annotations

import json
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
    """The ``changes`` table on either backend's database (``postgres`` takes the lock)."""

    def __init__(self, db: Any, *, postgres: bool = False) -> None:
        self.db = db
        self.postgres = postgres

    def record(self, names: Iterable[str]) -> int | None:
        """Append one change row inside the open write transaction; return its ``seq``."""
        unique = list(dict.fromkeys(names))
        if not unique:
            return None
        with self.db.transaction() as cur:
            if self.postgres:
                cur.execute("SELECT pg_advisory_xact_lock(?)", [CHANGES_LOCK])
            row = cur.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()
            seq = int(row[0] if row else 0) + 1
            cur.execute(
                "INSERT INTO changes VALUES (?, ?, ?)",
                [seq, utcnow(), json.dumps(unique, ensure_ascii=False)],
            )
            if seq % PRUNE_EVERY == 0:
                cur.execute("DELETE FROM changes WHERE seq <= ?", [seq - KEEP])
        return seq

    def since(self, cursor: Any = None, limit: int = 1000) -> dict[str, Any]:
        """Return ``{"cursor", "names", "all"}``: the names touched after ``cursor``.

        ``cursor=None`` answers the newest ``cursor`` and no names (a reader starting now).
        ``all`` is true when the reader may have missed rows (its cursor is older than the rows
        kept, or newer than any: the database was replaced) or more than ``MAX_NAMES`` names
        changed; it should then read everything again.
        """
        if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
            raise InvalidInputError(f"cursor must be an integer, not {cursor!r}")
        low_high = self.db.fetchone("SELECT min(seq), max(seq) FROM changes")
        low = int(low_high[0]) if low_high and low_high[0] is not None else 0
        high = int(low_high[1]) if low_high and low_high[1] is not None else 0
        if cursor is None or cursor == high:
            return {"cursor": high, "names": [], "all": False}
        if cursor > high or (low and cursor < low - 1):
            return {"cursor": high, "names": [], "all": True}
        rows = self.db.fetchall(
            "SELECT seq, names FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
            [cursor, max(1, min(int(limit), 10_000))],
        )
        names: dict[str, None] = {}
        last = cursor
        for seq, text in rows:
            last = int(seq)
            names.update(dict.fromkeys(json.loads(text)))
        everything = "*" in names or len(names) > MAX_NAMES
        return {"cursor": last, "names": [] if everything else list(names), "all": everything}
