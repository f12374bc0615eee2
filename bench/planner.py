"""Planner benchmark: cold and cached planning against index sizes of 100, 1,000 and 10,000.

The index is made of groups of 10 resolvers: a chain ``g/a0 -> g/a1 -> ... -> g/a8`` and an
alternative ``g/b -> g/a4..a8``, so plans have dependency chains and OR nodes. Two queries per index size:

- fixed: 10 attributes at the ends of 10 chains (the same work whatever the index size);
- proportional: the end attribute of every 10th group (work grows with the index).

"cold" plans with no cache (``plan_attrs``); "cached" goes through ``Engine.plan_level`` with
the process-wide LRU warm.

A second table plans on random graphs (Pathom's generative planner tests as the model): 5,000
resolvers over 2,500 attributes, each needing 0-3 random attributes and giving 1-3, so there are
long chains, ORs, cycles and unreachable attributes. It reports cold µs per planned attribute
(goal ≤ 20 µs) and planning a chain of 10,000 resolvers (it must plan at all).

Run:  .venv/bin/python bench/planner.py  (``--quick`` for CI smoke)
"""

from __future__ import annotations

import argparse
import functools
import random
import time
from typing import Any

from ouroboros import Engine
from ouroboros.connect.operations import make_resolver
from ouroboros.connect.planner import plan_attrs
from ouroboros.eql.ast import Keyword


def _noop(_: Any) -> None:
    return None


def build(n_resolvers: int) -> list[Any]:
    ops = []
    for g in range(n_resolvers // 10):
        ops.append(make_resolver(_noop, name=f"g{g}/a0", output=[f"g{g}/a0", f"g{g}/b"]))
        for k in range(1, 9):
            ops.append(
                make_resolver(
                    _noop, name=f"g{g}/a{k}", input=[f"g{g}/a{k - 1}"], output=[f"g{g}/a{k}"]
                )
            )
        ops.append(
            make_resolver(
                _noop,
                name=f"g{g}/alt",
                input=[f"g{g}/b"],
                output=[f"g{g}/a{k}" for k in range(4, 9)],
            )
        )
    return ops


def timed(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repetitions")
    args = parser.parse_args()
    sizes = (100, 1000) if args.quick else (100, 1000, 10_000)
    repeat = 3 if args.quick else 20
    print(f"{'resolvers':>10} {'query':>13} {'attrs':>6} {'cold':>12} {'cached':>12} {'ratio':>8}")
    for size in sizes:
        ops = build(size)
        engine = Engine(ops, index_resolvers=False)
        groups = size // 10
        queries = {
            "fixed": [f"g{g}/a8" for g in range(0, min(groups, 10))],
            "proportional": [f"g{g}/a8" for g in range(0, groups, 10)],
        }
        for label, attrs in queries.items():
            text = "[" + " ".join(f":{a}" for a in attrs) + "]"
            _, level = engine.compile(text)
            requests = level.requests
            available: frozenset[Keyword] = frozenset()
            cold = timed(functools.partial(plan_attrs, engine.index, requests, available), repeat)
            plan = plan_attrs(engine.index, requests, available)
            assert not plan.unreachable, plan.unreachable
            engine.plan_level(level, available)  # warm the LRU
            cached = timed(functools.partial(engine.plan_level, level, available), repeat * 50)
            print(
                f"{len(ops):>10} {label:>13} {len(attrs):>6} {cold * 1e6:>9.1f} µs "
                f"{cached * 1e6:>9.2f} µs {cold / cached:>7.0f}x"
            )
    random_graphs(args.quick)


def random_graph(n_resolvers: int, n_attrs: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    ops = []
    for i in range(n_resolvers):
        inputs = rng.sample(range(n_attrs), rng.randint(0, 3)) if i % 10 else []
        outputs = rng.sample(range(n_attrs), rng.randint(1, 3))
        ops.append(
            make_resolver(
                _noop,
                name=f"r{i}",
                input=[f"x/a{k}" for k in inputs],
                output=[f"x/a{k}" for k in outputs],
            )
        )
    return ops


def random_graphs(quick: bool) -> None:
    n_resolvers, n_attrs = (500, 250) if quick else (5000, 2500)
    repeat = 3 if quick else 10
    print(f"\nrandom graphs: {n_resolvers} resolvers, {n_attrs} attributes, 20 attributes asked")
    print(f"{'seed':>5} {'planned':>8} {'unreach':>8} {'cold':>12} {'per attr':>10}")
    per_attr = []
    for seed in range(5):
        engine = Engine(random_graph(n_resolvers, n_attrs, seed), index_resolvers=False)
        rng = random.Random(seed + 100)
        requests: dict[Keyword, dict[Any, Any]] = {
            Keyword(f"x/a{k}"): {} for k in rng.sample(range(n_attrs), 20)
        }
        available: frozenset[Keyword] = frozenset()
        cold = timed(functools.partial(plan_attrs, engine.index, requests, available), repeat)
        plan = plan_attrs(engine.index, requests, available)
        planned = max(1, len(plan.nodes))
        per_attr.append(cold / planned)
        print(
            f"{seed:>5} {len(plan.nodes):>8} {len(plan.unreachable):>8} {cold * 1e6:>9.0f} µs "
            f"{cold / planned * 1e6:>7.1f} µs"
        )
    print(f"median per planned attribute: {sorted(per_attr)[len(per_attr) // 2] * 1e6:.1f} µs")
    n = 1000 if quick else 10_000
    chain = [make_resolver(_noop, name="c0", output=["c/a0"])] + [
        make_resolver(_noop, name=f"c{i}", input=[f"c/a{i - 1}"], output=[f"c/a{i}"])
        for i in range(1, n)
    ]
    engine = Engine(chain, index_resolvers=False)
    t0 = time.perf_counter()
    plan = plan_attrs(engine.index, {Keyword(f"c/a{n - 1}"): {}}, frozenset())
    took = time.perf_counter() - t0
    print(
        f"chain of {n}: {len(plan.nodes)} nodes in {took * 1e3:.0f} ms ({took / n * 1e6:.1f} µs each)"
    )


if __name__ == "__main__":
    main()
