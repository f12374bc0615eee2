"""``ouroboros chat telegram set-webhook`` and ``ouroboros chat discord register-commands``
against the loopback stand-ins of the Bot API and Discord's commands API."""

from __future__ import annotations

from click.testing import CliRunner

from ouroboros.cli import main
from tests.chat.support import DISCORD_BOT, TELEGRAM_SECRET


def test_telegram_set_webhook_registers_url_and_secret(platforms) -> None:
    result = CliRunner().invoke(
        main,
        ["chat", "telegram", "set-webhook", "https://bot.example.com/chat/telegram/webhook"],
        env=platforms.env,
    )
    assert result.exit_code == 0, result.output
    call = platforms.telegram.named("setWebhook")[-1]
    assert call.body["url"] == "https://bot.example.com/chat/telegram/webhook"
    assert call.body["secret_token"] == TELEGRAM_SECRET
    assert call.body["allowed_updates"] == ["message"]


def test_telegram_set_webhook_refuses_plain_http_in_one_line(platforms) -> None:
    result = CliRunner().invoke(
        main, ["chat", "telegram", "set-webhook", "http://bot.example.com/x"], env=platforms.env
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: InvalidInputError: Telegram webhooks must be https:// URLs"
    ]


def test_discord_register_commands_puts_ask(platforms) -> None:
    result = CliRunner().invoke(main, ["chat", "discord", "register-commands"], env=platforms.env)
    assert result.exit_code == 0, result.output
    call = platforms.discord.named("commands")[-1]
    assert call.headers["authorization"] == f"Bot {DISCORD_BOT}"
    assert [c["name"] for c in call.body] == ["ask"]
    assert call.body[0]["options"][0] == {
        "type": 3,
        "name": "question",
        "description": "What to ask",
        "required": True,
    }


def test_a_platform_error_is_one_line_without_the_token(platforms) -> None:
    env = dict(platforms.env, OUROBOROS_TELEGRAM_BOT_TOKEN="999:wrong-token-value")
    result = CliRunner().invoke(
        main, ["chat", "telegram", "set-webhook", "https://bot.example.com/hook"], env=env
    )
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "telegram setWebhook" in result.output and "wrong-token" not in result.output
