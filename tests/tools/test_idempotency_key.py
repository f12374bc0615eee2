"""``idempotencyKey`` on every write tool: the same key twice applies once and returns the same
result, within one process and across two real processes on one DuckDB file."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.service import Service, open_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),), rate_limit_per_minute=0
    )
    with open_service(settings) as svc:
        yield svc


def call(svc: Service, name: str, args: Any) -> dict[str, Any]:
    envelope = svc.tools.call_sync(name, args)
    json.dumps(envelope)
    return envelope


def ok(svc: Service, name: str, args: Any) -> Any:
    envelope = call(svc, name, args)
    assert envelope["status"] == "success", envelope
    return envelope["result"]


def test_every_write_tool_takes_the_key(service: Service) -> None:
    writes = [t for t in service.tools if t.writes]
    assert {"create_entities", "add_observations", "ingest", "purge", "memory_set"} <= {
        t.name for t in writes
    }
    for tool in writes:
        assert tool.input_schema["properties"]["idempotencyKey"]["type"] == "string", tool.name
    for tool in service.tools:
        if not tool.writes:
            assert "idempotencyKey" not in tool.input_schema.get("properties", {}), tool.name


def test_same_key_applies_once_and_returns_the_same_result(service: Service) -> None:
    ada = {"name": "Ada", "entityType": "person", "observations": ["likes tea"]}
    args = {"entities": [ada], "idempotencyKey": "req-1"}
    first = ok(service, "create_entities", args)
    assert first == {"entities": [ada]}
    assert ok(service, "create_entities", args) == first
    # Without the key the official semantics hold: an existing name is skipped.
    assert ok(service, "create_entities", {"entities": [ada]}) == {"entities": []}
    obs = {"observations": [{"entityName": "Ada", "contents": ["Paris"]}], "idempotencyKey": "o"}
    added = ok(service, "add_observations", obs)
    assert added == {"results": [{"entityName": "Ada", "addedObservations": ["Paris"]}]}
    assert ok(service, "add_observations", obs) == added
    assert service.store.counts() == {"entities": 1, "relations": 0, "observations": 2}
    # A tool with several store writes: the whole call's result comes back.
    turns = {"conversation": "c", "turns": [{"id": "1", "speaker": "A", "text": "hi there"}]}
    ingested = ok(service, "ingest", {**turns, "idempotencyKey": "i"})
    assert ok(service, "ingest", {**turns, "idempotencyKey": "i"}) == ingested
    assert ok(service, "ingest", turns) != ingested  # unkeyed: nothing new to store
    # A delete with a key, replayed after the entity came back, deletes nothing more.
    gone = {"entityNames": ["Ada"], "idempotencyKey": "d"}
    assert ok(service, "delete_entities", gone)["success"] is True
    ok(service, "create_entities", {"entities": [ada]})
    assert ok(service, "delete_entities", gone)["success"] is True
    assert service.store.get_entity("Ada") is not None


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"key": "k", "value": 2, "idempotencyKey": "m"}, "other arguments"),
        ({"key": "k", "value": 1, "idempotencyKey": ""}, "idempotencyKey"),
        ({"key": "k", "value": 1, "idempotencyKey": "x" * 201}, "idempotencyKey"),
        ({"key": "k", "value": 1, "idempotencyKey": 7}, "idempotencyKey"),
    ],
)
def test_bad_or_reused_keys_get_the_error_shape(
    service: Service, args: dict[str, Any], says: str
) -> None:
    ok(service, "memory_set", {"key": "k", "value": 1, "idempotencyKey": "m"})
    envelope = call(service, "memory_set", args)
    assert envelope["status"] == "error"
    assert says in envelope["error"]["message"]
    assert envelope["error"]["type"] in ("ConflictError", "InvalidInputError")
    assert service.store.memory_get("k")["value"] == 1  # type: ignore[index]


WORKER = textwrap.dedent(
    """
    import json, sys
    from ouroboros.config import Settings
    from ouroboros.service import open_service

    db = sys.argv[1]
    with open_service(Settings(db_path=db, roots=(), rate_limit_per_minute=0)) as svc:
        args = {
            "entities": [{"name": "Ada", "entityType": "person", "observations": ["x"]}],
            "idempotencyKey": "shared-key",
        }
        first = svc.tools.call_sync("create_entities", args)
        obs = {"observations": [{"entityName": "Ada", "contents": ["y"]}],
               "idempotencyKey": "obs-key"}
        second = svc.tools.call_sync("add_observations", obs)
        print(json.dumps({"role": svc.store.role, "entities": first, "obs": second}), flush=True)
        sys.stdin.readline()  # stay the owner (or a client) until told to go
    """
)


def test_two_processes_on_one_file(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.duckdb")
    cmd = [sys.executable, "-c", WORKER, db]
    first = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    second = None
    try:
        assert first.stdout is not None and first.stdin is not None
        a = json.loads(first.stdout.readline())
        second = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path
        )
        assert second.stdout is not None and second.stdin is not None
        b = json.loads(second.stdout.readline())
        assert {a["role"], b["role"]} == {"owner", "client"}
        for got in (a, b):
            assert got["entities"]["status"] == "success"
            assert got["obs"]["status"] == "success"
        assert a["entities"]["result"] == b["entities"]["result"]
        assert a["entities"]["result"]["entities"][0]["name"] == "Ada"
        assert a["obs"]["result"] == b["obs"]["result"]
        assert a["obs"]["result"]["results"][0]["addedObservations"] == ["y"]
        second.communicate("\n", timeout=60)
        assert second.returncode == 0
        first.communicate("\n", timeout=60)
        assert first.returncode == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
            if proc is not None:
                proc.communicate()
    from ouroboros.store import open_store

    with open_store(db, embedder=None) as s:
        assert s.counts() == {"entities": 1, "relations": 0, "observations": 2}
