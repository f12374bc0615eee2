"""Cache stores: where resolver results are kept beyond one request (Pathom's ``CacheStore``).

Every request has its own resolver cache (a dict: one call per distinct input, failures
included). A *cache store* keeps successful results across requests: pass one to
``Engine(resolver_cache=...)`` for every cacheable resolver, or ``@resolver(cache_store=...)``
for one. Any object with ``get(key, default)`` and ``store[key] = value`` works — a plain
``dict`` (unbounded), ``LRUCache(maxsize)`` below, or an adapter over a persistent store (its
values are the resolver's output maps, its keys tuples of the resolver name, params and input).

The plan cache is pluggable the same way: ``Engine(plan_cache=...)`` takes any object with
``get(key) -> plan | None`` and ``put(key, plan)`` (``PlanCache`` is the default LRU).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Protocol

__all__ = ["CacheStore", "LRUCache", "PlanStore"]


class CacheStore(Protocol):
    """A resolver cache store: ``get(key, default)`` and ``store[key] = value``."""

    def get(self, key: Hashable, default: Any = None, /) -> Any: ...

    def __setitem__(self, key: Hashable, value: Any, /) -> None: ...


class PlanStore(Protocol):
    """A plan cache store: ``get(key) -> plan | None`` and ``put(key, plan)``."""

    def get(self, key: Hashable) -> Any: ...

    def put(self, key: Hashable, plan: Any) -> None: ...


class LRUCache:
    """A thread-safe cache store keeping the ``maxsize`` most recently used entries."""

    def __init__(self, maxsize: int = 10_000) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, default: Any = None, /) -> Any:
        with self._lock:
            try:
                value = self._data[key]
            except KeyError:
                self.misses += 1
                return default
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def __setitem__(self, key: Hashable, value: Any, /) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0
