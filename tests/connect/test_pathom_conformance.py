"""Behaviours checked against Pathom 3's own runner and planner tests, one test per case.

Each test is named after the Pathom case it translates (``runner_test.cljc``, ``planner_test.cljc``
and ``interface/eql_test.cljc`` of wilkerlucio/pathom3), so a difference can be traced back.
"""

from __future__ import annotations

from typing import Any

import pytest

from ouroboros import Engine, resolver
from ouroboros.errors import AttributeMissingError, ResolverError, UnreachableError

TREE = {
    "name": "a",
    "children": [{"name": "b", "children": [{"name": "c"}]}, {"name": "d"}],
}


def _tree_engine() -> Engine:
    @resolver(output=[{"tree": ["name", "children"]}])
    def tree(_: Any) -> dict[str, Any]:
        """The tree."""
        return {"tree": TREE}

    return Engine([tree])


# --- recursion -------------------------------------------------------------------------------


def test_recursive_query_over_known_data_ends_where_the_data_ends() -> None:
    """runner: "recursive query" over data whose leaves have no :children (strict mode)."""
    out = _tree_engine().process("[{:tree [:name {:children ...}]}]")
    assert out == {"tree": TREE}


def test_bounded_recursion_keeps_the_data_present_at_the_last_level() -> None:
    """runner: "bounded recursive query": past the depth, the value is kept as it is."""
    out = _tree_engine().process("[{:tree [:name {:children 1}]}]")
    assert out == {
        "tree": {
            "name": "a",
            "children": [{"name": "b", "children": [{"name": "c"}]}, {"name": "d"}],
        }
    }
    out = _tree_engine().process("[{:tree [{:children 2}]}]")
    assert out == {"tree": {"children": [{"children": [{}]}, {}]}}


def test_recursive_nested_input_is_given_the_whole_tree() -> None:
    """runner: "nested input with recursive query": the resolver sees every level."""
    kids = {1: [2, 3], 2: [4], 3: [], 4: []}

    @resolver(input=["id"], output=["name", {"children": ["id"]}])
    def node(inp: dict[str, Any]) -> dict[str, Any]:
        """A node's name and children."""
        i = inp["id"]
        return {"name": f"n{i}", "children": [{"id": k} for k in kids[i]]}

    seen: list[Any] = []

    @resolver(input="[:name {:children ...}]", output=["size"])
    def size(inp: dict[str, Any]) -> dict[str, Any]:
        """How many nodes the tree has."""
        seen.append(inp)

        def count(n: dict[str, Any]) -> int:
            return 1 + sum(count(c) for c in n.get("children", ()))

        return {"size": count(inp)}

    out = Engine([node, size]).process("[:size]", {"id": 1})
    assert out == {"size": 4}
    assert seen[0]["children"][0] == {"name": "n2", "children": [{"name": "n4", "children": []}]}


# --- placeholders ----------------------------------------------------------------------------


def test_keep_split_when_placeholder_uses_different_parameters() -> None:
    """runner/planner: "keep split when placeholder uses different parameters"."""
    calls: list[Any] = []

    @resolver(output=["x"])
    def x(env: Any, _: Any) -> dict[str, Any]:
        """Echoes its :foo param."""
        calls.append(dict(env.params))
        return {"x": env.params.get("foo")}

    out = Engine([x]).process("[(:x {:foo 1}) {:>/b [(:x {:foo 2})]} {:>/c [(:x {:foo 1})]}]")
    assert out == {"x": 1, ">/b": {"x": 2}, ">/c": {"x": 1}}
    assert calls == [{"foo": 1}, {"foo": 2}]


# --- strict mode errors ----------------------------------------------------------------------


def test_strict_resolver_missing_response_reports_every_attribute() -> None:
    """runner: "resolver missing response" — "Required attributes missing: [:foo :bar]"."""

    @resolver(output=["foo", "bar"])
    def fb(_: Any) -> dict[str, Any]:
        """Promises two attributes and returns neither."""
        return {}

    with pytest.raises(AttributeMissingError) as info:
        Engine([fb]).process("[:foo :bar]", {"user/id": 7})
    message = str(info.value)
    assert "Required attributes missing: [:foo :bar]" in message
    assert "on entity {:user/id 7" in message
    assert info.value.details["attributes"] == ["foo", "bar"]


def test_strict_all_paths_from_an_or_node_failed_names_every_branch() -> None:
    """runner: "all options fail": a branch not returning and a branch missing its input."""

    @resolver(output=["a"], name="empty", priority=1)
    def empty(_: Any) -> dict[str, Any]:
        """Returns nothing."""
        return {}

    @resolver(output=["b"], name="no-b")
    def no_b(_: Any) -> dict[str, Any]:
        """Promises :b, returns nothing."""
        return {}

    @resolver(input=["b"], output=["a"], name="needs-b")
    def needs_b(_: Any) -> dict[str, Any]:
        """Needs :b."""
        return {"a": 1}

    with pytest.raises(AttributeMissingError) as info:
        Engine([empty, no_b, needs_b]).process("[:a]")
    message = str(info.value)
    assert "All paths from an OR node failed" in message
    assert "was not returned by resolver empty" in message
    assert "input :b of resolver needs-b is missing" in message


def test_strict_every_attribute_missed_from_an_and_node() -> None:
    """runner: an AND node (two inputs) whose parents fail: every missing input is named."""

    @resolver(output=["x", "y"], name="xy")
    def xy(_: Any) -> dict[str, Any]:
        """Promises :x and :y, returns neither."""
        return {}

    @resolver(input=["x", "y"], output=["z"], name="z")
    def z(_: Any) -> dict[str, Any]:
        """Needs both."""
        return {"z": 1}

    with pytest.raises(AttributeMissingError) as info:
        Engine([xy, z]).process("[:z :x]")
    message = str(info.value)
    assert "input :x of resolver z is missing" in message
    assert "input :y of resolver z is missing" in message
    assert "[:z :x]" in message


def test_strict_exception_names_every_other_missing_attribute() -> None:
    """runner: "Exception with details" plus the other attributes that are missing."""

    @resolver(output=["boom"])
    def boom(_: Any) -> dict[str, Any]:
        """Raises."""
        raise RuntimeError("kaput")

    @resolver(output=["quiet"])
    def quiet(_: Any) -> dict[str, Any]:
        """Returns nothing."""
        return {}

    with pytest.raises(ResolverError) as info:
        Engine([boom, quiet]).process("[:boom :quiet]")
    assert "kaput" in str(info.value) and ":quiet" in str(info.value)


def test_strict_unreachable_names_the_entity() -> None:
    """planner: unreachable attributes, with the entity named (Pathom's process wrapper)."""
    with pytest.raises(UnreachableError) as info:
        Engine([]).process("[:a :b]", {"id": 1})
    assert "on entity {:id 1}" in str(info.value)
    assert set(info.value.reasons) == {"a", "b"}


# --- lenient mode ----------------------------------------------------------------------------


def test_lenient_request_for_the_error_map_itself() -> None:
    """runner: "lenient mode" querying [:err ::pcr/attribute-errors] — no entry for the map."""

    @resolver(output=["err"])
    def err(_: Any) -> dict[str, Any]:
        """Raises."""
        raise RuntimeError("bad")

    out = Engine([err], lenient=True).process("[:err :ouroboros/errors]")
    assert set(out) == {"ouroboros/errors"}
    assert set(out["ouroboros/errors"]) == {"err"}
    assert out["ouroboros/errors"]["err"]["cause"] == "node-exception"


def test_lenient_request_for_the_error_map_without_errors() -> None:
    """The error map asked for and no error: nothing to return, and no error about it."""

    @resolver(output=["ok"])
    def ok(_: Any) -> dict[str, Any]:
        """Works."""
        return {"ok": 1}

    assert Engine([ok], lenient=True).process("[:ok :ouroboros/errors]") == {"ok": 1}
    assert Engine([ok]).process("[:ok :ouroboros/errors]") == {"ok": 1}


# --- OR choice -------------------------------------------------------------------------------


def test_resolver_weight_tracker_failure_makes_a_resolver_heavier() -> None:
    """plugins: "resolver-weight-tracker" — an error doubles the weight, never lowers it."""

    @resolver(output=["a"], name="flaky", priority=1)
    def flaky(_: Any) -> dict[str, Any]:
        """Fails fast."""
        raise RuntimeError("no")

    @resolver(output=["a"], name="steady")
    def steady(_: Any) -> dict[str, Any]:
        """Works."""
        return {"a": 1}

    engine = Engine([flaky, steady])
    engine.weights["flaky"] = 0.5
    engine.process("[:a]")
    assert engine.weights["flaky"] >= 1.0


def test_path_selection_lighter_path_beats_fewer_missing_inputs() -> None:
    """path_selection: the weight sort — a lighter path wins over one needing fewer inputs."""
    log: list[str] = []

    @resolver(output=["b"], name="b")
    def b(_: Any) -> dict[str, Any]:
        """Cheap dependency."""
        log.append("b")
        return {"b": 1}

    @resolver(input=["b"], output=["a"], name="via-b")
    def via_b(_: Any) -> dict[str, Any]:
        """Light path, one input to get first."""
        log.append("via-b")
        return {"a": "b"}

    @resolver(output=["a"], name="direct")
    def direct(_: Any) -> dict[str, Any]:
        """Heavy path, no input needed."""
        log.append("direct")
        return {"a": "direct"}

    engine = Engine([b, via_b, direct])
    engine.weights.update({"b": 0.001, "via-b": 0.001, "direct": 0.5})
    assert engine.process("[:a]") == {"a": "b"}
    assert log == ["b", "via-b"]


def test_path_selection_tie_goes_to_fewer_missing_inputs_then_registration_order() -> None:
    """The tie rule when nothing is learned: fewer inputs to get, then registration order."""

    @resolver(output=["b"], name="b")
    def b(_: Any) -> dict[str, Any]:
        """Dependency."""
        return {"b": 1}

    @resolver(input=["b"], output=["a"], name="via-b")
    def via_b(_: Any) -> dict[str, Any]:
        """Needs :b."""
        return {"a": "b"}

    @resolver(output=["a"], name="first")
    def first(_: Any) -> dict[str, Any]:
        """No input."""
        return {"a": "first"}

    @resolver(output=["a"], name="second")
    def second(_: Any) -> dict[str, Any]:
        """No input either."""
        return {"a": "second"}

    assert Engine([b, via_b, first, second]).process("[:a]") == {"a": "first"}


# --- paths -----------------------------------------------------------------------------------


def test_run_graph_path_includes_sequence_positions() -> None:
    """runner: "path" — [::sequence 0], [::sequence 1], [::hold], map container keys."""

    @resolver(output=[{"hold": []}, {"sequence": []}, {"mc": []}])
    def data(_: Any) -> dict[str, Any]:
        """Containers."""
        return {"hold": {}, "sequence": [{}, {}], "mc": {"foo": {}}}

    @resolver(output=["path"], cache=False)
    def path(env: Any, _: Any) -> dict[str, Any]:
        """The entity's path."""
        return {"path": list(env.path)}

    out = Engine([data, path]).process(
        "[:path {:hold [:path]} {:sequence [:path]} {(:mc {:ouroboros/map-container? true}) [:path]}]"
    )
    assert out == {
        "path": [],
        "hold": {"path": ["hold"]},
        "sequence": [{"path": ["sequence", 0]}, {"path": ["sequence", 1]}],
        "mc": {"foo": {"path": ["mc", "foo"]}},
    }


def test_cache_false_calls_the_resolver_for_every_entity() -> None:
    """operation: ``cache? false`` — no request cache and no deduplication."""
    calls: list[Any] = []

    @resolver(output=[{"items": ["k"]}])
    def items(_: Any) -> dict[str, Any]:
        """Two items with the same key."""
        return {"items": [{"k": 1}, {"k": 1}]}

    @resolver(input=["k"], output=["v"], cache=False)
    def v(inp: dict[str, Any]) -> dict[str, Any]:
        """Counts its calls."""
        calls.append(inp)
        return {"v": len(calls)}

    assert Engine([items, v]).process("[{:items [:v]}]") == {"items": [{"v": 1}, {"v": 2}]}


# --- planner robustness ----------------------------------------------------------------------


def _noop(_: Any) -> dict[str, Any]:
    return {}


def test_planner_long_chain_plans_iteratively() -> None:
    """planner (#52, #168, #179): a chain of 10,000 resolvers plans (no recursion limit)."""
    from ouroboros.connect.operations import make_resolver

    n = 10_000
    ops = [make_resolver(_noop, name="r0", output=["a0"], doc="start")]
    ops += [
        make_resolver(_noop, name=f"r{i}", input=[f"a{i - 1}"], output=[f"a{i}"], doc="link")
        for i in range(1, n)
    ]
    plan = Engine(ops, index_resolvers=False, plan_cache=None).plan(f"[:a{n - 1}]")
    assert not plan.unreachable
    assert len(plan.nodes) == n
    assert plan.resolvers[0] == "r0" and plan.resolvers[-1] == f"r{n - 1}"


def test_planner_nested_input_cycle_is_unreachable_naming_the_cycle() -> None:
    """planner: "nested input cycle" — an UnreachableError naming the attribute and the cycle."""

    @resolver(output=[{"items": ["id"]}])
    def items(_: Any) -> dict[str, Any]:
        """Items with ids."""
        return {}

    @resolver(input=[{"items": ["y"]}], output=["y"])
    def y(_: Any) -> dict[str, Any]:
        """Needs :y of every item: itself, one level down."""
        return {}

    with pytest.raises(UnreachableError) as info:
        Engine([items, y]).process("[:y]")
    assert "y" in info.value.reasons
    assert "nested input cycle: :items [:y] -> :items [:y]" in info.value.reasons["y"]


def test_planner_cycle_through_nested_inputs_names_the_cycle() -> None:
    """planner: resolvers whose nested inputs need each other (:a needs :b needs :a)."""

    @resolver(input=[{"b": ["c"]}], output=["a"])
    def ra(_: Any) -> dict[str, Any]:
        """Needs :b."""
        return {}

    @resolver(input=[{"a": ["c"]}], output=["b"])
    def rb(_: Any) -> dict[str, Any]:
        """Needs :a."""
        return {}

    with pytest.raises(UnreachableError) as info:
        Engine([ra, rb]).process("[:a]")
    assert "cycle: :a -> :b -> :a" in info.value.reasons["a"]


def test_planner_impossible_nested_path_is_unreachable() -> None:
    """planner: "nested input requirements" that no provider can meet — unreachable, not a
    limit error."""

    @resolver(output=[{"friends": ["id"]}])
    def friends(_: Any) -> dict[str, Any]:
        """Friends with ids only."""
        return {}

    @resolver(input=[{"friends": ["score"]}], output=["total"])
    def total(_: Any) -> dict[str, Any]:
        """Needs a score no resolver gives."""
        return {}

    with pytest.raises(UnreachableError) as info:
        Engine([friends, total]).process("[:total]")
    assert ":friends [:score]" in info.value.reasons["total"]


# --- interfaces ------------------------------------------------------------------------------


def test_process_one_returns_the_value_alone() -> None:
    """interface/eql: "process-one" — the value of one attribute or join, not a map."""

    @resolver(input=["id"], output=["name", {"friends": ["id"]}])
    def person(inp: dict[str, Any]) -> dict[str, Any]:
        """A person."""
        return {"name": f"p{inp['id']}", "friends": [{"id": inp["id"] + 1}]}

    engine = Engine([person])
    assert engine.process_one({"id": 1}, "name") == "p1"
    assert engine.process_one({"id": 1}, {"friends": ["name"]}) == [{"name": "p2"}]
    with pytest.raises(UnreachableError):
        engine.process_one({}, "name")
    assert engine.process_one({}, "name", lenient=True) is None
