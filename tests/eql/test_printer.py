"""`to_edn` prints AST nodes and values so that `parse(to_edn(ast)) == ast`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ouroboros.eql import EList, Ident, Keyword, Symbol, Tagged, parse, to_edn
from ouroboros.errors import EQLError

FIXTURES = Path(__file__).parent.parent / "fixtures"

QUERIES = [
    "[]",
    "[:a :b/c :>/x]",
    "[{:a [:b {:c [:d]}]}]",
    '[[:user/id 1] {[:user/id 2] [:x]} [:k "s"] [:k [1 2]]]',
    '[(:a {:p 1}) {(:j {:q "s"}) [:z]} ([:user/id 1] {:x true})]',
    "[{:u {:a/id [:a/x] :b/id [:b/y {:c [:d]}]}}]",
    "[{:r ...} {:r 0} {:r 7}]",
    "[(ns/op! {:x 1}) (app/ping) {(ns/op2 {:y [1 2]}) [:ok]} {ns/op3 [:x]}]",
    "[* :a]",
    "[(? :opt) (? {:oj [:a]}) (? (:p {:x 1}))]",
    "^{:m 1} [^:flag {:j [:x]} ^{:a 1} (:b) ^{:c 1} * ^{:i 1} [:id 1] ^{:x 1} (op/x {})]",
    '[(:a {:t #inst "2020-01-01T10:00:00.123456+02:00" :u #uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"})]',
    '[(:a {:s #{1 2 "x" :k} :l (1 (2)) :m 1.5M :e 1e300 :f -0.0 :n nil :b false :t #x/y [1]})]',
    r'[(:a {:s "tab\there \"q\" back\\slash \u0001 é 😀"})]',
]


@pytest.mark.parametrize("text", QUERIES)
def test_round_trip(text: str) -> None:
    ast = parse(text)
    assert parse(to_edn(ast)) == ast


def test_kitchen_sink_round_trip() -> None:
    text = (FIXTURES / "kitchen-sink.eql").read_text(encoding="utf-8")
    ast = parse(text)
    printed = to_edn(ast)
    assert parse(printed) == ast
    assert to_edn(parse(printed)) == printed


def test_prints_canonical_text() -> None:
    text = "[:a {:b [:c]} (:d {:p 1}) {(:e {:q 2}) [:f]} [:user/id 1] (x/y {:z true}) * {:r ...}]"
    assert to_edn(parse(text)) == text


def test_values() -> None:
    assert to_edn(None) == "nil"
    assert to_edn(True) == "true"
    assert to_edn(12) == "12"
    assert to_edn(1.5) == "1.5"
    assert to_edn(float("-inf")) == "##-Inf"
    assert to_edn(Decimal("2.50")) == "2.50M"
    assert to_edn('a"b') == '"a\\"b"'
    assert to_edn(Keyword("user/name")) == ":user/name"
    assert to_edn(Symbol("ns/op")) == "ns/op"
    assert to_edn(Ident("user/id", 1)) == "[:user/id 1]"
    assert to_edn(EList((1, 2))) == "(1 2)"
    assert to_edn((1, 2)) == "[1 2]"
    assert to_edn(frozenset({3, 1, 2})) == "#{1 2 3}"
    assert to_edn({Keyword("a"): [1, {"s": None}]}) == '{:a [1 {"s" nil}]}'
    assert to_edn(uuid.UUID(int=1)) == '#uuid "00000000-0000-0000-0000-000000000001"'
    assert to_edn(datetime(2020, 1, 2, tzinfo=UTC)) == '#inst "2020-01-02T00:00:00+00:00"'
    assert to_edn(Tagged("my/tag", [1])) == "#my/tag [1]"


def test_result_map_with_ident_keys() -> None:
    result = {Ident("user/id", 1): {Keyword("user/name"): "Ann"}, Symbol("ns/op"): {"ok": True}}
    assert to_edn(result) == '{[:user/id 1] {:user/name "Ann"}, ns/op {"ok" true}}'


@pytest.mark.parametrize(
    "value",
    [
        Keyword("has space"),
        Keyword("a/b/c"),
        Symbol("1abc"),
        Symbol("nil"),
        object(),
        Decimal("NaN"),
    ],
)
def test_unprintable_values_raise_eql_error(value: object) -> None:
    with pytest.raises(EQLError):
        to_edn(value)
