"""The agent: an LLM tool loop over the tool registry, with providers, budgets and memory.

::

    from ouroboros.agent import Agent
    from ouroboros.agent.providers import ScriptedProvider

    agent = Agent(service)                           # providers from ouroboros.toml / env
    result = agent.run("What do we know about Alice?")
    result = await agent.run_async(question, conversation="c1", on_event=print_event)
    result.answer, result.tool_calls, result.usage, result.to_json()
"""

from __future__ import annotations

from ouroboros.agent.config import AgentConfig, ProviderConfig, agent_config
from ouroboros.agent.loop import Agent, AgentResult, EventSink
from ouroboros.agent.memory import ConversationMemory, StoreConversationMemory
from ouroboros.agent.providers import ScriptedProvider

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentResult",
    "ConversationMemory",
    "EventSink",
    "ProviderConfig",
    "ScriptedProvider",
    "StoreConversationMemory",
    "agent_config",
]
