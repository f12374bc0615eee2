"""Sentinels: the marker values the runner puts where a join or selection has no plain value."""

from __future__ import annotations

from typing import Any

__all__ = ["CUT", "DROP", "INCOMPLETE", "MISSING"]


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Any = _Marker("MISSING")
CUT: Any = _Marker("CUT")  # a recursive join not descended (a cycle in the data)
DROP: Any = _Marker("DROP")  # a union item that matches no branch
INCOMPLETE: Any = _Marker("INCOMPLETE")  # soft selection: a required attribute is missing
