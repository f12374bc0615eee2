"""`ouroboros mcp` as a real subprocess: a client that disconnects (closes stdin, or stdin and
stdout) ends the server with exit code 0 and no traceback, and requests already sent are
answered first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

OUROBOROS = str(Path(sys.executable).with_name("ouroboros"))


def _messages(calls: int) -> bytes:
    initialize = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "pipe", "version": "0"},
        },
    }
    lines = [initialize, {"jsonrpc": "2.0", "method": "notifications/initialized"}]
    for i in range(1, calls + 1):
        lines.append(
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "tools/call",
                "params": {"name": "query_eql", "arguments": {"query": "[:system/status]"}},
            }
        )
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _start(tmp_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [OUROBOROS, "mcp", "--db", str(tmp_path / "m.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "OUROBOROS_ROOTS": str(tmp_path)},
    )


def test_closing_stdin_answers_every_request_then_exits_0(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    # write 20 calls, then close stdin (the client is done) while they are in flight
    out, err = proc.communicate(_messages(20), timeout=120)
    assert proc.returncode == 0, err.decode()[-3000:]
    assert b"Traceback" not in err, err.decode()[-3000:]
    answers = [json.loads(line) for line in out.splitlines()]
    assert sorted(a["id"] for a in answers) == list(range(21))
    assert all("result" in a for a in answers)


def test_closing_stdin_and_stdout_exits_0(tmp_path: Path) -> None:
    with _start(tmp_path) as proc:
        assert proc.stdin and proc.stdout and proc.stderr
        proc.stdin.write(_messages(50))
        proc.stdin.flush()
        time.sleep(0.05)  # not a timed assertion: some requests are read before the pipes close
        proc.stdout.close()  # the client is gone: nobody reads the answers
        proc.stdin.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=120) == 0, err.decode()[-3000:]
    assert b"Traceback" not in err, err.decode()[-3000:]


def test_closing_stdin_before_initialize_exits_0(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    out, err = proc.communicate(b"", timeout=120)
    assert proc.returncode == 0 and out == b"", err.decode()[-3000:]
    assert b"Traceback" not in err
