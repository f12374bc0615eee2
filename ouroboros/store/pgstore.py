"""The store on PostgreSQL: every operation served by the database, for many processes at once.

``PgStore`` has the operations of ``LocalStore`` (the same names, arguments, results and
errors), but holds nothing of the graph in memory: entities, observations and relations are read
through indexes per call, the keyword index is a ``postings`` table kept in each write's
transaction (terms from the same analyzer as DuckDB's in-memory index, ranked by the same BM25
in SQL), and traversal asks the database for the adjacency of each frontier. So every
``ouroboros serve`` on the database sees every committed write of every other at once, and
opening takes one round trip whatever the size.

Concurrency: constraints (unique names, one row per observation text and per relation) and
``INSERT ... ON CONFLICT DO NOTHING`` make concurrent writers skip each other's rows instead of
doubling them; the few counters (``ouroboros_stats``) are updated in the same transactions. A
write that loses a race (serialization failure, deadlock, unique violation, dropped connection)
is retried whole with backoff (``PgDatabase.run``).

Not on PostgreSQL yet: semantic (embedding) search — ``search`` answers in keyword mode with a
note; the graph algorithms (centrality, communities) build their networkx graph from SQL.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, cast

import networkx as nx

from ouroboros.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    StoreError,
)
from ouroboros.store.algorithms import GraphAlgorithms
from ouroboros.store.analysis import analyze, contains_phrase, parse_query
from ouroboros.store.apiclients import ApiClients
from ouroboros.store.changes import GRAPH_WRITES, Changes, touched_names
from ouroboros.store.clock import iso, utcnow
from ouroboros.store.graph import _missing_error
from ouroboros.store.identityfront import IdentityFront
from ouroboros.store.local import (
    METHODS,
    RESULT_RETENTION_HOURS,
    WRITE_METHODS,
    idempotency_digest,
    replayed,
)
from ouroboros.store.memory import Memory
from ouroboros.store.pgdatabase import PgCursor, PgDatabase
from ouroboros.store.pgidentity import PgIdentity
from ouroboros.store.search import MAX_LIMIT, MODES, PG_NOTE
from ouroboros.store.snapshot import FORMAT, VERSION, parse_snapshot
from ouroboros.store.telemetry import Telemetry
from ouroboros.store.textindex import K1, MAX_QUERY_WORDS, B, document_terms
from ouroboros.store.tokens import Tokens
from ouroboros.store.traversal import _DIRECTIONS, MAX_DEPTH, MAX_NODES, _bound
from ouroboros.store.validate import (
    check_identifier,
    check_names,
    check_text,
    require_list,
    require_mapping,
)

__all__ = ["PgStore"]

log = logging.getLogger(__name__)

PHRASE_CANDIDATES = 10_000  # a phrase query checks at most this many candidates' text


_NUL_MARK = "\x01nul:"


def _enc(text: str) -> str:
    """PostgreSQL text cannot hold NUL, which an observation may: such a text (or one that
    starts like an encoded one) is stored escaped behind a marker; every other text as is."""
    if "\x00" not in text and not text.startswith(_NUL_MARK):
        return text
    return _NUL_MARK + text.replace("\\", "\\\\").replace("\x00", "\\0")


def _dec(text: str) -> str:
    """The inverse of ``_enc``."""
    if not text.startswith(_NUL_MARK):
        return text
    out, body, i = [], text[len(_NUL_MARK) :], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append("\x00" if body[i + 1] == "0" else body[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _entity_dict(row: Sequence[Any], obs: list[tuple[str, Any]]) -> dict[str, Any]:
    _id, name, etype, created, updated = row
    return {
        "name": name,
        "entityType": etype,
        "observations": [c for c, _ in obs],
        "created_at": iso(created),
        "updated_at": iso(updated),
        "observation_times": [iso(t) for _, t in obs],
    }


def _rel_dict(row: Sequence[Any]) -> dict[str, Any]:
    src, dst, rtype, created = row[:4]
    return {"from": src, "to": dst, "relationType": rtype, "created_at": iso(created)}


_REL_SELECT = (
    "SELECT s.name, d.name, r.relation_type, r.created_at, r.seq FROM relations r "
    "JOIN entities s ON s.id = r.src JOIN entities d ON d.id = r.dst "
)


class PgTelemetry(Telemetry):
    """Telemetry with PostgreSQL's type names and percentiles."""

    def flush(self) -> None:
        with self._lock:
            rows, self._buffer = self._buffer, []
        if not rows:
            return
        cols = [list(c) for c in zip(*rows, strict=True)]
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO events SELECT * FROM unnest(?::timestamp[], ?::text[], ?::text[], "
                "?::boolean[], ?::float8[], ?::text[])",
                cols,
            )

    def event_stats(self, by: str = "name") -> list[dict[str, Any]]:
        if by not in ("name", "kind"):
            raise InvalidInputError("by must be 'name' or 'kind'")
        self.flush()
        rows = self.db.fetchall(
            f"SELECT {by}, count(*), count(*) FILTER (WHERE NOT ok), avg(duration_ms), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms), max(ts) "
            f"FROM events GROUP BY {by} ORDER BY count(*) DESC, {by}"
        )
        return [
            {
                by: key,
                "count": count,
                "errors": errors,
                "error_rate": round(errors / count, 6) if count else 0.0,
                "avg_ms": round(avg, 3),
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "last_at": iso(last),
            }
            for key, count, errors, avg, p50, p95, last in rows
        ]


class PgAlgorithms(GraphAlgorithms):
    """Centrality and communities over a bounded part of the graph, read with SQL."""

    def __init__(self, store: PgStore) -> None:
        self.store = store

    def _graph(self, names: Any, depth: int, max_nodes: int) -> nx.DiGraph:
        st = self.store
        if names is None:
            row = st.db.fetchone("SELECT n_entities FROM ouroboros_stats")
            total = int(row[0]) if row else 0
            if total > max_nodes:
                ids: set[int] = set(range(total + 1))  # only its size matters below
            else:
                ids = {r[0] for r in st.db.fetchall("SELECT id FROM entities")}
        else:
            wanted = check_names(names, "entity name")
            ids = set(st._ids(wanted))
            frontier = set(ids)
            for _ in range(depth):
                nxt = {y for _x, _t, y in st._adjacent(frontier, "both", None)}
                frontier = nxt - ids
                ids |= frontier
                if len(ids) > max_nodes:
                    break
        if len(ids) > max_nodes:
            raise PayloadTooLargeError(
                f"the graph to analyse has {len(ids):,} nodes; the limit is {max_nodes:,}: "
                "pass names (and a depth) to analyse a part of it",
                details={"nodes": len(ids), "limit": max_nodes},
            )
        g: nx.DiGraph = nx.DiGraph()
        idl = sorted(ids)
        names_of = {}
        for eid, name, etype in st.db.fetchall(
            "SELECT id, name, entity_type FROM entities WHERE id = ANY(?) ORDER BY id", [idl]
        ):
            names_of[eid] = name
            g.add_node(name, entityType=etype)
        for src, rtype, dst in st.db.fetchall(
            "SELECT src, relation_type, dst FROM relations WHERE src = ANY(?) AND dst = ANY(?) "
            "ORDER BY seq",
            [idl, idl],
        ):
            g.add_edge(names_of[src], names_of[dst], relationType=rtype)
        return g


class PgStore(IdentityFront):
    """All store operations on a PostgreSQL database (see the module docstring)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.path = url
        self.db = PgDatabase(url, timeout=timeout)
        try:
            self.db.migrate()
            db = cast(Any, self.db)  # the portable parts take either backend's database
            self.memory = Memory(db)
            self.tokens = Tokens(db)
            self.apiclients = ApiClients(db)
            self.changefeed = Changes(db, postgres=True)
            self.telemetry = PgTelemetry(db)
            self.algorithms = PgAlgorithms(self)
            self.identity = PgIdentity(self)
            with self.db.transaction() as cur:
                cur.execute(
                    "DELETE FROM write_results WHERE created_at < ?",
                    [utcnow() - timedelta(hours=RESULT_RETENTION_HOURS)],
                )
        except BaseException:
            self.db.close()
            raise

    # --- plumbing ------------------------------------------------------------------------

    def execute(
        self,
        method: str,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """Run one store operation by name, retrying transient database errors."""
        if method not in METHODS:
            raise InvalidInputError(f"unknown store operation {method!r}")
        fn = getattr(self, method, None)
        kw = dict(kwargs or {})
        # The temporal and sources operations (issue #11) exist on DuckDB only for now: say
        # so in the one error shape instead of failing with an AttributeError.
        if fn is None:
            raise StoreError(
                f"{method} is not available on the PostgreSQL backend yet (DuckDB only)"
            )
        if method in GRAPH_WRITES:
            fn = self._tracked(method, fn)
        key = kw.pop("idempotency_key", None)
        if key is not None and method in WRITE_METHODS:
            return self._idempotent(method, key, fn, args, kw)
        return self.db.run(lambda: fn(*args, **kw), write=method in WRITE_METHODS)

    def _idempotent(
        self, method: str, key: Any, fn: Any, args: Sequence[Any], kw: dict[str, Any]
    ) -> Any:
        """Run a write at most once per key, as on DuckDB: the result is stored in the write's
        transaction; two instances racing on one key meet at the primary key, and the loser
        (rolled back whole, then retried by ``run``) reads the winner's result."""
        digest = idempotency_digest(key, args, kw)
        rid = f"idem:{method}:{key}"

        def work() -> Any:
            with self.db.transaction() as cur:
                row = cur.execute(
                    "SELECT result FROM write_results WHERE request_id = ?", [rid]
                ).fetchone()
                if row is not None:
                    return replayed(json.loads(row[0]), digest, method, key)
                result = fn(*args, **kw)
                cur.execute(
                    "INSERT INTO write_results VALUES (?, ?, ?)",
                    [rid, json.dumps({"args": digest, "result": result}), utcnow()],
                )
            return result

        return self.db.run(work, write=True)

    # --- identity (pgidentity.py) ----------------------------------------------------------

    def _entities_for_duplicates(self, names: Any) -> list[dict[str, Any]]:
        if names is None:
            return list(self.read_graph()["entities"])
        return list(self.get_entities(names).values())

    def tool_result(self, tool: str, key: str) -> dict[str, Any] | None:
        """Return ``{"args", "result"}`` of the tool call made with ``key``, or None."""
        row = self.db.fetchone(
            "SELECT result FROM write_results WHERE request_id = ?", [f"tool:{tool}:{key}"]
        )
        return None if row is None else dict(json.loads(row[0]))

    def tool_result_put(self, tool: str, key: str, digest: str, result: Any) -> bool:
        """Record a keyed tool call's result; return whether it was new."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO write_results VALUES (?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
                [
                    f"tool:{tool}:{key}",
                    json.dumps({"args": digest, "result": result}),
                    utcnow(),
                ],
            )
            return bool(cur.raw.rowcount)

    def _tracked(self, method: str, fn: Any) -> Any:
        """``fn`` run in a transaction that also appends the names it touched to the change
        feed (see changes.py), so the row commits with the write or not at all."""

        def run(*args: Any, **kw: Any) -> Any:
            with self.db.transaction():
                result = fn(*args, **kw)
                self.changefeed.record(touched_names(method, args, kw, result))
            return result

        return run

    def changes(self, cursor: Any = None, limit: int = 1000) -> dict[str, Any]:
        return self.changefeed.since(cursor, limit)

    def answers_in_memory(self, method: str, *args: Any) -> bool:
        """Never: every read is a database round trip."""
        return False

    def _audited(self, audit: Any, write: Any, *args: Any) -> Any:
        if audit is None:
            with self.db.transaction():
                return write(*args)
        if not isinstance(audit, Mapping):
            raise InvalidInputError("audit must be a map {actor, action, target, outcome}")
        row = self.telemetry.audit_row(
            audit.get("actor"),
            audit.get("action"),
            audit.get("target"),
            audit.get("outcome"),
            audit.get("details"),
        )
        with self.db.transaction():
            result = write(*args)
            self.telemetry.write_audit(row)
        return result

    def _ids(self, names: list[str]) -> list[int]:
        """Ids of ``names`` in order; NotFoundError naming the missing ones."""
        found = self._id_map(names)
        missing = [n for n in names if n not in found]
        if missing:
            raise NotFoundError(
                f"entity does not exist: {', '.join(repr(m) for m in missing[:10])}",
                details={"missing": missing},
            )
        return list(dict.fromkeys(found[n] for n in names))

    def _id_map(self, names: Iterable[str], cur: PgCursor | None = None) -> dict[str, int]:
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        sql = "SELECT name, id FROM entities WHERE name = ANY(?)"
        rows = (cur.execute(sql, [names]).fetchall()) if cur else self.db.fetchall(sql, [names])
        return {n: i for n, i in rows}

    def _entities(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.db.fetchall(
            "SELECT id, name, entity_type, created_at, updated_at FROM entities WHERE id = ANY(?)",
            [ids],
        )
        obs: dict[int, list[tuple[str, Any]]] = {}
        for eid, content, created in self.db.fetchall(
            "SELECT entity_id, content, created_at FROM observations WHERE entity_id = ANY(?) "
            "ORDER BY seq",
            [ids],
        ):
            obs.setdefault(eid, []).append((_dec(content), created))
        found = {r[0]: _entity_dict(r, obs.get(r[0], [])) for r in rows}
        return {i: found[i] for i in ids if i in found}

    def _stats(self, cur: PgCursor, **delta: int) -> None:
        sets = ", ".join(f"{k} = {k} + ?" for k in delta)
        cur.execute(f"UPDATE ouroboros_stats SET {sets}", list(delta.values()))

    def _reindex(self, cur: PgCursor, ids: Iterable[int]) -> None:
        """Recompute the postings and length of these entities from their rows."""
        idl = sorted(set(ids))
        if not idl:
            return
        texts: dict[int, tuple[str, str, list[str]]] = {
            eid: (name, etype, [])
            for eid, name, etype in cur.execute(
                "SELECT id, name, entity_type FROM entities WHERE id = ANY(?)", [idl]
            ).fetchall()
        }
        for eid, content in cur.execute(
            "SELECT entity_id, content FROM observations WHERE entity_id = ANY(?)", [idl]
        ).fetchall():
            texts[eid][2].append(_dec(content))
        old = cur.execute(
            "SELECT coalesce(sum(doc_len), 0) FROM entities WHERE id = ANY(?)", [idl]
        ).fetchone()
        cur.execute("DELETE FROM postings WHERE entity_id = ANY(?)", [idl])
        new_total = self._write_postings(cur, texts)
        self._stats(cur, total_len=new_total - int(old[0] if old else 0))

    def _write_postings(
        self, cur: PgCursor, texts: Mapping[int, tuple[str, str, list[str]]]
    ) -> int:
        """Insert the postings and set ``doc_len`` of these (new or cleared) entities."""
        p_term: list[str] = []
        p_id: list[int] = []
        p_tf: list[int] = []
        lens: dict[int, int] = {}
        for eid, (name, etype, obs) in texts.items():
            terms = document_terms(name, etype, obs)
            lens[eid] = sum(terms.values())
            for term, tf in terms.items():
                p_term.append(term)
                p_id.append(eid)
                p_tf.append(tf)
        if p_term:
            with cur.raw.copy("COPY postings (term, entity_id, tf) FROM STDIN") as copy:
                for row in zip(p_term, p_id, p_tf, strict=True):
                    copy.write_row(row)
        if lens:
            cur.execute(
                "UPDATE entities e SET doc_len = v.len FROM unnest(?::bigint[], ?::int[]) "
                "AS v(id, len) WHERE e.id = v.id",
                [list(lens), list(lens.values())],
            )
        return sum(lens.values())

    # --- memory --------------------------------------------------------------------------

    def memory_get(self, key: str) -> dict[str, Any] | None:
        return self.memory.get(key)

    def memory_set(self, key: str, value: Any, audit: Any = None) -> dict[str, Any]:
        return self._audited(audit, self.memory.set, key, value)

    def memory_delete(self, key: str, audit: Any = None) -> bool:
        return self._audited(audit, self.memory.delete, key)

    def memory_clear(self, audit: Any = None) -> int:
        return self._audited(audit, self.memory.clear)

    def memory_keys(self) -> list[str]:
        return self.memory.keys()

    def memory_all(self) -> list[dict[str, Any]]:
        return self.memory.all()

    # --- graph writes --------------------------------------------------------------------

    def create_entities(self, entities: Any, audit: Any = None) -> list[dict[str, Any]]:
        return self._audited(audit, self._create_entities, entities)

    def _create_entities(self, entities: Any) -> list[dict[str, Any]]:
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
        if not wanted:
            return []
        now = utcnow()
        with self.db.transaction() as cur:
            names = list(wanted)
            rows = cur.execute(
                "INSERT INTO entities (name, entity_type, created_at, updated_at) "
                "SELECT n, t, ?, ? FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS v(n, t, o) "
                "ORDER BY o ON CONFLICT (name) DO NOTHING RETURNING id, name",
                [now, now, names, [wanted[n][0] for n in names]],
            ).fetchall()
            ids = {name: eid for eid, name in rows}
            created = [n for n in names if n in ids]
            if not created:
                return []
            o_id: list[int] = []
            o_text: list[str] = []
            for n in created:
                for text in wanted[n][1]:
                    o_id.append(ids[n])
                    o_text.append(text)
            if o_id:
                cur.execute(
                    "INSERT INTO observations (entity_id, content, created_at) "
                    "SELECT e, c, ? FROM unnest(?::bigint[], ?::text[]) WITH ORDINALITY "
                    "AS v(e, c, o) ORDER BY o",
                    [now, o_id, [_enc(t) for t in o_text]],
                )
            total = self._write_postings(
                cur, {ids[n]: (n, wanted[n][0], wanted[n][1]) for n in created}
            )
            self._stats(cur, n_entities=len(created), n_observations=len(o_id), total_len=total)
        stamp = iso(now)
        return [
            {
                "name": n,
                "entityType": wanted[n][0],
                "observations": list(wanted[n][1]),
                "created_at": stamp,
                "updated_at": stamp,
                "observation_times": [stamp] * len(wanted[n][1]),
            }
            for n in created
        ]

    def delete_entities(self, names: Any, audit: Any = None) -> int:
        return self._audited(audit, self._delete_entities, names)

    def _delete_entities(self, names: Any) -> int:
        wanted = check_names(names, "entity name")
        with self.db.transaction() as cur:
            rows = cur.execute(
                "SELECT id, doc_len FROM entities WHERE name = ANY(?) FOR UPDATE",
                [list(dict.fromkeys(wanted))],
            ).fetchall()
            if not rows:
                return 0
            ids = [r[0] for r in rows]
            n_obs = cur.execute(
                "SELECT count(*) FROM observations WHERE entity_id = ANY(?)", [ids]
            ).fetchone()
            n_rel = cur.execute(
                "SELECT count(*) FROM relations WHERE src = ANY(?) OR dst = ANY(?)", [ids, ids]
            ).fetchone()
            cur.execute("DELETE FROM entities WHERE id = ANY(?)", [ids])  # cascades
            self._stats(
                cur,
                n_entities=-len(ids),
                n_observations=-int(n_obs[0] if n_obs else 0),
                n_relations=-int(n_rel[0] if n_rel else 0),
                total_len=-sum(r[1] for r in rows),
            )
        return len(ids)

    def rename_entity(self, old: str, new: str, audit: Any = None) -> dict[str, Any]:
        return self._audited(audit, self._rename_entity, old, new)

    def _rename_entity(self, old: Any, new: Any) -> dict[str, Any]:
        old = check_identifier(old, "entity name")
        new = check_identifier(new, "new entity name")
        with self.db.transaction() as cur:
            row = cur.execute("SELECT id FROM entities WHERE name = ? FOR UPDATE", [old]).fetchone()
            if row is None:
                raise _missing_error([old], "rename")
            eid = row[0]
            if old != new:
                clash = cur.execute("SELECT 1 FROM entities WHERE name = ?", [new]).fetchone()
                if clash is not None:
                    raise ConflictError(
                        f"cannot rename {old!r} to {new!r}: an entity named {new!r} exists",
                        details={"name": new},
                    )
                cur.execute(
                    "UPDATE entities SET name = ?, updated_at = ? WHERE id = ?",
                    [new, utcnow(), eid],
                )
                self._reindex(cur, [eid])
            return self._entities([eid])[eid]

    def add_observations(self, observations: Any, audit: Any = None) -> list[dict[str, Any]]:
        return self._audited(audit, self._add_observations, observations)

    def _add_observations(self, observations: Any) -> list[dict[str, Any]]:
        items = require_list(observations, "observations")
        asked: list[tuple[str, list[str]]] = []
        for i, item in enumerate(items):
            require_mapping(item, f"observations[{i}]", ("entityName", "contents"))
            name = check_identifier(item["entityName"], "entityName")
            contents = [
                check_text(c, "observation") for c in require_list(item["contents"], "contents")
            ]
            asked.append((name, contents))
        with self.db.transaction() as cur:
            ids = self._id_map([n for n, _ in asked], cur)
            missing = [n for n, _ in asked if n not in ids]
            if missing:
                raise _missing_error(list(dict.fromkeys(missing)), "add observations")
            cur.execute(
                "SELECT id FROM entities WHERE id = ANY(?) ORDER BY id FOR UPDATE",
                [sorted(set(ids.values()))],
            )  # one writer per entity at a time, so its text and postings stay in step
            plan: list[tuple[str, list[str]]] = []
            o_id: list[int] = []
            o_text: list[str] = []
            taken: dict[int, set[str]] = {}
            for name, contents in asked:
                eid = ids[name]
                mine = taken.setdefault(eid, set())
                texts = [t for t in dict.fromkeys(contents) if t not in mine]
                mine.update(texts)
                plan.append((name, texts))
                o_id.extend([eid] * len(texts))
                o_text.extend(texts)
            if not o_id:
                return [{"entityName": n, "addedObservations": []} for n, _ in asked]
            now = utcnow()
            added = {
                (e, _dec(c))
                for e, c in cur.execute(
                    "INSERT INTO observations (entity_id, content, created_at) "
                    "SELECT e, c, ? FROM unnest(?::bigint[], ?::text[]) WITH ORDINALITY "
                    "AS v(e, c, o) ORDER BY o ON CONFLICT DO NOTHING RETURNING entity_id, content",
                    [now, o_id, [_enc(t) for t in o_text]],
                ).fetchall()
            }
            touched = sorted({e for e, _ in added})
            if touched:
                cur.execute("UPDATE entities SET updated_at = ? WHERE id = ANY(?)", [now, touched])
                self._stats(cur, n_observations=len(added))
                self._reindex(cur, touched)
        return [
            {"entityName": n, "addedObservations": [t for t in texts if (ids[n], t) in added]}
            for n, texts in plan
        ]

    def delete_observations(self, deletions: Any, audit: Any = None) -> int:
        return self._audited(audit, self._delete_observations, deletions)

    def _delete_observations(self, deletions: Any) -> int:
        items = require_list(deletions, "deletions")
        asked: list[tuple[str, list[str]]] = []
        for i, item in enumerate(items):
            require_mapping(item, f"deletions[{i}]", ("entityName", "observations"))
            name = check_identifier(item["entityName"], "entityName")
            texts = require_list(item["observations"], "observations")
            if not all(isinstance(t, str) for t in texts):
                raise InvalidInputError("observations must be a list of strings")
            asked.append((name, texts))
        with self.db.transaction() as cur:
            ids = self._id_map([n for n, _ in asked], cur)
            pairs = dict.fromkeys((ids[n], t) for n, texts in asked if n in ids for t in texts)
            if not pairs:
                return 0
            gone = cur.execute(
                "DELETE FROM observations o USING unnest(?::bigint[], ?::text[]) AS g(e, c) "
                "WHERE o.entity_id = g.e AND o.content = g.c RETURNING o.entity_id",
                [[p[0] for p in pairs], [_enc(p[1]) for p in pairs]],
            ).fetchall()
            if not gone:
                return 0
            touched = sorted({r[0] for r in gone})
            cur.execute("UPDATE entities SET updated_at = ? WHERE id = ANY(?)", [utcnow(), touched])
            self._stats(cur, n_observations=-len(gone))
            self._reindex(cur, touched)
        return len(gone)

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

    def create_relations(self, relations: Any, audit: Any = None) -> list[dict[str, Any]]:
        return self._audited(audit, self._create_relations, relations)

    def _create_relations(self, relations: Any) -> list[dict[str, Any]]:
        asked = self._relation_keys(relations)
        if not asked:
            return []
        with self.db.transaction() as cur:
            ids = self._id_map([n for f, _, t in asked for n in (f, t)], cur)
            missing = [n for f, _, t in asked for n in (f, t) if n not in ids]
            if missing:
                raise _missing_error(list(dict.fromkeys(missing)), "create relations")
            now = utcnow()
            made = {
                (s, t, d)
                for s, t, d in cur.execute(
                    "INSERT INTO relations (src, dst, relation_type, created_at) "
                    "SELECT s, d, t, ? FROM unnest(?::bigint[], ?::bigint[], ?::text[]) "
                    "WITH ORDINALITY AS v(s, d, t, o) ORDER BY o "
                    "ON CONFLICT DO NOTHING RETURNING src, relation_type, dst",
                    [
                        now,
                        [ids[f] for f, _, _ in asked],
                        [ids[t] for _, _, t in asked],
                        [r for _, r, _ in asked],
                    ],
                ).fetchall()
            }
            if made:
                self._stats(cur, n_relations=len(made))
        stamp = iso(now)
        return [
            {"from": f, "to": t, "relationType": r, "created_at": stamp}
            for f, r, t in asked
            if (ids[f], r, ids[t]) in made
        ]

    def delete_relations(self, relations: Any, audit: Any = None) -> int:
        return self._audited(audit, self._delete_relations, relations)

    def _delete_relations(self, relations: Any) -> int:
        asked = self._relation_keys(relations)
        with self.db.transaction() as cur:
            ids = self._id_map([n for f, _, t in asked for n in (f, t)], cur)
            keys = [(ids[f], r, ids[t]) for f, r, t in asked if f in ids and t in ids]
            if not keys:
                return 0
            gone = cur.execute(
                "DELETE FROM relations r USING unnest(?::bigint[], ?::bigint[], ?::text[]) "
                "AS g(s, d, t) WHERE r.src = g.s AND r.dst = g.d AND r.relation_type = g.t "
                "RETURNING 1",
                [[k[0] for k in keys], [k[2] for k in keys], [k[1] for k in keys]],
            ).fetchall()
            if gone:
                self._stats(cur, n_relations=-len(gone))
        return len(gone)

    # --- graph reads ---------------------------------------------------------------------

    def get_entity(self, name: Any) -> dict[str, Any] | None:
        name = check_identifier(name, "entity name")
        ids = self._id_map([name])
        return self._entities([ids[name]]).get(ids[name]) if name in ids else None

    def get_entities(self, names: Any) -> dict[str, dict[str, Any]]:
        wanted = check_names(names, "entity name")
        ids = self._id_map(wanted)
        order = list(dict.fromkeys(ids[n] for n in wanted if n in ids))
        return {e["name"]: e for e in self._entities(order).values()}

    def _relations_touching(self, ids: list[int], direction: str) -> list[dict[str, Any]]:
        """Per id in order: the relations it starts, then those it ends (as the DuckDB
        backend lists them), each in creation order, every relation once."""
        if not ids:
            return []
        sql = (
            "SELECT r.src, r.dst, s.name, d.name, r.relation_type, r.created_at, r.seq "
            "FROM relations r JOIN entities s ON s.id = r.src JOIN entities d ON d.id = r.dst "
        )
        outs: dict[int, list[tuple[Any, ...]]] = {}
        ins: dict[int, list[tuple[Any, ...]]] = {}
        if direction in ("out", "both"):
            for r in self.db.fetchall(sql + "WHERE r.src = ANY(?) ORDER BY r.seq", [ids]):
                outs.setdefault(r[0], []).append(r)
        if direction in ("in", "both"):
            for r in self.db.fetchall(sql + "WHERE r.dst = ANY(?) ORDER BY r.seq", [ids]):
                ins.setdefault(r[1], []).append(r)
        found: dict[tuple[int, str, int], dict[str, Any]] = {}
        for eid in ids:
            for r in (*outs.get(eid, ()), *ins.get(eid, ())):
                key = (r[0], r[4], r[1])
                if key not in found:
                    found[key] = _rel_dict(r[2:6])
        return list(found.values())

    def relations_of(self, names: Any, direction: str = "both") -> list[dict[str, Any]]:
        wanted = check_names(names, "entity name")
        if direction not in ("out", "in", "both"):
            raise InvalidInputError("direction must be 'out', 'in' or 'both'")
        ids = self._id_map(wanted)
        return self._relations_touching(
            [ids[n] for n in dict.fromkeys(wanted) if n in ids], direction
        )

    def open_nodes(self, names: Any) -> dict[str, Any]:
        wanted = check_names(names, "entity name")
        ids = self._id_map(wanted)
        order = list(dict.fromkeys(ids[n] for n in wanted if n in ids))
        return {
            "entities": list(self._entities(order).values()),
            "relations": self._relations_touching(order, "both"),
        }

    def read_graph(self, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidInputError("offset must be a non-negative integer")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise InvalidInputError("limit must be a positive integer or None")
        counts = self.counts()
        total = counts["entities"]
        ids = [
            r[0]
            for r in self.db.fetchall(
                "SELECT id FROM entities ORDER BY id OFFSET ? LIMIT ?", [offset, limit]
            )
        ]
        end = offset + len(ids)
        return {
            "entities": list(self._entities(ids).values()),
            "relations": self._relations_touching(ids, "out"),
            "total": total,
            "total_relations": counts["relations"],
            "next_offset": end if end < total else None,
        }

    def counts(self) -> dict[str, int]:
        row = self.db.fetchone(
            "SELECT n_entities, n_relations, n_observations FROM ouroboros_stats"
        )
        assert row is not None
        return {"entities": int(row[0]), "relations": int(row[1]), "observations": int(row[2])}

    # --- search ----------------------------------------------------------------------------

    def search(self, query: Any, limit: int = 10, mode: str = "auto") -> dict[str, Any]:
        """Keyword search (BM25 over the ``postings`` table; semantic is not on Postgres yet)."""
        if not isinstance(query, str) or not query.strip():
            raise InvalidInputError("search query must be a non-empty string")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInputError(f"limit must be an integer from 1 to {MAX_LIMIT}")
        if mode not in MODES:
            raise InvalidInputError(f"mode must be one of {', '.join(MODES)}")
        out: dict[str, Any] = {"mode": "keyword", "results": [], "total": 0}
        if mode in ("semantic", "hybrid"):  # auto is keyword here, silently (said at start-up)
            out["note"] = PG_NOTE
        parsed = parse_query(query)
        terms = list(parsed.terms)[:MAX_QUERY_WORDS]
        stats = self.db.fetchone("SELECT n_entities, total_len FROM ouroboros_stats")
        n_docs, total_len = (int(stats[0]), int(stats[1])) if stats else (0, 0)
        if not terms or not n_docs:
            return out
        df = dict(
            self.db.fetchall(
                "SELECT term, count(*) FROM postings WHERE term = ANY(?) GROUP BY term", [terms]
            )
        )
        import math

        live = [t for t in terms if df.get(t)]
        if not live:
            return out
        idf = [math.log(1.0 + (n_docs - df[t] + 0.5) / (df[t] + 0.5)) for t in live]
        avgdl = total_len / n_docs if total_len else 1.0
        norm, slope = K1 * (1.0 - B), K1 * B / avgdl
        phrase_terms = sorted({t for p in parsed.phrases for t in p})
        if parsed.phrases and not set(phrase_terms) <= set(live):
            return out
        having = ""
        params: list[Any] = [K1 + 1.0, norm, slope, live, idf]
        if parsed.phrases:
            having = "HAVING count(*) FILTER (WHERE w.term = ANY(?)) = ? "
            params += [phrase_terms, len(phrase_terms)]
        params.append(PHRASE_CANDIDATES if parsed.phrases else limit)
        rows = self.db.fetchall(
            "SELECT p.entity_id, count(*) AS matched, "
            "sum(w.idf * p.tf * ? / (p.tf + ? + ? * e.doc_len)) AS score, count(*) OVER () "
            "FROM postings p JOIN unnest(?::text[], ?::float8[]) AS w(term, idf) "
            "ON w.term = p.term JOIN entities e ON e.id = p.entity_id "
            f"GROUP BY p.entity_id {having}"
            "ORDER BY matched DESC, score DESC, p.entity_id LIMIT ?",
            params,
        )
        total = int(rows[0][3]) if rows else 0
        ranked = [(r[0], float(r[2])) for r in rows]
        if parsed.phrases:
            found = self._entities([d for d, _ in ranked])

            def accept(doc: int) -> bool:
                e = found.get(doc)
                if e is None:
                    return False
                fields = [analyze(t) for t in (e["name"], e["entityType"], *e["observations"])]
                return all(any(contains_phrase(f, p) for f in fields) for p in parsed.phrases)

            ranked = [(d, s) for d, s in ranked if accept(d)]
            total = len(ranked)
            ranked = ranked[:limit]
        found = self._entities([d for d, _ in ranked])
        out["results"] = [
            {
                "name": found[d]["name"],
                "entityType": found[d]["entityType"],
                "observations": found[d]["observations"],
                "score": round(s, 6),
            }
            for d, s in ranked
            if d in found
        ]
        out["total"] = total
        return out

    # --- traversal ---------------------------------------------------------------------------

    def _adjacent(
        self, ids: Iterable[int], direction: str, relation_type: str | None, reverse: bool = False
    ) -> list[tuple[int, str, int]]:
        """``(node, type, neighbour)`` for every relation leaving (out) / entering (in) ids."""
        idl = list(ids)
        if not idl:
            return []
        if direction not in _DIRECTIONS:
            raise InvalidInputError("direction must be 'out', 'in' or 'both'")
        ways = {"out": ["out"], "in": ["in"], "both": ["out", "in"]}[direction]
        if reverse:
            ways = [{"out": "in", "in": "out"}[w] for w in ways]
        found: list[tuple[int, str, int]] = []
        for way in ways:
            a, b = ("src", "dst") if way == "out" else ("dst", "src")
            sql = f"SELECT {a}, relation_type, {b} FROM relations WHERE {a} = ANY(?)"
            params: list[Any] = [idl]
            if relation_type is not None:
                sql += " AND relation_type = ?"
                params.append(relation_type)
            found.extend(self.db.fetchall(sql + " ORDER BY seq", params))
        return found

    def _walk(
        self, seeds: list[int], depth: int, direction: str, relation_type: str | None
    ) -> list[tuple[int, int]]:
        seen = dict.fromkeys(seeds, 0)
        frontier = list(seen)
        for level in range(1, depth + 1):
            nxt = []
            for _x, _t, y in self._adjacent(frontier, direction, relation_type):
                if y not in seen:
                    seen[y] = level
                    nxt.append(y)
            if not nxt:
                break
            frontier = nxt
        return sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))

    def _relations_among(self, ids: set[int], relation_type: str | None) -> list[dict[str, Any]]:
        idl = sorted(ids)
        sql = _REL_SELECT + "WHERE r.src = ANY(?) AND r.dst = ANY(?)"
        params: list[Any] = [idl, idl]
        if relation_type is not None:
            sql += " AND r.relation_type = ?"
            params.append(relation_type)
        return [_rel_dict(r) for r in self.db.fetchall(sql + " ORDER BY r.seq", params)]

    def neighbours(
        self,
        name: Any,
        depth: int = 1,
        direction: str = "both",
        relation_type: str | None = None,
        limit: int = 1000,
        engine: str = "memory",
    ) -> dict[str, Any]:
        name = check_identifier(name, "entity name")
        depth = _bound(depth, "depth", 1, MAX_DEPTH)
        limit = _bound(limit, "limit", 1, MAX_NODES)
        if engine not in ("memory", "sql"):
            raise InvalidInputError("engine must be 'memory' or 'sql'")
        if relation_type is not None:
            relation_type = check_identifier(relation_type, "relation_type")
        if direction not in _DIRECTIONS:
            raise InvalidInputError("direction must be 'out', 'in' or 'both'")
        [root] = self._ids([name])
        rows = [r for r in self._walk([root], depth, direction, relation_type) if r[0] != root]
        truncated = len(rows) > limit
        rows = rows[:limit]
        info = {
            i: (n, t)
            for i, n, t in self.db.fetchall(
                "SELECT id, name, entity_type FROM entities WHERE id = ANY(?)",
                [[i for i, _ in rows]],
            )
        }
        nodes = [
            {"name": info[i][0], "entityType": info[i][1], "depth": d} for i, d in rows if i in info
        ]
        relations = self._relations_among({root} | {i for i, _ in rows}, relation_type)
        return {"root": name, "nodes": nodes, "relations": relations, "truncated": truncated}

    def shortest_path(
        self,
        src: Any,
        dst: Any,
        max_depth: int = MAX_DEPTH,
        direction: str = "both",
        relation_type: str | None = None,
    ) -> dict[str, Any] | None:
        src = check_identifier(src, "entity name")
        dst = check_identifier(dst, "entity name")
        max_depth = _bound(max_depth, "max_depth", 1, MAX_DEPTH)
        if relation_type is not None:
            relation_type = check_identifier(relation_type, "relation_type")
        if direction not in _DIRECTIONS:
            raise InvalidInputError("direction must be 'out', 'in' or 'both'")
        a, b = self._ids([src, dst]) if src != dst else self._ids([src]) * 2
        if a == b:
            return {"path": [src], "relations": [], "length": 0}
        path = self._two_way_bfs(a, b, max_depth, direction, relation_type)
        if path is None:
            return None
        ids = sorted(set(path))
        names = dict(self.db.fetchall("SELECT id, name FROM entities WHERE id = ANY(?)", [ids]))
        hops = []
        for x, y in itertools.pairwise(path):
            rows = self.db.fetchall(
                "SELECT src, relation_type, dst, created_at FROM relations "
                "WHERE ((src = ? AND dst = ? AND ?) OR (src = ? AND dst = ? AND ?)) "
                "AND (?::text IS NULL OR relation_type = ?) ORDER BY src, relation_type, dst",
                [
                    x,
                    y,
                    direction in ("out", "both"),
                    y,
                    x,
                    direction in ("in", "both"),
                    relation_type,
                    relation_type,
                ],
            )
            s, t, d, created = min(rows, key=lambda r: (r[0], r[1], r[2]))
            hops.append(
                {"from": names[s], "to": names[d], "relationType": t, "created_at": iso(created)}
            )
        return {"path": [names[i] for i in path], "relations": hops, "length": len(path) - 1}

    def _two_way_bfs(
        self, a: int, b: int, max_depth: int, direction: str, relation_type: str | None
    ) -> list[int] | None:
        """The same two-way search as the DuckDB backend's, one query per frontier."""
        seen_a: dict[int, int | None] = {a: None}
        seen_b: dict[int, int | None] = {b: None}
        front_a, front_b = [a], [b]
        hops = 0
        while front_a and front_b and hops < max_depth:
            grow_a = len(front_a) <= len(front_b)
            front, seen, other = (front_a, seen_a, seen_b) if grow_a else (front_b, seen_b, seen_a)
            nxt: list[int] = []
            meet: int | None = None
            for x, _t, y in self._adjacent(front, direction, relation_type, reverse=not grow_a):
                if y in seen:
                    continue
                seen[y] = x
                nxt.append(y)
                if y in other and (meet is None or y < meet):
                    meet = y
            hops += 1
            if meet is not None:
                left: list[int] = []
                node: int | None = meet
                while node is not None:
                    left.append(node)
                    node = seen_a[node]
                left.reverse()
                node = seen_b[meet]
                while node is not None:
                    left.append(node)
                    node = seen_b[node]
                return left
            if grow_a:
                front_a = nxt
            else:
                front_b = nxt
        return None

    def subgraph(
        self,
        names: Any,
        depth: int = 1,
        direction: str = "both",
        relation_type: str | None = None,
        limit: int = 1000,
        engine: str = "memory",
    ) -> dict[str, Any]:
        wanted = check_names(names, "entity name")
        depth = _bound(depth, "depth", 0, MAX_DEPTH)
        limit = _bound(limit, "limit", 1, MAX_NODES)
        if engine not in ("memory", "sql"):
            raise InvalidInputError("engine must be 'memory' or 'sql'")
        if relation_type is not None:
            relation_type = check_identifier(relation_type, "relation_type")
        if direction not in _DIRECTIONS:
            raise InvalidInputError("direction must be 'out', 'in' or 'both'")
        seeds = self._ids(wanted)
        rows = (
            self._walk(seeds, depth, direction, relation_type) if depth else [(s, 0) for s in seeds]
        )
        truncated = len(rows) > limit
        ids = [i for i, _ in rows[:limit]]
        found = self._entities(ids)
        return {
            "entities": list(found.values()),
            "relations": self._relations_among(set(found), relation_type),
            "truncated": truncated,
        }

    def centrality(
        self, names: Any = None, kind: str = "degree", **kwargs: Any
    ) -> list[dict[str, Any]]:
        return self.algorithms.centrality(names, kind, **kwargs)

    def communities(self, names: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
        return self.algorithms.communities(names, **kwargs)

    # --- telemetry, audit, tokens --------------------------------------------------------

    def record_event(
        self, kind: str, name: str, ok: bool, duration_ms: float, details: Any = None
    ) -> None:
        self.telemetry.record_event(kind, name, ok, duration_ms, details)

    def events(
        self, limit: int = 100, kind: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        return self.telemetry.events(limit, kind, name)

    def event_stats(self, by: str = "name") -> list[dict[str, Any]]:
        return self.telemetry.event_stats(by)

    def audit(
        self, actor: str, action: str, target: str, outcome: str, details: Any = None
    ) -> None:
        self.telemetry.audit(actor, action, target, outcome, details)

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.telemetry.audit_log(limit)

    def token_create(self, name: str, scopes: Any, secret: str | None = None) -> list[Any]:
        secret, record = self.tokens.create(name, scopes, secret)
        return [secret, record]

    def token_list(self) -> list[dict[str, Any]]:
        return self.tokens.list()

    def token_revoke(self, name_or_id: str) -> bool:
        return self.tokens.revoke(name_or_id)

    def token_verify(self, secret: str) -> dict[str, Any] | None:
        return self.tokens.verify(secret)

    # --- OpenAPI clients -----------------------------------------------------------------

    def openapi_client_put(
        self,
        name: str,
        spec_url: str,
        base_url: str,
        spec: Any,
        title: Any = None,
        spec_version: Any = "",
    ) -> dict[str, Any]:
        return self.apiclients.put(name, spec_url, base_url, spec, title, spec_version)

    def openapi_client_get(self, name: str, with_spec: bool = True) -> dict[str, Any] | None:
        return self.apiclients.get(name, with_spec)

    def openapi_client_list(self) -> list[dict[str, Any]]:
        return self.apiclients.list()

    def openapi_client_delete(self, name: str) -> bool:
        return self.apiclients.delete(name)

    # --- whole store -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything as one JSON-ready dict, the same format as the DuckDB backend's."""
        self.telemetry.flush()
        with self.db.transaction() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            obs: dict[int, list[dict[str, Any]]] = {}
            for eid, content, created in cur.execute(
                "SELECT entity_id, content, created_at FROM observations ORDER BY seq"
            ).fetchall():
                obs.setdefault(eid, []).append(
                    {"content": _dec(content), "created_at": iso(created)}
                )
            aliases: dict[int, list[str]] = {}
            for alias, aid in cur.execute(
                "SELECT alias, entity_id FROM aliases ORDER BY created_at, alias"
            ).fetchall():
                aliases.setdefault(aid, []).append(alias)
            entities = [
                {
                    "name": name,
                    "entityType": etype,
                    "observations": obs.get(eid, []),
                    "created_at": iso(created),
                    "updated_at": iso(updated),
                    **({"aliases": aliases[eid]} if eid in aliases else {}),
                }
                for eid, name, etype, created, updated in cur.execute(
                    "SELECT id, name, entity_type, created_at, updated_at FROM entities ORDER BY id"
                ).fetchall()
            ]
            relations = [
                _rel_dict(r) for r in cur.execute(_REL_SELECT + "ORDER BY r.seq").fetchall()
            ]
            memory = [
                {"key": k, "value": json.loads(v), "created_at": iso(c), "updated_at": iso(u)}
                for k, v, c, u in cur.execute(
                    "SELECT key, value, created_at, updated_at FROM memory ORDER BY key"
                ).fetchall()
            ]
            events = [
                {
                    "ts": iso(ts),
                    "kind": k,
                    "name": n,
                    "ok": ok,
                    "duration_ms": d,
                    "details": None if det is None else json.loads(det),
                }
                for ts, k, n, ok, d, det in cur.execute(
                    "SELECT ts, kind, name, ok, duration_ms, details FROM events ORDER BY ts"
                ).fetchall()
            ]
            audit = [
                {
                    "ts": iso(ts),
                    "actor": a,
                    "action": ac,
                    "target": t,
                    "outcome": o,
                    "details": None if d is None else json.loads(d),
                }
                for ts, a, ac, t, o, d in cur.execute(
                    "SELECT ts, actor, action, target, outcome, details FROM audit ORDER BY ts"
                ).fetchall()
            ]
            tokens = [
                {
                    "id": i,
                    "name": n,
                    "scopes": json.loads(s),
                    "secret_hash": h,
                    "created_at": iso(c),
                    "revoked_at": iso(r),
                }
                for i, n, s, h, c, r in cur.execute(
                    "SELECT id, name, scopes, secret_hash, created_at, revoked_at FROM tokens"
                ).fetchall()
            ]
        return {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": iso(utcnow()),
            "memory": memory,
            "entities": entities,
            "relations": relations,
            "events": events,
            "audit": audit,
            "tokens": tokens,
        }

    def restore_snapshot(self, data: Any) -> dict[str, int]:
        """Replace everything with a snapshot, in one transaction (COPY for the rows)."""
        rows = parse_snapshot(data)
        with self.db.transaction() as cur:
            cur.execute(
                "TRUNCATE memory, entities, observations, relations, postings, events, audit, aliases, "
                "write_results, tokens RESTART IDENTITY"
            )
            raw = cur.raw
            for table, cols, data_rows in (
                ("entities", "id, name, entity_type, created_at, updated_at", rows["entities"]),
                (
                    "observations",
                    "entity_id, seq, content, created_at",
                    [(e, q, _enc(c), t) for e, q, c, t in rows["observations"]],
                ),
                ("relations", "src, dst, relation_type, created_at", rows["relations"]),
                ("memory", "key, value, created_at, updated_at", rows["memory"]),
                ("events", "ts, kind, name, ok, duration_ms, details", rows["events"]),
                ("audit", "ts, actor, action, target, outcome, details", rows["audit"]),
                (
                    "tokens",
                    "id, name, scopes, secret_hash, created_at, last_used_at, revoked_at",
                    rows["tokens"],
                ),
                (
                    "aliases",
                    "norm, alias, entity_id, created_at",
                    [(n, a, e, t) for a, n, e, t in rows["aliases"]],
                ),
            ):
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in data_rows:
                        copy.write_row(row)
            for seq_table, column in (
                ("entities", "id"),
                ("observations", "seq"),
                ("relations", "seq"),
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{seq_table}', '{column}'), "
                    f"coalesce((SELECT max({column}) FROM {seq_table}), 0) + 1, false)"
                )
            texts: dict[int, tuple[str, str, list[str]]] = {
                e[0]: (e[1], e[2], []) for e in rows["entities"]
            }
            for o in rows["observations"]:
                texts[o[0]][2].append(o[2])
            total = self._write_postings(cur, texts)
            cur.execute(
                "UPDATE ouroboros_stats SET n_entities = ?, n_observations = ?, n_relations = ?, "
                "total_len = ?",
                [len(rows["entities"]), len(rows["observations"]), len(rows["relations"]), total],
            )
        self.telemetry.reset_buffer()
        return {k: len(v) for k, v in rows.items()}

    def checkpoint(self) -> None:
        self.telemetry.flush()

    def info(self) -> dict[str, Any]:
        from ouroboros.store.location import redact

        return {
            "path": redact(self.path),
            "backend": "postgres",
            "embedder": None,
            "pending_embeddings": 0,
            **self.counts(),
        }

    def close(self) -> None:
        """Flush telemetry and close the pool."""
        try:
            self.telemetry.close()
        except Exception:
            log.exception("flushing telemetry at close failed")
        finally:
            self.db.close()
