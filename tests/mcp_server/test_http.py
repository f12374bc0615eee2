"""MCP over streamable HTTP: ``MCPHttpApp`` mounted at /mcp in a Starlette app under uvicorn."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from mcp import Client
from starlette.applications import Starlette
from starlette.routing import Route

from ouroboros.mcp_server import (
    CALLER_SCOPE_KEY,
    MCPHttpApp,
    build_mcp_server,
    transport_security_for,
)
from ouroboros.tools.policy import Caller

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_toy_script_over_http(
    toy_registry, exercise, serve_uvicorn, mcp_host_app, mode: str
) -> None:
    with serve_uvicorn(mcp_host_app(toy_registry)) as http:
        async with Client(f"{http.url}/mcp", mode=mode) as client:
            await exercise(client)
            echo = await client.call_tool("echo", {"text": "x"})
        assert echo.structured_content["caller"] == "local:127.0.0.1"
        with httpx.Client() as web:
            assert web.get(f"{http.url}/health").json() == {"ok": True}


async def test_stateless_http(toy_registry, exercise, serve_uvicorn, mcp_host_app) -> None:
    with serve_uvicorn(mcp_host_app(toy_registry, stateless=True)) as http:
        async with Client(f"{http.url}/mcp", mode="legacy") as client:
            await exercise(client)


class PutCaller:
    """Stands in for the front door's auth middleware: puts the verified caller on the scope."""

    def __init__(self, app, caller: Caller) -> None:
        self.app = app
        self.caller = caller

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope[CALLER_SCOPE_KEY] = self.caller
        await self.app(scope, receive, send)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_caller_comes_from_the_front_door(
    toy_registry, tool_payload, serve_uvicorn, mcp_host_app, mode: str
) -> None:
    from starlette.middleware import Middleware

    reader = Caller(id="token:abc", scopes=frozenset({"read"}), transport="http")
    app = mcp_host_app(toy_registry, middleware=[Middleware(PutCaller, caller=reader)])
    with serve_uvicorn(app) as http:
        async with Client(f"{http.url}/mcp", mode=mode) as client:
            echo = await client.call_tool("echo", {"text": "x"})
            denied = await client.call_tool("note_set", {"key": "k", "value": "v"})
    assert echo.structured_content["caller"] == "token:abc"
    assert denied.is_error and tool_payload(denied)["error"]["type"] == "ForbiddenError"


async def test_dns_rebinding_protection_and_not_started(
    toy_registry, serve_uvicorn, mcp_host_app
) -> None:
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    with serve_uvicorn(mcp_host_app(toy_registry)) as http, httpx.Client() as web:
        ok = web.post(f"{http.url}/mcp", json=init, headers=headers)
        assert ok.status_code == 200
        evil = web.post(
            f"{http.url}/mcp", json=init, headers={**headers, "Host": "evil.example:80"}
        )
        assert evil.status_code == 421
        origin = web.post(
            f"{http.url}/mcp", json=init, headers={**headers, "Origin": "http://evil.example"}
        )
        assert origin.status_code == 403

    # the endpoint without its lifespan answers 503 with the one error shape
    app = Starlette(
        routes=[
            Route(
                "/mcp",
                MCPHttpApp(build_mcp_server(toy_registry)),
                methods=["GET", "POST", "DELETE"],
            )
        ]
    )
    with serve_uvicorn(app) as http, httpx.Client() as web:
        down = web.post(f"{http.url}/mcp", json=init, headers=headers)
    assert down.status_code == 503
    assert set(down.json()["error"]) == {"type", "message"}


def test_transport_security_for_hosts() -> None:
    local = transport_security_for("127.0.0.1")
    assert local.enable_dns_rebinding_protection
    assert "localhost:*" in local.allowed_hosts and "127.0.0.1" in local.allowed_hosts
    named = transport_security_for(
        "0.0.0.0", allowed_hosts=["kb.example.com"], allowed_origins=["https://kb.example.com"]
    )
    assert named.enable_dns_rebinding_protection
    assert (
        "kb.example.com" in named.allowed_hosts
        and "https://kb.example.com" in named.allowed_origins
    )
    assert not transport_security_for("0.0.0.0").enable_dns_rebinding_protection
