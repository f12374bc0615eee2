"""POST /eql: EDN and JSON in, JSON and EDN out, strict and lenient, mutations and scopes."""

from __future__ import annotations

EDN = {"content-type": "application/edn"}


def test_edn_in_json_out(client) -> None:
    r = client.post(
        "/eql",
        content='[:people/count {[:person/name "Alice"] [:person/age {:person/friends [:person/name :person/type]}]}]',
        headers=EDN,
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {
        "people/count": 3,
        '[:person/name "Alice"]': {
            "person/age": 31,
            "person/friends": [
                {"person/name": "Bob", "person/type": "person"},
                {"person/name": "Carol", "person/type": "robot"},
            ],
        },
    }


def test_json_in_with_edn_text_and_entity(client) -> None:
    r = client.post(
        "/eql",
        json={
            "query": '[:person/age (:person/greeting {:style "loud"})]',
            "entity": {"person/name": "Bob"},
        },
    )
    assert r.status_code == 200
    assert r.json() == {"person/age": 42, "person/greeting": "HELLO, BOB"}


def test_json_query_data(client) -> None:
    r = client.post(
        "/eql",
        json={
            "query": [
                "people/count",
                {'[:person/name "Carol"]': ["person/type"]},
                ["person/name", "Bob"],
            ]
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["people/count"] == 3
    assert body['[:person/name "Carol"]'] == {"person/type": "robot"}


def test_edn_out(client) -> None:
    r = client.post(
        "/eql",
        content='[{[:person/name "Bob"] [:person/age]}]',
        headers={**EDN, "accept": "application/edn"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/edn")
    assert r.text == '{[:person/name "Bob"] {:person/age 42}}'


def test_strict_by_default_lenient_on_request(client) -> None:
    strict = client.post("/eql", json={"query": "[:people/count :nope/missing]"})
    assert strict.status_code == 400
    assert strict.json()["error"]["type"] == "UnreachableError"
    assert "nope/missing" in strict.json()["error"]["details"]["unreachable"]

    lenient = client.post("/eql", json={"query": "[:people/count :nope/missing]", "lenient": True})
    assert lenient.status_code == 200
    body = lenient.json()
    assert body["people/count"] == 3
    assert body["ouroboros/errors"]["nope/missing"]["cause"] == "attribute-unreachable"

    via_query = client.post(
        "/eql?lenient=true", content="[:people/count :people/broken]", headers=EDN
    )
    assert via_query.status_code == 200
    assert via_query.json()["ouroboros/errors"]["people/broken"]["cause"] == "node-exception"


def test_resolver_error_is_500_with_the_error_shape(client) -> None:
    r = client.post("/eql", content="[:people/broken]", headers=EDN)
    assert r.status_code == 500
    error = r.json()["error"]
    assert error["type"] == "ResolverError"
    assert error["details"]["resolver"] == "people/broken"
    assert set(error) <= {"type", "message", "path", "details"}


def test_mutation_runs_with_write_scope_when_allowed(client) -> None:
    r = client.post("/eql", content='[(notes/add! {:key "k" :text "t"})]', headers=EDN)
    assert r.status_code == 200, r.text
    assert r.json() == {"notes/add!": {"notes/count": 1}}


def test_mutations_off_unless_allowed(settings, make_service, client_for) -> None:
    service = make_service(settings.with_(allow_mutations=False))
    with client_for(service) as c:
        r = c.post("/eql", content='[(notes/add! {:key "k" :text "t"})]', headers=EDN)
        assert r.status_code == 403
        assert r.json()["error"]["type"] == "PermissionDeniedError"
        assert c.post("/eql", content="[:people/count]", headers=EDN).status_code == 200


def test_real_resolvers_reachable(client) -> None:
    r = client.post(
        "/eql",
        content='[:system/healthy? {[:file/path "hello.txt"] [:file/size]}]',
        headers=EDN,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["system/healthy?"] is True
    assert body['[:file/path "hello.txt"]']["file/size"] == 12
