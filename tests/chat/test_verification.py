"""Every platform refuses what it must before the agent runs: bad signatures and secrets (401),
replayed or stale requests (401), malformed bodies (400), and a route that is not configured
(404). The agent runner here records calls, and each test asserts it was never called."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from ouroboros.chat import ChatSettings
from tests.chat.support import (
    SLACK_SIGNING,
    TELEGRAM_SECRET,
    discord_ask,
    slack_event,
    telegram_update,
)


class NeverRun:
    """An agent runner that must not be reached."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __call__(self, service: Any) -> Any:
        async def run(question: str, conversation: str, caller: Any, on_event: Any) -> str:
            self.calls.append(question)
            return "should not happen"

        return run


@pytest.fixture(scope="module")
def never() -> NeverRun:
    return NeverRun()


@pytest.fixture(scope="module")
def server(platforms, chat_server, never) -> Iterator[Any]:
    """One real server with all three platforms on, shared by the module's tests."""
    with chat_server(platforms.settings(), never) as running:
        yield running


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and {"type", "message"} <= set(body["error"])
    return body["error"]


def test_telegram_refuses_a_wrong_or_missing_secret(server, never) -> None:
    url = server.url + "/chat/telegram/webhook"
    body = telegram_update("hello")
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        err = _error(httpx.post(url, content=body, headers=headers), 401)
        assert err["type"] == "UnauthenticatedError"
        assert TELEGRAM_SECRET not in err["message"]
    assert never.calls == []


def test_telegram_refuses_replayed_and_stale_updates(server, never) -> None:
    good = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    url = server.url + "/chat/telegram/webhook"
    stale = telegram_update("old news", update_id=3, date=time.time() - 3600)
    assert "stale" in _error(httpx.post(url, content=stale, headers=good), 401)["message"]
    # A group message not addressed to the bot is taken (200) but never answered.
    first = telegram_update("chatter", update_id=4, chat_type="group")
    assert httpx.post(url, content=first, headers=good).status_code == 200
    again = httpx.post(url, content=first, headers=good)
    assert "replayed" in _error(again, 401)["message"]
    assert never.calls == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"update_id": "x"}',
        b'{"update_id": 1, "message": {"chat": 5}}',
        b"\xff\xfe",
        b"[" * 5000,
    ],
)
def test_telegram_malformed_bodies_get_400(server, never, body: bytes) -> None:
    response = httpx.post(
        server.url + "/chat/telegram/webhook",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert _error(response, 400)["type"] == "InvalidInputError"
    assert never.calls == []


def test_slack_refuses_bad_signatures_and_replays(server, keys, never) -> None:
    url = server.url + "/chat/slack/events"
    body = slack_event("<@UBOT> hi")
    # No signature, a signature over other bytes, another secret, a stale timestamp.
    assert _error(httpx.post(url, content=body), 401)["type"] == "UnauthenticatedError"
    tampered = keys.slack_headers(body)
    tampered_body = body.replace(b"hi", b"ho")
    _error(httpx.post(url, content=tampered_body, headers=tampered), 401)
    forged = keys.slack_headers(body)
    forged["X-Slack-Signature"] = "v0=" + "0" * 64
    _error(httpx.post(url, content=body, headers=forged), 401)
    old = keys.slack_headers(body, at=time.time() - 301)
    assert "stale" in _error(httpx.post(url, content=body, headers=old), 401)["message"]
    assert SLACK_SIGNING not in httpx.post(url, content=body, headers=old).text
    assert never.calls == []


def test_slack_url_verification_and_malformed_bodies(server, keys, never) -> None:
    url = server.url + "/chat/slack/events"
    challenge = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    response = httpx.post(url, content=challenge, headers=keys.slack_headers(challenge.encode()))
    assert response.status_code == 200 and response.json() == {"challenge": "c-123"}
    for bad in (
        b"{nope",
        b'"a string"',
        b'{"type": "event_callback", "event": 3}',
        b'{"type": "url_verification"}',
    ):
        _error(httpx.post(url, content=bad, headers=keys.slack_headers(bad)), 400)
    assert never.calls == []


def test_discord_ping_bad_signatures_replays_and_bad_bodies(server, keys, never) -> None:
    url = server.url + "/chat/discord/interactions"
    ping = b'{"type": 1, "id": "p1", "application_id": "1"}'
    response = httpx.post(url, content=ping, headers=keys.discord_headers(ping))
    assert response.status_code == 200 and response.json() == {"type": 1}
    # Unsigned, signed by another key, signed over other bytes, stale.
    _error(httpx.post(url, content=ping), 401)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    ts = str(int(time.time()))
    other = Ed25519PrivateKey.generate().sign(ts.encode() + ping).hex()
    forged = {"X-Signature-Ed25519": other, "X-Signature-Timestamp": ts}
    _error(httpx.post(url, content=ping, headers=forged), 401)
    signed = keys.discord_headers(ping)
    _error(httpx.post(url, content=ping + b" ", headers=signed), 401)
    stale = keys.discord_headers(ping, at=time.time() - 600)
    assert "stale" in _error(httpx.post(url, content=ping, headers=stale), 401)["message"]
    # A signed but malformed body is a 400; an empty question is answered ephemerally.
    for bad in (b"[]", b"{", b'{"type": 2, "data": {"name": "ask"}}'):
        _error(httpx.post(url, content=bad, headers=keys.discord_headers(bad)), 400)
    empty = discord_ask("", ident="int-empty")
    answered = httpx.post(url, content=empty, headers=keys.discord_headers(empty))
    assert answered.json()["type"] == 4 and answered.json()["data"]["flags"] == 64
    # The same interaction again (a replay with a fresh signature) is refused.
    again = httpx.post(url, content=empty, headers=keys.discord_headers(empty))
    assert "replayed" in _error(again, 401)["message"]
    assert never.calls == []


def test_routes_exist_only_when_their_secret_is_set(platforms, chat_server, never) -> None:
    only_slack = {k: v for k, v in platforms.env.items() if k.startswith("OUROBOROS_SLACK")}
    with chat_server(ChatSettings.from_env(only_slack), never) as server:
        assert httpx.post(server.url + "/chat/telegram/webhook", content=b"{}").status_code == 404
        assert (
            httpx.post(server.url + "/chat/discord/interactions", content=b"{}").status_code == 404
        )
        assert httpx.post(server.url + "/chat/slack/events", content=b"{}").status_code == 401
    assert never.calls == []


def test_bad_configuration_is_refused_clearly() -> None:
    from ouroboros.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="64 hex"):
        ChatSettings.from_env({"OUROBOROS_DISCORD_PUBLIC_KEY": "abc"})
    with pytest.raises(InvalidInputError, match="platform:user"):
        ChatSettings.from_env({"OUROBOROS_CHAT_ADMINS": "bob"})
    with pytest.raises(InvalidInputError, match="http"):
        ChatSettings.from_env(
            {"OUROBOROS_SLACK_SIGNING_SECRET": "s", "OUROBOROS_SLACK_API": "ftp://x"}
        )
    with pytest.raises(InvalidInputError, match="cooldown"):
        ChatSettings.from_env({}, {"cooldown_seconds": "soon"})
    assert "secret" not in repr(ChatSettings.from_env({"OUROBOROS_SLACK_SIGNING_SECRET": "secret"}))
