"""Bad requests get the right status and the one error shape, and the server keeps serving."""

from __future__ import annotations

import pytest

EDN = {"content-type": "application/edn"}
SHAPE_KEYS = {"type", "message", "path", "details"}


def assert_error(r, status: int, kind: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= SHAPE_KEYS
    assert body["error"]["type"] == kind
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def still_serving(client) -> None:
    r = client.post("/eql", content="[:people/count]", headers=EDN)
    assert r.json() == {"people/count": 3}


@pytest.mark.parametrize(
    "text", ["[:a/b", "{:a", "[:a/b {:c}]", "[#{:a}]", '["unterminated]', ")", ""]
)
def test_malformed_edn(client, text: str) -> None:
    error = assert_error(client.post("/eql", content=text, headers=EDN), 400, "EQLSyntaxError")
    assert "line" in error["details"]
    still_serving(client)


@pytest.mark.parametrize(
    "body",
    ['{"query": ', "[1, 2", "not json", '{"query": "[:a/b]",}', "\x00\x01"],
)
def test_malformed_json(client, body: str) -> None:
    r = client.post("/eql", content=body, headers={"content-type": "application/json"})
    assert_error(r, 400, "InvalidInputError")
    still_serving(client)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"query": 5},
        {"query": "[:a/b]", "lenient": "maybe"},
        {"query": "[:a/b]", "extra": 1},
        [1],
        {"query": [{"a/b": 1, "c/d": 2}]},
    ],
)
def test_wrong_json_shapes(client, payload) -> None:
    r = client.post("/eql", json=payload)
    assert r.status_code == 400
    assert r.json()["error"]["type"] in {"InvalidInputError", "EQLError"}
    still_serving(client)


def test_entity_must_be_an_object(client) -> None:
    r = client.post("/eql", json={"query": "[:person/age]", "entity": [1, 2]})
    assert r.status_code == 400


@pytest.mark.parametrize(
    "ctype",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_wrong_content_types(client, ctype) -> None:
    headers = {"content-type": ctype} if ctype else {}
    r = client.post("/eql", content=b"[:people/count]", headers=headers)
    error = assert_error(r, 415, "UnsupportedMediaTypeError")
    assert error["details"]["accepted"] == ["application/edn", "application/json"]
    still_serving(client)


def test_not_utf8(client) -> None:
    assert_error(client.post("/eql", content=b"[:a/\xff]", headers=EDN), 400, "InvalidInputError")


def test_huge_declared_body_is_refused_before_reading(client, settings) -> None:
    big = b"[" + b":a/b " * (settings.max_body_bytes // 5 + 10) + b"]"
    error = assert_error(client.post("/eql", content=big, headers=EDN), 413, "PayloadTooLargeError")
    assert error["details"]["max_bytes"] == settings.max_body_bytes
    still_serving(client)


def test_huge_streamed_body_is_refused_while_streaming(client, settings) -> None:
    sent = []

    def chunks():
        for _ in range(64):
            sent.append(1)
            yield b":a/b " * 10_000  # 50 kB each, 3.2 MB in all

    r = client.post("/eql", content=chunks(), headers=EDN)  # chunked: no Content-Length
    assert_error(r, 413, "PayloadTooLargeError")
    still_serving(client)


def test_huge_bodies_on_graphql_and_mcp(client, settings) -> None:
    big = "{ " + "people__count " * (settings.max_body_bytes // 10) + "}"
    assert_error(client.post("/graphql", json={"query": big}), 413, "PayloadTooLargeError")
    assert_error(
        client.post("/mcp", content=big, headers={"content-type": "application/json"}),
        413,
        "PayloadTooLargeError",
    )
    still_serving(client)


def test_deep_and_large_queries(client, settings) -> None:
    deep = "[:c/d]"
    for _ in range(settings.max_query_depth + 2):
        deep = "[{:a/b " + deep + "}]"
    assert_error(client.post("/eql", content=deep, headers=EDN), 400, "QueryLimitError")
    wide = "[" + " ".join(f":a/x{i}" for i in range(settings.max_query_nodes + 5)) + "]"
    assert_error(client.post("/eql", content=wide, headers=EDN), 400, "QueryLimitError")
    still_serving(client)


def test_wrong_method_and_path(client) -> None:
    assert_error(client.get("/eql"), 405, "MethodNotAllowedError")
    assert_error(client.get("/nope"), 404, "NotFoundError")
    assert_error(client.put("/graphql"), 405, "MethodNotAllowedError")
    still_serving(client)


def test_graphql_bad_documents_keep_the_server_serving(client) -> None:
    r = client.post("/graphql", json={"query": "{ people__count "})
    assert r.status_code == 200 and r.json()["errors"]
    r = client.post("/graphql", json={"query": "{ no_such_field }"})
    assert r.json()["errors"][0]["message"].startswith("Cannot query field")
    r = client.post("/graphql", content="{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = client.get("/graphql", params={"query": 'mutation { note_add(key: "k", text: "t") }'})
    assert r.status_code in (400, 405)  # no mutations over GET
    still_serving(client)


# --- issue 9: inputs that used to answer 500 ------------------------------------------------

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("depth", [600, 100_000])
def test_deep_json_is_refused_before_json_loads(client, depth: int) -> None:
    body = '{"query": ' + "[" * depth + "]" * depth + "}"
    error = assert_error(client.post("/eql", content=body, headers=JSON), 400, "InvalidInputError")
    assert error["details"]["depth"] == depth + 1
    variables = '{"query": "{ people__count }", "variables": {"a": ' + "[" * depth + "]" * depth
    r = client.post("/graphql", content=variables + "}}", headers=JSON)
    assert_error(r, 400, "InvalidInputError")
    still_serving(client)


def test_deep_entity_is_refused(client) -> None:
    entity = '{"a/b":' * 300 + "1" + "}" * 300
    body = '{"query": ["people/count"], "entity": ' + entity + "}"
    error = assert_error(client.post("/eql", content=body, headers=JSON), 400, "EQLError")
    assert "nests deeper than 256" in error["message"]


def test_lone_surrogate_in_the_query_is_reported(client) -> None:
    r = client.post("/eql", content='{"query": "\\ud800"}', headers=JSON)
    error = assert_error(r, 400, "EQLSyntaxError")
    assert "\ud800" in error["message"]


def test_graphql_body_not_utf8(client) -> None:
    r = client.post("/graphql", content=b'{"query": "\xff{ people__count }"}', headers=JSON)
    assert "not UTF-8" in assert_error(r, 400, "InvalidInputError")["message"]
    r = client.post("/graphql", content=b'{"query": ', headers=JSON)
    assert_error(r, 400, "InvalidInputError")


def test_file_name_too_long(client) -> None:
    query = '[{[:file/path "' + "a" * 5000 + '"] [:file/content]}]'
    error = assert_error(client.post("/eql", content=query, headers=EDN), 400, "InvalidInputError")
    assert "too long" in error["message"]


def test_bad_glob_range(client) -> None:
    query = '[{[:search/pattern "[z-a]"] [:knowledge/search]}]'
    error = assert_error(client.post("/eql", content=query, headers=EDN), 400, "InvalidInputError")
    assert "bad character range z-a" in error["message"]


def test_two_operations_without_an_operation_name(client) -> None:
    document = "query A { people__count } query B { people__count }"
    accept = {"accept": "application/graphql-response+json"}
    r = client.post("/graphql", json={"query": document}, headers=accept)
    assert r.status_code == 400
    assert "operation name" in r.json()["errors"][0]["message"]
    named = client.post("/graphql", json={"query": document, "operationName": "B"})
    assert named.json() == {"data": {"people__count": 3}}


def test_unknown_attribute_suggests_the_closest(client) -> None:
    r = client.post("/eql", content="[:people/cont]", headers=EDN)
    error = assert_error(r, 400, "UnreachableError")
    assert "did you mean :people/count" in error["message"]
    assert "did you mean :people/count" in error["details"]["unreachable"]["people/cont"]
