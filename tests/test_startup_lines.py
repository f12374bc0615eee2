"""Issue 9 item 21: `ouroboros serve` (stdout) and `ouroboros mcp` (stderr: stdout is the
protocol) say at start-up which database, roots, git root, tool set, auth mode and search they
use. Run as a user runs them: the installed command in a subprocess, its lines read back."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ouroboros.store.search import NO_EMBEDDER_NOTE

pytestmark = pytest.mark.slow

OUROBOROS = Path(sys.executable).with_name("ouroboros")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUROBOROS_")}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path), **extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lines_until_search(
    stream, proc: subprocess.Popen, reader: list[threading.Thread]
) -> list[str]:
    """Read ``stream`` until the last start-up line (``search:``); fail if the process ends.

    The reading thread goes on to the end of ``stream`` and is put in ``reader`` (to join)."""
    got: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            got.put(line.rstrip("\n"))
        got.put(None)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    reader.append(thread)
    lines: list[str] = []
    while True:
        try:
            line = got.get(timeout=120)  # a safety net for a hung server, not a measurement
        except queue.Empty:
            raise AssertionError(f"no start-up lines yet: {lines}") from None
        if line is None:
            raise AssertionError(f"the process ended ({proc.wait()}) after: {lines}")
        lines.append(line)
        if line.lstrip().startswith("search:"):
            return lines


def _field(lines: list[str], name: str) -> str:
    found = [line.split(":", 1)[1].strip() for line in lines if line.strip().startswith(name + ":")]
    assert len(found) == 1, (name, lines)
    return found[0]


def _serve(tmp_path: Path, *args: str, **env: str) -> list[str]:
    port = _free_port()
    reader: list[threading.Thread] = []
    with subprocess.Popen(
        [str(OUROBOROS), "serve", "--port", str(port), "--log-level", "warning", *args],
        cwd=tmp_path,
        env=_env(tmp_path, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            lines = _lines_until_search(proc.stdout, proc, reader)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            for thread in reader:
                thread.join(timeout=60)
    assert lines[0].endswith(f"serving HTTP on http://127.0.0.1:{port} (/eql, /graphql, /mcp)")
    return lines


def test_serve_without_roots_or_tokens(tmp_path: Path) -> None:
    db = tmp_path / "kb.duckdb"
    lines = _serve(tmp_path, "--db", str(db), OUROBOROS_EMBEDDER="none")
    assert _field(lines, "database") == str(db)
    assert _field(lines, "roots") == "none: file tools disabled, set --roots/OUROBOROS_ROOTS"
    assert _field(lines, "git root").startswith("none: git tools disabled")
    assert _field(lines, "tools").startswith("all (") and "enabled)" in lines[4]
    assert _field(lines, "auth").startswith("loopback-only: no API tokens")
    assert _field(lines, "search") == NO_EMBEDDER_NOTE


def test_serve_with_roots_tools_and_tokens(tmp_path: Path) -> None:
    db = tmp_path / "kb.duckdb"
    made = subprocess.run(
        [str(OUROBOROS), "token", "create", "ci", "--scope", "read", "--db", str(db)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    secret = made.stdout.strip()
    lines = _serve(
        tmp_path,
        "--db",
        str(db),
        "--roots",
        f"{tmp_path},{tmp_path / 'missing'}",
        "--tools",
        "memory",
        OUROBOROS_EMBEDDER="hash",
    )
    text = "\n".join(lines)
    assert secret not in text
    assert _field(lines, "roots") == f"{tmp_path}, {tmp_path / 'missing'} (not a directory!)"
    assert _field(lines, "git root") == f"{tmp_path} (the first root)"
    assert _field(lines, "tools") == "memory (9 enabled)"
    assert _field(lines, "auth").startswith("tokens: every request but /health needs a bearer")
    assert "(1 active" in _field(lines, "auth")
    assert _field(lines, "search").startswith("semantic and keyword")


def _mcp(tmp_path: Path, *args: str, **env: str) -> tuple[list[str], str, int]:
    reader: list[threading.Thread] = []
    with subprocess.Popen(
        [str(OUROBOROS), "mcp", "--db", str(tmp_path / "kb.duckdb"), *args],
        cwd="/",
        env=_env(tmp_path, **env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stderr is not None and proc.stdout is not None and proc.stdin is not None
        try:
            lines = _lines_until_search(proc.stderr, proc, reader)
        finally:
            proc.stdin.close()  # the client leaves without a request: nothing may reach stdout
            out = proc.stdout.read()
            code = proc.wait(timeout=60)
            for thread in reader:
                thread.join(timeout=60)
    return lines, out, code


def test_mcp_writes_its_lines_to_stderr_only(tmp_path: Path) -> None:
    lines, out, code = _mcp(tmp_path, OUROBOROS_EMBEDDER="none")
    assert code == 0 and out == ""
    assert lines[0].endswith("serving MCP over stdio")
    assert _field(lines, "database") == str(tmp_path / "kb.duckdb")
    assert _field(lines, "roots") == (
        "none: file tools disabled, set --roots/OUROBOROS_ROOTS (or the client's MCP roots/list)"
    )
    assert _field(lines, "git root").startswith("none: git tools disabled")
    assert _field(lines, "auth").startswith("stdio:")
    assert _field(lines, "search") == NO_EMBEDDER_NOTE


def test_mcp_lines_follow_the_environment_and_flags(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    lines, out, code = _mcp(
        tmp_path,
        "--deny",
        "git_status",
        OUROBOROS_ROOTS=str(tmp_path),
        OUROBOROS_GIT_ROOT=str(repo),
        OUROBOROS_EMBEDDER="none",
    )
    assert code == 0 and out == ""
    assert _field(lines, "roots") == str(tmp_path)
    assert _field(lines, "git root") == str(repo)
    assert _field(lines, "tools").startswith("all, deny git_status (")
