"""Fixtures for the chat tests: platform keys, stand-ins on loopback, and a real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from ouroboros.chat import ChatSettings
from ouroboros.config import Settings
from ouroboros.http.app import create_app
from ouroboros.service import open_service
from tests.chat import standins
from tests.chat.support import (
    DISCORD_APP,
    DISCORD_BOT,
    SLACK_SIGNING,
    SLACK_TOKEN,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    Keys,
)
from tests.conftest import UvicornThread


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


class Platforms:
    """The three stand-ins, running on loopback, and the chat settings that point at them."""

    def __init__(self, serve: Callable[[Any], Any], stack: ExitStack, keys: Keys) -> None:
        tg_app, self.telegram = standins.telegram_standin(TELEGRAM_TOKEN)
        sl_app, self.slack = standins.slack_standin(SLACK_TOKEN)
        dc_app, self.discord = standins.discord_standin(DISCORD_APP, DISCORD_BOT)
        tg = stack.enter_context(serve(tg_app))
        sl = stack.enter_context(serve(sl_app))
        dc = stack.enter_context(serve(dc_app))
        self.env = {
            "OUROBOROS_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "OUROBOROS_TELEGRAM_SECRET": TELEGRAM_SECRET,
            "OUROBOROS_TELEGRAM_API": tg.url,
            "OUROBOROS_SLACK_BOT_TOKEN": SLACK_TOKEN,
            "OUROBOROS_SLACK_SIGNING_SECRET": SLACK_SIGNING,
            "OUROBOROS_SLACK_API": sl.url + "/api",
            "OUROBOROS_DISCORD_APP_ID": DISCORD_APP,
            "OUROBOROS_DISCORD_PUBLIC_KEY": keys.discord_public_hex,
            "OUROBOROS_DISCORD_BOT_TOKEN": DISCORD_BOT,
            "OUROBOROS_DISCORD_API": dc.url + "/api/v10",
            "OUROBOROS_CHAT_ADMINS": "telegram:7,slack:UADMIN",
        }

    def settings(self, **table: Any) -> ChatSettings:
        table.setdefault("edit_interval_seconds", 0.2)
        table.setdefault("cooldown_seconds", 0.0)
        return ChatSettings.from_env(self.env, table)


@pytest.fixture(scope="module")
def platforms(keys: Keys) -> Iterator[Platforms]:
    """The stand-ins, shared by a module's tests (each test uses its own ids and channels)."""
    with ExitStack() as stack:
        yield Platforms(UvicornThread, stack, keys)


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """Return ``start(chat_settings, make_runner)``: a real app on uvicorn over a DuckDB file.

    ``make_runner(service)`` returns the agent runner the chat routes use.
    """

    @contextmanager
    def start(chat: ChatSettings, make_runner: Callable[[Any], Any]) -> Iterator[Any]:
        tmp_path = tmp_path_factory.mktemp("chat")
        settings = Settings(
            db_path=str(tmp_path / "chat.duckdb"),
            roots=(str(tmp_path),),
            rate_limit_per_minute=1000,
        )
        with open_service(settings) as service:
            app = create_app(service=service, chat=chat, chat_agent=make_runner(service))
            with UvicornThread(app) as server:
                server.service = service
                yield server

    return start
