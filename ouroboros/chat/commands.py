"""``ouroboros chat``: register the webhook with Telegram, the ``/ask`` command with Discord."""

from __future__ import annotations

import anyio
import click

from ouroboros.chat.settings import load_chat_settings
from ouroboros.errors import InvalidInputError

__all__ = ["chat_group"]


@click.group("chat")
def chat_group() -> None:
    """Set up the chat platforms (secrets come from the environment; see the README)."""


@chat_group.group("telegram")
def telegram_group() -> None:
    """Telegram: OUROBOROS_TELEGRAM_BOT_TOKEN and OUROBOROS_TELEGRAM_SECRET."""


@telegram_group.command("set-webhook")
@click.argument("url")
def telegram_set_webhook(url: str) -> None:
    """Tell Telegram to post updates to URL (https://<host>/chat/telegram/webhook)."""
    from ouroboros.chat.telegram import set_webhook

    settings = load_chat_settings()
    if settings.telegram is None or not settings.telegram.bot_token:
        raise InvalidInputError(
            "set OUROBOROS_TELEGRAM_BOT_TOKEN and OUROBOROS_TELEGRAM_SECRET first"
        )
    anyio.run(set_webhook, settings.telegram, url)
    click.echo(f"telegram: webhook set to {url}")


@chat_group.group("discord")
def discord_group() -> None:
    """Discord: OUROBOROS_DISCORD_APP_ID, OUROBOROS_DISCORD_PUBLIC_KEY, OUROBOROS_DISCORD_BOT_TOKEN."""


@discord_group.command("register-commands")
def discord_register_commands() -> None:
    """Register the /ask slash command for the application."""
    from ouroboros.chat.discord import register_commands

    settings = load_chat_settings()
    if settings.discord is None:
        raise InvalidInputError(
            "set OUROBOROS_DISCORD_PUBLIC_KEY, OUROBOROS_DISCORD_APP_ID and "
            "OUROBOROS_DISCORD_BOT_TOKEN first"
        )
    anyio.run(register_commands, settings.discord)
    click.echo("discord: /ask registered")
