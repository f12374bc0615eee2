"""Attribute resolvers, one module per domain (installed as `ouroboros.resolvers`).

Each domain module exports ``operations(runtime) -> list`` of resolvers and mutations bound to a
``Runtime`` (``ouroboros.resolvers.runtime``); ``all_operations`` collects them for an ``Engine``::

    runtime = Runtime(settings=Settings.from_env())
    engine = Engine(all_operations(runtime))
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = ["DOMAINS", "all_operations"]

# Domain modules, in registration order; memory, graph, telemetry and ai (the "tools" domain:
# ``:ai/tools``, ``:ai/context``) are backed by the store and the tool registry.
DOMAINS: tuple[str, ...] = (
    "system",
    "introspection",
    "git",
    "files",
    "http",
    "openapi",
    "memory",
    "graph",
    "recall",
    "telemetry",
    "ai",
    "agent",
)


def all_operations(runtime: Runtime, domains: tuple[str, ...] | None = None) -> list[Any]:
    """Return the operations of every domain (or of ``domains``) bound to ``runtime``."""
    ops: list[Any] = []
    for domain in DOMAINS if domains is None else domains:
        module = import_module(f"ouroboros.resolvers.{domain}")
        ops.extend(module.operations(runtime))
    return ops
