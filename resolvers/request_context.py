"""Request context: the per-request context and settings a resolver's ``env`` carries."""

from __future__ import annotations

from typing import Any

from ouroboros.config import Settings

__all__ = ["context_of", "settings_of"]


def context_of(env: Any) -> dict[str, Any]:
    """Return the per-request context mapping of an engine ``env`` (empty when there is none)."""
    context = getattr(env, "context", None)
    return dict(context) if context else {}


def settings_of(runtime: Any, env: Any) -> Settings:
    """Return the settings for this request: ``env.context["settings"]`` if set, else the runtime's."""
    settings = context_of(env).get("settings")
    return settings if isinstance(settings, Settings) else runtime.settings
