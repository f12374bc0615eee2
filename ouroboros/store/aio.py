"""``AsyncStore``: the store's methods as coroutines, each run in a worker thread (anyio)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread

if TYPE_CHECKING:
    from ouroboros.store.store import Store

__all__ = ["AsyncStore"]

_SYNC_ONLY = frozenset({"close", "role", "aio", "path"})


class AsyncStore:
    """``await store.aio.search("alice")`` — every public ``Store`` method, awaitable."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        """The sync store underneath."""
        return self._store

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("_") or name in _SYNC_ONLY:
            raise AttributeError(name)
        method = getattr(self._store, name)
        if not callable(method):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await anyio.to_thread.run_sync(functools.partial(method, *args, **kwargs))

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call

    async def aclose(self) -> None:
        """Close the store (in a worker thread: an owner may wait for running writes)."""
        await anyio.to_thread.run_sync(self._store.close)
