"""OpenAI-compatible chat completions: OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server.

One implementation, the subset those servers share: ``POST {base_url}/chat/completions`` with
``tools`` (function tools) and ``tool_choice``, JSON or SSE streaming (``stream_options.
include_usage`` for the usage chunk). Interop kept for the local servers: an assistant message
never carries ``content: null`` (llama.cpp's server refuses it; ``""`` is sent), ``tool_choice``
is always sent explicitly when there are tools (llama.cpp's ``chatml-function-calling`` shows the
tools to the model only then), and tool-call arguments that arrive as a JSON object instead of
a string (some Ollama versions) are accepted.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2 as httpx

from ouroboros.agent.messages import Message, ModelReply, ModelRequest, TokenSink, ToolCall, Usage
from ouroboros.agent.providers.base import HTTPProvider, sse_events
from ouroboros.errors import ProviderError

__all__ = ["OpenAIProvider", "estimate_tokens", "openai_messages"]


def estimate_tokens(text: str) -> int:
    """Return a rough token count (4 characters a token) for providers that report none."""
    return max(1, len(text) // 4) if text else 0


def _tool_call_json(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments or "{}"},
    }


def openai_messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Return the conversation in the chat completions shape."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            item: dict[str, Any] = {
                "role": "tool",
                "tool_call_id": m.tool_call_id or "",
                "content": m.content,
            }
            if m.name:
                item["name"] = m.name
            out.append(item)
        elif m.role == "assistant":
            item = {"role": "assistant", "content": m.content or ""}
            if m.tool_calls:
                item["tool_calls"] = [_tool_call_json(c) for c in m.tool_calls]
            out.append(item)
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def _tool_choice(choice: str) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _arguments(value: Any) -> str:
    if value is None:
        return "{}"
    return value if isinstance(value, str) else json.dumps(value)


class OpenAIProvider(HTTPProvider):
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json", **self.config.headers}
        secret = self._secret()
        if secret:
            headers["authorization"] = f"Bearer {secret}"
        return headers

    def request_body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        """Return the JSON body of one chat completions call."""
        body: dict[str, Any] = {"model": self.model, "messages": openai_messages(request.messages)}
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": dict(t.input_schema),
                    },
                }
                for t in request.tools
            ]
            body["tool_choice"] = _tool_choice(request.tool_choice)
        limit = request.max_output_tokens or self.config.max_output_tokens
        if limit:
            body["max_tokens"] = limit
        temperature = (
            request.temperature if request.temperature is not None else self.config.temperature
        )
        if temperature is not None:
            body["temperature"] = temperature
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
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
        body = self.request_body(request, stream=stream)

        async def read_json(response: httpx.Response) -> ModelReply:
            return self._reply(json.loads(await response.aread()), request)

        async def read_stream(response: httpx.Response) -> ModelReply:
            assert on_token is not None
            return await self._read_stream(response, request, on_token)

        return await self._post(
            "/chat/completions", body, read=read_stream if stream else read_json
        )

    def _unexpected(self, what: str) -> ProviderError:
        return ProviderError(
            f"provider {self.name!r} sent an unexpected answer: {what}",
            details={"provider": self.name},
        )

    def _reply(self, data: Any, request: ModelRequest) -> ModelReply:
        try:
            choice = data["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise self._unexpected("no choices[0].message") from None
        calls = [
            ToolCall(
                id=str(tc.get("id") or f"call_{i}"),
                name=str((tc.get("function") or {}).get("name") or ""),
                arguments=_arguments((tc.get("function") or {}).get("arguments")),
            )
            for i, tc in enumerate(message.get("tool_calls") or [])
        ]
        text = message.get("content") or ""
        return ModelReply(
            text=text if isinstance(text, str) else json.dumps(text),
            tool_calls=calls,
            usage=self._usage(data.get("usage"), request, text, calls),
            stop_reason=str(choice.get("finish_reason") or ""),
            model=str(data.get("model") or self.model),
            provider=self.name,
        )

    def _usage(self, usage: Any, request: ModelRequest, text: str, calls: list[ToolCall]) -> Usage:
        if isinstance(usage, dict) and "prompt_tokens" in usage:
            return Usage(
                int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            )
        prompt = "".join(m.content for m in request.messages)
        produced = text + "".join(c.name + c.arguments for c in calls)
        return Usage(estimate_tokens(prompt), estimate_tokens(produced), estimated=True)

    async def _read_stream(
        self, response: httpx.Response, request: ModelRequest, on_token: TokenSink
    ) -> ModelReply:
        parts: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage: Any = None
        finish = ""
        model = self.model
        async for _event, data in sse_events(response):
            if data.strip() == "[DONE]":
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                raise self._unexpected("a stream chunk that is not JSON") from None
            if not isinstance(chunk, dict):
                raise self._unexpected("a stream chunk that is not an object")
            if chunk.get("error"):
                raise self._unexpected(f"an error in the stream: {chunk['error']}")
            usage = chunk.get("usage") or usage
            model = chunk.get("model") or model
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                piece = delta.get("content")
                if piece:
                    parts.append(piece)
                    await on_token(piece)
                for tc in delta.get("tool_calls") or []:
                    slot = calls.setdefault(
                        int(tc.get("index", len(calls))), {"id": "", "name": "", "arguments": ""}
                    )
                    fn = tc.get("function") or {}
                    slot["id"] = tc.get("id") or slot["id"]
                    slot["name"] += fn.get("name") or ""
                    slot["arguments"] += (
                        _arguments(fn.get("arguments")) if fn.get("arguments") else ""
                    )
                finish = choice.get("finish_reason") or finish
        text = "".join(parts)
        tool_calls = [
            ToolCall(
                id=slot["id"] or f"call_{i}",
                name=slot["name"],
                arguments=slot["arguments"] or "{}",
            )
            for i, slot in sorted(calls.items())
        ]
        return ModelReply(
            text=text,
            tool_calls=tool_calls,
            usage=self._usage(usage, request, text, tool_calls),
            stop_reason=finish,
            model=str(model),
            provider=self.name,
        )
