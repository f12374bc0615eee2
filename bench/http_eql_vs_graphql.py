"""The same query over HTTP to /eql and to /graphql of a real `ouroboros serve`, 32 clients.

    .venv/bin/python bench/http_eql_vs_graphql.py            # 4,000 requests per endpoint/query
    .venv/bin/python bench/http_eql_vs_graphql.py --quick    # 400 (CI smoke run)

The server is a separate process (`ouroboros serve` on a free loopback port, a fresh database);
the load comes from this process: ``--clients`` asyncio workers on one httpx2 AsyncClient, each
sending its next request as soon as the previous one answers, until ``--requests`` are done (or
``--seconds`` pass). Prints requests/s and p50/p99 latency per endpoint and query, and the
/graphql : /eql ratio. Loopback only; bounded in count and time. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx

QUERIES: dict[str, tuple[str, str]] = {
    # name: (EQL text, GraphQL document) — the same attributes, the same data
    "small": ("[:system/healthy?]", "{ system__healthy_QMARK_ }"),
    "nested": (
        "[:system/healthy? {:ouroboros.index/resolvers "
        "[:ouroboros.resolver/name :ouroboros.resolver/input :ouroboros.resolver/batch?]}]",
        "{ system__healthy_QMARK_ ouroboros_DOT_index__resolvers { name input batch_QMARK_ } }",
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    exe = Path(sys.executable).with_name("ouroboros")
    env = {**os.environ, "OUROBOROS_DB": str(tmp / "bench.duckdb"), "OUROBOROS_ROOTS": str(tmp)}
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("ouroboros serve exited; run it by hand to see why")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("ouroboros serve did not become ready in 60 s")


def request_for(endpoint: str, query: str) -> dict[str, Any]:
    eql, graphql = QUERIES[query]
    if endpoint == "/eql":
        return {"content": eql.encode(), "headers": {"content-type": "application/edn"}}
    return {"json": {"query": graphql}}


async def load(
    client: httpx.AsyncClient,
    url: str,
    endpoint: str,
    query: str,
    *,
    clients: int,
    total: int,
    seconds: float,
) -> dict[str, float]:
    kwargs = request_for(endpoint, query)
    latencies: list[float] = []
    failures = 0
    remaining = total
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal remaining, failures
        while remaining > 0 and time.perf_counter() < stop_at:
            remaining -= 1
            t0 = time.perf_counter()
            r = await client.post(url + endpoint, **kwargs)
            latencies.append(time.perf_counter() - t0)
            if r.status_code != 200 or (endpoint == "/graphql" and "errors" in r.json()):
                failures += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "failures": failures,
        "rps": len(latencies) / wall,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


def same_data(url: str, query: str) -> None:
    """Check both endpoints answer the same data for ``query`` (else the race is unfair)."""
    eql = httpx.post(url + "/eql", **request_for("/eql", query)).json()
    gql = httpx.post(url + "/graphql", **request_for("/graphql", query)).json()["data"]
    assert eql["system/healthy?"] is gql["system__healthy_QMARK_"] is True, (eql, gql)
    if query == "nested":
        names = [r["ouroboros.resolver/name"] for r in eql["ouroboros.index/resolvers"]]
        assert names == [r["name"] for r in gql["ouroboros_DOT_index__resolvers"]]


async def run(args: argparse.Namespace, url: str) -> list[dict[str, Any]]:
    rows = []
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        for query in QUERIES:
            same_data(url, query)
            for endpoint in ("/eql", "/graphql"):
                await load(
                    client,
                    url,
                    endpoint,
                    query,
                    clients=args.clients,
                    total=min(200, args.requests),
                    seconds=10,
                )
                stats = await load(
                    client,
                    url,
                    endpoint,
                    query,
                    clients=args.clients,
                    total=args.requests,
                    seconds=args.seconds,
                )
                rows.append({"query": query, "endpoint": endpoint, **stats})
                print(
                    f"{query:7} {endpoint:9} {stats['rps']:8.0f} req/s   p50 {stats['p50_ms']:7.2f} ms   "
                    f"p99 {stats['p99_ms']:7.2f} ms   ({stats['requests']} requests, {stats['failures']} failed)",
                    flush=True,
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 requests per run (smoke test)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=60.0, help="time cap per run")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON at the end")
    args = parser.parse_args()
    if args.quick:
        args.requests = min(args.requests, 400)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp))
        try:
            print(
                f"{args.clients} concurrent clients, {args.requests} requests per run, server {url}"
            )
            rows = asyncio.run(run(args, url))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    for query in QUERIES:
        by = {r["endpoint"]: r for r in rows if r["query"] == query}
        ratio = by["/eql"]["rps"] / by["/graphql"]["rps"]
        print(f"{query}: /eql serves {ratio:.2f}x the requests/s of /graphql")
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
