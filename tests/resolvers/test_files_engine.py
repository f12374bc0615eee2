"""File and knowledge resolvers through the engine: idents, params, nested joins, refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.errors import NotFoundError, PermissionDeniedError
from tests.resolvers.engine_support import make_engine, raises


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "README.md").write_text("".join(f"line {i}\n" for i in range(1, 101)))
    (root / "src" / "a.py").write_text("a = 1\n")
    (root / "src" / "b.py").write_text("b = 2\nc = 3\n")
    (tmp_path / "secret.txt").write_text("top secret\n")
    return root


@pytest.fixture
def engine(root: Path):
    return make_engine(Settings(roots=(str(root),)))[0]


def test_file_read_ident_join_keyed_by_ident(engine) -> None:
    result = engine.process('[{[:file/path "README.md"] [:file/name :file/size :file/content]}]')
    entity = result[("file/path", "README.md")]
    assert entity["file/name"] == "README.md"
    assert entity["file/size"] == len(entity["file/content"])


def test_preview_lines_param_works(engine) -> None:
    result = engine.process('[{[:file/path "README.md"] [(:file/content-preview {:lines 10})]}]')
    preview = result[("file/path", "README.md")]["file/content-preview"]
    assert preview == "".join(f"line {i}\n" for i in range(1, 11))
    default = engine.process('[{[:file/path "README.md"] [:file/content-preview]}]')
    assert default[("file/path", "README.md")]["file/content-preview"].count("\n") == 50


def test_missing_file_is_not_found(engine) -> None:
    err = raises(NotFoundError, engine, '[{[:file/path "nope.md"] [:file/content]}]')
    assert "nope.md" in err.message


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/passwd"])
def test_escapes_are_refused(engine, path: str) -> None:
    raises(PermissionDeniedError, engine, f'[{{[:file/path "{path}"] [:file/content]}}]')


def test_symlink_escape_is_refused(engine, root: Path) -> None:
    os.symlink(root.parent / "secret.txt", root / "s.txt")
    raises(PermissionDeniedError, engine, '[{[:file/path "s.txt"] [:file/content]}]')


def test_listing_keyed_by_dir_ident_with_nested_file_attributes(engine) -> None:
    result = engine.process(
        '[{[:dir/path "src"] [{:knowledge/files [:file/name (:file/content-preview {:lines 1})]}]}]'
    )
    files = result[("dir/path", "src")]["knowledge/files"]
    assert files == [
        {"file/name": "a.py", "file/content-preview": "a = 1\n"},
        {"file/name": "b.py", "file/content-preview": "b = 2\n"},
    ]


def test_search_keyed_by_pattern_ident(engine) -> None:
    result = engine.process(
        '[{[:search/pattern "*.py"] [{:knowledge/search [:file/path :file/size]}]}]'
    )
    assert result[("search/pattern", "*.py")]["knowledge/search"] == [
        {"file/path": "src/a.py", "file/size": 6},
        {"file/path": "src/b.py", "file/size": 12},
    ]


def test_project(engine) -> None:
    result = engine.process("[{:knowledge/project [:project/name {:project/files [:file/name]}]}]")
    project = result["knowledge/project"]
    assert project["project/name"] == "proj"
    assert project["project/files"] == [{"file/name": "README.md"}, {"file/name": "src"}]
