"""Slack: the Events API endpoint (``POST /chat/slack/events``) and its threaded replies.

Every request is verified first: ``X-Slack-Signature`` must be ``v0=`` + HMAC-SHA256 of
``v0:{X-Slack-Request-Timestamp}:{body}`` under the signing secret, and the timestamp within the
replay window (five minutes). Then ``url_verification`` gets its challenge back, and
``app_mention`` or a direct message (``message`` in an ``im`` channel) is acknowledged at once
(Slack wants an answer within three seconds and retries otherwise; a retry is recognised by its
event id and acknowledged without running anything) and answered after: ``chat.postMessage`` in
the thread, then ``chat.update`` as the answer streams.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ouroboros.chat.gateway import ChatMessage, Gateway
from ouroboros.chat.settings import ChatSettings, SlackConfig
from ouroboros.chat.webhook import (
    PlatformAPI,
    PlatformAPIError,
    error_answer,
    json_body,
    unauthenticated,
)
from ouroboros.errors import InvalidInputError, OuroborosError

__all__ = ["SlackAdapter", "slack_signature"]

MESSAGE_LIMIT = 3900  # Slack truncates long texts; keep each message well under 4,000
_MENTION = re.compile(r"<@[A-Z0-9]+>")


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Return the ``X-Slack-Signature`` value for ``body`` sent at ``timestamp``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


async def slack_call(api: PlatformAPI, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Call a Web API method; return its answer (raises PlatformAPIError when not ``ok``)."""
    data = await api.call("POST", f"/{method}", payload, what=method)
    if not isinstance(data, dict) or not data.get("ok"):
        err = data.get("error") if isinstance(data, dict) else None
        raise PlatformAPIError(f"slack {method}: {err or 'not ok'}")
    return data


class _SlackReply:
    """Post in the thread, then update that message."""

    limit = MESSAGE_LIMIT

    def __init__(self, api: PlatformAPI, channel: str, thread: str | None) -> None:
        self.api = api
        self.channel = channel
        self.thread = thread
        self.ts: str | None = None

    def _where(self) -> dict[str, Any]:
        where: dict[str, Any] = {"channel": self.channel}
        if self.thread:
            where["thread_ts"] = self.thread
        return where

    async def post(self, text: str) -> None:
        data = await slack_call(self.api, "chat.postMessage", {**self._where(), "text": text})
        self.ts = data.get("ts")

    async def edit(self, text: str) -> None:
        if self.ts is None:
            await self.post(text)
            return
        await slack_call(
            self.api, "chat.update", {"channel": self.channel, "ts": self.ts, "text": text}
        )

    async def more(self, text: str) -> None:
        await slack_call(self.api, "chat.postMessage", {**self._where(), "text": text})


class SlackAdapter:
    """The Events API endpoint: verify, answer the challenge, acknowledge, answer after."""

    def __init__(self, config: SlackConfig, settings: ChatSettings, gateway: Gateway) -> None:
        self.config = config
        self.settings = settings
        self.gateway = gateway
        self.api = PlatformAPI(
            "slack",
            config.api,
            headers={"Authorization": f"Bearer {config.bot_token}"},
            hidden=[config.bot_token],
        )

    def verify(self, headers: Any, body: bytes) -> str | None:
        """Return why the request fails verification, or None when it passes."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not timestamp or not signature:
            return "missing X-Slack-Signature or X-Slack-Request-Timestamp"
        try:
            sent = int(timestamp)
        except ValueError:
            return "malformed X-Slack-Request-Timestamp"
        if abs(time.time() - sent) > self.settings.replay_window_seconds:
            return "stale request timestamp (replay window passed)"
        expected = slack_signature(self.config.signing_secret, timestamp, body)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return "bad signature"
        return None

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        why = self.verify(request.headers, body)
        if why is not None:
            return unauthenticated("slack", why)
        try:
            payload = json_body(body, "slack")
            kind = payload.get("type")
            if kind == "url_verification":
                challenge = payload.get("challenge")
                if not isinstance(challenge, str):
                    raise InvalidInputError("slack url_verification has no challenge string")
                return JSONResponse({"challenge": challenge})
            if kind != "event_callback":
                return JSONResponse({"ok": True})  # other envelope types: nothing to do
            message = self._message(payload)
        except OuroborosError as exc:
            return error_answer(exc)
        if message is None:
            return JSONResponse({"ok": True})
        if not self.gateway.first_time("slack", message.event_id):
            return JSONResponse({"ok": True})  # Slack's retry of an event already taken
        return JSONResponse({"ok": True}, background=BackgroundTask(self._answer, message))

    def _message(self, payload: dict[str, Any]) -> ChatMessage | None:
        event_id = payload.get("event_id")
        event = payload.get("event")
        if not isinstance(event_id, str) or not isinstance(event, dict):
            raise InvalidInputError("slack event_callback needs an event_id and an event object")
        if event.get("bot_id") or event.get("subtype"):
            return None  # bots (ourselves included), edits, joins: never answered
        kind = event.get("type")
        if kind == "message" and event.get("channel_type") != "im":
            return None  # passive listening is off: channel messages need a mention
        if kind not in {"app_mention", "message"}:
            return None
        text, user, channel = event.get("text"), event.get("user"), event.get("channel")
        if not all(isinstance(v, str) for v in (text, user, channel)):
            raise InvalidInputError("slack event needs string text, user and channel")
        question = _MENTION.sub("", str(text)).strip()
        if not question:
            return None
        ts = event.get("ts")
        thread = event.get("thread_ts") or (ts if kind == "app_mention" else None)
        return ChatMessage(
            platform="slack",
            user=str(user),
            channel=str(channel),
            text=question,
            event_id=event_id,
            thread=str(thread) if thread else None,
        )

    async def _answer(self, message: ChatMessage) -> None:
        if not self.gateway.take(message):
            return
        await self.gateway.answer(message, _SlackReply(self.api, message.channel, message.thread))
