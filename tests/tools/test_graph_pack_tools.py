"""The knowledge-graph pack, ported from the official memory server's behavioural checklist
(dedupe, cascade, case-insensitive search, relation inclusion rules, missing-entity errors),
plus paging, ranked search, rename, neighbours and paths — through the real service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ouroboros.config import Settings
from ouroboros.service import Service, open_service
from ouroboros.tools.graph_pack import graph_tools
from ouroboros.tools.policy import GRAPH_TOOLS

OFFICIAL = [
    "create_entities",
    "create_relations",
    "add_observations",
    "delete_entities",
    "delete_observations",
    "delete_relations",
    "read_graph",
    "search_nodes",
    "open_nodes",
]
OFFICIAL_ARGS = {
    "create_entities": ["entities"],
    "create_relations": ["relations"],
    "add_observations": ["observations"],
    "delete_entities": ["entityNames"],
    "delete_observations": ["deletions"],
    "delete_relations": ["relations"],
    "read_graph": [],
    "search_nodes": ["query"],
    "open_nodes": ["names"],
}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),), rate_limit_per_minute=0
    )
    with open_service(settings) as svc:
        yield svc


def ok(svc: Service, name: str, args: Any = None) -> Any:
    envelope = svc.tools.call_sync(name, args)
    assert envelope["status"] == "success", envelope
    schema = svc.tools.get(name).output_schema
    assert schema is not None
    jsonschema.validate(envelope["result"], schema)
    json.dumps(envelope)
    return envelope["result"]


def err(svc: Service, name: str, args: Any = None) -> dict[str, Any]:
    envelope = svc.tools.call_sync(name, args)
    assert envelope["status"] == "error", envelope
    return dict(envelope["error"])


def entity(name: str, etype: str = "person", *obs: str) -> dict[str, Any]:
    return {"name": name, "entityType": etype, "observations": list(obs)}


def rel(a: str, b: str, t: str) -> dict[str, str]:
    return {"from": a, "to": b, "relationType": t}


def seed(svc: Service) -> None:
    ok(
        svc,
        "create_entities",
        {
            "entities": [
                entity("Alice", "person", "works at Acme", "likes tea"),
                entity("Bob", "person", "likes coffee"),
                entity("Acme", "company", "makes anvils"),
                entity("Zed", "robot"),
            ]
        },
    )
    ok(
        svc,
        "create_relations",
        {"relations": [rel("Alice", "Acme", "works_at"), rel("Bob", "Alice", "knows")]},
    )


def only_official_keys(graph: dict[str, Any]) -> None:
    for e in graph["entities"]:
        assert set(e) == {"name", "entityType", "observations"}
    for r in graph["relations"]:
        assert set(r) == {"from", "to", "relationType"}


# --- the tool set ---------------------------------------------------------------------------


def test_official_names_arguments_and_schemas() -> None:
    tools = graph_tools()
    assert [t.name for t in tools] == list(GRAPH_TOOLS)
    assert [t.name for t in tools][:9] == OFFICIAL
    for tool in tools:
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        assert tool.output_schema is not None
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)
        if tool.name in OFFICIAL_ARGS:
            assert tool.input_schema.get("required", []) == OFFICIAL_ARGS[tool.name]
    by_name = {t.name: t for t in tools}
    item = by_name["create_entities"].input_schema["properties"]["entities"]["items"]
    assert item["required"] == ["name", "entityType", "observations"]
    assert {n for n, t in by_name.items() if t.writes} == {
        *OFFICIAL[:6],
        "rename_entity",
    }
    assert all(by_name[n].destructive for n in OFFICIAL[3:6])


# --- writes -----------------------------------------------------------------------------------


def test_create_entities_skips_existing_names(service: Service) -> None:
    first = ok(service, "create_entities", {"entities": [entity("A", "t", "x")]})
    assert first == {"entities": [entity("A", "t", "x")]}
    again = ok(
        service, "create_entities", {"entities": [entity("A", "other", "y"), entity("B", "t")]}
    )
    assert again == {"entities": [entity("B", "t")]}
    graph = ok(service, "read_graph")
    assert graph["entities"] == [entity("A", "t", "x"), entity("B", "t")]


def test_create_relations_skips_duplicates_and_refuses_dangling(service: Service) -> None:
    seed(service)
    dup = ok(service, "create_relations", {"relations": [rel("Alice", "Acme", "works_at")]})
    assert dup == {"relations": []}
    e = err(
        service,
        "create_relations",
        {"relations": [rel("Bob", "Acme", "visits"), rel("Bob", "Nobody", "knows")]},
    )
    assert e["type"] == "NotFoundError" and "Nobody" in e["message"]
    # nothing of the failed batch was written
    assert rel("Bob", "Acme", "visits") not in ok(service, "read_graph")["relations"]


def test_add_observations_adds_only_new_and_errors_on_missing_entity(service: Service) -> None:
    seed(service)
    added = ok(
        service,
        "add_observations",
        {"observations": [{"entityName": "Alice", "contents": ["likes tea", "plays chess"]}]},
    )
    assert added == {"results": [{"entityName": "Alice", "addedObservations": ["plays chess"]}]}
    e = err(
        service,
        "add_observations",
        {
            "observations": [
                {"entityName": "Bob", "contents": ["new fact"]},
                {"entityName": "Nobody", "contents": ["x"]},
            ]
        },
    )
    assert e["type"] == "NotFoundError"
    bob = ok(service, "open_nodes", {"names": ["Bob"]})["entities"][0]
    assert bob["observations"] == ["likes coffee"]


def test_delete_entities_cascades_and_ignores_unknown(service: Service) -> None:
    seed(service)
    result = ok(service, "delete_entities", {"entityNames": ["Alice", "Nobody"]})
    assert result == {"success": True, "message": "Entities deleted successfully"}
    graph = ok(service, "read_graph")
    assert {e["name"] for e in graph["entities"]} == {"Bob", "Acme", "Zed"}
    assert graph["relations"] == []


def test_delete_observations_and_relations(service: Service) -> None:
    seed(service)
    assert ok(
        service,
        "delete_observations",
        {
            "deletions": [
                {"entityName": "Alice", "observations": ["likes tea", "never said"]},
                {"entityName": "Nobody", "observations": ["x"]},
            ]
        },
    ) == {"success": True, "message": "Observations deleted successfully"}
    alice = ok(service, "open_nodes", {"names": ["Alice"]})["entities"][0]
    assert alice["observations"] == ["works at Acme"]
    # exact triple only: a different type does not delete
    ok(service, "delete_relations", {"relations": [rel("Alice", "Acme", "likes")]})
    assert len(ok(service, "read_graph")["relations"]) == 2
    assert ok(service, "delete_relations", {"relations": [rel("Alice", "Acme", "works_at")]}) == {
        "success": True,
        "message": "Relations deleted successfully",
    }
    assert ok(service, "read_graph")["relations"] == [rel("Bob", "Alice", "knows")]


def test_bad_arguments_are_refused(service: Service) -> None:
    assert err(service, "create_entities", {"entities": "Alice"})["type"] == "InvalidInputError"
    assert err(service, "create_entities", {"entities": [{"name": "A"}]})["type"] == (
        "InvalidInputError"
    )
    assert err(service, "open_nodes", {})["type"] == "InvalidInputError"
    # JSON text where an array belongs is decoded (models send it that way)
    assert ok(service, "open_nodes", {"names": '["Nobody"]'}) == {"entities": [], "relations": []}
    # unknown extra arguments are ignored, as by the official server
    assert ok(service, "read_graph", {"unexpected": 1}) == {"entities": [], "relations": []}


# --- reads ------------------------------------------------------------------------------------


def test_read_graph_whole_and_paged(service: Service) -> None:
    seed(service)
    whole = ok(service, "read_graph")
    assert set(whole) == {"entities", "relations"}
    only_official_keys(whole)
    assert [e["name"] for e in whole["entities"]] == ["Alice", "Bob", "Acme", "Zed"]
    assert len(whole["relations"]) == 2

    names: list[str] = []
    relations: list[dict[str, str]] = []
    offset: int | None = 0
    while offset is not None:
        page = ok(service, "read_graph", {"offset": offset, "limit": 3})
        only_official_keys(page)
        assert page["total"] == 4
        names += [e["name"] for e in page["entities"]]
        relations += page["relations"]
        offset = page["next_offset"]
    assert names == ["Alice", "Bob", "Acme", "Zed"]
    assert sorted(map(json.dumps, relations)) == sorted(map(json.dumps, whole["relations"]))
    assert err(service, "read_graph", {"limit": 0})["type"] == "InvalidInputError"


def test_search_is_case_insensitive_over_names_types_and_observations(service: Service) -> None:
    seed(service)
    assert [e["name"] for e in ok(service, "search_nodes", {"query": "ALICE"})["entities"]] == [
        "Alice"
    ]
    assert [e["name"] for e in ok(service, "search_nodes", {"query": "Company"})["entities"]] == [
        "Acme"
    ]
    found = ok(service, "search_nodes", {"query": "coffee"})
    assert [e["name"] for e in found["entities"]] == ["Bob"]
    only_official_keys(found)
    assert ok(service, "search_nodes", {"query": "nothing-matches"})["entities"] == []


def test_search_relations_touch_the_hits_and_results_are_ranked(service: Service) -> None:
    seed(service)
    found = ok(service, "search_nodes", {"query": "Bob"})
    assert [e["name"] for e in found["entities"]] == ["Bob"]
    # relations with at least one endpoint among the hits
    assert found["relations"] == [rel("Bob", "Alice", "knows")]
    acme = ok(service, "search_nodes", {"query": "acme"})
    # the name hit outranks the mention in Alice's observations
    assert [e["name"] for e in acme["entities"]] == ["Acme", "Alice"]
    scores = acme["search"]["scores"]
    assert scores == sorted(scores, reverse=True)
    assert acme["search"]["total"] == 2
    limited = ok(service, "search_nodes", {"query": "acme", "limit": 1})
    assert [e["name"] for e in limited["entities"]] == ["Acme"]
    keyword = ok(service, "search_nodes", {"query": "acme", "mode": "keyword"})
    assert keyword["search"]["mode"] == "keyword"
    assert err(service, "search_nodes", {"query": "x", "mode": "psychic"})["type"] == (
        "InvalidInputError"
    )


def test_open_nodes_includes_relations_touching_any_requested_node(service: Service) -> None:
    seed(service)
    opened = ok(service, "open_nodes", {"names": ["Alice", "Nobody"]})
    only_official_keys(opened)
    assert [e["name"] for e in opened["entities"]] == ["Alice"]
    assert sorted(map(json.dumps, opened["relations"])) == sorted(
        map(json.dumps, [rel("Alice", "Acme", "works_at"), rel("Bob", "Alice", "knows")])
    )
    assert ok(service, "open_nodes", {"names": ["Zed"]}) == {
        "entities": [entity("Zed", "robot")],
        "relations": [],
    }
    assert ok(service, "open_nodes", {"names": []}) == {"entities": [], "relations": []}


# --- beyond the official server -----------------------------------------------------------------


def test_rename_entity_keeps_relations(service: Service) -> None:
    seed(service)
    renamed = ok(service, "rename_entity", {"oldName": "Alice", "newName": "Alicia"})
    assert renamed == {
        "entity": entity("Alicia", "person", "works at Acme", "likes tea"),
        "oldName": "Alice",
    }
    assert rel("Bob", "Alicia", "knows") in ok(service, "read_graph")["relations"]
    assert err(service, "rename_entity", {"oldName": "Nobody", "newName": "X"})["type"] == (
        "NotFoundError"
    )
    assert err(service, "rename_entity", {"oldName": "Bob", "newName": "Acme"})["type"] == (
        "ConflictError"
    )
    assert err(service, "rename_entity", {"oldName": "Bob"})["type"] == "InvalidInputError"


def test_graph_neighbours_and_path(service: Service) -> None:
    seed(service)
    near = ok(service, "graph_neighbours", {"name": "Bob"})
    only_official_keys(near)
    assert [e["name"] for e in near["entities"]] == ["Alice"]
    assert near["depths"] == {"Alice": 1}
    far = ok(service, "graph_neighbours", {"name": "Bob", "depth": 2})
    assert far["depths"] == {"Alice": 1, "Acme": 2}
    assert len(far["relations"]) == 2
    out_only = ok(service, "graph_neighbours", {"name": "Alice", "direction": "out"})
    assert out_only["depths"] == {"Acme": 1}
    assert err(service, "graph_neighbours", {"name": "Nobody"})["type"] == "NotFoundError"
    assert err(service, "graph_neighbours", {"name": "Bob", "depth": 0})["type"] == (
        "InvalidInputError"
    )

    path = ok(service, "graph_path", {"from": "Bob", "to": "Acme"})
    assert path["found"] is True and path["length"] == 2
    assert path["path"] == ["Bob", "Alice", "Acme"]
    assert path["relations"] == [rel("Bob", "Alice", "knows"), rel("Alice", "Acme", "works_at")]
    none = ok(service, "graph_path", {"from": "Bob", "to": "Zed"})
    assert none == {"found": False, "length": None, "path": [], "entities": [], "relations": []}
    assert ok(service, "graph_path", {"from": "Bob", "to": "Acme", "maxDepth": 1})["found"] is False


def test_the_pack_is_backed_by_the_engine_not_the_database(service: Service) -> None:
    """Every pack tool is an EQL query or mutation; none has a run= hook around the engine."""
    for tool in graph_tools():
        assert tool.query is not None and tool.run is None, tool.name
