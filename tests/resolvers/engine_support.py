"""Helpers for running the resolvers through the real engine in tests."""

from __future__ import annotations

from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.errors import OuroborosError
from ouroboros.resolvers import all_operations
from ouroboros.resolvers.runtime import Runtime

# The domains that need no store (memory, graph, telemetry and ai are tested with theirs).
STORELESS_DOMAINS = ("system", "introspection", "git", "files", "http", "openapi")


def make_engine(settings: Settings, **runtime_fields: Any) -> tuple[Any, Runtime]:
    """Return ``(engine, runtime)`` with the store-less domains' resolvers registered (strict)."""
    from ouroboros import Engine

    runtime = Runtime(settings=settings, **runtime_fields)
    return Engine(all_operations(runtime, STORELESS_DOMAINS)), runtime


def root_cause(exc: BaseException, kind: type[OuroborosError]) -> OuroborosError:
    """Return the first ``kind`` in ``exc``'s cause chain (engines wrap resolver errors)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    raise AssertionError(f"no {kind.__name__} in the cause chain of {exc!r}")


def raises(kind: type[OuroborosError], engine: Any, query: str, **kwargs: Any) -> OuroborosError:
    """Run ``query`` and return the ``kind`` error it raised (directly or wrapped)."""
    with pytest.raises(OuroborosError) as info:
        engine.process(query, **kwargs)
    return root_cause(info.value, kind)
