"""Git domain logic against a real temporary repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from ouroboros.errors import InvalidInputError, NotFoundError
from ouroboros.resolvers import git as g
from tests.resolvers.conftest import git


def test_commits_default_newest_first_with_all_fields(repo: Path) -> None:
    commits = g.commits(str(repo))
    assert [c["git/subject"] for c in commits] == [
        "commit number 3",
        "commit number 2",
        "commit number 1",
    ]
    top = commits[0]
    assert set(top) == {
        "git/hash",
        "git/full-hash",
        "git/author",
        "git/date",
        "git/subject",
        "git/refs",
    }
    assert top["git/author"] == "Ada Tester"
    assert top["git/full-hash"].startswith(top["git/hash"]) and len(top["git/full-hash"]) == 40
    assert "T" in top["git/date"]  # ISO 8601
    assert "HEAD -> main" in top["git/refs"] and "tag: v1" in top["git/refs"]
    assert commits[1]["git/refs"] == []


@pytest.mark.parametrize(("n", "expected"), [(0, 0), (1, 1), (2, 2), (3, 3), (1_000_000, 3)])
def test_commit_count_changes_the_number_of_commits(repo: Path, n: int, expected: int) -> None:
    assert len(g.commits(str(repo), n)) == expected


def test_commit_count_validation() -> None:
    assert g.commit_count(None) == 10
    assert g.commit_count(0) == 0
    assert g.commit_count(10**9) == g.MAX_COMMITS
    for bad in (-1, "3", 2.5, True, [3]):
        with pytest.raises(InvalidInputError, match="n \\(number of commits\\)"):
            g.commit_count(bad)


def test_subject_with_separators_survives(repo: Path) -> None:
    (repo / "x.txt").write_text("x")
    git(repo, "add", "x.txt")
    git(repo, "commit", "-q", "-m", "pipes | and, commas (x)")
    assert g.commits(str(repo), 1)[0]["git/subject"] == "pipes | and, commas (x)"


def test_status_clean_then_dirty_with_rename(repo: Path) -> None:
    status = g.status(str(repo))
    assert status == {
        "status/branch": "main",
        "status/clean?": True,
        "status/file-count": 0,
        "status/detached?": False,
    }
    (repo / "new.txt").write_text("n")
    (repo / "f1.txt").write_text("changed")
    git(repo, "mv", "f2.txt", "f2-renamed.txt")
    status = g.status(str(repo))
    assert status["status/clean?"] is False
    assert status["status/file-count"] == 3


def test_branches_mark_the_current_one(repo: Path) -> None:
    assert g.branches(str(repo)) == [
        {"branch/name": "feature", "branch/current?": False},
        {"branch/name": "main", "branch/current?": True},
    ]
    git(repo, "checkout", "-q", "feature")
    current = [b["branch/name"] for b in g.branches(str(repo)) if b["branch/current?"]]
    assert current == ["feature"]
    assert g.status(str(repo))["status/branch"] == "feature"


def test_detached_head(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    status = g.status(str(repo))
    assert status["status/branch"] == "HEAD" and status["status/detached?"] is True
    assert not any(b["branch/current?"] for b in g.branches(str(repo)))


def test_empty_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    assert g.commits(str(tmp_path)) == []
    assert g.status(str(tmp_path))["status/branch"] == "trunk"
    assert g.branches(str(tmp_path)) == [{"branch/name": "trunk", "branch/current?": True}]


def test_meta_redacts_credentials_in_remote(repo: Path) -> None:
    assert g.meta(str(repo)) == {"git/repo-root": str(repo.resolve()), "git/remote-url": None}
    git(repo, "remote", "add", "origin", "https://bob:ghp_secret123@github.com/acme/x.git")
    meta = g.meta(str(repo))
    assert meta["git/remote-url"] == "https://bob:***@github.com/acme/x.git"
    assert "secret" not in str(meta)


def test_meta_from_a_subdirectory_reports_the_toplevel(repo: Path) -> None:
    (repo / "sub").mkdir()
    assert g.meta(str(repo / "sub"))["git/repo-root"] == str(repo.resolve())


def test_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NotFoundError, match="not a git repository"):
        g.commits(str(plain))
    with pytest.raises(NotFoundError, match="not a git repository"):
        g.status(str(plain))
    with pytest.raises(NotFoundError, match="does not exist"):
        g.branches(str(tmp_path / "missing"))


def test_git_missing_is_a_clear_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(g.GitError, match="git is not installed"):
        g.commits(str(repo))


def test_redact_url_leaves_plain_urls_alone() -> None:
    assert g.redact_url("git@github.com:acme/x.git") == "git@github.com:acme/x.git"
    assert g.redact_url("https://github.com/acme/x.git") == "https://github.com/acme/x.git"
    assert g.redact_url("https://token@github.com/x") == "https://***@github.com/x"
