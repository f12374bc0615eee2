"""Providers over the wire: OpenAI-compatible and Anthropic, JSON and SSE, and their faults.

The servers here are loopback stand-ins speaking the documented wire formats (see conftest.py),
not OpenAI or Anthropic: neither can be reached from the tests. The real model is exercised in
test_local_model.py through llama.cpp's OpenAI-compatible server.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from ouroboros.agent import Agent, AgentConfig, ProviderConfig
from ouroboros.agent.config import Price, Secret
from ouroboros.agent.messages import ModelRequest
from ouroboros.agent.providers import ProviderChain, build_provider
from ouroboros.errors import (
    ContextTooLongError,
    ProviderAuthError,
    ProviderDownError,
    ProviderError,
    ProviderRateLimitedError,
)
from ouroboros.service import Service

from .conftest import AnthropicStandIn, OpenAIStandIn, speakers  # type: ignore[import-not-found]

SEARCH = {"tool_calls": [{"name": "search_nodes", "arguments": json.dumps({"query": "Alice"})}]}


def provider(url: str, kind: str = "openai", **kw: Any) -> ProviderConfig:
    base = f"{url}/v1" if kind == "openai" else url
    return ProviderConfig(kind=kind, base_url=base, model="m", **kw)


def agent_over(service: Service, *configs: ProviderConfig, **config: Any) -> Agent:
    return Agent(service, config=AgentConfig(providers=configs, **config))


def collect(agent: Agent, question: str, **kw: Any) -> tuple[Any, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []

    async def on_event(event: dict[str, Any]) -> None:
        events.append(event)

    async def main() -> Any:
        return await agent.run_async(question, on_event=on_event, **kw)

    return anyio.run(main), events


@pytest.mark.parametrize("stream", [False, True])
def test_openai_compatible_tool_loop(service: Service, standin: Any, stream: bool) -> None:
    server, url = standin(OpenAIStandIn, [SEARCH, {"content": "Alice likes tea."}])
    agent = agent_over(service, provider(url, api_key=Secret("sk-test-123456789")))
    if stream:
        result, events = collect(agent, "Alice?")
        assert (
            "".join(e["text"] for e in events if e["type"] == "token").strip() == "Alice likes tea."
        )
    else:
        result = agent.run("Alice?")
    assert result.answer.strip() == "Alice likes tea."
    assert result.tool_calls[0]["name"] == "search_nodes"
    assert "likes tea" in json.dumps(result.tool_calls[0]["result"])
    assert result.usage == {
        "input_tokens": 22,
        "output_tokens": 10,
        "total_tokens": 32,
        "cost_usd": None,
    }
    first, second = (r["body"] for r in server.requests)
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-test-123456789"
    assert first["tool_choice"] == "auto" and first["messages"][0]["role"] == "system"
    assert {t["function"]["name"] for t in first["tools"]} >= {"search_nodes", "remember"}
    assistant = second["messages"][-2]
    assert (
        assistant["content"] == ""
        and assistant["tool_calls"][0]["function"]["name"] == "search_nodes"
    )
    assert (
        second["messages"][-1]["role"] == "tool"
        and second["messages"][-1]["tool_call_id"] == "call_0"
    )
    assert bool(first.get("stream")) is stream


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_messages_tool_use(service: Service, standin: Any, stream: bool) -> None:
    answers = [
        {"text": "Let me look.", "tool_use": [{"name": "search_nodes", "input": {"query": "Bob"}}]},
        {"text": "Bob plays chess."},
    ]
    server, url = standin(AnthropicStandIn, answers)
    config = provider(url, "anthropic", api_key=Secret("sk-ant-secret-value"))
    agent = agent_over(service, config, pricing={"m": Price(3.0, 15.0)})
    result, events = collect(agent, "Bob?") if stream else (agent.run("Bob?"), [])
    assert result.answer.strip() == "Bob plays chess."
    assert result.tool_calls[0]["arguments"] == {"query": "Bob"}
    assert "plays chess" in json.dumps(result.tool_calls[0]["result"])
    assert result.usage["input_tokens"] == 42 and result.usage["output_tokens"] == 14
    assert result.usage["cost_usd"] == pytest.approx((42 * 3 + 14 * 15) / 1e6)
    first, second = (r["body"] for r in server.requests)
    assert server.requests[0]["headers"]["x-api-key"] == "sk-ant-secret-value"
    assert "system" in first and first["tool_choice"] == {"type": "auto"}
    assert second["messages"][-2]["content"][-1]["type"] == "tool_use"
    result_block = second["messages"][-1]["content"][0]
    assert result_block["type"] == "tool_result" and result_block["tool_use_id"] == "toolu_0"
    if stream:
        assert "Let me look." in "".join(e["text"] for e in events if e["type"] == "token")


def test_429_is_retried_after_retry_after(service: Service, standin: Any) -> None:
    limited = {
        "status": 429,
        "headers": {"retry-after": "1"},
        "json": {"error": {"message": "slow down"}},
    }
    server, url = standin(OpenAIStandIn, [limited, {"content": "finally"}])
    result = agent_over(service, provider(url)).run("hi")
    assert result.answer == "finally" and len(server.requests) == 2


def test_429_past_the_deadline_fails_as_rate_limited(service: Service, standin: Any) -> None:
    limited = {
        "status": 429,
        "headers": {"retry-after": "60"},
        "json": {"error": {"message": "slow down"}},
    }
    server, url = standin(OpenAIStandIn, [limited])
    with pytest.raises(ProviderRateLimitedError, match="rate-limiting") as info:
        agent_over(service, provider(url, name="busy", timeout=5)).run("hi")
    assert info.value.details["retry_after"] == 60 and len(server.requests) == 1


def test_500_fails_over_and_the_breaker_opens(service: Service, standin: Any) -> None:
    broken = {"status": 500, "json": {"error": {"message": "boom"}}}
    down, down_url = standin(OpenAIStandIn, [broken] * 20)
    _up, up_url = standin(OpenAIStandIn, [{"content": f"answer {i}"} for i in range(5)])
    agent = agent_over(
        service, provider(down_url, name="down", max_retries=1), provider(up_url, name="up")
    )
    answers = [agent.run(f"q{i}").answer for i in range(4)]
    assert answers == ["answer 0", "answer 1", "answer 2", "answer 3"]
    # 3 failed calls (each retried once) opened the breaker: the 4th run skipped "down"
    assert len(down.requests) == 6 and agent.chain.states()["down"] == "open"
    assert agent.run("q4").provider == "up"


def test_a_hanging_provider_times_out_in_one_line_naming_it(service: Service, standin: Any) -> None:
    _server, url = standin(OpenAIStandIn, [{"hang": 4}])
    with pytest.raises(ProviderDownError) as info:
        agent_over(service, provider(url, name="sleepy", timeout=1)).run("hi")
    assert info.value.message == "provider 'sleepy' did not answer within 1 s"


def test_a_provider_that_is_down_fails_fast(service: Service) -> None:
    with pytest.raises(ProviderDownError, match="provider 'gone' is unreachable") as info:
        agent_over(
            service,
            ProviderConfig(base_url="http://127.0.0.1:9/v1", model="m", name="gone", max_retries=1),
        ).run("hi")
    assert "\n" not in info.value.message


def test_auth_errors_never_show_the_key(service: Service, standin: Any) -> None:
    echo = {
        "status": 401,
        "json": {
            "error": {
                "message": "Incorrect API key provided: sk-live-abcdef123456",
                "code": "invalid_api_key",
            }
        },
    }
    server, url = standin(OpenAIStandIn, [echo])
    config = provider(url, name="keyed", api_key=Secret("sk-live-abcdef123456"))
    with pytest.raises(ProviderAuthError) as info:
        agent_over(service, config).run("hi")
    text = json.dumps(info.value.to_json()) + repr(config) + str(config.api_key)
    assert "abcdef123456" not in text and "keyed" in info.value.message
    assert len(server.requests) == 1  # not retried
    events = json.dumps(service.store.events(100))
    assert "abcdef123456" not in events


def test_context_too_long_is_its_own_error(service: Service, standin: Any) -> None:
    long = {
        "status": 400,
        "json": {
            "error": {
                "message": "This model's maximum context length is 8 tokens",
                "code": "context_length_exceeded",
            }
        },
    }
    _, url = standin(OpenAIStandIn, [long])
    with pytest.raises(ContextTooLongError):
        agent_over(service, provider(url)).run("hi")


def test_malformed_tool_arguments_over_the_wire(service: Service, standin: Any) -> None:
    bad = {"tool_calls": [{"name": "search_nodes", "arguments": '{"query": "Ali'}]}
    server, url = standin(OpenAIStandIn, [bad, {"content": "I could not search."}])
    result = agent_over(service, provider(url)).run("Alice?")
    assert result.tool_calls[0]["error"]["type"] == "BadToolCallError"
    told = server.requests[1]["body"]["messages"][-1]
    assert told["role"] == "tool" and "BadToolCallError" in told["content"]


def test_a_failure_mid_run_loses_no_recorded_turn(service: Service, standin: Any) -> None:
    broken = {"status": 500, "json": {"error": {"message": "boom"}}}
    _, url = standin(OpenAIStandIn, [SEARCH, broken, broken])
    agent = agent_over(service, provider(url, name="flaky", max_retries=1))
    with pytest.raises(ProviderDownError, match="flaky"):
        agent.run("Alice?", conversation="keep")
    assert speakers(service.store, "keep") == ["user", "assistant", "tool"]
    assert any(e["kind"] == "agent" and not e["ok"] for e in service.store.events(50))


def test_a_provider_without_a_model_says_so(service: Service) -> None:
    chain = ProviderChain(
        [build_provider(ProviderConfig(base_url="http://127.0.0.1:9/v1", name="nomodel"))]
    )
    with pytest.raises(ProviderError, match="no model configured"):
        anyio.run(lambda: chain.complete(ModelRequest(())))
