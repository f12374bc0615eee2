"""Engine: queries as text / Root / data, attribute specs, validation, limits, trace, index."""

from __future__ import annotations

import threading
import time

import pytest

from ouroboros import AttributeSpec, Engine, resolver
from ouroboros.connect.planner import PLAN_CACHE
from ouroboros.connect.trace import Trace
from ouroboros.eql import parse
from ouroboros.errors import (
    AttributeTypeError,
    QueryLimitError,
    RegistrationError,
    ResolverTimeoutError,
)


@resolver(input=["user/id"], output=["user/name", "user/age"], types={"user/age": int})
def user(inp):
    i = inp["user/id"]
    return {"user/name": f"u{i}", "user/age": "old" if i == 99 else i}


def test_query_as_text_root_and_data():
    engine = Engine([user])
    expected = {("user/id", 1): {"user/name": "u1"}}
    assert engine.process("[{[:user/id 1] [:user/name]}]") == expected
    assert engine.process(parse("[{[:user/id 1] [:user/name]}]")) == expected
    assert engine.process([{("user/id", 1): ["user/name"]}]) == expected
    assert engine.process(["user/name"], {"user/id": 1}) == {"user/name": "u1"}


def test_attribute_registry_merges_specs_and_inline_types():
    engine = Engine([user], attributes=[AttributeSpec("user/name", str, doc="Display name")])
    assert engine.attributes["user/name"].doc == "Display name"
    assert engine.attributes["user/age"].type is int
    assert set(engine.attributes) == {"user/name", "user/age"}


def test_conflicting_specs_are_refused():
    from ouroboros.errors import RegistrationError

    with pytest.raises(RegistrationError, match="declared twice"):
        Engine([user], attributes=[AttributeSpec("user/age", str)])


def test_validation_mode_raises_a_clear_error():
    engine = Engine([user], validate=True)
    assert engine.process("[:user/age]", {"user/id": 1}) == {"user/age": 1}
    with pytest.raises(AttributeTypeError) as info:
        engine.process("[:user/age]", {"user/id": 99})
    message = str(info.value)
    assert ":user/age" in message and "'old'" in message and "int" in message
    assert info.value.resolver.endswith("user")
    # without validate the value passes
    assert Engine([user]).process("[:user/age]", {"user/id": 99}) == {"user/age": "old"}


def test_attribute_spec_checks():
    assert AttributeSpec("a", int | None).check(None)
    assert AttributeSpec("a", list[str]).check(["x"])
    assert not AttributeSpec("a", list[str]).check([1])
    assert AttributeSpec("a", dict, many=True).check([{}, {}])
    assert not AttributeSpec("a", int).check(True)
    assert AttributeSpec("a", float).check(1)


def test_query_limits():
    engine = Engine([user], max_depth=2, max_nodes=5)
    assert engine.process("[{:a [{:b [:c]}]}]", {"a": {"b": {"c": 1}}}) == {"a": {"b": {"c": 1}}}
    with pytest.raises(QueryLimitError, match="3 joins deep; the limit is 2"):
        engine.process("[{:a [{:b [{:c [:d]}]}]}]")
    with pytest.raises(QueryLimitError, match="nodes"):
        engine.process("[:a :b :c :d :e :f]")


def test_recursion_limit():
    @resolver(input=["n"], output=[{"next": ["n"]}])
    def nxt(inp):
        return {"next": {"n": inp["n"] + 1}}

    with pytest.raises(QueryLimitError, match="recursion"):
        Engine([nxt], max_recursion=5).process("[{:next ...}]", {"n": 0})


def test_sync_timeout_raises_resolver_timeout_error():
    release = threading.Event()

    @resolver(output=["slow"], timeout=0.05)
    def slow(_):
        release.wait(5)
        return {"slow": 1}

    try:
        with pytest.raises(ResolverTimeoutError, match=r"timed out after 0\.05 s"):
            Engine([slow]).process("[:slow]")
    finally:
        release.set()


def test_trace_records_what_ran():
    @resolver(input=["user/id"], output=["user/name"], batch=True, name="names")
    def names(inputs):
        return [{"user/name": "x"} for _ in inputs]

    trace = Trace()
    engine = Engine([names])
    engine.process(
        "[{:users [:user/name]}]", {"users": [{"user/id": i} for i in range(5)]}, trace=trace
    )
    (event,) = trace.events
    assert (event.name, event.calls, event.inputs, event.output_size) == ("names", 1, 5, 5)
    assert event.path == ("users",)
    assert trace.resolvers == ["names"]
    assert "names" in trace.format()
    assert trace.to_data()["events"][0]["inputs"] == 5


def test_plan_cache_key_ignores_ident_values():
    engine = Engine([user])
    PLAN_CACHE.clear()
    engine.process("[{[:user/id 1] [:user/name]}]")
    misses = PLAN_CACHE.misses
    engine.process("[{[:user/id 2] [:user/name]}]")
    assert PLAN_CACHE.misses == misses
    assert PLAN_CACHE.hits >= 1


def test_plan_is_reused_for_every_item_of_a_list():
    trace = Trace()
    Engine([user]).process(
        "[{:users [:user/name]}]", {"users": [{"user/id": i} for i in range(100)]}, trace=trace
    )
    assert trace.plans_made == 2  # the root level and the users level, not one per user


def test_engine_plan_and_explain():
    engine = Engine([user])
    plan = engine.plan("[:user/name]", available=["user/id"])
    assert plan.resolvers == [user.name]
    text = engine.explain("[{:users [:user/name]}]")
    assert "join :users" in text
    assert engine.explain("[:user/name]", ["user/id"], fmt="dot").startswith("digraph")
    assert engine.explain("[:user/name]", ["user/id"], fmt="mermaid").startswith("flowchart")
    assert '"resolver"' in engine.explain("[:user/name]", ["user/id"], fmt="json")


def test_index_is_queryable_through_eql():
    engine = Engine([user], attributes=[AttributeSpec("user/name", str, doc="Name")])
    out = engine.process(
        "[{:ouroboros.index/attributes [:ouroboros.attribute/name :ouroboros.attribute/type "
        ":ouroboros.attribute/provided-by]} {:ouroboros.index/resolvers [:ouroboros.resolver/name "
        ":ouroboros.resolver/input]} {:ouroboros.index/mutations [:ouroboros.mutation/name]}]"
    )
    attrs = {a["ouroboros.attribute/name"]: a for a in out["ouroboros.index/attributes"]}
    assert attrs["user/name"]["ouroboros.attribute/type"] == "str"
    assert attrs["user/name"]["ouroboros.attribute/provided-by"] == [user.name]
    names = [r["ouroboros.resolver/name"] for r in out["ouroboros.index/resolvers"]]
    assert user.name in names and "ouroboros.index/resolvers" in names
    assert out["ouroboros.index/mutations"] == []


def test_index_reachability_helpers():
    engine = Engine([user])
    assert engine.index.is_reachable("user/name", ["user/id"])
    assert not engine.index.is_reachable("user/name")
    assert "user/age" in engine.index.reachable(["user/id"])
    graph = engine.index.graph
    assert graph.has_edge("user/id", f"resolver:{user.name}")


def test_sync_process_runs_async_resolvers():
    @resolver(input=["user/id"], output=["user/bio"])
    async def bio(inp):
        return {"user/bio": f"bio{inp['user/id']}"}

    engine = Engine([bio])
    out = engine.process("[{:users [:user/bio]}]", {"users": [{"user/id": 1}, {"user/id": 2}]})
    assert out == {"users": [{"user/bio": "bio1"}, {"user/bio": "bio2"}]}


def test_timeouts_are_not_timed_assertions():
    # a fast resolver under a generous timeout returns normally
    @resolver(output=["quick"], timeout=5)
    def quick(_):
        time.sleep(0)
        return {"quick": 1}

    assert Engine([quick]).process("[:quick]") == {"quick": 1}


def test_engine_rebuilt_from_another_engines_operations():
    engine = Engine([user])
    again = Engine(engine.operations)
    assert set(again.resolvers) == set(engine.resolvers)


def test_public_names_include_plan_cache_trace_and_builtin_factories():
    import ouroboros
    from ouroboros.connect.factories import alias, constant, equivalence, static_table
    from ouroboros.connect.planner import PlanCache
    from ouroboros.connect.trace import Trace

    assert ouroboros.PlanCache is PlanCache and ouroboros.Trace is Trace
    assert ouroboros.alias is alias and ouroboros.constant is constant
    assert ouroboros.equivalence is equivalence and ouroboros.static_table is static_table
    assert {"PlanCache", "Trace", "alias", "constant"} <= set(ouroboros.__all__)


def test_attribute_descriptions_from_docs_and_document() -> None:
    from ouroboros import document, mutation

    @resolver(
        output=["user/name", {"user/friends": ["user/id"]}],
        input=["user/id"],
        docs={"user/name": "Display name"},
    )
    def user_docs(inp):
        return {"user/name": "x", "user/friends": []}

    @mutation(name="user/rename!", output=["user/renamed?"])
    def rename(params):
        return {"user/renamed?": True}

    table = {
        "user/id": "The user's id.",
        "user/name": "Not used: the resolver's own docs win.",
        "user/friends": "The user's friends.",
        "user/renamed?": "Whether the rename happened.",
        "other/thing": "Kept by no operation here.",
    }
    ops = document([user_docs, rename], table)
    assert ops[0].docs == {
        "user/name": "Display name",
        "user/friends": "The user's friends.",
        "user/id": "The user's id.",
    }
    assert ops[1].docs == {"user/renamed?": "Whether the rename happened."}
    engine = Engine(ops, attributes=[AttributeSpec("user/id", int, doc="A spec's doc comes first")])
    assert engine.attributes.doc_of("user/id") == "A spec's doc comes first"
    assert engine.attributes.doc_of("user/friends") == "The user's friends."
    assert engine.attributes.doc_of("other/thing") == ""
    with pytest.raises(RegistrationError, match="must be non-empty"):
        resolver(lambda inp: {}, output=["a"], docs={"a": " "})
