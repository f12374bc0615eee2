"""The owner's in-memory model of the knowledge graph: entities, observations, relations.

DuckDB is the durable truth; this model is loaded from it at open and changed only by commit
hooks of the single writer, so it always equals the committed database. Reads (by name, open,
read_graph, relations, traversal, search hydration) are served from here in microseconds instead
of paying DuckDB's fixed per-query cost. ``lock`` guards it: writers hold it while applying a
commit, readers while copying out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import duckdb

from ouroboros.store.clock import iso, utcnow
from ouroboros.store.textindex import TextIndex, document_terms

__all__ = ["EntityRecord", "GraphState", "RelKey"]

RelKey = tuple[int, str, int]
"""A relation's identity: (source id, relation type, target id)."""


class EntityRecord:
    """One entity as held in memory; ``observations`` maps text → time added, in order.

    ``validity`` maps the few observations whose valid time is bounded (a ``validFrom`` or
    ``validTo`` given) to ``(valid_from, valid_to)`` ISO strings; ``to_dict`` shows only those
    valid at the moment it runs. None when no observation of the entity is bounded.
    """

    __slots__ = (
        "created_at",
        "entity_type",
        "id",
        "name",
        "observations",
        "updated_at",
        "validity",
    )

    def __init__(
        self, id: int, name: str, entity_type: str, created_at: str, updated_at: str
    ) -> None:
        self.id = id
        self.name = name
        self.entity_type = entity_type
        self.created_at = created_at
        self.updated_at = updated_at
        self.observations: dict[str, str] = {}
        self.validity: dict[str, tuple[str | None, str | None]] | None = None

    def set_validity(self, text: str, valid_from: str | None, valid_to: str | None) -> None:
        """Record the valid time of one observation (both None: unbounded, forget it)."""
        if valid_from is None and valid_to is None:
            if self.validity is not None:
                self.validity.pop(text, None)
            return
        if self.validity is None:
            self.validity = {}
        self.validity[text] = (valid_from, valid_to)

    def valid_observations(self, now: str | None = None) -> dict[str, str]:
        """Return ``observations`` less those not valid at ``now`` (ISO; default: this moment)."""
        if not self.validity:
            return self.observations
        at = now or (iso(utcnow()) or "")
        bounds = self.validity
        out: dict[str, str] = {}
        for text, stamp in self.observations.items():
            b = bounds.get(text)
            if b is None or ((b[0] is None or b[0] <= at) and (b[1] is None or at < b[1])):
                out[text] = stamp
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the public shape (official fields first, then ours)."""
        observations = self.valid_observations()
        return {
            "name": self.name,
            "entityType": self.entity_type,
            "observations": list(observations),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "observation_times": list(observations.values()),
        }


class GraphState:
    """Entities by id and name, adjacency in both directions, and the keyword index."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        """Forget everything (before reloading after a restore)."""
        self.by_name: dict[str, int] = {}
        self.entities: dict[int, EntityRecord] = {}
        self.out: dict[int, dict[tuple[str, int], str]] = {}
        self.inc: dict[int, dict[tuple[str, int], str]] = {}
        self.relation_count = 0
        self.index = TextIndex()
        self.next_id = 1
        self.next_seq = 1

    # --- loading and indexing ------------------------------------------------------------

    def load(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Fill the model from the database (called once, by the owner, at open)."""
        with self.lock:
            for eid, name, etype, created, updated in cur.execute(
                "SELECT id, name, entity_type, created_at, updated_at FROM entities ORDER BY id"
            ).fetchall():
                self.entities[eid] = EntityRecord(
                    eid, name, etype, iso(created) or "", iso(updated) or ""
                )
                self.by_name[name] = eid
            # The current graph: rows the store still holds as true (not expired) whose valid
            # time has not ended; a valid time that starts later is filtered at read.
            now = utcnow()
            for eid, content, created, vfrom, vto in cur.execute(
                "SELECT entity_id, content, created_at, valid_from, valid_to FROM observations "
                "WHERE expired_at IS NULL AND (valid_to IS NULL OR valid_to > ?) ORDER BY seq",
                [now],
            ).fetchall():
                rec = self.entities.get(eid)
                if rec is not None:
                    stamp = iso(created) or ""
                    rec.observations[content] = stamp
                    if vfrom is not None or vto is not None:
                        rec.set_validity(content, iso(vfrom), iso(vto))
                    # add_observations does not rewrite the entity row: derive updated_at here.
                    rec.updated_at = max(rec.updated_at, stamp)
            for src, dst, rtype, created in cur.execute(
                "SELECT src, dst, relation_type, created_at FROM relations "
                "WHERE expired_at IS NULL AND (valid_to IS NULL OR valid_to > ?) "
                "ORDER BY created_at",
                [now],
            ).fetchall():
                if src in self.entities and dst in self.entities:
                    self.add_relation((src, rtype, dst), iso(created) or "")
            row = cur.execute("SELECT max(id) FROM entities").fetchone()
            self.next_id = (row[0] or 0) + 1 if row else 1
            row = cur.execute("SELECT max(seq) FROM observations").fetchone()
            self.next_seq = (row[0] or 0) + 1 if row else 1
            for rec in self.entities.values():
                self.reindex(rec)

    def reindex(self, rec: EntityRecord) -> None:
        """Recompute the keyword-index entry of ``rec``."""
        self.index.set(rec.id, document_terms(rec.name, rec.entity_type, rec.observations))

    # --- changes (called from commit hooks, under ``lock``) ------------------------------

    def add_entity(self, rec: EntityRecord) -> None:
        """Insert a new entity."""
        self.entities[rec.id] = rec
        self.by_name[rec.name] = rec.id
        self.reindex(rec)

    def remove_entity(self, eid: int) -> None:
        """Delete an entity with its relations (observations go with the record)."""
        rec = self.entities.pop(eid, None)
        if rec is None:
            return
        del self.by_name[rec.name]
        self.index.remove(eid)
        for rtype, dst in list(self.out.get(eid, {})):
            self.remove_relation((eid, rtype, dst))
        for rtype, src in list(self.inc.get(eid, {})):
            self.remove_relation((src, rtype, eid))

    def add_relation(self, key: RelKey, created_at: str) -> bool:
        """Insert a relation; return False if it was already there."""
        src, rtype, dst = key
        outs = self.out.setdefault(src, {})
        if (rtype, dst) in outs:
            return False
        outs[(rtype, dst)] = created_at
        self.inc.setdefault(dst, {})[(rtype, src)] = created_at
        self.relation_count += 1
        return True

    def remove_relation(self, key: RelKey) -> bool:
        """Delete a relation; return False if it was not there."""
        src, rtype, dst = key
        outs = self.out.get(src)
        if not outs or (rtype, dst) not in outs:
            return False
        del outs[(rtype, dst)]
        if not outs:
            del self.out[src]
        ins = self.inc[dst]
        del ins[(rtype, src)]
        if not ins:
            del self.inc[dst]
        self.relation_count -= 1
        return True

    # --- reads (callers hold ``lock``) ---------------------------------------------------

    def ids_of(self, names: Iterable[str]) -> list[int]:
        """Return the ids of the names that exist, in order, without duplicates."""
        seen: dict[int, None] = {}
        for name in names:
            eid = self.by_name.get(name)
            if eid is not None:
                seen[eid] = None
        return list(seen)

    def has_relation(self, key: RelKey) -> bool:
        """Return True if the relation exists."""
        return (key[1], key[2]) in self.out.get(key[0], {})

    def relation_dict(self, key: RelKey, created_at: str) -> dict[str, Any]:
        """Return the public shape of a relation."""
        src, rtype, dst = key
        return {
            "from": self.entities[src].name,
            "to": self.entities[dst].name,
            "relationType": rtype,
            "created_at": created_at,
        }

    def relations_touching(
        self, ids: Iterable[int], direction: str = "both"
    ) -> list[dict[str, Any]]:
        """Return relations leaving (``out``), entering (``in``) or touching (``both``) ids."""
        found: dict[RelKey, str] = {}
        for eid in ids:
            if direction in ("out", "both"):
                for (rtype, dst), created in self.out.get(eid, {}).items():
                    found[(eid, rtype, dst)] = created
            if direction in ("in", "both"):
                for (rtype, src), created in self.inc.get(eid, {}).items():
                    found[(src, rtype, eid)] = created
        return [self.relation_dict(k, c) for k, c in found.items()]
