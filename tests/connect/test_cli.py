"""The `ouroboros plan` and `ouroboros query` commands over the built-in resolvers."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ouroboros.cli import main

INDEX_QUERY = "[{:ouroboros.index/resolvers [:ouroboros.resolver/name]}]"


def test_plan_text_and_formats():
    runner = CliRunner()
    out = runner.invoke(main, ["plan", INDEX_QUERY])
    assert out.exit_code == 0, out.output
    assert "resolver ouroboros.index/resolvers" in out.output
    for fmt, start in [("dot", "digraph"), ("mermaid", "flowchart"), ("json", "{")]:
        out = runner.invoke(main, ["plan", INDEX_QUERY, "--format", fmt])
        assert out.exit_code == 0 and out.output.startswith(start), out.output
    data = json.loads(runner.invoke(main, ["plan", INDEX_QUERY, "--format", "json"]).output)
    assert data["nodes"][0]["resolver"] == "ouroboros.index/resolvers"


def test_query_prints_json_and_errors_are_one_line(tmp_path):
    runner = CliRunner()
    db = ["--db", str(tmp_path / "cli.duckdb")]
    out = runner.invoke(main, ["query", *db, INDEX_QUERY])
    assert out.exit_code == 0, out.output
    names = [
        r["ouroboros.resolver/name"] for r in json.loads(out.output)["ouroboros.index/resolvers"]
    ]
    assert "ouroboros.index/attributes" in names
    out = runner.invoke(main, ["query", *db, "[:nope]"])
    assert out.exit_code == 1
    assert out.output.startswith("error: UnreachableError")
    out = runner.invoke(main, ["query", *db, "[:nope]", "--lenient"])
    assert json.loads(out.output)["ouroboros/errors"]["nope"]["cause"] == "attribute-unreachable"
    out = runner.invoke(main, ["query", *db, "[:a]", "--entity", '{"a": 1}', "--format", "edn"])
    assert out.output.strip() == "{:a 1}"
