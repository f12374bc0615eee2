"""Hashable keys: frozen forms of params and inputs for the plan and resolver caches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["freeze"]


def freeze(value: Any) -> Any:
    """Return a hashable, equality-preserving form of ``value`` (maps, lists and sets frozen)."""
    if isinstance(value, Mapping):
        return ("{}", frozenset((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(freeze(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("#{}", frozenset(freeze(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value
