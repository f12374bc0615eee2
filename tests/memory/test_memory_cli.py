"""``ouroboros ingest`` and ``ouroboros recall`` on the command line (real store, temp dir)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ouroboros.cli import main


def test_ingest_and_recall(tmp_path: Path) -> None:
    db = str(tmp_path / "t.duckdb")
    note = tmp_path / "n.md"
    note.write_text("# Notes\n\nThe garden needs water on Tuesdays.\n")
    runner = CliRunner()
    first = runner.invoke(main, ["ingest", str(note), "--db", db])
    assert first.exit_code == 0, first.output
    assert "1 added" in first.output
    again = runner.invoke(main, ["ingest", str(note), "--db", db])
    assert "unchanged" in again.output
    piped = runner.invoke(main, ["ingest", "-", "--name", "memo", "--db", db], input="Call Jo.")
    assert piped.exit_code == 0 and "memo" in piped.output
    got = runner.invoke(main, ["recall", "when to water the garden", "--db", db, "--json"])
    assert got.exit_code == 0, got.output
    answer = json.loads(got.output)
    assert answer["items"][0]["source"]["id"] == f"{note}#L1-3"
    plain = runner.invoke(main, ["recall", "garden", "--db", db])
    assert "The garden needs water" in plain.output


def test_errors_are_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "t.duckdb")
    runner = CliRunner()
    missing = runner.invoke(main, ["ingest", str(tmp_path / "nope.md"), "--db", db])
    assert missing.exit_code == 1 and "no such file" in missing.output
    bad = runner.invoke(main, ["recall", "x", "--as-of", "03/04/2023", "--db", db])
    assert bad.exit_code == 1 and "ambiguous" in bad.output and "Traceback" not in bad.output
