"""The dashboard's live feed shows what other processes on the same database do.

Real processes only: ``ouroboros serve`` (on DuckDB the first owns the file), a second
``ouroboros serve`` and ``ouroboros tools call`` (clients of the owner over its Unix socket; on
PostgreSQL each its own connection, NOTIFY / LISTEN), and the real ``websockets`` client on
``/dashboard/ws``. Waits poll the socket; nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.observe.otlp import ServeProcess, cli

pytestmark = pytest.mark.slow

WAIT = 60.0


@contextmanager
def feed(url: str) -> Iterator[ClientConnection]:
    """Open the dashboard WebSocket of ``url`` and read its hello."""
    with connect(url.replace("http://", "ws://") + "/dashboard/ws", open_timeout=30) as ws:
        hello = json.loads(ws.recv(timeout=30))
        assert hello["type"] == "hello", hello
        yield ws


def wait_event(ws: ClientConnection, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Read events until one matches (AssertionError after WAIT seconds, naming what came)."""
    deadline = time.monotonic() + WAIT
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            break
        if message.get("type") != "event":
            continue
        event = message["event"]
        if match(event):
            return event
        seen.append(f"{event['kind']} {event['name']} {event.get('origin')}")
    raise AssertionError(f"no matching event within {WAIT:g} s; saw {seen[-20:]}")


def eql(url: str, query: str) -> None:
    answer = httpx.post(
        f"{url}/eql", content=query, headers={"content-type": "application/edn"}, timeout=60
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[Any]:
    from tests.pgcluster import PgCluster, find_pg_bin

    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = PgCluster(bin_dir)
    try:
        cluster.start()
    except (RuntimeError, OSError) as exc:
        cluster.stop()
        pytest.skip(f"could not start PostgreSQL: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "duckdb":
        return str(tmp_path / "db.duckdb")
    return str(request.getfixturevalue("pg_cluster").new_database())


def test_events_of_other_processes_reach_the_dashboard(tmp_path: Path, db: str) -> None:
    (tmp_path / "files").mkdir()
    roots = tmp_path / "files"
    key = f"from-cli-{uuid.uuid4().hex[:8]}"
    with ServeProcess(db, roots, tmp_path / "first.log") as first:
        assert first.proc is not None
        with feed(first.url) as ws:
            # a short-lived CLI process writes through the owner; its tool call shows up here
            out = cli(
                "tools",
                "call",
                "memory_set",
                json.dumps({"key": key, "value": 1}),
                "--db",
                str(db),
                cwd=roots,
            )
            assert json.loads(out)["status"] == "success"
            event = wait_event(
                ws, lambda e: e["kind"] == "write" and e["name"] == "memory_set" and "origin" in e
            )
            assert event["origin"]["pid"] != first.proc.pid
            assert event["ok"] is True and event["details"]["status"] == "success"
            assert event["details"]["params"] == ["key", "value"]  # names only, as kept locally

            with ServeProcess(db, roots, tmp_path / "second.log") as second:
                assert second.proc is not None
                # a second server (a client of the first) is seen by the first's dashboard
                eql(second.url, "[:system/status]")
                seen = wait_event(
                    ws,
                    lambda e: (
                        e["kind"] == "request"
                        and e["name"] == "POST /eql"
                        and e.get("origin", {}).get("pid") == second.proc.pid
                    ),  # type: ignore[union-attr]
                )
                assert seen["details"]["status"] == 200
                # and the second's dashboard sees the first's requests, through the owner
                with feed(second.url) as ws2:
                    deadline = time.monotonic() + WAIT
                    while True:  # its relay starts reading when the WebSocket subscribes
                        eql(first.url, "[:system/meta]")
                        try:
                            wait_once = wait_event_within(ws2, first.proc.pid, 1.0)
                            break
                        except TimeoutError:
                            assert time.monotonic() < deadline, "no event from the first server"
                    assert wait_once["name"] == "POST /eql"
            # our own events are not echoed back to us
            own = [m for m in drain(ws) if m.get("origin", {}).get("pid") == first.proc.pid]
            assert own == []


def wait_event_within(ws: ClientConnection, pid: int, seconds: float) -> dict[str, Any]:
    """The next request event from process ``pid`` within ``seconds`` (TimeoutError if none)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        message = json.loads(ws.recv(timeout=left))
        event = message.get("event") or {}
        if event.get("kind") == "request" and event.get("origin", {}).get("pid") == pid:
            return event
    raise TimeoutError


def drain(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every event already waiting on the socket."""
    found = []
    while True:
        try:
            message = json.loads(ws.recv(timeout=0.2))
        except TimeoutError:
            return found
        if message.get("type") == "event":
            found.append(message["event"])
