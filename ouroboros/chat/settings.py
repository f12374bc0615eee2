"""Chat settings: which platforms are on, their secrets, API bases, admins and cooldowns."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ouroboros.errors import InvalidInputError

__all__ = [
    "ChatSettings",
    "DiscordConfig",
    "SlackConfig",
    "TelegramConfig",
    "load_chat_settings",
]

TELEGRAM_API = "https://api.telegram.org"
SLACK_API = "https://slack.com/api"
DISCORD_API = "https://discord.com/api/v10"


@dataclass(frozen=True, kw_only=True)
class TelegramConfig:
    """Telegram: the bot token (to reply) and the webhook secret (to verify)."""

    bot_token: str
    secret: str
    api: str = TELEGRAM_API
    username: str | None = None  # the bot's @name; asked of getMe when not given

    def __repr__(self) -> str:  # secrets never reach logs through a repr
        return f"TelegramConfig(api={self.api!r}, username={self.username!r})"


@dataclass(frozen=True, kw_only=True)
class SlackConfig:
    """Slack: the bot token (to reply) and the signing secret (to verify)."""

    bot_token: str
    signing_secret: str
    api: str = SLACK_API

    def __repr__(self) -> str:
        return f"SlackConfig(api={self.api!r})"


@dataclass(frozen=True, kw_only=True)
class DiscordConfig:
    """Discord: the application id, its Ed25519 public key (hex) and the bot token."""

    app_id: str
    public_key: str
    bot_token: str = ""
    api: str = DISCORD_API

    def __repr__(self) -> str:
        return f"DiscordConfig(app_id={self.app_id!r}, api={self.api!r})"


@dataclass(frozen=True, kw_only=True)
class ChatSettings:
    """Everything the chat adapters read: each platform is on iff its verification secret is set.

    ``admins`` are ``platform:user`` ids that may use write tools; everyone else gets the read
    scope. ``cooldown_seconds`` is the least time between two answered messages in one channel;
    ``edit_interval_seconds`` the least time between two edits of a streamed reply (Telegram and
    Slack both limit edits to about one a second per chat); ``replay_window_seconds`` how old a
    signed request may be.
    """

    telegram: TelegramConfig | None = None
    slack: SlackConfig | None = None
    discord: DiscordConfig | None = None
    admins: frozenset[str] = frozenset()
    cooldown_seconds: float = 3.0
    edit_interval_seconds: float = 1.0
    replay_window_seconds: float = 300.0
    tools: tuple[str, ...] = ("chat-safe",)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> tuple[str, ...]:
        """The platforms whose routes exist."""
        return tuple(
            name
            for name, cfg in (
                ("telegram", self.telegram),
                ("slack", self.slack),
                ("discord", self.discord),
            )
            if cfg is not None
        )

    def is_admin(self, platform: str, user: str) -> bool:
        """Return whether ``platform:user`` may use write tools."""
        return f"{platform}:{user}" in self.admins

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, table: Mapping[str, Any] | None = None
    ) -> ChatSettings:
        """Return chat settings from the environment and the ``[chat]`` table of ouroboros.toml.

        The environment wins over the table. Raises InvalidInputError on a malformed value
        (naming the variable or key).
        """
        env = os.environ if environ is None else environ
        tab = dict(table or {})
        telegram = slack = discord = None
        if env.get("OUROBOROS_TELEGRAM_SECRET"):
            telegram = TelegramConfig(
                bot_token=env.get("OUROBOROS_TELEGRAM_BOT_TOKEN", ""),
                secret=env["OUROBOROS_TELEGRAM_SECRET"],
                api=_base(env.get("OUROBOROS_TELEGRAM_API") or TELEGRAM_API),
                username=(env.get("OUROBOROS_TELEGRAM_BOT_USERNAME") or None),
            )
        if env.get("OUROBOROS_SLACK_SIGNING_SECRET"):
            slack = SlackConfig(
                bot_token=env.get("OUROBOROS_SLACK_BOT_TOKEN", ""),
                signing_secret=env["OUROBOROS_SLACK_SIGNING_SECRET"],
                api=_base(env.get("OUROBOROS_SLACK_API") or SLACK_API),
            )
        if env.get("OUROBOROS_DISCORD_PUBLIC_KEY"):
            key = env["OUROBOROS_DISCORD_PUBLIC_KEY"].strip()
            try:
                if len(bytes.fromhex(key)) != 32:
                    raise ValueError
            except ValueError:
                raise InvalidInputError(
                    "OUROBOROS_DISCORD_PUBLIC_KEY must be the application's Ed25519 public key "
                    "as 64 hex characters"
                ) from None
            discord = DiscordConfig(
                app_id=env.get("OUROBOROS_DISCORD_APP_ID", ""),
                public_key=key,
                bot_token=env.get("OUROBOROS_DISCORD_BOT_TOKEN", ""),
                api=_base(env.get("OUROBOROS_DISCORD_API") or DISCORD_API),
            )
        admins = set(_strings(tab.get("admins", []), "[chat] admins"))
        admins.update(
            p.strip() for p in env.get("OUROBOROS_CHAT_ADMINS", "").split(",") if p.strip()
        )
        for admin in admins:
            platform, _, user = admin.partition(":")
            if platform not in {"telegram", "slack", "discord"} or not user:
                raise InvalidInputError(
                    f"chat admin {admin!r} must be platform:user "
                    "(telegram:42, slack:U123, discord:1234)"
                )
        tools = tab.get("tools", ["chat-safe"])
        if isinstance(tools, str):
            tools = [tools]
        return cls(
            telegram=telegram,
            slack=slack,
            discord=discord,
            admins=frozenset(admins),
            cooldown_seconds=_seconds(tab, "cooldown_seconds", 3.0),
            edit_interval_seconds=_seconds(tab, "edit_interval_seconds", 1.0),
            replay_window_seconds=_seconds(tab, "replay_window_seconds", 300.0),
            tools=tuple(_strings(tools, "[chat] tools")),
            extra={k: v for k, v in tab.items() if k not in _KNOWN},
        )


def load_chat_settings(config_path: str | None = None) -> ChatSettings:
    """Return chat settings from the environment and the ``[chat]`` table of ouroboros.toml."""
    from ouroboros.config_file import load_config_file, section

    return ChatSettings.from_env(table=section(load_config_file(config_path), "chat"))


_KNOWN = {"admins", "cooldown_seconds", "edit_interval_seconds", "replay_window_seconds", "tools"}


def _base(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise InvalidInputError(f"chat API base URL {url!r} must start with http:// or https://")
    return url.rstrip("/")


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(f"{where} must be a list of strings")
    return value


def _seconds(table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidInputError(f"[chat] {key} must be a number of seconds >= 0")
    return float(value)
