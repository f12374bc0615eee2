"""``--db`` mistakes (issue 9 item 14): only the default data dir's folders are created; a
missing folder elsewhere is one clear StoreError, and nothing is created."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ouroboros.cli import main
from ouroboros.errors import StoreError
from ouroboros.store import open_store


def test_a_missing_folder_is_refused_and_not_created(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.duckdb"
    with pytest.raises(StoreError, match="does not exist"):
        open_store(str(target))
    assert not (tmp_path / "nonexistent").exists()


def test_the_default_data_dir_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OUROBOROS_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with open_store() as store:
        store.memory_set("k", 1)
    assert (tmp_path / "xdg" / "ouroboros" / "ouroboros.duckdb").exists()


def test_the_cli_says_it_in_one_line(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "x.duckdb"
    result = CliRunner().invoke(main, ["query", "[:system/healthy?]", "--db", str(target)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: StoreError: cannot open the database")
    assert not (tmp_path / "missing").exists()
