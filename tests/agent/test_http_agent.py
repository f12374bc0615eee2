"""`POST /agent` on a real uvicorn server: SSE events, the same auth and scopes as /eql, bad bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx2 as httpx

from ouroboros.agent import Agent, AgentConfig
from ouroboros.agent.providers import ScriptedProvider
from ouroboros.errors import ProviderDownError
from ouroboros.http.app import create_app
from ouroboros.service import Service

SEARCH = {"tool_calls": [{"name": "search_nodes", "arguments": {"query": "Alice"}}]}
WRITE = {"tool_calls": [{"name": "remember", "arguments": {"fact": "was here", "about": "Eve"}}]}


def app_with(service: Service, turns: list[Any]) -> Any:
    app = create_app(service=service)
    app.state.agent = Agent(service, providers=[ScriptedProvider(turns)], config=AgentConfig())
    return app


def events_of(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_the_answer_streams_as_sse(service: Service, serve_uvicorn: Any) -> None:
    app = app_with(service, [SEARCH, "Alice likes tea."])
    with serve_uvicorn(app) as server, httpx.Client(base_url=server.url, timeout=30) as web:
        response = web.post("/agent", json={"question": "Alice?", "conversation": "web1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = events_of(response)
    kinds = [k for k, _ in events]
    assert kinds[:2] == ["tool_call", "tool_result"] and kinds[-1] == "answer"
    assert "token" in kinds
    assert events[0][1]["name"] == "search_nodes"
    answer = events[-1][1]
    assert answer["answer"] == "Alice likes tea." and answer["conversation"] == "web1"
    assert answer["tool_calls"][0]["name"] == "search_nodes"


def test_scopes_and_tokens_apply(service: Service, serve_uvicorn: Any) -> None:
    reader, _ = service.store.token_create("reader", ["read"])
    app = app_with(service, [WRITE, "done"])
    with serve_uvicorn(app) as server, httpx.Client(base_url=server.url, timeout=30) as web:
        anonymous = web.post("/agent", json={"question": "hi"})
        response = web.post(
            "/agent", json={"question": "remember"}, headers={"authorization": f"Bearer {reader}"}
        )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "UnauthenticatedError"
    events = events_of(response)
    result = next(data for kind, data in events if kind == "tool_result")
    assert (
        result["error"]["type"] == "ToolNotFoundError"
    )  # remember writes: not offered to a reader
    assert service.store.get_entity("Eve") is None


def test_bad_bodies_answer_the_one_error_shape(service: Service, serve_uvicorn: Any) -> None:
    app = app_with(service, [])
    with serve_uvicorn(app) as server, httpx.Client(base_url=server.url, timeout=30) as web:
        cases = [
            web.post("/agent", content=b"question=hi", headers={"content-type": "text/plain"}),
            web.post("/agent", content=b"{nope", headers={"content-type": "application/json"}),
            web.post("/agent", json={"question": ""}),
            web.post("/agent", json={"question": "hi", "evil": 1}),
            web.post("/agent", json={"question": "hi", "tools": ["no_such_tool"]}),
            web.post("/agent", json={"question": "hi", "provider": "gemini"}),
            web.post("/agent", json=[1, 2]),
        ]
    assert [r.status_code for r in cases] == [415, 400, 400, 400, 400, 400, 400]
    assert all(set(r.json()["error"]) >= {"type", "message"} for r in cases)


def test_a_provider_failure_is_an_error_event(service: Service, serve_uvicorn: Any) -> None:
    app = app_with(
        service, [ProviderDownError("provider 'x' is unreachable", details={"provider": "x"})]
    )
    with serve_uvicorn(app) as server, httpx.Client(base_url=server.url, timeout=30) as web:
        response = web.post("/agent", json={"question": "hi"})
    [(kind, data)] = events_of(response)
    assert kind == "error" and data["error"]["type"] == "ProviderDownError"
