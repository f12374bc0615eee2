"""``POST /agent``: ask the agent a question; the answer streams back as server-sent events.

Body (JSON): ``{"question": str, "conversation"?: str, "provider"?: "openai" | "anthropic",
"model"?: str, "tools"?: [str]}``. The response is ``text/event-stream``, one event per agent
event: ``token`` (``{"text"}``), ``tool_call`` (``{"id", "name", "arguments"}``),
``tool_result`` (``{"id", "name", "ms", "result" | "error"}``), then ``answer`` (the
``--json`` shape) or ``error`` (``{"error": {type, message, ...}}``), each as
``event: <type>`` + ``data: <JSON>``. Same auth and scopes as ``/eql``: the ``read`` scope to
ask, and the agent runs tools as the request's caller (write tools only with ``write``). A bad
body answers the one error shape with its status before any event is sent.

The server keeps one ``Agent`` (so circuit breakers and conversations last across requests),
built at the first request from ``ouroboros.toml`` and the ``OUROBOROS_LLM_*`` environment;
``app.state.agent`` may be set beforehand to serve another one.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ouroboros.errors import InvalidInputError, OuroborosError
from ouroboros.http.auth import caller_of, require_scope
from ouroboros.http.errors import UnsupportedMediaTypeError
from ouroboros.tools.policy import Caller

__all__ = ["AgentEventStream", "agent_endpoint"]

log = logging.getLogger(__name__)

FIELDS = ("question", "conversation", "provider", "model", "tools")


def sse_event(event: dict[str, Any]) -> bytes:
    """Return one server-sent event: ``event: <type>`` and the event as JSON ``data``."""
    data = json.dumps(
        {k: v for k, v in event.items() if k != "type"}, ensure_ascii=False, default=str
    )
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


class AgentEventStream(Response):
    """A streaming response that runs one agent question and sends its events as they come."""

    media_type = "text/event-stream"

    def __init__(self, agent: Any, question: str, caller: Caller, options: dict[str, Any]) -> None:
        super().__init__(
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
            media_type=self.media_type,
        )
        # a stream has no length: drop the content-length: 0 that Response adds for no body
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.agent = agent
        self.question = question
        self.caller = caller
        self.options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})

        async def on_event(event: dict[str, Any]) -> None:
            await send({"type": "http.response.body", "body": sse_event(event), "more_body": True})

        try:
            await self.agent.run_async(
                self.question, caller=self.caller, on_event=on_event, **self.options
            )
        except OuroborosError:
            pass  # already sent as an ``error`` event
        except OSError:
            log.info("POST /agent: the client went away")
            return
        except Exception:
            log.exception("POST /agent failed")
            await on_event(
                {"type": "error", "error": {"type": "InternalError", "message": "internal error"}}
            )
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _agent_of(request: Request) -> Any:
    state = request.app.state
    agent = getattr(state, "agent", None)
    if agent is None:
        from ouroboros.agent import Agent

        agent = Agent(state.service)
        state.agent = agent
    return agent


def _read_options(data: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(data, dict):
        raise InvalidInputError('the body is a JSON object with a "question" field')
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise InvalidInputError(
            f"unknown fields in the body: {', '.join(sorted(unknown))}",
            details={"allowed": list(FIELDS)},
        )
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise InvalidInputError('"question" must be a non-empty string')
    options: dict[str, Any] = {}
    for name in ("conversation", "provider", "model"):
        value = data.get(name)
        if value is not None:
            if not isinstance(value, str) or not value:
                raise InvalidInputError(f'"{name}" must be a non-empty string')
            options[name] = value
    if options.get("provider") not in (None, "openai", "anthropic"):
        raise InvalidInputError('"provider" is "openai" or "anthropic"')
    tools = data.get("tools")
    if tools is not None:
        if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
            raise InvalidInputError('"tools" must be a list of tool names or sets')
        options["tools"] = tools
    return question, options


async def agent_endpoint(request: Request) -> Response:
    """Run one agent question for the request's caller and stream its events (SSE)."""
    caller = caller_of(request.scope)
    require_scope(caller, "read", "POST /agent")
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaTypeError("POST /agent reads application/json")
    body = await request.body()
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"malformed JSON: {exc}") from None
    question, options = _read_options(data)
    agent = _agent_of(request)
    if options.get("tools") is not None:  # an unknown tool name is a 400 now, not an event later
        agent.tools_for(caller, options["tools"])
    return AgentEventStream(agent, question, caller, options)
