"""Fixtures for the agent tests: a real service over a DuckDB file in tmp_path."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ouroboros.config import Settings
from ouroboros.service import Service, open_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """A real service (store, engine, tools) over a fresh database with a small graph."""
    settings = Settings(db_path=str(tmp_path / "agent.duckdb"), roots=(str(tmp_path),))
    with open_service(settings) as svc:
        svc.store.create_entities(
            [
                {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
                {"name": "Bob", "entityType": "person", "observations": ["plays chess"]},
            ]
        )
        yield svc


# --- loopback stand-ins for model providers ----------------------------------------------------
# These are stand-ins, not the real services: small Starlette apps on a loopback port that speak
# the documented wire formats (OpenAI chat completions, Anthropic Messages), JSON and SSE, and
# replay scripted answers, faults included. The real local model is in test_local_model.py.


class ScriptedServer:
    """Answers each POST with the next scripted answer; keeps the requests (headers, body)."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def next(self) -> dict[str, Any]:
        if not self.answers:
            return {"status": 500, "json": {"error": {"message": "stand-in: script exhausted"}}}
        return self.answers.pop(0)

    async def fault(self, answer: dict[str, Any]) -> Response | None:
        if answer.get("hang"):
            await anyio.sleep(float(answer.get("hang", 5)))
        if "status" in answer:
            return JSONResponse(
                answer.get("json", {}), status_code=answer["status"], headers=answer.get("headers")
            )
        return None


def _sse(events: list[tuple[str | None, Any]]) -> StreamingResponse:
    async def body() -> Any:
        for event, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            yield (f"event: {event}\n" if event else "") + f"data: {text}\n\n"

    return StreamingResponse(body(), media_type="text/event-stream")


class OpenAIStandIn(ScriptedServer):
    """OpenAI chat completions: ``POST /v1/chat/completions``.

    An answer is ``{"content": str, "tool_calls": [{"name", "arguments": str}], "usage":
    {"prompt_tokens", "completion_tokens"}}`` or a fault (``status`` + ``json`` + ``headers``,
    or ``hang``). A request with ``stream: true`` gets the SSE form: deltas, then a usage chunk,
    then ``[DONE]``.
    """

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append({"headers": dict(request.headers), "body": body})
            answer = self.next()
            failed = await self.fault(answer)
            if failed is not None:
                return failed
            calls = [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": c["name"], "arguments": c["arguments"]},
                }
                for i, c in enumerate(answer.get("tool_calls", []))
            ]
            usage = answer.get("usage", {"prompt_tokens": 11, "completion_tokens": 5})
            usage = {**usage, "total_tokens": sum(usage.values())}
            finish = "tool_calls" if calls else "stop"
            if not body.get("stream"):
                message: dict[str, Any] = {"role": "assistant", "content": answer.get("content")}
                if calls:
                    message["tool_calls"] = calls
                return JSONResponse(
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                        "usage": usage,
                    }
                )
            chunks: list[tuple[str | None, Any]] = []

            def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> None:
                chunks.append(
                    (
                        None,
                        {
                            "id": "chatcmpl-1",
                            "object": "chat.completion.chunk",
                            "model": body["model"],
                            "choices": [
                                {"index": 0, "delta": delta, "finish_reason": finish_reason}
                            ],
                        },
                    )
                )

            chunk({"role": "assistant", "content": ""})
            for word in (answer.get("content") or "").split(" "):
                if word:
                    chunk({"content": word + " "})
            for i, call in enumerate(calls):
                args = call["function"]["arguments"]
                half = len(args) // 2
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": call["id"],
                                "type": "function",
                                "function": {
                                    "name": call["function"]["name"],
                                    "arguments": args[:half],
                                },
                            }
                        ]
                    }
                )
                chunk({"tool_calls": [{"index": i, "function": {"arguments": args[half:]}}]})
            chunk({}, finish)
            chunks.append((None, {"id": "chatcmpl-1", "choices": [], "usage": usage}))
            chunks.append((None, "[DONE]"))
            return _sse(chunks)

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


class AnthropicStandIn(ScriptedServer):
    """Anthropic Messages: ``POST /v1/messages``, JSON or the documented SSE event stream.

    An answer is ``{"text": str, "tool_use": [{"name", "input": {...}}], "usage":
    {"input_tokens", "output_tokens"}}`` or a fault. It refuses (400, as the real API does) a
    request without ``max_tokens``, a ``system`` role inside ``messages``, or two messages of
    the same role in a row, and 401 without ``x-api-key``.
    """

    def app(self) -> Starlette:
        async def messages(request: Request) -> Response:
            body = await request.json()
            self.requests.append({"headers": dict(request.headers), "body": body})
            if not request.headers.get("x-api-key"):
                return JSONResponse(
                    {
                        "type": "error",
                        "error": {
                            "type": "authentication_error",
                            "message": "x-api-key header is required",
                        },
                    },
                    status_code=401,
                )
            roles = [m["role"] for m in body.get("messages", [])]
            if (
                "max_tokens" not in body
                or "system" in roles
                or any(a == b for a, b in itertools.pairwise(roles))
                or request.headers.get("anthropic-version") != "2023-06-01"
            ):
                return JSONResponse(
                    {
                        "type": "error",
                        "error": {"type": "invalid_request_error", "message": "bad request shape"},
                    },
                    status_code=400,
                )
            answer = self.next()
            failed = await self.fault(answer)
            if failed is not None:
                return failed
            blocks: list[dict[str, Any]] = []
            if answer.get("text"):
                blocks.append({"type": "text", "text": answer["text"]})
            for i, use in enumerate(answer.get("tool_use", [])):
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": f"toolu_{i}",
                        "name": use["name"],
                        "input": use["input"],
                    }
                )
            usage = answer.get("usage", {"input_tokens": 21, "output_tokens": 7})
            stop = "tool_use" if answer.get("tool_use") else "end_turn"
            if not body.get("stream"):
                return JSONResponse(
                    {
                        "id": "msg_1",
                        "type": "message",
                        "role": "assistant",
                        "model": body["model"],
                        "content": blocks,
                        "stop_reason": stop,
                        "usage": usage,
                    }
                )
            events: list[tuple[str | None, Any]] = [
                (
                    "message_start",
                    {
                        "type": "message_start",
                        "message": {
                            "id": "msg_1",
                            "type": "message",
                            "role": "assistant",
                            "model": body["model"],
                            "content": [],
                            "stop_reason": None,
                            "usage": {"input_tokens": usage["input_tokens"], "output_tokens": 1},
                        },
                    },
                ),
                ("ping", {"type": "ping"}),
            ]
            for index, block in enumerate(blocks):
                if block["type"] == "text":
                    events.append(
                        (
                            "content_block_start",
                            {
                                "type": "content_block_start",
                                "index": index,
                                "content_block": {"type": "text", "text": ""},
                            },
                        )
                    )
                    for word in block["text"].split(" "):
                        events.append(
                            (
                                "content_block_delta",
                                {
                                    "type": "content_block_delta",
                                    "index": index,
                                    "delta": {"type": "text_delta", "text": word + " "},
                                },
                            )
                        )
                else:
                    events.append(
                        (
                            "content_block_start",
                            {
                                "type": "content_block_start",
                                "index": index,
                                "content_block": {
                                    "type": "tool_use",
                                    "id": block["id"],
                                    "name": block["name"],
                                    "input": {},
                                },
                            },
                        )
                    )
                    raw = json.dumps(block["input"])
                    for part in (raw[: len(raw) // 2], raw[len(raw) // 2 :]):
                        events.append(
                            (
                                "content_block_delta",
                                {
                                    "type": "content_block_delta",
                                    "index": index,
                                    "delta": {"type": "input_json_delta", "partial_json": part},
                                },
                            )
                        )
                events.append(
                    ("content_block_stop", {"type": "content_block_stop", "index": index})
                )
            events.append(
                (
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": stop, "stop_sequence": None},
                        "usage": {"output_tokens": usage["output_tokens"]},
                    },
                )
            )
            events.append(("message_stop", {"type": "message_stop"}))
            return _sse(events)

        return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])


@pytest.fixture
def standin(serve_uvicorn: Any) -> Iterator[Callable[..., Any]]:
    """Return ``start(StandInClass, answers) -> (server, url)``: a stand-in on a loopback port."""
    with ExitStack() as stack:

        def start(kind: type[ScriptedServer], answers: list[dict[str, Any]]) -> tuple[Any, str]:
            server = kind(answers)
            running = stack.enter_context(serve_uvicorn(server.app()))  # type: ignore[attr-defined]
            return server, running.url

        yield start


def stored_turns(store: Any, conversation: str) -> list[str]:
    """Return the stored turns of a conversation, in order, as ``"<speaker>: <text>"``."""
    source = store.source_get(conversation)
    if source is None:
        return []
    entities = store.get_entities(list(source["chunks"]))
    texts = [entities[name]["observations"][-1] for name in source["chunks"]]
    return [t.split("] ", 1)[1] if t.startswith("[") else t for t in texts]


def speakers(store: Any, conversation: str) -> list[str]:
    """Return the speakers of a conversation's stored turns, in order."""
    return [t.split(":", 1)[0] for t in stored_turns(store, conversation)]
