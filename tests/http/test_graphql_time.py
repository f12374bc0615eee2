"""GraphQL arguments ``as_of`` / ``known_at`` on the generated graph fields, and the
``memory__recall`` field: the same time-travel reads as MCP and EQL."""

from __future__ import annotations

from typing import Any


def gql(client: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    r = client.post("/graphql", json={"query": query, "variables": variables})
    assert r.status_code == 200, r.text
    return dict(r.json())


def seed(service: Any) -> None:
    store = service.store
    store.create_entities([{"name": "Ada", "entityType": "person", "observations": []}])
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


def test_time_arguments_on_entity_fields(client: Any, service: Any) -> None:
    seed(service)
    got = gql(
        client,
        """query($t: JSON) { entity(name: "Ada") {
             now: observations
             then: observations(as_of: $t)
             known: observations(known_at: "2999-01-01") } }""",
        {"t": "2021-06-01"},
    )
    assert "errors" not in got, got
    ada = got["data"]["entity"]
    assert ada == {"now": ["lives in Rome"], "then": ["lives in Paris"], "known": ["lives in Rome"]}
    found = gql(
        client,
        '{ graph__search(query: "Paris", as_of: "2022-01-01") { name observations } }',
    )
    assert "errors" not in found, found
    assert found["data"]["graph__search"] == [{"name": "Ada", "observations": ["lives in Paris"]}]


def test_bad_time_argument_is_one_error(client: Any, service: Any) -> None:
    seed(service)
    got = gql(client, '{ entity(name: "Ada") { observations(as_of: "03/04/2023") } }')
    (error,) = got["errors"]
    assert "ambiguous date" in error["message"]
    assert error["extensions"]["type"] == "InvalidInputError"


def test_recall_field(client: Any, service: Any) -> None:
    seed(service)
    got = gql(client, '{ memory__recall(query: "Rome", as_of: "2024-01-01") }')
    assert "errors" not in got, got
    items = got["data"]["memory__recall"]["items"]
    assert [i["text"] for i in items] == ["Ada (person): lives in Rome"]
