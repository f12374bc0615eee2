"""Benchmark: the round trip of `ouroboros mcp` over stdio, one request at a time.

Usage: python bench/mcp_stdio.py [--quick] [--calls N] [--cmd "ouroboros mcp"]

A raw JSON-RPC client (no SDK, so the figure is the server's transport plus its dispatch)
spawns the server on pipes, does the handshake, then times ``ping`` (transport and dispatch
only) and ``tools/call query_eql [:system/version]`` (a real tool call), one after another,
in alternating rounds; the figure per kind is the best round's median (the round least
disturbed by other load on a shared machine). ``--cmd`` runs another server command, to
compare two builds of the transport.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _request(proc: subprocess.Popen[bytes], msg: dict[str, Any]) -> dict[str, Any]:
    assert proc.stdin and proc.stdout
    proc.stdin.write(json.dumps(msg).encode() + b"\n")
    proc.stdin.flush()
    while True:
        reply = json.loads(proc.stdout.readline())
        if reply.get("id") == msg.get("id"):
            return reply


def _round(proc: subprocess.Popen[bytes], kind: str, calls: int, first_id: int) -> list[float]:
    times = []
    for i in range(calls):
        if kind == "ping":
            msg: dict[str, Any] = {"jsonrpc": "2.0", "id": first_id + i, "method": "ping"}
        else:
            msg = {
                "jsonrpc": "2.0",
                "id": first_id + i,
                "method": "tools/call",
                "params": {"name": "query_eql", "arguments": {"query": "[:system/version]"}},
            }
        start = time.perf_counter()
        reply = _request(proc, msg)
        times.append((time.perf_counter() - start) * 1000)
        assert "result" in reply, reply
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cmd", default=str(Path(sys.executable).with_name("ouroboros")) + " mcp")
    args = parser.parse_args()
    calls, rounds = (20, 1) if args.quick else (args.calls, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [*shlex.split(args.cmd), "--db", os.path.join(tmp, "b.duckdb")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        init = {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        }
        _request(proc, init)
        assert proc.stdin
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        best: dict[str, float] = {}
        next_id = 1
        for _ in range(rounds):
            for kind in ("ping", "tool"):
                median = statistics.median(_round(proc, kind, calls, next_id))
                next_id += calls
                best[kind] = min(best.get(kind, median), median)
        proc.stdin.close()
        code = proc.wait(timeout=60)
    print(f"server: {args.cmd}  ({rounds} rounds x {calls} calls, best round's median)")
    print(f"ping round trip            {best['ping']:.3f} ms")
    print(f"tools/call query_eql       {best['tool']:.3f} ms")
    print(f"exit code after stdin EOF  {code}")
    if code != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
