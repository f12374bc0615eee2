"""Query data ↔ AST: `query_to_ast` and `ast_to_query`."""

from __future__ import annotations

import pytest

from ouroboros.eql import (
    OPTIONAL_PARAM,
    EList,
    Ident,
    Join,
    Keyword,
    Prop,
    Symbol,
    ast_to_query,
    parse,
    query_to_ast,
)
from ouroboros.errors import EQLError

K = Keyword


def test_plain_strings_are_keywords() -> None:
    assert query_to_ast(["user/id", ":user/name"]) == parse("[:user/id :user/name]")


def test_every_form_as_data() -> None:
    data = [
        K("a"),
        {K("b"): [K("c")]},
        Ident("user/id", 1),
        ("user/id", 2),
        {Ident("user/id", 3): [K("x")]},
        EList((K("p"), {K("limit"): 1})),
        EList(({K("j"): [K("z")]}, {K("q"): 2})),
        {K("u"): {K("a/id"): [K("a/x")], K("b/id"): [K("b/y")]}},
        {K("r"): Symbol("...")},
        {K("r"): 3},
        EList((Symbol("ns/op"), {K("x"): 1})),
        EList(({Symbol("ns/op2"): [K("ok")]}, {})),
        Symbol("*"),
        EList((Symbol("?"), K("opt"))),
    ]
    text = (
        "[:a {:b [:c]} [:user/id 1] [:user/id 2] {[:user/id 3] [:x]} (:p {:limit 1})"
        " {(:j {:q 2}) [:z]} {:u {:a/id [:a/x] :b/id [:b/y]}} {:r ...} {:r 3}"
        " (ns/op {:x 1}) {(ns/op2) [:ok]} * (? :opt)]"
    )
    assert query_to_ast(data) == parse(text)


def test_ast_to_query_is_canonical() -> None:
    ast = parse("[:a {(:j {:q 2}) [:z]} (? :o) (x/y) [:user/id 1]]")
    assert ast_to_query(ast) == [
        K("a"),
        EList(({K("j"): [K("z")]}, {K("q"): 2})),
        EList((K("o"), {OPTIONAL_PARAM: True})),
        EList((Symbol("x/y"), {})),
        Ident("user/id", 1),
    ]
    assert query_to_ast(ast_to_query(ast)) == ast


def test_ast_to_query_of_a_child_node() -> None:
    join = parse("[{:a [:b]}]").children[0]
    assert isinstance(join, Join)
    assert ast_to_query(join) == [{K("a"): [K("b")]}]
    assert ast_to_query(Prop(key=K("a"), dispatch_key=K("a"))) == [K("a")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("[:a]", "must be a list"),
        ({K("a"): [K("b")]}, "must be a list"),
        ([{K("a"): [], K("b"): []}], "exactly one entry"),
        ([{K("a"): K("b")}], "join's value"),
        ([{K("a"): -1}], "0 or more"),
        ([EList((K("a"), 1))], "params must be a map"),
        ([{K("u"): {1: [K("x")]}}], "union key must be a keyword"),
        ([("user/id", 1, 2)], "2 items"),
        ([""], "cannot be empty"),
        (["a/b/c"], "exactly one '/'"),
        ([3.5], "found a number"),
        ([Symbol("ns/op")], "bare symbol"),
    ],
)
def test_bad_query_data(data: object, message: str) -> None:
    with pytest.raises(EQLError, match=message):
        query_to_ast(data)


def test_error_says_where() -> None:
    with pytest.raises(EQLError) as info:
        query_to_ast([K("a"), {K("b"): [K("c"), 3]}])
    assert "query[1][:b][1]" in str(info.value)
    assert info.value.path == [1, K("b"), 1]
