"""Many processes, one database: concurrent writers, SIGKILL mid-stream, owner hand-over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ouroboros.store import open_store

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("store_worker.py"))


def spawn(db: str, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, db, *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/",
    )


def read_until(proc: subprocess.Popen[str], count: int) -> list[str]:
    """Read stdout lines until `count` acks were seen (or the process ended)."""
    lines: list[str] = []
    assert proc.stdout is not None
    while sum(ln.startswith("ack") for ln in lines) < count:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
    return lines


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    """Read the rest of stdout/stderr through the same buffered files (communicate() would
    bypass what readline() already buffered) and wait for the exit."""
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    proc.wait(timeout=timeout)
    proc.stdout.close()
    proc.stderr.close()
    return out, err


def acked(lines: list[str]) -> list[int]:
    return [int(ln.split()[1]) for ln in lines if ln.startswith("ack")]


def check_entities(db: str, expected: dict[str, int]) -> None:
    """Every acknowledged entity is there with both observations; nothing half-written."""
    with open_store(db, embedder=None) as s:
        graph = s.read_graph()
        by_name = {e["name"]: e for e in graph["entities"]}
        for prefix, n in expected.items():
            for i in range(n):
                name = f"{prefix}-{i}"
                assert name in by_name, name
        for name, e in by_name.items():
            assert e["observations"] == [f"{name} first", f"{name} second"], name


def test_four_processes_create_1000_entities(db_path: str) -> None:
    procs = [spawn(db_path, "write", f"p{i}", "250") for i in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip().endswith("done")
    with open_store(db_path, embedder=None) as s:
        assert s.counts() == {"entities": 1000, "relations": 0, "observations": 2000}
    check_entities(db_path, {f"p{i}": 250 for i in range(4)})


def test_sigkill_mid_stream_loses_no_acknowledged_write(db_path: str) -> None:
    proc = spawn(db_path, "write", "k", "100000")
    lines = read_until(proc, 150)
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = finish(proc, 30)
    lines += [ln for ln in rest.splitlines() if ln.strip()]  # acks printed before the kill
    done = acked(lines)
    assert len(done) >= 150
    check_entities(db_path, {"k": max(done) + 1})
    with open_store(db_path, embedder=None) as s:  # and the file keeps working
        s.create_entities([{"name": "after", "entityType": "t", "observations": []}])
        assert s.get_entity("after") is not None


@pytest.mark.parametrize("how", ["close", "sigkill"])
def test_owner_exit_hands_over_to_clients_without_losing_writes(db_path: str, how: str) -> None:
    owner = spawn(db_path, "hold", stdin=subprocess.PIPE)
    assert owner.stdout is not None and owner.stdin is not None
    assert owner.stdout.readline().split() == ["ready", "owner"]
    writers = [spawn(db_path, "write", f"w{i}", "300") for i in range(2)]
    seen = [read_until(w, 40) for w in writers]  # both are mid-stream as clients
    assert all(ln.endswith("client") for s in seen for ln in s if ln.startswith("ack"))
    if how == "close":
        owner.stdin.write("close\n")
        owner.stdin.flush()
        assert owner.stdout.readline().strip() == "closed"
        owner.wait(timeout=30)
    else:
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(timeout=30)
    owner.stdin.close()
    owner.stdout.close()
    assert owner.stderr is not None
    owner.stderr.close()
    roles = set()
    for w, before in zip(writers, seen, strict=True):
        out, err = finish(w)
        assert w.returncode == 0, err
        lines = before + out.splitlines()
        assert acked(lines) == list(range(300))
        roles |= {ln.split()[2] for ln in lines if ln.startswith("ack")}
    assert "owner" in roles  # a former client took the file over
    with open_store(db_path, embedder=None) as s:
        assert s.counts()["entities"] == 600
    check_entities(db_path, {"w0": 300, "w1": 300})


def test_second_process_reads_what_the_owner_wrote(db_path: str) -> None:
    with open_store(db_path, embedder=None) as s:
        assert s.role == "owner"
        s.create_entities(
            [{"name": "Alice", "entityType": "person", "observations": ["likes tea"]}]
        )
        code = (
            "import sys, json; from ouroboros.store import open_store\n"
            "s = open_store(sys.argv[1], embedder=None)\n"
            "print(json.dumps([s.role, s.search('tea')['results'][0]['name'],"
            " s.memory_set('k', 1)['created']]))\n"
            "s.close()\n"
        )
        t0 = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-c", code, db_path],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == '["client", "Alice", true]'
        assert time.monotonic() - t0 < 60
        assert s.memory_get("k")["value"] == 1  # type: ignore[index]


def test_errors_cross_the_socket_with_their_type(db_path: str) -> None:
    with open_store(db_path, embedder=None):
        code = (
            "import sys; from ouroboros.store import open_store\n"
            "from ouroboros.errors import NotFoundError, InvalidInputError\n"
            "s = open_store(sys.argv[1], embedder=None)\n"
            "try:\n"
            "    s.add_observations([{'entityName': 'Ghost', 'contents': ['x']}])\n"
            "except NotFoundError as e:\n"
            "    print('NotFound', e.details['missing'])\n"
            "try:\n"
            "    s.create_entities([{'name': 'bad \\ud800', 'entityType': 't'}])\n"
            "except InvalidInputError:\n"
            "    print('Invalid')\n"
            "secret, rec = s.token_create('t', ['read'])\n"
            "print(s.token_verify(secret)['name'])\n"
            "s.close()\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, db_path],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split("\n")[:3] == ["NotFound ['Ghost']", "Invalid", "t"]


def test_same_process_shares_one_owner(db_path: str) -> None:
    a = open_store(db_path, embedder=None)
    b = open_store(db_path, embedder=None)
    assert a.role == b.role == "owner"
    a.create_entities([{"name": "A", "entityType": "t", "observations": []}])
    assert b.get_entity("A") is not None
    a.close()
    assert b.get_entity("A") is not None  # still open: b holds a reference
    b.close()


def test_file_held_by_a_foreign_process_gives_store_busy(db_path: str) -> None:
    from ouroboros.errors import StoreBusyError

    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "sys.stdin.readline()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, db_path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd="/",
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusyError, match="held by another process"):
            open_store(db_path, embedder=None, timeout=1.5)
    finally:
        holder.communicate("x\n", timeout=30)
    with open_store(db_path, embedder=None) as s:  # released: opens normally
        assert s.role == "owner"
