"""Planner: plans asserted as data, using resolvers with no bodies (as Pathom's suite does)."""

from __future__ import annotations

from ouroboros import Engine
from ouroboros.connect.indexes import Indexes
from ouroboros.connect.operations import make_resolver, optional
from ouroboros.connect.planner import PlanCache, plan_attrs
from ouroboros.eql.ast import Keyword


def r(name, input=None, output=(), **kw):
    return make_resolver(lambda _i: None, name=name, input=input, output=list(output), **kw)


def plan(resolvers, attrs, available=(), params=None):
    index = Indexes(resolvers)
    requests = {Keyword(a): dict((params or {}).get(a, {})) for a in attrs}
    return plan_attrs(index, requests, frozenset(Keyword(a) for a in available))


def node(id, resolver, expects, input="[]", requires=None, params=None, batch=False):
    return {
        "id": id,
        "type": "resolver",
        "resolver": resolver,
        "expects": expects,
        "input": input,
        "params": params or {},
        "batch": batch,
        "requires": requires,
    }


def test_single_resolver():
    data = plan([r("a", output=["a"])], ["a"]).to_data()
    assert data["root"] == 1
    assert data["nodes"] == [node(1, "a", ["a"])]
    assert data["unreachable"] == {}


def test_available_attribute_needs_no_node():
    p = plan([r("a", output=["a"])], ["a"], available=["a"])
    assert p.roots == () and p.to_data()["root"] is None


def test_chain_runs_dependency_first():
    data = plan([r("b", ["a"], ["b"]), r("c", ["b"], ["c"])], ["c"], available=["a"]).to_data()
    assert data["nodes"] == [
        node(1, "b", ["b"], "[:a]"),
        node(2, "c", ["c"], "[:b]", requires=1),
    ]
    assert data["root"] == 2


def test_two_inputs_make_an_and_node():
    resolvers = [r("a", output=["a"]), r("b", output=["b"]), r("c", ["a", "b"], ["c"])]
    data = plan(resolvers, ["c"]).to_data()
    assert data["nodes"] == [
        node(1, "a", ["a"]),
        node(2, "b", ["b"]),
        {"id": 3, "type": "and", "run_and": [1, 2]},
        node(4, "c", ["c"], "[:a :b]", requires=3),
    ]


def test_several_providers_make_an_or_node_in_priority_order():
    resolvers = [r("low", output=["a"]), r("high", output=["a"], priority=5)]
    data = plan(resolvers, ["a"]).to_data()
    assert data["nodes"] == [
        node(1, "high", ["a"]),
        node(2, "low", ["a"]),
        {"id": 3, "type": "or", "expects": ["a"], "run_or": [1, 2]},
    ]


def test_several_requested_attributes_make_a_root_and():
    data = plan([r("a", output=["a"]), r("b", output=["b"])], ["a", "b"]).to_data()
    assert data["nodes"][-1] == {"id": 3, "type": "and", "run_and": [1, 2]}
    assert data["root"] == 3


def test_params_are_merged_per_resolver():
    p = plan([r("ab", output=["a", "b"])], ["a", "b"], params={"a": {"x": 1}, "b": {"y": 2}})
    assert p.params == {"ab": {"x": 1, "y": 2}}


def test_unknown_attribute():
    p = plan([], ["a"])
    assert p.unreachable == {"a": "unknown: no resolver outputs it"}


def test_unreachable_input():
    p = plan([r("b", ["a"], ["b"])], ["b"])
    assert p.unreachable == {"b": "inputs can't be met: can't reach :a"}


def test_unreachable_alternatives_joined_by_or():
    p = plan([r("r1", ["a"], ["c"]), r("r2", ["b"], ["c"])], ["c"])
    assert p.unreachable == {
        "c": "inputs can't be met: can't reach :a OR inputs can't be met: can't reach :b"
    }


def test_unreachable_branch_is_pruned_from_or():
    p = plan([r("r1", ["a"], ["c"]), r("r2", output=["c"])], ["c"])
    assert [s.resolver.name for s in p.roots[0].options] == ["r2"]


def test_cycle_is_detected():
    p = plan([r("ab", ["a"], ["b"]), r("ba", ["b"], ["a"])], ["a"])
    assert p.unreachable == {
        "a": "inputs can't be met: can't reach :b (through cycle: :a -> :b -> :a)"
    }


def test_cycle_with_an_exit_still_plans():
    resolvers = [r("ab", ["a"], ["b"]), r("ba", ["b"], ["a"]), r("c-to-b", ["c"], ["b"])]
    p = plan(resolvers, ["a"], available=["c"])
    data = p.to_data()
    assert data["unreachable"] == {}
    assert [n["resolver"] for n in data["nodes"] if n["type"] == "resolver"] == ["c-to-b", "ba"]


def test_optional_input_planned_when_reachable():
    resolvers = [r("c", ["a", optional("b")], ["c"]), r("b", output=["b"])]
    p = plan(resolvers, ["c"], available=["a"])
    data = p.to_data()
    assert data["nodes"] == [node(1, "b", ["b"]), node(2, "c", ["c"], "[:a (? :b)]", requires=1)]


def test_optional_input_ignored_when_unreachable():
    p = plan([r("c", ["a", optional("b")], ["c"])], ["c"], available=["a"])
    assert p.to_data()["nodes"] == [node(1, "c", ["c"], "[:a (? :b)]")]


def test_nested_input_pruned_when_provider_cannot_reach_it():
    resolvers = [
        r("friends-ids", output=[{"friends": ["id"]}]),
        r("friends-names", output=[{"friends": ["name"]}], priority=-1),
        r("score", ["id"], ["score"]),
        r("total", [{"friends": ["score"]}], ["total"]),
    ]
    p = plan(resolvers, ["total"])
    (step,) = p.roots[0].options
    (friends,) = step.requires
    assert [s.resolver.name for s in friends.options] == ["friends-ids"]


def test_nested_input_unreachable_reason():
    resolvers = [
        r("friends", output=[{"friends": ["name"]}]),
        r("total", [{"friends": ["score"]}], ["total"]),
    ]
    p = plan(resolvers, ["total"])
    assert p.unreachable == {
        "total": "inputs can't be met: can't reach :friends [:score]"
        " (:score unknown: no resolver outputs it)"
    }


def test_index_paths_answer_how_to_get_x_from_y():
    index = Indexes([r("b", ["a"], ["b"]), r("c", ["b"], ["c"]), r("c2", ["a"], ["c"])])
    assert sorted(index.paths("c", ["a"])) == [["b", "c"], ["c2"]]
    assert index.paths("c", []) == []
    assert index.paths("a", ["a"]) == [[]]


def test_plan_cache_lru():
    cache = PlanCache(maxsize=2)
    p = plan([], [])
    cache.put(1, p)
    cache.put(2, p)
    assert cache.get(1) is p
    cache.put(3, p)
    assert cache.get(2) is None and cache.get(1) is p and len(cache) == 2


def test_hints_only_for_requested_unknown_attributes(monkeypatch):
    """A dependency no resolver outputs is named without a "did you mean" (those hints cost a
    fuzzy match over the whole index each, and half of a cyclic graph's planning time went to
    them); a requested unknown attribute still gets one."""
    import ouroboros.connect.planner as planner_module

    asked = []
    real = planner_module.did_you_mean

    def counting(name, known, **kw):
        asked.append(name)
        return real(name, known, **kw)

    monkeypatch.setattr(planner_module, "did_you_mean", counting)

    ops = [
        make_resolver(lambda i: {}, name="name", output=["user/name"], doc="n"),
        make_resolver(lambda i: {}, name="x", input=["user/nme"], output=["user/x"], doc="x"),
    ]
    plan = Engine(ops, index_resolvers=False, plan_cache=None).plan("[:user/x :user/nam]")
    assert "did you mean" not in plan.unreachable["user/x"]
    assert "can't reach :user/nme" in plan.unreachable["user/x"]
    assert "did you mean :user/name" in plan.unreachable["user/nam"]
    assert asked == ["user/nam"]


def test_cyclic_random_graph_plans_consistently(monkeypatch):
    """On a random graph full of cycles the planner gives up exact search early (after 16 runs
    into a cycle) and plans in ranked mode: few attributes are expanded for those planned (the
    exact search alone used to expand 2,214 here, then 311), and every step it keeps has its
    required inputs planned before it."""
    import random

    import ouroboros.connect.planner as planner_module

    expanded = []
    plan_one = planner_module._Planner._plan

    def counting(self, attr):
        expanded.append(attr)
        return plan_one(self, attr)

    monkeypatch.setattr(planner_module._Planner, "_plan", counting)

    rng = random.Random(0)
    ops = []
    for i in range(600):
        inputs = rng.sample(range(300), rng.randint(0, 3)) if i % 10 else []
        outputs = rng.sample(range(300), rng.randint(1, 3))
        ops.append(
            make_resolver(
                lambda i: {},
                name=f"r{i}",
                input=[f"x/a{k}" for k in inputs],
                output=[f"x/a{k}" for k in outputs],
                doc="random",
            )
        )
    engine = Engine(ops, index_resolvers=False, plan_cache=None)
    query = "[" + " ".join(f":x/a{k}" for k in random.Random(1).sample(range(300), 20)) + "]"
    plan = engine.plan(query)
    assert plan.roots
    assert len(expanded) <= 4 * len(plan.nodes)
    for node in plan.nodes.values():
        for step in node.options:
            for dep in step.resolver.input.required:
                assert dep in plan.nodes, (node.attr, step.resolver.name, dep)
