"""Runner behaviour, ported from the cases of Pathom 3's runner suite."""

from __future__ import annotations

import pytest

from ouroboros import Engine, mutation, optional, resolver
from ouroboros.eql.ast import Keyword
from ouroboros.errors import (
    AttributeMissingError,
    MutationNotFoundError,
    ResolverError,
    UnreachableError,
)
from tests.connect.helpers import ident, opt, q, sym

ERRORS = "ouroboros/errors"


def calls_of(log, name):
    return [c for c in log if c[0] == name]


# --- chains and basic resolution ------------------------------------------------------------


def test_single_resolver_from_entity():
    @resolver(input=["a"], output=["b"])
    def b(inp):
        return {"b": inp["a"] + 1}

    assert Engine([b]).process(q("b"), {"a": 1}) == {"b": 2}


def test_chain_of_resolvers():
    @resolver(input=["a"], output=["b"])
    def b(inp):
        return {"b": inp["a"] + 1}

    @resolver(input=["b"], output=["c"])
    def c(inp):
        return {"c": inp["b"] * 10}

    @resolver(output=["a"])
    def a(inp):
        return {"a": 1}

    assert Engine([a, b, c]).process(q("c")) == {"c": 20}


def test_result_keys_are_keywords_equal_to_strings():
    @resolver(output=["a"])
    def a(_):
        return {"a": 1}

    out = Engine([a]).process(q("a"))
    key = next(iter(out))
    assert isinstance(key, Keyword) and out["a"] == 1


def test_multiple_inputs():
    @resolver(input=["a", "b"], output=["c"])
    def c(inp):
        return {"c": inp["a"] + inp["b"]}

    assert Engine([c]).process(q("c"), {"a": 1, "b": 2}) == {"c": 3}


def test_data_present_is_not_overwritten_and_not_resolved():
    log = []

    @resolver(output=["a", "b"])
    def ab(_):
        log.append("ab")
        return {"a": "resolved", "b": "b"}

    engine = Engine([ab])
    assert engine.process(q("a"), {"a": "given"}) == {"a": "given"}
    assert log == []
    assert engine.process(q("a", "b"), {"a": "given"}) == {"a": "given", "b": "b"}


def test_resolver_called_once_for_several_outputs():
    log = []

    @resolver(output=["a", "b", "c"])
    def abc(_):
        log.append(1)
        return {"a": 1, "b": 2, "c": 3}

    assert Engine([abc]).process(q("a", "b", "c")) == {"a": 1, "b": 2, "c": 3}
    assert log == [1]


def test_no_unnecessary_calls_for_shared_dependency():
    log = []

    @resolver(output=["a"])
    def a(_):
        log.append("a")
        return {"a": 1}

    @resolver(input=["a"], output=["b"])
    def b(inp):
        log.append("b")
        return {"b": 2}

    @resolver(input=["a"], output=["c"])
    def c(inp):
        log.append("c")
        return {"c": 3}

    assert Engine([a, b, c]).process(q("b", "c")) == {"b": 2, "c": 3}
    assert log == ["a", "b", "c"]


def test_env_receives_params_context_and_path():
    seen = {}

    @resolver(output=["a"])
    def a(env, _):
        seen.update(params=dict(env.params), context=env.context, path=env.path, engine=env.engine)
        return {"a": 1}

    engine = Engine([a])
    engine.process(q(("a", {"limit": 3})), context={"caller": "me"})
    assert seen["params"] == {"limit": 3}
    assert seen["context"] == {"caller": "me"}
    assert seen["path"] == ()
    assert seen["engine"] is engine


def test_entity_given_is_not_mutated():
    @resolver(input=["a"], output=["b"])
    def b(inp):
        return {"b": 1}

    entity = {"a": 1}
    Engine([b]).process(q("b"), entity)
    assert entity == {"a": 1}


# --- nested joins and collections -----------------------------------------------------------


def test_nested_join_over_inline_data():
    @resolver(input=["user/id"], output=["user/name"])
    def name(inp):
        return {"user/name": f"u{inp['user/id']}"}

    out = Engine([name]).process(
        q({"users": ["user/name"]}), {"users": [{"user/id": 1}, {"user/id": 2}]}
    )
    assert out == {"users": [{"user/name": "u1"}, {"user/name": "u2"}]}


def test_nested_join_from_resolver_output():
    @resolver(output=[{"users": ["user/id"]}])
    def users(_):
        return {"users": [{"user/id": 1}, {"user/id": 2}]}

    @resolver(input=["user/id"], output=["user/name", {"user/friends": ["user/id"]}])
    def user(inp):
        i = inp["user/id"]
        return {"user/name": f"u{i}", "user/friends": [{"user/id": i + 10}]}

    out = Engine([users, user]).process(
        q({"users": ["user/name", {"user/friends": ["user/name"]}]})
    )
    assert out == {
        "users": [
            {"user/name": "u1", "user/friends": [{"user/name": "u11"}]},
            {"user/name": "u2", "user/friends": [{"user/name": "u12"}]},
        ]
    }


def test_single_map_join():
    @resolver(output=[{"me": ["user/id"]}])
    def me(_):
        return {"me": {"user/id": 7}}

    @resolver(input=["user/id"], output=["user/name"])
    def name(inp):
        return {"user/name": "seven"}

    assert Engine([me, name]).process(q({"me": ["user/name"]})) == {"me": {"user/name": "seven"}}


def test_collections_keep_their_kind():
    @resolver(input=["i"], output=["sq"])
    def sq(inp):
        return {"sq": inp["i"] ** 2}

    engine = Engine([sq])
    out = engine.process(q({"xs": ["sq"]}), {"xs": ({"i": 2}, {"i": 3})})
    assert out == {"xs": ({"sq": 4}, {"sq": 9})} and isinstance(out["xs"], tuple)
    out = engine.process(q({"xs": ["sq"]}), {"xs": [{"i": 2}, "raw", 5]})
    assert out == {"xs": [{"sq": 4}, "raw", 5]}
    out = engine.process(q({"tags": ["sq"]}), {"tags": {"a", "b"}})
    assert out == {"tags": {"a", "b"}} and isinstance(out["tags"], set)


def test_map_container_param_applies_to_each_value():
    @resolver(input=["i"], output=["sq"])
    def sq(inp):
        return {"sq": inp["i"] ** 2}

    out = Engine([sq]).process(
        q(({"by-id": ["sq"]}, {"ouroboros/map-container?": True})),
        {"by-id": {"a": {"i": 2}, "b": {"i": 3}}},
    )
    assert out == {"by-id": {"a": {"sq": 4}, "b": {"sq": 9}}}


def test_join_value_that_is_not_a_map_is_left_as_is():
    assert Engine([]).process(q({"a": ["b"]}), {"a": 42}) == {"a": 42}


def test_nil_join_stays_nil():
    assert Engine([]).process(q({"a": ["b"]}), {"a": None}) == {"a": None}


# --- idents ---------------------------------------------------------------------------------


def test_ident_join_is_an_entry_point():
    @resolver(input=["user/id"], output=["user/name"])
    def name(inp):
        return {"user/name": f"u{inp['user/id']}"}

    out = Engine([name]).process(q({ident("user/id", 1): ["user/name"]}))
    assert out == {("user/id", 1): {"user/name": "u1"}}


def test_ident_prop_returns_the_seed():
    out = Engine([]).process(q(ident("user/id", 1)))
    assert out == {("user/id", 1): {"user/id": 1}}


def test_ident_merges_data_stored_under_the_ident():
    @resolver(input=["user/id", "user/x"], output=["user/y"])
    def y(inp):
        return {"user/y": inp["user/x"] * 2}

    out = Engine([y]).process(
        q({ident("user/id", 1): ["user/y"]}), {("user/id", 1): {"user/x": 21}}
    )
    assert out == {("user/id", 1): {"user/y": 42}}


# --- wildcard -------------------------------------------------------------------------------


def test_wildcard_returns_everything_loaded():
    @resolver(input=["a"], output=["b", "c"])
    def bc(_):
        return {"b": 2, "c": 3}

    out = Engine([bc]).process(q(sym("*"), "b"), {"a": 1})
    assert out == {"a": 1, "b": 2, "c": 3}


def test_wildcard_does_not_affect_nested_joins():
    out = Engine([]).process(q(sym("*"), {"j": ["x"]}), {"a": 1, "j": {"x": 1, "y": 2}})
    assert out == {"a": 1, "j": {"x": 1}}


# --- optional and nested inputs -------------------------------------------------------------


def test_optional_input_used_when_available():
    @resolver(input=["a", optional("b")], output=["c"])
    def c(inp):
        return {"c": (inp["a"], inp.get("b"))}

    @resolver(output=["b"])
    def b(_):
        return {"b": "B"}

    assert Engine([c]).process(q("c"), {"a": 1}) == {"c": (1, None)}
    assert Engine([c, b]).process(q("c"), {"a": 1}) == {"c": (1, "B")}


def test_optional_input_whose_resolver_fails_still_runs():
    @resolver(input=["a", optional("b")], output=["c"])
    def c(inp):
        return {"c": inp.get("b", "none")}

    @resolver(output=["b"])
    def b(_):
        raise ValueError("no b")

    assert Engine([c, b]).process(q("c"), {"a": 1}) == {"c": "none"}


def test_optional_query_attribute():
    @resolver(output=["a"])
    def a(_):
        return {"a": 1}

    engine = Engine([a])
    assert engine.process(q("a", opt("missing"))) == {"a": 1}


def test_optional_attribute_a_resolver_does_not_return_is_omitted():
    @resolver(output=["a", "b"])
    def ab(_):
        return {"a": 1}

    assert Engine([ab]).process(q("a", opt("b"))) == {"a": 1}


def test_nested_input_is_resolved_first():
    @resolver(output=[{"user/friends": ["user/id"]}])
    def friends(_):
        return {"user/friends": [{"user/id": 1}, {"user/id": 2}]}

    @resolver(input=["user/id"], output=["user/score"])
    def score(inp):
        return {"user/score": inp["user/id"] * 10}

    @resolver(input=[{"user/friends": ["user/score"]}], output=["friends/total"])
    def total(inp):
        return {"friends/total": sum(f["user/score"] for f in inp["user/friends"])}

    assert Engine([friends, score, total]).process(q("friends/total")) == {"friends/total": 30}


def test_nested_input_from_inline_data():
    @resolver(input=[{"items": ["price"]}], output=["total"])
    def total(inp):
        return {"total": sum(i["price"] for i in inp["items"])}

    out = Engine([total]).process(q("total"), {"items": [{"price": 1}, {"price": 2}]})
    assert out == {"total": 3}


def test_nested_input_that_cannot_be_met_is_an_error():
    @resolver(input=[{"items": ["price"]}], output=["total"])
    def total(inp):
        return {"total": 0}

    with pytest.raises(AttributeMissingError, match="nested input"):
        Engine([total]).process(q("total"), {"items": [{"name": "x"}]})


# --- OR nodes, priorities, fall-through ------------------------------------------------------


def test_or_prefers_priority():
    @resolver(output=["a"], name="low")
    def low(_):
        return {"a": "low"}

    @resolver(output=["a"], name="high", priority=10)
    def high(_):
        return {"a": "high"}

    assert Engine([low, high]).process(q("a")) == {"a": "high"}


def test_or_falls_through_when_a_branch_fails():
    log = []

    @resolver(output=["a"], name="bad", priority=1)
    def bad(_):
        log.append("bad")
        raise RuntimeError("boom")

    @resolver(output=["a"], name="good")
    def good(_):
        log.append("good")
        return {"a": "ok"}

    assert Engine([bad, good]).process(q("a")) == {"a": "ok"}
    assert log == ["bad", "good"]


def test_or_falls_through_when_a_branch_does_not_return_the_attribute():
    @resolver(output=["a"], name="empty", priority=1)
    def empty(_):
        return {}

    @resolver(output=["a"], name="good")
    def good(_):
        return {"a": "ok"}

    assert Engine([empty, good]).process(q("a")) == {"a": "ok"}


def test_or_prefers_inputs_available():
    @resolver(output=["b"])
    def b(_):
        return {"b": 1}

    @resolver(input=["b"], output=["a"], name="needs-b")
    def via_b(_):
        return {"a": "via b"}

    @resolver(input=["x"], output=["a"], name="has-x")
    def via_x(_):
        return {"a": "via x"}

    assert Engine([b, via_b, via_x]).process(q("a"), {"x": 1}) == {"a": "via x"}


def test_or_all_branches_fail_reports_both():
    @resolver(output=["a"], name="one")
    def one(_):
        raise RuntimeError("first")

    @resolver(output=["a"], name="two")
    def two(_):
        raise RuntimeError("second")

    with pytest.raises(ResolverError) as info:
        Engine([one, two]).process(q("a"))
    assert "first" in str(info.value) and "second" in str(info.value)


def test_or_learns_faster_branch():
    import time

    log = []

    @resolver(output=["a"], name="slow")
    def slow(_):
        log.append("slow")
        time.sleep(0.02)
        return {"a": 1}

    @resolver(output=["a"], name="fast")
    def fast(_):
        log.append("fast")
        return {"a": 1}

    engine = Engine([slow, fast])
    engine.weights["slow"] = 1.0  # as learned from earlier requests
    engine.weights["fast"] = 0.001
    engine.process(q("a"))
    assert log == ["fast"]


# --- unknown, unreachable, missing, exceptions ----------------------------------------------


def test_unknown_attribute_strict():
    with pytest.raises(UnreachableError) as info:
        Engine([]).process(q("nope"))
    assert info.value.reasons == {"nope": "unknown: no resolver outputs it"}
    assert ":nope" in str(info.value)


def test_unreachable_inputs_reason():
    @resolver(input=["a"], output=["b"])
    def b(_):
        return {"b": 1}

    with pytest.raises(UnreachableError) as info:
        Engine([b]).process(q("b"))
    assert info.value.reasons == {"b": "inputs can't be met: can't reach :a"}


def test_unreachable_alternatives_joined_by_or():
    @resolver(input=["a"], output=["c"], name="r1")
    def r1(_):
        return {}

    @resolver(input=["b"], output=["c"], name="r2")
    def r2(_):
        return {}

    with pytest.raises(UnreachableError) as info:
        Engine([r1, r2]).process(q("c"))
    assert info.value.reasons["c"] == (
        "inputs can't be met: can't reach :a OR inputs can't be met: can't reach :b"
    )


def test_unreachable_is_raised_before_any_resolver_or_mutation_runs():
    log = []

    @mutation(name="m/do")
    def do(params):
        log.append("mutation")
        return {}

    with pytest.raises(UnreachableError):
        Engine([do]).process(q((sym("m/do"), {}), "nope"))
    assert log == []


def test_missing_output_strict():
    @resolver(output=["a"], name="liar")
    def liar(_):
        return {}

    with pytest.raises(AttributeMissingError) as info:
        Engine([liar]).process(q("a"))
    assert "liar" in str(info.value) and ":a" in str(info.value)


def test_exception_names_resolver_attribute_and_path():
    @resolver(output=[{"users": ["user/id"]}])
    def users(_):
        return {"users": [{"user/id": 1}, {"user/id": 2}]}

    @resolver(input=["user/id"], output=["user/name"], name="user-name")
    def name(inp):
        if inp["user/id"] == 2:
            raise ValueError("no such user")
        return {"user/name": "one"}

    with pytest.raises(ResolverError) as info:
        Engine([users, name]).process(q({"users": ["user/name"]}))
    err = info.value
    assert err.resolver == "user-name"
    assert err.path == ["users", 1]
    assert "user-name" in str(err) and "no such user" in str(err) and ":user/name" in str(err)
    assert "[:users 1]" in str(err)
    assert isinstance(err.__cause__, ValueError)


def test_non_map_result_is_an_error_that_says_so():
    @resolver(output=["a"], name="bad")
    def bad(_):
        return [1, 2]

    with pytest.raises(ResolverError, match="must return a map"):
        Engine([bad]).process(q("a"))


def test_none_result_is_an_empty_map():
    @resolver(output=["a"], name="nothing")
    def nothing(_):
        return None

    assert Engine([nothing]).process(q(opt("a"))) == {}


def test_optional_does_not_hide_exceptions():
    @resolver(output=["a"], name="bad")
    def bad(_):
        raise RuntimeError("boom")

    with pytest.raises(ResolverError, match="boom"):
        Engine([bad]).process(q(opt("a")))


# --- lenient mode ---------------------------------------------------------------------------


def test_lenient_returns_partial_data_and_errors():
    @resolver(output=["a"])
    def a(_):
        return {"a": 1}

    @resolver(output=["b"], name="bad")
    def bad(_):
        raise RuntimeError("boom")

    @resolver(input=["b"], output=["c"], name="after-bad")
    def c(_):
        return {"c": 1}

    @resolver(output=["d"], name="liar")
    def liar(_):
        return {}

    out = Engine([a, bad, c, liar], lenient=True).process(q("a", "b", "c", "d", "e"))
    assert out["a"] == 1
    errors = out[ERRORS]
    assert errors["b"]["cause"] == "node-exception" and "boom" in errors["b"]["message"]
    assert errors["c"]["cause"] == "ancestor-error"
    assert errors["d"]["cause"] == "attribute-missing"
    assert errors["e"] == {
        "cause": "attribute-unreachable",
        "message": ":e unknown: no resolver outputs it",
    }
    assert set(out) == {"a", ERRORS}


def test_lenient_errors_live_on_the_entity_where_they_happened():
    @resolver(input=["i"], output=["x"], name="x")
    def x(inp):
        if inp["i"] == 2:
            raise ValueError("bad item")
        return {"x": inp["i"]}

    out = Engine([x], lenient=True).process(q({"items": ["x"]}), {"items": [{"i": 1}, {"i": 2}]})
    assert out["items"][0] == {"x": 1}
    assert out["items"][1][ERRORS]["x"]["cause"] == "node-exception"
    assert ERRORS not in out


def test_lenient_per_request_override():
    with pytest.raises(UnreachableError):
        Engine([], lenient=True).process(q("x"), lenient=False)
    assert ERRORS in Engine([]).process(q("x"), lenient=True)


# --- batches --------------------------------------------------------------------------------


def make_batch(log, **kw):
    @resolver(input=["user/id"], output=["user/name"], batch=True, name="names", **kw)
    def names(env, inputs):
        log.append((len(inputs), dict(env.params)))
        return [{"user/name": f"u{i['user/id']}"} for i in inputs]

    return names


def test_batch_one_call_for_a_whole_list():
    log = []
    out = Engine([make_batch(log)]).process(
        q({"users": ["user/name"]}), {"users": [{"user/id": i} for i in range(2000)]}
    )
    assert out["users"][1999] == {"user/name": "u1999"}
    assert log == [(2000, {})]


def test_batch_dedupes_and_restores_order():
    log = []
    out = Engine([make_batch(log)]).process(
        q({"users": ["user/name"]}), {"users": [{"user/id": i % 3} for i in range(9)]}
    )
    assert [u["user/name"] for u in out["users"]] == ["u0", "u1", "u2"] * 3
    assert log == [(3, {})]


def test_batch_across_nested_items_of_a_list():
    log = []

    @resolver(input=["team/id"], output=[{"team/members": ["user/id"]}])
    def members(inp):
        t = inp["team/id"]
        return {"team/members": [{"user/id": t * 10 + k} for k in range(3)]}

    out = Engine([members, make_batch(log)]).process(
        q({"teams": [{"team/members": ["user/name"]}]}),
        {"teams": [{"team/id": t} for t in range(5)]},
    )
    assert out["teams"][4]["team/members"][2] == {"user/name": "u42"}
    assert log == [(15, {})]


def test_batch_chunk_size():
    log = []
    Engine([make_batch(log, batch_chunk_size=4)]).process(
        q({"users": ["user/name"]}), {"users": [{"user/id": i} for i in range(10)]}
    )
    assert log == [(4, {}), (4, {}), (2, {})]


def test_batch_params_make_separate_calls():
    log = []
    engine = Engine([make_batch(log)])
    entity = {"a": [{"user/id": 1}], "b": [{"user/id": 1}]}
    engine.process(q({"a": [("user/name", {"v": 1})]}, {"b": [("user/name", {"v": 2})]}), entity)
    assert sorted(log, key=str) == [(1, {"v": 1}), (1, {"v": 2})]


def test_batch_wrong_length_is_an_error():
    @resolver(input=["i"], output=["x"], batch=True, name="short")
    def short(inputs):
        return inputs[:1]

    with pytest.raises(ResolverError, match="returned 1 results for 2 inputs"):
        Engine([short]).process(q({"xs": ["x"]}), {"xs": [{"i": 1}, {"i": 2}]})


def test_batch_exception_fails_every_item():
    @resolver(input=["i"], output=["x"], batch=True, name="boom")
    def boom(inputs):
        raise RuntimeError("batch down")

    out = Engine([boom], lenient=True).process(q({"xs": ["x"]}), {"xs": [{"i": 1}, {"i": 2}]})
    assert all(item[ERRORS]["x"]["cause"] == "node-exception" for item in out["xs"])


def test_batch_resolver_called_directly():
    names = make_batch([])
    assert names([{"user/id": 1}]) == [{"user/name": "u1"}]


# --- caches ---------------------------------------------------------------------------------


def test_request_cache_serves_repeated_inputs():
    log = []

    @resolver(input=["user/id"], output=["user/name"])
    def name(inp):
        log.append(inp["user/id"])
        return {"user/name": "x"}

    Engine([name]).process(
        q({"a": ["user/name"]}, {"b": ["user/name"]}), {"a": {"user/id": 1}, "b": {"user/id": 1}}
    )
    assert log == [1]


def test_cache_opt_out():
    log = []

    @resolver(input=["user/id"], output=["user/name"], cache=False)
    def name(inp):
        log.append(inp["user/id"])
        return {"user/name": "x"}

    Engine([name]).process(
        q({"a": ["user/name"]}, {"b": ["user/name"]}), {"a": {"user/id": 1}, "b": {"user/id": 1}}
    )
    assert log == [1, 1]


def test_cache_is_per_request():
    log = []

    @resolver(output=["a"])
    def a(_):
        log.append(1)
        return {"a": 1}

    engine = Engine([a])
    engine.process(q("a"))
    engine.process(q("a"))
    assert log == [1, 1]


def test_cache_key_includes_params():
    log = []

    @resolver(input=["id"], output=["v"])
    def v(env, inp):
        log.append(dict(env.params))
        return {"v": env.params.get("p")}

    out = Engine([v]).process(
        q({"a": [("v", {"p": 1})]}, {"b": [("v", {"p": 2})]}), {"a": {"id": 1}, "b": {"id": 1}}
    )
    assert out == {"a": {"v": 1}, "b": {"v": 2}}
    assert len(log) == 2


# --- params ---------------------------------------------------------------------------------


def test_params_of_attributes_merge_per_resolver_call():
    seen = []

    @resolver(output=["a", "b"])
    def ab(env, _):
        seen.append(dict(env.params))
        return {"a": 1, "b": 2}

    Engine([ab]).process(q(("a", {"x": 1}), ("b", {"y": 2})))
    assert seen == [{"x": 1, "y": 2}]


def test_join_params_reach_the_resolver():
    @resolver(output=[{"items": ["n"]}])
    def items(env, _):
        return {"items": [{"n": i} for i in range(env.params.get("limit", 10))]}

    out = Engine([items]).process(q(({"items": ["n"]}, {"limit": 2})))
    assert out == {"items": [{"n": 0}, {"n": 1}]}


# --- unions ---------------------------------------------------------------------------------


def test_union_picks_branch_by_key_present():
    data = {
        "feed": [
            {"post/id": 1, "post/title": "T", "x": 1},
            {"photo/id": 2, "photo/url": "U", "x": 2},
            {"other": 3},
        ]
    }
    out = Engine([]).process(
        q({"feed": {"post/id": ["post/title"], "photo/id": ["photo/url"]}}), data
    )
    assert out == {"feed": [{"post/title": "T"}, {"photo/url": "U"}]}


def test_union_single_item_without_branch_is_nil():
    out = Engine([]).process(q({"x": {"a": ["a"]}}), {"x": {"b": 1}})
    assert out == {"x": None}


def test_union_branches_resolve():
    @resolver(input=["post/id"], output=["post/title"])
    def title(inp):
        return {"post/title": f"post {inp['post/id']}"}

    out = Engine([title]).process(
        q({"feed": {"post/id": ["post/title"], "photo/id": ["photo/id"]}}),
        {"feed": [{"post/id": 1}, {"photo/id": 2}]},
    )
    assert out == {"feed": [{"post/title": "post 1"}, {"photo/id": 2}]}


# --- recursion ------------------------------------------------------------------------------


def tree_resolver():
    tree = {1: [2, 3], 2: [4], 3: [], 4: [5], 5: []}

    @resolver(input=["node/id"], output=[{"node/children": ["node/id"]}])
    def children(inp):
        return {"node/children": [{"node/id": c} for c in tree[inp["node/id"]]]}

    return children


def test_unbounded_recursion():
    out = Engine([tree_resolver()]).process(q("node/id", {"node/children": "..."}), {"node/id": 1})
    assert out == {
        "node/id": 1,
        "node/children": [
            {
                "node/id": 2,
                "node/children": [
                    {"node/id": 4, "node/children": [{"node/id": 5, "node/children": []}]}
                ],
            },
            {"node/id": 3, "node/children": []},
        ],
    }


def test_bounded_recursion():
    # Past the depth the join is a plain attribute: its value is kept as it is (Pathom).
    out = Engine([tree_resolver()]).process(q("node/id", {"node/children": 2}), {"node/id": 1})
    assert out == {
        "node/id": 1,
        "node/children": [
            {"node/id": 2, "node/children": [{"node/id": 4, "node/children": [{"node/id": 5}]}]},
            {"node/id": 3, "node/children": []},
        ],
    }


def test_unbounded_recursion_stops_at_a_cycle_in_the_data():
    @resolver(input=["user/id"], output=[{"user/friends": ["user/id"]}])
    def friends(inp):
        return {"user/friends": [{"user/id": 2 if inp["user/id"] == 1 else 1}]}

    out = Engine([friends]).process(q("user/id", {"user/friends": "..."}), {"user/id": 1})
    assert out == {
        "user/id": 1,
        "user/friends": [{"user/id": 2, "user/friends": [{"user/id": 1}]}],
    }


# --- placeholders ---------------------------------------------------------------------------


def test_placeholder_is_a_view_of_the_same_entity():
    log = []

    @resolver(input=["user/id"], output=["user/name", "user/age"])
    def user(inp):
        log.append(1)
        return {"user/name": "n", "user/age": 3}

    out = Engine([user]).process(
        q("user/name", {">/details": ["user/age", "user/id"]}), {"user/id": 1}
    )
    assert out == {"user/name": "n", ">/details": {"user/age": 3, "user/id": 1}}
    assert log == [1]


def test_placeholder_params_become_entity_data():
    @resolver(input=["first"], output=["full"])
    def full(inp):
        return {"full": inp["first"] + " X"}

    out = Engine([full]).process(
        q(({">/a": ["full"]}, {"first": "A"}), ({">/b": ["full"]}, {"first": "B"}))
    )
    assert out == {">/a": {"full": "A X"}, ">/b": {"full": "B X"}}


# --- mutations ------------------------------------------------------------------------------


def test_mutation_runs_first_and_reads_see_it():
    store = {"count": 0}

    @mutation(name="counter/inc")
    def inc(params):
        store["count"] += params.get("by", 1)
        return {"count": store["count"]}

    @resolver(output=["count"])
    def count(_):
        return {"count": store["count"]}

    out = Engine([inc, count]).process(q("count", (sym("counter/inc"), {"by": 5})))
    assert out == {"counter/inc": {"count": 5}, "count": 5}
    assert sym("counter/inc") in out


def test_mutation_join_reads_through_resolvers():
    @mutation(name="user/create", output=["user/id"])
    def create(params):
        return {"user/id": 9}

    @resolver(input=["user/id"], output=["user/name"])
    def name(inp):
        return {"user/name": f"u{inp['user/id']}"}

    out = Engine([create, name]).process(q(({sym("user/create"): ["user/name"]}, {"n": 1})))
    assert out == {"user/create": {"user/name": "u9"}}


def test_mutation_env_and_params():
    seen = {}

    @mutation(name="x/do")
    def do(env, params):
        seen.update(params=params, context=env.context)
        return {"ok": True}

    Engine([do]).process(q((sym("x/do"), {"a": 1})), context={"who": "me"})
    assert seen == {"params": {"a": 1}, "context": {"who": "me"}}


def test_mutation_not_found():
    with pytest.raises(MutationNotFoundError, match="Mutation nope/nope not found"):
        Engine([]).process(q((sym("nope/nope"), {})))
    out = Engine([], lenient=True).process(q((sym("nope/nope"), {})))
    assert "not found" in out["nope/nope"]["ouroboros/mutation-error"]
    assert out[ERRORS]["nope/nope"]["cause"] == "node-exception"


def test_mutation_exception():
    @mutation(name="x/fail")
    def fail(params):
        raise RuntimeError("nope")

    with pytest.raises(ResolverError, match="Mutation x/fail raised RuntimeError: nope"):
        Engine([fail]).process(q((sym("x/fail"), {})))


def test_nested_input_levels_are_not_confused_between_engines():
    @resolver(input=[{"items": ["price"]}], output=["total"], name="total")
    def total(inp):
        return {"total": sum(i["price"] for i in inp["items"])}

    @resolver(input=["id"], output=["price"], name="price")
    def price(inp):
        return {"price": inp["id"] * 100}

    plain = Engine([total])
    priced = Engine([total, price])
    assert plain.process(q("total"), {"items": [{"price": 1}]}) == {"total": 1}
    assert priced.process(q("total"), {"items": [{"id": 2}]}) == {"total": 200}
    with pytest.raises(AttributeMissingError):
        plain.process(q("total"), {"items": [{"id": 2}]})
