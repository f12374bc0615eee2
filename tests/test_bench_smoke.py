"""Every benchmark runs (small, with --quick) so none of them rots; figures come from full runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.slow
@pytest.mark.parametrize(
    "script",
    [
        "parse.py",
        "engine.py",
        "planner.py",
        "store.py",
        "store_scale.py",
        "http_eql_vs_graphql.py",
        "retrieval.py",
        "graphql_attack.py",
        "glob.py",
        "mcp_stdio.py",
        "feed_relay.py",
    ],
)
def test_benchmark_runs_quick(script: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "a benchmark prints its figures"


@pytest.mark.slow
@pytest.mark.node
@pytest.mark.skipif(
    shutil.which("node") is None or not (BENCH / "node" / "node_modules").is_dir(),
    reason="needs node and `npm ci` in bench/node (make test does it where npm exists)",
)
def test_mcp_benchmark_runs_quick(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "mcp_vs_memory_server.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "search_nodes" in done.stdout
