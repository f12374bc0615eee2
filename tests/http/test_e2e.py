"""End to end against a real uvicorn server on a loopback port (and `ouroboros serve` itself)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ouroboros.http.app import create_app

pytestmark = [pytest.mark.slow]

EDN = {"content-type": "application/edn"}


def test_every_endpoint_over_real_http(service, serve_uvicorn) -> None:
    with (
        serve_uvicorn(create_app(service=service)) as server,
        httpx.Client(base_url=server.url, timeout=30) as web,
    ):
        r = web.post(
            "/eql", content='[:people/count {[:person/name "Bob"] [:person/age]}]', headers=EDN
        )
        assert r.json() == {"people/count": 3, '[:person/name "Bob"]': {"person/age": 42}}
        r = web.post(
            "/eql", json={"query": ["people/count"]}, headers={"accept": "application/edn"}
        )
        assert r.text == "{:people/count 3}"
        r = web.post("/eql", json={"query": "[:people/count :people/broken]"})
        assert r.status_code == 500 and r.json()["error"]["type"] == "ResolverError"
        r = web.post("/eql", json={"query": "[:people/count :people/broken]", "lenient": True})
        assert r.status_code == 200 and r.json()["people/count"] == 3
        q = "query($n: JSON) { n: people__count a: people__all(limit: $n) { ...F } } fragment F on Person { name age }"
        r = web.post("/graphql", json={"query": q, "variables": {"n": 2}})
        assert r.json() == {
            "data": {"n": 3, "a": [{"name": "Alice", "age": 31}, {"name": "Bob", "age": 42}]}
        }
        r = web.post("/graphql", json={"query": 'mutation { note_add(key: "a", text: "b") }'})
        assert r.json()["data"]["note_add"] == {"stored": "a", "count": 1}
        assert web.get("/index").json()["resolvers"]
        assert web.get("/openapi.json").json()["openapi"] == "3.1.0"
        assert web.get("/ready").json()["status"] == "ready"
        assert web.post("/eql", content="[:a", headers=EDN).status_code == 400
        assert web.get("/health").status_code == 200  # still serving


@contextlib.asynccontextmanager
async def mcp_client(url: str, secret: str | None = None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    async with (
        httpx.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


@pytest.mark.anyio
async def test_mcp_scopes_match_eql_and_graphql(service, serve_uvicorn) -> None:
    reader, _ = service.store.token_create("reader", ["read"])
    writer, _ = service.store.token_create("writer", ["read", "write"])
    with serve_uvicorn(create_app(service=service, token_cache_ttl=0)) as server:
        url = f"{server.url}/mcp"
        async with mcp_client(url, reader) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == {"people_count", "people_broken", "note_add"}
            ok = await client.call_tool("people_count", {})
            assert ok.structured_content == {"count": 3}
            denied = await client.call_tool("note_add", {"key": "k", "text": "t"})
            assert denied.is_error
            error = json.loads(denied.content[0].text)["error"]
            assert error["type"] == "ForbiddenError"
            assert error["details"]["needed_scope"] == "write"
        async with mcp_client(url, writer) as client:
            done = await client.call_tool("note_add", {"key": "k", "text": "t"})
            assert not done.is_error and done.structured_content["stored"] == "k"
        async with httpx.AsyncClient() as web:
            missing = await web.post(url, json={})
            assert missing.status_code == 401
            assert missing.json()["error"]["type"] == "UnauthenticatedError"
            health = await web.get(f"{server.url}/health")
            assert health.status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ouroboros_serve_command(tmp_path) -> None:
    """The main job: `ouroboros serve` on the real service, until SIGTERM."""
    pytest.importorskip("ouroboros.tools.core")
    port = _free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "ouroboros")
    env = {
        **os.environ,
        "OUROBOROS_DB": str(tmp_path / "serve.duckdb"),
        "OUROBOROS_ROOTS": str(tmp_path),
    }
    log = tmp_path / "serve.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [exe, "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=url, timeout=10) as web:
            while True:
                try:
                    if web.get("/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "ouroboros serve did not become ready"
                time.sleep(0.1)
            r = web.post("/eql", content="[:system/healthy?]", headers=EDN)
            assert r.json() == {"system/healthy?": True}
            r = web.post("/graphql", json={"query": "{ system__healthy_QMARK_ }"})
            assert r.json() == {"data": {"system__healthy_QMARK_": True}}
            r = web.post("/graphql", json={"query": 'mutation { memory_set(key: "k", value: 1) }'})
            assert "errors" not in r.json(), r.text
            r = web.post("/graphql", json={"query": '{ memory(key: "k") { value } }'})
            assert r.json() == {"data": {"memory": {"value": 1}}}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
