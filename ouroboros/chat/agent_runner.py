"""The chat gateway's agent: ``ouroboros.agent.Agent`` run as the platform user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ouroboros.chat.gateway import AgentRunner, OnEvent
from ouroboros.tools.policy import Caller

if TYPE_CHECKING:
    from ouroboros.service import Service

__all__ = ["agent_runner"]


def agent_runner(
    service: Service, *, agent: Any = None, tools: tuple[str, ...] = ()
) -> AgentRunner:
    """Return ``run(question, conversation, caller, on_event) -> answer`` over ``agent``.

    ``agent`` defaults to ``Agent(service)`` with the providers of the configuration, limited to
    the ``[chat] tools`` selection. The caller's scopes, rate limit, token budget and tool
    allow/deny are the agent's to enforce, as on every other surface.
    """
    if agent is None:
        from ouroboros.agent import Agent

        agent = Agent(service, tools=list(tools) or None)

    async def run(question: str, conversation: str, caller: Caller, on_event: OnEvent) -> str:
        result = await agent.run_async(
            question, conversation=conversation, caller=caller, on_event=on_event
        )
        return str(result.answer)

    return run
