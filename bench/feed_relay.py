"""Benchmark: the live event feed across processes on one DuckDB file (issue 15).

Usage: python bench/feed_relay.py [--quick] [--events N]

This process owns a fresh database file and watches its feed (a subscriber, as the dashboard's
WebSocket is). A child process opens the same file (a client of the owner), publishes N events
at a steady pace (one every 2 ms) and reports what ``events.publish`` cost it; the owner times
each event from its publish in the child to its arrival here. Then the reverse: the owner
publishes, the child watches (its relay long-polls the owner). Figures are medians and p95s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHILD = r"""
import asyncio, json, sys, time
from ouroboros.observe import events
from ouroboros.store import open_store

path, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = open_store(path, embedder=None)
assert store.role == "client", store.role
if mode == "send":
    costs = []
    for i in range(n):
        started = time.perf_counter()
        events.publish("bench", "feed", details={"i": i, "sent": time.time()})
        costs.append(time.perf_counter() - started)
        time.sleep(0.002)
    store.close()
    print(json.dumps({"publish_us": sorted(costs)[len(costs) // 2] * 1e6}))
else:
    async def watch():
        sub = events.subscribe()
        print("ready", flush=True)
        lags = []
        while len(lags) < n:
            event = await asyncio.wait_for(sub.get(), 60)
            if event["kind"] == "bench" and "origin" in event:
                lags.append(time.time() - event["details"]["sent"])
        sub.close()
        return lags
    lags = asyncio.run(watch())
    store.close()
    print(json.dumps({"lags": lags}))
"""


def _quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _child(path: str, n: int, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, path, str(n), mode],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tempfile.gettempdir(),  # not the checkout: its folders would shadow the package
    )


async def _client_to_owner(path: str, n: int) -> dict[str, Any]:
    from ouroboros.observe import events

    sub = events.subscribe()
    child = _child(path, n, "send")
    lags: list[float] = []
    while len(lags) < n:
        event = await asyncio.wait_for(sub.get(), 60)
        if event["kind"] == "bench" and "origin" in event:
            lags.append(time.time() - event["details"]["sent"])
    sub.close()
    out, _ = await asyncio.to_thread(child.communicate)
    return {"lags": lags, **json.loads(out.strip().splitlines()[-1])}


def _owner_to_client(path: str, n: int) -> list[float]:
    from ouroboros.observe import events

    child = _child(path, n, "watch")
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # its relay's first long poll takes the hub's cursor
    for i in range(n):
        events.publish("bench", "feed", details={"i": i, "sent": time.time()})
        time.sleep(0.002)
    out, _ = child.communicate(timeout=120)
    return list(json.loads(out.strip().splitlines()[-1])["lags"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few events, to check it runs")
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    n = 50 if args.quick else args.events
    from ouroboros.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "feed.duckdb")
        store = open_store(path, embedder=None)
        try:
            assert store.role == "owner"
            sent = asyncio.run(_client_to_owner(path, n))
            back = _owner_to_client(path, n)
        finally:
            store.close()
    p50, p95 = _quantiles(sent["lags"])
    q50, q95 = _quantiles(back)
    print(f"events: {n} each way; load average {os.getloadavg()[0]:.1f}")
    print(f"client publish() cost (median): {sent['publish_us']:.1f} us")
    print(f"client -> owner feed: median {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
    print(f"owner -> client feed: median {q50 * 1000:.2f} ms, p95 {q95 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
