"""The provider-neutral conversation: messages, tool calls, model requests, replies and usage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Message",
    "ModelReply",
    "ModelRequest",
    "Role",
    "TokenSink",
    "ToolCall",
    "ToolSpec",
    "Usage",
]

Role = Literal["system", "user", "assistant", "tool"]

TokenSink = Callable[[str], Awaitable[None]]
"""``await on_token(text)``: a piece of the answer as the provider streams it."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asked for; ``arguments`` is the raw JSON text it produced."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Message:
    """One message of a conversation (OpenAI's shape, which every provider is mapped from)."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None  # a tool message answers this call
    name: str | None = None  # the tool a tool message comes from
    is_error: bool = False  # a tool message reporting an error


@dataclass(frozen=True)
class ToolSpec:
    """A tool as a model sees it: name, description, JSON Schema of the arguments."""

    name: str
    description: str
    input_schema: Mapping[str, Any]


@dataclass
class Usage:
    """Token counts as the provider reported them (``estimated`` when it reported none)."""

    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def add(self, other: Usage) -> None:
        """Add ``other``'s counts to this one."""
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.estimated = self.estimated or other.estimated


@dataclass(frozen=True)
class ModelRequest:
    """What one model call sends: the conversation, the tools, and how to choose among them.

    ``tool_choice`` is ``auto``, ``required``, ``none`` or a tool name (forces that tool).
    """

    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str = "auto"
    max_output_tokens: int | None = None
    temperature: float | None = None


@dataclass
class ModelReply:
    """What one model call returned: text, tool calls, usage and why it stopped."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    stop_reason: str = ""
    model: str = ""
    provider: str = ""
