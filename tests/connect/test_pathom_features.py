"""Pathom 3 features (issue 12 §2): final values, the boundary interface, pluggable caches,
more plugin hooks and dynamic resolvers. Each test names the Pathom feature it translates."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from ouroboros import Engine, LRUCache, PlanCache, Plugin, final, mutation, resolver, to_edn
from ouroboros.errors import RegistrationError

# --- final values (pco/final-value) -----------------------------------------------------------


def test_final_value_is_returned_as_it_is() -> None:
    """runner: "final-value": a join over a final map or list is not processed further."""
    calls: list[Any] = []

    @resolver(output=[{"profile": ["id"]}, {"posts": ["id"]}])
    def data(_: Any) -> dict[str, Any]:
        return {
            "profile": final({"id": 1, "raw": "kept"}),
            "posts": final([{"id": 1}, {"id": 2, "extra": True}]),
        }

    @resolver(input=["id"], output=["title"])
    def title(inp: dict[str, Any]) -> dict[str, Any]:
        calls.append(inp)
        return {"title": "t"}

    out = Engine([data, title]).process("[{:profile [:title]} {:posts [:title]}]")
    assert out == {
        "profile": {"id": 1, "raw": "kept"},
        "posts": [{"id": 1}, {"id": 2, "extra": True}],
    }
    assert calls == []  # nothing inside a final value was resolved


def test_a_plain_value_next_to_a_final_one_is_still_processed() -> None:
    @resolver(output=[{"items": ["id"]}])
    def items(_: Any) -> dict[str, Any]:
        return {}

    @resolver(input=["id"], output=["name"])
    def name(inp: dict[str, Any]) -> dict[str, Any]:
        return {"name": f"n{inp['id']}"}

    entity = {"a": final([{"id": 1}]), "b": [{"id": 2}]}
    out = Engine([items, name]).process("[{:a [:name]} {:b [:name]}]", entity)
    assert out == {"a": [{"id": 1}], "b": [{"name": "n2"}]}


def test_a_mutation_returning_a_final_map_is_not_read_further() -> None:
    @mutation(name="m/make")
    def make(_: Any) -> Any:
        return final({"id": 7})

    @resolver(input=["id"], output=["name"])
    def name(_: Any) -> dict[str, Any]:
        raise AssertionError("not called for a final mutation result")

    out = Engine([make, name]).process("[{(m/make {}) [:name]}]")
    assert out == {"m/make": {"id": 7}}


# --- the boundary interface (p.eql/boundary-interface) ----------------------------------------


@resolver(input=["user/id"], output=["user/name"])
def user_name(inp: dict[str, Any]) -> dict[str, Any]:
    return {"user/name": f"user {inp['user/id']}"}


def test_boundary_interface_request_map() -> None:
    engine = Engine([user_name])
    out = engine.request({"query": "[:user/name]", "entity": {"user/id": 3}})
    assert out == {"user/name": "user 3"}
    assert engine.request("[{[:user/id 5] [:user/name]}]") == {
        ("user/id", 5): {"user/name": "user 5"}
    }


def out_error(response: dict[str, Any]) -> Any:
    assert set(response) == {"error"}
    return response["error"]


def test_boundary_interface_errors_are_data() -> None:
    """boundary-interface: a strict failure and a bad request come back as the error shape."""
    engine = Engine([user_name])
    err = out_error(engine.request({"query": "[:user/name]"}))
    assert err["type"] == "UnreachableError" and "user/name" in err["message"]
    bad = out_error(engine.request({"query": "[:user/name]", "nope": 1}))
    assert bad["type"] == "InvalidInputError" and "nope" in bad["message"]
    assert out_error(engine.request(42))["type"] == "InvalidInputError"
    assert out_error(engine.request({"query": "[:a", "lenient": True}))["type"] == "EQLSyntaxError"
    flag = out_error(engine.request({"query": "[:a]", "lenient": "yes"}))
    assert "lenient" in flag["message"]


def test_boundary_interface_lenient_and_stats() -> None:
    engine = Engine([user_name])
    out = engine.request(
        {
            "query": "[:user/name :x]",
            "entity": {"user/id": 1},
            "lenient": True,
            "include_stats": True,
        }
    )
    assert out["user/name"] == "user 1"
    assert out["ouroboros/errors"]["x"]["cause"] == "attribute-unreachable"
    stats = out["ouroboros/run-stats"]
    assert [e["name"] for e in stats["events"]] == [user_name.name]
    assert stats["plans_made"] + stats["plans_reused"] >= 1


def test_boundary_interface_async() -> None:
    engine = Engine([user_name])

    async def main() -> Any:
        return await engine.request_async({"query": "[:user/name]", "entity": {"user/id": 2}})

    assert anyio.run(main) == {"user/name": "user 2"}


# --- caches (resolver-cache*, cache-key, cache-store, plan-cache*) ----------------------------


def _counting() -> tuple[Any, list[Any]]:
    calls: list[Any] = []

    @resolver(input=["user/id"], output=["user/score"])
    def score(inp: dict[str, Any]) -> dict[str, Any]:
        calls.append(inp["user/id"])
        return {"user/score": inp["user/id"] * 10}

    return score, calls


def test_resolver_cache_store_outlives_the_request() -> None:
    """resolver-cache*: a store given to the engine keeps results across requests."""
    score, calls = _counting()
    store = LRUCache(100)
    engine = Engine([score], resolver_cache=store)
    assert engine.process("[:user/score]", {"user/id": 1}) == {"user/score": 10}
    assert engine.process("[:user/score]", {"user/id": 1}) == {"user/score": 10}
    assert engine.process("[:user/score]", {"user/id": 2}) == {"user/score": 20}
    assert calls == [1, 2]
    assert store.hits == 1 and len(store) == 2


def test_without_a_cache_store_each_request_calls_again() -> None:
    score, calls = _counting()
    engine = Engine([score])
    engine.process("[:user/score]", {"user/id": 1})
    engine.process("[:user/score]", {"user/id": 1})
    assert calls == [1, 1]


def test_failures_are_not_kept_in_the_cache_store() -> None:
    attempts: list[int] = []

    @resolver(input=["k"], output=["v"])
    def flaky(inp: dict[str, Any]) -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first call fails")
        return {"v": inp["k"]}

    engine = Engine([flaky], resolver_cache={}, lenient=True)
    first = engine.process("[:v]", {"k": 1})
    assert first["ouroboros/errors"]["v"]["cause"] == "node-exception"
    assert engine.process("[:v]", {"k": 1}) == {"v": 1}
    assert engine.process("[:v]", {"k": 1}) == {"v": 1}
    assert len(attempts) == 2


def test_per_resolver_cache_store_and_cache_false() -> None:
    """cache-store per resolver; cache? false keeps it out of every store."""
    score, calls = _counting()
    mine: dict[Any, Any] = {}
    cached = resolver(score.fn, input=["user/id"], output=["user/score"], cache_store=mine)
    engine = Engine([cached])
    engine.process("[:user/score]", {"user/id": 4})
    engine.process("[:user/score]", {"user/id": 4})
    assert calls == [4] and len(mine) == 1

    score2, calls2 = _counting()
    off = resolver(score2.fn, input=["user/id"], output=["user/score"], cache=False)
    engine2 = Engine([off], resolver_cache={})
    engine2.process("[:user/score]", {"user/id": 4})
    engine2.process("[:user/score]", {"user/id": 4})
    assert calls2 == [4, 4]


def test_cache_key_function() -> None:
    """cache-key: (env, input) -> key; inputs with the same key share one call."""
    calls: list[Any] = []

    @resolver(
        input=["user/email"],
        output=["user/domain"],
        cache_key=lambda env, inp: inp["user/email"].lower(),
    )
    def domain(inp: dict[str, Any]) -> dict[str, Any]:
        calls.append(inp["user/email"])
        return {"user/domain": inp["user/email"].split("@")[1].lower()}

    users = [{"user/email": "A@X.org"}, {"user/email": "a@x.org"}, {"user/email": "b@y.org"}]
    out = Engine([domain]).process("[{:users [:user/domain]}]", {"users": users})
    assert [u["user/domain"] for u in out["users"]] == ["x.org", "x.org", "y.org"]
    assert calls == ["A@X.org", "b@y.org"]


def test_bad_cache_declarations_are_refused() -> None:
    with pytest.raises(RegistrationError, match="cache_key"):
        resolver(lambda i: {}, output=["x"], cache_key="nope")
    with pytest.raises(RegistrationError, match="cache_store"):
        resolver(lambda i: {}, output=["x"], cache_store=[])
    with pytest.raises(RegistrationError, match="resolver_cache"):
        Engine([], resolver_cache=[])
    with pytest.raises(RegistrationError, match="plan_cache"):
        Engine([], plan_cache={})


def test_plan_cache_store_supplied_by_the_user() -> None:
    """plan-cache*: any get/put store; a fresh one per engine is filled by the first request."""
    plans = PlanCache(10)
    engine = Engine([user_name], plan_cache=plans)
    engine.process("[:user/name]", {"user/id": 1})
    assert len(plans) == 1 and plans.misses == 1
    Engine([user_name], plan_cache=plans).process("[:user/name]", {"user/id": 2})
    assert len(plans) == 2  # another engine, another index: its own plan


# --- hooks: wrap_choose_path, wrap_merge_attribute, nested wrap_run ------------------------------


def _or_engine(plugins: list[Plugin]) -> Engine:
    @resolver(output=["v"], name="fast", priority=5)
    def fast(_: Any) -> dict[str, Any]:
        return {"v": "fast"}

    @resolver(output=["v"], name="slow")
    def slow(_: Any) -> dict[str, Any]:
        return {"v": "slow"}

    return Engine([fast, slow], plugins=plugins)


def test_wrap_choose_path_picks_the_or_branch() -> None:
    """runner: "custom choose-path": a plugin decides which OR branch runs."""
    seen: list[Any] = []

    def wrap_choose_path(nxt: Any) -> Any:
        def choose(env: Any, attr: Any, options: Any) -> Any:
            default = nxt(env, attr, options)
            seen.append((str(attr), [o.resolver.name for o in default]))
            return [o for o in options if o.resolver.name == "slow"]

        return choose

    engine = _or_engine([Plugin(id="pick-slow", wrap_choose_path=wrap_choose_path)])
    assert engine.process("[:v]") == {"v": "slow"}
    assert seen == [("v", ["fast", "slow"])]  # the core order: priority first
    assert _or_engine([]).process("[:v]") == {"v": "fast"}


def test_wrap_choose_path_must_return_given_options() -> None:
    plugin = Plugin(id="bad", wrap_choose_path=lambda nxt: lambda env, attr, options: ["fast"])
    with pytest.raises(RegistrationError, match="wrap_choose_path"):
        _or_engine([plugin]).process("[:v]")


def test_wrap_merge_attribute_sees_and_changes_each_attribute() -> None:
    """plugin: wrap-merge-attribute, here redacting one attribute as it is merged."""
    seen: list[Any] = []

    def wrap_merge_attribute(nxt: Any) -> Any:
        def merge(env: Any, entity: Any, attr: Any, value: Any) -> None:
            seen.append((str(attr), env.path))
            nxt(env, entity, attr, "***" if attr == "user/email" else value)

        return merge

    @resolver(input=["user/id"], output=["user/email", "user/name"], batch=True)
    def rows(inputs: list[Any]) -> list[Any]:
        return [{"user/email": "e@x", "user/name": f"n{i['user/id']}"} for i in inputs]

    engine = Engine(
        [rows], plugins=[Plugin(id="redact", wrap_merge_attribute=wrap_merge_attribute)]
    )
    out = engine.process(
        "[{:users [:user/name :user/email]}]", {"users": [{"user/id": 1}, {"user/id": 2}]}
    )
    assert out == {
        "users": [
            {"user/name": "n1", "user/email": "***"},
            {"user/name": "n2", "user/email": "***"},
        ]
    }
    assert ("user/email", ("users", 1)) in seen


def _nested_engine(plugins: list[Plugin]) -> Engine:
    @resolver(output=[{"users": ["user/id"]}])
    def users(_: Any) -> dict[str, Any]:
        return {"users": [{"user/id": 1}, {"user/id": 2}]}

    return Engine([users, user_name], plugins=plugins)


def test_wrap_run_wraps_every_nested_run() -> None:
    """plugin: wrap-run-graph! runs for the root and every nested entity level."""
    runs: list[Any] = []

    def wrap_run(nxt: Any) -> Any:
        def handler(env: Any, level: Any, data: Any) -> Any:
            out = nxt(env, level, data)
            runs.append((env.path, len(data) if isinstance(data, list) else "root"))
            return out

        return handler

    out = _nested_engine([Plugin(id="spy", wrap_run=wrap_run)]).process("[{:users [:user/name]}]")
    assert out == {"users": [{"user/name": "user 1"}, {"user/name": "user 2"}]}
    assert runs == [(("users",), 2), ((), "root")]


def test_wrap_run_nested_async_and_root_only_hook() -> None:
    runs: list[Any] = []
    roots: list[Any] = []

    def wrap_run(nxt: Any) -> Any:
        async def handler(env: Any, level: Any, data: Any) -> Any:
            runs.append(env.path)
            return await nxt(env, level, data)

        return handler

    def wrap_root_run(nxt: Any) -> Any:
        async def handler(env: Any, level: Any, entity: Any) -> Any:
            roots.append(dict(entity))
            return await nxt(env, level, entity)

        return handler

    engine = _nested_engine(
        [Plugin(id="spy", wrap_run=wrap_run), Plugin(id="root", wrap_root_run=wrap_root_run)]
    )

    async def main() -> Any:
        return await engine.process_async("[{:users [:user/name]}]")

    assert anyio.run(main) == {"users": [{"user/name": "user 1"}, {"user/name": "user 2"}]}
    assert runs == [(), ("users",)]
    assert roots == [{}]


def test_wrap_run_must_return_the_level_results() -> None:
    def wrap_run(nxt: Any) -> Any:
        def handler(env: Any, level: Any, data: Any) -> Any:
            out = nxt(env, level, data)
            return out if not isinstance(data, list) else {"not": "a list"}

        return handler

    with pytest.raises(RegistrationError, match="wrap_run"):
        _nested_engine([Plugin(id="bad", wrap_run=wrap_run)]).process("[{:users [:user/name]}]")


# --- dynamic resolvers (dynamic-resolver? with its foreign AST) -------------------------------


def test_dynamic_resolver_is_given_the_sub_query() -> None:
    """planner: dynamic resolvers get the foreign AST of every attribute they serve at a level,
    in one call, joins with their sub-queries and params."""
    calls: list[str] = []
    remote = {"name": "Ada", "friends": [{"id": 2, "name": "Grace"}], "age": 36}

    @resolver(
        input=["id"],
        output=["name", "age", {"friends": ["id", "name"]}],
        dynamic=True,
        name="remote",
    )
    def remote_graph(env: Any, inp: dict[str, Any]) -> dict[str, Any]:
        calls.append(to_edn(env.query))
        return {n.key: remote[str(n.key)] for n in env.query.children}

    out = Engine([remote_graph]).process("[:name {(:friends {:limit 1}) [:name]} :age]", {"id": 1})
    assert out == {"name": "Ada", "friends": [{"name": "Grace"}], "age": 36}
    assert calls == ["[:name {(:friends {:limit 1}) [:name]} :age]"]


def test_dynamic_resolver_serves_inputs_of_local_resolvers() -> None:
    calls: list[str] = []

    @resolver(input=["id"], output=["first", "last"], dynamic=True, name="remote")
    def remote(env: Any, inp: dict[str, Any]) -> dict[str, Any]:
        calls.append(to_edn(env.query))
        data = {"first": "Ada", "last": "Lovelace"}
        return {n.key: data[str(n.key)] for n in env.query.children}

    @resolver(input=["first", "last"], output=["full"])
    def full(inp: dict[str, Any]) -> dict[str, Any]:
        return {"full": f"{inp['first']} {inp['last']}"}

    assert Engine([remote, full]).process("[:full]", {"id": 1}) == {"full": "Ada Lovelace"}
    assert calls == ["[:first :last]"]


def test_batch_dynamic_resolver_gets_every_entity_and_the_sub_query_once() -> None:
    """A dynamic batch resolver: one call for every entity of a list, one sub-query."""
    calls: list[Any] = []

    @resolver(input=["id"], output=["name", {"pets": ["kind"]}], dynamic=True, batch=True)
    def remote(env: Any, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        calls.append((to_edn(env.query), [i["id"] for i in inputs]))
        return [{"name": f"n{i['id']}", "pets": [{"kind": "cat"}]} for i in inputs]

    out = Engine([remote]).process(
        "[{:people [:name {:pets [:kind]}]}]", {"people": [{"id": 1}, {"id": 2}]}
    )
    assert out == {
        "people": [
            {"name": "n1", "pets": [{"kind": "cat"}]},
            {"name": "n2", "pets": [{"kind": "cat"}]},
        ]
    }
    assert calls == [("[:name {:pets [:kind]}]", [1, 2])]


# --- built-in plugins (pbip) ------------------------------------------------------------------


@resolver(input=["user/id"], output=["user/email"])
def user_email(inp: dict[str, Any]) -> dict[str, Any]:
    if inp["user/id"] == 0:
        raise RuntimeError("no such user")
    return {"user/email": f"u{inp['user/id']}@example.org"}


@mutation(name="user/notify", params="[:user/id :user/email]")
def notify(params: dict[str, Any]) -> dict[str, Any]:
    return {"sent-to": params.get("user/email"), "id": params["user/id"]}


def test_mutation_resolve_params_plugin() -> None:
    """plugin: mutation-resolve-params: declared params resolved from the given ones."""
    from ouroboros import mutation_resolve_params

    plain = Engine([user_email, notify])
    assert plain.process("[(user/notify {:user/id 1})]") == {
        "user/notify": {"sent-to": None, "id": 1}
    }
    engine = Engine([user_email, notify], plugins=[mutation_resolve_params()])
    out = engine.process("[(user/notify {:user/id 1})]")
    assert out == {"user/notify": {"sent-to": "u1@example.org", "id": 1}}
    given = engine.process('[(user/notify {:user/id 1 :user/email "x@y"})]')
    assert given == {"user/notify": {"sent-to": "x@y", "id": 1}}  # given params win

    async def main() -> Any:
        return await engine.process_async("[(user/notify {:user/id 2})]")

    assert anyio.run(main) == {"user/notify": {"sent-to": "u2@example.org", "id": 2}}


def test_mutation_resolve_params_failure_fails_the_mutation() -> None:
    from ouroboros import mutation_resolve_params
    from ouroboros.errors import ResolverError

    engine = Engine([user_email, notify], plugins=[mutation_resolve_params()])
    with pytest.raises(ResolverError, match="no such user"):
        engine.process("[(user/notify {:user/id 0})]")


REMOVING = "[{(:users {:ouroboros/remove-error-items true}) [:user/id :user/email]}]"
USERS = {"users": [{"user/id": 1}, {"user/id": 0}, {"user/id": 3}]}


def test_remove_error_items_plugin_drops_failed_items() -> None:
    """plugin: filtered-sequence-items-plugin with ::pbip/remove-error-items."""
    from ouroboros import remove_error_items
    from ouroboros.errors import ResolverError

    engine = Engine([user_email], plugins=[remove_error_items()])
    expected = {
        "users": [
            {"user/id": 1, "user/email": "u1@example.org"},
            {"user/id": 3, "user/email": "u3@example.org"},
        ]
    }
    assert engine.process(REMOVING, USERS) == expected
    assert engine.process(REMOVING, USERS, lenient=True) == expected
    with pytest.raises(ResolverError):  # without the flag the failure is the request's
        engine.process("[{:users [:user/id :user/email]}]", USERS)
    with pytest.raises(ResolverError):  # without the plugin the flag does nothing
        Engine([user_email]).process(REMOVING, USERS)


def test_remove_error_items_drops_items_failing_deeper_down() -> None:
    from ouroboros import remove_error_items

    @resolver(input=["user/id"], output=[{"user/best-friend": ["user/id"]}])
    def best(inp: dict[str, Any]) -> dict[str, Any]:
        return {"user/best-friend": {"user/id": inp["user/id"] - 1}}

    q = (
        "[{(:users {:ouroboros/remove-error-items true})"
        " [:user/id {:user/best-friend [:user/email]}]}]"
    )
    out = Engine([user_email, best], plugins=[remove_error_items()]).process(
        q, {"users": [{"user/id": 1}, {"user/id": 2}]}
    )
    assert out == {"users": [{"user/id": 2, "user/best-friend": {"user/email": "u1@example.org"}}]}
