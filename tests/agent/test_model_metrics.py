"""The agent's model calls move ``ouroboros_model_*`` (through ``metrics.record_model_call``).

The providers are the loopback stand-ins of conftest.py (the documented wire formats on a real
port); the counters are read from the process's one registry before and after a run.
"""

from __future__ import annotations

from typing import Any

import pytest

from ouroboros.agent import Agent, AgentConfig, ProviderConfig
from ouroboros.agent.config import Price, Secret
from ouroboros.errors import ProviderAuthError
from ouroboros.observe import events, metrics
from ouroboros.service import Service

from .conftest import AnthropicStandIn, OpenAIStandIn  # type: ignore[import-not-found]


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_an_agent_run_counts_calls_tokens_cost_and_latency(service: Service, standin: Any) -> None:
    answers = [
        {"text": "Looking.", "tool_use": [{"name": "search_nodes", "input": {"query": "Bob"}}]},
        {"text": "Bob plays chess.", "usage": {"input_tokens": 30, "output_tokens": 9}},
    ]
    _, url = standin(AnthropicStandIn, answers)
    config = ProviderConfig(
        kind="anthropic", base_url=url, model="m", name="claude", api_key=Secret("sk-ant-xyz1234")
    )
    agent = Agent(service, config=AgentConfig(providers=(config,), pricing={"m": Price(3.0, 15.0)}))
    labels = {"provider": "claude"}
    before = {
        "calls": sample("ouroboros_model_calls_total", outcome="ok", **labels),
        "input": sample("ouroboros_model_tokens_total", direction="input", **labels),
        "output": sample("ouroboros_model_tokens_total", direction="output", **labels),
        "cost": sample("ouroboros_model_cost_usd_total", **labels),
        "seconds": sample("ouroboros_model_seconds_count", **labels),
    }
    seen = len([e for e in events.recent() if e["kind"] == "model" and e["name"] == "claude"])

    result = agent.run("Bob?")

    assert result.answer.strip() == "Bob plays chess."
    assert sample("ouroboros_model_calls_total", outcome="ok", **labels) == before["calls"] + 2
    assert sample("ouroboros_model_tokens_total", direction="input", **labels) == before[
        "input"
    ] + (21 + 30)
    assert sample("ouroboros_model_tokens_total", direction="output", **labels) == before[
        "output"
    ] + (7 + 9)
    assert sample("ouroboros_model_cost_usd_total", **labels) == pytest.approx(
        before["cost"] + ((21 + 30) * 3 + (7 + 9) * 15) / 1e6
    )
    assert sample("ouroboros_model_seconds_count", **labels) == before["seconds"] + 2
    model_events = [e for e in events.recent() if e["kind"] == "model" and e["name"] == "claude"]
    assert len(model_events) == seen + 2


def test_a_per_run_model_override_is_labelled_by_kind_and_failures_count(
    service: Service, standin: Any
) -> None:
    _, url = standin(OpenAIStandIn, [{"content": "hi"}])
    config = ProviderConfig(kind="openai", base_url=f"{url}/v1", model="m", name="local")
    agent = Agent(service, config=AgentConfig(providers=(config,)))
    before = sample("ouroboros_model_calls_total", provider="openai", outcome="ok")
    typed = "a-model-name-typed-by-a-caller"

    assert agent.run("hello?", model=typed).answer == "hi"

    assert sample("ouroboros_model_calls_total", provider="openai", outcome="ok") == before + 1
    assert typed not in metrics.render().decode()

    _, refusing = standin(AnthropicStandIn, [])  # no key: the stand-in answers 401
    bad = ProviderConfig(kind="anthropic", base_url=refusing, model="m", name="nokey")
    failing = Agent(service, config=AgentConfig(providers=(bad,)))
    errors_before = sample("ouroboros_model_calls_total", provider="nokey", outcome="error")
    with pytest.raises(ProviderAuthError):
        failing.run("hello?")
    assert sample("ouroboros_model_calls_total", provider="nokey", outcome="error") == (
        errors_before + 1
    )
