"""process_async: concurrency proven with events (never wall-clock), threads, timeouts."""

from __future__ import annotations

import threading

import anyio
import pytest

from ouroboros import Engine, mutation, resolver
from ouroboros.errors import ResolverError, ResolverTimeoutError, UnreachableError

GUARD = 5  # seconds before a deadlock fails the test instead of hanging it


def run(coro_fn, *args):
    async def main():
        with anyio.fail_after(GUARD):
            return await coro_fn(*args)

    return anyio.run(main)


def rendezvous():
    """Two resolvers that each wait for the other: they only finish if they overlap."""
    a_started, b_started = anyio.Event(), anyio.Event()

    @resolver(output=["a"])
    async def a(_):
        a_started.set()
        await b_started.wait()
        return {"a": 1}

    @resolver(output=["b"])
    async def b(_):
        b_started.set()
        await a_started.wait()
        return {"b": 2}

    return a, b


def test_independent_async_resolvers_overlap():
    async def main():
        a, b = rendezvous()
        return await Engine([a, b]).process_async("[:a :b]")

    assert run(main) == {"a": 1, "b": 2}


def test_inputs_of_one_resolver_are_fetched_concurrently():
    async def main():
        a, b = rendezvous()

        @resolver(input=["a", "b"], output=["c"])
        def c(inp):
            return {"c": inp["a"] + inp["b"]}

        return await Engine([a, b, c]).process_async("[:c]")

    assert run(main) == {"c": 3}


def test_per_item_async_calls_of_a_list_overlap():
    async def main():
        seen = {1: anyio.Event(), 2: anyio.Event()}

        @resolver(input=["id"], output=["v"])
        async def v(inp):
            mine = inp["id"]
            seen[mine].set()
            await seen[3 - mine].wait()
            return {"v": mine * 10}

        return await Engine([v]).process_async("[{:xs [:v]}]", {"xs": [{"id": 1}, {"id": 2}]})

    assert run(main) == {"xs": [{"v": 10}, {"v": 20}]}


def test_joins_of_one_level_run_concurrently():
    async def main():
        a, b = rendezvous()
        return await Engine([a, b]).process_async("[{:x [:a]} {:y [:b]}]", {"x": {}, "y": {}})

    assert run(main) == {"x": {"a": 1}, "y": {"b": 2}}


def test_sync_resolvers_run_inline_and_blocking_ones_in_a_thread():
    main_thread = threading.get_ident()
    threads = {}

    @resolver(output=["inline"])
    def inline(_):
        threads["inline"] = threading.get_ident()
        return {"inline": 1}

    @resolver(output=["blocking"], blocking=True)
    def blocking(_):
        threads["blocking"] = threading.get_ident()
        return {"blocking": 1}

    async def main():
        return await Engine([inline, blocking]).process_async("[:inline :blocking]")

    assert run(main) == {"inline": 1, "blocking": 1}
    assert threads["inline"] == main_thread
    assert threads["blocking"] != main_thread


def test_async_timeout():
    async def main():
        never = anyio.Event()

        @resolver(output=["slow"], timeout=0.05)
        async def slow(_):
            await never.wait()
            return {"slow": 1}

        return await Engine([slow]).process_async("[:slow]")

    with pytest.raises(ResolverTimeoutError, match="timed out"):
        run(main)


def test_async_timeout_is_lenient_data():
    async def main():
        never = anyio.Event()

        @resolver(output=["slow"], timeout=0.05)
        async def slow(_):
            await never.wait()

        return await Engine([slow], lenient=True).process_async("[:slow]")

    out = run(main)
    assert out["ouroboros/errors"]["slow"]["cause"] == "node-exception"
    assert "timed out" in out["ouroboros/errors"]["slow"]["message"]


def test_async_batch_and_mutation():
    log = []

    @resolver(input=["id"], output=["v"], batch=True)
    async def v(inputs):
        log.append(len(inputs))
        return [{"v": i["id"]} for i in inputs]

    @mutation(name="x/go")
    async def go(params):
        return {"id": params["id"]}

    async def main():
        return await Engine([v, go]).process_async(
            "[{(x/go {:id 7}) [:v]} {:xs [:v]}]", {"xs": [{"id": 1}, {"id": 2}]}
        )

    assert run(main) == {"x/go": {"v": 7}, "xs": [{"v": 1}, {"v": 2}]}
    assert sorted(log) == [1, 2]


def test_async_strict_errors_are_not_exception_groups():
    @resolver(output=["a"])
    async def a(_):
        raise ValueError("bad a")

    @resolver(output=["b"])
    async def b(_):
        return {"b": 1}

    async def main():
        return await Engine([a, b]).process_async("[:a :b]")

    with pytest.raises(ResolverError, match="bad a"):
        run(main)

    async def unknown():
        return await Engine([]).process_async("[:zzz]")

    with pytest.raises(UnreachableError):
        run(unknown)


def test_sync_process_inside_a_running_loop_uses_a_thread():
    @resolver(output=["a"])
    async def a(_):
        return {"a": 1}

    engine = Engine([a])

    async def main():
        return engine.process("[:a]")

    assert run(main) == {"a": 1}


def test_shared_dependency_is_called_once_under_concurrency():
    log = []

    @resolver(output=["a"])
    async def a(_):
        log.append("a")
        await anyio.sleep(0)
        return {"a": 1}

    @resolver(input=["a"], output=["b"])
    async def b(inp):
        return {"b": inp["a"] + 1}

    @resolver(input=["a"], output=["c"])
    async def c(inp):
        return {"c": inp["a"] + 2}

    async def main():
        return await Engine([a, b, c]).process_async("[:b :c]")

    assert run(main) == {"b": 2, "c": 3}
    assert log == ["a"]
