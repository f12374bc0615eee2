"""``asOf`` / ``knownAt`` on the official read tools, on EQL ident joins and attributes: the
facts valid then, or what the store knew then, through the real service on a DuckDB file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ouroboros.config import Settings
from ouroboros.eql import parse
from ouroboros.errors import InvalidInputError
from ouroboros.service import Service, open_service
from ouroboros.store.clock import iso, parse_iso


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),), rate_limit_per_minute=0
    )
    with open_service(settings) as svc:
        yield svc


def ok(svc: Service, name: str, args: Any) -> Any:
    envelope = svc.tools.call_sync(name, args)
    assert envelope["status"] == "success", envelope
    schema = svc.tools.get(name).output_schema
    if schema is not None:
        jsonschema.validate(envelope["result"], schema)
    json.dumps(envelope)
    return envelope["result"]


def err(svc: Service, name: str, args: Any) -> dict[str, Any]:
    envelope = svc.tools.call_sync(name, args)
    assert envelope["status"] == "error", envelope
    return dict(envelope["error"])


@pytest.fixture
def ada(service: Service) -> str:
    """Ada moved from Paris to Rome in 2023, and stopped liking tea (invalidated now); her
    relation to Bob ended now too. Returns a knownAt just before the invalidations."""
    store = service.store
    store.create_entities(
        [
            {"name": "Ada", "entityType": "person", "observations": ["likes tea"]},
            {"name": "Bob", "entityType": "person", "observations": []},
        ]
    )
    store.create_relations([{"from": "Ada", "to": "Bob", "relationType": "knows"}])
    store.add_observations(
        [
            {
                "entityName": "Ada",
                "contents": ["lives in Paris"],
                "validFrom": "2020-01-01",
                "validTo": "2023-01-01",
            },
            {"entityName": "Ada", "contents": ["lives in Rome"], "validFrom": "2023-01-01"},
        ]
    )
    store.invalidate_observations([{"entityName": "Ada", "observations": ["likes tea"]}])
    store.invalidate_relations([{"from": "Ada", "to": "Bob", "relationType": "knows"}])
    events = store.entity_history("Ada")["events"]
    ended = min(parse_iso(e["at"]) for e in events if e["op"] == "invalidate")
    return iso(ended - timedelta(microseconds=1)) or ""


def observations(result: dict[str, Any], name: str = "Ada") -> list[str]:
    """The entity's observations, sorted (an invalidated fact's history row comes later)."""
    found = next(e["observations"] for e in result["entities"] if e["name"] == name)
    assert all(isinstance(o, str) for o in found)
    return sorted(found)


def test_open_nodes_as_of_and_known_at(service: Service, ada: str) -> None:
    now = ok(service, "open_nodes", {"names": ["Ada"]})
    assert observations(now) == ["lives in Rome"]
    assert now["relations"] == []
    past = ok(service, "open_nodes", {"names": ["Ada"], "asOf": "2021-06-01"})
    assert observations(past) == ["likes tea", "lives in Paris"]  # still plain strings
    assert past["relations"] == [{"from": "Ada", "to": "Bob", "relationType": "knows"}]
    before = ok(service, "open_nodes", {"names": ["Ada", "Bob"], "knownAt": ada})
    assert observations(before) == ["likes tea", "lives in Rome"]
    assert before["relations"] == [{"from": "Ada", "to": "Bob", "relationType": "knows"}]
    # A human date with the month's name is read as well as ISO 8601.
    human = ok(service, "open_nodes", {"names": ["Ada"], "asOf": "1 June, 2021"})
    assert observations(human) == observations(past)


def test_search_nodes_and_read_graph_as_of(service: Service, ada: str) -> None:
    assert ok(service, "search_nodes", {"query": "Paris"})["entities"] == []
    found = ok(service, "search_nodes", {"query": "Paris", "asOf": "2022-01-01"})
    assert [e["name"] for e in found["entities"]] == ["Ada"]
    assert found["search"]["mode"] == "keyword"
    assert found["relations"] == [{"from": "Ada", "to": "Bob", "relationType": "knows"}]
    tea = ok(service, "search_nodes", {"query": "tea", "knownAt": ada})
    assert [e["name"] for e in tea["entities"]] == ["Ada"]
    graph = ok(service, "read_graph", {"asOf": "2022-01-01"})
    assert observations(graph) == ["likes tea", "lives in Paris"]
    assert graph["relations"] == [{"from": "Ada", "to": "Bob", "relationType": "knows"}]
    paged = ok(service, "read_graph", {"asOf": "2022-01-01", "limit": 1})
    assert paged["total"] == 2 and paged["next_offset"] == 1
    assert ok(service, "read_graph", {})["relations"] == []


@pytest.mark.parametrize(
    ("tool", "args", "says"),
    [
        ("open_nodes", {"names": ["Ada"], "asOf": "03/04/2023"}, "ambiguous date"),
        ("open_nodes", {"names": ["Ada"], "knownAt": "yesterday"}, "knownAt"),
        ("search_nodes", {"query": "tea", "asOf": "2023-02-30"}, "no such date"),
        ("read_graph", {"asOf": "not a time"}, "asOf"),
        ("search_nodes", {"query": "tea", "asOf": "2022", "mode": "semantic"}, "keyword only"),
    ],
)
def test_bad_times_get_the_error_shape(
    service: Service, ada: str, tool: str, args: dict[str, Any], says: str
) -> None:
    error = err(service, tool, args)
    assert error["type"] == "InvalidInputError"
    assert says in error["message"]


def test_eql_ident_join_params(service: Service, ada: str) -> None:
    engine = service.engine
    query = (
        '[{([:entity/name "Ada"] {:as-of "2021-06-01"}) '
        "[:entity/observations {:entity/relations-out [:relation/type]}]}]"
    )
    got = engine.process(parse(query))
    (value,) = got.values()
    assert sorted(value[parse("[:entity/observations]").children[0].key]) == [
        "likes tea",
        "lives in Paris",
    ]
    assert len(value[parse("[:entity/relations-out]").children[0].key]) == 1
    # An attribute's own params win over its ident's.
    own = engine.process(
        parse(
            '[{([:entity/name "Ada"] {:as-of "2021-06-01"}) '
            '[(:entity/observations {:as-of "2024-01-01"})]}]'
        )
    )
    assert sorted(next(iter(own.values())).popitem()[1]) == ["likes tea", "lives in Rome"]
    known = engine.process(
        parse(f'[{{([:entity/name "Ada"] {{:known-at "{ada}"}}) [:entity/observations]}}]')
    )
    assert sorted(next(iter(known.values())).popitem()[1]) == ["likes tea", "lives in Rome"]
    # On the attribute itself, camelCase too.
    camel = engine.process(
        parse('[{[:entity/name "Ada"] [(:entity/observations {:asOf "2021-06-01"})]}]')
    )
    assert sorted(next(iter(camel.values())).popitem()[1]) == ["likes tea", "lives in Paris"]
    # Without params: now, as before.
    now = engine.process(parse('[{[:entity/name "Ada"] [:entity/observations]}]'))
    assert list(next(iter(now.values())).values()) == [["lives in Rome"]]


def test_eql_bad_time_on_an_ident_is_a_clear_error(service: Service, ada: str) -> None:
    with pytest.raises(InvalidInputError, match="ambiguous date"):
        service.engine.process(
            parse('[{([:entity/name "Ada"] {:as-of "03/04/2023"}) [:entity/observations]}]')
        )


def test_add_observations_tool_takes_valid_times(service: Service) -> None:
    ok(
        service,
        "create_entities",
        {"entities": [{"name": "Cy", "entityType": "t", "observations": []}]},
    )
    item = {
        "entityName": "Cy",
        "contents": ["in Oslo"],
        "validFrom": "2020",
        "validTo": "8 May 2022",
    }
    assert ok(service, "add_observations", {"observations": [item]}) == {
        "results": [{"entityName": "Cy", "addedObservations": ["in Oslo"]}]
    }
    assert observations(ok(service, "open_nodes", {"names": ["Cy"]}), "Cy") == []
    past = ok(service, "open_nodes", {"names": ["Cy"], "asOf": "2021-01-01"})
    assert observations(past, "Cy") == ["in Oslo"]
    bad = err(
        service,
        "add_observations",
        {"observations": [{**item, "contents": ["x"], "validFrom": "03/04/2023"}]},
    )
    assert bad["type"] == "InvalidInputError" and "ambiguous" in bad["message"]
