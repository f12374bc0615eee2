"""Long resolver chains run without Python recursion (issue 12: the runner is iterative).

The planner already plans a chain of 10,000 resolvers; these tests check the runner executes
such chains, sync and async, and that a failure at the bottom of one is reported in bounded
space (the message does not repeat every link of the chain).
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from ouroboros import Engine
from ouroboros.connect.operations import Resolver, make_resolver
from ouroboros.errors import ResolverError

N = 10_000


def _link(i: int) -> Any:
    src, dst = f"a{i - 1}", f"a{i}"

    def step(inp: dict[str, Any]) -> dict[str, Any]:
        return {dst: inp[src] + 1}

    return step


def _chain(n: int, start: Any = None) -> list[Resolver]:
    def first(_: Any) -> dict[str, Any]:
        return {"a0": 0}

    ops = [make_resolver(start or first, name="r0", output=["a0"], doc="start")]
    ops += [
        make_resolver(_link(i), name=f"r{i}", input=[f"a{i - 1}"], output=[f"a{i}"], doc="link")
        for i in range(1, n)
    ]
    return ops


def test_chain_of_10000_resolvers_runs() -> None:
    engine = Engine(_chain(N), index_resolvers=False, plan_cache=None)
    assert engine.process(f"[:a{N - 1}]") == {f"a{N - 1}": N - 1}


def test_chain_of_10000_resolvers_runs_async() -> None:
    engine = Engine(_chain(N), index_resolvers=False, plan_cache=None)

    async def main() -> dict[Any, Any]:
        return await engine.process_async(f"[:a{N - 1}]")

    assert anyio.run(main) == {f"a{N - 1}": N - 1}


def test_chain_over_a_list_of_entities_runs() -> None:
    """Every entity of a list walks the whole chain (one call per link, all entities at once)."""
    n = 3_000

    def first(inp: dict[str, Any]) -> dict[str, Any]:
        return {"a0": inp["id"]}

    ops = _chain(n)
    ops[0] = make_resolver(first, name="r0", input=["id"], output=["a0"], doc="start")
    engine = Engine(ops, index_resolvers=False, plan_cache=None)
    out = engine.process(f"[{{:items [:a{n - 1}]}}]", {"items": [{"id": 1}, {"id": 5}]})
    assert out == {"items": [{f"a{n - 1}": n}, {f"a{n - 1}": n + 4}]}


def test_comb_of_async_resolvers_runs_concurrently_without_recursion() -> None:
    """a_i needs a_(i-1) and a leaf c_i: every step's inputs run as concurrent branches that
    each wait on the event loop, nested about 1,000 deep (Parallel inside Parallel)."""
    n = 1_500

    def first(_: Any) -> dict[str, Any]:
        return {"a0": 0}

    def leaf(i: int) -> Any:
        async def c(_: Any) -> dict[str, Any]:
            await anyio.sleep(0)
            return {f"c{i}": 1}

        return c

    def step(i: int) -> Any:
        def a(inp: dict[str, Any]) -> dict[str, Any]:
            return {f"a{i}": inp[f"a{i - 1}"] + inp[f"c{i}"]}

        return a

    ops = [make_resolver(first, name="r0", output=["a0"], doc="start")]
    for i in range(1, n):
        ops.append(make_resolver(leaf(i), name=f"c{i}", output=[f"c{i}"], doc="leaf"))
        ops.append(
            make_resolver(
                step(i), name=f"r{i}", input=[f"a{i - 1}", f"c{i}"], output=[f"a{i}"], doc="a"
            )
        )
    engine = Engine(ops, index_resolvers=False, plan_cache=None)

    async def main() -> dict[Any, Any]:
        return await engine.process_async(f"[:a{n - 1}]")

    assert anyio.run(main) == {f"a{n - 1}": n - 1}


def _failing_chain_engine(lenient: bool) -> Engine:
    def broken(_: Any) -> dict[str, Any]:
        raise RuntimeError("the bottom link broke")

    return Engine(_chain(N, broken), index_resolvers=False, plan_cache=None, lenient=lenient)


def test_failure_at_the_bottom_of_a_long_chain_names_the_resolver() -> None:
    with pytest.raises(ResolverError) as info:
        _failing_chain_engine(False).process(f"[:a{N - 1}]")
    message = info.value.message
    assert "Resolver r0 raised RuntimeError: the bottom link broke" in message
    assert len(message) < 2_000  # the root cause once, not every link of the chain


def test_failure_at_the_bottom_of_a_long_chain_lenient() -> None:
    out = _failing_chain_engine(True).process(f"[:a{N - 1}]")
    rec = out["ouroboros/errors"][f"a{N - 1}"]
    assert rec["cause"] == "ancestor-error"
    assert "the bottom link broke" in rec["message"]
    assert len(rec["message"]) < 2_000
