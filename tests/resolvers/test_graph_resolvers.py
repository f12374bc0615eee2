"""Knowledge-graph resolvers over a real DuckDB file: idents, relation joins, batching, params,
mutations for every write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.errors import ConflictError, InvalidInputError, NotFoundError
from ouroboros.service import Service, open_service


class CountingStore:
    """The real store, counting the calls made to it (passed per request as context["store"])."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)

        return call


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),))
    with open_service(settings) as svc:
        svc.engine.process(
            """[(graph/create-entities!
                 {:entities [{:name "Alice" :entityType "person" :observations ["likes tea" "lives in Oslo"]}
                             {:name "Bob" :entityType "person" :observations ["drinks coffee"]}
                             {:name "Carol" :entityType "person" :observations []}
                             {:name "Ouroboros" :entityType "project" :observations ["a graph engine"]}]})
                (graph/create-relations!
                 {:relations [{:from "Alice" :to "Bob" :relationType "knows"}
                              {:from "Bob" :to "Carol" :relationType "knows"}
                              {:from "Alice" :to "Ouroboros" :relationType "works_on"}
                              {:from "Carol" :to "Ouroboros" :relationType "works_on"}]})]"""
        )
        yield svc


def test_entity_ident_with_relation_joins(service: Service) -> None:
    query = (
        '[{[:entity/name "Alice"] [:entity/type :entity/observations :entity/exists?'
        " {:entity/relations-out [:relation/type {:relation/to [:entity/name :entity/type]}]}"
        " {:entity/relations-in [:relation/type {:relation/from [:entity/name]}]}]}]"
    )
    alice = service.engine.process(query)[("entity/name", "Alice")]
    assert alice["entity/type"] == "person"
    assert alice["entity/observations"] == ["likes tea", "lives in Oslo"]
    assert alice["entity/exists?"] is True
    out = {
        (r["relation/type"], r["relation/to"]["entity/name"]) for r in alice["entity/relations-out"]
    }
    assert out == {("knows", "Bob"), ("works_on", "Ouroboros")}
    types = {
        r["relation/to"]["entity/name"]: r["relation/to"]["entity/type"]
        for r in alice["entity/relations-out"]
    }
    assert types == {"Bob": "person", "Ouroboros": "project"}
    assert alice["entity/relations-in"] == []

    project = service.engine.process(
        '[{[:entity/name "Ouroboros"] [{:entity/relations-in [{:relation/from [:entity/name]}]}]}]'
    )[("entity/name", "Ouroboros")]
    assert {r["relation/from"]["entity/name"] for r in project["entity/relations-in"]} == {
        "Alice",
        "Carol",
    }


def test_unknown_entity_is_absent_not_an_error(service: Service) -> None:
    for name in ("Nobody", "", "bad\nname"):
        ident = ("entity/name", name)
        row = service.engine.process(
            [
                {
                    ident: [
                        "entity/type",
                        "entity/exists?",
                        {"entity/relations-out": ["relation/type"]},
                    ]
                }
            ]
        )[ident]
        assert row == {
            "entity/type": None,
            "entity/exists?": False,
            "entity/relations-out": [],
        }


def test_entities_of_a_list_cost_one_store_call_per_group(service: Service) -> None:
    counting = CountingStore(service.store)
    result = service.engine.process(
        '[{(:graph/nodes {:names ["Alice" "Bob" "Carol"]})'
        " [:entity/name {:entity/relations-out [{:relation/to [:entity/name :entity/type :entity/observations]}]}]}]",
        context={"store": counting},
    )
    nodes = result["graph/nodes"]
    assert [n["entity/name"] for n in nodes] == ["Alice", "Bob", "Carol"]
    assert counting.calls["relations_of"] == 1  # all three entities' relations at once
    # graph/nodes fetches the three; the four relation targets come in one batched call
    assert counting.calls["get_entities"] == 2
    targets = [r["relation/to"] for n in nodes for r in n["entity/relations-out"]]
    assert {t["entity/name"] for t in targets} == {"Bob", "Carol", "Ouroboros"}
    assert all("entity/type" in t for t in targets)


def test_search_with_params_and_meta(service: Service) -> None:
    result = service.engine.process(
        '[{(:graph/search {:query "TEA" :limit 5}) [:entity/name :search/score]} :graph/search-meta]'
    )
    assert [h["entity/name"] for h in result["graph/search"]] == ["Alice"]
    assert result["graph/search"][0]["search/score"] > 0
    meta = result["graph/search-meta"]
    assert meta["search/mode"] in ("keyword", "hybrid") and meta["search/total"] == 1

    ranked = service.engine.process('[{(:graph/search {:query "person" :limit 2}) [:entity/name]}]')
    assert len(ranked["graph/search"]) == 2
    with pytest.raises(InvalidInputError):
        service.engine.process("[:graph/search]")
    with pytest.raises(InvalidInputError):
        service.engine.process('[(:graph/search {:query "x" :limit 0})]')


def test_path_found_not_found_and_missing(service: Service) -> None:
    path = service.engine.process('[(:graph/path {:from "Alice" :to "Carol"})]')["graph/path"]
    assert path["path/found?"] is True and path["path/length"] == 2
    assert [e["entity/name"] for e in path["path/entities"]] in (
        ["Alice", "Bob", "Carol"],
        ["Alice", "Ouroboros", "Carol"],
    )
    assert len(path["path/relations"]) == 2

    service.engine.process(
        '[(graph/create-entities! {:entities [{:name "Loner" :entityType "x" :observations []}]})]'
    )
    none = service.engine.process('[(:graph/path {:from "Alice" :to "Loner"})]')["graph/path"]
    assert none == {
        "path/found?": False,
        "path/length": None,
        "path/entities": [],
        "path/relations": [],
    }
    with pytest.raises(NotFoundError):
        service.engine.process('[(:graph/path {:from "Alice" :to "Nobody"})]')


def test_neighbours_global_and_per_entity(service: Service) -> None:
    one = service.engine.process('[(:graph/neighbours {:name "Alice"})]')["graph/neighbours"]
    assert {e["entity/name"] for e in one["neighbours/entities"]} == {"Bob", "Ouroboros"}
    assert one["neighbours/root"] == {"entity/name": "Alice"}
    two = service.engine.process('[(:graph/neighbours {:name "Alice" :depth 2})]')[
        "graph/neighbours"
    ]
    depths = {e["entity/name"]: e["neighbour/depth"] for e in two["neighbours/entities"]}
    assert depths == {"Bob": 1, "Ouroboros": 1, "Carol": 2}

    per_entity = service.engine.process(
        '[{[:entity/name "Alice"] [(:entity/neighbours {:depth 1 :direction "out"})]}]'
    )[("entity/name", "Alice")]["entity/neighbours"]
    assert {n["entity/name"] for n in per_entity} == {"Bob", "Ouroboros"}
    with pytest.raises(InvalidInputError):
        service.engine.process('[(:graph/neighbours {:name "Alice" :depth 99})]')


def test_stats_entities_and_pages(service: Service) -> None:
    result = service.engine.process("[:graph/stats {(:graph/entities {:limit 2}) [:entity/name]}]")
    assert result["graph/stats"] == {
        "graph/entity-count": 4,
        "graph/relation-count": 4,
        "graph/observation-count": 4,
    }
    assert [e["entity/name"] for e in result["graph/entities"]] == ["Alice", "Bob"]

    seen_entities: list[str] = []
    seen_relations = 0
    offset: int | None = 0
    while offset is not None:
        page = service.engine.process(f"[(:graph/page {{:offset {offset} :limit 3}})]")[
            "graph/page"
        ]
        seen_entities += [e["entity/name"] for e in page["graph/entities"]]
        seen_relations += len(page["graph/relations"])
        assert page["page/total"] == 4
        offset = page["page/next-offset"]
    assert seen_entities == ["Alice", "Bob", "Carol", "Ouroboros"]
    assert seen_relations == 4


def test_mutations_for_every_write(service: Service) -> None:
    e = service.engine
    created = e.process(
        '[{(graph/create-entities! {:entities [{:entity/name "Dan" :entity/type "person"}'
        ' {:name "Alice" :entityType "person" :observations []}]})'
        " [:graph/created-count {:graph/created-entities [:entity/name :entity/type]}]}]"
    )["graph/create-entities!"]
    assert created == {
        "graph/created-count": 1,  # Alice exists: skipped
        "graph/created-entities": [{"entity/name": "Dan", "entity/type": "person"}],
    }
    rels = e.process(
        '[(graph/create-relations! {:relations [{:relation/from "Dan" :relation/to "Alice" :relation/type "knows"}'
        ' {:from "Alice" :to "Bob" :relationType "knows"}]})]'
    )["graph/create-relations!"]
    assert rels["graph/created-count"] == 1
    with pytest.raises(NotFoundError):
        e.process(
            '[(graph/create-relations! {:relations [{:from "Dan" :to "Nobody" :relationType "x"}]})]'
        )

    added = e.process(
        '[(graph/add-observations! {:observations [{:entityName "Dan" :contents ["new" "new"]}]})]'
    )["graph/add-observations!"]
    assert added == {
        "graph/added-observations": [{"entity/name": "Dan", "observation/added": ["new"]}]
    }
    with pytest.raises(NotFoundError):
        e.process(
            '[(graph/add-observations! {:observations [{:entityName "Nobody" :contents ["x"]}]})]'
        )

    renamed = e.process('[(graph/rename-entity! {:from "Dan" :to "Daniel"})]')[
        "graph/rename-entity!"
    ]
    assert renamed["entity/name"] == "Daniel" and renamed["graph/renamed-from"] == "Dan"
    assert renamed["entity/observations"] == ["new"]
    with pytest.raises(ConflictError):
        e.process('[(graph/rename-entity! {:from "Daniel" :to "Alice"})]')

    gone = e.process(
        '[(graph/delete-observations! {:deletions [{:entityName "Daniel" :observations ["new" "absent"]}]})'
        ' (graph/delete-relations! {:relations [{:from "Daniel" :to "Alice" :relationType "knows"}]})]'
    )
    assert gone["graph/delete-observations!"] == {"graph/deleted-count": 1}
    assert gone["graph/delete-relations!"] == {"graph/deleted-count": 1}

    deleted = e.process('[(graph/delete-entities! {:names ["Bob" "Nobody"]})]')
    assert deleted["graph/delete-entities!"] == {"graph/deleted-count": 1}
    alice = e.process(
        '[{[:entity/name "Alice"] [{:entity/relations-out [{:relation/to [:entity/name]}]}]}]'
    )
    targets = [
        r["relation/to"]["entity/name"]
        for r in alice[("entity/name", "Alice")]["entity/relations-out"]
    ]
    assert targets == ["Ouroboros"]  # the relation to Bob went with Bob

    actions = {r["action"] for r in service.store.audit_log(50)}
    assert {
        "mutation:graph/create-entities!",
        "mutation:graph/create-relations!",
        "mutation:graph/add-observations!",
        "mutation:graph/rename-entity!",
        "mutation:graph/delete-observations!",
        "mutation:graph/delete-relations!",
        "mutation:graph/delete-entities!",
    } <= actions


def test_bad_mutation_params_are_input_errors(service: Service) -> None:
    with pytest.raises(InvalidInputError):
        service.engine.process("[(graph/create-entities! {})]")
    with pytest.raises(InvalidInputError):
        service.engine.process('[(graph/create-entities! {:entities "Alice"})]')
    with pytest.raises(InvalidInputError):
        service.engine.process('[(graph/rename-entity! {:from "Alice"})]')
