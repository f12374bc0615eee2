"""The store as run by the process that owns the database file: every operation, in-process.

``LocalStore`` composes the parts (memory, graph, search, traversal, telemetry, tokens) over one
``Database``. ``execute`` is the single entry point used by the ``Store`` facade and by the RPC
server; for writes that arrive over RPC with a request id it records the result in the same
transaction, so a client that retries after the owner died gets the first result back instead
of running the write twice (exactly-once across a failover).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from ouroboros.errors import ConflictError, InvalidInputError, NotFoundError, StoreError
from ouroboros.store.algorithms import GraphAlgorithms
from ouroboros.store.apiclients import ApiClients
from ouroboros.store.changes import GRAPH_WRITES, Changes, touched_names
from ouroboros.store.clock import utcnow
from ouroboros.store.database import Database
from ouroboros.store.embedding import Embedder, resolve_embedder
from ouroboros.store.graph import KnowledgeGraph
from ouroboros.store.graphstate import GraphState
from ouroboros.store.identity import Identity
from ouroboros.store.identityfront import IdentityFront
from ouroboros.store.memory import Memory
from ouroboros.store.schema import migrate
from ouroboros.store.search import Searcher
from ouroboros.store.snapshot import Snapshot
from ouroboros.store.sources import Sources
from ouroboros.store.telemetry import Telemetry
from ouroboros.store.temporal import Temporal
from ouroboros.store.tokens import Tokens
from ouroboros.store.traversal import Traversal
from ouroboros.store.vectors import VectorIndex

__all__ = ["READ_METHODS", "WRITE_METHODS", "LocalStore", "idempotency_digest"]

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset(
    {
        "memory_set",
        "memory_delete",
        "memory_clear",
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
        "source_put",
        "audit",
        "token_create",
        "token_revoke",
        "openapi_client_put",
        "openapi_client_delete",
        "restore_snapshot",
        "tool_result_put",
        "add_aliases",
        "merge_entities",
    }
)
READ_METHODS = frozenset(
    {
        "memory_get",
        "memory_keys",
        "memory_all",
        "get_entity",
        "get_entities",
        "relations_of",
        "open_nodes",
        "read_graph",
        "counts",
        "search",
        "entity_history",
        "valid_from",
        "source_get",
        "source_list",
        "observations_at",
        "open_nodes_at",
        "read_graph_at",
        "search_at",
        "neighbours",
        "shortest_path",
        "subgraph",
        "centrality",
        "communities",
        "record_event",
        "events",
        "event_stats",
        "audit_log",
        "token_list",
        "token_verify",
        "openapi_client_get",
        "openapi_client_list",
        "changes",
        "snapshot",
        "checkpoint",
        "info",
        "tool_result",
        "resolve_names",
        "aliases_of",
        "aliases_in",
        "near_duplicates",
    }
)
METHODS = WRITE_METHODS | READ_METHODS
# Reads the owner answers from its in-memory graph model (microseconds: no DuckDB, no I/O).
IN_MEMORY_READS = frozenset(
    {"get_entity", "get_entities", "relations_of", "open_nodes", "counts", "search", "valid_from"}
)
RESULT_RETENTION_HOURS = 24
MAX_KEY_CHARS = 200


def idempotency_digest(key: Any, args: Sequence[Any], kw: Mapping[str, Any]) -> str:
    """Return the digest of a keyed write's arguments (the audit record left out).

    Raises InvalidInputError unless ``key`` is a string of 1 to MAX_KEY_CHARS characters.
    """
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_CHARS:
        raise InvalidInputError(
            f"idempotencyKey must be a string of 1 to {MAX_KEY_CHARS} characters",
            details={"idempotencyKey": key if isinstance(key, (str, int, float)) else None},
        )
    return hashlib.sha256(
        json.dumps(
            [list(args), {k: v for k, v in kw.items() if k != "audit"}],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()


def replayed(stored: Mapping[str, Any], digest: str, what: str, key: str) -> Any:
    """Return the first result of a keyed write; ConflictError if its arguments differed."""
    if stored.get("args") != digest:
        raise ConflictError(
            f"idempotencyKey {key!r} was already used for a different {what} call",
            details={"idempotencyKey": key},
        )
    return stored["result"]


class LocalStore(IdentityFront):
    """All store operations over a DuckDB file this process holds (or ``:memory:``)."""

    def __init__(
        self, path: str, *, embedder: Embedder | str | None = "auto", timeout: float = 10.0
    ) -> None:
        self.path = path
        self.db = Database(path, timeout=timeout)
        try:
            migrate(self.db.cursor())
            self.state = GraphState()
            self.state.load(self.db.cursor())
            # Move the loaded model out of the cyclic GC's generations: at 100k entities a full
            # collection over millions of dicts/strings otherwise shows up as multi-ms p95 spikes.
            gc.freeze()
            self.graph = KnowledgeGraph(self.db, self.state)
            self.temporal = Temporal(self.db, self.state, self.graph)
            self.identity = Identity(self.db, self.state, self.graph)
            self.sources = Sources(self.db)
            self.memory = Memory(self.db)
            chosen = resolve_embedder(embedder)
            self.vectors = VectorIndex(self.db, self.state, chosen) if chosen else None
            if self.vectors is not None:
                self.graph.listeners.append(self.vectors.changed)
                self.vectors.start()
            self.searcher = Searcher(self.state, self.vectors)
            self.traversal = Traversal(self.db, self.state)
            self.algorithms = GraphAlgorithms(self.state)
            self.telemetry = Telemetry(self.db)
            self.tokens = Tokens(self.db)
            self.apiclients = ApiClients(self.db)
            self.changefeed = Changes(self.db)
            self.snapshots = Snapshot(self.db, self.state)
            self._prune_results()
        except duckdb.Error as exc:  # truncated or damaged: DuckDB fails on its first read
            self.db.close()
            raise StoreError(
                f"cannot read database {path}: the file is damaged or truncated ({exc}); "
                "restore it from a backup or move it away to start a new one",
                details={"path": path},
            ) from None
        except BaseException:
            self.db.close()
            raise

    def _prune_results(self) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                f"DELETE FROM rpc_results WHERE created_at < ? - INTERVAL {RESULT_RETENTION_HOURS} HOUR",
                [utcnow()],
            )

    def execute(
        self,
        method: str,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        request_id: str | None = None,
        retry: bool = False,
    ) -> Any:
        """Run one store operation by name (the facade's and the RPC server's entry point)."""
        if method not in METHODS:
            raise InvalidInputError(f"unknown store operation {method!r}")
        fn = getattr(self, method)
        if method in GRAPH_WRITES:
            fn = self._tracked(method, fn)
        kw = dict(kwargs or {})
        idempotency_key = kw.pop("idempotency_key", None)
        if idempotency_key is not None and method in WRITE_METHODS:
            return self._idempotent(method, idempotency_key, fn, args, kw)
        if request_id is None or method not in WRITE_METHODS:
            return fn(*args, **kw)
        with self.db.transaction() as cur:
            if retry:
                row = cur.execute(
                    "SELECT result FROM rpc_results WHERE request_id = ?", [request_id]
                ).fetchone()
                if row is not None:
                    return json.loads(row[0])
            result = fn(*args, **kw)
            cur.execute(
                "INSERT INTO rpc_results VALUES (?, ?, ?)",
                [request_id, json.dumps(result, ensure_ascii=False), utcnow()],
            )
        return result

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

    def _idempotent(
        self, method: str, key: Any, fn: Any, args: Sequence[Any], kw: dict[str, Any]
    ) -> Any:
        """Run a write at most once per caller-supplied key: a repeat returns the first
        result; a repeat with other arguments is refused. Keys are kept RESULT_RETENTION_HOURS
        (with the RPC results, in the same table and transaction as the write)."""
        digest = idempotency_digest(key, args, kw)
        rid = f"idem:{method}:{key}"
        with self.db.transaction() as cur:
            row = cur.execute(
                "SELECT result FROM rpc_results WHERE request_id = ?", [rid]
            ).fetchone()
            if row is not None:
                return replayed(json.loads(row[0]), digest, method, key)
            result = fn(*args, **kw)
            cur.execute(
                "INSERT INTO rpc_results VALUES (?, ?, ?)",
                [rid, json.dumps({"args": digest, "result": result}, ensure_ascii=False), utcnow()],
            )
        return result

    def answers_in_memory(self, method: str, *args: Any) -> bool:
        """Whether ``method`` is answered from the in-memory graph model (no I/O, no model):
        the graph reads, and ``search`` unless an embedding model would run (mode other than
        keyword with an embedder configured)."""
        if method not in IN_MEMORY_READS:
            return False
        if method == "search" and self.vectors is not None:
            return bool(args) and args[0] == "keyword"
        return True

    def _audited(self, audit: Any, write: Any, *args: Any) -> Any:
        """Run ``write(*args)``; with an ``audit`` record (``{actor, action, target, outcome,
        details?}``) insert it in the same transaction: the record commits with the write or
        not at all (a failed write leaves no audit row). The record is checked before writing.
        """
        if audit is None:
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

    # --- keyed tool calls ------------------------------------------------------------------

    def tool_result(self, tool: str, key: str) -> dict[str, Any] | None:
        """Return ``{"args", "result"}`` of the tool call made with ``key``, or None."""
        row = (
            self.db.cursor()
            .execute("SELECT result FROM rpc_results WHERE request_id = ?", [f"tool:{tool}:{key}"])
            .fetchone()
        )
        return None if row is None else dict(json.loads(row[0]))

    def tool_result_put(self, tool: str, key: str, digest: str, result: Any) -> bool:
        """Record a keyed tool call's result (kept RESULT_RETENTION_HOURS); return whether it
        was new (a concurrent call with the key may have recorded it first)."""
        rid = f"tool:{tool}:{key}"
        with self.db.transaction() as cur:
            if cur.execute("SELECT 1 FROM rpc_results WHERE request_id = ?", [rid]).fetchone():
                return False
            cur.execute(
                "INSERT INTO rpc_results VALUES (?, ?, ?)",
                [rid, json.dumps({"args": digest, "result": result}, ensure_ascii=False), utcnow()],
            )
        return True

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

    # --- graph ---------------------------------------------------------------------------

    def create_entities(self, entities: Any, audit: Any = None) -> list[dict[str, Any]]:
        return self._audited(audit, self.graph.create_entities, entities)

    def create_relations(self, relations: Any, audit: Any = None) -> list[dict[str, Any]]:
        return self._audited(audit, self.graph.create_relations, relations)

    def add_observations(self, observations: Any, audit: Any = None) -> list[dict[str, Any]]:
        return self._audited(audit, self.graph.add_observations, observations)

    def delete_entities(self, names: Any, audit: Any = None) -> int:
        return self._audited(audit, self.graph.delete_entities, names)

    def delete_observations(self, deletions: Any, audit: Any = None) -> int:
        return self._audited(audit, self.graph.delete_observations, deletions)

    def delete_relations(self, relations: Any, audit: Any = None) -> int:
        return self._audited(audit, self.graph.delete_relations, relations)

    def rename_entity(self, old: str, new: str, audit: Any = None) -> dict[str, Any]:
        return self._audited(audit, self.graph.rename_entity, old, new)

    def invalidate_observations(self, deletions: Any, audit: Any = None) -> int:
        return self._audited(audit, self.temporal.invalidate_observations, deletions)

    def invalidate_relations(self, relations: Any, audit: Any = None) -> int:
        return self._audited(audit, self.temporal.invalidate_relations, relations)

    def purge(
        self, entity_names: Any = None, observations: Any = None, audit: Any = None
    ) -> dict[str, int]:
        # A purge is always audited (who, and how much; never the purged text).
        record = dict(audit) if isinstance(audit, Mapping) else {"actor": "store"}
        record.setdefault("action", "purge")
        record.setdefault("target", "knowledge graph")
        record.setdefault("outcome", "ok")
        with self.db.transaction():
            counts = self.temporal.purge(entity_names, observations)
            record["details"] = {"removed": counts}
            return self._audited(record, lambda: counts)

    def entity_history(self, name: str) -> dict[str, Any]:
        try:
            return self.temporal.history(name)
        except NotFoundError:  # a merged-away name or an alias: the history of its entity
            (found,) = self.identity.resolve_names([name])
            if found["match"] != "alias":
                raise
            return self.temporal.history(found["name"])

    def _entities_for_duplicates(self, names: Any) -> list[dict[str, Any]]:
        if names is None:
            with self.state.lock:
                return [rec.to_dict() for rec in self.state.entities.values()]
        return list(self.graph.get_entities(names).values())

    def source_get(self, document: str, with_chunks: bool = True) -> dict[str, Any] | None:
        return self.sources.get(document, with_chunks)

    def valid_from(self, names: Any) -> dict[str, str | None]:
        return self.graph.valid_from(names)

    def source_put(
        self, document: str, kind: str, digest: str, chunks: Any, audit: Any = None
    ) -> dict[str, Any]:
        return self._audited(audit, self.sources.put, document, kind, digest, chunks)

    def source_list(self) -> list[dict[str, Any]]:
        return self.sources.list()

    def observations_at(
        self, names: Any, as_of: Any = None, known_at: Any = None
    ) -> dict[str, list[dict[str, Any]]]:
        return self.temporal.observations_at(names, as_of, known_at)

    def open_nodes_at(self, names: Any, as_of: Any = None, known_at: Any = None) -> dict[str, Any]:
        return self.temporal.open_nodes_at(names, as_of, known_at)

    def read_graph_at(
        self, offset: int = 0, limit: int | None = None, as_of: Any = None, known_at: Any = None
    ) -> dict[str, Any]:
        return self.temporal.read_graph_at(offset, limit, as_of, known_at)

    def search_at(
        self, query: str, limit: int = 10, as_of: Any = None, known_at: Any = None
    ) -> dict[str, Any]:
        return self.temporal.search_at(query, limit, as_of, known_at)

    def get_entity(self, name: str) -> dict[str, Any] | None:
        return self.graph.get_entity(name)

    def get_entities(self, names: Any) -> dict[str, dict[str, Any]]:
        return self.graph.get_entities(names)

    def relations_of(self, names: Any, direction: str = "both") -> list[dict[str, Any]]:
        return self.graph.relations_of(names, direction)

    def open_nodes(self, names: Any) -> dict[str, Any]:
        return self.graph.open_nodes(names)

    def read_graph(self, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        return self.graph.read_graph(offset, limit)

    def counts(self) -> dict[str, int]:
        return self.graph.counts()

    def search(self, query: str, limit: int = 10, mode: str = "auto") -> dict[str, Any]:
        return self.searcher.search(query, limit, mode)

    # --- traversal and algorithms --------------------------------------------------------

    def neighbours(self, name: str, **kwargs: Any) -> dict[str, Any]:
        return self.traversal.neighbours(name, **kwargs)

    def shortest_path(
        self, src: str, dst: str, max_depth: int = 6, **kwargs: Any
    ) -> dict[str, Any] | None:
        return self.traversal.shortest_path(src, dst, max_depth, **kwargs)

    def subgraph(self, names: Any, depth: int = 1, **kwargs: Any) -> dict[str, Any]:
        return self.traversal.subgraph(names, depth, **kwargs)

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

    # --- whole-store -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        self.telemetry.flush()
        return self.snapshots.dump()

    def restore_snapshot(self, data: Any) -> dict[str, int]:
        counts = self.snapshots.restore(data)
        self.telemetry.reset_buffer()
        if self.vectors is not None:
            with self.state.lock:
                everything = set(self.state.entities)
            self.vectors.changed(everything, set())
        return counts

    def checkpoint(self) -> None:
        self.telemetry.flush()
        self.db.checkpoint()

    def info(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "embedder": self.vectors.embedder.name if self.vectors else None,
            "pending_embeddings": self.vectors.pending() if self.vectors else 0,
            **self.counts(),
        }

    def close(self) -> None:
        """Flush telemetry, stop background work and close the database."""
        try:
            if self.vectors is not None:
                self.vectors.stop()
            self.telemetry.close()
        except StoreError:
            log.exception("flushing telemetry at close failed")
        finally:
            self.db.close()
            gc.unfreeze()  # let the cyclic GC reclaim the model (and anything frozen with it)
