"""Search over the graph: keyword (BM25), semantic (cosine) and hybrid (reciprocal rank fusion).

``mode="auto"`` is hybrid when an embedder is configured and keyword otherwise (silently: the
servers say once, in their MCP instructions and start-up lines, that semantic search is off, see
``semantic_search_note``); asking for semantic or hybrid without one falls back to keyword and
says so in ``note``. Hybrid fuses the
two rankings with RRF (score = Σ 1 / (60 + rank)), which needs no score calibration between
BM25 and cosine.

``total`` is the number of matching entities. In keyword mode it is exact whenever that is cheap
(see ``textindex``); when it had to be estimated the result also carries
``"total_is_estimate": true`` (the key is absent otherwise, so existing callers that read
``total`` as an integer are unaffected).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ouroboros.errors import InvalidInputError
from ouroboros.store.analysis import analyze, contains_phrase, parse_query
from ouroboros.store.graphstate import GraphState
from ouroboros.store.vectors import VectorIndex

__all__ = ["MODES", "NO_EMBEDDER_NOTE", "PG_NOTE", "Searcher", "semantic_search_note"]

MODES = ("auto", "keyword", "semantic", "hybrid")
RRF_K = 60
MAX_LIMIT = 1000
NO_EMBEDDER_NOTE = (
    "semantic search is not available (no embedding model): keyword results only; "
    "install torch==2.13.0 then ouroboros-engine[embeddings] to enable it"
)
PG_NOTE = "semantic search is not available on PostgreSQL yet: keyword results only"


def semantic_search_note(info: Mapping[str, Any]) -> str | None:
    """Return why semantic search is off for a store whose ``info()`` is ``info`` (None: it is on).

    Said once per server (MCP instructions, start-up lines), not in every search result."""
    if info.get("embedder"):
        return None
    return PG_NOTE if info.get("backend") == "postgres" else NO_EMBEDDER_NOTE


class Searcher:
    """Runs a search and hydrates hits into entity results."""

    def __init__(self, state: GraphState, vectors: VectorIndex | None) -> None:
        self.state = state
        self.vectors = vectors

    def search(self, query: Any, limit: int = 10, mode: str = "auto") -> dict[str, Any]:
        """Return ``{"mode", "results": [{name, entityType, observations, score}], "total",
        "total_is_estimate"?, "note"?}``."""
        if not isinstance(query, str) or not query.strip():
            raise InvalidInputError("search query must be a non-empty string")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInputError(f"limit must be an integer from 1 to {MAX_LIMIT}")
        if mode not in MODES:
            raise InvalidInputError(f"mode must be one of {', '.join(MODES)}")
        note = None
        estimated = False
        used = mode
        if mode == "auto":
            used = "hybrid" if self.vectors is not None else "keyword"
        if used in ("semantic", "hybrid") and self.vectors is None:
            used, note = "keyword", NO_EMBEDDER_NOTE  # asked for explicitly: say why not

        accept = self._phrase_check(query)
        if accept is not None and used != "keyword":
            used = "keyword"  # an exact phrase is a keyword constraint: honour it exactly
        if used == "keyword":
            with self.state.lock:
                hits, total, estimated = self.state.index.search_with_total(query, limit, accept)
            ranked = [(h.doc, h.score) for h in hits]
        elif used == "semantic":
            assert self.vectors is not None
            ranked = self.vectors.search(query, limit)
            total = len(ranked)
        else:
            assert self.vectors is not None
            depth = max(limit * 3, 30)
            with self.state.lock:
                kw, _ = self.state.index.search(query, depth)
            sem = self.vectors.search(query, depth)
            fused: dict[int, float] = {}
            for rank, hit in enumerate(kw, 1):
                fused[hit.doc] = fused.get(hit.doc, 0.0) + 1.0 / (RRF_K + rank)
            for rank, (doc, _score) in enumerate(sem, 1):
                fused[doc] = fused.get(doc, 0.0) + 1.0 / (RRF_K + rank)
            ordered = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
            total = len(ordered)
            ranked = ordered[:limit]

        results = []
        with self.state.lock:  # (reentrant: ``accept`` ran under it too)
            for doc, score in ranked:
                rec = self.state.entities.get(doc)
                if rec is not None:
                    results.append(
                        {
                            "name": rec.name,
                            "entityType": rec.entity_type,
                            "observations": list(rec.observations),
                            "score": round(score, 6),
                        }
                    )
        out: dict[str, Any] = {"mode": used, "results": results, "total": total}
        if estimated:
            out["total_is_estimate"] = True
        if note:
            out["note"] = note
        return out

    def _phrase_check(self, query: str) -> Callable[[int], bool] | None:
        """Return ``accept(doc)`` for a query with quoted phrases (None without): whether one
        field of the entity (its name, type or one observation) holds every phrase."""
        phrases = parse_query(query).phrases
        if not phrases:
            return None
        entities = self.state.entities

        def accept(doc: int) -> bool:
            rec = entities.get(doc)
            if rec is None:
                return False
            fields = [analyze(t) for t in (rec.name, rec.entity_type, *rec.observations)]
            return all(any(contains_phrase(f, p) for f in fields) for p in phrases)

        return accept
