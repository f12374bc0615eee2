"""/graphql: the schema generated from the index, compiled to one EQL query per operation."""

from __future__ import annotations

import pytest

from ouroboros import Engine, resolver
from ouroboros.http.graphql.compile import compile_operation
from ouroboros.http.graphql.model import build_model
from ouroboros.http.graphql.names import (
    NameCollisionError,
    attribute_name,
    graphql_name,
)


def gql(client, query: str, variables: dict | None = None, **kw):
    r = client.post("/graphql", json={"query": query, "variables": variables}, **kw)
    assert r.status_code == 200, r.text
    return r.json()


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attr", "home", "name"),
    [
        ("git/commits", None, "git__commits"),
        ("system/current-state", None, "system__current_state"),
        ("system/healthy?", None, "system__healthy_QMARK_"),
        ("system/boot!", None, "system__boot_BANG_"),
        ("ouroboros.index/attributes", None, "ouroboros_DOT_index__attributes"),
        ("entity/relations-out", "entity", "relations_out"),
        ("entity/name", "person", "entity__name"),
        ("a.b-c/d-e?", None, "a_DOT_b_c__d_e_QMARK_"),
    ],
)
def test_names_are_reversible(attr: str, home: str | None, name: str) -> None:
    assert graphql_name(attr, home) == name
    assert attribute_name(name, home) == attr


@pytest.mark.parametrize("attr", ["plain", "a/b c", "a/é", "9/x", "a/"])
def test_unmappable_attributes_have_no_name(attr: str) -> None:
    assert graphql_name(attr) is None


def test_collisions_are_refused_when_the_schema_is_built() -> None:
    @resolver(output=["a/b-c", "a/b_c"])
    def clash(_):
        return {}

    with pytest.raises(NameCollisionError, match=r":a/b-c and :a/b_c both map to 'a__b_c'"):
        build_model(Engine([clash]))


# --- the schema ------------------------------------------------------------------------


def test_schema_reflects_the_index(client) -> None:
    sdl = client.app.state.graphql.schema.as_str()
    assert "person(name: String!): Person" in sdl
    assert "people__all(limit: JSON, params: JSON): [Person]" in sdl
    assert "people__count(params: JSON): Int" in sdl
    assert "greeting(style: JSON): String" in sdl
    assert "friends: [Person]" in sdl  # a join typed by what its items can reach
    assert "note_add(key: String!, text: String!, idempotencyKey: String): JSON" in sdl
    assert "system__healthy_QMARK_(params: JSON): Boolean" in sdl or "system__healthy_QMARK_" in sdl


def test_query_with_params_aliases_fragments_variables(client) -> None:
    body = gql(
        client,
        """
        query People($n: JSON, $who: String!, $loud: Boolean!) {
          total: people__count
          first: people__all(limit: $n) { name age }
          everyone: people__all { ...Who }
          p: person(name: $who) {
            age
            plain: greeting
            loud: greeting(style: "loud") @include(if: $loud)
            friends { ... on Person { name type } }
          }
          __typename
        }
        fragment Who on Person { name type }
        """,
        {"n": 1, "who": "Alice", "loud": True},
    )
    assert "errors" not in body
    data = body["data"]
    assert data["total"] == 3
    assert data["first"] == [{"name": "Alice", "age": 31}]
    assert [p["name"] for p in data["everyone"]] == ["Alice", "Bob", "Carol"]
    assert data["p"] == {
        "age": 31,
        "plain": "Hello, Alice",
        "loud": "HELLO, ALICE",
        "friends": [{"name": "Bob", "type": "person"}, {"name": "Carol", "type": "robot"}],
    }
    assert data["__typename"] == "Query"


def test_skip_and_two_idents(client) -> None:
    body = gql(
        client,
        'query($s: Boolean!) { a: person(name: "Alice") { age } b: person(name: "Bob") { age type @skip(if: $s) } }',
        {"s": True},
    )
    assert body["data"] == {"a": {"age": 31}, "b": {"age": 42}}


def test_catch_all_params(client) -> None:
    body = gql(client, "{ people__all(params: {limit: 2}) { name } }")
    assert body["data"]["people__all"] == [{"name": "Alice"}, {"name": "Bob"}]


def test_one_operation_is_one_eql_query(client, service, monkeypatch) -> None:
    calls = []
    real = service.engine.process_async

    async def counting(query, *a, **kw):
        calls.append(query)
        return await real(query, *a, **kw)

    monkeypatch.setattr(service.engine, "process_async", counting)
    gql(
        client,
        '{ people__count people__all { name } person(name: "Bob") { age friends { name } } }',
    )
    assert len(calls) == 1
    from ouroboros.eql import to_edn

    text = calls[0] if isinstance(calls[0], str) else to_edn(calls[0])
    assert '{[:person/name "Bob"] [:person/age {:person/friends [:person/name]}]}' in text


def test_compile_operation_directly(client) -> None:
    from graphql import parse

    view = client.app.state.graphql
    doc = parse('{ c: people__all(limit: 2) { name } person(name: "Al") { age } }')
    root = compile_operation(view.model, view.schema._schema, doc.definitions[0], {}, {})
    from ouroboros.eql import to_edn

    assert to_edn(root) == (
        '[{(:>/c {:ouroboros.graphql/alias "c"}) [{(:people/all {:limit 2}) [:person/name]}]} '
        '{[:person/name "Al"] [:person/age]}]'
    )


def test_resolver_errors_carry_the_error_shape_in_extensions(client) -> None:
    body = gql(client, "{ people__count people__broken }")
    assert (
        body["data"] == {"people__count": None, "people__broken": None}
        or body["data"]["people__broken"] is None
    )
    (error,) = body["errors"]
    assert error["extensions"]["type"] == "ResolverError"
    assert error["extensions"]["details"] == {"resolver": "people/broken"}
    assert "this resolver always fails" in error["message"]


def test_tools_are_mutations(client) -> None:
    body = gql(
        client,
        'mutation { a: note_add(key: "x", text: "y") b: note_add(key: "z", text: "w") people_count }',
    )
    assert body["data"] == {
        "a": {"stored": "x", "count": 1},
        "b": {"stored": "z", "count": 2},
        "people_count": {"count": 3},
    }


def test_limits(client, settings) -> None:
    deep = "name"
    for _ in range(settings.max_query_depth + 2):
        deep = f"friends {{ {deep} }}"
    body = client.post(
        "/graphql", json={"query": f'{{ person(name: "Alice") {{ {deep} }} }}'}
    ).json()
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]

    aliases = " ".join(f"a{i}: people__count" for i in range(80))
    body = client.post("/graphql", json={"query": f"{{ {aliases} }}"}).json()
    assert "aliases found" in body["errors"][0]["message"]

    tokens = " ".join("people__count" for _ in range(5000))
    body = client.post("/graphql", json={"query": f"{{ {tokens} }}"}).json()
    assert "token" in body["errors"][0]["message"].lower()


def test_get_queries(client) -> None:
    r = client.get("/graphql", params={"query": "{ people__count }"})
    assert r.json() == {"data": {"people__count": 3}}


def test_introspection(client) -> None:
    body = gql(client, '{ __type(name: "Person") { fields { name } } }')
    names = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert {"name", "age", "type", "friends", "greeting"} <= names


def test_graphql_response_media_type(client) -> None:
    accept = {"accept": "application/graphql-response+json"}
    ok = client.post("/graphql", json={"query": "{ people__count }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "application/graphql-response+json"
    assert ok.json() == {"data": {"people__count": 3}}
    bad = client.post("/graphql", json={"query": "{ people__count "}, headers=accept)
    assert bad.status_code == 400
    assert "data" not in bad.json() and bad.json()["errors"]
