"""The memory pack through the real service: recall, ingest, invalidate, history, purge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.service import Service, open_service
from ouroboros.tools.memory_pack import MEMORY_PACK_TOOLS
from ouroboros.tools.policy import TOOL_SETS


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


def test_pack_is_a_tool_set() -> None:
    assert TOOL_SETS["recall"] == MEMORY_PACK_TOOLS


def test_ingest_recall_invalidate_history_purge(service: Service) -> None:
    got = ok(
        service,
        "ingest",
        {
            "conversation": "chat",
            "turns": [
                {
                    "id": "t1",
                    "speaker": "Ann",
                    "text": "My cat is called Tom",
                    "time": "2024-02-01",
                },
                {"id": "t2", "speaker": "Bo", "text": "Cute name!"},
            ],
        },
    )
    assert got["added"] == 2
    doc = ok(service, "ingest", {"document": "notes.md", "text": "# Pets\n\nTom eats fish."})
    assert doc["units"] == 1
    rec = ok(service, "recall", {"query": "What is the cat called?", "budget_tokens": 300})
    assert rec["items"][0]["source"]["id"] == "t1"
    assert set(rec) >= {"items", "tokens", "truncated"}
    chunks = ok(service, "recall", {"query": "fish", "filters": {"kind": "chunk"}})
    assert chunks["items"][0]["source"]["id"] == "notes.md#L1-3"

    ok(
        service,
        "create_entities",
        {"entities": [{"name": "Tom", "entityType": "cat", "observations": ["likes fish"]}]},
    )
    inv = ok(
        service,
        "invalidate_observations",
        {"deletions": [{"entityName": "Tom", "observations": ["likes fish"]}]},
    )
    assert inv == {"success": True, "invalidated": 1}
    graph = ok(service, "open_nodes", {"names": ["Tom"]})
    assert graph["entities"][0]["observations"] == []
    hist = ok(service, "entity_history", {"name": "Tom"})
    assert [e["op"] for e in hist["events"]] == ["create", "add", "invalidate"]
    gone = ok(service, "purge", {"entityNames": ["Tom"]})
    assert gone["removed"]["entities"] == 1


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("recall", {"query": ""}),
        ("recall", {"query": "x", "budget_tokens": 0}),
        ("recall", {"query": "x", "asOf": "03/04/2023"}),
        ("ingest", {}),
        ("ingest", {"transcript": {"conversation": "c"}}),
        ("invalidate_observations", {"deletions": [{"entityName": "A", "observations": [1]}]}),
        ("entity_history", {"name": "nobody"}),
        ("purge", {}),
    ],
)
def test_bad_input_gets_the_error_shape(service: Service, name: str, args: Any) -> None:
    envelope = call(service, name, args)
    assert envelope["status"] == "error", envelope
    assert envelope["error"]["type"]
