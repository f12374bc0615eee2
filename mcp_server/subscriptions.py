"""``subscriptions/listen`` (MCP 2026-07-28): a client watching the graph or one entity hears
when a write changes it, whichever process or instance made the write.

The source of truth is the store's change feed (``Store.changes``, see
``ouroboros/store/changes.py``): every graph write of every process on the database appends
the names it touched. While at least one listen stream is open, ``ChangeBus`` reads the feed
every ``interval`` seconds (in a worker thread; none while nobody listens) and publishes a
``notifications/resources/updated`` for each subscribed URI the new rows touch:

- ``memory://knowledge-graph`` and ``ouroboros://graph{?offset,limit}``: any graph change;
- ``ouroboros://entity/{name}``: a change to that entity (``all`` in the feed: every entity).

The SDK's ``ListenHandler`` does the rest (the acknowledgement first, the subscription id on
every frame, only what the client asked for). Opening a stream needs the ``read`` scope.
Clients at 2025-11-25 (``resources/subscribe``) are not served: that revision's notifications
ride the standing GET stream, which the SDK no longer drives at the 2026-07-28 era.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.lowlevel
import mcp_types as types
from mcp.server.subscriptions import ListenHandler, ResourceUpdated, ServerEvent
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_REQUEST

from .resources import GRAPH_URI

__all__ = ["DEFAULT_INTERVAL", "ChangeBus", "listen_handler"]

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 0.25  # seconds between reads of the change feed while someone listens
ENTITY_PREFIX = "ouroboros://entity/"
PAGE_PREFIX = "ouroboros://graph"

ChangeFeed = Callable[..., dict[str, Any]]
"""``changes(cursor) -> {"cursor", "names", "all"}`` (``Store.changes``)."""


class ChangeBus:
    """An SDK ``SubscriptionBus`` fed by the store's change feed (read only while listened to)."""

    def __init__(self, changes: ChangeFeed, *, interval: float = DEFAULT_INTERVAL) -> None:
        self._changes = changes
        self.interval = interval
        self._listeners: dict[object, Callable[[ServerEvent], None]] = {}
        self._watched: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._cursor: int | None = None

    # --- the SubscriptionBus protocol ------------------------------------------------------

    async def publish(self, event: ServerEvent) -> None:
        """Deliver ``event`` to every listener (a raising one is logged and skipped)."""
        for listener in list(self._listeners.values()):
            try:
                listener(event)
            except Exception:  # fan-out boundary: one bad listener must not starve the rest
                log.exception("subscription listener raised; continuing")
        await anyio.lowlevel.checkpoint()

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        """Register ``listener``; the first one starts reading the feed from now."""
        token = object()
        self._listeners[token] = listener
        if self._task is None or self._task.done():
            self._cursor = self._changes(None)["cursor"]  # a local read or one socket call
            self._task = asyncio.get_running_loop().create_task(self._poll())

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe

    # --- which URIs the open streams watch -------------------------------------------------

    def watch(self, uris: Iterable[str]) -> None:
        self._watched.update(uris)

    def unwatch(self, uris: Iterable[str]) -> None:
        self._watched.subtract(uris)
        self._watched += Counter()  # drop counts at zero

    def events_for(self, change: dict[str, Any]) -> list[ServerEvent]:
        """The resource-updated events a feed answer means for the URIs watched now."""
        names = set(change.get("names") or ())
        everything = bool(change.get("all"))
        if not names and not everything:
            return []
        events: list[ServerEvent] = []
        for uri in list(self._watched):
            if uri == GRAPH_URI or uri.startswith(PAGE_PREFIX):
                events.append(ResourceUpdated(uri=uri))
            elif uri.startswith(ENTITY_PREFIX):
                name = unquote(uri[len(ENTITY_PREFIX) :])
                if everything or name in names:
                    events.append(ResourceUpdated(uri=uri))
        return events

    async def _poll(self) -> None:
        while self._listeners:
            await asyncio.sleep(self.interval)
            if not self._listeners:
                break
            try:
                change = await anyio.to_thread.run_sync(self._changes, self._cursor)
            except Exception as exc:  # the store is closing, or the owner is changing
                log.debug("reading the change feed failed: %s", exc)
                continue
            self._cursor = change.get("cursor", self._cursor)
            for event in self.events_for(change):
                await self.publish(event)


def listen_handler(
    bus: ChangeBus, caller_of: Callable[[Any], Any]
) -> Callable[[Any, types.SubscriptionsListenRequestParams], Any]:
    """The ``subscriptions/listen`` handler: the read scope, then the SDK's ``ListenHandler``."""
    handler = ListenHandler(bus)

    async def listen(
        ctx: Any, params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        caller = caller_of(ctx)
        if not caller.can("read"):
            raise MCPError(INVALID_REQUEST, f"the caller {caller.id!r} has no read scope")
        uris = list(params.notifications.resource_subscriptions or ())
        bus.watch(uris)
        try:
            return await handler(ctx, params)
        finally:
            bus.unwatch(uris)

    return listen
