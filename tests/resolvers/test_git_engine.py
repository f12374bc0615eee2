"""Git resolvers through the engine, with the count param in both EQL forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.errors import InvalidInputError, NotFoundError
from tests.resolvers.engine_support import make_engine, raises


@pytest.fixture
def engine(repo: Path):
    return make_engine(Settings(roots=(str(repo),)))[0]


def test_commits_join_selects_attributes(engine) -> None:
    commits = engine.process("[{:git/commits [:git/hash :git/subject]}]")["git/commits"]
    assert len(commits) == 3
    assert all(set(c) == {"git/hash", "git/subject"} for c in commits)
    assert commits[0]["git/subject"] == "commit number 3"


@pytest.mark.parametrize(("n", "expected"), [(0, 0), (1, 1), (3, 3), (1_000_000, 3)])
def test_commit_count_param_in_join_form(engine, n: int, expected: int) -> None:
    result = engine.process(f"[{{(:git/commits {{:n {n}}}) [:git/hash]}}]")
    assert len(result["git/commits"]) == expected


def test_commit_count_param_in_prop_form(engine) -> None:
    commits = engine.process("[(:git/commits {:n 2})]")["git/commits"]
    assert [c["git/subject"] for c in commits] == ["commit number 3", "commit number 2"]


@pytest.mark.parametrize("bad", ["-1", '"3"', "2.5", "true"])
def test_bad_commit_count_is_a_clear_error(engine, bad: str) -> None:
    err = raises(InvalidInputError, engine, f"[(:git/commits {{:n {bad}}})]")
    assert "n (number of commits)" in err.message


def test_status_branches_meta(engine, repo: Path) -> None:
    result = engine.process(
        "[:git/status {:git/branches [:branch/name :branch/current?]} :git/meta]"
    )
    assert result["git/status"]["status/branch"] == "main"
    assert result["git/status"]["status/clean?"] is True
    assert {"branch/name": "main", "branch/current?": True} in result["git/branches"]
    assert result["git/meta"]["git/repo-root"] == str(repo.resolve())


def test_not_a_repository_through_the_engine(tmp_path: Path) -> None:
    engine = make_engine(Settings(roots=(str(tmp_path),)))[0]
    raises(NotFoundError, engine, "[:git/status]")
