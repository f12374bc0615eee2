"""Federation: another ``ouroboros serve`` process and a Strawberry GraphQL app (under uvicorn,
on loopback) as foreign sources whose attributes join ours in one EQL query; failures stay
per attribute."""

from __future__ import annotations

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
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from ouroboros import resolver
from ouroboros.config import Settings
from ouroboros.service import build_service
from ouroboros.store import open_store
from tests.plugins.conftest import EXAMPLE

pytestmark = pytest.mark.slow

OUROBOROS = str(Path(sys.executable).with_name("ouroboros"))
ALICE = {"name": "Alice", "entityType": "person", "observations": ["likes tea", "writes code"]}


@strawberry.type
class Person:
    name: str
    email: str
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
