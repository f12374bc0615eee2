"""The knowledge store on DuckDB: memory, knowledge graph, search, traversal, telemetry, tokens.

``open_store(path)`` returns a ``Store``; the first process to open a file owns it and serves
the others over a local socket (see ``ownership``), so every process gets the same interface.
"""

from __future__ import annotations

from ouroboros.store.aio import AsyncStore
from ouroboros.store.embedding import Embedder, HashedNgramEmbedder, MiniLMEmbedder
from ouroboros.store.shapes import official_entity, official_graph, official_relation
from ouroboros.store.store import Store, open_store

__all__ = [
    "AsyncStore",
    "Embedder",
    "HashedNgramEmbedder",
    "MiniLMEmbedder",
    "Store",
    "official_entity",
    "official_graph",
    "official_relation",
    "open_store",
]
