"""Runtime: the process-wide things resolvers close over (settings, lifecycle, registries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ouroboros.config import Settings
from ouroboros.resolvers.lifecycle import Lifecycle
from ouroboros.resolvers.openapi import OpenAPIRegistry

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


def context_of(env: Any) -> dict[str, Any]:
    """Return the per-request context mapping of an engine ``env`` (empty when there is none)."""
    context = getattr(env, "context", None)
    return dict(context) if context else {}


def settings_of(runtime: Runtime, env: Any) -> Settings:
    """Return the settings for this request: ``env.context["settings"]`` if set, else the runtime's."""
    settings = context_of(env).get("settings")
    return settings if isinstance(settings, Settings) else runtime.settings
