"""``ScriptedProvider``: a deterministic provider that replays given assistant turns.

For tests and demos (and the chat adapters where no local model is installed): a real
``Provider`` implementation with no model behind it. Each call returns the next turn of the
script, tool calls included, streams its text word by word through ``on_token``, and reports
usage (the turn's own ``usage``, else a count of words in and out, marked as estimated).

A turn is one of::

    "the answer"                                   # a final text answer
    {"text": "...", "tool_calls": [{"name": "search_nodes", "arguments": {"query": "x"}}]}
    {"tool_calls": [{"name": "t", "arguments": "{not json"}]}   # raw (malformed) arguments
    {"text": "...", "usage": {"input_tokens": 10, "output_tokens": 3}}
    ProviderDownError("...")                       # an exception to raise for this call
    lambda request: {...}                          # computed from the request

When the script runs out, the call fails with a ProviderError saying so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ouroboros.agent.messages import ModelReply, ModelRequest, TokenSink, ToolCall, Usage
from ouroboros.errors import ProviderError

__all__ = ["ScriptedProvider", "ScriptedTurn"]

ScriptedTurn = str | Mapping[str, Any] | BaseException | Callable[[ModelRequest], Any]


def _words(text: str) -> int:
    return len(text.split())


class ScriptedProvider:
    """A provider that answers from a script; ``requests`` keeps what each call was sent."""

    def __init__(
        self,
        turns: Iterable[ScriptedTurn],
        *,
        name: str = "scripted",
        model: str = "scripted",
    ) -> None:
        self.turns = list(turns)
        self.name = name
        self.model = model
        self.requests: list[ModelRequest] = []

    async def complete(
        self, request: ModelRequest, *, on_token: TokenSink | None = None
    ) -> ModelReply:
        """Return the next scripted turn as a reply (raise it, when it is an exception)."""
        self.requests.append(request)
        if not self.turns:
            raise ProviderError(
                f"provider {self.name!r}: the script has no more turns",
                details={"provider": self.name},
            )
        turn: Any = self.turns.pop(0)
        if callable(turn) and not isinstance(turn, BaseException):
            turn = turn(request)
        if isinstance(turn, BaseException):
            raise turn
        if isinstance(turn, str):
            turn = {"text": turn}
        text = str(turn.get("text") or "")
        calls = [
            ToolCall(
                id=str(c.get("id") or f"call_{len(self.requests)}_{i}"),
                name=str(c["name"]),
                arguments=c["arguments"]
                if isinstance(c.get("arguments"), str)
                else json.dumps(c.get("arguments") or {}),
            )
            for i, c in enumerate(turn.get("tool_calls") or [])
        ]
        if on_token is not None and text:
            words = text.split(" ")
            for i, word in enumerate(words):
                await on_token(word if i == len(words) - 1 else word + " ")
        given = turn.get("usage")
        if isinstance(given, Mapping):
            usage = Usage(int(given.get("input_tokens", 0)), int(given.get("output_tokens", 0)))
        else:
            prompt = sum(_words(m.content) for m in request.messages)
            produced = _words(text) + sum(_words(c.arguments) + 1 for c in calls)
            usage = Usage(prompt, produced, estimated=True)
        return ModelReply(
            text=text,
            tool_calls=calls,
            usage=usage,
            stop_reason="tool_calls" if calls else "stop",
            model=self.model,
            provider=self.name,
        )
