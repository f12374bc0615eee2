"""The same MCP tool-call script over stdio against the official memory server and `ouroboros mcp`.

Both servers are spawned as subprocesses and driven by the same Python `mcp` client over stdio
(the 2025-11-25 handshake for both, so only the servers differ). Both start from the same graph:
N entities (3 observations each) and N-1 relations, written as the official server's
``memory.jsonl`` (its own storage) and loaded into Ouroboros with ``ouroboros import``.

Per operation it prints the median and p95 latency of each server and the ratio
(official median / ours median). Goal (issue #6): at least 20x faster per operation at 10k.

    .venv/bin/python bench/mcp_vs_memory_server.py                 # 1k and 10k entities
    .venv/bin/python bench/mcp_vs_memory_server.py --sizes 100000  # any sizes
    .venv/bin/python bench/mcp_vs_memory_server.py --quick         # small, to prove it works

Needs ``npm ci`` in ``bench/node`` (the official ``@modelcontextprotocol/server-memory``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "bench" / "node"
MEMORY_SERVER = (
    NODE_DIR / "node_modules" / "@modelcontextprotocol" / "server-memory" / "dist" / "index.js"
)
OUROBOROS = Path(sys.executable).with_name("ouroboros")

OPERATIONS = (
    "create_entities",
    "create_relations",
    "add_observations",
    "search_nodes",
    "open_nodes",
)
TYPES = ("person", "project", "place", "concept", "event")


def entity_name(i: int) -> str:
    return f"entity-{i}"


def write_memory_jsonl(path: Path, n: int) -> None:
    """Write N entities (3 observations each) and a chain of N-1 relations in the official format."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            record = {
                "type": "entity",
                "name": entity_name(i),
                "entityType": TYPES[i % len(TYPES)],
                "observations": [
                    f"codename kw{i}q",
                    f"works on topic {i % 97}",
                    f"joined in {2000 + i % 25}",
                ],
            }
            fh.write(json.dumps(record) + "\n")
        for i in range(n - 1):
            relation = {
                "type": "relation",
                "from": entity_name(i),
                "to": entity_name(i + 1),
                "relationType": "knows",
            }
            fh.write(json.dumps(relation) + "\n")


def script(n: int, reps: int) -> dict[str, list[dict[str, Any]]]:
    """The tool calls per operation: distinct arguments each time, the same for both servers."""
    step = max(1, n // (reps + 1))
    picks = [(k * step + 7) % n for k in range(reps)]
    return {
        "create_entities": [
            {
                "entities": [
                    {
                        "name": f"new-{k}",
                        "entityType": "bench",
                        "observations": [f"made in round {k}"],
                    }
                ]
            }
            for k in range(reps)
        ],
        "create_relations": [
            {
                "relations": [
                    {
                        "from": entity_name(i),
                        "to": entity_name((i * 7 + 3) % n),
                        "relationType": "cites",
                    }
                ]
            }
            for i in picks
        ],
        "add_observations": [
            {"observations": [{"entityName": entity_name(i), "contents": [f"bench note {k}"]}]}
            for k, i in enumerate(picks)
        ],
        "search_nodes": [{"query": f"kw{i}q"} for i in picks],
        "open_nodes": [
            {"names": [entity_name(i), entity_name((i + 1) % n), entity_name((i * 3) % n)]}
            for i in picks
        ],
    }


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def measure(
    params: StdioServerParameters, calls: dict[str, list[dict[str, Any]]]
) -> dict[str, list[float]]:
    """Run every call once over one stdio connection; return the latencies (ms) per operation."""
    timings: dict[str, list[float]] = {op: [] for op in OPERATIONS}
    with open(os.devnull, "w") as devnull:
        async with Client(stdio_client(params, errlog=devnull), mode="legacy") as client:
            await client.list_tools()
            for op in OPERATIONS:  # warm up: one throwaway call of each read
                if op in {"search_nodes", "open_nodes"}:
                    await client.call_tool(op, calls[op][0])
            for op in OPERATIONS:
                for arguments in calls[op]:
                    started = time.perf_counter()
                    result = await client.call_tool(op, arguments)
                    timings[op].append((time.perf_counter() - started) * 1000.0)
                    if result.is_error:
                        text = result.content[0].text if result.content else ""
                        raise RuntimeError(f"{op} failed: {text[:300]}")
    return timings


def official_params(memory_file: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=shutil.which("node") or "node",
        args=[str(MEMORY_SERVER)],
        env={"MEMORY_FILE_PATH": str(memory_file)},
    )


def ouroboros_params(db: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(OUROBOROS),
        args=["mcp", "--db", str(db), "--tools", "memory"],
        env={"OUROBOROS_RATE_LIMIT": "0"},
        cwd=str(db.parent),
    )


def import_into_ouroboros(jsonl: Path, db: Path) -> None:
    done = subprocess.run(
        [str(OUROBOROS), "import", str(jsonl), "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=str(db.parent),
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ouroboros import failed: {done.stderr.strip()[-2000:]}")


def run_size(n: int, reps: int, workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    data = workdir / f"graph-{n}.jsonl"
    write_memory_jsonl(data, n)
    calls = script(n, reps)

    memory_file = workdir / f"official-{n}.jsonl"
    shutil.copyfile(data, memory_file)
    log(f"  official memory server, {n} entities ...")
    theirs = anyio.run(measure, official_params(memory_file), calls)

    db = workdir / f"ouroboros-{n}.duckdb"
    log(f"  ouroboros import + mcp, {n} entities ...")
    started = time.perf_counter()
    import_into_ouroboros(data, db)
    import_s = time.perf_counter() - started
    ours = anyio.run(measure, ouroboros_params(db), calls)

    rows = []
    for op in OPERATIONS:
        t_med, o_med = statistics.median(theirs[op]), statistics.median(ours[op])
        rows.append(
            {
                "operation": op,
                "official_median_ms": t_med,
                "official_p95_ms": quantile(theirs[op], 0.95),
                "ouroboros_median_ms": o_med,
                "ouroboros_p95_ms": quantile(ours[op], 0.95),
                "ratio": t_med / o_med if o_med > 0 else float("inf"),
            }
        )
    return {"entities": n, "reps": reps, "import_s": import_s, "rows": rows}


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        "| entities | operation | official median / p95 (ms) | ouroboros median / p95 (ms) | ratio (median) |",
        "|---:|---|---:|---:|---:|",
    ]
    for result in results:
        for row in result["rows"]:
            lines.append(
                f"| {result['entities']:,} | {row['operation']} "
                f"| {row['official_median_ms']:.2f} / {row['official_p95_ms']:.2f} "
                f"| {row['ouroboros_median_ms']:.2f} / {row['ouroboros_p95_ms']:.2f} "
                f"| {row['ratio']:.1f}x |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,10000", help="comma list of entity counts (default 1000,10000)"
    )
    parser.add_argument("--reps", type=int, default=30, help="calls per operation (default 30)")
    parser.add_argument("--quick", action="store_true", help="200 entities, 5 calls per operation")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    if not MEMORY_SERVER.exists():
        print(f"missing {MEMORY_SERVER}: run `npm ci` in {NODE_DIR}", file=sys.stderr)
        return 2
    if not OUROBOROS.exists():
        print(
            f"missing {OUROBOROS}: install ouroboros in this interpreter's environment",
            file=sys.stderr,
        )
        return 2
    sizes = [200] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    reps = 5 if args.quick else args.reps

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results = []
    with tempfile.TemporaryDirectory(prefix="ouroboros-bench-mcp-") as tmp:
        for n in sizes:
            log(f"{n} entities, {reps} calls per operation")
            results.append(run_size(n, reps, Path(tmp), log))
    print(render(results))
    for result in results:
        print(
            f"\n{result['entities']:,} entities: ouroboros import took {result['import_s']:.1f} s"
        )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
