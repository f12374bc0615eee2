"""/mcp through the real HTTP front door (`create_app`) under uvicorn: tokens decide the caller."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def app_with_tokens(db_path):
    from ouroboros.config import Settings
    from ouroboros.http.app import create_app
    from ouroboros.store import open_store

    with open_store(str(db_path)) as store:
        reader, _ = store.token_create("reader", ["read"])
        writer, _ = store.token_create("writer", ["read", "write"])
    settings = Settings.from_env(db_path=str(db_path), rate_limit_per_minute=0)
    return create_app(settings), reader, writer


@contextlib.asynccontextmanager
async def bearer(url: str, secret: str) -> AsyncIterator[Client]:
    """An MCP client over HTTP that sends ``Authorization: Bearer <secret>``."""
    headers = {"Authorization": f"Bearer {secret}"}
    async with (
        httpx.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


async def test_token_scopes_apply_to_mcp_tools(tmp_path, serve_uvicorn) -> None:
    app, reader, writer = app_with_tokens(tmp_path / "kb.duckdb")
    entity = {"entities": [{"name": "Ann", "entityType": "person", "observations": []}]}
    with serve_uvicorn(app) as http:
        url = f"{http.url}/mcp"
        async with bearer(url, writer) as client:
            made = await client.call_tool("create_entities", entity)
            assert not made.is_error, made.content
        async with bearer(url, reader) as client:
            found = await client.call_tool("open_nodes", {"names": ["Ann"]})
            assert found.structured_content["entities"][0]["name"] == "Ann"
            denied = await client.call_tool("delete_entities", {"entityNames": ["Ann"]})
            assert denied.is_error
            assert json.loads(denied.content[0].text)["error"]["type"] == "ForbiddenError"
            graph = await client.read_resource("memory://knowledge-graph")
            assert json.loads(graph.contents[0].text)["entities"][0]["name"] == "Ann"
        async with httpx.AsyncClient() as web:
            refused = await web.post(url, json={}, headers={"Authorization": "Bearer not-a-token"})
        assert refused.status_code == 401
        assert set(refused.json()["error"]) >= {"type", "message"}
