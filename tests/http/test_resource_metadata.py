"""OAuth protected-resource metadata (RFC 9728) and ``WWW-Authenticate`` on every 401; MCP
clients at both protocol revisions (2025-11-25, 2026-07-28) still use a configured bearer token
rather than starting an OAuth flow."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ouroboros.http.app import create_app

pytestmark = [pytest.mark.slow]

PRM = "/.well-known/oauth-protected-resource"


def test_no_metadata_without_tokens(service, serve_uvicorn) -> None:
    with serve_uvicorn(create_app(service=service)) as server, httpx.Client() as web:
        for path in (PRM, PRM + "/mcp"):
            r = web.get(server.url + path)
            assert r.status_code == 404
            assert r.json()["error"]["type"] == "NotFoundError"


def test_metadata_and_challenge_with_tokens(service, serve_uvicorn) -> None:
    service.store.token_create("reader", ["read"])
    with (
        serve_uvicorn(create_app(service=service, token_cache_ttl=0)) as server,
        httpx.Client() as web,
    ):
        for path in (PRM, PRM + "/mcp"):
            r = web.get(server.url + path)  # public: no token needed
            assert r.status_code == 200, r.text
            assert r.json() == {
                "resource": f"{server.url}/mcp",
                "bearer_methods_supported": ["header"],
                "scopes_supported": ["read", "write", "admin"],
                "resource_name": "Ouroboros MCP server",
            }
        expected = f'Bearer realm="ouroboros", resource_metadata="{server.url}{PRM}/mcp"'
        for method, path in [("POST", "/mcp"), ("POST", "/eql"), ("GET", "/index")]:
            for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
                r = web.request(method, server.url + path, headers=headers, json={})
                assert r.status_code == 401, (path, headers)
                assert r.headers["www-authenticate"] == expected
                assert r.json()["error"]["type"] == "UnauthenticatedError"


def test_metadata_names_the_authorization_server(settings, make_service, serve_uvicorn) -> None:
    service = make_service(settings.with_(oauth_issuer="https://sso.example.com/realms/ouro/"))
    service.store.token_create("reader", ["read"])
    with serve_uvicorn(create_app(service=service)) as server, httpx.Client() as web:
        doc = web.get(server.url + PRM + "/mcp").json()
        assert doc["authorization_servers"] == ["https://sso.example.com/realms/ouro"]


@contextlib.asynccontextmanager
async def bearer_client(url: str, secret: str, mode: str) -> AsyncIterator[Client]:
    seen: list[str] = []

    async def log_request(request: httpx.Request) -> None:
        seen.append(str(request.url.path))

    async with (
        httpx.AsyncClient(
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
            event_hooks={"request": [log_request]},
        ) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client
    # a client with a token never looks for the metadata or an authorization server
    assert all(".well-known" not in path for path in seen), seen


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mode", "revision"),
    [("legacy", "2025-11-25"), ("2026-07-28", "2026-07-28"), ("auto", "2026-07-28")],
)
async def test_python_client_at_each_revision_with_a_bearer_token(
    service, serve_uvicorn, mode: str, revision: str
) -> None:
    secret, _ = service.store.token_create("writer", ["read", "write"])
    with serve_uvicorn(create_app(service=service, token_cache_ttl=0)) as server:
        async with bearer_client(f"{server.url}/mcp", secret, mode) as client:
            assert client.protocol_version == revision
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert "people_count" in tools
            done = await client.call_tool("people_count", {})
            assert done.structured_content == {"count": 3}
