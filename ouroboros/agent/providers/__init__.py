"""Model providers behind one interface: OpenAI-compatible, Anthropic, and a scripted one.

``build_provider(config)`` returns the provider a ``ProviderConfig`` describes;
``ScriptedProvider`` replays given turns (for tests and demos); ``ProviderChain`` fails over
across providers with a circuit breaker each.
"""

from __future__ import annotations

from ouroboros.agent.config import ProviderConfig
from ouroboros.agent.providers.anthropic import AnthropicProvider
from ouroboros.agent.providers.base import Provider
from ouroboros.agent.providers.failover import CircuitBreaker, ProviderChain
from ouroboros.agent.providers.openai import OpenAIProvider
from ouroboros.agent.providers.scripted import ScriptedProvider, ScriptedTurn

__all__ = [
    "AnthropicProvider",
    "CircuitBreaker",
    "OpenAIProvider",
    "Provider",
    "ProviderChain",
    "ScriptedProvider",
    "ScriptedTurn",
    "build_provider",
]


def build_provider(config: ProviderConfig) -> Provider:
    """Return the provider for ``config`` (``kind`` openai or anthropic)."""
    if config.kind == "anthropic":
        return AnthropicProvider(config)
    return OpenAIProvider(config)
