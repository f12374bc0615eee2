"""The platform-neutral half of a chat adapter: who is asking, whether to answer, and streaming.

A platform adapter verifies and parses its webhook into a ``ChatMessage`` and gives the gateway a
``Reply`` (its own send / edit calls). The gateway then decides, in this order:

1. **seen before?** a platform's retry of an event already taken (by event id) is dropped
   (``first_time``; the adapter answers the platform as it expects);
2. **cooling?** one answered message per ``cooldown_seconds`` per channel (passive noise and
   floods in a busy channel stay cheap);
3. **rate-limited?** the caller (``platform:user``) has the same per-caller limit as every other
   surface;

and runs the agent as that caller, with the channel (or thread) as the conversation id, streaming
the answer into the platform message with at most one edit per ``edit_interval_seconds``.
Failures reach the user as one short line with a reference; details go to the log, scrubbed of
the platform secrets.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from ouroboros.chat.settings import ChatSettings
from ouroboros.errors import OuroborosError, RateLimitedError
from ouroboros.tools.policy import Caller, RateLimiter

__all__ = [
    "AgentRunner",
    "ChatMessage",
    "Gateway",
    "OnEvent",
    "Reply",
    "SeenEvents",
    "scrub",
]

log = logging.getLogger(__name__)

OnEvent = Callable[[dict[str, Any]], Awaitable[None]]
"""``await on_event(event)``: an agent event (``{"type": "token", "text": ...}`` and the rest)."""

AgentRunner = Callable[[str, str, Caller, OnEvent], Awaitable[str]]
"""``await run(question, conversation_id, caller, on_event) -> answer``: the agent, as a caller."""


@dataclass(frozen=True, kw_only=True)
class ChatMessage:
    """One message addressed to the bot: who, where, what, and the platform's id for it."""

    platform: str
    user: str
    channel: str
    text: str
    event_id: str
    thread: str | None = None

    @property
    def conversation_id(self) -> str:
        """The conversation this message belongs to: the thread if any, else the channel."""
        base = f"{self.platform}:{self.channel}"
        return f"{base}:{self.thread}" if self.thread else base


class Reply(Protocol):
    """How a platform shows an answer: post a message, then edit it (or add more)."""

    limit: int  # the platform's longest message, in characters

    async def post(self, text: str) -> None:
        """Post the first message of the answer."""

    async def edit(self, text: str) -> None:
        """Replace the text of the posted message."""

    async def more(self, text: str) -> None:
        """Post one more message (the rest of an answer longer than ``limit``)."""


class SeenEvents:
    """Event ids taken in the last ``ttl`` seconds (bounded to ``size``): retries are dropped."""

    def __init__(self, ttl: float = 600.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str, now: float | None = None) -> bool:
        """Record ``key``; return False if it was already seen (a retry or a replay)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if at > now - self.ttl and len(self._seen) < self.size:
                    break
                self._seen.pop(oldest)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


def scrub(text: str, hidden: Iterable[str]) -> str:
    """Return ``text`` with every secret in ``hidden`` replaced by ``<redacted>``."""
    for secret in hidden:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "<redacted>")
    return text


class Gateway:
    """Decide whether to answer a chat message and stream the agent's answer into a reply."""

    def __init__(
        self,
        settings: ChatSettings,
        run_agent: AgentRunner,
        *,
        rate_limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.run_agent = run_agent
        self.rate_limiter = rate_limiter
        self.seen = SeenEvents()
        self._clock = clock
        self._last_answer: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def secrets(self) -> list[str]:
        """Every configured platform secret (for scrubbing log lines)."""
        s = self.settings
        out: list[str] = []
        if s.telegram:
            out += [s.telegram.bot_token, s.telegram.secret]
        if s.slack:
            out += [s.slack.bot_token, s.slack.signing_secret]
        if s.discord:
            out += [s.discord.bot_token]
        return out

    def caller_for(self, platform: str, user: str) -> Caller:
        """Return the caller for a platform user: admins may write, everyone else reads."""
        scopes = {"read", "write"} if self.settings.is_admin(platform, user) else {"read"}
        return Caller(id=f"{platform}:{user}", scopes=frozenset(scopes), transport=platform)

    def first_time(self, platform: str, event_id: str) -> bool:
        """Record a platform event id; return False for a retry or replay of one already taken."""
        if self.seen.add(f"{platform}:{event_id}"):
            return True
        log.info("chat %s: event %s already taken", platform, event_id)
        return False

    def take(self, message: ChatMessage) -> bool:
        """Return whether to answer ``message`` now (its channel is not cooling down).

        Retries are the adapter's to drop first, with ``first_time`` (each platform answers them
        differently: Slack wants a 200, a replayed Telegram or Discord request gets a 401).
        """
        key = f"{message.platform}:{message.channel}"
        now = self._clock()
        with self._lock:
            last = self._last_answer.get(key)
            if last is not None and now - last < self.settings.cooldown_seconds:
                log.info("chat %s: channel %s is cooling down", message.platform, message.channel)
                return False
            self._last_answer[key] = now
            self._last_answer.move_to_end(key)
            while len(self._last_answer) > 10_000:
                self._last_answer.popitem(last=False)
        return True

    async def answer(self, message: ChatMessage, reply: Reply) -> str | None:
        """Run the agent for ``message`` and stream its answer into ``reply``; return the answer.

        Never raises: a failure is shown to the user as one short line with a reference, and
        logged in full (secrets scrubbed). Returns None when nothing was answered.
        """
        caller = self.caller_for(message.platform, message.user)
        stream = _ThrottledReply(reply, self.settings.edit_interval_seconds, self._clock)
        try:
            if self.rate_limiter is not None:
                self.rate_limiter.check(caller.id)

            async def on_event(event: dict[str, Any]) -> None:
                if event.get("type") == "token":
                    await stream.token(str(event.get("text") or event.get("delta") or ""))

            answer = await self.run_agent(message.text, message.conversation_id, caller, on_event)
            await stream.finish(answer or "(no answer)")
            return answer
        except RateLimitedError as exc:
            wait = (exc.details or {}).get("retry_after", 60)
            await _safely(
                stream.finish(f"You are sending messages too fast; try again in {wait:.0f} s.")
            )
        except Exception as exc:
            ref = secrets.token_hex(4)
            detail = scrub(f"{type(exc).__name__}: {exc}", self.secrets())
            kind = exc.type if isinstance(exc, OuroborosError) else "internal"
            log.warning(
                "chat %s: answering %s failed (ref %s, %s): %s",
                message.platform,
                message.conversation_id,
                ref,
                kind,
                detail,
            )
            await _safely(stream.finish(f"Sorry, I could not answer that (ref {ref})."))
        return None


async def _safely(step: Awaitable[None]) -> None:
    try:
        await step
    except Exception as exc:  # the platform itself failed: nothing more to tell the user
        log.warning("chat: could not deliver the error reply: %s", type(exc).__name__)


class _ThrottledReply:
    """Stream tokens into a reply: post once, then edit at most once per ``interval`` seconds."""

    def __init__(self, reply: Reply, interval: float, clock: Callable[[], float]) -> None:
        self.reply = reply
        self.interval = interval
        self.clock = clock
        self.text = ""
        self.shown = ""
        self.posted = False
        self.last = 0.0

    async def token(self, piece: str) -> None:
        if not piece:
            return
        self.text += piece
        if not self.posted or self.clock() - self.last >= self.interval:
            await self._show(self.text)

    async def finish(self, answer: str) -> None:
        limit = max(self.reply.limit, 1)
        parts = [answer[i : i + limit] for i in range(0, len(answer), limit)] or [answer]
        if parts[0] != self.shown:
            if self.posted:
                wait = self.interval - (self.clock() - self.last)
                if wait > 0:
                    await anyio.sleep(wait)
            await self._show(parts[0], final=True)
        for part in parts[1:]:
            await self.reply.more(part)

    async def _show(self, text: str, final: bool = False) -> None:
        text = text[: self.reply.limit]
        if not self.posted:
            await self.reply.post(text)
            self.posted = True
        else:
            await self.reply.edit(text)
        self.shown = text
        self.last = self.clock()
