"""Store at scale: import rate against plain DuckDB, open time, memory, read p95 (issue 10).

    .venv/bin/python bench/store_scale.py                       # 10k and 100k entities
    .venv/bin/python bench/store_scale.py --sizes 10000,100000,1000000 --calls 200
    .venv/bin/python bench/store_scale.py --quick               # 2k entities (smoke run)

Per size n (n entities, 3n observations, 2n relations — the issue's shape), each step in a
fresh process so its peak memory is its own:

1. write ``memory.jsonl`` (streamed to a temp file);
2. the floor: plain DuckDB, the same rows from the same file into three bare tables
   (``json.loads`` per line, then one ``INSERT ... SELECT unnest(...)`` per 50k rows);
3. ``ouroboros import`` of the same file into a fresh store (``Store.import_jsonl``);
4. open the store again: time to the first answer, and resident memory after open;
5. p50 / p95 over ``--calls`` calls of open_nodes (5 names), two-word keyword search,
   neighbours depth 2 and shortest_path between random entities, then the peak resident
   memory of that serving process.

Prints a markdown table; ratios are from the same run (the machine is shared, so absolute
figures move between runs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

IMPORT_SCRIPT = r"""
import json, resource, sys, time
from ouroboros.store import open_store
db, path = sys.argv[1], sys.argv[2]
t = time.perf_counter()
with open_store(db, embedder=None) as s:
    counts = s.import_jsonl(path)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "counts": counts}))
"""

FLOOR_SCRIPT = r"""
import duckdb, json, resource, sys, time
db, path = sys.argv[1], sys.argv[2]
t = time.perf_counter()
con = duckdb.connect(db)
con.execute("CREATE TABLE entities (id BIGINT, name VARCHAR, entity_type VARCHAR)")
con.execute("CREATE TABLE observations (entity_id BIGINT, seq BIGINT, content VARCHAR)")
con.execute("CREATE TABLE relations (src BIGINT, dst BIGINT, relation_type VARCHAR)")
ids = {}
ents, obs, rels = ([], [], []), ([], [], []), ([], [], [])
def flush(force=False):
    for table, cols, width in (("entities", ents, 3), ("observations", obs, 3), ("relations", rels, 3)):
        if cols[0] and (force or len(cols[0]) >= 50000):
            con.execute(f"INSERT INTO {table} SELECT " + ", ".join(["unnest(?)"] * width), list(cols))
            for c in cols:
                c.clear()
with open(path, encoding="utf-8") as fh:
    for line in fh:
        o = json.loads(line)
        if o["type"] == "entity":
            eid = ids[o["name"]] = len(ids) + 1
            ents[0].append(eid); ents[1].append(o["name"]); ents[2].append(o["entityType"])
            for text in o["observations"]:
                obs[0].append(eid); obs[1].append(len(obs[1]) + 1); obs[2].append(text)
        else:
            rels[0].append(ids[o["from"]]); rels[1].append(ids[o["to"]]); rels[2].append(o["relationType"])
        flush()
flush(True)
con.execute("CHECKPOINT")
con.close()
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak}))
"""

SERVE_SCRIPT = r"""
import json, random, resource, statistics, sys, time
t0 = time.perf_counter()
from ouroboros.store import open_store
db, n, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
s = open_store(db, embedder=None)
s.get_entity("e0")
open_s = time.perf_counter() - t
def rss():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
open_rss = rss()
rng = random.Random(7)
def lat(fn):
    ts = []
    for i in range(calls):
        a = time.perf_counter(); fn(); ts.append((time.perf_counter() - a) * 1e3)
    ts.sort()
    return [statistics.median(ts), ts[max(0, int(len(ts) * 0.95) - 1)]]
e = lambda: f"e{rng.randrange(n)}"
out = {
    "open_s": open_s,
    "open_rss_mb": open_rss,
    "open_nodes": lat(lambda: s.open_nodes([e() for _ in range(5)])),
    "search": lat(lambda: s.search(f"hobby{rng.randrange(200)} city{rng.randrange(100)}", mode="keyword")),
    "neighbours_d2": lat(lambda: s.neighbours(e(), depth=2)),
    "shortest_path": lat(lambda: s.shortest_path(e(), e())),
}
out["serving_rss_mb"] = rss()
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
s.close()
print(json.dumps(out))
"""


def write_jsonl(path: str, n: int, seed: int = 1) -> None:
    """n entities (3 observations each), then 2n relations between random entities."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            obs = [
                f"likes hobby{(i * 7 + j) % 200} and lives in city{(i + j) % 100}, fact {j}"
                for j in range(3)
            ]
            fh.write(
                json.dumps(
                    {
                        "type": "entity",
                        "name": f"e{i}",
                        "entityType": f"t{i % 20}",
                        "observations": obs,
                    }
                )
                + "\n"
            )
        for i in range(n):
            for k in range(2):
                rel = {
                    "type": "relation",
                    "from": f"e{i}",
                    "to": f"e{rng.randrange(n)}",
                    "relationType": f"r{k}",
                }
                fh.write(json.dumps(rel) + "\n")


def run(script: str, *args: str, timeout: float) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
        cwd="/",
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_size(n: int, calls: int, tmp: str, timeout: float) -> dict[str, object]:
    path = os.path.join(tmp, f"memory-{n}.jsonl")
    write_jsonl(path, n)
    floor = run(FLOOR_SCRIPT, os.path.join(tmp, f"floor-{n}.duckdb"), path, timeout=timeout)
    db = os.path.join(tmp, f"store-{n}.duckdb")
    ours = run(IMPORT_SCRIPT, db, path, timeout=timeout)
    serve = run(SERVE_SCRIPT, db, str(n), str(calls), timeout=timeout)
    os.unlink(path)
    return {"n": n, "floor": floor, "import": ours, "serve": serve}


def report(rows: list[dict[str, object]]) -> str:
    def cell(r: dict, key: str) -> str:
        med, p95 = r["serve"][key]
        return f"{med:.2f} / {p95:.2f}"

    lines = [
        "| measure | " + " | ".join(f"{r['n']:,} entities" for r in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    add = lines.append
    add(
        "| plain DuckDB bulk insert (s, entities/s) | "
        + " | ".join(
            f"{r['floor']['seconds']:.1f} s, {r['n'] / r['floor']['seconds']:,.0f}/s" for r in rows
        )
        + " |"
    )
    add(
        "| `ouroboros import` (s, entities/s, peak MB) | "
        + " | ".join(
            f"{r['import']['seconds']:.1f} s, {r['n'] / r['import']['seconds']:,.0f}/s, "
            f"{r['import']['peak_mb']:.0f} MB"
            for r in rows
        )
        + " |"
    )
    add(
        "| import rate / plain rate | "
        + " | ".join(f"{r['floor']['seconds'] / r['import']['seconds']:.2f}" for r in rows)
        + " |"
    )
    add(
        "| open (s) / resident after open (MB) | "
        + " | ".join(
            f"{r['serve']['open_s']:.2f} s / {r['serve']['open_rss_mb']:.0f} MB" for r in rows
        )
        + " |"
    )
    add(
        "| resident while serving (MB) | "
        + " | ".join(f"{r['serve']['serving_rss_mb']:.0f}" for r in rows)
        + " |"
    )
    for key, label in (
        ("open_nodes", "open_nodes, 5 names"),
        ("search", "keyword search, 2 words"),
        ("neighbours_d2", "neighbours, depth 2"),
        ("shortest_path", "shortest_path, random pair"),
    ):
        add(f"| {label} (median / p95 ms) | " + " | ".join(cell(r, key) for r in rows) + " |")
    if len(rows) > 1:
        add(
            "| p95 growth first → last size | "
            + "; ".join(
                f"{k} {rows[-1]['serve'][k][1] / rows[0]['serve'][k][1]:.1f}×"
                for k in ("open_nodes", "search", "neighbours_d2", "shortest_path")
            )
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated entity counts")
    parser.add_argument("--calls", type=int, default=300, help="calls per read operation")
    parser.add_argument("--quick", action="store_true", help="2k entities, 50 calls")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per step")
    args = parser.parse_args()
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    calls = 50 if args.quick else args.calls
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            t = time.perf_counter()
            rows.append(run_size(n, calls, tmp, args.timeout))
            print(f"# {n:,} entities done in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            print(json.dumps(rows[-1]), file=sys.stderr)
    print(report(rows))


if __name__ == "__main__":
    main()
