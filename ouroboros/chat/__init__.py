"""Chat adapters: the agent answering on Telegram, Slack and Discord through webhooks.

Each adapter verifies the platform's signature before anything else, parses the message, hands
it to the ``Gateway`` (dedup, cooldown, rate limit, caller identity) which runs the agent as that
platform user and streams the answer back through the platform's API.
"""

from ouroboros.chat.gateway import AgentRunner, ChatMessage, Gateway
from ouroboros.chat.routes import CHAT_PATHS, ChatEndpoints
from ouroboros.chat.settings import ChatSettings, DiscordConfig, SlackConfig, TelegramConfig

__all__ = [
    "CHAT_PATHS",
    "AgentRunner",
    "ChatEndpoints",
    "ChatMessage",
    "ChatSettings",
    "DiscordConfig",
    "Gateway",
    "SlackConfig",
    "TelegramConfig",
]
