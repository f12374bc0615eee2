"""The agent's model calls carry the W3C ``traceparent`` of the request they run in.

The providers are the loopback stand-ins of conftest.py (real HTTP on 127.0.0.1); each keeps
the headers it was sent.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from opentelemetry.sdk.trace import TracerProvider

from ouroboros.agent import Agent, AgentConfig, ProviderConfig
from ouroboros.agent.config import Secret
from ouroboros.observe import tracing
from ouroboros.service import Service

from .conftest import AnthropicStandIn, OpenAIStandIn  # type: ignore[import-not-found]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_model_calls_carry_the_request_trace(service: Service, standin: Any, kind: str) -> None:
    server, url = standin(OpenAIStandIn if kind == "openai" else AnthropicStandIn, [{}])
    server.answers = [{"content": "hi"}] if kind == "openai" else [{"text": "hi"}]
    config = ProviderConfig(
        kind=kind,
        base_url=f"{url}/v1" if kind == "openai" else url,
        model="m",
        api_key=Secret("sk-test-abcdef123"),
    )
    agent = Agent(service, config=AgentConfig(providers=(config,)))

    async def run_in_a_request() -> tuple[str, str]:
        with tracing.request_span("POST /agent") as span:
            result = await agent.run_async("hello?")
            return result.answer.strip(), format(span.get_span_context().trace_id, "032x")

    with tracing.use_provider(TracerProvider()):
        answer, trace_id = anyio.run(run_in_a_request)
    assert answer == "hi"
    (sent,) = server.requests
    version, sent_trace, parent, _flags = sent["headers"]["traceparent"].split("-")
    assert version == "00" and sent_trace == trace_id and len(parent) == 16

    server.answers = [{"content": "again"}] if kind == "openai" else [{"text": "again"}]
    assert agent.run("outside any request?").answer.strip() == "again"
    assert "traceparent" not in server.requests[-1]["headers"]  # no trace, none invented
