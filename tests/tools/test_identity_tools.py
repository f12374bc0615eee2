"""Identity tools through the real service: resolve_names, add_aliases, merge_entities,
near_duplicates, the ``[:entity/lookup ...]`` ident, and their errors in the one shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.eql import Keyword, parse
from ouroboros.service import Service, open_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),), rate_limit_per_minute=0
    )
    with open_service(settings) as svc:
        ok(
            svc,
            "create_entities",
            {
                "entities": [
                    {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
                    {"name": "alice", "entityType": "person", "observations": ["plays go"]},
                    {"name": "Bob", "entityType": "person", "observations": []},
                ]
            },
        )
        ok(
            svc,
            "create_relations",
            {"relations": [{"from": "alice", "to": "Bob", "relationType": "knows"}]},
        )
        yield svc


def call(svc: Service, name: str, args: Any) -> dict[str, Any]:
    envelope = svc.tools.call_sync(name, args)
    json.dumps(envelope)
    return envelope


def ok(svc: Service, name: str, args: Any) -> Any:
    envelope = call(svc, name, args)
    assert envelope["status"] == "success", envelope
    return envelope["result"]


def test_official_writes_never_merge_names(service: Service) -> None:
    names = [e["name"] for e in ok(service, "read_graph", {})["entities"]]
    assert names == ["Alice", "alice", "Bob"]


def test_resolve_alias_merge_and_lookup(service: Service) -> None:
    got = ok(service, "resolve_names", {"names": ["bob", "ALICE"]})["matches"]
    assert got[0] == {"query": "bob", "name": "Bob", "match": "normalised"}
    assert got[1]["name"] is None and got[1]["candidates"] == ["Alice", "alice"]
    assert ok(service, "add_aliases", {"name": "Bob", "aliases": ["Robert"]}) == {
        "name": "Bob",
        "aliases": ["Robert"],
    }
    merged = ok(
        service, "merge_entities", {"from": "alice", "into": "Alice", "idempotencyKey": "m1"}
    )
    assert merged["from"] == "alice" and merged["into"] == "Alice"
    assert merged["movedRelations"] == 1
    # A retried merge with its key returns the first result instead of "not found".
    assert (
        ok(service, "merge_entities", {"from": "alice", "into": "Alice", "idempotencyKey": "m1"})
        == merged
    )
    nodes = ok(service, "open_nodes", {"names": ["Alice"]})
    assert sorted(nodes["entities"][0]["observations"]) == ["likes tea", "plays go"]
    assert nodes["relations"] == [{"from": "Alice", "to": "Bob", "relationType": "knows"}]
    # EQL: a lookup ident reads the entity a name stands for.
    found = service.engine.process(
        parse('[{[:entity/lookup "ALICE."] [:entity/name :entity/match :entity/aliases]}]')
    )
    assert next(iter(found.values())) == {
        Keyword("entity/name"): "Alice",
        Keyword("entity/match"): "alias",
        Keyword("entity/aliases"): ["alice"],
    }
    history = ok(service, "entity_history", {"name": "Alice"})["events"]
    assert [e["text"] for e in history if e["op"] == "alias"] == ["alice"]


@pytest.mark.parametrize(
    ("tool", "args", "kind", "says"),
    [
        ("merge_entities", {"from": "Alice", "into": "Alice"}, "InvalidInputError", "into itself"),
        ("merge_entities", {"from": "Zed", "into": "Alice"}, "NotFoundError", "Zed"),
        ("merge_entities", {"from": "ALICE", "into": "Bob"}, "InvalidInputError", "several"),
        ("merge_entities", {"from": "Alice"}, "InvalidInputError", "into"),
        ("add_aliases", {"name": "Alice", "aliases": ["alice"]}, "ConflictError", "merge_entities"),
        ("add_aliases", {"name": "Zed", "aliases": ["Z"]}, "NotFoundError", "Zed"),
        ("near_duplicates", {"threshold": 3}, "InvalidInputError", "threshold"),
        ("resolve_names", {"names": [""]}, "InvalidInputError", "name"),
    ],
)
def test_bad_input_gets_the_error_shape(
    service: Service, tool: str, args: dict[str, Any], kind: str, says: str
) -> None:
    envelope = call(service, tool, args)
    assert envelope["status"] == "error", envelope
    assert envelope["error"]["type"] == kind
    assert says in envelope["error"]["message"]
    assert service.store.counts()["entities"] == 3


def test_near_duplicates_tool(service: Service) -> None:
    ok(
        service,
        "add_observations",
        {
            "observations": [
                {"entityName": "Bob", "contents": ["Bob drinks coffee", "bob drinks coffee!"]}
            ]
        },
    )
    dups = ok(service, "near_duplicates", {"names": ["Bob"]})["duplicates"]
    assert dups == [
        {
            "entityName": "Bob",
            "observation": "bob drinks coffee!",
            "similarTo": "Bob drinks coffee",
            "score": 1.0,
        }
    ]
