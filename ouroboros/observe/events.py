"""The live event feed: tool calls, queries, writes, requests, agent turns and errors, in process.

``publish(kind, name, ok=..., duration_ms=..., details=...)`` is cheap and thread-safe; it keeps
the last ``RECENT`` events and hands each to every subscriber (the dashboard's WebSocket). A slow
subscriber loses events (its queue is bounded) rather than slowing the caller. Details are
redacted before they are kept.

Kinds used: ``request`` (HTTP), ``query`` (EQL), ``tool``, ``write`` (a tool that writes),
``model`` (an LLM call), ``agent`` (an agent turn: call ``publish("agent", ...)``), ``error``.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from ouroboros.observe.context import current_request_id
from ouroboros.observe.redact import redact_mapping

__all__ = ["RECENT", "Subscription", "publish", "recent", "subscribe"]

RECENT = 500
_QUEUE = 1000

_lock = threading.Lock()
_recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
_subscribers: list[Subscription] = []
_ids = itertools.count(1)


class Subscription:
    """One subscriber's bounded queue on its own event loop; ``await get()`` the next event."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=_QUEUE)
        self.dropped = 0

    def _offer(self, event: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1

    async def get(self) -> dict[str, Any]:
        """Return the next event."""
        return await self.queue.get()

    def close(self) -> None:
        """Stop receiving events."""
        with _lock:
            if self in _subscribers:
                _subscribers.remove(self)


def subscribe() -> Subscription:
    """Return a subscription on the running event loop (close it when done)."""
    sub = Subscription(asyncio.get_running_loop())
    with _lock:
        _subscribers.append(sub)
    return sub


def publish(
    kind: str,
    name: str,
    *,
    ok: bool = True,
    duration_ms: float | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Record one event and send it to every subscriber; return the event. Never raises."""
    event: dict[str, Any] = {
        "id": next(_ids),
        "time": time.time(),
        "kind": kind,
        "name": name,
        "ok": ok,
        "duration_ms": None if duration_ms is None else round(duration_ms, 3),
        "request_id": current_request_id(),
        "details": redact_mapping(dict(details)) if details else {},
    }
    with _lock:
        _recent.append(event)
        subscribers = list(_subscribers)
    for sub in subscribers:
        try:
            sub.loop.call_soon_threadsafe(sub._offer, event)
        except RuntimeError:  # that loop is closed: drop the subscriber
            sub.close()
    return event


def recent(limit: int = RECENT) -> list[dict[str, Any]]:
    """Return up to ``limit`` of the latest events, oldest first."""
    with _lock:
        items = list(_recent)
    return items[-limit:] if limit < len(items) else items
