"""Conversation memory: turns stored as they happen, and recall packed into a token budget.

The plug point is ``ConversationMemory`` (``record`` turns, ``recall`` context). The default,
``StoreConversationMemory``, is ``ouroboros.memory``: each turn becomes a ``turn`` entity
``<conversation>#<id>`` with speaker and time, ``part_of`` its conversation (``ingest_turns``),
and ``recall`` ranks turns, chunks and observations over the whole graph and packs them into
the budget; the current conversation's own turns are left out (the loop already holds them).

A turn is ``{"id", "speaker": "user" | "assistant" | "tool", "text", "time": ISO-8601}``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio

from ouroboros import memory as knowledge_memory
from ouroboros.memory.retrieval import MAX_QUERY_CHARS

__all__ = [
    "ConversationMemory",
    "StoreConversationMemory",
    "Turn",
    "make_turn",
    "pack_lines",
]

log = logging.getLogger(__name__)

Turn = dict[str, Any]
MAX_TURN_CHARS = 16_000  # a tool result can be large; memory keeps its start
MAX_RECALL_LINE = 600


def make_turn(speaker: str, text: str) -> Turn:
    """Return a turn with a fresh id, stamped with the current UTC time."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "id": uuid.uuid4().hex[:12],
        "speaker": speaker,
        "text": text[:MAX_TURN_CHARS] if text.strip() else "(empty)",
        "time": now,
    }


def pack_lines(lines: Sequence[str], budget_tokens: int) -> str:
    """Return as many whole ``lines`` as fit ``budget_tokens`` (about 4 characters a token)."""
    budget_chars = budget_tokens * 4
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget_chars:
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


class ConversationMemory(Protocol):
    """Where the agent keeps conversations and what it remembers before each model call."""

    async def record(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        """Store ``turns`` of ``conversation_id`` (in order, as they happen)."""
        ...

    async def recall(self, query: str, *, conversation_id: str, budget_tokens: int) -> str:
        """Return what is worth knowing for ``query``, within ``budget_tokens``."""
        ...


class StoreConversationMemory:
    """Conversations in the knowledge store through ``ouroboros.memory``."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def record(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        """Store ``turns`` now (the write runs in a worker thread)."""
        if turns:
            await anyio.to_thread.run_sync(
                knowledge_memory.ingest_turns, self.store, conversation_id, list(turns)
            )

    async def recall(self, query: str, *, conversation_id: str, budget_tokens: int) -> str:
        """Return remembered context for ``query`` within ``budget_tokens`` ("" for none)."""
        if budget_tokens <= 0 or not query.strip():
            return ""
        return await anyio.to_thread.run_sync(self._recall, query, conversation_id, budget_tokens)

    def _recall(self, query: str, conversation_id: str, budget_tokens: int) -> str:
        found = knowledge_memory.recall(
            self.store, query[:MAX_QUERY_CHARS], budget_tokens=budget_tokens
        )
        lines = [
            item["text"][:MAX_RECALL_LINE]
            for item in found["items"]
            if item["source"].get("document") != conversation_id
        ]
        return pack_lines(lines, budget_tokens)
