"""merge_queries / merge_asts, focus_subquery, mask_query, query_depth, query_size."""

from __future__ import annotations

import pytest

from ouroboros.eql import (
    focus_subquery,
    mask_query,
    merge_asts,
    merge_queries,
    parse,
    query_depth,
    query_size,
    to_edn,
)
from ouroboros.errors import EQLError


def merged(a: str, b: str) -> str:
    out = merge_asts(parse(a), parse(b))
    assert out is not None
    return to_edn(out)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("[]", "[]", "[]"),
        ("[:a]", "[:b]", "[:a :b]"),
        ("[:a :b]", "[:b :a]", "[:a :b]"),
        ("[:a]", "[{:a [:b]}]", "[{:a [:b]}]"),
        ("[{:a [:b]}]", "[:a]", "[{:a [:b]}]"),
        ("[{:a [:b]}]", "[{:a [:c]}]", "[{:a [:b :c]}]"),
        ("[{:a [{:b [:x]}]}]", "[{:a [{:b [:y]} :z]}]", "[{:a [{:b [:x :y]} :z]}]"),
        ("[[:user/id 1]]", "[{[:user/id 1] [:x]}]", "[{[:user/id 1] [:x]}]"),
        ("[[:user/id 1]]", "[[:user/id 2]]", "[[:user/id 1] [:user/id 2]]"),
        (
            "[{:u {:a/id [:x]}}]",
            "[{:u {:a/id [:y] :b/id [:z]}}]",
            "[{:u {:a/id [:x :y], :b/id [:z]}}]",
        ),
        ("[(:a {:p 1})]", "[{(:a {:p 1}) [:b]}]", "[{(:a {:p 1}) [:b]}]"),
        ("[{:r ...}]", "[{:r 3}]", "[{:r ...}]"),
        ("[{:r 2}]", "[{:r 5}]", "[{:r 5}]"),
        ("[*]", "[* :a]", "[* :a]"),
        ("^{:m 1} [:a]", "^{:n 2} [:b]", "^{:m 1, :n 2} [:a :b]"),
        ("[:a]", "[{:a [:x :x]}]", "[{:a [:x]}]"),
        ("[{:a [:x :x {:y [:z :z]}]}]", "[]", "[{:a [:x {:y [:z]}]}]"),
    ],
)
def test_merge(a: str, b: str, expected: str) -> None:
    assert merged(a, b) == expected
    assert parse(to_edn(merge_asts(parse(a), parse(b)))) == merge_asts(parse(a), parse(b))


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ("[{:r ...}]", "[{:r [:x]}]", "recursive join"),
        ("[{:u {:a/id [:x]}}]", "[{:u [:x]}]", "union join with a plain join"),
    ],
)
def test_merge_refuses(a: str, b: str, message: str) -> None:
    with pytest.raises(EQLError, match=message):
        merge_asts(parse(a), parse(b))


# The eql library's test-merge-queries and merge-asts-as-reduce-function, case by case.
@pytest.mark.parametrize(
    ("queries", "expected"),
    [
        ((None, None), []),
        ((["a"], None), ["a"]),
        (([], []), []),
        ((["a"], []), ["a"]),
        ((["a"], ["a"]), ["a"]),
        ((["a"], ["b"]), ["a", "b"]),
        ((["a"], ["b", "c", "d"]), ["a", "b", "c", "d"]),
        (("[[:u/id 1]]", "[[:u/id 2]]"), "[[:u/id 1] [:u/id 2]]"),
        (("[{:user [:name]}]", "[{:user [:email]}]"), "[{:user [:name :email]}]"),
        (("[:a]", "[{:a [:x]}]"), "[{:a [:x]}]"),
        (("[{:a [:x]}]", "[:a]"), "[{:a [:x]}]"),
        ((["a"], ["b"], ["c", "d"]), ["a", "b", "c", "d"]),
        (
            ("[{:user [:name]}]", "[{:user [:email]}]", "[{:user [:photo]}]"),
            "[{:user [:name :email :photo]}]",
        ),
        ((["a"], None, ["c"], None, ["e"], None), ["a", "c", "e"]),
        ((), []),
        ((["a"],), ["a"]),
    ],
)
def test_merge_queries_eql_cases(queries: tuple[object, ...], expected: object) -> None:
    out = merge_queries(*queries)  # type: ignore[arg-type]
    assert out is not None
    if isinstance(expected, str):
        assert to_edn(out) == expected
    else:
        assert out == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # "don't merge queries with different params" (a join, then a prop)
        ('[({:user [:name]} {:login "u1"})]', '[({:user [:email]} {:login "u2"})]'),
        ('[(:user {:login "u1"})]', '[(:user {:login "u2"})]'),
        ("[(:a {:p 1})]", "[(:a {:q 2})]"),
        ("[(:a {:p 1})]", "[{:a [:b]}]"),
        ("[{:a [(:x {:p 1})]}]", "[{:a [(:x {:p 2})]}]"),
        # "calls can't be merged when same name occurs", "even when parameters are the same"
        ('[(hello {:login "u1"})]', '[(hello {:bla "2"})]'),
        ('[(hello {:login "u1"})]', '[(hello {:login "u1"})]'),
        ("[{(x/y) [:a]}]", "[{(x/y) [:b]}]"),
    ],
)
def test_merge_queries_refuses_conflicts_with_none(a: str, b: str) -> None:
    assert merge_queries(a, b) is None
    assert merge_asts(parse(a), parse(b)) is None
    assert merge_queries(a, b, "[:z]") is None  # a conflict anywhere makes the whole merge None


def test_merge_queries_eql_merge_when_params_are_same() -> None:
    a, b = '[({:user [:name]} {:login "u1"})]', '[({:user [:email]} {:login "u1"})]'
    out = merge_queries(a, b)
    assert out is not None
    assert to_edn(out) == '[({:user [:name :email]} {:login "u1"})]'  # eql's expected form


def test_merge_asts_eql_as_reduce_function() -> None:
    from functools import reduce

    assert merge_asts() == parse("[]")
    assert merge_asts(parse("[:a]")) == parse("[:a]")
    assert reduce(merge_asts, [parse("[:a]"), parse("[:b]")]) == parse("[:a :b]")
    assert merge_asts(parse("[:a]"), parse("[:b]"), parse("[:c]")) == parse("[:a :b :c]")
    assert merge_asts(None, parse("[:a]"), None) == parse("[:a]")


def test_merge_queries_takes_text_data_or_ast_and_returns_data() -> None:
    out = merge_queries("[:a {:b [:c]}]", ["a", {"b": ["d"]}])
    assert out == merge_queries(parse("[:a {:b [:c]}]"), parse("[:a {:b [:d]}]"))
    assert to_edn(out) == "[:a {:b [:c :d]}]"


@pytest.mark.parametrize(
    ("query", "sub", "expected"),
    [
        ("[:a :b :c]", "[:c :a]", "[:c :a]"),
        ("[:a {:b [:c :d]}]", "[:b]", "[{:b [:c :d]}]"),
        ("[:a {:b [:c :d]}]", "[{:b [:d]}]", "[{:b [:d]}]"),
        ("[:a {:b [:c {:d [:e :f]}]}]", "[{:b [{:d [:f]}]}]", "[{:b [{:d [:f]}]}]"),
        (
            "[(:a {:p 1}) {(:b {:q 2}) [:c :d]}]",
            "[:a {:b [:c]}]",
            "[(:a {:p 1}) {(:b {:q 2}) [:c]}]",
        ),
        ("[:a]", "[:zzz]", "[]"),
        ("[{:r ...}]", "[{:r [:x]}]", "[{:r ...}]"),
        (
            "[{:u {:a/id [:x :y] :b/id [:z :w]}}]",
            "[{:u {:a/id [:x]}}]",
            "[{:u {:a/id [:x], :b/id [:z :w]}}]",
        ),
    ],
)
def test_focus_subquery(query: str, sub: str, expected: str) -> None:
    assert to_edn(focus_subquery(parse(query), parse(sub))) == expected


@pytest.mark.parametrize(
    ("source", "mask", "expected"),
    [
        ("[:a :b :c]", "[:c :a]", "[:a :c]"),
        ("[(:a {:p 1}) :b]", "[:a]", "[(:a {:p 1})]"),
        ("[{:b [:c :d]}]", "[:b]", "[{:b [:c :d]}]"),
        ("[{:b [:c :d {:e [:f :g]}]}]", "[{:b [:d {:e [:g]}]}]", "[{:b [:d {:e [:g]}]}]"),
        ("[{:u {:a/id [:x :y] :b/id [:z]}}]", "[{:u {:a/id [:y]}}]", "[{:u {:a/id [:y]}}]"),
        (
            "[{:u {:a/id [:x :y] :b/id [:z :w]}}]",
            "[{:u [:x :w]}]",
            "[{:u {:a/id [:x], :b/id [:w]}}]",
        ),
        ("[[:user/id 1] [:user/id 2]]", "[[:user/id 2]]", "[[:user/id 2]]"),
        ("[:a {:u {:a/id [:x]}}]", "[:a {:u {:b/id [:y]}}]", "[:a]"),
    ],
)
def test_mask_query(source: str, mask: str, expected: str) -> None:
    assert to_edn(mask_query(source, mask)) == expected


@pytest.mark.parametrize(
    ("query", "depth", "size"),
    [
        ("[]", 1, 0),
        ("[:a :b]", 1, 2),
        ("[{:a [:b]}]", 2, 2),
        ("[{:a [{:b [{:c [:d]}]}]}]", 4, 4),
        ("[{:r ...} :x]", 2, 2),
        ("[{:u {:a/id [:x] :b/id [{:y [:z]}]}}]", 3, 7),
        ("[(x/y {:a 1}) {(x/z) [:k]}]", 2, 3),
    ],
)
def test_depth_and_size(query: str, depth: int, size: int) -> None:
    root = parse(query)
    assert query_depth(root) == depth
    assert query_size(root) == size
