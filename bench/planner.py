"""Planner benchmark: cold and cached planning against index sizes of 100, 1,000 and 10,000.

The index is made of groups of 10 resolvers: a chain ``g/a0 -> g/a1 -> ... -> g/a8`` and an
alternative ``g/b -> g/a4..a8``, so plans have dependency chains and OR nodes. Two queries per index size:

- fixed: 10 attributes at the ends of 10 chains (the same work whatever the index size);
- proportional: the end attribute of every 10th group (work grows with the index).

"cold" plans with no cache (``plan_attrs``); "cached" goes through ``Engine.plan_level`` with
the process-wide LRU warm. Run:  .venv/bin/python bench/planner.py  (``--quick`` for CI smoke)
"""

from __future__ import annotations

import argparse
import functools
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


if __name__ == "__main__":
    main()
