"""``subscriptions/listen`` against a real ``ouroboros serve`` process: the Python SDK client
(2026-07-28, streamable HTTP) watches an entity and the graph, and hears a write made by
another process (``ouroboros tools call`` on the same DuckDB file, or the same PostgreSQL
database)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.subscriptions import ListenNotSupportedError
from mcp.shared.subscriptions import ResourceUpdated

from ouroboros.store import open_store
from tests.store.conftest import pg_cluster  # noqa: F401 (the fixture, shared with tests/store)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

OUROBOROS = str(Path(sys.executable).with_name("ouroboros"))
ALICE_URI = "ouroboros://entity/Alice"
GRAPH_URI = "memory://knowledge-graph"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str, dict[str, str]]]:
    """``ouroboros serve`` on a DuckDB file (or a PostgreSQL database) holding Alice and Bob:
    (url, database, env)."""
    if request.param == "postgres":
        db = request.getfixturevalue("pg_cluster").new_database()
    else:
        db = str(tmp_path / "shared.duckdb")
    with open_store(db, embedder=None) as store:
        store.create_entities(
            [
                {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
                {"name": "Bob", "entityType": "person", "observations": []},
            ]
        )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OUROBOROS_ROOTS": str(tmp_path), "OUROBOROS_RATE_LIMIT": "0"}
    err = open(tmp_path / "serve.err", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [OUROBOROS, "serve", "--db", db, "--port", str(port), "--log-level", "warning"],
        env=env,
        stderr=err,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.err").read_text()
            assert time.monotonic() < deadline, "ouroboros serve did not start"
            time.sleep(0.1)
        yield url, db, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err.close()


async def write_from_another_process(db: str, env: dict[str, str], tool: str, args: dict) -> dict:
    """Run ``ouroboros tools call`` as its own process on the same database."""
    done = await anyio.run_process(
        [OUROBOROS, "tools", "call", tool, json.dumps(args), "--db", db],
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return json.loads(done.stdout)


async def next_event(sub, seconds: float = 60) -> ResourceUpdated:
    with anyio.fail_after(seconds):  # a bound on a hang, not a timing assertion
        return await sub.__anext__()


async def test_a_listener_hears_a_write_by_another_process(served) -> None:
    url, db, env = served
    async with Client(f"{url}/mcp") as client:  # discovers the newest revision
        assert client.protocol_version == "2026-07-28"
        caps = client.server_capabilities
        assert caps.resources is not None and caps.resources.subscribe is True
        async with client.listen(resource_subscriptions=[ALICE_URI, GRAPH_URI]) as sub:
            assert sorted(sub.honored.resource_subscriptions or []) == sorted(
                [ALICE_URI, GRAPH_URI]
            )
            # A write to Bob: the graph changed, Alice did not.
            await write_from_another_process(
                db,
                env,
                "add_observations",
                {"observations": [{"entityName": "Bob", "contents": ["new"]}]},
            )
            assert await next_event(sub) == ResourceUpdated(uri=GRAPH_URI)
            # A write to Alice from another process: both URIs.
            envelope = await write_from_another_process(
                db,
                env,
                "add_observations",
                {"observations": [{"entityName": "Alice", "contents": ["from process B"]}]},
            )
            assert envelope["status"] == "success"
            got = {await next_event(sub), await next_event(sub)}
            assert got == {ResourceUpdated(uri=ALICE_URI), ResourceUpdated(uri=GRAPH_URI)}
            # The client refetches and sees the other process's write.
            read = await client.read_resource(ALICE_URI)
            [alice] = json.loads(read.contents[0].text)["entities"]
            assert alice["observations"] == ["likes tea", "from process B"]


async def test_an_entity_listener_hears_only_its_entity(served) -> None:
    url, db, env = served
    async with (
        Client(f"{url}/mcp", mode="2026-07-28") as client,
        client.listen(resource_subscriptions=[ALICE_URI]) as sub,
    ):
        await write_from_another_process(
            db,
            env,
            "add_observations",
            {"observations": [{"entityName": "Bob", "contents": ["x"]}]},
        )
        await write_from_another_process(db, env, "delete_entities", {"entityNames": ["Alice"]})
        # The first event is Alice's deletion: Bob's write was not for this stream.
        assert await next_event(sub) == ResourceUpdated(uri=ALICE_URI)


async def test_listen_needs_the_2026_revision(served) -> None:
    url, _db, _env = served
    async with Client(f"{url}/mcp", mode="legacy") as client:
        with pytest.raises(ListenNotSupportedError):
            async with client.listen(resource_subscriptions=[ALICE_URI]):
                pass


async def test_a_stdio_listener_hears_a_write_by_another_process(tmp_path: Path) -> None:
    """``ouroboros mcp`` (the owner of the file) and a write from ``ouroboros tools call``."""
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    db = str(tmp_path / "kb.duckdb")
    with open_store(db, embedder=None) as store:
        store.create_entities([{"name": "Alice", "entityType": "person", "observations": []}])
    env = {**os.environ, "OUROBOROS_RATE_LIMIT": "0"}
    params = StdioServerParameters(command=OUROBOROS, args=["mcp", "--db", db], env=env)
    with open(tmp_path / "stderr.txt", "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            assert client.protocol_version == "2026-07-28"
            async with client.listen(resource_subscriptions=[ALICE_URI]) as sub:
                await write_from_another_process(
                    db,
                    env,
                    "add_observations",
                    {"observations": [{"entityName": "Alice", "contents": ["over stdio"]}]},
                )
                assert await next_event(sub) == ResourceUpdated(uri=ALICE_URI)


def test_which_watched_uris_a_change_touches() -> None:
    from ouroboros.mcp_server.subscriptions import ChangeBus

    bus = ChangeBus(lambda cursor=None: {"cursor": 0, "names": [], "all": False})
    watched = [
        GRAPH_URI,
        "ouroboros://graph?offset=0&limit=10",
        ALICE_URI,
        "ouroboros://entity/Ada%20Lovelace",
        "ouroboros://entity/Bob",
    ]
    bus.watch(watched)
    uris = lambda change: sorted(e.uri for e in bus.events_for(change))  # noqa: E731
    assert uris({"names": ["Ada Lovelace"], "all": False}) == sorted(
        [GRAPH_URI, "ouroboros://graph?offset=0&limit=10", "ouroboros://entity/Ada%20Lovelace"]
    )
    assert uris({"names": [], "all": True}) == sorted(watched)  # a restore: everything
    assert uris({"names": [], "all": False}) == []
    bus.unwatch([ALICE_URI, "ouroboros://entity/Bob", "ouroboros://entity/Ada%20Lovelace"])
    assert uris({"names": ["Alice"], "all": False}) == sorted(
        [GRAPH_URI, "ouroboros://graph?offset=0&limit=10"]
    )


async def test_listen_needs_the_read_scope(tmp_path: Path) -> None:
    from mcp.shared.exceptions import MCPError

    from ouroboros.config import Settings
    from ouroboros.mcp_server import build_mcp_server
    from ouroboros.service import build_service
    from ouroboros.tools.policy import Caller

    store = open_store(":memory:", embedder=None)
    with build_service(Settings(db_path=":memory:", roots=(str(tmp_path),)), store) as service:
        writer = Caller(id="token:w", scopes=frozenset({"write"}), transport="http")
        server = build_mcp_server(
            service.tools, changes=store.changes, caller_factory=lambda ctx: writer
        )
        async with Client(server) as client:
            with pytest.raises(MCPError, match="has no read scope"):
                async with client.listen(resource_subscriptions=[GRAPH_URI]):
                    pass
