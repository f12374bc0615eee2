"""Per-call costs the engine avoids: selector code shared across queries, per-call ``blocking``."""

from __future__ import annotations

import threading

import anyio
import pytest

from ouroboros import Engine, resolver
from ouroboros.connect import levels
from ouroboros.connect.levels import compile_query
from ouroboros.connect.shapes import keyword
from ouroboros.eql import parse


def _users() -> Engine:
    @resolver(input=["user/id"], output=["user/name", "user/age"])
    def user(inp):
        return {"user/name": f"u{inp['user/id']}", "user/age": inp["user/id"] * 10}

    return Engine([user])


def test_selector_code_is_shared_across_ident_values_and_results_stay_right():
    engine = _users()
    levels._selector_template.cache_clear()
    for i in range(1, 6):
        result = engine.process(f"[{{[:user/id {i}] [:user/name :user/age]}}]")
        assert result == {("user/id", i): {"user/name": f"u{i}", "user/age": i * 10}}
    info = levels._selector_template.cache_info()
    assert info.misses <= 2  # one template per (props, extras) shape, not one per query
    assert info.hits >= 4


def test_selector_binds_each_levels_own_keys():
    one = compile_query(parse("[:a :b]"))
    two = compile_query(parse("[:c :d]"))
    rows = [{"a": 1, "b": 2, "c": 3, "d": 4}]
    rows = [{keyword(k): v for k, v in r.items()} for r in rows]
    assert one.selector()(rows) == [{keyword("a"): 1, keyword("b"): 2}]
    assert two.selector()(rows) == [{keyword("c"): 3, keyword("d"): 4}]
    assert one.selector().__code__ is two.selector().__code__


def test_blocking_predicate_decides_per_call_where_a_sync_resolver_runs():
    threads: list[str] = []
    decisions: list[bool] = []

    def decide(env):
        flag = bool(env.context.get("slow"))
        decisions.append(flag)
        return flag

    @resolver(output=["where"], blocking=decide)
    def where(_inp):
        threads.append(threading.current_thread().name)
        return {"where": "ok"}

    engine = Engine([where])

    async def run(slow: bool) -> dict:
        return await engine.process_async("[:where]", context={"slow": slow})

    loop_thread = threading.current_thread().name
    assert anyio.run(run, False) == {"where": "ok"}
    assert anyio.run(run, True) == {"where": "ok"}
    assert decisions[0] is False and set(decisions[1:]) == {True}
    assert threads[0] == loop_thread  # inline on the event loop
    assert threads[1] != loop_thread  # in a worker thread
    assert engine.process("[:where]") == {"where": "ok"}  # the sync driver runs it inline


def test_parallel_branches_mix_inline_and_threaded_resolvers():
    threads: dict[str, str] = {}

    def make(name: str, blocking: bool):
        @resolver(input=["id"], output=[name], name=f"r/{name}", blocking=blocking)
        def fn(inp):
            threads[name] = threading.current_thread().name
            return {name: f"{name}-{inp['id']}"}

        return fn

    @resolver(output=[{"items": ["id"]}, {"other": ["id"]}])
    def roots(_inp):
        return {"items": [{"id": 1}, {"id": 2}], "other": [{"id": 3}]}

    engine = Engine([roots, make("fast", False), make("slow", True), make("also", False)])
    query = "[{:items [:fast :slow]} {:other [:also :fast]}]"

    async def run() -> tuple[dict, str]:
        return await engine.process_async(query), threading.current_thread().name

    result, loop_thread = anyio.run(run)
    assert result == {
        "items": [{"fast": "fast-1", "slow": "slow-1"}, {"fast": "fast-2", "slow": "slow-2"}],
        "other": [{"also": "also-3", "fast": "fast-3"}],
    }
    assert threads["also"] == loop_thread
    assert threads["slow"] != loop_thread
    assert result == engine.process(query)


def test_an_error_in_an_inline_branch_is_raised_as_is():
    from ouroboros.errors import ResolverError

    @resolver(output=[{"a": ["x"]}, {"b": ["y"]}])
    def roots(_inp):
        return {"a": [{}], "b": [{}]}

    @resolver(output=["x"], blocking=True)
    def x(_inp):
        return {"x": 1}

    @resolver(output=["y"])
    def y(_inp):
        raise ValueError("boom")

    engine = Engine([roots, x, y])

    async def run() -> dict:
        return await engine.process_async("[{:a [:x]} {:b [:y]}]")

    with pytest.raises(ResolverError, match="boom"):
        anyio.run(run)
