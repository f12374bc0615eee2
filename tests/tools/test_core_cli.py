"""`ouroboros tools list` and `ouroboros tools call` over a real database file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ouroboros.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_tools_list(tmp_path: Path) -> None:
    db = str(tmp_path / "t.duckdb")
    code, out = run("tools", "list", "--db", db, "--roots", str(tmp_path))
    assert code == 0
    assert out.splitlines()[0].startswith("system_status")
    assert "memory_set" in out and "(writes)" in out
    code, out = run("tools", "list", "--json", "--db", db, "--tools", "chat-safe")
    described = json.loads(out)
    assert code == 0 and len(described) == 11
    assert all(d["input_schema"]["type"] == "object" for d in described)


def test_tools_call_success_error_and_not_found(tmp_path: Path) -> None:
    db = str(tmp_path / "t.duckdb")
    code, out = run("tools", "call", "memory_set", '{"key": "k", "value": {"a": 1}}', "--db", db)
    assert code == 0 and json.loads(out)["result"] == {"key": "k", "saved": True, "created": True}
    code, out = run("tools", "call", "memory_get", '{"key": "k"}', "--db", db)
    assert code == 0 and json.loads(out)["result"]["value"] == {"a": 1}

    args = tmp_path / "args.json"
    args.write_text('{"entities": [{"name": "A", "entityType": "t", "observations": []}]}')
    code, out = run("tools", "call", "create_entities", f"@{args}", "--db", db)
    assert code == 0 and json.loads(out)["result"]["entities"][0]["name"] == "A"

    code, out = run(
        "tools", "call", "file_read", '{"path": "../x"}', "--db", db, "--roots", str(tmp_path)
    )
    assert code == 1 and json.loads(out)["error"]["type"] == "PermissionDeniedError"
    code, out = run("tools", "call", "memory_get", "not json", "--db", db)
    assert code == 1 and json.loads(out)["error"]["type"] == "InvalidInputError"
    code, out = run("tools", "call", "nope", "--db", db)
    envelope = json.loads(out)
    assert (
        code == 1
        and envelope["status"] == "not-found"
        and "memory_get" in envelope["available_tools"]
    )


def test_tools_call_query_eql_mutations_need_the_flag(tmp_path: Path) -> None:
    db = str(tmp_path / "t.duckdb")
    query = json.dumps({"query": "[(memory/clear!)]"})
    code, out = run("tools", "call", "query_eql", query, "--db", db)
    assert code == 1 and json.loads(out)["error"]["type"] == "PermissionDeniedError"
    code, out = run("tools", "call", "query_eql", query, "--db", db, "--allow-mutations")
    assert code == 0 and json.loads(out)["result"]["result"]["memory/clear!"]["memory/cleared?"]


def _cli_from_slash(tmp_path: Path, *args: str, **env: str) -> tuple[int, dict]:
    """Run the installed ``ouroboros`` in ``/`` (as MCP clients often start servers), no roots."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("OUROBOROS_")}
    clean.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path), **env)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ouroboros")), *args],
        cwd="/",
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, json.loads(done.stdout)


def test_no_roots_by_default_even_started_from_slash(tmp_path: Path) -> None:
    """Issue 9 item 13: started in / with no roots, the file tools read nothing."""
    db = str(tmp_path / "t.duckdb")
    code, out = _cli_from_slash(
        tmp_path, "tools", "call", "file_read", '{"path": "/etc/hostname"}', "--db", db
    )
    assert code == 1 and out["error"]["type"] == "PermissionDeniedError"
    assert "no file roots are configured" in out["error"]["message"]
    assert "OUROBOROS_ROOTS" in out["error"]["message"]
    code, out = _cli_from_slash(tmp_path, "tools", "call", "file_list", "{}", "--db", db)
    assert code == 1 and "result" not in out
    assert out["error"]["details"]["reason"] == "no roots configured"


def test_roots_from_env_and_flag_and_git_root(tmp_path: Path) -> None:
    import subprocess

    db = str(tmp_path / "t.duckdb")
    (tmp_path / "here.txt").write_text("hi\n")
    code, out = _cli_from_slash(
        tmp_path, "tools", "call", "file_list", "{}", "--db", db, OUROBOROS_ROOTS=str(tmp_path)
    )
    assert code == 0 and "here.txt" in [f["name"] for f in out["result"]["files"]]
    code, out = _cli_from_slash(
        tmp_path,
        "tools",
        "call",
        "file_read",
        '{"path": "here.txt"}',
        "--db",
        db,
        "--roots",
        str(tmp_path),
    )
    assert code == 0 and out["result"]["content"] == "hi\n"
    outside = _cli_from_slash(
        tmp_path,
        "tools",
        "call",
        "file_read",
        '{"path": "/etc/hostname"}',
        "--db",
        db,
        "--roots",
        str(tmp_path),
    )
    assert outside[0] == 1 and "outside the roots" in outside[1]["error"]["message"]

    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(repo)], check=True)
    code, out = _cli_from_slash(tmp_path, "tools", "call", "git_status", "{}", "--db", db)
    assert code == 1 and "no git repository is configured" in out["error"]["message"]
    code, out = _cli_from_slash(
        tmp_path, "tools", "call", "git_status", "{}", "--db", db, "--git-root", str(repo)
    )
    assert code == 0 and out["result"]["branch"] == "trunk"
    code, out = _cli_from_slash(
        tmp_path, "tools", "call", "git_status", "{}", "--db", db, OUROBOROS_GIT_ROOT=str(repo)
    )
    assert code == 0 and out["result"]["branch"] == "trunk"
    code, out = _cli_from_slash(  # the first root, when no git root is given
        tmp_path, "tools", "call", "git_status", "{}", "--db", db, "--roots", f"{repo},{tmp_path}"
    )
    assert code == 0 and out["result"]["branch"] == "trunk"
