"""The live event feed: tool calls, queries, writes, requests, agent turns and errors.

``publish(kind, name, ok=..., duration_ms=..., details=...)`` is cheap and thread-safe; it keeps
the last ``RECENT`` events and hands each to every subscriber (the dashboard's WebSocket). A slow
subscriber loses events (its queue is bounded) rather than slowing the caller. Details are
redacted before they are kept.

Across processes: the feed itself is per process, and the store carries it between processes
on one database (``ouroboros.store.eventrelay``). It listens to this process's events
(``add_listener``: called for each event published here, never for one received) and hands
events from other processes to ``receive``, which keeps and sends them like local ones, with
``"origin": {"pid": ...}`` added.

Kinds used: ``request`` (HTTP), ``query`` (EQL), ``tool``, ``write`` (a tool that writes),
``model`` (an LLM call), ``agent`` (an agent turn: call ``publish("agent", ...)``), ``error``.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from ouroboros.observe.context import current_request_id
from ouroboros.observe.redact import redact_mapping

__all__ = [
    "RECENT",
    "Subscription",
    "add_listener",
    "has_subscribers",
    "publish",
    "receive",
    "recent",
    "remove_listener",
    "subscribe",
    "subscribed",
]

RECENT = 500
_QUEUE = 1000

_lock = threading.Lock()
_recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
_subscribers: list[Subscription] = []
_ids = itertools.count(1)
_listeners: list[Callable[[dict[str, Any]], None]] = []
subscribed = threading.Event()
"""Set while at least one subscriber is open (relays fetch other processes' events only then)."""


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
            if not _subscribers:
                subscribed.clear()


def subscribe() -> Subscription:
    """Return a subscription on the running event loop (close it when done)."""
    sub = Subscription(asyncio.get_running_loop())
    with _lock:
        _subscribers.append(sub)
        subscribed.set()
    return sub


def has_subscribers() -> bool:
    """Return whether anyone is watching the feed in this process."""
    return subscribed.is_set()


def add_listener(listener: Callable[[dict[str, Any]], None]) -> None:
    """Call ``listener(event)`` for each event published in this process (it must be quick and
    must not raise; a relay queues the event)."""
    with _lock:
        if listener not in _listeners:
            _listeners.append(listener)


def remove_listener(listener: Callable[[dict[str, Any]], None]) -> None:
    """Stop calling ``listener``."""
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


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
    listeners = _deliver(event)
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # a relay must never break the caller
            pass
    return event


def receive(event: Mapping[str, Any], origin: Mapping[str, Any]) -> dict[str, Any] | None:
    """Keep and send an event published by another process (its ``origin``, e.g. its pid);
    return it, or None for something that is not an event. Listeners are not called (the
    event is already shared). Never raises."""
    try:
        kind, name = event["kind"], event["name"]
        if not isinstance(kind, str) or not isinstance(name, str):
            return None
        details = event.get("details")
        duration = event.get("duration_ms")
        received: dict[str, Any] = {
            "id": next(_ids),
            "time": float(event.get("time") or time.time()),
            "kind": kind[:100],
            "name": name[:300],
            "ok": bool(event.get("ok", True)),
            "duration_ms": None if duration is None else round(float(duration), 3),
            "request_id": event.get("request_id"),
            "details": redact_mapping(dict(details)) if isinstance(details, Mapping) else {},
            "origin": dict(origin),
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    _deliver(received)
    return received


def _deliver(event: dict[str, Any]) -> list[Callable[[dict[str, Any]], None]]:
    with _lock:
        _recent.append(event)
        subscribers = list(_subscribers)
        listeners = list(_listeners)
    for sub in subscribers:
        try:
            sub.loop.call_soon_threadsafe(sub._offer, event)
        except RuntimeError:  # that loop is closed: drop the subscriber
            sub.close()
    return listeners


def recent(limit: int = RECENT) -> list[dict[str, Any]]:
    """Return up to ``limit`` of the latest events, oldest first."""
    with _lock:
        items = list(_recent)
    return items[-limit:] if limit < len(items) else items
