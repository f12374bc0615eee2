"""Fixtures for the MCP server tests: the toy registry, a real uvicorn server, the shared script."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from ouroboros.mcp_server import MCPHttpApp, build_mcp_server, transport_security_for

HERE = Path(__file__).parent
TOY_SERVER = HERE / "toy_server.py"


def _load_toy() -> Any:
    spec = importlib.util.spec_from_file_location("mcp_toy_server", TOY_SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


toy = _load_toy()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def toy_registry() -> Any:
    return toy.toy_registry()


@pytest.fixture
def toy_server_path() -> Path:
    return TOY_SERVER


def host_app(registry: Any, *, stateless: bool = False, middleware: Any = None) -> Starlette:
    """A host app built the way the HTTP front door does: /mcp beside its own routes, the MCP
    session manager entered in the host's lifespan."""
    mcp = MCPHttpApp(
        lambda: build_mcp_server(registry),
        stateless=stateless,
        transport_security=transport_security_for("127.0.0.1"),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # the real app opens the service first, then MCP
        async with mcp.lifespan():
            yield

    async def health(request: Any) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[Route("/health", health), Route("/mcp", mcp, methods=["GET", "POST", "DELETE"])],
        lifespan=lifespan,
        middleware=middleware or [],
    )


@pytest.fixture
def mcp_host_app() -> Callable[..., Starlette]:
    return host_app


def service_app(db_path: Path, **settings: Any) -> Starlette:
    """A host app over the real service: the lifespan opens the service, then MCP."""
    from ouroboros.config import Settings
    from ouroboros.service import open_service

    holder: dict[str, Any] = {}
    mcp = MCPHttpApp(lambda: build_mcp_server(holder["service"].tools))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = Settings.from_env(db_path=str(db_path), rate_limit_per_minute=0, **settings)
        with open_service(config) as service:
            holder["service"] = service
            async with mcp.lifespan():
                yield

    return Starlette(
        routes=[Route("/mcp", mcp, methods=["GET", "POST", "DELETE"])], lifespan=lifespan
    )


@pytest.fixture
def service_host_app() -> Callable[..., Starlette]:
    return service_app


def payload(result: Any) -> Any:
    """The JSON a tool result carries in its text content (what the model reads)."""
    assert result.content and result.content[0].type == "text"
    return json.loads(result.content[0].text)


async def exercise_toy(client: Client) -> None:
    """The same script over every transport: list, read, write, errors, resources."""
    listed = await client.list_tools()
    tools = {t.name: t for t in listed.tools}
    assert {"echo", "note_set", "note_get", "word_count", "fail", "read_graph"} <= set(tools)
    echo = tools["echo"]
    assert echo.input_schema["required"] == ["text"]
    assert echo.output_schema is not None and echo.output_schema["type"] == "object"
    assert echo.annotations is not None and echo.annotations.read_only_hint is True
    assert tools["note_set"].annotations.read_only_hint is False
    assert tools["note_set"].annotations.destructive_hint is True
    assert tools["word_count"].output_schema == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }

    # a read tool; a JSON-ish string argument is coerced by the registry
    got = await client.call_tool("echo", {"text": "hi", "times": "2"})
    assert not got.is_error
    assert got.structured_content["text"] == "hi"
    assert got.structured_content["times"] == 2
    assert payload(got) == got.structured_content

    # a scalar result is wrapped as the SDK does
    count = await client.call_tool("word_count", {"text": "one two three"})
    assert count.structured_content == {"result": 3}
    assert payload(count) == 3

    # a write tool, then read it back
    wrote = await client.call_tool("note_set", {"key": "k", "value": "v"})
    assert not wrote.is_error and wrote.structured_content == {"key": "k", "stored": True}
    read = await client.call_tool("note_get", {"key": "k"})
    assert read.structured_content == {"key": "k", "value": "v"}

    # a tool error: the one error shape
    failed = await client.call_tool("fail", {})
    assert failed.is_error
    body = payload(failed)
    assert failed.structured_content is None  # errors are text only (see tools.error_result)
    assert body == {
        "error": {
            "type": "InvalidInputError",
            "message": "always fails",
            "path": ["reason"],
            "details": {"why": "on purpose"},
        }
    }
    missing = await client.call_tool("note_get", {"key": "nope"})
    assert missing.is_error and payload(missing)["error"]["type"] == "NotFoundError"

    # an unknown tool: a tool error listing the available tools
    unknown = await client.call_tool("no_such_tool", {})
    assert unknown.is_error
    err = payload(unknown)["error"]
    assert err["type"] == "ToolNotFoundError"
    assert "echo" in err["details"]["available_tools"]

    # bad arguments: missing and wrongly typed
    bad = await client.call_tool("echo", {})
    assert bad.is_error and payload(bad)["error"]["type"] == "InvalidInputError"
    bad = await client.call_tool("echo", {"text": "x", "times": "many"})
    assert bad.is_error and payload(bad)["error"]["type"] == "InvalidInputError"

    # the knowledge graph as a resource
    resources = await client.list_resources()
    assert [r.uri for r in resources.resources] == ["memory://knowledge-graph"]
    graph = await client.read_resource("memory://knowledge-graph")
    content = graph.contents[0]
    assert content.mime_type == "application/json"
    data = json.loads(content.text)
    assert {e["name"] for e in data["entities"]} == {"Alice", "Bob", "Ouroboros"}
    assert data["relations"] == [{"from": "Alice", "to": "Ouroboros", "relationType": "works_on"}]


@pytest.fixture
def exercise() -> Callable[[Client], Awaitable[None]]:
    return exercise_toy


@pytest.fixture
def tool_payload() -> Callable[[Any], Any]:
    return payload


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    def wait(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            time.sleep(0.05)

    return wait
