"""Every EQL form parses to the node the EQL spec gives it (pathom-eql.md §1.2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ouroboros.eql import (
    OPTIONAL_PARAM,
    Call,
    EList,
    Ident,
    Join,
    Keyword,
    Prop,
    Root,
    Symbol,
    Tagged,
    Union,
    UnionEntry,
    parse,
    to_edn,
)

K = Keyword


def parsed(text: str | bytes) -> Root:
    """Parse, and check on the way that printing the AST and parsing it again gives it back."""
    root = parse(text)
    assert parse(to_edn(root)) == root
    return root


def prop(name: str, **params: object) -> Prop:
    return Prop(key=K(name), dispatch_key=K(name), params={K(k): v for k, v in params.items()})


def only(text: str) -> object:
    root = parsed(text)
    assert len(root.children) == 1
    return root.children[0]


def test_properties_simple_qualified_and_placeholder() -> None:
    root = parsed("[:a :user/name :a.b/c-d? :>/place]")
    assert root == Root(children=(prop("a"), prop("user/name"), prop("a.b/c-d?"), prop(">/place")))
    assert root.children[1].key == "user/name"
    assert type(root.children[1].key) is Keyword


def test_empty_query() -> None:
    assert parsed("[]") == Root(children=())


def test_join() -> None:
    node = only("[{:user/friends [:user/id {:user/pet [:pet/name]}]}]")
    assert isinstance(node, Join)
    assert node.key == node.dispatch_key == "user/friends"
    assert node.children == (
        prop("user/id"),
        Join(
            key=K("user/pet"),
            dispatch_key=K("user/pet"),
            query=[K("pet/name")],
            children=(prop("pet/name"),),
        ),
    )
    assert node.query == [K("user/id"), {K("user/pet"): [K("pet/name")]}]


def test_ident_and_ident_join() -> None:
    ident = only("[[:user/id 1]]")
    assert ident == Prop(key=Ident("user/id", 1), dispatch_key=K("user/id"))
    join = only('[{[:user/email "a@b.c"] [:user/name]}]')
    assert isinstance(join, Join)
    assert join.key == ("user/email", "a@b.c")
    assert join.dispatch_key == "user/email"
    assert join.children == (prop("user/name"),)


def test_ident_with_composite_value_is_hashable() -> None:
    node = only('[[:order/key [1 "a"]]]')
    assert node.key == Ident("order/key", (1, "a"))
    hash(node.key)


def test_params_on_prop_join_and_ident_in_both_forms() -> None:
    assert only("[(:a {:limit 10})]") == prop("a", limit=10)
    assert only("[(:a)]") == prop("a")
    wrapped = only("[({:a [:b]} {:p 1})]")
    keyed = only("[{(:a {:p 1}) [:b]}]")
    assert wrapped == keyed
    assert keyed.params == {K("p"): 1}
    assert isinstance(keyed, Join) and keyed.children == (prop("b"),)
    ident = only("[([:user/id 1] {:x true})]")
    assert ident == Prop(key=Ident("user/id", 1), dispatch_key=K("user/id"), params={K("x"): True})
    ident_join = only("[{([:user/id 1] {:x true}) [:a]}]")
    assert ident_join.key == Ident("user/id", 1) and ident_join.params == {K("x"): True}


def test_nested_param_lists_merge_outer_wins() -> None:
    assert only("[((:a {:p 1 :q 1}) {:q 2})]") == prop("a", p=1, q=2)


def test_union() -> None:
    node = only("[{:feed/items {:post/id [:post/title] :photo/id [:photo/url]}}]")
    assert isinstance(node, Join)
    (union,) = node.children
    assert isinstance(union, Union)
    assert union.children == (
        UnionEntry(union_key=K("post/id"), query=[K("post/title")], children=(prop("post/title"),)),
        UnionEntry(union_key=K("photo/id"), query=[K("photo/url")], children=(prop("photo/url"),)),
    )
    assert (
        node.query
        == union.query
        == {K("post/id"): [K("post/title")], K("photo/id"): [K("photo/url")]}
    )


def test_recursion_unbounded_and_bounded() -> None:
    node = only("[{:entry/folders ...}]")
    assert node == Join(
        key=K("entry/folders"), dispatch_key=K("entry/folders"), query=Symbol("..."), children=None
    )
    assert only("[{:entry/folders 3}]").query == 3
    assert only("[{:entry/folders 0}]").children is None


def test_mutations_and_mutation_joins() -> None:
    call = only('[(user/create! {:user/name "Ann"})]')
    assert call == Call(
        key=Symbol("user/create!"),
        dispatch_key=Symbol("user/create!"),
        params={K("user/name"): "Ann"},
    )
    assert only("[(app/ping)]") == Call(
        key=Symbol("app/ping"), dispatch_key=Symbol("app/ping"), params={}
    )
    mjoin = only("[{(user/create! {:n 1}) [:user/id]}]")
    assert isinstance(mjoin, Call)
    assert mjoin.params == {K("n"): 1}
    assert mjoin.children == (prop("user/id"),)
    assert mjoin.query == [K("user/id")]


def test_wildcard() -> None:
    assert only("[*]") == Prop(key=Symbol("*"), dispatch_key=Symbol("*"))


def test_optional_sugar() -> None:
    assert only("[(? :user/x)]") == Prop(
        key=K("user/x"), dispatch_key=K("user/x"), params={OPTIONAL_PARAM: True}
    )
    join = only("[(? {:user/x [:a]})]")
    assert isinstance(join, Join) and join.params == {OPTIONAL_PARAM: True}
    assert only("[(:user/x {:ouroboros/optional? true})]") == only("[(? :user/x)]")


def test_metadata_on_root_join_list_and_ident() -> None:
    root = parsed('^{:doc "q"} [^:flag {:a [:b]} ^{:m 1} (:c {:p 1}) ^:i [:user/id 1]]')
    assert root.meta == {K("doc"): "q"}
    join, params, ident = root.children
    assert join.meta == {K("flag"): True}
    assert params.meta == {K("m"): 1} and params.params == {K("p"): 1}
    assert ident.meta == {K("i"): True}


def test_metadata_layers_merge_outer_wins_and_subquery_meta_joins_the_join() -> None:
    root = parsed("^:a ^{:a false :b 1} []")
    assert root.meta == {K("a"): True, K("b"): 1}
    join = only("[^{:x 1} {:j ^{:y 2} [:k]}]")
    assert join.meta == {K("x"): 1, K("y"): 2}


def test_comments_commas_discard_and_whitespace() -> None:
    text = """
    ; a comment
    [:a, :b ; trailing
     #_ :dropped #_ #_ :x :y
     #_{:gone [:x]} :c,,,]
    """
    assert parsed(text) == Root(children=(prop("a"), prop("b"), prop("c")))


def test_values_in_params() -> None:
    node = only(
        r'[(:a {:s "q\"\\\n\t\r\u00e9" :i -42 :big 123456789012345678901234567890N :f 1.5 :e -2.5e-3'
        r" :m 1.25M :t true :n nil :kw :x/y :sym x/y :v [1 [2]] :l (1 2) :set #{:a :b}"
        r' :inst #inst "1985-04-12T23:20:50.52Z" :uuid #uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"'
        r" :tag #my/tag {:k 1} :ch \x :inf ##Inf})]"
    )
    p = {str(k): v for k, v in node.params.items()}
    assert p["s"] == 'q"\\\n\t\ré'
    assert p["i"] == -42 and p["big"] == 123456789012345678901234567890
    assert p["f"] == 1.5 and p["e"] == -2.5e-3
    assert p["m"] == Decimal("1.25")
    assert p["t"] is True and p["n"] is None
    assert p["kw"] == "x/y" and type(p["kw"]) is Keyword
    assert p["sym"] == "x/y" and type(p["sym"]) is Symbol
    assert p["v"] == [1, [2]]
    assert p["l"] == EList((1, 2))
    assert p["set"] == frozenset({K("a"), K("b")})
    assert p["inst"] == datetime(1985, 4, 12, 23, 20, 50, 520000, tzinfo=UTC)
    assert p["inst"].tzinfo is not None
    assert p["uuid"] == uuid.UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
    assert p["tag"] == Tagged("my/tag", {K("k"): 1})
    assert p["ch"] == "x"
    assert p["inf"] == float("inf")


def test_inst_without_offset_is_utc() -> None:
    node = only('[(:a {:t #inst "2024-02-03"})]')
    assert node.params[K("t")] == datetime(2024, 2, 3, tzinfo=UTC)


def test_bytes_input() -> None:
    assert parsed(b"[:a]") == parsed("[:a]")
    assert parsed("\ufeff[:a]".encode()) == parsed("[:a]")


@pytest.mark.parametrize("text", ["[:a]", "  [:a]  ", "[:a] ; done", "[:a] #_ :ignored"])
def test_surroundings_of_the_query_vector(text: str) -> None:
    assert parsed(text) == Root(children=(prop("a"),))


def test_wrapped_mutation_join_equals_the_keyed_form() -> None:
    wrapped = only("[({user/create! [:user/id]} {:n 1})]")
    assert isinstance(wrapped, Call)
    assert wrapped == only("[{(user/create! {:n 1}) [:user/id]}]")


def test_the_keyword_star_is_a_property_not_the_wildcard() -> None:
    node = only("[{(:* {:p 1}) [:a]}]")
    assert isinstance(node, Join) and type(node.key) is Keyword and node.key == "*"
    assert only("[:*]").key == Keyword("*") and type(only("[:*]").key) is Keyword
