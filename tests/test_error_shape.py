"""One error shape on all three surfaces: HTTP /eql, GraphQL ``extensions``, MCP tool errors.

A read token attempting a write gets ``ForbiddenError`` with the same fields everywhere, and a
failing resolver gets the same ``ResolverError`` (type and details) everywhere.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
from pathlib import Path

import httpx2 as httpx
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ouroboros.config import Settings
from ouroboros.http.app import create_app

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SHAPE = {"type", "message", "path", "details"}


def _fixture_service():
    path = Path(__file__).parent / "http" / "fixture_service.py"
    spec = importlib.util.spec_from_file_location("http_fixture_service", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["http_fixture_service"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextlib.asynccontextmanager
async def running(app):
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    import anyio

    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        while not server.started:
            await anyio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True


def check_shape(error: dict) -> dict:
    assert set(error) <= SHAPE
    assert isinstance(error["type"], str) and isinstance(error["message"], str)
    return error


async def test_the_same_error_shape_on_http_graphql_and_mcp(tmp_path) -> None:
    module = _fixture_service()
    settings = Settings(
        db_path=str(tmp_path / "db.duckdb"), roots=(str(tmp_path),), allow_mutations=True
    )
    service = module.make_service(settings)
    try:
        secret, _ = service.store.token_create("reader", ["read"])
        auth = {"Authorization": f"Bearer {secret}"}
        async with (
            running(create_app(service=service)) as url,
            httpx.AsyncClient(headers=auth, timeout=30) as web,
        ):
            # HTTP: {"error": {...}} with the error's status
            r = await web.post(
                f"{url}/eql",
                content='[(notes/add! {:key "k" :text "t"})]',
                headers={"content-type": "application/edn"},
            )
            assert r.status_code == 403
            http_forbidden = check_shape(r.json()["error"])
            r = await web.post(
                f"{url}/eql",
                content="[:people/broken]",
                headers={"content-type": "application/edn"},
            )
            assert r.status_code == 500
            http_broken = check_shape(r.json()["error"])

            # GraphQL: message + extensions {type, path?, details?}
            g = (
                await web.post(
                    f"{url}/graphql", json={"query": 'mutation { note_add(key: "k", text: "t") }'}
                )
            ).json()
            ext = g["errors"][0]["extensions"]
            gql_forbidden = check_shape({"message": g["errors"][0]["message"], **ext})
            g = (await web.post(f"{url}/graphql", json={"query": "{ people__broken }"})).json()
            gql_broken = check_shape(
                {"message": g["errors"][0]["message"], **g["errors"][0]["extensions"]}
            )

            # MCP: an is_error tool result whose text is {"error": {...}}
            async with Client(streamable_http_client(f"{url}/mcp", http_client=web)) as client:
                result = await client.call_tool("note_add", {"key": "k", "text": "t"})
                assert result.is_error
                mcp_forbidden = check_shape(json.loads(result.content[0].text)["error"])
                result = await client.call_tool("people_broken", {})
                assert result.is_error
                mcp_broken = check_shape(json.loads(result.content[0].text)["error"])

        for error in (http_forbidden, gql_forbidden, mcp_forbidden):
            assert error["type"] == "ForbiddenError"
            assert error["details"] == {"needed_scope": "write", "scopes": ["read"]}
        assert gql_forbidden == mcp_forbidden  # the same tool check behind both
        assert http_broken == mcp_broken  # the same engine error through /eql and a tool
        for error in (http_broken, gql_broken, mcp_broken):
            assert error["type"] == "ResolverError"
            assert error["details"] == {"resolver": "people/broken"}
            assert "this resolver always fails" in error["message"]
    finally:
        service.close()
