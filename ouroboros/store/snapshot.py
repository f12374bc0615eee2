"""A JSON snapshot of everything in the store (memory, graph with times, telemetry, audit,
token hashes), and restoring one in a single transaction that replaces what is there."""

from __future__ import annotations

import json
from typing import Any

from ouroboros.errors import InvalidInputError
from ouroboros.store.clock import iso, parse_iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.graphstate import GraphState
from ouroboros.store.names import normalise
from ouroboros.store.validate import (
    check_identifier,
    check_json_value,
    check_text,
    require_list,
    require_mapping,
)

__all__ = ["FORMAT", "Snapshot"]

FORMAT = "ouroboros-store"
VERSION = 1


def _ts(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"a time must be an ISO-8601 string, got {value!r}")
    try:
        return parse_iso(value)
    except ValueError:
        raise InvalidInputError(f"not an ISO-8601 time: {value!r}") from None


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _details(value: Any) -> str | None:
    return None if value is None else check_json_value(value, "details")


class Snapshot:
    """Dump and restore of the whole database."""

    def __init__(self, db: Database, state: GraphState) -> None:
        self.db = db
        self.state = state

    def dump(self) -> dict[str, Any]:
        """Return everything as one JSON-ready dict."""
        f = self.db.fetchall
        st = self.state
        aliases: dict[int, list[str]] = {}
        for alias, eid in f("SELECT alias, entity_id FROM aliases ORDER BY created_at, alias"):
            aliases.setdefault(eid, []).append(alias)
        with st.lock:
            entities = [
                {
                    "name": r.name,
                    "entityType": r.entity_type,
                    "observations": [
                        {"content": c, "created_at": t} for c, t in r.observations.items()
                    ],
                    "created_at": r.created_at,
                    "updated_at": r.updated_at,
                    **({"aliases": aliases[r.id]} if r.id in aliases else {}),
                }
                for r in st.entities.values()
            ]
            relations = [
                st.relation_dict((src, rtype, dst), created)
                for src, outs in st.out.items()
                for (rtype, dst), created in outs.items()
            ]
        return {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": iso(utcnow()),
            "memory": [
                {"key": k, "value": json.loads(v), "created_at": iso(c), "updated_at": iso(u)}
                for k, v, c, u in f(
                    "SELECT key, value, created_at, updated_at FROM memory ORDER BY key"
                )
            ],
            "entities": entities,
            "relations": relations,
            "events": [
                {
                    "ts": iso(ts),
                    "kind": k,
                    "name": n,
                    "ok": ok,
                    "duration_ms": d,
                    "details": _json(det),
                }
                for ts, k, n, ok, d, det in f(
                    "SELECT ts, kind, name, ok, duration_ms, details FROM events ORDER BY ts"
                )
            ],
            "audit": [
                {
                    "ts": iso(ts),
                    "actor": a,
                    "action": ac,
                    "target": t,
                    "outcome": o,
                    "details": _json(d),
                }
                for ts, a, ac, t, o, d in f(
                    "SELECT ts, actor, action, target, outcome, details FROM audit ORDER BY ts"
                )
            ],
            "tokens": [
                {
                    "id": i,
                    "name": n,
                    "scopes": json.loads(s),
                    "secret_hash": h,
                    "created_at": iso(c),
                    "revoked_at": iso(r),
                }
                for i, n, s, h, c, r in f(
                    "SELECT id, name, scopes, secret_hash, created_at, revoked_at FROM tokens"
                )
            ],
        }

    def restore(self, data: Any) -> dict[str, int]:
        """Replace the whole store with ``data`` (a ``dump()``); return the counts restored.

        Raises InvalidInputError, writing nothing, if the snapshot is malformed.
        """
        rows = parse_snapshot(data)
        ents, obs, memory = rows["entities"], rows["observations"], rows["memory"]
        events, audit, tokens = rows["events"], rows["audit"], rows["tokens"]
        rels = {(s, d, t): c for s, d, t, c in rows["relations"]}
        with self.db.transaction() as cur:
            for table in (
                "memory",
                "entities",
                "observations",
                "relations",
                "embeddings",
                "aliases",
                "events",
                "audit",
                "tokens",
            ):
                cur.execute(f"DELETE FROM {table}")
            _insert(cur, "entities", ents, 5)
            _insert(cur, "observations", obs, 4)
            _insert(cur, "relations", [(s, d, t, c) for (s, d, t), c in rels.items()], 4)
            _insert(cur, "memory", memory, 4)
            _insert(cur, "events", events, 6)
            _insert(cur, "audit", audit, 6)
            _insert(cur, "tokens", tokens, 7)
            _insert(cur, "aliases", rows["aliases"], 4)

            def reload() -> None:
                with self.state.lock:
                    self.state.clear()
                    self.state.load(self.db.cursor())

            self.db.on_commit(reload)
        self.db.checkpoint()
        return {k: len(v) for k, v in rows.items()}


def parse_snapshot(data: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Check a snapshot and return its rows per table, in the DuckDB column order (entities get
    ids 1..n, observations seq 1..n); raises InvalidInputError, naming the bad part."""
    require_mapping(data, "snapshot", ("format", "entities", "relations"))
    if data["format"] != FORMAT:
        raise InvalidInputError(f"not an Ouroboros store snapshot (format {data['format']!r})")
    now = utcnow()
    ents: list[tuple[int, str, str, Any, Any]] = []
    obs: list[tuple[int, int, str, Any]] = []
    ids: dict[str, int] = {}
    aliases: list[tuple[str, str, int, Any]] = []  # (alias, norm, entity id, created_at)
    alias_norms: set[str] = set()
    for i, e in enumerate(require_list(data["entities"], "entities")):
        require_mapping(e, f"entities[{i}]", ("name", "entityType"))
        name = check_identifier(e["name"], "entity name")
        if name in ids:
            continue
        ids[name] = len(ids) + 1
        ents.append(
            (
                ids[name],
                name,
                check_identifier(e["entityType"], "entityType"),
                _ts(e.get("created_at")) or now,
                _ts(e.get("updated_at")) or now,
            )
        )
        for j, alias in enumerate(require_list(e.get("aliases", []), "aliases")):
            alias = check_identifier(alias, f"entities[{i}].aliases[{j}]")
            norm = normalise(alias)
            if norm not in alias_norms:
                alias_norms.add(norm)
                aliases.append((alias, norm, ids[name], now))
        seen: set[str] = set()
        for o in require_list(e.get("observations", []), "observations"):
            content, created = (
                (o, None)
                if isinstance(o, str)
                else (
                    require_mapping(o, "observation", ("content",))["content"],
                    o.get("created_at"),
                )
            )
            content = check_text(content, "observation")
            if content not in seen:
                seen.add(content)
                obs.append((ids[name], len(obs) + 1, content, _ts(created) or now))
    rels: dict[tuple[int, int, str], Any] = {}
    for i, r in enumerate(require_list(data["relations"], "relations")):
        require_mapping(r, f"relations[{i}]", ("from", "to", "relationType"))
        if r["from"] not in ids or r["to"] not in ids:
            raise InvalidInputError(
                f"relations[{i}] refers to a missing entity: {r['from']!r} -> {r['to']!r}"
            )
        key = (
            ids[r["from"]],
            ids[r["to"]],
            check_identifier(r["relationType"], "relationType"),
        )
        rels.setdefault(key, _ts(r.get("created_at")) or now)
    memory = [
        (
            check_identifier(m["key"], "memory key"),
            check_json_value(m.get("value")),
            _ts(m.get("created_at")) or now,
            _ts(m.get("updated_at")) or now,
        )
        for m in require_list(data.get("memory", []), "memory")
    ]
    events = [
        (
            _ts(e["ts"]),
            e["kind"],
            e["name"],
            bool(e["ok"]),
            float(e["duration_ms"]),
            _details(e.get("details")),
        )
        for e in require_list(data.get("events", []), "events")
    ]
    audit = [
        (
            _ts(a["ts"]),
            a["actor"],
            a["action"],
            a["target"],
            a["outcome"],
            _details(a.get("details")),
        )
        for a in require_list(data.get("audit", []), "audit")
    ]
    tokens = [
        (
            t["id"],
            t["name"],
            json.dumps(t["scopes"]),
            t["secret_hash"],
            _ts(t["created_at"]),
            None,
            _ts(t.get("revoked_at")),
        )
        for t in require_list(data.get("tokens", []), "tokens")
    ]
    return {
        "entities": ents,
        "observations": obs,
        "relations": [(s, d, t, c) for (s, d, t), c in rels.items()],
        "memory": memory,
        "events": events,
        "audit": audit,
        "tokens": tokens,
        "aliases": aliases,
    }


def _insert(cur: Any, table: str, rows: list[tuple[Any, ...]], width: int) -> None:
    if not rows:
        return
    cols = [list(c) for c in zip(*rows, strict=True)]
    # Column types come from the table; DuckDB casts each unnested list on insert. The first
    # ``width`` columns are named: later schema versions append columns (NULL here).
    names = [r[1] for r in cur.execute(f"PRAGMA table_info('{table}')").fetchall()][:width]
    select = ", ".join("unnest(?)" for _ in range(width))
    cur.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {select}", cols)
