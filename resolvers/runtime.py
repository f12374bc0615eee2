"""Runtime: the process-wide things resolvers close over (settings, lifecycle, registries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ouroboros.config import Settings
from ouroboros.resolvers.lifecycle import Lifecycle
from ouroboros.resolvers.openapi import OpenAPIRegistry
from ouroboros.resolvers.request_context import context_of, settings_of

__all__ = ["Runtime", "context_of", "settings_of"]


@dataclass(kw_only=True)
class Runtime:
    """What one running Ouroboros shares across requests; build one, pass it to ``operations``.

    ``store``, ``tools`` and ``telemetry`` are slots other parts fill (the DuckDB store, the tool
    registry, the telemetry recorder); the resolvers here never need them. Per-request things
    (the caller, a per-request store handle) travel in the engine's ``env.context`` instead.
    """

    settings: Settings
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    openapi: OpenAPIRegistry = field(default_factory=OpenAPIRegistry)
    store: Any = None
    tools: Any = None
    telemetry: Any = None
