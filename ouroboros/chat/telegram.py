"""Telegram: the Bot API webhook (``POST /chat/telegram/webhook``) and its replies.

Telegram sends each update as JSON with the secret given to ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header: that header is checked first, in constant time.
The bot answers private messages, and in groups only when mentioned (``@botname``), asked with
``/ask``, or replied to. The reply is ``sendMessage``, then ``editMessageText`` as the answer
streams (at most one edit per ``edit_interval_seconds``: Telegram allows about one message a
second per chat).
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ouroboros.chat.gateway import ChatMessage, Gateway
from ouroboros.chat.settings import ChatSettings, TelegramConfig
from ouroboros.chat.webhook import PlatformAPI, error_answer, json_body, unauthenticated
from ouroboros.errors import InvalidInputError, OuroborosError

__all__ = ["TelegramAdapter", "set_webhook"]

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
MESSAGE_LIMIT = 4096


def bot_api(config: TelegramConfig) -> PlatformAPI:
    """Return the Bot API client: ``{api}/bot<token>/<method>``."""
    return PlatformAPI("telegram", f"{config.api}/bot{config.bot_token}", hidden=[config.bot_token])


async def telegram_call(api: PlatformAPI, method: str, payload: dict[str, Any]) -> Any:
    """Call a Bot API method; return its ``result`` (raises PlatformAPIError when not ok)."""
    from ouroboros.chat.webhook import PlatformAPIError

    data = await api.call("POST", f"/{method}", payload, what=method)
    if not isinstance(data, dict) or not data.get("ok"):
        desc = data.get("description") if isinstance(data, dict) else None
        raise PlatformAPIError(f"telegram {method}: {desc or 'not ok'}")
    return data.get("result")


async def set_webhook(config: TelegramConfig, url: str) -> None:
    """Register ``url`` as the bot's webhook, with the configured secret token."""
    if not url.startswith("https://"):
        raise InvalidInputError("Telegram webhooks must be https:// URLs")
    await telegram_call(
        bot_api(config),
        "setWebhook",
        {"url": url, "secret_token": config.secret, "allowed_updates": ["message"]},
    )


class _TelegramReply:
    """Post into a chat (as a reply to the asking message), then edit that message."""

    limit = MESSAGE_LIMIT

    def __init__(self, api: PlatformAPI, chat_id: int, reply_to: int | None) -> None:
        self.api = api
        self.chat_id = chat_id
        self.reply_to = reply_to
        self.message_id: int | None = None

    async def post(self, text: str) -> None:
        payload: dict[str, Any] = {"chat_id": self.chat_id, "text": text}
        if self.reply_to is not None:
            payload["reply_parameters"] = {"message_id": self.reply_to}
        result = await telegram_call(self.api, "sendMessage", payload)
        self.message_id = result.get("message_id") if isinstance(result, dict) else None

    async def edit(self, text: str) -> None:
        if self.message_id is None:
            await self.post(text)
            return
        await telegram_call(
            self.api,
            "editMessageText",
            {"chat_id": self.chat_id, "message_id": self.message_id, "text": text},
        )

    async def more(self, text: str) -> None:
        await telegram_call(self.api, "sendMessage", {"chat_id": self.chat_id, "text": text})


class TelegramAdapter:
    """The webhook endpoint: verify, parse, acknowledge at once, answer in the background."""

    def __init__(self, config: TelegramConfig, settings: ChatSettings, gateway: Gateway) -> None:
        self.config = config
        self.settings = settings
        self.gateway = gateway
        self.api = bot_api(config)
        self._me: dict[str, Any] | None = None

    async def endpoint(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), self.config.secret.encode()):
            return unauthenticated("telegram", "missing or wrong secret token")
        try:
            update = json_body(await request.body(), "telegram")
            message = self._message(update)
        except OuroborosError as exc:
            return error_answer(exc)
        if message is None:
            return JSONResponse({"ok": True})
        update_id, msg = message
        age = time.time() - float(msg.get("date") or 0)
        if age > self.settings.replay_window_seconds:
            return unauthenticated("telegram", f"stale update ({age:.0f} s old)")
        if not self.gateway.first_time("telegram", str(update_id)):
            return unauthenticated("telegram", f"update {update_id} replayed")
        return JSONResponse({"ok": True}, background=BackgroundTask(self._answer, msg))

    def _message(self, update: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        update_id = update.get("update_id")
        if not isinstance(update_id, int):
            raise InvalidInputError("telegram update has no integer update_id")
        msg = update.get("message")
        if msg is None:
            return None  # another kind of update (edits, channel posts): not asked for
        if not isinstance(msg, dict) or not isinstance(msg.get("chat"), dict):
            raise InvalidInputError("telegram message must be an object with a chat")
        if not isinstance(msg.get("chat", {}).get("id"), int):
            raise InvalidInputError("telegram message chat has no integer id")
        if not isinstance(msg.get("date", 0), int):
            raise InvalidInputError("telegram message date must be an integer")
        text = msg.get("text")
        if text is not None and not isinstance(text, str):
            raise InvalidInputError("telegram message text must be a string")
        sender = msg.get("from") or {}
        if not isinstance(sender, dict) or sender.get("is_bot") or not text:
            return None
        return update_id, msg

    async def _username(self) -> str:
        if self.config.username:
            return self.config.username.lstrip("@")
        if self._me is None:
            result = await telegram_call(self.api, "getMe", {})
            self._me = result if isinstance(result, dict) else {}
        return str(self._me.get("username") or "")

    async def _answer(self, msg: dict[str, Any]) -> None:
        try:
            question = await self._addressed(msg)
        except OuroborosError as exc:
            log.warning("chat telegram: %s", exc.message)
            return
        if question is None:
            return  # a group message not addressed to the bot: passive listening is off
        chat_id = msg["chat"]["id"]
        message = ChatMessage(
            platform="telegram",
            user=str((msg.get("from") or {}).get("id", "unknown")),
            channel=str(chat_id),
            text=question,
            event_id=f"msg:{chat_id}:{msg.get('message_id')}",
        )
        if not self.gateway.take(message):
            return
        reply = _TelegramReply(self.api, chat_id, msg.get("message_id"))
        await self.gateway.answer(message, reply)

    async def _addressed(self, msg: dict[str, Any]) -> str | None:
        """The question if the message is for the bot (private, mention, /ask, reply), else None."""
        text: str = msg["text"]
        if msg["chat"].get("type") == "private":
            return _strip_command(text) or None
        name = (await self._username()).lower()
        for entity in msg.get("entities") or []:
            if not isinstance(entity, dict):
                continue
            off, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
            piece = text[off : off + length]
            if entity.get("type") == "mention" and name and piece.lower() == f"@{name}":
                return (text[:off] + text[off + length :]).strip() or None
            if entity.get("type") == "bot_command" and off == 0:
                command, _, target = piece.partition("@")
                if command == "/ask" and (not target or target.lower() == name):
                    return text[length:].strip() or None
        replied = msg.get("reply_to_message") or {}
        if (
            isinstance(replied, dict)
            and (replied.get("from") or {}).get("username", "").lower() == name
            and name
        ):
            return text.strip() or None
        return None


def _strip_command(text: str) -> str:
    if text.startswith("/ask"):
        first, _, rest = text.partition(" ")
        if first == "/ask" or first.startswith("/ask@"):
            return rest.strip()
    if text.startswith("/start"):
        return ""
    return text.strip()
