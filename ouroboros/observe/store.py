"""``observed``: a class decorator that counts, times and traces each public method of a store.

Applied at the ``Store`` interface (``@observed`` above the class), so every backend behind it is
measured the same way: ``ouroboros_store_operations_total{op}``, its ``_seconds`` histogram, an
error counter, and a ``store <op>`` span inside a traced request.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ouroboros.observe import metrics, tracing

__all__ = ["NOT_OBSERVED", "observed"]

T = TypeVar("T", bound=type)

NOT_OBSERVED = frozenset({"close", "answers_in_memory", "aio", "role"})
"""Methods left alone: plumbing, not store operations."""


def _wrap(op: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def method(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        ok = False
        with tracing.span(f"store {op}", {"ouroboros.store.op": op}):
            try:
                result = fn(*args, **kwargs)
                ok = True
                return result
            finally:
                metrics.record_store(op, time.perf_counter() - started, ok)

    method.__observed__ = True  # type: ignore[attr-defined]
    return method


def observed(cls: T) -> T:
    """Return ``cls`` with each public, synchronous method it defines measured (see module doc)."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or name in NOT_OBSERVED:
            continue
        if not inspect.isfunction(value) or inspect.iscoroutinefunction(value):
            continue
        if getattr(value, "__observed__", False):
            continue
        setattr(cls, name, _wrap(name, value))
    return cls
