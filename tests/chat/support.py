"""Helpers for the chat tests: platform secrets, real signing keys, webhook payload builders."""

from __future__ import annotations

import json
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ouroboros.chat.slack import slack_signature

TELEGRAM_TOKEN = "123456:TEST-telegram-bot-token"
TELEGRAM_SECRET = "telegram-webhook-secret_1"
SLACK_TOKEN = "xoxb-test-slack-bot-token"
SLACK_SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"
DISCORD_APP = "1100220033004400"
DISCORD_BOT = "discord-test-bot-token"


class Keys:
    """Real keys: HMAC secrets for Telegram/Slack, a freshly generated Ed25519 pair for Discord."""

    def __init__(self) -> None:
        self.discord_private = Ed25519PrivateKey.generate()
        self.discord_public_hex = (
            self.discord_private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        )

    def slack_headers(self, body: bytes, *, at: float | None = None) -> dict[str, str]:
        ts = str(int(time.time() if at is None else at))
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": slack_signature(SLACK_SIGNING, ts, body),
            "Content-Type": "application/json",
        }

    def discord_headers(self, body: bytes, *, at: float | None = None) -> dict[str, str]:
        ts = str(int(time.time() if at is None else at))
        sig = self.discord_private.sign(ts.encode() + body).hex()
        return {
            "X-Signature-Ed25519": sig,
            "X-Signature-Timestamp": ts,
            "Content-Type": "application/json",
        }


def telegram_update(
    text: str,
    *,
    update_id: int = 1,
    chat_id: int = 555,
    chat_type: str = "private",
    user_id: int = 7,
    date: float | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> bytes:
    message: dict[str, Any] = {
        "message_id": 10 + update_id,
        "from": {"id": user_id, "is_bot": False, "first_name": "Ada"},
        "chat": {"id": chat_id, "type": chat_type},
        "date": int(time.time() if date is None else date),
        "text": text,
    }
    if entities is not None:
        message["entities"] = entities
    return json.dumps({"update_id": update_id, "message": message}).encode()


def slack_event(
    text: str, *, event_id: str = "Ev1", kind: str = "app_mention", **extra: Any
) -> bytes:
    event = {"type": kind, "user": "U1", "text": text, "channel": "C1", "ts": "1700000000.000100"}
    event.update(extra)
    return json.dumps(
        {"type": "event_callback", "team_id": "T1", "event_id": event_id, "event": event}
    ).encode()


def discord_ask(
    question: str, *, ident: str = "int-1", token: str = "interaction-token-1"
) -> bytes:
    return json.dumps(
        {
            "id": ident,
            "application_id": DISCORD_APP,
            "type": 2,
            "token": token,
            "channel_id": "chan-9",
            "member": {"user": {"id": "u-42", "username": "ada"}},
            "data": {
                "name": "ask",
                "type": 1,
                "options": [{"type": 3, "name": "question", "value": question}],
            },
        }
    ).encode()
