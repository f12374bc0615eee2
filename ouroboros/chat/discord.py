"""Discord: the interactions endpoint (``POST /chat/discord/interactions``) and ``/ask``.

Every request is verified first: ``X-Signature-Ed25519`` must be the application's Ed25519
signature of ``X-Signature-Timestamp + body`` (checked with the ``cryptography`` library), the
timestamp within the replay window, and the interaction id not seen before. ``PING`` is answered
``{"type": 1}``. ``/ask question:...`` is answered at once with a deferred response (type 5:
"thinking..."), then the agent runs and the answer arrives as a follow-up webhook message
(``POST /webhooks/{app}/{token}``), edited as it streams.
"""

from __future__ import annotations

import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ouroboros.chat.gateway import ChatMessage, Gateway
from ouroboros.chat.settings import ChatSettings, DiscordConfig
from ouroboros.chat.webhook import PlatformAPI, error_answer, json_body, unauthenticated
from ouroboros.errors import InvalidInputError, OuroborosError

__all__ = ["ASK_COMMAND", "DiscordAdapter", "register_commands"]

PING, APPLICATION_COMMAND = 1, 2
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 1, 4, 5
EPHEMERAL = 64
MESSAGE_LIMIT = 2000

ASK_COMMAND: dict[str, Any] = {
    "name": "ask",
    "type": 1,
    "description": "Ask Ouroboros a question",
    "options": [{"type": 3, "name": "question", "description": "What to ask", "required": True}],
}


async def register_commands(config: DiscordConfig) -> Any:
    """Register ``/ask`` as the application's global commands (bulk overwrite)."""
    if not config.app_id or not config.bot_token:
        raise InvalidInputError(
            "set OUROBOROS_DISCORD_APP_ID and OUROBOROS_DISCORD_BOT_TOKEN to register commands"
        )
    api = PlatformAPI(
        "discord",
        config.api,
        headers={"Authorization": f"Bot {config.bot_token}"},
        hidden=[config.bot_token],
    )
    return await api.call(
        "PUT", f"/applications/{config.app_id}/commands", [ASK_COMMAND], what="commands"
    )


class _DiscordReply:
    """Follow-up messages on the interaction's webhook, edited as the answer streams."""

    limit = MESSAGE_LIMIT

    def __init__(self, api: PlatformAPI, app_id: str, token: str) -> None:
        self.api = api
        self.path = f"/webhooks/{app_id}/{token}"
        self.message_id: str | None = None

    async def post(self, text: str) -> None:
        data = await self.api.call("POST", self.path, {"content": text}, what="followup")
        self.message_id = str(data["id"]) if isinstance(data, dict) and "id" in data else None

    async def edit(self, text: str) -> None:
        if self.message_id is None:
            await self.post(text)
            return
        await self.api.call(
            "PATCH", f"{self.path}/messages/{self.message_id}", {"content": text}, what="edit"
        )

    async def more(self, text: str) -> None:
        await self.api.call("POST", self.path, {"content": text}, what="followup")


class DiscordAdapter:
    """The interactions endpoint: verify the signature, answer PING, defer ``/ask``."""

    def __init__(self, config: DiscordConfig, settings: ChatSettings, gateway: Gateway) -> None:
        self.config = config
        self.settings = settings
        self.gateway = gateway
        self.key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(config.public_key))

    def verify(self, headers: Any, body: bytes) -> str | None:
        """Return why the request fails verification, or None when it passes."""
        signature = headers.get("x-signature-ed25519", "")
        timestamp = headers.get("x-signature-timestamp", "")
        if not signature or not timestamp:
            return "missing X-Signature-Ed25519 or X-Signature-Timestamp"
        try:
            self.key.verify(bytes.fromhex(signature), timestamp.encode() + body)
        except (ValueError, InvalidSignature):
            return "bad signature"
        try:
            sent = float(timestamp)
        except ValueError:
            return "malformed X-Signature-Timestamp"
        if abs(time.time() - sent) > self.settings.replay_window_seconds:
            return "stale request timestamp (replay window passed)"
        return None

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        why = self.verify(request.headers, body)
        if why is not None:
            return unauthenticated("discord", why)
        try:
            interaction = json_body(body, "discord")
            kind = interaction.get("type")
            if kind == PING:
                return JSONResponse({"type": PONG})
            if kind != APPLICATION_COMMAND:
                return _notice("Only the /ask command is supported.")
            message, token = self._ask(interaction)
        except OuroborosError as exc:
            return error_answer(exc)
        if not self.gateway.first_time("discord", message.event_id):
            return unauthenticated("discord", f"interaction {message.event_id} replayed")
        if message.text == "":
            return _notice("Ask a question: /ask question:...")
        if not self.gateway.take(message):
            return _notice("I am answering someone else in this channel; ask again in a moment.")
        reply = _DiscordReply(
            PlatformAPI("discord", self.config.api, hidden=[self.config.bot_token, token]),
            self.config.app_id or str(interaction.get("application_id", "")),
            token,
        )
        return JSONResponse(
            {"type": DEFERRED_CHANNEL_MESSAGE},
            background=BackgroundTask(self.gateway.answer, message, reply),
        )

    def _ask(self, interaction: dict[str, Any]) -> tuple[ChatMessage, str]:
        data = interaction.get("data")
        if not isinstance(data, dict) or data.get("name") != "ask":
            raise InvalidInputError("discord command must be /ask")
        ident, token = interaction.get("id"), interaction.get("token")
        if not isinstance(ident, str) or not isinstance(token, str) or not token:
            raise InvalidInputError("discord interaction needs a string id and token")
        user = (interaction.get("member") or {}).get("user") or interaction.get("user") or {}
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise InvalidInputError("discord interaction has no user id")
        question = ""
        for option in data.get("options") or []:
            if isinstance(option, dict) and option.get("name") == "question":
                if not isinstance(option.get("value"), str):
                    raise InvalidInputError("discord /ask question must be a string")
                question = option["value"].strip()
        channel = interaction.get("channel_id") or (interaction.get("channel") or {}).get("id")
        message = ChatMessage(
            platform="discord",
            user=user["id"],
            channel=str(channel or "dm"),
            text=question,
            event_id=ident,
        )
        return message, token


def _notice(text: str) -> JSONResponse:
    return JSONResponse({"type": CHANNEL_MESSAGE, "data": {"content": text, "flags": EPHEMERAL}})
