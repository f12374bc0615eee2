"""The knowledge graph: entity, observation and relation writes and reads by name.

Semantics follow the official MCP memory server so the tool pack maps 1:1: creating an entity
that exists is skipped, duplicate observations and exact duplicate relations are skipped,
deleting what is absent is a no-op — which also makes every write safe to retry. The deletes
here are hard deletes (every stored version of the fact goes); ending a fact's validity while
keeping its history is ``temporal.Temporal.invalidate_*``. Where that
server is loose we are strict: a relation or observation for a missing entity is refused with
NotFoundError naming it, and nothing of the batch is written.

Each write validates against the in-memory model under the write lock, runs its SQL in one
transaction, and applies the change to the model (and keyword index) in a commit hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from ouroboros.errors import ConflictError, InvalidInputError, NotFoundError
from ouroboros.store.clock import iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.graphstate import EntityRecord, GraphState, RelKey
from ouroboros.store.timeparse import time_arg
from ouroboros.store.validate import (
    check_identifier,
    check_names,
    check_text,
    require_list,
    require_mapping,
)

__all__ = ["KnowledgeGraph"]

ChangeListener = Callable[[set[int], set[int]], None]
"""Called after a commit with (ids whose text changed, ids deleted)."""


def _missing_error(missing: Sequence[str], action: str) -> NotFoundError:
    shown = ", ".join(repr(m) for m in missing[:10])
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    noun = "entity does" if len(missing) == 1 else "entities do"
    return NotFoundError(
        f"cannot {action}: {noun} not exist: {shown}{more}; nothing was written",
        details={"missing": list(missing)},
    )


class KnowledgeGraph:
    """Writes and name-based reads of entities, observations and relations."""

    def __init__(self, db: Database, state: GraphState) -> None:
        self.db = db
        self.state = state
        self.listeners: list[ChangeListener] = []

    def _changed(self, changed: Iterable[int] = (), removed: Iterable[int] = ()) -> None:
        ch, rm = set(changed), set(removed)
        for listener in self.listeners:
            listener(ch, rm)

    # --- entities ------------------------------------------------------------------------

    def create_entities(self, entities: Any) -> list[dict[str, Any]]:
        """Create entities whose names are new; return those created (existing are skipped)."""
        items = require_list(entities, "entities")
        wanted: dict[str, tuple[str, list[str]]] = {}
        for i, item in enumerate(items):
            require_mapping(item, f"entities[{i}]", ("name", "entityType"))
            name = check_identifier(item["name"], "entity name")
            etype = check_identifier(item["entityType"], "entityType")
            obs = [
                check_text(o, "observation")
                for o in require_list(item.get("observations", []), "observations")
            ]
            if name not in wanted:
                wanted[name] = (etype, list(dict.fromkeys(obs)))
        st = self.state
        with self.db.transaction() as cur:
            with st.lock:
                new = {n: v for n, v in wanted.items() if n not in st.by_name}
                first_id, first_seq = st.next_id, st.next_seq
            if not new:
                return []
            now = utcnow()
            stamp = iso(now) or ""
            ids = list(range(first_id, first_id + len(new)))
            recs: list[EntityRecord] = []
            obs_ids: list[int] = []
            obs_texts: list[str] = []
            for eid, (name, (etype, obs)) in zip(ids, new.items(), strict=True):
                rec = EntityRecord(eid, name, etype, stamp, stamp)
                for text in obs:
                    rec.observations[text] = stamp
                    obs_ids.append(eid)
                    obs_texts.append(text)
                recs.append(rec)
            cur.execute(
                "INSERT INTO entities SELECT unnest(?::BIGINT[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[]), ?, ?",
                [ids, [r.name for r in recs], [r.entity_type for r in recs], now, now],
            )
            if obs_ids:
                seqs = list(range(first_seq, first_seq + len(obs_ids)))
                cur.execute(
                    "INSERT INTO observations (entity_id, seq, content, created_at) "
                    "SELECT unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[]), ?",
                    [obs_ids, seqs, obs_texts, now],
                )

            def apply() -> None:
                with st.lock:
                    st.next_id = first_id + len(recs)
                    st.next_seq = first_seq + len(obs_ids)
                    for rec in recs:
                        st.add_entity(rec)
                self._changed(ids)

            self.db.on_commit(apply)
        return [r.to_dict() for r in recs]

    def delete_entities(self, names: Any) -> int:
        """Delete entities with their observations and relations; return how many existed."""
        wanted = check_names(names, "entity name")
        st = self.state
        with self.db.transaction() as cur:
            with st.lock:
                ids = st.ids_of(wanted)
            if not ids:
                return 0
            cur.execute("DELETE FROM entities WHERE id IN (SELECT unnest(?::BIGINT[]))", [ids])
            cur.execute(
                "DELETE FROM observations WHERE entity_id IN (SELECT unnest(?::BIGINT[]))", [ids]
            )
            cur.execute(
                "DELETE FROM relations WHERE src IN (SELECT unnest($1::BIGINT[])) "
                "OR dst IN (SELECT unnest($1::BIGINT[]))",
                [ids],
            )
            cur.execute(
                "DELETE FROM embeddings WHERE entity_id IN (SELECT unnest(?::BIGINT[]))", [ids]
            )
            cur.execute(
                "DELETE FROM aliases WHERE entity_id IN (SELECT unnest(?::BIGINT[]))", [ids]
            )

            def apply() -> None:
                with st.lock:
                    for eid in ids:
                        st.remove_entity(eid)
                self._changed(removed=ids)

            self.db.on_commit(apply)
        return len(ids)

    def rename_entity(self, old: Any, new: Any) -> dict[str, Any]:
        """Rename an entity, keeping its observations and relations; return it.

        Raises NotFoundError if ``old`` does not exist, ConflictError if ``new`` does.
        """
        old = check_identifier(old, "entity name")
        new = check_identifier(new, "new entity name")
        st = self.state
        with self.db.transaction() as cur:
            with st.lock:
                eid = st.by_name.get(old)
                if eid is None:
                    raise _missing_error([old], "rename")
                if old == new:
                    return st.entities[eid].to_dict()
                if new in st.by_name:
                    raise ConflictError(
                        f"cannot rename {old!r} to {new!r}: an entity named {new!r} exists",
                        details={"name": new},
                    )
            now = utcnow()
            cur.execute(
                "UPDATE entities SET name = ?, updated_at = ? WHERE id = ?", [new, now, eid]
            )

            def apply() -> None:
                with st.lock:
                    rec = st.entities[eid]
                    del st.by_name[old]
                    rec.name = new
                    rec.updated_at = iso(now) or ""
                    st.by_name[new] = eid
                    st.reindex(rec)
                self._changed([eid])

            self.db.on_commit(apply)
            # Built here, not read back after the block: inside an enclosing transaction (an
            # audited or RPC write) ``apply`` only runs at the outer commit.
            with st.lock:
                renamed = st.entities[eid].to_dict()
        renamed["name"] = new
        renamed["updated_at"] = iso(now) or ""
        return renamed

    # --- observations --------------------------------------------------------------------

    def add_observations(self, observations: Any) -> list[dict[str, Any]]:
        """Add observations; return ``[{"entityName", "addedObservations"}]`` (duplicates skipped).

        An item may carry ``validFrom`` / ``validTo`` (ISO 8601 or an unambiguous human time)
        for all its contents: when the facts held in the world. Raises NotFoundError (writing
        nothing) if any entity does not exist, InvalidInputError for a bad or empty interval.
        """
        items = require_list(observations, "observations")
        asked: list[tuple[str, list[str], datetime | None, datetime | None]] = []
        for i, item in enumerate(items):
            require_mapping(item, f"observations[{i}]", ("entityName", "contents"))
            name = check_identifier(item["entityName"], "entityName")
            contents = [
                check_text(c, "observation") for c in require_list(item["contents"], "contents")
            ]
            vfrom = time_arg(item.get("validFrom"), f"observations[{i}].validFrom")
            vto = time_arg(item.get("validTo"), f"observations[{i}].validTo")
            if vfrom is not None and vto is not None and vto <= vfrom:
                raise InvalidInputError(
                    f"observations[{i}]: validTo must be later than validFrom (intervals are "
                    "half-open: valid from validFrom up to, not including, validTo)"
                )
            asked.append((name, contents, vfrom, vto))
        st = self.state
        with self.db.transaction() as cur:
            results: list[dict[str, Any]] = []
            rows: list[tuple[int, str, datetime | None, datetime | None]] = []
            with st.lock:
                missing = [a[0] for a in asked if a[0] not in st.by_name]
                if missing:
                    raise _missing_error(list(dict.fromkeys(missing)), "add observations")
                pending: dict[int, set[str]] = {}
                for name, contents, vfrom, vto in asked:
                    eid = st.by_name[name]
                    have = st.entities[eid].observations
                    taken = pending.setdefault(eid, set())
                    added = []
                    for text in dict.fromkeys(contents):
                        if text not in have and text not in taken:
                            taken.add(text)
                            added.append(text)
                            rows.append((eid, text, vfrom, vto))
                    results.append({"entityName": name, "addedObservations": added})
                first_seq = st.next_seq
            if not rows:
                return results
            now = utcnow()
            stamp = iso(now) or ""
            # The entity row is not touched: updated_at is derived from the newest observation
            # at load, which keeps this write an append (no UPDATE scan over entities).
            cur.execute(
                "INSERT INTO observations (entity_id, seq, content, created_at, valid_from, "
                "valid_to) SELECT unnest(?::BIGINT[]), unnest(?::BIGINT[]), "
                "unnest(?::VARCHAR[]), ?, unnest(?::TIMESTAMP[]), unnest(?::TIMESTAMP[])",
                [
                    [r[0] for r in rows],
                    list(range(first_seq, first_seq + len(rows))),
                    [r[1] for r in rows],
                    now,
                    [r[2] for r in rows],
                    [r[3] for r in rows],
                ],
            )

            def apply() -> None:
                with st.lock:
                    st.next_seq = first_seq + len(rows)
                    touched = {r[0] for r in rows}
                    for eid, text, vfrom, vto in rows:
                        if vto is not None and vto <= now:
                            continue  # a fact that already ended: history, not the graph
                        rec = st.entities[eid]
                        rec.observations[text] = stamp
                        rec.set_validity(text, iso(vfrom), iso(vto))
                    for eid in touched:
                        rec = st.entities[eid]
                        rec.updated_at = stamp
                        st.reindex(rec)
                self._changed(touched)

            self.db.on_commit(apply)
        return results

    def delete_observations(self, deletions: Any) -> int:
        """Delete observations by exact text; return how many were removed (unknown: no-op)."""
        items = require_list(deletions, "deletions")
        asked: list[tuple[str, list[str]]] = []
        for i, item in enumerate(items):
            require_mapping(item, f"deletions[{i}]", ("entityName", "observations"))
            name = check_identifier(item["entityName"], "entityName")
            texts = require_list(item["observations"], "observations")
            if not all(isinstance(t, str) for t in texts):
                raise InvalidInputError("observations must be a list of strings")
            asked.append((name, texts))
        st = self.state
        with self.db.transaction() as cur:
            rows: dict[tuple[int, str], None] = {}
            with st.lock:
                for name, texts in asked:
                    eid = st.by_name.get(name)
                    if eid is None:
                        continue
                    have = st.entities[eid].observations
                    for text in texts:
                        if text in have:
                            rows[(eid, text)] = None
            if not rows:
                return 0
            now = utcnow()
            eids = [r[0] for r in rows]
            cur.execute(
                "DELETE FROM observations USING (SELECT unnest(?::BIGINT[]) AS e, "
                "unnest(?::VARCHAR[]) AS c) AS gone "
                "WHERE observations.entity_id = gone.e AND observations.content = gone.c",
                [eids, [r[1] for r in rows]],
            )
            touched = sorted(set(eids))
            cur.execute(
                "UPDATE entities SET updated_at = ? WHERE id IN (SELECT unnest(?::BIGINT[]))",
                [now, touched],
            )

            def apply() -> None:
                with st.lock:
                    for eid, text in rows:
                        rec = st.entities[eid]
                        rec.observations.pop(text, None)
                        rec.set_validity(text, None, None)
                    for eid in touched:
                        rec = st.entities[eid]
                        rec.updated_at = iso(now) or ""
                        st.reindex(rec)
                self._changed(touched)

            self.db.on_commit(apply)
        return len(rows)

    # --- relations -----------------------------------------------------------------------

    def _relation_keys(self, relations: Any) -> list[tuple[str, str, str]]:
        items = require_list(relations, "relations")
        keys: list[tuple[str, str, str]] = []
        for i, item in enumerate(items):
            require_mapping(item, f"relations[{i}]", ("from", "to", "relationType"))
            keys.append(
                (
                    check_identifier(item["from"], "relation 'from'"),
                    check_identifier(item["relationType"], "relationType"),
                    check_identifier(item["to"], "relation 'to'"),
                )
            )
        return list(dict.fromkeys(keys))

    def create_relations(self, relations: Any) -> list[dict[str, Any]]:
        """Create relations; return those created (exact duplicates skipped).

        Raises NotFoundError (writing nothing) if an endpoint does not exist.
        """
        asked = self._relation_keys(relations)
        st = self.state
        with self.db.transaction() as cur:
            with st.lock:
                missing = [n for f, _, t in asked for n in (f, t) if n not in st.by_name]
                if missing:
                    raise _missing_error(list(dict.fromkeys(missing)), "create relations")
                new: list[RelKey] = []
                for f, rtype, t in asked:
                    key = (st.by_name[f], rtype, st.by_name[t])
                    if not st.has_relation(key):
                        new.append(key)
            if not new:
                return []
            now = utcnow()
            stamp = iso(now) or ""
            cur.execute(
                "INSERT INTO relations (src, dst, relation_type, created_at) "
                "SELECT unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[]), ?",
                [[k[0] for k in new], [k[2] for k in new], [k[1] for k in new], now],
            )

            def apply() -> None:
                with st.lock:
                    for key in new:
                        st.add_relation(key, stamp)

            self.db.on_commit(apply)
            with st.lock:
                return [st.relation_dict(k, stamp) for k in new]

    def delete_relations(self, relations: Any) -> int:
        """Delete relations by exact (from, to, relationType); return how many existed."""
        asked = self._relation_keys(relations)
        st = self.state
        with self.db.transaction() as cur:
            with st.lock:
                gone: list[RelKey] = []
                for f, rtype, t in asked:
                    src, dst = st.by_name.get(f), st.by_name.get(t)
                    if src is not None and dst is not None and st.has_relation((src, rtype, dst)):
                        gone.append((src, rtype, dst))
            if not gone:
                return 0
            cur.execute(
                "DELETE FROM relations USING (SELECT unnest(?::BIGINT[]) AS s, "
                "unnest(?::BIGINT[]) AS d, unnest(?::VARCHAR[]) AS t) AS gone "
                "WHERE relations.src = gone.s AND relations.dst = gone.d "
                "AND relations.relation_type = gone.t",
                [[k[0] for k in gone], [k[2] for k in gone], [k[1] for k in gone]],
            )

            def apply() -> None:
                with st.lock:
                    for key in gone:
                        st.remove_relation(key)

            self.db.on_commit(apply)
        return len(gone)

    # --- reads ---------------------------------------------------------------------------

    def get_entity(self, name: Any) -> dict[str, Any] | None:
        """Return the entity named ``name``, or None."""
        name = check_identifier(name, "entity name")
        st = self.state
        with st.lock:
            eid = st.by_name.get(name)
            return None if eid is None else st.entities[eid].to_dict()

    def get_entities(self, names: Any) -> dict[str, dict[str, Any]]:
        """Return ``{name: entity}`` for the names that exist (batch-friendly)."""
        wanted = check_names(names, "entity name")
        st = self.state
        with st.lock:
            return {st.entities[i].name: st.entities[i].to_dict() for i in st.ids_of(wanted)}

    def valid_from(self, names: Any) -> dict[str, str | None]:
        """Return ``{name: validFrom}``: the earliest valid-from of the named entities'
        current observations (None when none is given), from the in-memory model."""
        wanted = check_names(names, "entity name")
        st = self.state
        out: dict[str, str | None] = {}
        with st.lock:
            for eid in st.ids_of(wanted):
                rec = st.entities[eid]
                starts = [b[0] for b in (rec.validity or {}).values() if b[0] is not None]
                out[rec.name] = min(starts) if starts else None
        return out

    def relations_of(self, names: Any, direction: str = "both") -> list[dict[str, Any]]:
        """Return relations leaving (``out``), entering (``in``) or touching (``both``) names."""
        wanted = check_names(names, "entity name")
        if direction not in ("out", "in", "both"):
            raise InvalidInputError("direction must be 'out', 'in' or 'both'")
        st = self.state
        with st.lock:
            return st.relations_touching(st.ids_of(wanted), direction)

    def open_nodes(self, names: Any) -> dict[str, Any]:
        """Return ``{"entities", "relations"}``: the named entities and relations touching them."""
        wanted = check_names(names, "entity name")
        st = self.state
        with st.lock:
            ids = st.ids_of(wanted)
            return {
                "entities": [st.entities[i].to_dict() for i in ids],
                "relations": st.relations_touching(ids),
            }

    def read_graph(self, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        """Return one page of the graph: entities by creation order and the relations they start.

        Every relation appears on the page of its source entity, so reading all pages yields
        each entity and each relation exactly once. ``next_offset`` is None on the last page.
        """
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidInputError("offset must be a non-negative integer")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise InvalidInputError("limit must be a positive integer or None")
        st = self.state
        with st.lock:
            total = len(st.entities)
            end = total if limit is None else min(total, offset + limit)
            ids = list(st.entities)[offset:end]
            return {
                "entities": [st.entities[i].to_dict() for i in ids],
                "relations": st.relations_touching(ids, "out"),
                "total": total,
                "total_relations": st.relation_count,
                "next_offset": end if end < total else None,
            }

    def counts(self) -> dict[str, int]:
        """Return ``{"entities", "relations", "observations"}``."""
        st = self.state
        with st.lock:
            return {
                "entities": len(st.entities),
                "relations": st.relation_count,
                "observations": sum(len(r.observations) for r in st.entities.values()),
            }
