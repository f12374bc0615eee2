"""Existing users' data and mixed versions: the wave-1 file, URL schemes, the socket protocol."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from ouroboros.errors import InvalidInputError, StoreError
from ouroboros.store import open_store
from ouroboros.store.location import parse_location
from ouroboros.store.ownership import socket_path
from ouroboros.store.rpc import PROTOCOL, RpcClient, RpcServer

FIXTURES = Path(__file__).parent.parent / "fixtures"
WAVE1 = FIXTURES / "wave1-store.duckdb"


def _project(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The wave-1 fields of a snapshot (later schema versions may add fields beside them)."""
    return {
        "memory": [{k: m[k] for k in ("key", "value", "created_at")} for m in snapshot["memory"]],
        "entities": [
            {
                "name": e["name"],
                "entityType": e["entityType"],
                "created_at": e["created_at"],
                "observations": [
                    {"content": o["content"], "created_at": o["created_at"]}
                    for o in e["observations"]
                ],
            }
            for e in snapshot["entities"]
        ],
        "relations": sorted(
            (r["from"], r["to"], r["relationType"], r["created_at"]) for r in snapshot["relations"]
        ),
        "events": [
            {k: e[k] for k in ("ts", "kind", "name", "ok", "duration_ms", "details")}
            for e in snapshot["events"]
        ],
        "audit": snapshot["audit"],
        "tokens": sorted(
            (t["id"], t["name"], tuple(t["scopes"]), t["secret_hash"], t["revoked_at"])
            for t in snapshot["tokens"]
        ),
    }


def test_wave1_file_opens_and_migrates_with_everything_kept(tmp_path: Path) -> None:
    expected = json.loads((FIXTURES / "wave1-store.expected.json").read_text(encoding="utf-8"))
    db = tmp_path / "wave1.duckdb"
    shutil.copyfile(WAVE1, db)
    with open_store(db, embedder=None) as store:
        assert _project(store.snapshot()) == _project(expected["snapshot"])
        assert store.memory_get("project")["value"] == {"name": "Ouroboros", "wave": 1}  # type: ignore[index]
        assert store.token_verify(expected["secret"])["name"] == "ci-reader"  # type: ignore[index]
        assert store.search("chess", mode="keyword")["results"][0]["name"] == "Bob"
        assert store.shortest_path("Alice", "Zoë Müller")["length"] == 2  # type: ignore[index]
        # It stays writable after the migration, and reopens.
        store.create_entities([{"name": "Dave", "entityType": "person", "observations": []}])
    with open_store(db, embedder=None) as store:
        assert store.counts()["entities"] == 5


@pytest.mark.parametrize(
    "url",
    ["mysql://u@h/db", "sqlite:///tmp/x.db", "https://example.invalid/db", "redis://localhost"],
)
def test_unsupported_url_schemes_are_refused(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # before, a file named like the URL appeared here
    with pytest.raises(InvalidInputError, match="unsupported database URL scheme"):
        open_store(url)
    assert not list(tmp_path.iterdir())


def test_url_parsing() -> None:
    assert parse_location("/a/b.duckdb").kind == "duckdb"
    assert parse_location("duckdb:///a/b.duckdb").target == "/a/b.duckdb"
    assert parse_location(":memory:").kind == "memory"
    assert parse_location("postgresql://u@localhost/db").kind == "postgres"
    assert parse_location("postgres://u@localhost/db").kind == "postgres"
    with pytest.raises(InvalidInputError) as err:
        parse_location("mysql://root:hunter2@localhost/db")
    assert "hunter2" not in str(err.value)


def test_duckdb_url_opens_the_file(tmp_path: Path) -> None:
    db = tmp_path / "u.duckdb"
    with open_store(f"duckdb://{db}", embedder=None) as store:
        store.memory_set("k", 1)
    assert db.exists()


def _serve(tmp_path: Path, protocol: int) -> tuple[RpcServer, str]:
    path = socket_path(str(tmp_path / f"fake-{protocol}.duckdb"))
    hello = {"protocol": protocol, "pid": 0, "path": "x"}
    server = RpcServer(path, lambda m, a, k, r, t: "answered", hello)
    return server, path


def test_client_refuses_an_owner_of_another_protocol(tmp_path: Path) -> None:
    server, path = _serve(tmp_path, PROTOCOL + 1)
    client = RpcClient(path)
    try:
        with pytest.raises(StoreError, match="protocol mismatch") as err:
            client.connect()
        assert err.value.details == {"owner_protocol": PROTOCOL + 1, "client_protocol": PROTOCOL}
    finally:
        client.close()
        server.stop_accepting()


@pytest.mark.parametrize("version", [None, 1, PROTOCOL + 1])
def test_owner_refuses_a_request_of_another_protocol(tmp_path: Path, version: Any) -> None:
    """A wave-1 client sent no version; a newer one sends a larger number: both are refused."""
    server, path = _serve(tmp_path, PROTOCOL)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            request: dict[str, Any] = {"i": 1, "m": "_hello", "a": [], "k": {}}
            if version is not None:
                request["v"] = version
            sock.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(sock.makefile("rb").readline())
        assert reply["err"]["type"] == "StoreError"
        assert "protocol mismatch" in reply["err"]["message"]
        assert reply["err"]["details"]["owner_protocol"] == PROTOCOL
        # A request with the right version is answered.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            request = {"v": PROTOCOL, "i": 2, "m": "anything", "a": [], "k": {}}
            sock.sendall(json.dumps(request).encode() + b"\n")
            assert json.loads(sock.makefile("rb").readline())["ok"] == "answered"
    finally:
        server.stop_accepting()


def test_a_call_on_a_client_closed_by_a_failover_asks_for_the_new_owner(tmp_path: Path) -> None:
    """Two threads of one store: one fails over and closes the old client while the other has
    just picked it up. That call must raise OwnerGone (the store retries it on the new owner),
    not "the store is closed" (three `ouroboros mcp` on one file lost a write to this)."""
    from ouroboros.store.rpc import OwnerGone

    server, path = _serve(tmp_path, PROTOCOL)
    client = RpcClient(path)
    try:
        assert client.call("memory_get", ["k"], {}) == "answered"
        client.close()
        with pytest.raises(OwnerGone):
            client.call("memory_get", ["k"], {})
    finally:
        server.stop_accepting()
