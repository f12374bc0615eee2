"""Knowledge graph: entities, observations, relations; official-server semantics plus ours."""

from __future__ import annotations

import pytest

from ouroboros.errors import ConflictError, InvalidInputError, NotFoundError, PayloadTooLargeError
from ouroboros.store import Store, official_entity, official_graph, open_store


def test_create_returns_created_and_skips_existing(store: Store) -> None:
    made = store.create_entities(
        [{"name": "A", "entityType": "t", "observations": ["o1", "o1", "o2"]}]
    )
    assert [official_entity(e) for e in made] == [
        {"name": "A", "entityType": "t", "observations": ["o1", "o2"]}
    ]
    assert made[0]["created_at"] == made[0]["updated_at"]
    again = store.create_entities(
        [
            {"name": "A", "entityType": "other", "observations": ["x"]},
            {"name": "B", "entityType": "t", "observations": []},
            {"name": "B", "entityType": "dup", "observations": []},
        ]
    )
    assert [e["name"] for e in again] == ["B"]
    assert store.get_entity("A")["entityType"] == "t"  # type: ignore[index]
    assert store.get_entity("B")["entityType"] == "t"  # type: ignore[index]


def test_observations_are_optional(store: Store) -> None:
    store.create_entities([{"name": "A", "entityType": "t"}])
    assert store.get_entity("A")["observations"] == []  # type: ignore[index]


def test_add_observations_skips_duplicates_and_times_them(people: Store) -> None:
    res = people.add_observations(
        [{"entityName": "Alice", "contents": ["likes tea", "plays chess", "plays chess"]}]
    )
    assert res == [{"entityName": "Alice", "addedObservations": ["plays chess"]}]
    alice = people.get_entity("Alice")
    assert alice is not None
    assert alice["observations"] == ["likes tea", "works at Anthropic", "plays chess"]
    assert len(alice["observation_times"]) == 3
    assert alice["updated_at"] == alice["observation_times"][-1]


def test_add_observations_to_missing_entity_writes_nothing(people: Store) -> None:
    with pytest.raises(NotFoundError, match="Nobody"):
        people.add_observations(
            [
                {"entityName": "Alice", "contents": ["new fact"]},
                {"entityName": "Nobody", "contents": ["x"]},
            ]
        )
    assert "new fact" not in people.get_entity("Alice")["observations"]  # type: ignore[index]


def test_relations_refuse_missing_endpoints_atomically(people: Store) -> None:
    with pytest.raises(NotFoundError) as info:
        people.create_relations(
            [
                {"from": "Alice", "to": "Carol", "relationType": "knows"},
                {"from": "Alice", "to": "Ghost", "relationType": "knows"},
            ]
        )
    assert "Ghost" in str(info.value)
    assert info.value.details["missing"] == ["Ghost"]
    assert all(r["to"] != "Carol" for r in people.relations_of(["Alice"], "out"))


def test_relations_skip_exact_duplicates(people: Store) -> None:
    made = people.create_relations(
        [
            {"from": "Alice", "to": "Bob", "relationType": "knows"},
            {"from": "Alice", "to": "Bob", "relationType": "likes"},
            {"from": "Alice", "to": "Bob", "relationType": "likes"},
        ]
    )
    assert [(r["from"], r["to"], r["relationType"]) for r in made] == [("Alice", "Bob", "likes")]
    assert made[0]["created_at"].endswith("Z")


def test_relations_of_directions(people: Store) -> None:
    out = {(r["from"], r["to"]) for r in people.relations_of(["Bob"], "out")}
    inc = {(r["from"], r["to"]) for r in people.relations_of(["Bob"], "in")}
    both = {(r["from"], r["to"]) for r in people.relations_of(["Bob"])}
    assert out == {("Bob", "Carol")}
    assert inc == {("Alice", "Bob")}
    assert both == out | inc
    with pytest.raises(InvalidInputError):
        people.relations_of(["Bob"], "sideways")


def test_open_nodes_returns_relations_touching_any_requested(people: Store) -> None:
    got = people.open_nodes(["Bob", "Nobody", "Bob"])
    assert [e["name"] for e in got["entities"]] == ["Bob"]
    assert {(r["from"], r["to"]) for r in got["relations"]} == {("Alice", "Bob"), ("Bob", "Carol")}


def test_get_entities_is_keyed_by_name(people: Store) -> None:
    got = people.get_entities(["Carol", "Alice", "Zed"])
    assert set(got) == {"Carol", "Alice"}
    assert got["Carol"]["observations"] == ["graph database expert"]


def test_delete_entities_cascades(people: Store) -> None:
    assert people.delete_entities(["Bob", "Nobody"]) == 1
    assert people.get_entity("Bob") is None
    assert people.relations_of(["Alice"], "out") == [
        {
            "from": "Alice",
            "to": "Anthropic",
            "relationType": "works_at",
            "created_at": people.relations_of(["Alice"], "out")[0]["created_at"],
        }
    ]
    assert people.relations_of(["Carol"]) == []
    assert people.search("coffee")["results"] == []
    assert people.delete_entities(["Bob"]) == 0


def test_delete_observations_and_relations(people: Store) -> None:
    n = people.delete_observations(
        [
            {"entityName": "Alice", "observations": ["likes tea", "never said"]},
            {"entityName": "Nobody", "observations": ["x"]},
        ]
    )
    assert n == 1
    assert people.get_entity("Alice")["observations"] == ["works at Anthropic"]  # type: ignore[index]
    assert people.search("tea")["results"] == []
    assert people.delete_relations([{"from": "Alice", "to": "Bob", "relationType": "knows"}]) == 1
    assert people.delete_relations([{"from": "Alice", "to": "Bob", "relationType": "knows"}]) == 0
    assert people.relations_of(["Alice"], "out")[0]["to"] == "Anthropic"


def test_rename_keeps_observations_and_relations(people: Store) -> None:
    renamed = people.rename_entity("Bob", "Robert")
    assert renamed["name"] == "Robert"
    assert renamed["observations"] == ["friend of Alice", "likes coffee"]
    assert people.get_entity("Bob") is None
    assert {(r["from"], r["to"]) for r in people.relations_of(["Robert"])} == {
        ("Alice", "Robert"),
        ("Robert", "Carol"),
    }
    assert people.search("robert")["results"][0]["name"] == "Robert"
    with pytest.raises(ConflictError):
        people.rename_entity("Robert", "Alice")
    with pytest.raises(NotFoundError):
        people.rename_entity("Bob", "Bobby")


def test_read_graph_pages_cover_everything_once(store: Store) -> None:
    store.create_entities(
        [{"name": f"e{i}", "entityType": "t", "observations": []} for i in range(25)]
    )
    store.create_relations(
        [{"from": f"e{i}", "to": f"e{(i + 1) % 25}", "relationType": "next"} for i in range(25)]
    )
    names, rels, offset = [], [], 0
    while offset is not None:
        page = store.read_graph(offset, 10)
        assert page["total"] == 25
        names += [e["name"] for e in page["entities"]]
        rels += [(r["from"], r["to"]) for r in page["relations"]]
        offset = page["next_offset"]
    assert names == [f"e{i}" for i in range(25)]
    assert sorted(rels) == sorted((f"e{i}", f"e{(i + 1) % 25}") for i in range(25))
    whole = store.read_graph()
    assert whole["next_offset"] is None
    assert len(official_graph(whole)["relations"]) == 25


def test_everything_survives_reopen(db_path: str) -> None:
    with open_store(db_path, embedder=None) as s:
        s.create_entities(
            [
                {"name": "A", "entityType": "t", "observations": ["one"]},
                {"name": "B", "entityType": "t", "observations": []},
            ]
        )
        s.create_relations([{"from": "A", "to": "B", "relationType": "r"}])
        s.add_observations([{"entityName": "A", "contents": ["two"]}])
        s.rename_entity("B", "C")
        before = s.read_graph()
    with open_store(db_path, embedder=None) as s:
        assert s.read_graph() == before
        assert s.search("two")["results"][0]["name"] == "A"
        made = s.create_entities([{"name": "D", "entityType": "t", "observations": ["x"]}])
        assert made[0]["name"] == "D"
        assert [e["name"] for e in s.read_graph()["entities"]] == ["A", "C", "D"]


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entity",
    [
        {"name": "", "entityType": "t"},
        {"name": "   ", "entityType": "t"},
        {"name": None, "entityType": "t"},
        {"name": "a\x00b", "entityType": "t"},
        {"name": "line\nbreak", "entityType": "t"},
        {"name": "bad \ud800", "entityType": "t"},
        {"name": "ok", "entityType": ""},
        {"name": "ok"},
        {"name": "ok", "entityType": "t", "observations": "not a list"},
        {"name": "ok", "entityType": "t", "observations": [""]},
        {"name": "ok", "entityType": "t", "observations": ["bad \udfff"]},
        {"name": "ok", "entityType": "t", "observations": [42]},
        "not an object",
    ],
)
def test_bad_entities_are_refused_and_nothing_written(store: Store, entity: object) -> None:
    with pytest.raises(InvalidInputError):
        store.create_entities([{"name": "fine", "entityType": "t"}, entity])  # type: ignore[list-item]
    assert store.read_graph()["total"] == 0


def test_huge_observation_is_refused(people: Store) -> None:
    with pytest.raises(PayloadTooLargeError, match="limit"):
        people.add_observations([{"entityName": "Alice", "contents": ["x" * (1024 * 1024)]}])
    with pytest.raises(PayloadTooLargeError):
        people.create_entities([{"name": "n" * 2000, "entityType": "t"}])
    big = "y" * (60 * 1024)
    people.add_observations([{"entityName": "Alice", "contents": [big]}])
    assert big in people.get_entity("Alice")["observations"]  # type: ignore[index]


def test_nul_inside_an_observation_is_stored(people: Store, db_path: str) -> None:
    people.add_observations([{"entityName": "Alice", "contents": ["before\x00after"]}])
    assert "before\x00after" in people.get_entity("Alice")["observations"]  # type: ignore[index]


@pytest.mark.parametrize(
    "name",
    [
        "Robert'); DROP TABLE entities;--",
        "quote \" and ' both",
        "1 OR 1=1",
        "%_wildcards_%",
        "$1 ? :param",
        "ünïcødé 名前 🐍",
    ],
)
def test_hostile_names_are_just_names(db_path: str, name: str) -> None:
    with open_store(db_path, embedder=None) as s:
        s.create_entities(
            [
                {"name": name, "entityType": "t", "observations": [name]},
                {"name": "other", "entityType": "t"},
            ]
        )
        s.create_relations([{"from": name, "to": "other", "relationType": name}])
    with open_store(db_path, embedder=None) as s:
        e = s.get_entity(name)
        assert e is not None and e["observations"] == [name]
        assert s.relations_of([name])[0]["relationType"] == name
        assert s.counts() == {"entities": 2, "relations": 1, "observations": 1}
        assert s.delete_entities([name]) == 1
        assert s.get_entity("other") is not None


def test_argument_types_are_checked(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        store.create_entities({"name": "A"})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        store.delete_entities("A")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        store.read_graph(-1)
    with pytest.raises(InvalidInputError):
        store.create_relations([{"from": "A", "to": "B"}])
