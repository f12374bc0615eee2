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
