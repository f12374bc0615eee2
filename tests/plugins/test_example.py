"""The example plugin in ``examples/`` installed with pip: found through its entry point, its
resolver and tool reachable over MCP (stdio), GraphQL and EQL (``ouroboros serve``), and
loaded from its directory too."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from ouroboros.config import Settings
from ouroboros.service import build_service
from ouroboros.store import open_store
from tests.plugins.conftest import EXAMPLE

pytestmark = pytest.mark.slow

OUROBOROS = str(Path(sys.executable).with_name("ouroboros"))
ALICE = {"name": "Alice", "entityType": "person", "observations": ["likes tea", "writes code"]}
QUERY = '[{[:entity/name "Alice"] [:stats/word-count :stats/observation-count]}]'


def env_with(site: Path, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(site),
        "OUROBOROS_RATE_LIMIT": "0",
        "OUROBOROS_ROOTS": str(tmp_path),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
    }


def test_plugins_list_finds_the_entry_point(installed_example: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [OUROBOROS, "plugins", "list", "--json"],
        env=env_with(installed_example, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [stats] = [p for p in json.loads(done.stdout) if p["name"] == "entity-stats"]
    assert stats["origin"] == "entry point ouroboros-entity-stats (ouroboros_entity_stats:plugin)"
    assert stats["status"] == "loaded" and stats["builtin"] is False
    assert stats["resolvers"] == ["entity-stats/counts"]
    assert stats["tools"] == ["entity_stats"]
    assert stats["permissions"] == ["store-read"]


@pytest.mark.anyio
async def test_installed_plugin_over_mcp_graphql_and_eql(
    installed_example: Path, tmp_path: Path
) -> None:
    db = tmp_path / "kb.duckdb"
    env = env_with(installed_example, tmp_path)
    params = StdioServerParameters(
        command=OUROBOROS, args=["mcp", "--db", str(db)], env=env, cwd=str(tmp_path)
    )
    with open(tmp_path / "mcp.err", "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert "entity_stats" in tools
            assert tools["entity_stats"].annotations.read_only_hint is True
            created = await client.call_tool("create_entities", {"entities": [ALICE]})
            assert not created.is_error, created.content
            stats = await client.call_tool("entity_stats", {"name": "Alice"})
            assert not stats.is_error, stats.content
            assert stats.structured_content == {"name": "Alice", "observations": 2, "words": 4}

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(tmp_path / "serve.err", "wb") as err:
        proc = subprocess.Popen(
            [OUROBOROS, "serve", "--db", str(db), "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as web:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if web.get("/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, (tmp_path / "serve.err").read_text()
                assert time.monotonic() < deadline, "ouroboros serve did not become ready"
                time.sleep(0.1)
            eql = web.post("/eql", content=QUERY, headers={"Content-Type": "application/edn"})
            assert eql.json() == {
                '[:entity/name "Alice"]': {"stats/word-count": 4, "stats/observation-count": 2}
            }
            gql = web.post(
                "/graphql",
                json={"query": '{ entity(name: "Alice") { stats__word_count } }'},
            )
            assert gql.json() == {"data": {"entity": {"stats__word_count": 4}}}, gql.text
            tool = web.post("/graphql", json={"query": 'mutation { entity_stats(name: "Alice") }'})
            assert tool.json()["data"]["entity_stats"]["words"] == 4, tool.text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_example_loads_from_its_directory(tmp_path: Path) -> None:
    settings = Settings(db_path=":memory:", roots=(str(tmp_path),), plugin_dirs=(str(EXAMPLE),))
    store = open_store(":memory:", embedder=None)
    store.create_entities([ALICE])
    with build_service(settings, store) as service:
        loaded = service.plugins.get("entity-stats")
        assert loaded is not None, [r.line for r in service.plugins.refused]
        assert loaded.origin == f"directory {EXAMPLE / 'ouroboros_entity_stats'}"
        result = service.engine.process(QUERY)
        assert result[("entity/name", "Alice")]["stats/word-count"] == 4
        assert service.tools.call_sync("entity_stats", {"name": "Alice"})["result"]["words"] == 4
        spec = service.engine.attributes.get("stats/word-count")
        assert spec is not None and spec.type is int
