"""``Store``: the one interface to the knowledge store, whether this process owns the file or not.

Every method forwards to the current *target*: this process's ``LocalStore`` when it owns the
database (or for ``:memory:``), else an RPC connection to the owning process. If the owner goes
away mid-call, the store runs the election again (becoming the owner or reaching the new one)
and retries the call. A retry is safe: writes carry a request id, and the owner stores each
write's result in the same transaction as the write, so a retried write that had already
committed returns its first result instead of running again; a write that had not committed
simply runs. Reads are retried as they are.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import Any

from ouroboros.config import data_dir_db_path, default_db_path
from ouroboros.errors import StoreError
from ouroboros.observe.store import observed
from ouroboros.store.embedding import Embedder
from ouroboros.store.eventrelay import client_relay, pg_relay
from ouroboros.store.local import WRITE_METHODS, LocalStore
from ouroboros.store.location import parse_location
from ouroboros.store.ownership import Owner, elect
from ouroboros.store.rpc import OwnerGone, RpcClient
from ouroboros.store.tokens import new_secret

__all__ = ["Store", "open_store"]

MAX_FAILOVERS = 5


def _audit_kw(audit: Any, idempotency_key: str | None = None) -> dict[str, Any]:
    kw: dict[str, Any] = {} if audit is None else {"audit": audit}
    if idempotency_key is not None:
        kw["idempotency_key"] = idempotency_key
    return kw


@observed  # metrics and spans per operation, at the interface (ouroboros.observe.store)
class Store:
    """Memory, knowledge graph, search, traversal, telemetry, audit and tokens (thread-safe).

    Use ``open_store()``; close with ``close()`` or a ``with`` block. ``store.aio`` has the same
    methods as coroutines. Every write method takes an optional ``audit`` record
    (``{"actor", "action", "target", "outcome", "details"?}``), inserted in the write's own
    transaction: it commits with the write or not at all, and an optional ``idempotency_key``:
    a repeat of the write with the same key returns the first result and writes nothing
    (a repeat with other arguments raises ConflictError; keys are kept 24 hours).
    """

    def __init__(
        self,
        path: str,
        *,
        embedder: Embedder | str | None = "auto",
        timeout: float | None = None,
        backend: Any = None,
    ) -> None:
        self.path = path
        self._embedder = embedder
        self._timeout = timeout
        self._switch = threading.Lock()
        self._generation = 0
        self._closed = False
        self._target: LocalStore | Owner | RpcClient | Any
        if backend is not None:
            self._target = backend  # a PgStore: every process talks to the server itself
        elif path == ":memory:":
            self._target = LocalStore(path, embedder=embedder)
        else:
            self._target = elect(path, embedder, timeout)
        self._aio: Any = None
        self._release_relay: Any = None
        if isinstance(self._target, RpcClient):  # our live events to the owner and back
            self._release_relay = client_relay(path, self)
        elif backend is not None and getattr(backend, "db", None) is not None:
            pool = getattr(backend.db, "pool", None)
            if pool is not None:  # PostgreSQL: NOTIFY / LISTEN
                self._release_relay = pg_relay(backend.path, self, pool)

    # --- plumbing ------------------------------------------------------------------------

    @property
    def role(self) -> str:
        """``"owner"`` (this process holds the file), ``"client"``, ``"memory"`` or
        ``"postgres"``."""
        target = self._target
        if isinstance(target, LocalStore):
            return "memory"
        if isinstance(target, (Owner, RpcClient)):
            return "owner" if isinstance(target, Owner) else "client"
        return "postgres"

    @property
    def aio(self) -> Any:
        """The async front: the same methods as coroutines (run in a worker thread)."""
        if self._aio is None:
            from ouroboros.store.aio import AsyncStore

            self._aio = AsyncStore(self)
        return self._aio

    def answers_in_memory(self, method: str, *args: Any) -> bool:
        """Whether ``method`` (with ``args`` where they matter: ``search``'s mode) is answered
        from this process's memory: the owner's graph reads take microseconds, so callers need
        not move them off an event loop. False for a client (every call is a socket round trip).
        """
        target = self._target
        if isinstance(target, Owner):
            return target.local.answers_in_memory(method, *args)
        if isinstance(target, LocalStore):
            return target.answers_in_memory(method, *args)
        return False

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._closed:
            raise StoreError("the store is closed")
        request_id = uuid.uuid4().hex if method in WRITE_METHODS else None
        retry = False
        for _ in range(MAX_FAILOVERS + 1):
            target, generation = self._target, self._generation
            if isinstance(target, LocalStore):
                return target.execute(method, args, kwargs)
            if isinstance(target, Owner):
                return target.local.execute(method, args, kwargs)
            if not isinstance(target, RpcClient):
                return target.execute(method, args, kwargs)
            try:
                return target.call(method, list(args), kwargs, request_id, retry)
            except OwnerGone:
                self._failover(generation)
                retry = True
        raise StoreError(f"{method}: the store owner kept going away; gave up")

    def _owner_call(self, method: str, args: list[Any]) -> Any:
        """Run one of the owner's own methods (the event hub's ``_events_put`` /
        ``_events_get``) in the owner, this process or another; None without an owner."""
        for _ in range(MAX_FAILOVERS + 1):
            if self._closed:
                raise StoreError("the store is closed")
            target, generation = self._target, self._generation
            if isinstance(target, Owner):
                return target.hub.handle(method, args)
            if not isinstance(target, RpcClient):
                return None
            try:
                return target.call(method, args, {})
            except OwnerGone:
                self._failover(generation)
        raise StoreError(f"{method}: the store owner kept going away; gave up")

    def _failover(self, generation: int) -> None:
        with self._switch:
            if self._closed:
                raise StoreError("the store is closed")
            if generation != self._generation:
                return  # another thread already switched
            old = self._target
            if isinstance(old, RpcClient):
                old.close()
            self._target = elect(self.path, self._embedder, self._timeout)
            self._generation += 1

    def close(self) -> None:
        """Close the store; an owner hands the database over to a waiting client process."""
        with self._switch:
            if self._closed:
                return
            release_relay, self._release_relay = self._release_relay, None
        if release_relay is not None:
            release_relay()  # sends this process's queued events while the store is open
        with self._switch:
            if self._closed:
                return
            self._closed = True
            target = self._target
        if isinstance(target, Owner):
            target.release()
        else:
            target.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- keyed tool calls ------------------------------------------------------------------

    def tool_result(self, tool: str, key: str) -> dict[str, Any] | None:
        """Return ``{"args", "result"}`` recorded for the call of ``tool`` with ``key``, or
        None (what a tool registry replays for a repeated ``idempotencyKey``)."""
        return self._call("tool_result", tool, key)

    def tool_result_put(self, tool: str, key: str, digest: str, result: Any) -> bool:
        """Record a keyed tool call's result (kept 24 hours); return whether it was new."""
        return bool(self._call("tool_result_put", tool, key, digest, result))

    # --- memory --------------------------------------------------------------------------

    def memory_get(self, key: str) -> dict[str, Any] | None:
        """Return ``{"key", "value", "created_at", "updated_at"}`` or None."""
        return self._call("memory_get", key)

    def memory_set(
        self, key: str, value: Any, audit: Any = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Store a JSON value; return the record with ``"created": True`` if the key was new."""
        return self._call("memory_set", key, value, **_audit_kw(audit, idempotency_key))

    def memory_delete(
        self, key: str, audit: Any = None, idempotency_key: str | None = None
    ) -> bool:
        """Delete a key; return whether it existed."""
        return bool(self._call("memory_delete", key, **_audit_kw(audit, idempotency_key)))

    def memory_clear(self, audit: Any = None, idempotency_key: str | None = None) -> int:
        """Delete every key; return how many there were."""
        return int(self._call("memory_clear", **_audit_kw(audit, idempotency_key)))

    def memory_keys(self) -> list[str]:
        """Return every key, sorted."""
        return self._call("memory_keys")

    def memory_all(self) -> list[dict[str, Any]]:
        """Return every record, sorted by key."""
        return self._call("memory_all")

    # --- knowledge graph -----------------------------------------------------------------

    def create_entities(
        self, entities: list[dict[str, Any]], audit: Any = None, idempotency_key: str | None = None
    ) -> list[dict[str, Any]]:
        """Create ``[{"name", "entityType", "observations"}]``; return those created (existing
        names are skipped)."""
        return self._call("create_entities", entities, **_audit_kw(audit, idempotency_key))

    def create_relations(
        self, relations: list[dict[str, Any]], audit: Any = None, idempotency_key: str | None = None
    ) -> list[dict[str, Any]]:
        """Create ``[{"from", "to", "relationType"}]``; return those created (duplicates skipped).

        Raises NotFoundError, writing nothing, if an endpoint does not exist.
        """
        return self._call("create_relations", relations, **_audit_kw(audit, idempotency_key))

    def add_observations(
        self,
        observations: list[dict[str, Any]],
        audit: Any = None,
        idempotency_key: str | None = None,
    ) -> list[dict[str, Any]]:
        """Add ``[{"entityName", "contents"}]``; return ``[{"entityName", "addedObservations"}]``.

        Raises NotFoundError, writing nothing, if an entity does not exist.
        """
        return self._call("add_observations", observations, **_audit_kw(audit, idempotency_key))

    def delete_entities(
        self, names: list[str], audit: Any = None, idempotency_key: str | None = None
    ) -> int:
        """Delete entities with their observations and relations; return how many existed."""
        return int(self._call("delete_entities", names, **_audit_kw(audit, idempotency_key)))

    def delete_observations(
        self, deletions: list[dict[str, Any]], audit: Any = None, idempotency_key: str | None = None
    ) -> int:
        """Delete ``[{"entityName", "observations"}]``; return how many were removed."""
        return int(
            self._call("delete_observations", deletions, **_audit_kw(audit, idempotency_key))
        )

    def delete_relations(
        self, relations: list[dict[str, Any]], audit: Any = None, idempotency_key: str | None = None
    ) -> int:
        """Delete exact ``[{"from", "to", "relationType"}]``; return how many existed."""
        return int(self._call("delete_relations", relations, **_audit_kw(audit, idempotency_key)))

    def rename_entity(
        self, old: str, new: str, audit: Any = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Rename an entity; return it. Raises NotFoundError or ConflictError."""
        return self._call("rename_entity", old, new, **_audit_kw(audit, idempotency_key))

    def invalidate_observations(
        self, deletions: list[dict[str, Any]], audit: Any = None, idempotency_key: str | None = None
    ) -> int:
        """End the validity of ``[{"entityName", "observations", "at"?}]`` (default now, not
        later), keeping their history; return how many were invalidated."""
        return int(
            self._call("invalidate_observations", deletions, **_audit_kw(audit, idempotency_key))
        )

    def invalidate_relations(
        self, relations: list[dict[str, Any]], audit: Any = None, idempotency_key: str | None = None
    ) -> int:
        """End the validity of ``[{"from", "to", "relationType", "at"?}]``, keeping their
        history; return how many were invalidated."""
        return int(
            self._call("invalidate_relations", relations, **_audit_kw(audit, idempotency_key))
        )

    def purge(
        self,
        entity_names: list[str] | None = None,
        observations: list[dict[str, Any]] | None = None,
        audit: Any = None,
        idempotency_key: str | None = None,
    ) -> dict[str, int]:
        """Forget entities and ``[{"entityName", "observations"}]``, every version, with one
        audit row (counts, never the text); return the counts of rows removed."""
        return self._call("purge", entity_names, observations, **_audit_kw(audit, idempotency_key))

    def source_get(self, document: str, with_chunks: bool = True) -> dict[str, Any] | None:
        """Return the ingest record of ``document`` (``{"document", "kind", "digest",
        "chunks", "ingested_at"}``; ``chunks`` left out without ``with_chunks``) or None."""
        return self._call("source_get", document, with_chunks)

    def valid_from(self, names: list[str]) -> dict[str, str | None]:
        """Return ``{name: validFrom}`` of the named entities' current observations (the
        earliest given, or None)."""
        return self._call("valid_from", names)

    def source_put(
        self,
        document: str,
        kind: str,
        digest: str,
        chunks: list[str],
        audit: Any = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Record what ingesting ``document`` produced (replacing the previous record)."""
        return self._call(
            "source_put", document, kind, digest, chunks, **_audit_kw(audit, idempotency_key)
        )

    def source_list(self) -> list[dict[str, Any]]:
        """Return every ingested source with its chunk count."""
        return self._call("source_list")

    def entity_history(self, name: str) -> dict[str, Any]:
        """Return ``{"name", "events": [{"at", "op", "kind", "text" | "relation"}]}``."""
        return self._call("entity_history", name)

    def resolve_names(self, names: list[str]) -> list[dict[str, Any]]:
        """Return ``[{"query", "name", "match", "candidates"?}]``: each name found as an exact
        name, an alias or a normalised name (``match``), or None (ambiguous: ``candidates``)."""
        return self._call("resolve_names", names)

    def aliases_of(self, name: str) -> dict[str, Any]:
        """Return ``{"name", "aliases"}`` of an entity (found through aliases and
        normalisation). Raises NotFoundError."""
        return self._call("aliases_of", name)

    def aliases_in(self, text: str) -> list[dict[str, str]]:
        """Return ``[{"alias", "name"}]`` for the aliases ``text`` mentions (whole words,
        normalised) with the entity each stands for."""
        return self._call("aliases_in", text)

    def add_aliases(
        self, name: str, aliases: list[str], audit: Any = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Record other names of an entity; return ``{"name", "aliases"}``. Raises
        NotFoundError, or ConflictError when an alias is another entity's name or alias."""
        return self._call("add_aliases", name, aliases, **_audit_kw(audit, idempotency_key))

    def merge_entities(
        self, source: str, into: str, audit: Any = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Merge entity ``source`` into ``into`` keeping every version of its observations and
        relations and its name as an alias (always audited); return ``{"from", "into",
        "movedObservations", "mergedDuplicates", "movedRelations", "aliases"}``. Raises
        InvalidInputError (one entity twice) or NotFoundError."""
        return self._call("merge_entities", source, into, **_audit_kw(audit, idempotency_key))

    def near_duplicates(
        self, names: list[str] | None = None, threshold: float = 0.8
    ) -> list[dict[str, Any]]:
        """Return ``[{"entityName", "observation", "similarTo", "score"}]``: pairs of one
        entity's observations that say nearly the same (kept, never dropped)."""
        return self._call("near_duplicates", names, threshold)

    def observations_at(
        self, names: list[str], as_of: Any = None, known_at: Any = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Return ``{name: [{"text", "validFrom", "validTo", "recordedAt", "expiredAt"}]}``
        valid at ``as_of`` as known at ``known_at`` (defaults: now)."""
        return self._call("observations_at", names, as_of, known_at)

    def open_nodes_at(
        self, names: list[str], as_of: Any = None, known_at: Any = None
    ) -> dict[str, Any]:
        """Return ``open_nodes`` as valid at ``as_of`` and known at ``known_at``."""
        return self._call("open_nodes_at", names, as_of, known_at)

    def read_graph_at(
        self, offset: int = 0, limit: int | None = None, as_of: Any = None, known_at: Any = None
    ) -> dict[str, Any]:
        """Return a ``read_graph`` page as valid at ``as_of`` and known at ``known_at``."""
        return self._call("read_graph_at", offset, limit, as_of, known_at)

    def search_at(
        self, query: str, limit: int = 10, as_of: Any = None, known_at: Any = None
    ) -> dict[str, Any]:
        """Return keyword ``search`` results as valid at ``as_of`` and known at ``known_at``."""
        return self._call("search_at", query, limit, as_of, known_at)

    def get_entity(self, name: str) -> dict[str, Any] | None:
        """Return one entity or None."""
        return self._call("get_entity", name)

    def get_entities(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Return ``{name: entity}`` for the names that exist."""
        return self._call("get_entities", names)

    def relations_of(self, names: list[str], direction: str = "both") -> list[dict[str, Any]]:
        """Return relations leaving (``out``), entering (``in``) or touching (``both``) names."""
        return self._call("relations_of", names, direction)

    def open_nodes(self, names: list[str]) -> dict[str, Any]:
        """Return ``{"entities", "relations"}``: those entities and relations touching them."""
        return self._call("open_nodes", names)

    def read_graph(self, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        """Return a page ``{"entities", "relations", "total", "total_relations", "next_offset"}``."""
        return self._call("read_graph", offset, limit)

    def counts(self) -> dict[str, int]:
        """Return ``{"entities", "relations", "observations"}``."""
        return self._call("counts")

    def search(self, query: str, limit: int = 10, mode: str = "auto") -> dict[str, Any]:
        """Return ``{"mode", "results": [{name, entityType, observations, score}], "total",
        "note"?}``; ``mode`` is auto, keyword, semantic or hybrid."""
        return self._call("search", query, limit, mode)

    # --- traversal and algorithms --------------------------------------------------------

    def neighbours(
        self,
        name: str,
        depth: int = 1,
        direction: str = "both",
        relation_type: str | None = None,
        limit: int = 1000,
        engine: str = "memory",
    ) -> dict[str, Any]:
        """Return ``{"root", "nodes": [{name, entityType, depth}], "relations", "truncated"}``.

        ``engine="sql"`` runs the same walk as a recursive CTE in DuckDB (same result).
        """
        return self._call(
            "neighbours",
            name,
            depth=depth,
            direction=direction,
            relation_type=relation_type,
            limit=limit,
            engine=engine,
        )

    def shortest_path(
        self,
        src: str,
        dst: str,
        max_depth: int = 6,
        direction: str = "both",
        relation_type: str | None = None,
    ) -> dict[str, Any] | None:
        """Return ``{"path": [names], "relations", "length"}`` or None beyond ``max_depth``."""
        return self._call(
            "shortest_path", src, dst, max_depth, direction=direction, relation_type=relation_type
        )

    def subgraph(
        self,
        names: list[str],
        depth: int = 1,
        direction: str = "both",
        relation_type: str | None = None,
        limit: int = 1000,
        engine: str = "memory",
    ) -> dict[str, Any]:
        """Return ``{"entities", "relations", "truncated"}`` within ``depth`` of ``names``."""
        return self._call(
            "subgraph",
            names,
            depth,
            direction=direction,
            relation_type=relation_type,
            limit=limit,
            engine=engine,
        )

    def centrality(
        self, names: list[str] | None = None, kind: str = "degree", depth: int = 2, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Return ``[{"name", "entityType", "score"}]`` (degree, pagerank or betweenness)."""
        return self._call("centrality", names, kind, depth=depth, limit=limit)

    def communities(
        self, names: list[str] | None = None, depth: int = 2, limit: int = 50, seed: int = 0
    ) -> list[dict[str, Any]]:
        """Return ``[{"id", "size", "members"}]`` (Louvain), largest first."""
        return self._call("communities", names, depth=depth, limit=limit, seed=seed)

    # --- telemetry and audit -------------------------------------------------------------

    def record_event(
        self, kind: str, name: str, ok: bool, duration_ms: float, details: Any = None
    ) -> None:
        """Record a telemetry event (buffered by the owner; see telemetry.py)."""
        self._call("record_event", kind, name, ok, duration_ms, details)

    def events(
        self, limit: int = 100, kind: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the newest events first."""
        return self._call("events", limit, kind, name)

    def event_stats(self, by: str = "name") -> list[dict[str, Any]]:
        """Return per-name (or per-kind) count, errors, error_rate, avg/p50/p95 ms."""
        return self._call("event_stats", by)

    def audit(
        self, actor: str, action: str, target: str, outcome: str, details: Any = None
    ) -> None:
        """Append an audit record."""
        self._call("audit", actor, action, target, outcome, details)

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the newest audit records first."""
        return self._call("audit_log", limit)

    # --- tokens --------------------------------------------------------------------------

    def token_create(self, name: str, scopes: list[str]) -> tuple[str, dict[str, Any]]:
        """Return ``(secret, record)``; only a SHA-256 of the secret is stored."""
        secret, record = self._call("token_create", name, list(scopes), new_secret())
        return secret, record

    def token_list(self) -> list[dict[str, Any]]:
        """Return every token record (never a secret)."""
        return self._call("token_list")

    def token_revoke(self, name_or_id: str) -> bool:
        """Revoke a token by name or id; return whether an active one was revoked."""
        return bool(self._call("token_revoke", name_or_id))

    def token_verify(self, secret: str) -> dict[str, Any] | None:
        """Return the record of the active token with this secret, else None."""
        return self._call("token_verify", secret)

    # --- OpenAPI clients -----------------------------------------------------------------

    def openapi_client_put(
        self,
        name: str,
        spec_url: str,
        base_url: str,
        spec: dict[str, Any],
        title: str | None = None,
        spec_version: str = "",
    ) -> dict[str, Any]:
        """Record (or replace) a bootstrapped OpenAPI client and its whole spec; return the
        record (``name``, ``version`` (new on every put), ``spec_url``, ``base_url``,
        ``redacted``, ``title``, ``spec_version``, ``created_at``, ``updated_at``). Both URLs
        are stored with secrets redacted; ``redacted`` says the base URL lost one."""
        return self._call("openapi_client_put", name, spec_url, base_url, spec, title, spec_version)

    def openapi_client_get(self, name: str, with_spec: bool = True) -> dict[str, Any] | None:
        """Return a client's record (with its ``spec`` unless ``with_spec`` is false) or None."""
        return self._call("openapi_client_get", name, with_spec)

    def openapi_client_list(self) -> list[dict[str, Any]]:
        """Return every client's record (without specs), by name."""
        return self._call("openapi_client_list")

    def openapi_client_delete(self, name: str) -> bool:
        """Forget a client; return whether there was one."""
        return bool(self._call("openapi_client_delete", name))

    # --- the change feed -------------------------------------------------------------------

    def changes(self, cursor: int | None = None, limit: int = 1000) -> dict[str, Any]:
        """Return the entity names graph writes touched after ``cursor`` (any process's):
        ``{"cursor": newest seq read, "names": [...], "all": bool}``. ``cursor=None`` answers
        the current cursor and no names; ``all`` means "anything may have changed, read
        again" (the cursor is too old, or a snapshot was restored). See ``changes.py``."""
        return self._call("changes", cursor, limit)

    # --- import, export, dump ------------------------------------------------------------

    def import_jsonl(self, path: str | os.PathLike[str], progress: Any = None) -> dict[str, int]:
        """Import an official MCP memory server ``memory.jsonl``; return counts created."""
        from ouroboros.store.transfer import import_jsonl

        return import_jsonl(self, path, progress)

    def export_jsonl(self, path: str | os.PathLike[str], progress: Any = None) -> dict[str, int]:
        """Write the graph as a ``memory.jsonl`` the official server reads; return counts."""
        from ouroboros.store.transfer import export_jsonl

        return export_jsonl(self, path, progress)

    def dump_json(self, path: str | os.PathLike[str]) -> dict[str, int]:
        """Write everything (memory, graph with times, telemetry, audit, token hashes) as JSON."""
        from ouroboros.store.transfer import dump_json

        return dump_json(self, path)

    def restore_json(self, path: str | os.PathLike[str]) -> dict[str, int]:
        """Replace everything with a ``dump_json`` file; return the counts restored."""
        from ouroboros.store.transfer import restore_json

        return restore_json(self, path)

    def snapshot(self) -> dict[str, Any]:
        """Return everything as one JSON-ready dict (what ``dump_json`` writes)."""
        return self._call("snapshot")

    def restore_snapshot(self, data: dict[str, Any]) -> dict[str, int]:
        """Replace everything with a ``snapshot()``; return the counts restored."""
        return self._call("restore_snapshot", data)

    def checkpoint(self) -> None:
        """Flush telemetry and fold the WAL into the database file."""
        self._call("checkpoint")

    def info(self) -> dict[str, Any]:
        """Return the path, embedder, pending embeddings and counts."""
        return self._call("info")


def open_store(
    path: str | os.PathLike[str] | None = None,
    *,
    embedder: Embedder | str | None = "auto",
    timeout: float | None = None,
) -> Store:
    """Open the store at ``path`` (default ``default_db_path()``; ``":memory:"`` for tests).

    ``path`` may also be a URL: ``duckdb:///path``, or ``postgresql://user@host/db`` for the
    PostgreSQL backend; any other scheme is refused (InvalidInputError).
    Creates parent directories only for the default data dir (a missing folder elsewhere is a
    StoreError). If another process owns the file this one becomes its client.
    ``embedder``: ``"auto"`` (MiniLM when installed), ``"hash"``, ``"minilm"``, None, or an
    ``Embedder``. Raises StoreBusyError if the file cannot be reached within ``timeout`` s.
    """
    where = parse_location(default_db_path() if path is None else path)
    if where.kind == "memory":
        return Store(":memory:", embedder=embedder, timeout=timeout)
    if where.kind == "postgres":
        return _open_postgres(where.target, embedder=embedder, timeout=timeout)
    real = os.path.realpath(os.path.expanduser(where.target))
    _check_folder(real)
    return Store(real, embedder=embedder, timeout=timeout)


def _check_folder(real: str) -> None:
    """Create the folders of the default data dir only; elsewhere refuse a missing or
    unwritable folder in one line (a mistyped ``--db`` must not create directories)."""
    folder = Path(real).parent
    if real == os.path.realpath(data_dir_db_path()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data folder {folder}: {exc.strerror}") from None
        return
    if not folder.is_dir():
        raise StoreError(
            f"cannot open the database {real}: the folder {folder} does not exist (create it, "
            "or choose another --db / OUROBOROS_DB)"
        )
    if not os.path.exists(real) and not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"cannot create the database {real}: the folder {folder} is not writable")


def _open_postgres(url: str, *, embedder: Embedder | str | None, timeout: float | None) -> Store:
    from ouroboros.store.location import redact
    from ouroboros.store.pgstore import PgStore

    backend = PgStore(url, timeout=10.0 if timeout is None else timeout)
    return Store(redact(url), embedder=None, timeout=timeout, backend=backend)
