"""Federation: another ``ouroboros serve`` process, a Strawberry GraphQL app (under uvicorn,
on loopback) and MCP servers (the official memory server from npm over stdio, the other
Ouroboros's ``/mcp`` over streamable HTTP, a small SDK server) as foreign sources whose
attributes join ours in one EQL query; failures stay per attribute."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2 as httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from ouroboros import resolver
from ouroboros.config import Settings
from ouroboros.connect.operations import attributes_of
from ouroboros.service import build_service
from ouroboros.store import open_store
from tests.plugins.conftest import EXAMPLE

pytestmark = pytest.mark.slow

OUROBOROS = str(Path(sys.executable).with_name("ouroboros"))
MEMORY_SERVER = (
    Path(__file__).resolve().parents[2]
    / "bench/node/node_modules/@modelcontextprotocol/server-memory/dist/index.js"
)
SLOW_SERVER = Path(__file__).with_name("servers") / "slow_mcp.py"
needs_memory_server = pytest.mark.skipif(
    shutil.which("node") is None or not MEMORY_SERVER.is_file(),
    reason="needs node and the official MCP memory server (make node)",
)
ALICE = {"name": "Alice", "entityType": "person", "observations": ["likes tea", "writes code"]}


@strawberry.type
class Person:
    name: str
    email: str = strawberry.field(description="The person's work email address.")
    team: str


PEOPLE = {"Alice": Person(name="Alice", email="alice@example.com", team="graph")}
CALLS: list[str] = []


@strawberry.type
class Query:
    @strawberry.field
    def greeting(self) -> str:
        return "hello from GraphQL"

    @strawberry.field
    def person(self, name: str) -> Person | None:
        CALLS.append(name)
        return PEOPLE.get(name)


def hosted(gql: GraphQL) -> Starlette:
    """The Strawberry ASGI app at /graphql inside Starlette (uvicorn's lifespan needs one)."""
    return Starlette(routes=[Route("/graphql", gql, methods=["GET", "POST"])])


def people_app() -> Starlette:
    return hosted(GraphQL(strawberry.Schema(query=Query)))


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second Ouroboros: ``ouroboros serve`` with the example plugin, Alice in its memory."""
    tmp = tmp_path_factory.mktemp("remote")
    db = str(tmp / "remote.duckdb")
    store = open_store(db, embedder=None)
    try:
        store.create_entities([ALICE])
    finally:
        store.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OUROBOROS_ROOTS": str(tmp), "OUROBOROS_RATE_LIMIT": "0"}
    args = [OUROBOROS, "serve", "--db", db, "--port", str(port), "--plugins", str(EXAMPLE)]
    with open(tmp / "serve.err", "wb") as err:
        proc = subprocess.Popen([*args, "--log-level", "warning"], env=env, stderr=err)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (tmp / "serve.err").read_text()
            assert time.monotonic() < deadline, "the remote ouroboros serve did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def local_service(tmp_path: Path, foreign: list[dict], operations=()):
    settings = Settings(db_path=":memory:", roots=(str(tmp_path),), extra={"foreign": foreign})
    store = open_store(":memory:", embedder=None)
    store.create_entities([{"name": "Alice", "entityType": "engineer", "observations": []}])
    return build_service(settings, store, operations=operations)


def test_one_query_joins_local_memory_ouroboros_and_graphql(
    remote: str, serve_uvicorn, tmp_path: Path
) -> None:
    with serve_uvicorn(people_app()) as people:
        foreign = [
            {"name": "peer", "kind": "ouroboros", "url": remote},
            {
                "name": "people",
                "kind": "graphql",
                "url": f"{people.url}/graphql",
                "link": {"people.person/name": "entity/name"},
            },
        ]
        with local_service(tmp_path, foreign) as service:
            assert not service.plugins.refused, [r.line for r in service.plugins.refused]
            assert service.plugins.get("foreign-peer").origin == f"foreign ouroboros {remote}"
            docs = service.engine.attributes
            # Descriptions come from the source (the peer's /index, the GraphQL schema) or
            # name it; every attribute a foreign operation touches has one.
            assert (
                docs.doc_of("stats/word-count")
                == "From peer: How many words the entity's observations hold together."
            )
            assert (
                docs.doc_of("people.person/email")
                == "From people: The person's work email address."
            )
            assert docs.doc_of("people.person/team") == "From people: Person.team."
            assert docs.doc_of("people/greeting") == "From people: Query.greeting."
            assert (
                docs.doc_of("people.person/name")
                == "From people: the name argument of Query.person."
            )
            assert docs.doc_of("entity/type") == "The entity's type (e.g. person)."  # ours stays
            for plugin in ("foreign-peer", "foreign-people"):
                for op in service.plugins.get(plugin).operations:
                    undocumented = [a for a in attributes_of(op) if not docs.doc_of(a)]
                    assert undocumented == [], (op.name, undocumented)
            CALLS.clear()
            result = service.engine.process(
                '[:people/greeting {[:entity/name "Alice"] '
                "[:entity/type :stats/word-count :people.person/email :people.person/team]}]"
            )
    assert result == {
        "people/greeting": "hello from GraphQL",
        ("entity/name", "Alice"): {
            "entity/type": "engineer",  # local memory
            "stats/word-count": 4,  # the other Ouroboros (its plugin, its memory)
            "people.person/email": "alice@example.com",  # the GraphQL API
            "people.person/team": "graph",
        },
    }
    assert CALLS == ["Alice"]  # both GraphQL attributes came from one call


def test_a_batch_of_entities_is_one_graphql_query(serve_uvicorn, tmp_path: Path) -> None:
    queries: list[str] = []

    class Recording(GraphQL):
        async def get_context(self, request, response):  # type: ignore[no-untyped-def]
            queries.append((await request.json())["query"])
            return await super().get_context(request, response)

    PEOPLE["Bob"] = Person(name="Bob", email="bob@example.com", team="store")
    with serve_uvicorn(hosted(Recording(strawberry.Schema(query=Query)))) as people:
        source = {
            "name": "people",
            "kind": "graphql",
            "url": f"{people.url}/graphql",
            "link": {"people.person/name": "entity/name"},
        }

        @resolver(name="test/members", output=[{"test/members": ["entity/name"]}])
        def members(data):  # type: ignore[no-untyped-def]
            """Two local entities."""
            return {"test/members": [{"entity/name": "Alice"}, {"entity/name": "Bob"}]}

        with local_service(tmp_path, [source], [members]) as service:
            queries.clear()
            result = service.engine.process("[{:test/members [:entity/name :people.person/team]}]")
    assert result["test/members"] == [
        {"entity/name": "Alice", "people.person/team": "graph"},
        {"entity/name": "Bob", "people.person/team": "store"},
    ]
    assert len(queries) == 1 and "a0: person" in queries[0] and "a1: person" in queries[0]


def test_failures_stay_per_attribute(serve_uvicorn, tmp_path: Path) -> None:
    """A GraphQL source that stops answering after start: its attribute fails (lenient), the
    local attributes still answer."""

    state = {"hang": False}

    class Switch(GraphQL):
        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            if state["hang"] and scope["type"] == "http":
                await anyio.sleep(30)
            await super().__call__(scope, receive, send)

    with serve_uvicorn(hosted(Switch(strawberry.Schema(query=Query)))) as people:
        source = {
            "name": "people",
            "kind": "graphql",
            "url": f"{people.url}/graphql",
            "timeout": 0.5,
            "link": {"people.person/name": "entity/name"},
        }
        with local_service(tmp_path, [source]) as service:
            state["hang"] = True
            result = service.engine.process(
                '[{[:entity/name "Alice"] [:entity/type :people.person/email]}]', lenient=True
            )
            state["hang"] = False
    alice = result[("entity/name", "Alice")]
    assert alice["entity/type"] == "engineer"
    assert "people.person/email" not in alice
    errors = alice.get("ouroboros/errors") or result.get("ouroboros/errors")
    assert errors, result
    assert "people.person/email" in str(errors)
    assert "no answer" in str(errors) or "timed out" in str(errors) or "Timeout" in str(errors)


def test_an_unreachable_source_is_refused_and_the_service_starts(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    source = {"name": "gone", "kind": "ouroboros", "url": f"http://127.0.0.1:{port}"}
    with local_service(tmp_path, [source]) as service:
        [refused] = service.plugins.refused
        assert refused.name == "foreign-gone"
        assert refused.cause.startswith("ForeignSourceError: foreign source 'gone'")
        assert service.engine.process("[:system/healthy?]") == {"system/healthy?": True}


def test_a_bad_foreign_table_is_refused(tmp_path: Path) -> None:
    source = {"name": "x", "kind": "soap", "url": "http://127.0.0.1:1"}
    with local_service(tmp_path, [source]) as service:
        [refused] = service.plugins.refused
        assert refused.cause.startswith("InvalidInputError: [[foreign]] kind:")


# --- MCP servers as sources -------------------------------------------------------------------


@pytest.fixture
def memory_server(tmp_path: Path) -> dict:
    """The official MCP memory server (npm, over stdio) as a source, Alice in its JSONL file."""
    memory = tmp_path / "memory.jsonl"
    alice = {"type": "entity", "name": "Alice", "entityType": "person"}
    memory.write_text(json.dumps({**alice, "observations": ["plays the cello"]}) + "\n")
    return {
        "name": "mem",
        "kind": "mcp",
        "command": ["node", str(MEMORY_SERVER)],
        "env": {"MEMORY_FILE_PATH": str(memory)},
        "link": {"mem.entity/name": "entity/name"},
    }


def server_children() -> list[int]:
    """The pids of this process's children running the memory server."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"server-memory" in cmdline:
            pids.append(int(entry))
    return pids


@needs_memory_server
def test_one_query_joins_local_memory_and_all_three_foreign_kinds(
    remote: str, serve_uvicorn, memory_server: dict, tmp_path: Path
) -> None:
    with serve_uvicorn(people_app()) as people:
        foreign = [
            {"name": "peer", "kind": "ouroboros", "url": remote},
            {
                "name": "people",
                "kind": "graphql",
                "url": f"{people.url}/graphql",
                "link": {"people.person/name": "entity/name"},
            },
            memory_server,
        ]
        with local_service(tmp_path, foreign) as service:
            assert not service.plugins.refused, [r.line for r in service.plugins.refused]
            plugin = service.plugins.get("foreign-mem")
            assert plugin.origin == f"foreign mcp node {MEMORY_SERVER}"
            result = service.engine.process(
                '[{[:entity/name "Alice"] [:entity/type :stats/word-count :people.person/email '
                ":mem.entity/entityType :mem.entity/observations]}]"
            )
    assert result == {
        ("entity/name", "Alice"): {
            "entity/type": "engineer",  # local memory
            "stats/word-count": 4,  # the other Ouroboros
            "people.person/email": "alice@example.com",  # the GraphQL API
            "mem.entity/entityType": "person",  # the official MCP memory server
            "mem.entity/observations": ["plays the cello"],
        }
    }


@needs_memory_server
def test_mcp_tools_are_mutations_and_read_only_tools_resolvers_with_params(
    memory_server: dict, tmp_path: Path
) -> None:
    with local_service(tmp_path, [memory_server]) as service:
        plugin = service.plugins.get("foreign-mem")
        described = plugin.describe()
        assert "mem/create_entities" in described["mutations"]
        assert "foreign.mem/search_nodes" in described["resolvers"]
        assert "foreign.mem/create_entities" not in described["resolvers"]  # not read-only
        wrote = service.engine.process(
            "[(mem/add_observations {:observations "
            '[{:entityName "Alice" :contents ["joined via EQL"]}]})]'
        )
        found = service.engine.process('[(:mem/search_nodes {:query "EQL"})]')
        missing = service.engine.process("[:mem/search_nodes]", lenient=True)
    assert wrote == {
        "mem/add_observations": {
            "results": [{"entityName": "Alice", "addedObservations": ["joined via EQL"]}]
        }
    }
    [alice] = found["mem/search_nodes"]["entities"]
    assert alice["observations"] == ["plays the cello", "joined via EQL"]
    assert "needs the param :query" in str(missing["ouroboros/errors"])


def test_a_batch_of_entities_is_one_mcp_call(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    source = {
        "name": "small",
        "kind": "mcp",
        "command": [sys.executable, str(SLOW_SERVER)],
        "env": {"CALLS_FILE": str(calls)},
        "link": {"small.thing/name": "entity/name"},
    }

    @resolver(name="test/members", output=[{"test/members": ["entity/name"]}])
    def members(data):  # type: ignore[no-untyped-def]
        """Three local entities, one the server does not know."""
        names = ["Alice", "Bob", "Nobody"]
        return {"test/members": [{"entity/name": n} for n in names]}

    with local_service(tmp_path, [source], [members]) as service:
        assert not service.plugins.refused, [r.line for r in service.plugins.refused]
        result = service.engine.process(
            "[{:test/members [:entity/name :small.thing/size]}]", lenient=True
        )
    assert result["test/members"][:2] == [
        {"entity/name": "Alice", "small.thing/size": 5},
        {"entity/name": "Bob", "small.thing/size": 3},
    ]
    assert "small.thing/size" not in result["test/members"][2]
    assert calls.read_text().splitlines() == ['["Alice", "Bob", "Nobody"]']  # one call


@needs_memory_server
def test_the_mcp_session_is_started_again_when_the_server_dies(
    memory_server: dict, tmp_path: Path
) -> None:
    query = '[{[:entity/name "Alice"] [:mem.entity/entityType]}]'
    with local_service(tmp_path, [memory_server]) as service:
        [first] = server_children()  # one long-lived session: one process
        assert service.engine.process(query) == {
            ("entity/name", "Alice"): {"mem.entity/entityType": "person"}
        }
        assert server_children() == [first]
        os.kill(first, signal.SIGKILL)
        # A read on the dead session is retried once on a new one.
        assert service.engine.process(query) == {
            ("entity/name", "Alice"): {"mem.entity/entityType": "person"}
        }
        [second] = server_children()
        assert second != first
    assert server_children() == []  # closed with the service


def test_an_mcp_call_that_hangs_fails_only_its_attribute(tmp_path: Path) -> None:
    source = {
        "name": "slow",
        "kind": "mcp",
        "command": [sys.executable, str(SLOW_SERVER)],
        "timeout": 1,
    }
    with local_service(tmp_path, [source]) as service:
        assert not service.plugins.refused, [r.line for r in service.plugins.refused]
        result = service.engine.process(
            '[:system/healthy? :slow/sleepy (:slow/echo {:text "hi"})]', lenient=True
        )
    assert result["system/healthy?"] is True
    assert "slow/sleepy" not in result
    assert "no answer to tools/call sleepy in 1 s" in str(result["ouroboros/errors"])


def test_an_mcp_server_over_streamable_http(remote: str, tmp_path: Path) -> None:
    """The other Ouroboros's /mcp endpoint as a source (MCP streamable HTTP)."""
    source = {
        "name": "peermcp",
        "kind": "mcp",
        "url": f"{remote}/mcp",
        "tools": ["open_nodes", "search_nodes"],
        "link": {"peermcp.entity/name": "entity/name"},
    }
    with local_service(tmp_path, [source]) as service:
        assert not service.plugins.refused, [r.line for r in service.plugins.refused]
        result = service.engine.process(
            '[{[:entity/name "Alice"] [:entity/type :peermcp.entity/entityType '
            ":peermcp.entity/observations]}]"
        )
    assert result == {
        ("entity/name", "Alice"): {
            "entity/type": "engineer",
            "peermcp.entity/entityType": "person",
            "peermcp.entity/observations": ["likes tea", "writes code"],
        }
    }


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"name": "m", "kind": "mcp"}, "an mcp source needs exactly one of url or command"),
        (
            {"name": "m", "kind": "mcp", "url": "http://127.0.0.1:1/mcp", "command": ["x"]},
            "an mcp source needs exactly one of url or command",
        ),
        (
            {"name": "g", "kind": "graphql", "url": "http://127.0.0.1:1", "command": ["x"]},
            "command and env are for kind = 'mcp' only",
        ),
        ({"name": "m", "kind": "mcp", "command": []}, "command: [] should be non-empty"),
    ],
)
def test_a_bad_mcp_table_is_refused(tmp_path: Path, source: dict, message: str) -> None:
    with local_service(tmp_path, [source]) as service:
        [refused] = service.plugins.refused
    assert refused.cause == f"InvalidInputError: [[foreign]] {refused.cause.split(']] ', 1)[1]}"
    assert message in refused.cause


def test_an_mcp_command_that_cannot_start_is_refused_with_its_cause(tmp_path: Path) -> None:
    source = {
        "name": "gone",
        "kind": "mcp",
        "command": [sys.executable, "-c", "import sys; sys.exit('no such server')"],
    }
    with local_service(tmp_path, [source]) as service:
        [refused] = service.plugins.refused
        assert service.engine.process("[:system/healthy?]") == {"system/healthy?": True}
    assert refused.name == "foreign-gone"
    assert refused.cause.startswith("ForeignSourceError: foreign source 'gone': cannot start")
    assert "no such server" in refused.cause
