"""Where a store lives: a DuckDB file path, ``:memory:``, or a database URL.

``parse_location`` is the one place that decides which backend a ``--db`` / ``OUROBOROS_DB``
value means. Anything written as ``scheme://...`` is a URL: ``postgresql://`` and
``postgres://`` name a PostgreSQL server; ``duckdb:///path`` is the same as the bare path; every
other scheme is refused with a clear error (before, ``open_store("postgresql://...")`` silently
created a DuckDB file of that name).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

from ouroboros.errors import InvalidInputError

__all__ = ["POSTGRES_SCHEMES", "Location", "parse_location", "redact"]

POSTGRES_SCHEMES = ("postgresql", "postgres")
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


@dataclass(frozen=True)
class Location:
    """``kind`` is duckdb, memory or postgres; ``target`` the file path or the connection URL."""

    kind: Literal["duckdb", "memory", "postgres"]
    target: str


def parse_location(raw: str | os.PathLike[str]) -> Location:
    """Return the backend and target named by ``raw`` (raises InvalidInputError)."""
    text = os.fspath(raw)
    if not isinstance(text, str):
        raise InvalidInputError("a database location must be text, not bytes")
    if text == ":memory:":
        return Location("memory", text)
    match = _URL.match(text)
    if match is None:
        if not text.strip():
            raise InvalidInputError("the database location is empty")
        return Location("duckdb", text)
    scheme = match.group(1).lower()
    if scheme in POSTGRES_SCHEMES:
        return Location("postgres", text)
    if scheme == "duckdb":
        rest = text[match.end() :]
        if rest in ("", ":memory:"):
            return Location("memory", ":memory:")
        # duckdb:///abs/path → /abs/path; duckdb://rel/path → rel/path
        return Location("duckdb", rest)
    raise InvalidInputError(
        f"unsupported database URL scheme {scheme!r} in {redact(text)!r}: use a DuckDB file "
        "path, ':memory:', duckdb:///path or postgresql://user@host/dbname",
        details={"scheme": scheme},
    )


def redact(url: str) -> str:
    """Hide a password in ``scheme://user:password@host``."""
    return re.sub(r"^([^:/]+://[^:/@]*):[^@]*@", r"\1:***@", url)
