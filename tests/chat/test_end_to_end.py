"""One message in, the agent's reply out, the conversation stored: per platform, end to end.

The platform is a loopback stand-in of its API (see ``standins.py``: the real platforms cannot
be reached from here). The server is the real app on uvicorn over a DuckDB file, and the agent
is the real ``Agent`` loop with its tools and conversation memory; its model is a
``ScriptedProvider`` (no local model in the main suite): the first turn calls the read tool
``system_status``, the second streams a fixed answer word by word.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx2 as httpx
import pytest

from ouroboros.agent import Agent, ScriptedProvider
from ouroboros.chat.agent_runner import agent_runner
from tests.agent.conftest import stored_turns
from tests.chat.support import TELEGRAM_SECRET, discord_ask, slack_event, telegram_update

ANSWER = "Ouroboros reports the system is running and healthy, all parts answering."


class Script:
    """A scripted model for one conversation: call ``system_status``, then answer."""

    def __init__(self, tools: tuple[str, ...] = ("chat-safe",)) -> None:
        self.provider = ScriptedProvider(
            [{"tool_calls": [{"name": "system_status", "arguments": {}}]}, ANSWER, ANSWER]
        )
        self.tools = tools

    def __call__(self, service: Any) -> Any:
        agent = Agent(service, providers=[self.provider], config={}, tools=self.tools)
        return agent_runner(service, agent=agent)

    def tool_names(self, call: int = 0) -> set[str]:
        return {t.name for t in self.provider.requests[call].tools}


def _stored(service: Any, conversation: str, word: str) -> list[str]:
    """The conversation's stored turns that mention ``word``."""
    return [t for t in stored_turns(service.store, conversation) if word in t]


def _check_the_loop_ran(script: Script) -> None:
    second = script.provider.requests[1].messages
    tool_messages = [m for m in second if m.role == "tool"]
    assert tool_messages and tool_messages[0].name == "system_status"
    assert not tool_messages[0].is_error, tool_messages[0].content


def test_telegram_message_in_reply_out_conversation_stored(platforms, chat_server) -> None:
    script = Script()
    with chat_server(platforms.settings(), script) as server:
        response = httpx.post(
            server.url + "/chat/telegram/webhook",
            content=telegram_update("what is the zanzibar status?", update_id=101, chat_id=555),
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
        assert response.status_code == 200
        calls = platforms.telegram.wait_for(
            lambda cs: any(c.body.get("text") == ANSWER for c in cs if c.body.get("chat_id") == 555)
        )
        mine = [c for c in calls if c.body.get("chat_id") == 555]
        assert (
            mine[0].name == "sendMessage" and mine[0].body["reply_parameters"]["message_id"] == 111
        )
        assert all(c.name == "editMessageText" for c in mine[1:])
        assert mine[-1].body["text"] == ANSWER
        # Streamed edits respect the edit interval (0.2 s in these tests).
        gaps = [b.at - a.at for a, b in itertools.pairwise(mine)]
        assert all(g >= 0.19 for g in gaps), gaps
        assert platforms.telegram.problems == []
        _check_the_loop_ran(script)
        assert _stored(server.service, "telegram:555", "zanzibar")


def test_slack_mention_answered_in_thread_and_retries_ignored(platforms, chat_server, keys) -> None:
    script = Script()
    with chat_server(platforms.settings(), script) as server:
        url = server.url + "/chat/slack/events"
        body = slack_event("<@UBOT> how is the quokka status?", event_id="EvE2E", channel="C-e2e")
        response = httpx.post(url, content=body, headers=keys.slack_headers(body))
        assert response.status_code == 200
        retry = dict(keys.slack_headers(body), **{"X-Slack-Retry-Num": "1"})
        assert httpx.post(url, content=body, headers=retry).status_code == 200
        calls = platforms.slack.wait_for(
            lambda cs: any(c.body.get("text") == ANSWER for c in cs if c.body["channel"] == "C-e2e")
        )
        mine = [c for c in calls if c.body["channel"] == "C-e2e"]
        assert mine[0].name == "chat.postMessage"
        assert mine[0].body["thread_ts"] == "1700000000.000100"
        assert {c.name for c in mine[1:]} <= {"chat.update"}
        posted_ts = {c.body["ts"] for c in mine[1:]}
        assert len(posted_ts) <= 1  # every update edits the one posted message
        assert platforms.slack.problems == []
        assert len([c for c in mine if c.name == "chat.postMessage"]) == 1  # the retry ran nothing
        _check_the_loop_ran(script)
        assert _stored(server.service, "slack:C-e2e:1700000000.000100", "quokka")


def test_discord_ask_deferred_then_followup(platforms, chat_server, keys) -> None:
    script = Script()
    with chat_server(platforms.settings(), script) as server:
        body = discord_ask("tell me the wombat status", ident="int-e2e", token="tok-e2e")
        response = httpx.post(
            server.url + "/chat/discord/interactions",
            content=body,
            headers=keys.discord_headers(body),
        )
        assert response.status_code == 200 and response.json() == {"type": 5}
        calls = platforms.discord.wait_for(
            lambda cs: any(c.body.get("content") == ANSWER and "tok-e2e" in c.path for c in cs)
        )
        mine = [c for c in calls if "tok-e2e" in c.path]
        assert mine[0].name == "followup" and mine[0].method == "POST"
        assert all(c.name == "edit" for c in mine[1:])
        assert platforms.discord.problems == []
        _check_the_loop_ran(script)
        assert _stored(server.service, "discord:chan-9", "wombat")


@pytest.mark.parametrize(("user", "writes"), [("U-reader", False), ("UADMIN", True)])
def test_only_admins_are_given_write_tools(platforms, chat_server, keys, user, writes) -> None:
    script = Script(tools=("core",))
    with chat_server(platforms.settings(), script) as server:
        body = slack_event(
            f"<@UBOT> remember this {user}", event_id=f"Ev-{user}", channel=f"C-{user}", user=user
        )
        httpx.post(
            server.url + "/chat/slack/events", content=body, headers=keys.slack_headers(body)
        )
        platforms.slack.wait_for(
            lambda cs: any(
                c.body.get("text") == ANSWER for c in cs if c.body["channel"] == f"C-{user}"
            )
        )
        names = script.tool_names()
        assert "system_status" in names
        assert ("memory_set" in names) is writes


def test_cooldown_and_failures_reach_the_user_briefly(
    platforms, chat_server, keys, caplog: pytest.LogCaptureFixture
) -> None:
    from ouroboros.errors import ProviderDownError

    class Failing(Script):
        def __init__(self) -> None:
            super().__init__()
            self.provider = ScriptedProvider(
                [
                    ProviderDownError(
                        f"provider down, key {platforms.env['OUROBOROS_SLACK_BOT_TOKEN']}"
                    )
                ]
            )

    script = Failing()
    caplog.set_level("WARNING", logger="ouroboros.chat")
    with chat_server(platforms.settings(cooldown_seconds=60.0), script) as server:
        url = server.url + "/chat/slack/events"
        first = slack_event("<@UBOT> first", event_id="Ev-cool-1", channel="C-cool")
        second = slack_event("<@UBOT> second", event_id="Ev-cool-2", channel="C-cool")
        httpx.post(url, content=first, headers=keys.slack_headers(first))
        calls = platforms.slack.wait_for(lambda cs: any(c.body["channel"] == "C-cool" for c in cs))
        httpx.post(url, content=second, headers=keys.slack_headers(second))
        reply = [c for c in calls if c.body["channel"] == "C-cool"][-1].body["text"]
        assert reply.startswith("Sorry, I could not answer that (ref ")
        assert "xoxb" not in reply
    # The details are in the log, with the reference and without the secret.
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("ouroboros.chat")]
    assert any("provider down" in line and "ref " in line for line in logged), logged
    assert not any("xoxb-test" in line for line in logged)
    # The second message in the cooling channel was never answered (one provider call only).
    assert len(script.provider.requests) == 1
    assert len([c for c in platforms.slack.calls if c.body["channel"] == "C-cool"]) == 1
