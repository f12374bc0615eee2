"""The JSON wire form: results, entities, queries and the AST as JSON."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ouroboros.eql import (
    EList,
    Ident,
    Keyword,
    Symbol,
    Tagged,
    ast_to_json,
    entity_from_json,
    parse,
    query_from_json,
    result_from_json,
    result_to_json,
)
from ouroboros.errors import EQLError, EQLSyntaxError

K = Keyword


def test_result_to_json_keys_and_values() -> None:
    result = {
        K("user/name"): "Ann",
        K("user/tags"): frozenset({K("admin")}),
        Ident("user/id", 2): {K("user/name"): "Bob", K("user/roles"): (K("a"), Symbol("b"))},
        Symbol("user/create!"): {K("user/id"): 3},
        K("when"): datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        K("id"): uuid.UUID(int=7),
        K("price"): Decimal("1.50"),
        K("tagged"): Tagged("my/point", [1, 2]),
        K("list"): EList((1, 2)),
        K("inf"): float("inf"),
        "plain": None,
    }
    out = result_to_json(result)
    assert out == {
        "user/name": "Ann",
        "user/tags": ["admin"],
        "[:user/id 2]": {"user/name": "Bob", "user/roles": ["a", "b"]},
        "user/create!": {"user/id": 3},
        "when": "2024-01-02T03:04:05+00:00",
        "id": "00000000-0000-0000-0000-000000000007",
        "price": "1.50",
        "tagged": [1, 2],
        "list": [1, 2],
        "inf": "Infinity",
        "plain": None,
    }
    json.dumps(out, allow_nan=False)  # strictly valid JSON
    assert all(type(k) is str for k in out)
    assert type(out["user/tags"][0]) is str


def test_plain_tuple_ident_key_prints_as_ident() -> None:
    assert result_to_json({("user/id", 1): 1}) == {"[:user/id 1]": 1}
    assert result_to_json({("user/email", "a@b"): 1}) == {'[:user/email "a@b"]': 1}


def test_result_from_json() -> None:
    data = {
        "user/name": "Ann",
        "[:user/id 2]": {"user/name": "Bob"},
        '[:user/email "x@y"]': [{"a": 1}],
        ":colon/name": 1,
        "not a keyword": 2,
        "[not an ident": 3,
    }
    back = result_from_json(data)
    assert back == {
        K("user/name"): "Ann",
        Ident("user/id", 2): {K("user/name"): "Bob"},
        Ident("user/email", "x@y"): [{K("a"): 1}],
        K("colon/name"): 1,
        "not a keyword": 2,
        "[not an ident": 3,
    }
    keys = list(back)
    assert type(keys[0]) is Keyword and type(keys[1]) is Ident
    assert type(keys[4]) is str
    assert back[("user/id", 2)]["user/name"] == "Bob"


def test_result_round_trip() -> None:
    result = {
        K("a/b"): [1, 2.5, "x", None, True, {K("c"): []}],
        Ident("user/id", 1): {K("user/friends"): [{K("user/id"): 2}]},
        Ident("order/key", "A-1"): {},
    }
    assert result_from_json(json.loads(json.dumps(result_to_json(result)))) == result


def test_values_json_has_no_type_for_travel_as_text() -> None:
    from pathlib import PurePosixPath

    out = result_to_json(
        {K("a"): PurePosixPath("/x/y"), K("b"): b"caf\xc3\xa9\xff", K("c"): {3, 1, 2}}
    )
    assert out == {"a": "/x/y", "b": "café\ufffd", "c": [1, 2, 3]}
    assert json.loads(json.dumps(out)) == out


def test_entity_from_json() -> None:
    assert entity_from_json({"user/id": 1, "[:user/id 1]": {"x": 1}}) == {
        K("user/id"): 1,
        Ident("user/id", 1): {K("x"): 1},
    }
    with pytest.raises(EQLError, match="must be a JSON object"):
        entity_from_json([1])
    with pytest.raises(EQLError, match="attribute name"):
        entity_from_json({"has space": 1})


def test_query_from_json_text() -> None:
    assert query_from_json("[:a {:b [:c]}]") == parse("[:a {:b [:c]}]")
    with pytest.raises(EQLSyntaxError):
        query_from_json("[:a")


def test_query_from_json_data() -> None:
    data = [
        "user/id",
        ":user/name",
        "*",
        ["user/id", 1],
        {"user/friends": ["user/id", {"user/pet": ["pet/name"]}]},
        {"[:user/id 2]": ["user/name"]},
        {"feed/items": {"post/id": ["post/title"], "photo/id": ["photo/url"]}},
        {"folder/children": "..."},
        {"folder/parents": 3},
        {"key": "user/posts", "params": {"limit": 10, "filter": {"tag": "x"}}},
        {"key": "user/likes", "params": {"first": 5}, "query": ["post/id"]},
        {"mutation": "user/create!", "params": {"user/name": "Ann"}},
        {"mutation": "user/touch!", "query": ["user/id"]},
    ]
    text = (
        "[:user/id :user/name * [:user/id 1] {:user/friends [:user/id {:user/pet [:pet/name]}]}"
        " {[:user/id 2] [:user/name]} {:feed/items {:post/id [:post/title] :photo/id [:photo/url]}}"
        " {:folder/children ...} {:folder/parents 3}"
        ' (:user/posts {:limit 10 :filter {:tag "x"}}) {(:user/likes {:first 5}) [:post/id]}'
        ' (user/create! {:user/name "Ann"}) {(user/touch!) [:user/id]}]'
    )
    assert query_from_json(data) == parse(text)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (12, "EDN text or a JSON array"),
        ([{"a": [], "b": []}], "exactly one entry"),
        ([["user/id", 1, 2]], "2-item array"),
        ([{"key": "a", "params": 3}], "params must be a JSON object"),
    ],
)
def test_bad_json_queries(value: object, message: str) -> None:
    with pytest.raises(EQLError, match=message):
        query_from_json(value)


def test_ast_to_json() -> None:
    root = parse(
        "^{:doc 1} [:a {(:b {:p 1}) [:c]} [:user/id 1] (x/y! {:z #{1}}) {:u {:t/id [:t/x]}} {:r ...}]"
    )
    out = ast_to_json(root)
    json.dumps(out)
    assert out["type"] == "root" and out["meta"] == {":doc": 1}
    a, b, ident, call, union, rec = out["children"]
    assert a == {"type": "prop", "key": ":a", "dispatch_key": ":a", "params": {}}
    assert b["type"] == "join" and b["params"] == {":p": 1} and b["query"] == [":c"]
    assert b["children"][0]["key"] == ":c"
    assert ident["key"] == [":user/id", 1] and ident["dispatch_key"] == ":user/id"
    assert call == {"type": "call", "key": "x/y!", "dispatch_key": "x/y!", "params": {":z": [1]}}
    assert union["children"][0]["type"] == "union"
    assert union["children"][0]["children"][0]["union_key"] == ":t/id"
    assert rec["query"] == "..." and "children" not in rec


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_json_data_is_refused_without_recursion(depth: int) -> None:
    value: object = 1
    for _ in range(depth):
        value = {"x": value}
    with pytest.raises(EQLError, match="the entity nests deeper than 256"):
        entity_from_json({"a/b": value})
    with pytest.raises(EQLError, match="the query nests deeper than 256"):
        query_from_json([{"key": "a/b", "params": {"p": value}}])
    joins: list = ["a/b"]
    for _ in range(depth):
        joins = [{"a/b": joins}]
    with pytest.raises(EQLError, match="nests deeper than 256"):
        query_from_json(joins)
    with pytest.raises(EQLError, match="nests"):
        result_to_json({"a/b": value})
