"""Store benchmark: per-operation latency of the DuckDB knowledge store at 1k / 10k / 100k entities.

    .venv/bin/python bench/store.py                 # 1k, 10k, 100k
    .venv/bin/python bench/store.py --sizes 1000,10000
    .venv/bin/python bench/store.py --quick         # 1k only, fewer calls (CI smoke run)

Each size: a fresh database file, bulk load (3 observations and ~1 relation per entity), then
median and p95 over many calls of: keyword search (two words), open_nodes (3 names),
add_observations (1 new observation), create_entities (1 entity), neighbours to depth 2 — in
the owning process, and the same reads/writes from a second process over the owner's socket.
Reference (measured on this machine class, official MCP memory server at 10k entities):
search_nodes ~60 ms, add_observations ~95 ms, open_nodes ~51 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from ouroboros.store import open_store

HOBBIES = [f"hobby{h}" for h in range(200)]
CITIES = [f"city{c}" for c in range(100)]
OFFICIAL_10K_MS = {"search": 60.0, "add_observations": 95.0, "open_nodes": 51.0}

CLIENT_SCRIPT = r"""
import json, random, statistics, sys, time
from ouroboros.store import open_store
db, n, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = open_store(db, embedder=None)
assert s.role == "client", s.role
rng = random.Random(7)
def lat(fn):
    ts = []
    for i in range(calls):
        t = time.perf_counter(); fn(i); ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    return [statistics.median(ts), ts[int(len(ts) * 0.95) - 1]]
out = {
    "get_entity": lat(lambda i: s.get_entity(f"person{rng.randrange(n)}")),
    "search": lat(lambda i: s.search(f"person{rng.randrange(n)} hobby{rng.randrange(200)}", mode="keyword")),
    "add_observations": lat(lambda i: s.add_observations(
        [{"entityName": f"person{rng.randrange(n)}", "contents": [f"client fact {i}"]}])),
}
s.close()
print(json.dumps(out))
"""


def entity(i: int) -> dict:
    return {
        "name": f"person{i}",
        "entityType": "person",
        "observations": [
            f"likes {HOBBIES[i % len(HOBBIES)]} and {HOBBIES[(i * 7) % len(HOBBIES)]}",
            f"lives in {CITIES[i % len(CITIES)]}",
            f"joined in {2000 + i % 25} as member number {i}",
        ],
    }


def latency(fn: Callable[[int], object], calls: int) -> tuple[float, float]:
    ts = []
    for i in range(calls):
        t = time.perf_counter()
        fn(i)
        ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    return statistics.median(ts), ts[max(0, int(len(ts) * 0.95) - 1)]


def run_size(n: int, calls: int, tmp: str) -> dict[str, object]:
    db = os.path.join(tmp, f"bench-{n}.duckdb")
    rng = random.Random(42)
    row: dict[str, object] = {"n": n}
    with open_store(db, embedder=None) as s:
        t0 = time.perf_counter()
        for start in range(0, n, 1000):
            s.create_entities([entity(i) for i in range(start, min(n, start + 1000))])
        for start in range(0, n, 1000):
            s.create_relations(
                [
                    {
                        "from": f"person{i}",
                        "to": f"person{(i * 7 + 1) % n}",
                        "relationType": "knows",
                    }
                    for i in range(start, min(n, start + 1000))
                ]
            )
        s.checkpoint()
        row["bulk_load_s"] = time.perf_counter() - t0
        reopen0 = time.perf_counter()
    with open_store(db, embedder=None) as s:
        row["open_s"] = time.perf_counter() - reopen0
        row["search"] = latency(
            lambda i: s.search(f"person{rng.randrange(n)} {rng.choice(HOBBIES)}", mode="keyword"),
            calls,
        )
        row["search_common"] = latency(
            lambda i: s.search(rng.choice(CITIES), mode="keyword"), calls
        )
        row["open_nodes"] = latency(
            lambda i: s.open_nodes([f"person{rng.randrange(n)}" for _ in range(3)]), calls
        )
        row["add_observations"] = latency(
            lambda i: s.add_observations(
                [{"entityName": f"person{rng.randrange(n)}", "contents": [f"new fact {i}"]}]
            ),
            calls,
        )
        row["create_entities"] = latency(
            lambda i: s.create_entities(
                [{"name": f"new{i}", "entityType": "t", "observations": ["x"]}]
            ),
            calls,
        )
        row["neighbours_d2"] = latency(
            lambda i: s.neighbours(f"person{rng.randrange(n)}", depth=2), calls
        )
        # A second process: a client over the owner's Unix socket.
        out = subprocess.run(
            [sys.executable, "-c", CLIENT_SCRIPT, db, str(n), str(calls)],
            capture_output=True,
            text=True,
            check=True,
            cwd="/",
        )
        for k, v in json.loads(out.stdout).items():
            row[f"client_{k}"] = tuple(v)
        row["owner_get_entity"] = latency(
            lambda i: s.get_entity(f"person{rng.randrange(n)}"), calls
        )
    return row


OPS = [
    ("search", "keyword search, 2 words"),
    ("search_common", "keyword search, 1 word in 1% of entities"),
    ("open_nodes", "open_nodes, 3 names"),
    ("add_observations", "add_observations, 1 new"),
    ("create_entities", "create_entities, 1 new"),
    ("neighbours_d2", "neighbours, depth 2"),
    ("owner_get_entity", "get_entity (owner, in-process)"),
    ("client_get_entity", "get_entity (client process, over socket)"),
    ("client_search", "keyword search (client process)"),
    ("client_add_observations", "add_observations (client process)"),
]


def report(rows: list[dict[str, object]]) -> str:
    sizes = [r["n"] for r in rows]
    head = "| operation (median / p95 ms) | " + " | ".join(f"{n:,}" for n in sizes)
    lines = [head + " | growth first→last (median) |", "|---|" + "---|" * (len(sizes) + 1)]
    for key, label in OPS:
        cells = [f"{r[key][0]:.3f} / {r[key][1]:.3f}" for r in rows]  # type: ignore[index]
        growth = rows[-1][key][0] / rows[0][key][0]  # type: ignore[index]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {growth:.2f}× |")
    lines.append(
        "| bulk load (s) | " + " | ".join(f"{r['bulk_load_s']:.2f}" for r in rows) + " | |"
    )
    lines.append(
        "| open (load + index, s) | " + " | ".join(f"{r['open_s']:.2f}" for r in rows) + " | |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="comma-separated entity counts"
    )
    parser.add_argument("--quick", action="store_true", help="1k entities, 50 calls per operation")
    parser.add_argument("--calls", type=int, default=500, help="calls per operation")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    calls = 50 if args.quick else args.calls
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            t = time.perf_counter()
            rows.append(run_size(n, calls, tmp))
            print(f"# {n:,} entities done in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    print(report(rows))
    ten = next((r for r in rows if r["n"] == 10_000), None)
    if ten is not None:
        print()
        for key, ref in OFFICIAL_10K_MS.items():
            med = ten[key][0]  # type: ignore[index]
            print(
                f"- {key} at 10k: {med:.3f} ms vs official ~{ref:.0f} ms -> {ref / med:.0f}× faster"
            )


if __name__ == "__main__":
    main()
