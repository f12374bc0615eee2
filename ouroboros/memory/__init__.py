"""Memory: time, ingestion of documents and conversations, and recall within a token budget.

Entry points (plain Python, over any ``Store``):
- ``recall(store, query, *, limit=None, budget_tokens=1000, as_of=None, filters=None)``
  → ``{"items": [{"text", "score", "source"}], "tokens", "truncated", "mode"}``;
- ``ingest_turns(store, conversation_id, turns)`` appends conversation turns;
- ``ingest_transcript``, ``ingest_document``, ``ingest_paths`` take in transcripts and files;
- ``count_tokens`` (offline BPE), ``parse_time`` (ISO 8601 and unambiguous human times).
"""

from __future__ import annotations

from ouroboros.memory.chunking import Chunk, chunk_text
from ouroboros.memory.ingest import (
    ingest_document,
    ingest_paths,
    ingest_transcript,
    ingest_turns,
    turn_name,
)
from ouroboros.memory.retrieval import recall
from ouroboros.memory.tokenizer import count_tokens, tokenizer_name
from ouroboros.store.timeparse import parse_time

__all__ = [
    "Chunk",
    "chunk_text",
    "count_tokens",
    "ingest_document",
    "ingest_paths",
    "ingest_transcript",
    "ingest_turns",
    "parse_time",
    "recall",
    "tokenizer_name",
    "turn_name",
]
