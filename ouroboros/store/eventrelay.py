"""The live event feed across processes on one database: on a DuckDB file the owner is the hub.

Every process on a database file is its owner or a client of the owner (``ownership``), so the
owner is where the feeds meet:

- ``OwnerHub`` (one per ``Owner``) keeps the last ``KEEP`` events of every process with a
  sequence number: this process's own (an ``events`` listener) and those clients send
  (``_events_put``, which also shows them in this process's feed). A client asks for the events
  after its cursor that came from other processes (``_events_get``, a long poll of up to
  ``WAIT`` seconds that returns at once when one arrives).
- ``ClientRelay`` (one per database in a client process) sends this process's events to the
  owner in batches from a thread (so publishing stays cheap), and, only while someone watches
  this process's feed (a dashboard WebSocket), long-polls the owner for the others' events.
  ``close`` sends what is queued first, so a short ``ouroboros tools call`` loses nothing.

On PostgreSQL there is no owner: ``PgRelay`` uses ``NOTIFY`` / ``LISTEN`` (see its doc).

Events are the feed's own dicts (already redacted); a received one gets ``"origin": {"pid"}``.
After a failover the new owner starts a new hub (a new ``epoch``): clients start again from
its present, so events in flight during the switch may be missed, never repeated.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from ouroboros.observe import events

__all__ = ["KEEP", "WAIT", "ClientRelay", "OwnerHub", "PgRelay", "client_relay", "pg_relay"]

log = logging.getLogger(__name__)

KEEP = 2000
WAIT = 1.0
MAX_BATCH = 200
MAX_QUEUE = 5000

OwnerCall = Callable[[str, list[Any]], Any]


class OwnerHub:
    """The owner's ring of recent events from every process (thread-safe)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.epoch = uuid.uuid4().hex[:12]
        self._cond = threading.Condition()
        self._ring: deque[tuple[int, int, dict[str, Any]]] = deque(maxlen=KEEP)
        self._seq = 0
        self._closed = False
        events.add_listener(self._local)

    def _local(self, event: dict[str, Any]) -> None:
        self._add(self.pid, [event])

    def _add(self, pid: int, batch: list[dict[str, Any]]) -> None:
        with self._cond:
            for event in batch:
                self._seq += 1
                self._ring.append((self._seq, pid, event))
            self._cond.notify_all()

    def handle(self, method: str, args: list[Any]) -> Any:
        """Answer ``_events_put`` / ``_events_get`` (from a client, or this process's own
        relay after it became the owner)."""
        if method == "_events_put":
            pid, batch = int(args[0]), args[1]
            return self.put(pid, batch if isinstance(batch, list) else [])
        after, epoch, pid, wait = args
        return self.since(after, epoch, int(pid), float(wait))

    def put(self, pid: int, batch: list[Any]) -> int:
        """Keep a client's events and show them in this process's feed; return how many."""
        kept: list[dict[str, Any]] = []
        for event in batch[:MAX_BATCH]:
            if not isinstance(event, dict):
                continue
            if pid != self.pid and events.receive(event, {"pid": pid}) is None:
                continue
            kept.append(event)
        self._add(pid, kept)
        return len(kept)

    def since(self, after: Any, epoch: Any, pid: int, wait: float) -> dict[str, Any]:
        """Return ``{"epoch", "cursor", "events": [[pid, event], ...]}``: the events after
        ``after`` from processes other than ``pid``, waiting up to ``wait`` seconds for one.
        A cursor of another epoch (or none) starts at the present."""
        deadline = time.monotonic() + min(max(wait, 0.0), 10.0)
        with self._cond:
            if epoch != self.epoch or not isinstance(after, int):
                return {"epoch": self.epoch, "cursor": self._seq, "events": []}
            while True:
                found = [[p, e] for seq, p, e in self._ring if seq > after and p != pid]
                left = deadline - time.monotonic()
                if found or self._closed or left <= 0:
                    return {"epoch": self.epoch, "cursor": self._seq, "events": found}
                self._cond.wait(left)

    def close(self) -> None:
        """Stop listening and wake every long poll."""
        events.remove_listener(self._local)
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class ClientRelay:
    """This client process's side of the hub for one database (see the module doc)."""

    def __init__(self, call: OwnerCall, is_owner: Callable[[], bool]) -> None:
        self.pid = os.getpid()
        self._call = call
        self._is_owner = is_owner
        self._queue: deque[dict[str, Any]] = deque(maxlen=MAX_QUEUE)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        events.add_listener(self._local)
        self._threads = [
            threading.Thread(target=self._sender, name="ouroboros-events-out", daemon=True),
            threading.Thread(target=self._fetcher, name="ouroboros-events-in", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _local(self, event: dict[str, Any]) -> None:
        self._queue.append(event)
        self._wake.set()

    def send(self) -> None:
        """Send every queued event to the owner now (dropped on failure: it is a live feed)."""
        with self._send_lock:
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
                if self._is_owner():
                    continue  # this process became the owner: its hub has its own events
                try:
                    self._call("_events_put", [self.pid, batch])
                except Exception as exc:
                    log.debug("could not send %d events to the store owner: %s", len(batch), exc)
                    return

    def _sender(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if not self._stop.is_set():
                self.send()

    def _fetcher(self) -> None:
        cursor: int | None = None
        epoch: str | None = None
        while not self._stop.is_set():
            if not events.subscribed.wait(WAIT) or self._is_owner():
                cursor = None  # nobody watches (or our own hub feeds us): start afresh later
                if self._is_owner():
                    self._stop.wait(WAIT)
                continue
            try:
                answer = self._call("_events_get", [cursor, epoch, self.pid, WAIT])
            except Exception as exc:
                if self._stop.is_set():
                    return
                log.debug("could not read events from the store owner: %s", exc)
                self._stop.wait(WAIT)
                continue
            if not isinstance(answer, dict):
                self._stop.wait(WAIT)
                continue
            epoch, cursor = answer.get("epoch"), answer.get("cursor")
            for pid, event in answer.get("events") or ():
                if isinstance(event, dict):
                    events.receive(event, {"pid": pid})

    def close(self) -> None:
        """Send what is queued, then stop."""
        events.remove_listener(self._local)
        self.send()
        self._stop.set()
        self._wake.set()


class PgRelay:
    """The feed across processes on one PostgreSQL database: ``NOTIFY`` out, ``LISTEN`` in.

    This process's events go out from a thread as ``pg_notify('ouroboros_events', json)`` (a
    payload over PostgreSQL's 8000-byte limit loses its details); while someone watches this
    process's feed, a connection of its own listens and hands the others' events to the feed.
    """

    CHANNEL = "ouroboros_events"
    MAX_PAYLOAD = 7900

    def __init__(self, url: str, pool: Any) -> None:
        self.pid = os.getpid()
        self.origin = uuid.uuid4().hex  # this process, whichever host it runs on
        self._url = url
        self._pool = pool
        self._queue: deque[dict[str, Any]] = deque(maxlen=MAX_QUEUE)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        events.add_listener(self._local)
        self._threads = [
            threading.Thread(target=self._sender, name="ouroboros-events-out", daemon=True),
            threading.Thread(target=self._listener, name="ouroboros-events-in", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _local(self, event: dict[str, Any]) -> None:
        self._queue.append(event)
        self._wake.set()

    def _payload(self, event: dict[str, Any]) -> str:
        text = json.dumps({"o": self.origin, "p": self.pid, "e": event}, default=str)
        if len(text.encode()) > self.MAX_PAYLOAD:
            text = json.dumps({"o": self.origin, "p": self.pid, "e": {**event, "details": {}}})
        return text

    def send(self) -> None:
        """NOTIFY every queued event now (dropped on failure: it is a live feed)."""
        with self._send_lock:
            if not self._queue:
                return
            batch = [self._payload(self._queue.popleft()) for _ in range(len(self._queue))]
            try:
                with self._pool.connection() as conn, conn.cursor() as cur:
                    for payload in batch:
                        if len(payload.encode()) <= self.MAX_PAYLOAD:
                            cur.execute("SELECT pg_notify(%s, %s)", [self.CHANNEL, payload])
            except Exception as exc:
                log.debug("could not NOTIFY %d events: %s", len(batch), exc)

    def _sender(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if not self._stop.is_set():
                self.send()

    def _listener(self) -> None:
        import psycopg

        while not self._stop.is_set():
            if not events.subscribed.wait(WAIT):
                continue
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {self.CHANNEL}")
                    while not self._stop.is_set() and events.has_subscribers():
                        for note in conn.notifies(timeout=WAIT):
                            self._received(note.payload)
            except Exception as exc:
                if self._stop.is_set():
                    return
                log.debug("LISTEN %s failed: %s", self.CHANNEL, exc)
                self._stop.wait(WAIT)

    def _received(self, payload: str) -> None:
        try:
            note = json.loads(payload)
        except ValueError:
            return
        if not isinstance(note, dict) or note.get("o") == self.origin:
            return  # our own NOTIFY comes back to us too
        event = note.get("e")
        if isinstance(event, dict):
            events.receive(event, {"pid": note.get("p")})

    def close(self) -> None:
        """Send what is queued, then stop."""
        events.remove_listener(self._local)
        self.send()
        self._stop.set()
        self._wake.set()


_relays: dict[str, tuple[Any, list[Any]]] = {}
_relays_lock = threading.Lock()


def client_relay(path: str, store: Any) -> Callable[[], None]:
    """Share ``path``'s relay with ``store`` (a client Store; made on first use); return the
    function that lets go of it (the last one closes the relay)."""

    def make(holders: list[Any]) -> ClientRelay:
        def call(method: str, args: list[Any]) -> Any:
            return holders[0]._owner_call(method, args)

        def is_owner() -> bool:
            return bool(holders) and holders[0].role == "owner"

        return ClientRelay(call, is_owner)

    return _share(f"duckdb:{path}", store, make)


def pg_relay(url: str, store: Any, pool: Any) -> Callable[[], None]:
    """Share the relay of the PostgreSQL database at ``url`` with ``store``; return the function
    that lets go of it (the last one closes the relay)."""
    return _share(f"postgres:{url}", store, lambda _holders: PgRelay(url, pool))


def _share(key: str, store: Any, make: Callable[[list[Any]], Any]) -> Callable[[], None]:
    with _relays_lock:
        entry = _relays.get(key)
        if entry is None:
            holders: list[Any] = []
            entry = (make(holders), holders)
            _relays[key] = entry
        entry[1].append(store)

    def release() -> None:
        with _relays_lock:
            relay, holders = entry
            if store in holders:
                if len(holders) == 1:
                    _relays.pop(key, None)
                    try:
                        relay.close()  # sent through this store, before it closes
                    finally:
                        holders.remove(store)
                    return
                holders.remove(store)

    return release
