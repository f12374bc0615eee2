"""The agent loop over a real service and store, driven by the deterministic ScriptedProvider."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from ouroboros.agent import Agent, AgentConfig
from ouroboros.agent.config import BudgetConfig, CallerRules
from ouroboros.agent.providers import ScriptedProvider
from ouroboros.errors import (
    AgentLimitError,
    BudgetExceededError,
    InvalidInputError,
    PayloadTooLargeError,
)
from ouroboros.service import Service
from ouroboros.tools.policy import Caller

from .conftest import speakers, stored_turns  # type: ignore[import-not-found]


def search_call(query: str = "Alice") -> dict[str, Any]:
    return {"tool_calls": [{"name": "search_nodes", "arguments": {"query": query}}]}


def agent_with(service: Service, turns: list[Any], **config: Any) -> tuple[Agent, ScriptedProvider]:
    provider = ScriptedProvider(turns)
    return Agent(service, providers=[provider], config=AgentConfig(**config)), provider


def conversation_turns(service: Service, conversation: str) -> list[str]:
    return stored_turns(service.store, conversation)


def test_a_tool_call_runs_against_the_store_and_the_answer_arrives(service: Service) -> None:
    agent, provider = agent_with(service, [search_call(), "Alice likes tea."])
    result = agent.run("What does Alice like?", conversation="c1")
    assert result.answer == "Alice likes tea."
    [call] = result.tool_calls
    assert call["name"] == "search_nodes"
    assert call["arguments"] == {"query": "Alice"}
    assert "likes tea" in json.dumps(call["result"])
    assert call["ms"] >= 0
    assert (
        result.usage["total_tokens"] == result.usage["input_tokens"] + result.usage["output_tokens"]
    )
    assert result.usage["total_tokens"] > 0
    # the tool result went back to the model
    second = provider.requests[1].messages
    assert second[-1].role == "tool" and "likes tea" in second[-1].content
    assert second[-2].role == "assistant" and second[-2].tool_calls[0].name == "search_nodes"
    # the turns are in the store, with speaker and time
    turns = conversation_turns(service, "c1")
    assert speakers(service.store, "c1") == ["user", "assistant", "tool", "assistant"]
    assert turns[0] == "user: What does Alice like?"
    assert turns[2].startswith("tool: search_nodes: ")
    first = service.store.source_get("c1")["chunks"][0]
    assert service.store.get_entity(first)["observations"][0].startswith("[")  # the time
    # telemetry: model calls, usage, the tool call, the run
    kinds = {e["kind"] for e in service.store.events(100)}
    assert {"model", "agent-usage", "tool", "agent"} <= kinds
    assert json.loads(json.dumps(result.to_json()))["answer"] == "Alice likes tea."


def test_events_stream_in_order(service: Service) -> None:
    agent, _ = agent_with(service, [search_call(), "Tea, it seems."])
    events: list[dict[str, Any]] = []

    async def on_event(event: dict[str, Any]) -> None:
        events.append(event)

    async def main() -> None:
        await agent.run_async("Alice?", on_event=on_event)

    anyio.run(main)
    types = [e["type"] for e in events]
    assert types[:2] == ["tool_call", "tool_result"]
    assert types[-1] == "answer"
    assert "".join(e["text"] for e in events if e["type"] == "token") == "Tea, it seems."
    assert events[-1]["answer"] == "Tea, it seems." and events[-1]["tool_calls"]


def test_a_read_only_caller_cannot_make_the_loop_write(service: Service) -> None:
    write = {
        "tool_calls": [
            {
                "name": "create_entities",
                "arguments": {
                    "entities": [{"name": "Mallory", "entityType": "x", "observations": []}]
                },
            },
            {"name": "remember", "arguments": {"fact": "I was here"}},
        ]
    }
    agent, provider = agent_with(service, [write, "done"])
    reader = Caller(id="token:reader", scopes=frozenset({"read"}), transport="http")
    result = agent.run("Add Mallory", caller=reader)
    offered = {t.name for t in provider.requests[0].tools}
    assert "search_nodes" in offered and not offered & {"create_entities", "remember"}
    assert [c["error"]["type"] for c in result.tool_calls] == ["ToolNotFoundError"] * 2
    assert service.store.get_entity("Mallory") is None
    user = service.store.get_entity("user")  # the speaker's entity, from memory, but no fact
    assert user is None or "I was here" not in user["observations"]


def test_per_caller_allow_and_deny(service: Service) -> None:
    rules = {"bot": CallerRules(tools=("graph",), deny=("search_nodes",))}
    agent, provider = agent_with(service, [search_call(), "no search for me"], callers=rules)
    result = agent.run("Alice?", caller=Caller(id="bot"))
    offered = {t.name for t in provider.requests[0].tools}
    assert "search_nodes" not in offered and "open_nodes" in offered
    assert "system_status" not in offered  # not in the caller's allow list
    assert result.tool_calls[0]["error"]["type"] == "ToolNotFoundError"


def test_malformed_arguments_go_back_to_the_model(service: Service) -> None:
    bad = {"tool_calls": [{"name": "search_nodes", "arguments": "{'query': Alice"}]}
    agent, provider = agent_with(service, [bad, "sorry"])
    result = agent.run("Alice?")
    [call] = result.tool_calls
    assert call["error"]["type"] == "BadToolCallError"
    assert call["arguments"] == "{'query': Alice"
    told = json.loads(provider.requests[1].messages[-1].content)
    assert told["error"]["type"] == "BadToolCallError"
    assert result.answer == "sorry"


def test_tool_errors_come_back_in_the_one_error_shape(service: Service) -> None:
    wrong = {"tool_calls": [{"name": "open_nodes", "arguments": {"names": "not a list"}}]}
    agent, provider = agent_with(service, [wrong, "ok"])
    result = agent.run("open")
    error = result.tool_calls[0]["error"]
    assert set(error) >= {"type", "message"}
    assert json.loads(provider.requests[1].messages[-1].content) == {"error": error}


def test_iterations_are_bounded(service: Service) -> None:
    agent, provider = agent_with(service, [search_call()] * 3, max_iterations=2)
    with pytest.raises(AgentLimitError, match="no answer after 2 tool rounds"):
        agent.run("loop forever")
    assert [r.tool_choice for r in provider.requests] == ["auto", "auto", "none"]


def test_a_forced_tool_choice_applies_to_the_first_call_only(service: Service) -> None:
    agent, provider = agent_with(service, [search_call(), "ok"], tool_choice="search_nodes")
    agent.run("Alice?")
    assert [r.tool_choice for r in provider.requests] == ["search_nodes", "auto"]
    agent2, _ = agent_with(service, ["x"], tool_choice="no_such_tool")
    with pytest.raises(InvalidInputError, match="no_such_tool"):
        agent2.run("Alice?")


def test_token_bound_per_run(service: Service) -> None:
    turns = [dict(search_call(), usage={"input_tokens": 50, "output_tokens": 10}), "never"]
    agent, _ = agent_with(service, turns, max_tokens=40)
    with pytest.raises(AgentLimitError, match="bound of 40"):
        agent.run("Alice?")


def test_budgets_warn_at_soft_and_refuse_the_next_call_at_hard(service: Service) -> None:
    usage = {"input_tokens": 6, "output_tokens": 2}
    budgets = BudgetConfig(daily_soft_tokens=5, daily_hard_tokens=20)
    turns = [
        {"text": "one", "usage": usage},
        {"text": "two", "usage": usage},
        dict(search_call(), usage=usage),
        "four",
    ]
    agent, _ = agent_with(service, turns, budgets=budgets)
    first = agent.run("1", caller=Caller(id="ann"))
    assert not first.warnings
    second = agent.run("2", caller=Caller(id="ann"))
    assert "soft limit" in second.warnings[0]
    agent.run("3", caller=Caller(id="bob"))  # another caller has its own budget
    # ann: 16 tokens spent; the next call is allowed (16 < 20) and spends 8 more ...
    third_turns = [dict(search_call(), usage=usage), "never"]
    agent2 = Agent(
        service, providers=[ScriptedProvider(third_turns)], config=AgentConfig(budgets=budgets)
    )
    with pytest.raises(BudgetExceededError, match="24 of 20"):
        agent2.run("4", caller=Caller(id="ann"))  # ... the loop's next call is refused
    # a fresh agent reads the spend back from the store
    agent3 = Agent(
        service, providers=[ScriptedProvider(["x"])], config=AgentConfig(budgets=budgets)
    )
    with pytest.raises(BudgetExceededError):
        agent3.run("5", caller=Caller(id="ann"))


def test_remember_writes_a_fact(service: Service) -> None:
    turns = [
        {
            "tool_calls": [
                {"name": "remember", "arguments": {"fact": "prefers green tea", "about": "Alice"}}
            ]
        },
        {
            "tool_calls": [
                {"name": "remember", "arguments": {"fact": "lives in Oslo", "about": "Dana"}}
            ]
        },
        "noted",
    ]
    agent, _ = agent_with(service, turns)
    result = agent.run("remember things")
    assert [c["result"]["new_entity"] for c in result.tool_calls] == [False, True]
    assert "prefers green tea" in service.store.get_entity("Alice")["observations"]
    assert service.store.get_entity("Dana")["observations"] == ["lives in Oslo"]
    assert any(r["action"] == "tool:remember" for r in service.store.audit_log())


def test_a_conversation_continues_and_earlier_ones_are_recalled(service: Service) -> None:
    agent, provider = agent_with(
        service, ["The capital is Zanzibar City.", "You asked about Zanzibar.", "hello again"]
    )
    agent.run("What is the capital of Zanzibar?", conversation="trip")
    agent.run("What did I ask?", conversation="trip")
    second = provider.requests[1].messages
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]
    # a new conversation (even in a new agent) recalls the earlier one from the store
    fresh = Agent(service, providers=[ScriptedProvider(["hi"])], config=AgentConfig())
    fresh.run("Tell me about Zanzibar again", conversation="later")
    system = fresh.providers[0].requests[0].messages[0].content  # type: ignore[attr-defined]
    assert "What you remember" in system and "Zanzibar City" in system


def test_bad_input_is_refused_cleanly(service: Service) -> None:
    agent, _ = agent_with(service, ["x"] * 5)
    with pytest.raises(InvalidInputError):
        agent.run("   ")
    with pytest.raises(InvalidInputError, match="conversation id"):
        agent.run("hi", conversation="../../etc/passwd")
    with pytest.raises(PayloadTooLargeError):
        agent.run("x" * 100_001)


def test_run_inside_an_event_loop_is_refused(service: Service) -> None:
    agent, _ = agent_with(service, ["x"])

    async def main() -> None:
        with pytest.raises(InvalidInputError, match="run_async"):
            agent.run("hi")

    anyio.run(main)


def test_usage_is_visible_through_eql(service: Service) -> None:
    agent, _ = agent_with(
        service, [{"text": "a", "usage": {"input_tokens": 7, "output_tokens": 3}}]
    )
    agent.run("hi", caller=Caller(id="ann"))
    result = service.engine.process(
        "[{(:agent/usage {:days 2}) [:usage/caller :usage/total-tokens :usage/calls]}]"
    )
    assert {"usage/caller": "ann", "usage/total-tokens": 10, "usage/calls": 1} in result[
        "agent/usage"
    ]
