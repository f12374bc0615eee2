"""Property-based tests: random EQL ASTs survive print → parse; random input only ever raises
EQLSyntaxError; conversion and wire round trips hold."""

from __future__ import annotations

import json
import string
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    ast_to_query,
    merge_asts,
    parse,
    query_depth,
    query_size,
    query_to_ast,
    result_from_json,
    result_to_json,
    to_edn,
)
from ouroboros.eql.convert import query_expr
from ouroboros.errors import EQLError, EQLSyntaxError
from tests.profiles import examples

pytestmark = [
    pytest.mark.timeout(300),
    # A failing example's report reprs these big recursive strategies; keep the report readable.
    pytest.mark.filterwarnings(
        "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
    ),
]


# No deadline: a loaded machine must not fail a test by its speed (speed lives in bench/).
SETTINGS = settings(
    max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Random whole queries cost up to ~1 s an example to generate (nested params, metas and sets of
# hashable values), so the "ci" profile checks 50 fixed ones; `make fuzz` explores 1,000.
AST_SETTINGS = settings(
    max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- names ---------------------------------------------------------------------------------

_FIRST = string.ascii_letters + "*!_?<>=$%&"
_REST = string.ascii_letters + string.digits + "*!_?<>=$%&-+.#:'"
_segment = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_FIRST),
    st.text(alphabet=_REST, max_size=6),
)
_namespace = st.one_of(_segment, st.just(">"), st.builds("{}.{}".format, _segment, _segment))
_name = st.one_of(_segment, st.builds("{}/{}".format, _namespace, _segment))

keywords = st.builds(Keyword, _name)
symbols = st.builds(Symbol, _name).filter(lambda s: s not in ("true", "false", "nil", "?", "*"))

# --- values --------------------------------------------------------------------------------

_zones = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-14 * 60, 14 * 60))
_instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_zones
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.text(),
    keywords,
    symbols,
    _instants,
    st.uuids(),
)
# Tag names like r"[a-z][a-z0-9.\-]{0,6}(/[a-z][a-z0-9]{0,5})?", built from parts (st.from_regex
# is several times slower to draw from).
_lower = string.ascii_lowercase
_tag_ns = st.builds(
    "{}{}".format,
    st.sampled_from(_lower),
    st.text(alphabet=_lower + string.digits + ".-", max_size=6),
)
_tag_name = st.builds(
    "{}{}".format, st.sampled_from(_lower), st.text(alphabet=_lower + string.digits, max_size=5)
)
_tags = st.one_of(_tag_ns, st.builds("{}/{}".format, _tag_ns, _tag_name)).filter(
    lambda t: t not in ("inst", "uuid")
)


def _hashable(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3).map(tuple),
        st.lists(children, max_size=3).map(EList),
        st.frozensets(children, max_size=3),
        st.builds(Tagged, _tags, children),
    )


hashable_values = st.deferred(lambda: st.recursive(_scalars, _hashable, max_leaves=8))


def _values(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(EList),
        st.dictionaries(hashable_values, children, max_size=3),
        st.frozensets(hashable_values, max_size=3),
        st.builds(Tagged, _tags, children),
    )


values = st.deferred(lambda: st.recursive(_scalars, _values, max_leaves=10))
# Params and metadata inside random ASTs hold smaller values: every value shape is covered by
# the value tests below at full size, and nesting full-size values in every node of a 25-leaf
# tree made each AST cost ~1,600 draws (a third of a second).
_node_values = st.deferred(lambda: st.recursive(_scalars, _values, max_leaves=3))
params = st.one_of(
    st.just({}),
    st.dictionaries(keywords, _node_values, min_size=1, max_size=3),
    st.just({OPTIONAL_PARAM: True}),
)
metas = st.one_of(st.none(), st.dictionaries(keywords, _node_values, min_size=1, max_size=2))
idents = st.builds(
    Ident, keywords, st.deferred(lambda: st.recursive(_scalars, _hashable, max_leaves=3))
)

# --- nodes (built the way the parser builds them: query mirrors children) ------------------


def _prop(key: Any, node_params: dict[Any, Any], meta: Any) -> Prop:
    dispatch = key.attr if isinstance(key, Ident) else key
    return Prop(key=key, dispatch_key=dispatch, params=node_params, meta=meta)


def _join(key: Any, sub: Any, node_params: dict[Any, Any], meta: Any) -> Join:
    dispatch = key.attr if isinstance(key, Ident) else key
    if isinstance(sub, Union):
        return Join(
            key=key,
            dispatch_key=dispatch,
            query=sub.query,
            children=(sub,),
            params=node_params,
            meta=meta,
        )
    if isinstance(sub, tuple):
        query = [query_expr(child) for child in sub]
        return Join(
            key=key, dispatch_key=dispatch, query=query, children=sub, params=node_params, meta=meta
        )
    return Join(
        key=key, dispatch_key=dispatch, query=sub, children=None, params=node_params, meta=meta
    )


def _union(branches: dict[Keyword, tuple[Any, ...]]) -> Union:
    entries = tuple(
        UnionEntry(union_key=k, query=[query_expr(c) for c in v], children=v)
        for k, v in branches.items()
    )
    return Union(query={e.union_key: e.query for e in entries}, children=entries)


def _call(name: Symbol, node_params: dict[Any, Any], sub: Any, meta: Any) -> Call:
    if sub is None:
        return Call(key=name, dispatch_key=name, params=node_params, meta=meta)
    query = [query_expr(child) for child in sub]
    return Call(
        key=name, dispatch_key=name, params=node_params, query=query, children=sub, meta=meta
    )


_leaves = st.one_of(
    st.builds(_prop, keywords, params, metas),
    st.builds(_prop, idents, params, metas),
    st.builds(lambda meta: Prop(key=Symbol("*"), dispatch_key=Symbol("*"), meta=meta), metas),
    st.builds(_join, st.one_of(keywords, idents), st.just(Symbol("...")), params, metas),
    st.builds(_join, keywords, st.integers(0, 10**6), params, metas),
    st.builds(_call, symbols, params, st.none(), metas),
)


def _branches(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    vectors = st.lists(children, max_size=4).map(tuple)
    return st.one_of(
        st.builds(_join, st.one_of(keywords, idents), vectors, params, metas),
        st.builds(
            _join,
            keywords,
            st.dictionaries(keywords, vectors, min_size=1, max_size=3).map(_union),
            params,
            metas,
        ),
        st.builds(_call, symbols, params, vectors, metas),
    )


nodes = st.deferred(lambda: st.recursive(_leaves, _branches, max_leaves=12))
roots = st.deferred(
    lambda: st.builds(
        lambda children, meta: Root(children=tuple(children), meta=meta),
        st.lists(nodes, max_size=5),
        metas,
    )
)


# --- print → parse -------------------------------------------------------------------------


@AST_SETTINGS
@given(roots)
def test_random_asts_survive_print_and_parse(root: Root) -> None:
    text = to_edn(root)
    assert parse(text) == root
    assert to_edn(parse(text)) == text


@AST_SETTINGS
@given(roots)
def test_random_asts_survive_query_data_round_trip(root: Root) -> None:
    data = ast_to_query(root)
    back = query_to_ast(data)
    assert ast_to_query(back) == data
    assert parse(to_edn(data)) == back


@AST_SETTINGS
@given(roots, roots)
def test_merge_keeps_every_key_and_is_idempotent(a: Root, b: Root) -> None:
    try:
        merged = merge_asts(a, b)
    except EQLError:
        return  # shapes that cannot merge (a recursive join with a plain one, ...) are refused
    if merged is None or "(" in to_edn(merged):
        return  # params or mutations: one key with other params, or a mutation twice, is refused
    keys = {_key(child) for child in merged.children}
    assert keys == {_key(child) for child in (*a.children, *b.children)}
    assert len(keys) == len(merged.children)
    assert merge_asts(merged, merged) == merged
    assert parse(to_edn(merged)) == merged
    assert query_depth(merged) >= max(query_depth(a), query_depth(b))
    assert query_size(merged) <= query_size(a) + query_size(b)


def _key(node: Any) -> tuple[str, str]:
    return (type(node).__name__ == "Call", to_edn(node.key))


@SETTINGS
@given(values)
def test_random_values_survive_print_and_parse(value: Any) -> None:
    root = parse(to_edn([EList((Keyword("k"), {Keyword("v"): value}))]))
    assert root.children[0].params[Keyword("v")] == value


# --- never anything but EQLSyntaxError -----------------------------------------------------

_edn_chars = "[]{}()#_^:;,\"\\ \n\tab/1.-+*?e'@~`!NM"


def _parse_or_syntax_error(text: str | bytes) -> None:
    try:
        parse(text)
    except EQLSyntaxError as exc:
        assert exc.line >= 1 and exc.column >= 1
        assert exc.context.count("\n") == 1 and exc.context.endswith("^")
        if isinstance(text, str):
            assert exc.line <= text.count("\n") + 1


@settings(max_examples=examples(500), deadline=None)
@given(st.text())
def test_random_text_only_raises_syntax_errors(text: str) -> None:
    _parse_or_syntax_error(text)


@settings(max_examples=examples(500), deadline=None)
@given(st.text(alphabet=_edn_chars, max_size=80))
def test_random_edn_like_text_only_raises_syntax_errors(text: str) -> None:
    _parse_or_syntax_error(text)
    _parse_or_syntax_error("[" + text + "]")


@settings(max_examples=examples(300), deadline=None)
@given(st.binary())
def test_random_bytes_only_raise_syntax_errors(data: bytes) -> None:
    _parse_or_syntax_error(data)


@AST_SETTINGS
@given(roots, st.data())
def test_damaged_queries_only_raise_syntax_errors(root: Root, data: st.DataObject) -> None:
    text = to_edn(root)
    position = data.draw(st.integers(0, len(text)))
    damage = data.draw(st.sampled_from(["delete", "insert", "swap"]))
    char = data.draw(st.sampled_from(list(_edn_chars)))
    if damage == "delete":
        text = text[:position] + text[position + 1 :]
    elif damage == "insert":
        text = text[:position] + char + text[position:]
    else:
        text = text[:position] + char + text[position + 1 :]
    _parse_or_syntax_error(text)


# --- wire ----------------------------------------------------------------------------------

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
_json_keys = st.one_of(keywords, st.builds(Ident, keywords, st.one_of(st.integers(), st.text())))
json_results = st.recursive(
    _json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(_json_keys, children, max_size=3)
    ),
    max_leaves=12,
)


@SETTINGS
@given(st.dictionaries(_json_keys, json_results, max_size=4))
def test_wire_round_trip(result: dict[Any, Any]) -> None:
    encoded = json.loads(json.dumps(result_to_json(result), allow_nan=False))
    assert result_from_json(encoded) == result


# Keys a resolver can put in a result map: keywords, idents, and any hashable value, including
# tuples that look like idents but hold no printable keyword (``("", None)``).
_any_keys = st.one_of(
    _json_keys,
    hashable_values,
    st.tuples(st.text(max_size=3), hashable_values),
    st.just(Decimal("NaN")),
)


@SETTINGS
@given(st.dictionaries(_any_keys, values, max_size=4))
def test_any_result_encodes_to_strict_json(result: dict[Any, Any]) -> None:
    json.dumps(result_to_json(result), allow_nan=False)


@pytest.mark.parametrize(
    "result",
    [
        {Keyword("a"): {("", None): None}},  # the example Hypothesis found on a fresh clone
        {(Keyword(""), 1): 1, ("a b", 2): 2, Decimal("NaN"): 3, Decimal("Infinity"): 4},
        {Ident(Keyword("user/id"), 1): {object: "x"}},
    ],
)
def test_results_with_unprintable_keys_encode(result: dict[Any, Any]) -> None:
    encoded = json.loads(json.dumps(result_to_json(result), allow_nan=False))
    assert isinstance(encoded, dict) and len(encoded) == len(result)


def test_strategies_cover_every_node_kind() -> None:
    # A sanity check on the generator itself: over a fixed seed it yields every node kind.
    seen: set[str] = set()

    @settings(max_examples=80, database=None, derandomize=True)
    @given(roots)
    def collect(root: Root) -> None:
        stack: list[Any] = list(root.children)
        while stack:
            node = stack.pop()
            seen.add(type(node).__name__)
            if isinstance(node, Prop) and isinstance(node.key, Ident):
                seen.add("Ident")
            stack.extend(getattr(node, "children", None) or ())

    collect()
    assert {"Prop", "Join", "Call", "Union", "UnionEntry", "Ident"} <= seen


def test_a_utc_instant_prints_with_its_offset() -> None:
    assert parse(to_edn([EList((Keyword("t"), {Keyword("at"): datetime(2020, 1, 1, tzinfo=UTC)}))]))
    assert Decimal("1.0") and uuid.UUID(int=0)
