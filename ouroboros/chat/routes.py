"""The chat routes of ``ouroboros serve``: one per configured platform, bound to the agent.

A platform's route exists if and only if its verification secret is set (404 otherwise). The
routes are built with the app and bound to the running service's agent in the lifespan; a request
that arrives before that gets the one error shape with 503.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ouroboros.chat.discord import DiscordAdapter
from ouroboros.chat.gateway import AgentRunner, Gateway
from ouroboros.chat.settings import ChatSettings
from ouroboros.chat.slack import SlackAdapter
from ouroboros.chat.telegram import TelegramAdapter
from ouroboros.chat.webhook import error_answer
from ouroboros.errors import OuroborosError
from ouroboros.tools.policy import RateLimiter

__all__ = ["CHAT_PATHS", "ChatEndpoints"]

CHAT_PATHS = {
    "telegram": "/chat/telegram/webhook",
    "slack": "/chat/slack/events",
    "discord": "/chat/discord/interactions",
}
"""Where each platform posts. They carry no bearer token: the platform's signature is the auth."""


class _NotBound(OuroborosError):
    http_status = 503


class ChatEndpoints:
    """The configured platforms' webhook endpoints, sharing one gateway."""

    def __init__(self, settings: ChatSettings, *, rate_limit_per_minute: int = 0) -> None:
        self.settings = settings
        self.rate_limiter = RateLimiter(rate_limit_per_minute)
        self.gateway: Gateway | None = None
        self._adapters: dict[str, Callable[[Request], Awaitable[Response]]] = {}

    def routes(self) -> list[Route]:
        """Return one POST route per enabled platform."""
        return [
            Route(CHAT_PATHS[name], self._endpoint(name), methods=["POST"])
            for name in self.settings.enabled
        ]

    def bind(self, run_agent: AgentRunner) -> Gateway:
        """Connect the endpoints to ``run_agent`` (done in the app's lifespan); return the gateway."""
        s = self.settings
        gateway = Gateway(s, run_agent, rate_limiter=self.rate_limiter)
        adapters: dict[str, Callable[[Request], Awaitable[Response]]] = {}
        if s.telegram is not None:
            adapters["telegram"] = TelegramAdapter(s.telegram, s, gateway).endpoint
        if s.slack is not None:
            adapters["slack"] = SlackAdapter(s.slack, s, gateway).endpoint
        if s.discord is not None:
            adapters["discord"] = DiscordAdapter(s.discord, s, gateway).endpoint
        self.gateway, self._adapters = gateway, adapters
        return gateway

    def unbind(self) -> None:
        """Disconnect from the agent (the lifespan is ending)."""
        self.gateway, self._adapters = None, {}

    def _endpoint(self, name: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            adapter = self._adapters.get(name)
            if adapter is None:
                return error_answer(_NotBound(f"the {name} adapter is starting or stopping"))
            return await adapter(request)

        endpoint.__name__ = f"chat_{name}"
        return endpoint
