"""GraphQL attack documents: how long validation takes, and /health latency while they run.

    .venv/bin/python bench/graphql_attack.py            # depths 16, 20, 30; 20 s of attack
    .venv/bin/python bench/graphql_attack.py --quick    # smoke run (CI)

Part 1, in this process: each attack document (fragment doubling at several depths, ~58 KiB
of one repeated field, 64 KiB of aliases, the largest document within every limit, GraphiQL's
introspection query) is parsed, measured and validated by ``DocumentChecker.check_sync`` (what
``/graphql`` runs, in a worker thread), best of 3; ``--old-rules`` also times Strawberry's
``QueryDepthLimiter`` + ``MaxAliasesLimiter`` + graphql-core's rules (the code before issue 9),
with documents past ``--old-max-depth`` skipped (they double with every level).

Part 2, against a real ``ouroboros serve`` (a separate process on a free loopback port, fresh
database): /health latency alone, then while ``--attackers`` clients post fragment-doubling
documents (depth ``--attack-depth``, each with fresh fragment names so no cache helps) for
``--seconds``. Loopback only; bounded in count and time. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx


def doubling(depth: int, tag: str = "") -> str:
    """Return the fragment-doubling document: F{i} spreads F{i+1} twice, 2^depth fields."""
    parts = [f"query{{...F{tag}0}}"]
    for i in range(depth):
        parts.append(f"fragment F{tag}{i} on Query{{...F{tag}{i + 1} ...F{tag}{i + 1}}}")
    parts.append(f"fragment F{tag}{depth} on Query{{system__status}}")
    return " ".join(parts)


def documents(depths: list[int]) -> dict[str, str]:
    from graphql import get_introspection_query

    docs = {f"doubling depth {d}": doubling(d) for d in depths}
    docs["one field x 3,900 (58 KiB)"] = "{" + " system__status" * 3900 + "}"
    aliases = ""
    for i in itertools.count():
        item = f" a{i}:system__status"
        if len(aliases) + len(item) > 64 * 1024 - 2:
            break
        aliases += item
    docs["aliases (64 KiB)"] = "{" + aliases + "}"
    docs["introspection (GraphiQL)"] = get_introspection_query()
    return docs


def time_validation(
    docs: dict[str, str], *, old_rules: bool, old_max_depth: int
) -> list[dict[str, Any]]:
    from graphql import parse, specified_rules, validate
    from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

    from ouroboros.config import Settings
    from ouroboros.http.graphql import build_graphql_app
    from ouroboros.service import open_service

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db_path=str(Path(tmp) / "bench.duckdb"), roots=(tmp,))
        with open_service(settings) as service:
            view = build_graphql_app(service, settings)
            schema = view.schema._schema
            checker = view.schema.extensions[0]().checker  # the OffLoopValidation's checker
            # The worst document within every limit: scalar fields x 32 repeats, up to the
            # token limit (graphql-core's overlapping-fields rule compares repeats pairwise).
            from graphql import GraphQLScalarType, get_named_type

            scalars = [
                n
                for n, f in schema.query_type.fields.items()  # type: ignore[union-attr]
                if isinstance(get_named_type(f.type), GraphQLScalarType)
                and not any(a.type.__class__.__name__ == "GraphQLNonNull" for a in f.args.values())
            ]
            names = [n for n in scalars for _ in range(32)][: checker.max_tokens - 2]
            docs = {
                **docs,
                f"within limits: {len(names)} fields, 32 repeats": "{" + " ".join(names) + "}",
            }
            old = (
                *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
                *MaxAliasesLimiter(max_alias_count=64).validation_rules,
                *specified_rules,
            )
            for name, text in docs.items():
                best = cpu = float("inf")
                errors: list[Any] = []
                for _ in range(3):
                    t0, c0 = time.perf_counter(), time.thread_time()
                    _, errors = checker.check_sync(text, schema, tuple(specified_rules))
                    best = min(best, time.perf_counter() - t0)
                    cpu = min(cpu, time.thread_time() - c0)
                row: dict[str, Any] = {
                    "document": name,
                    "bytes": len(text),
                    "ms": best * 1000,
                    "cpu_ms": cpu * 1000,
                    "outcome": "refused" if errors else "valid",
                    "why": str(errors[0].message)[:70] if errors else "",
                }
                depth = int(name.rsplit(" ", 1)[1]) if name.startswith("doubling") else 0
                if old_rules and depth <= old_max_depth:
                    t0 = time.perf_counter()
                    try:
                        validate(schema, parse(text, max_tokens=4000), old)
                    except Exception:
                        pass
                    row["old_ms"] = (time.perf_counter() - t0) * 1000
                rows.append(row)
                old_text = f"   before: {row['old_ms']:9.1f} ms" if "old_ms" in row else ""
                print(
                    f"{name:38} {len(text):6} B  {row['ms']:8.2f} ms (cpu {row['cpu_ms']:6.2f})  "
                    f"{row['outcome']:7}"
                    f"{old_text}   {row['why']}",
                    flush=True,
                )
    return rows


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


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


async def health_latencies(client: httpx.AsyncClient, url: str, seconds: float) -> list[float]:
    out: list[float] = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        t0 = time.perf_counter()
        try:
            await client.get(url + "/health", timeout=60)
        except httpx.TransportError:
            pass
        out.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.05)
    return out


async def attack(url: str, args: argparse.Namespace, *, benign: bool = False) -> dict[str, Any]:
    """Measure /health alone, then during ``--attackers`` clients posting documents (the
    doubling attack, or with ``benign`` a plain ``{ system__status }``, for comparison)."""
    counter = itertools.count()
    answered: list[float] = []
    timeouts = 0
    stop = float("inf")  # set when the attackers start

    async def attacker(client: httpx.AsyncClient) -> None:
        nonlocal timeouts
        while time.perf_counter() < stop:
            doc = (
                "{ system__status }"
                if benign
                else doubling(args.attack_depth, tag=f"x{next(counter)}_")
            )
            t0 = time.perf_counter()
            try:
                await client.post(url + "/graphql", json={"query": doc}, timeout=args.timeout)
                answered.append((time.perf_counter() - t0) * 1000)
            except httpx.TransportError:
                timeouts += 1

    async with httpx.AsyncClient() as quiet, httpx.AsyncClient() as loud:
        alone = await health_latencies(quiet, url, min(3.0, args.seconds))
        stop = time.perf_counter() + args.seconds + 0.2
        attackers = [asyncio.create_task(attacker(loud)) for _ in range(args.attackers)]
        await asyncio.sleep(0.2)
        during = await health_latencies(quiet, url, args.seconds)
        await asyncio.gather(*attackers)
    return {"alone": alone, "during": during, "answered": answered, "timeouts": timeouts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run (smoke test)")
    parser.add_argument("--depths", default="16,20,30")
    parser.add_argument("--old-rules", action="store_true", help="also time the old rules")
    parser.add_argument("--old-max-depth", type=int, default=20)
    parser.add_argument("--attack-depth", type=int, default=30)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="per attack request")
    parser.add_argument("--no-server", action="store_true", help="part 1 only")
    parser.add_argument("--server-only", action="store_true", help="part 2 only")
    args = parser.parse_args()
    if args.quick:
        args.depths, args.seconds, args.old_max_depth = "16,30", 2.0, 12
    if not args.server_only:
        time_validation(
            documents([int(d) for d in args.depths.split(",")]),
            old_rules=args.old_rules or args.quick,
            old_max_depth=args.old_max_depth,
        )
    if args.no_server:
        return
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp))
        try:
            calm = asyncio.run(attack(url, args, benign=True))
            stats = asyncio.run(attack(url, args))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    alone, during, answered = stats["alone"], stats["during"], stats["answered"]
    print(
        f"/health alone:        p50 {pct(alone, 0.5):7.1f} ms  p99 {pct(alone, 0.99):7.1f} ms  "
        f"max {max(alone):7.1f} ms  ({len(alone)} requests)"
    )
    print(
        f"/health under attack: p50 {pct(during, 0.5):7.1f} ms  p99 {pct(during, 0.99):7.1f} ms  "
        f"max {max(during):7.1f} ms  ({len(during)} requests; {args.attackers} attackers, "
        f"depth {args.attack_depth})"
    )
    calm_during = calm["during"]
    print(
        f"/health under benign load: p50 {pct(calm_during, 0.5):7.1f} ms  p99 "
        f"{pct(calm_during, 0.99):7.1f} ms  max {max(calm_during):7.1f} ms  ({args.attackers} "
        f"clients posting {{ system__status }}, {len(calm['answered'])} answered)"
    )
    print(
        f"attack requests: {len(answered)} answered (p50 {pct(answered, 0.5):.1f} ms, max "
        f"{max(answered, default=float('nan')):.1f} ms), {stats['timeouts']} timed out "
        f"after {args.timeout:.0f} s"
    )


if __name__ == "__main__":
    main()
