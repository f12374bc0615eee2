"""Conversation memory: turns stored as they happen, and recall packed into a token budget.

The plug point is ``ConversationMemory`` (``record`` turns, ``recall`` context). The default,
``StoreConversationMemory``, uses ``ouroboros.memory`` (``ingest_turns`` and ``recall``, the
memory issue's module) when it is installed in this build, and otherwise keeps each
conversation as a knowledge-graph entity ``conversation:<id>`` (type ``conversation``) with one
observation per turn, ``"<time> <speaker>: <text>"``, and recalls by ranked search over the
graph (earlier conversations included, the current one left out).

A turn is ``{"speaker": "user" | "assistant" | "tool:<name>", "text": str, "time": ISO-8601}``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, Protocol

import anyio

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
    """Return a turn stamped with the current UTC time."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"speaker": speaker, "text": text[:MAX_TURN_CHARS], "time": now}


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


def _memory_module() -> ModuleType | None:
    try:
        module = importlib.import_module("ouroboros.memory")
    except ImportError:
        return None
    if callable(getattr(module, "ingest_turns", None)) and callable(
        getattr(module, "recall", None)
    ):
        return module
    return None


def _recalled_text(found: Any) -> str:
    """The text of whatever ``ouroboros.memory.recall`` returned (text, items or a pack)."""
    if isinstance(found, str):
        return found
    text = getattr(found, "text", None)
    if isinstance(text, str):
        return text
    if isinstance(found, dict):
        for key in ("text", "context"):
            if isinstance(found.get(key), str):
                return str(found[key])
        found = found.get("items", [])
    lines = []
    for item in found or []:
        if isinstance(item, str):
            lines.append(item)
        elif isinstance(item, dict):
            lines.append(str(item.get("text") or item.get("content") or ""))
        else:
            lines.append(str(getattr(item, "text", item)))
    return "\n".join(line for line in lines if line)


def conversation_entity(conversation_id: str) -> str:
    """Return the knowledge-graph entity name of a conversation."""
    return f"conversation:{conversation_id}"


class StoreConversationMemory:
    """Conversations in the knowledge store (see the module docstring for the two ways)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.module = _memory_module()
        self._known: set[str] = set()

    @property
    def backend(self) -> str:
        """``ouroboros.memory`` or ``graph`` (the fallback)."""
        return "ouroboros.memory" if self.module is not None else "graph"

    async def record(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        """Store ``turns`` now (the write runs in a worker thread)."""
        if not turns:
            return
        await anyio.to_thread.run_sync(self._record, conversation_id, list(turns))

    def _record(self, conversation_id: str, turns: list[Turn]) -> None:
        if self.module is not None:
            self.module.ingest_turns(self.store, conversation_id, turns)
            return
        name = conversation_entity(conversation_id)
        if name not in self._known:
            self.store.create_entities(
                [{"name": name, "entityType": "conversation", "observations": []}]
            )
            self._known.add(name)
        contents = [f"{t['time']} {t['speaker']}: {t['text']}" for t in turns]
        self.store.add_observations([{"entityName": name, "contents": contents}])

    async def recall(self, query: str, *, conversation_id: str, budget_tokens: int) -> str:
        """Return remembered context for ``query`` within ``budget_tokens`` ("" for none)."""
        if budget_tokens <= 0 or not query.strip():
            return ""
        return await anyio.to_thread.run_sync(self._recall, query, conversation_id, budget_tokens)

    def _recall(self, query: str, conversation_id: str, budget_tokens: int) -> str:
        if self.module is not None:
            found = self.module.recall(self.store, query, budget_tokens=budget_tokens)
            return pack_lines(_recalled_text(found).splitlines(), budget_tokens)
        own = conversation_entity(conversation_id)
        hits = self.store.search(query, limit=10, mode="auto").get("results", [])
        lines: list[str] = []
        for hit in hits:
            if hit.get("name") == own:
                continue
            observations = hit.get("observations") or []
            line = f"{hit.get('name')} ({hit.get('entityType')}): " + "; ".join(observations[-5:])
            lines.append(line[:MAX_RECALL_LINE])
        return pack_lines(lines, budget_tokens)
