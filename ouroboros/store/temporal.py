"""Bi-temporal facts: invalidation, purge, history, and reads ``asOf`` / ``knownAt``.

Every observation and relation row carries valid time ``[valid_from, valid_to)`` (when it was
true in the world; NULL is unknown and read as open-ended) and record time
``[created_at, expired_at)`` (when the store held the row as the truth). Intervals are
half-open: a row is valid at ``t`` when ``valid_from <= t < valid_to`` and known at ``t`` when
``created_at <= t < expired_at``.

- ``invalidate_*`` ends a fact's validity at ``at`` (default now, never later than now) without
  erasing it: the current row is expired and a successor row with ``valid_to = at`` is recorded,
  so a read ``knownAt`` a moment before the invalidation still sees the fact as open-ended.
- ``delete_*`` (``graph``) hard-delete every version of a fact, as the official server does.
- ``purge`` forgets: every version, its embeddings, the idempotency/RPC results that repeat it,
  and its aliases go, and one audit row records that a purge happened (names and counts only,
  never the purged text).
- Reads with ``as_of`` / ``known_at`` are answered by DuckDB over the rows (the current graph
  in memory holds only what is valid and known now). ``known_at`` defaults to now and ``as_of``
  to ``known_at``: a ``knownAt`` read alone is the current graph as it stood then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ouroboros.errors import InvalidInputError
from ouroboros.store.analysis import analyze, contains_phrase, parse_query
from ouroboros.store.clock import iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.graph import KnowledgeGraph
from ouroboros.store.graphstate import GraphState, RelKey
from ouroboros.store.textindex import TextIndex, document_terms
from ouroboros.store.timeparse import time_arg
from ouroboros.store.validate import check_identifier, check_names, require_list, require_mapping

__all__ = ["Temporal", "read_times"]

_VALID = (
    "(o.valid_from IS NULL OR o.valid_from <= $asof) AND (o.valid_to IS NULL OR $asof < o.valid_to)"
)
_KNOWN = "o.created_at <= $known AND (o.expired_at IS NULL OR $known < o.expired_at)"


def read_times(as_of: Any, known_at: Any) -> tuple[datetime, datetime]:
    """Return ``(as_of, known_at)`` as UTC datetimes with the defaults filled in.

    Raises InvalidInputError for an unreadable time.
    """
    known = time_arg(known_at, "knownAt") or utcnow()
    asof = time_arg(as_of, "asOf") or known
    return asof, known


def _at(value: Any, what: str, now: datetime) -> datetime:
    at = time_arg(value, what) or now
    if at > now:
        raise InvalidInputError(
            f"{what} is in the future ({iso(at)}): an invalidation records that a fact has "
            "ended; to record a fact that will end, add it with validTo"
        )
    return at


class Temporal:
    """Invalidation, purge, history and time-travel reads over the graph tables."""

    def __init__(self, db: Database, state: GraphState, graph: KnowledgeGraph) -> None:
        self.db = db
        self.state = state
        self.graph = graph

    # --- writes --------------------------------------------------------------------------

    def invalidate_observations(self, deletions: Any) -> int:
        """End the validity of observations ``[{"entityName", "observations", "at"?}]``;
        return how many were invalidated (unknown texts and entities are skipped)."""
        items = require_list(deletions, "deletions")
        now = utcnow()
        asked: list[tuple[str, list[str], datetime]] = []
        for i, item in enumerate(items):
            require_mapping(item, f"deletions[{i}]", ("entityName", "observations"))
            texts = require_list(item["observations"], "observations")
            if not all(isinstance(t, str) for t in texts):
                raise InvalidInputError("observations must be a list of strings")
            at = _at(item.get("at"), f"deletions[{i}].at", now)
            asked.append((check_identifier(item["entityName"], "entityName"), texts, at))
        st = self.state
        with self.db.transaction() as cur:
            rows: dict[tuple[int, str], tuple[datetime, str | None]] = {}
            with st.lock:
                for name, texts, at in asked:
                    eid = st.by_name.get(name)
                    if eid is None:
                        continue
                    rec = st.entities[eid]
                    for text in texts:
                        if text in rec.observations and (eid, text) not in rows:
                            vfrom = (rec.validity or {}).get(text, (None, None))[0]
                            start = _dt(vfrom)
                            if start is not None and at <= start:
                                raise InvalidInputError(
                                    f"cannot invalidate {text!r} of {name!r} at {iso(at)}: "
                                    f"it became valid only at {vfrom}"
                                )
                            rows[(eid, text)] = (at, vfrom)
                first_seq = st.next_seq
            if not rows:
                return 0
            keys = list(rows)
            eids = [k[0] for k in keys]
            texts_ = [k[1] for k in keys]
            cur.execute(
                "UPDATE observations SET expired_at = $now FROM (SELECT unnest($e::BIGINT[]) AS e, "
                "unnest($c::VARCHAR[]) AS c) AS gone WHERE observations.entity_id = gone.e "
                "AND observations.content = gone.c AND observations.expired_at IS NULL",
                {"now": now, "e": eids, "c": texts_},
            )
            cur.execute(
                "INSERT INTO observations (entity_id, seq, content, created_at, valid_from, "
                "valid_to) SELECT unnest(?::BIGINT[]), unnest(?::BIGINT[]), "
                "unnest(?::VARCHAR[]), ?, unnest(?::TIMESTAMP[]), unnest(?::TIMESTAMP[])",
                [
                    eids,
                    list(range(first_seq, first_seq + len(keys))),
                    texts_,
                    now,
                    [_dt(rows[k][1]) for k in keys],
                    [rows[k][0] for k in keys],
                ],
            )

            def apply() -> None:
                with st.lock:
                    st.next_seq = first_seq + len(keys)
                    for eid, text in keys:
                        rec = st.entities[eid]
                        rec.observations.pop(text, None)
                        rec.set_validity(text, None, None)
                    for eid in set(eids):
                        st.reindex(st.entities[eid])
                self.graph._changed(set(eids))

            self.db.on_commit(apply)
        return len(keys)

    def invalidate_relations(self, relations: Any) -> int:
        """End the validity of relations ``[{"from", "to", "relationType", "at"?}]``; return
        how many were invalidated (absent ones are skipped)."""
        items = require_list(relations, "relations")
        now = utcnow()
        ats = [_at(item.get("at"), f"relations[{i}].at", now) for i, item in enumerate(items)]
        keys_asked = self.graph._relation_keys(
            [{k: v for k, v in item.items() if k != "at"} for item in items]
        )
        at_of = {}
        for item, at in zip(items, ats, strict=True):
            at_of[(item["from"], item["relationType"], item["to"])] = at
        st = self.state
        with self.db.transaction() as cur:
            gone: list[tuple[RelKey, datetime]] = []
            with st.lock:
                for f, rtype, t in keys_asked:
                    src, dst = st.by_name.get(f), st.by_name.get(t)
                    if src is not None and dst is not None and st.has_relation((src, rtype, dst)):
                        gone.append(((src, rtype, dst), at_of[(f, rtype, t)]))
            if not gone:
                return 0
            s_, d_, t_ = [k[0] for k, _ in gone], [k[2] for k, _ in gone], [k[1] for k, _ in gone]
            cur.execute(
                "UPDATE relations SET expired_at = $now FROM (SELECT unnest($s::BIGINT[]) AS s, "
                "unnest($d::BIGINT[]) AS d, unnest($t::VARCHAR[]) AS t) AS gone "
                "WHERE relations.src = gone.s AND relations.dst = gone.d "
                "AND relations.relation_type = gone.t AND relations.expired_at IS NULL",
                {"now": now, "s": s_, "d": d_, "t": t_},
            )
            cur.execute(
                "INSERT INTO relations (src, dst, relation_type, created_at, valid_to) "
                "SELECT unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[]), ?, "
                "unnest(?::TIMESTAMP[])",
                [s_, d_, t_, now, [at for _, at in gone]],
            )

            def apply() -> None:
                with st.lock:
                    for key, _ in gone:
                        st.remove_relation(key)

            self.db.on_commit(apply)
        return len(gone)

    def purge(self, entity_names: Any = None, observations: Any = None) -> dict[str, int]:
        """Forget entities (with every observation and relation) and observations, every
        version of them; return the counts of rows removed."""
        names = check_names(entity_names or [], "entity name")
        obs_items = require_list(observations or [], "observations")
        wanted_obs: list[tuple[str, list[str]]] = []
        for i, item in enumerate(obs_items):
            require_mapping(item, f"observations[{i}]", ("entityName", "observations"))
            texts = require_list(item["observations"], "observations")
            if not all(isinstance(t, str) for t in texts):
                raise InvalidInputError("observations must be a list of strings")
            wanted_obs.append((check_identifier(item["entityName"], "entityName"), texts))
        if not names and not wanted_obs:
            raise InvalidInputError("purge needs entityNames or observations")
        st = self.state
        counts = {"entities": 0, "observations": 0, "relations": 0}
        with self.db.transaction() as cur:
            with st.lock:
                ids = st.ids_of(names)
                pairs = [
                    (st.by_name[n], t) for n, texts in wanted_obs if n in st.by_name for t in texts
                ]
            secrets = [n for n in names if n in st.by_name] + [t for _, t in pairs]
            if ids:
                counts["entities"] = len(ids)
                row = cur.execute(
                    "SELECT count(*) FROM observations WHERE entity_id IN "
                    "(SELECT unnest(?::BIGINT[]))",
                    [ids],
                ).fetchone()
                counts["observations"] += int(row[0]) if row else 0
                row = cur.execute(
                    "SELECT count(*) FROM relations WHERE src IN (SELECT unnest($1::BIGINT[])) "
                    "OR dst IN (SELECT unnest($1::BIGINT[]))",
                    [ids],
                ).fetchone()
                counts["relations"] = int(row[0]) if row else 0
                cur.execute(
                    "DELETE FROM aliases WHERE entity_id IN (SELECT unnest(?::BIGINT[]))", [ids]
                )
            if pairs:
                row = cur.execute(
                    "SELECT count(*) FROM observations o, (SELECT unnest(?::BIGINT[]) AS e, "
                    "unnest(?::VARCHAR[]) AS c) AS gone WHERE o.entity_id = gone.e "
                    "AND o.content = gone.c",
                    [[p[0] for p in pairs], [p[1] for p in pairs]],
                ).fetchone()
                counts["observations"] += int(row[0]) if row else 0
                cur.execute(
                    "DELETE FROM observations USING (SELECT unnest(?::BIGINT[]) AS e, "
                    "unnest(?::VARCHAR[]) AS c) AS gone "
                    "WHERE observations.entity_id = gone.e AND observations.content = gone.c",
                    [[p[0] for p in pairs], [p[1] for p in pairs]],
                )
            for secret in secrets:
                cur.execute(
                    "DELETE FROM rpc_results WHERE contains(result, ?)", [json.dumps(secret)[1:-1]]
                )
            pair_ids = sorted({p[0] for p in pairs} - set(ids))

            def apply() -> None:
                with st.lock:
                    for eid, text in pairs:
                        rec = st.entities.get(eid)
                        if rec is not None:
                            rec.observations.pop(text, None)
                            rec.set_validity(text, None, None)
                    for eid in pair_ids:
                        st.reindex(st.entities[eid])
                self.graph._changed(pair_ids)

            self.db.on_commit(apply)
            if ids:
                # Hard delete of what is left (entities, relations, embeddings), in this
                # transaction: the graph's own delete (its commit hook updates the model).
                with st.lock:
                    gone_names = [st.entities[i].name for i in ids]
                self.graph.delete_entities(gone_names)  # every version of every row goes
        return counts

    # --- reads ---------------------------------------------------------------------------

    def history(self, name: Any) -> dict[str, Any]:
        """Return ``{"name", "events": [{"at", "op", "kind", "text" | "relation", ...}]}``:
        every recorded change to the entity, oldest first (hard-deleted facts left none)."""
        name = check_identifier(name, "entity name")
        with self.state.lock:
            eid = self.state.by_name.get(name)
            rec = self.state.entities.get(eid) if eid is not None else None
            created, etype = (rec.created_at, rec.entity_type) if rec else ("", "")
        if eid is None:
            from ouroboros.store.graph import _missing_error

            raise _missing_error([name], "read the history")
        cur = self.db.cursor()
        events: list[dict[str, Any]] = [
            {"at": created, "op": "create", "kind": "entity", "text": etype}
        ]
        obs = cur.execute(
            "SELECT content, created_at, valid_from, valid_to, expired_at FROM observations "
            "WHERE entity_id = ? ORDER BY seq",
            [eid],
        ).fetchall()
        events += _row_events(
            [((c,), cr, vf, vt, ex) for c, cr, vf, vt, ex in obs], "observation", None
        )
        rels = cur.execute(
            "SELECT s.name, r.relation_type, d.name, r.created_at, r.valid_from, r.valid_to, "
            "r.expired_at FROM relations r JOIN entities s ON s.id = r.src "
            "JOIN entities d ON d.id = r.dst WHERE r.src = $1 OR r.dst = $1 "
            "ORDER BY r.created_at",
            [eid],
        ).fetchall()
        events += _row_events(
            [((f, t, to), cr, vf, vt, ex) for f, t, to, cr, vf, vt, ex in rels], "relation", True
        )
        # Other names (a merged-away entity's name, given aliases): op "alias".
        events += [
            {"at": iso(cr), "op": "alias", "kind": "entity", "text": alias}
            for alias, cr in cur.execute(
                "SELECT alias, created_at FROM aliases WHERE entity_id = ?", [eid]
            ).fetchall()
        ]
        events.sort(key=lambda e: e["at"])
        return {"name": name, "events": events}

    def observations_at(
        self, names: Any, as_of: Any = None, known_at: Any = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Return ``{name: [{"text", "validFrom", "validTo", "recordedAt", "expiredAt"}]}``
        for the named entities' observations valid at ``as_of`` as known at ``known_at``."""
        wanted = check_names(names, "entity name")
        asof, known = read_times(as_of, known_at)
        rows = (
            self.db.cursor()
            .execute(
                "SELECT e.name, o.content, o.valid_from, o.valid_to, o.created_at, o.expired_at "
                "FROM observations o JOIN entities e ON e.id = o.entity_id "
                f"WHERE e.name IN (SELECT unnest($names::VARCHAR[])) AND {_VALID} AND {_KNOWN} "
                "ORDER BY o.seq",
                {"names": wanted, "asof": asof, "known": known},
            )
            .fetchall()
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for name, text, vf, vt, cr, ex in rows:
            out.setdefault(name, []).append(
                {
                    "text": text,
                    "validFrom": iso(vf),
                    "validTo": iso(vt),
                    "recordedAt": iso(cr),
                    "expiredAt": iso(ex),
                }
            )
        return out

    def _entities_at(
        self, where: str, params: dict[str, Any], asof: datetime, known: datetime
    ) -> list[tuple[int, str, str, str]]:
        return [
            (eid, name, etype, iso(created) or "")
            for eid, name, etype, created in self.db.cursor()
            .execute(
                "SELECT id, name, entity_type, created_at FROM entities e "
                f"WHERE e.created_at <= $known AND {where} ORDER BY id",
                {**params, "known": known},
            )
            .fetchall()
        ]

    def _graph_at(
        self, ents: Sequence[tuple[int, str, str, str]], asof: datetime, known: datetime, how: str
    ) -> dict[str, Any]:
        ids = [e[0] for e in ents]
        cur = self.db.cursor()
        obs: dict[int, list[str]] = {}
        for eid, text in cur.execute(
            "SELECT o.entity_id, o.content FROM observations o WHERE o.entity_id IN "
            f"(SELECT unnest($ids::BIGINT[])) AND {_VALID} AND {_KNOWN} ORDER BY o.seq",
            {"ids": ids, "asof": asof, "known": known},
        ).fetchall():
            obs.setdefault(eid, []).append(text)
        touch = (
            "o.src IN (SELECT unnest($ids::BIGINT[]))"
            if how == "out"
            else "(o.src IN (SELECT unnest($ids::BIGINT[])) "
            "OR o.dst IN (SELECT unnest($ids::BIGINT[])))"
        )
        rels = cur.execute(
            "SELECT DISTINCT s.name, d.name, o.relation_type FROM relations o "
            "JOIN entities s ON s.id = o.src JOIN entities d ON d.id = o.dst "
            f"WHERE {touch} AND {_VALID} AND {_KNOWN} ORDER BY 1, 3, 2",
            {"ids": ids, "asof": asof, "known": known},
        ).fetchall()
        return {
            "entities": [
                {"name": n, "entityType": t, "observations": obs.get(i, []), "created_at": c}
                for i, n, t, c in ents
            ],
            "relations": [{"from": f, "to": t, "relationType": r} for f, t, r in rels],
        }

    def open_nodes_at(self, names: Any, as_of: Any = None, known_at: Any = None) -> dict[str, Any]:
        """Return ``{"entities", "relations"}`` as ``open_nodes``, valid at ``as_of`` as known
        at ``known_at``."""
        wanted = check_names(names, "entity name")
        asof, known = read_times(as_of, known_at)
        ents = self._entities_at(
            "e.name IN (SELECT unnest($names::VARCHAR[]))", {"names": wanted}, asof, known
        )
        return self._graph_at(ents, asof, known, "both")

    def read_graph_at(
        self, offset: int = 0, limit: int | None = None, as_of: Any = None, known_at: Any = None
    ) -> dict[str, Any]:
        """Return a ``read_graph`` page valid at ``as_of`` as known at ``known_at``."""
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidInputError("offset must be a non-negative integer")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise InvalidInputError("limit must be a positive integer or None")
        asof, known = read_times(as_of, known_at)
        ents = self._entities_at("true", {}, asof, known)
        total = len(ents)
        end = total if limit is None else min(total, offset + limit)
        page = self._graph_at(ents[offset:end], asof, known, "out")
        page.update(
            total=total,
            total_relations=len(self._graph_at(ents, asof, known, "out")["relations"])
            if limit is not None
            else len(page["relations"]),
            next_offset=end if end < total else None,
        )
        return page

    def search_at(
        self, query: Any, limit: int = 10, as_of: Any = None, known_at: Any = None
    ) -> dict[str, Any]:
        """Return keyword ``search`` results over the graph valid at ``as_of`` as known at
        ``known_at`` (a scan of the rows: for audits and questions about the past)."""
        if not isinstance(query, str) or not query.strip():
            raise InvalidInputError("search query must be a non-empty string")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidInputError("limit must be an integer from 1 to 1000")
        asof, known = read_times(as_of, known_at)
        ents = self._entities_at("true", {}, asof, known)
        graph = self._graph_at(ents, asof, known, "out")
        index = TextIndex()
        by_id = {}
        for (eid, _n, _t, _c), ent in zip(ents, graph["entities"], strict=True):
            index.set(eid, document_terms(ent["name"], ent["entityType"], ent["observations"]))
            by_id[eid] = ent
        phrases = parse_query(query).phrases

        def accept(doc: int) -> bool:
            ent = by_id[doc]
            fields = [analyze(t) for t in (ent["name"], ent["entityType"], *ent["observations"])]
            return all(any(contains_phrase(f, p) for f in fields) for p in phrases)

        hits, total = index.search(query, limit, accept if phrases else None)
        results = [
            {
                "name": by_id[h.doc]["name"],
                "entityType": by_id[h.doc]["entityType"],
                "observations": by_id[h.doc]["observations"],
                "score": round(h.score, 6),
            }
            for h in hits
        ]
        return {"mode": "keyword", "results": results, "total": total}


def _dt(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    from ouroboros.store.clock import parse_iso

    return parse_iso(value)


def _row_events(
    rows: list[tuple[tuple[str, ...], Any, Any, Any, Any]], kind: str, relation: bool | None
) -> list[dict[str, Any]]:
    """Turn versioned rows into add / invalidate events (a successor row whose recording time
    equals its predecessor's expiry is an invalidation)."""
    expired_at: dict[tuple[str, ...], set[Any]] = {}
    for key, _cr, _vf, _vt, ex in rows:
        if ex is not None:
            expired_at.setdefault(key, set()).add(ex)
    events = []
    for key, cr, vf, vt, _ex in rows:
        op = "invalidate" if cr in expired_at.get(key, ()) else "add"
        event: dict[str, Any] = {"at": iso(cr), "op": op, "kind": kind}
        if relation:
            event["relation"] = {"from": key[0], "relationType": key[1], "to": key[2]}
        else:
            event["text"] = key[0]
        if vf is not None:
            event["validFrom"] = iso(vf)
        if vt is not None:
            event["validTo"] = iso(vt)
        events.append(event)
    return events
