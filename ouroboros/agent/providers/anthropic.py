"""Anthropic Messages: ``POST {base_url}/v1/messages`` with tool use, JSON or SSE streaming.

The conversation is mapped to Anthropic's shape: system messages go to the top-level
``system``; an assistant turn with tool calls becomes ``text`` + ``tool_use`` blocks (arguments
as a JSON object); tool results become ``tool_result`` blocks in one ``user`` message (several
results of one turn travel together); ``tool_choice`` is ``{"type": "auto" | "any" | "none" |
"tool"}``. Streaming reads the documented events: ``message_start`` (input usage),
``content_block_start`` / ``content_block_delta`` (``text_delta``, ``input_json_delta``) /
``content_block_stop``, ``message_delta`` (stop reason, output usage), ``message_stop``,
``ping`` and ``error``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2 as httpx

from ouroboros.agent.messages import Message, ModelReply, ModelRequest, TokenSink, ToolCall, Usage
from ouroboros.agent.providers.base import HTTPProvider, classify_response, sse_events
from ouroboros.errors import ProviderError

__all__ = ["AnthropicProvider", "anthropic_messages"]


def _input_object(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def anthropic_messages(messages: tuple[Message, ...]) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(system, messages)`` in the Messages API shape."""
    system: list[str] = []
    out: list[dict[str, Any]] = []

    def push(role: str, blocks: list[dict[str, Any]]) -> None:
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for m in messages:
        if m.role == "system":
            system.append(m.content)
        elif m.role == "user":
            push("user", [{"type": "text", "text": m.content}])
        elif m.role == "tool":
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": m.tool_call_id or "",
                "content": m.content,
            }
            if m.is_error:
                block["is_error"] = True
            push("user", [block])
        else:
            blocks: list[dict[str, Any]] = []
            if m.content:
                blocks.append({"type": "text", "text": m.content})
            blocks += [
                {
                    "type": "tool_use",
                    "id": c.id,
                    "name": c.name,
                    "input": _input_object(c.arguments),
                }
                for c in m.tool_calls
            ]
            push("assistant", blocks or [{"type": "text", "text": ""}])
    return "\n\n".join(system), out


def _tool_choice(choice: str) -> dict[str, Any]:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    return {"type": "tool", "name": choice}


class AnthropicProvider(HTTPProvider):
    """A Claude model behind the Anthropic Messages API."""

    def _headers(self) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "anthropic-version": self.config.anthropic_version,
            **self.config.headers,
        }
        secret = self._secret()
        if secret:
            headers["x-api-key"] = secret
        return headers

    def request_body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        """Return the JSON body of one Messages call."""
        system, messages = anthropic_messages(request.messages)
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_output_tokens or self.config.max_output_tokens or 1024,
            "messages": messages,
        }
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": dict(t.input_schema)}
                for t in request.tools
            ]
            body["tool_choice"] = _tool_choice(request.tool_choice)
        temperature = (
            request.temperature if request.temperature is not None else self.config.temperature
        )
        if temperature is not None:
            body["temperature"] = temperature
        if stream:
            body["stream"] = True
        return body

    async def complete(
        self, request: ModelRequest, *, on_token: TokenSink | None = None
    ) -> ModelReply:
        """Return the model's reply (streamed through ``on_token`` when given and enabled)."""
        if not self.model:
            raise ProviderError(
                f"provider {self.name!r} has no model configured (--model, "
                "OUROBOROS_LLM_MODEL, or model = in [[llm.providers]])",
                details={"provider": self.name},
            )
        stream = on_token is not None and self.config.stream

        async def read_json(response: httpx.Response) -> ModelReply:
            return self._reply(json.loads(await response.aread()))

        async def read_stream(response: httpx.Response) -> ModelReply:
            assert on_token is not None
            return await self._read_stream(response, on_token)

        return await self._post(
            "/v1/messages",
            self.request_body(request, stream=stream),
            read=read_stream if stream else read_json,
        )

    def _unexpected(self, what: str) -> ProviderError:
        return ProviderError(
            f"provider {self.name!r} sent an unexpected answer: {what}",
            details={"provider": self.name},
        )

    def _reply(self, data: Any) -> ModelReply:
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise self._unexpected("no content blocks")
        text: list[str] = []
        calls: list[ToolCall] = []
        for block in data["content"]:
            if block.get("type") == "text":
                text.append(str(block.get("text") or ""))
            elif block.get("type") == "tool_use":
                calls.append(
                    ToolCall(
                        id=str(block.get("id") or f"toolu_{len(calls)}"),
                        name=str(block.get("name") or ""),
                        arguments=json.dumps(block.get("input") or {}),
                    )
                )
        usage = data.get("usage") or {}
        return ModelReply(
            text="".join(text),
            tool_calls=calls,
            usage=Usage(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)),
            stop_reason=str(data.get("stop_reason") or ""),
            model=str(data.get("model") or self.model),
            provider=self.name,
        )

    async def _read_stream(self, response: httpx.Response, on_token: TokenSink) -> ModelReply:
        blocks: dict[int, dict[str, Any]] = {}
        usage = Usage()
        stop = ""
        model = self.model
        async for event, data in sse_events(response):
            try:
                payload = json.loads(data)
            except ValueError:
                raise self._unexpected(f"a {event} event that is not JSON") from None
            kind = payload.get("type", event)
            if kind == "message_start":
                message = payload.get("message") or {}
                model = message.get("model") or model
                start = message.get("usage") or {}
                usage.input_tokens = int(start.get("input_tokens") or 0)
                usage.output_tokens = int(start.get("output_tokens") or 0)
            elif kind == "content_block_start":
                block = dict(payload.get("content_block") or {})
                block["_json"] = ""
                blocks[int(payload.get("index", len(blocks)))] = block
            elif kind == "content_block_delta":
                block = blocks.setdefault(
                    int(payload.get("index", 0)), {"type": "text", "_json": ""}
                )
                delta = payload.get("delta") or {}
                if delta.get("type") == "text_delta":
                    piece = str(delta.get("text") or "")
                    block["text"] = str(block.get("text") or "") + piece
                    if piece:
                        await on_token(piece)
                elif delta.get("type") == "input_json_delta":
                    block["_json"] += str(delta.get("partial_json") or "")
            elif kind == "message_delta":
                stop = (payload.get("delta") or {}).get("stop_reason") or stop
                out = (payload.get("usage") or {}).get("output_tokens")
                if out is not None:
                    usage.output_tokens = int(out)
            elif kind == "error":
                err = payload.get("error") or {}
                status = 529 if err.get("type") == "overloaded_error" else 500
                failure = classify_response(
                    self.name, status, httpx.Headers(), json.dumps(payload).encode()
                )
                raise failure
            elif kind == "message_stop":
                break
        text: list[str] = []
        calls: list[ToolCall] = []
        for _, block in sorted(blocks.items()):
            if block.get("type") == "text":
                text.append(str(block.get("text") or ""))
            elif block.get("type") == "tool_use":
                raw = block["_json"] or json.dumps(block.get("input") or {})
                calls.append(
                    ToolCall(
                        id=str(block.get("id") or ""),
                        name=str(block.get("name") or ""),
                        arguments=raw,
                    )
                )
        return ModelReply(
            text="".join(text),
            tool_calls=calls,
            usage=usage,
            stop_reason=stop,
            model=str(model),
            provider=self.name,
        )
