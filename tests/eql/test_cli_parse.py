"""`ouroboros parse`: the AST as JSON or EDN; a bad query is one line, the context and a caret."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ouroboros.cli import main


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_parse_prints_the_ast_as_json() -> None:
    code, out, _ = run("parse", "[:a {(:b {:limit 2}) [:c]} [:user/id 1]]")
    assert code == 0
    ast = json.loads(out)
    assert ast["type"] == "root"
    a, b, ident = ast["children"]
    assert a == {"type": "prop", "key": ":a", "dispatch_key": ":a", "params": {}}
    assert b["type"] == "join" and b["params"] == {":limit": 2} and b["query"] == [":c"]
    assert ident["key"] == [":user/id", 1]


def test_parse_prints_canonical_edn() -> None:
    code, out, _ = run("parse", "--format", "edn", "[ :a , {:b [:c]} ; comment\n (x/y! {:z 1}) ]")
    assert code == 0
    assert out == "[:a {:b [:c]} (x/y! {:z 1})]\n"


def test_parse_reads_stdin_and_files(tmp_path: Path) -> None:
    assert run("parse", "--format", "edn", stdin="[:from/stdin]")[1] == "[:from/stdin]\n"
    assert run("parse", "--format", "edn", "-", stdin="[:dash]")[1] == "[:dash]\n"
    query = tmp_path / "q.eql"
    query.write_text("[:from/file]", encoding="utf-8")
    assert run("parse", "--format", "edn", f"@{query}")[1] == "[:from/file]\n"


def test_bad_query_is_one_line_then_context_and_caret() -> None:
    code, out, err = run("parse", "[:a\n {:b [:c] :d [:e]}]")
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines == [
        "error: EQLSyntaxError: a join map must have exactly one entry, found 2 at line 2, column 11",
        " {:b [:c] :d [:e]}]",
        "          ^",
    ]
    assert "Traceback" not in err


def test_missing_file_is_a_clear_error() -> None:
    code, _, err = run("parse", "@/no/such/file.eql")
    assert code != 0
    assert "Could not open file" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_installed_console_script() -> None:
    script = shutil.which("ouroboros", path=str(Path(sys.executable).parent))
    assert script, "the ouroboros console script is installed next to the interpreter"
    good = subprocess.run(
        [script, "parse", "--format", "edn", "[:a {:b [:c]}]"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert good.stdout == "[:a {:b [:c]}]\n"
    bad = subprocess.run(
        [script, "parse", "[:a (:b 1)]"], capture_output=True, text=True, timeout=60, check=False
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.splitlines() == [
        "error: EQLSyntaxError: params must be a map {...}, found a number 1 at line 1, column 9",
        "[:a (:b 1)]",
        "        ^",
    ]
