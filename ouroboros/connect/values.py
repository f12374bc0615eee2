"""Values with a meaning for the runner: ``final(x)`` (Pathom's ``pco/final-value``).

A resolver (or a mutation) that returns ``{"user/profile": final({...})}`` tells the runner not
to look inside that value: a join on ``:user/profile`` returns it as it is, whatever the
sub-query asks for, and no resolver runs for it. ``final`` marks a map or a list (a tuple comes
back as a list); anything else is returned unchanged, since the runner never looks inside it.
The marked values are plain ``dict`` / ``list`` subclasses, so they print and encode as usual.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FinalDict", "FinalList", "final", "is_final"]


class FinalDict(dict[Any, Any]):
    """A map the runner returns as it is (see ``final``)."""

    __slots__ = ()


class FinalList(list[Any]):
    """A sequence the runner returns as it is (see ``final``)."""

    __slots__ = ()


FINAL_TYPES = (FinalDict, FinalList)


def final(value: Any) -> Any:
    """Return ``value`` marked final: the runner will not process it with the sub-query."""
    if isinstance(value, FINAL_TYPES):
        return value
    if isinstance(value, dict):
        return FinalDict(value)
    if isinstance(value, (list, tuple)):
        return FinalList(value)
    return value


def is_final(value: Any) -> bool:
    """Return whether ``value`` was marked with ``final``."""
    return type(value) in FINAL_TYPES
