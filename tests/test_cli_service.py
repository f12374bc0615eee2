"""`ouroboros query` and `ouroboros plan` run over the built-in resolvers and a real database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "ouroboros"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def test_query_reads_and_writes_a_real_database(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    write = run(
        "query",
        "--db",
        db,
        "--roots",
        str(tmp_path),
        '[(memory/save! {:memory/key "greeting" :memory/value "hello"})]',
        cwd=tmp_path,
    )
    assert write.returncode == 0, write.stderr
    assert json.loads(write.stdout)["memory/save!"]["memory/saved?"] is True
    read = run(
        "query",
        "--db",
        db,
        "--roots",
        str(tmp_path),
        '[:system/healthy? {[:memory/key "greeting"] [:memory/value :memory/exists?]}]',
        cwd=tmp_path,
    )
    assert read.returncode == 0, read.stderr
    data = json.loads(read.stdout)
    assert data["system/healthy?"] is True
    assert data['[:memory/key "greeting"]'] == {"memory/value": "hello", "memory/exists?": True}


def test_query_errors_are_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    bad = run("query", "--db", db, "[:no-such/attr]", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: UnreachableError:")
    assert "Traceback" not in bad.stderr
    syntax = run("query", "--db", db, "[:a {:b}]", cwd=tmp_path)
    assert syntax.returncode == 1 and "EQLSyntaxError" in syntax.stderr
    entity = run("query", "--db", db, "--entity", "{nope", "[:a]", cwd=tmp_path)
    assert entity.returncode == 1 and "--entity is not valid JSON" in entity.stderr


def test_plan_shows_the_built_in_resolvers_without_a_database(tmp_path: Path) -> None:
    out = run("plan", "--format", "json", '[{[:entity/name "A"] [:entity/type]}]', cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "entity/core" in out.stdout
    assert not list(tmp_path.iterdir())  # planning opened no database
