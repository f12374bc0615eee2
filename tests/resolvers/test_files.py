"""Files and knowledge domain logic, and the sandbox that keeps them inside the roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.errors import (
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
)
from ouroboros.resolvers import files as f
from ouroboros.resolvers.sandbox import Sandbox


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """A root with files and folders, a second root, and a secret outside both."""
    root = tmp_path / "root"
    other = tmp_path / "other"
    outside = tmp_path / "outside"
    for d in (root, other, outside, root / "src" / "pkg", root / ".git"):
        d.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("".join(f"line {i}\n" for i in range(1, 201)))
    (root / ".env").write_text("HIDDEN=1\n")
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "src" / "pkg" / "util.py").write_text("x = 1\n")
    (root / "src" / "notes.txt").write_text("notes\n")
    (root / ".git" / "config.py").write_text("not searched\n")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (other / "extra.py").write_text("y = 2\n")
    (outside / "secret.txt").write_text("top secret\n")
    return {"root": root, "other": other, "outside": outside}


@pytest.fixture
def sandbox(tree: dict[str, Path]) -> Sandbox:
    return Sandbox([str(tree["root"]), str(tree["other"])])


# --- the sandbox ---------------------------------------------------------------------------------


def test_relative_paths_resolve_against_the_first_root(
    sandbox: Sandbox, tree: dict[str, Path]
) -> None:
    checked = sandbox.resolve("src/main.py")
    assert checked.real == (tree["root"] / "src" / "main.py").resolve()
    assert checked.display == "src/main.py"
    assert sandbox.resolve(".").display == "."


def test_absolute_paths_inside_any_root_are_allowed(
    sandbox: Sandbox, tree: dict[str, Path]
) -> None:
    assert sandbox.resolve(str(tree["root"] / "README.md")).display == "README.md"
    extra = sandbox.resolve(str(tree["other"] / "extra.py"))
    assert extra.display == str((tree["other"] / "extra.py").resolve())  # round-trips as absolute
    assert sandbox.resolve(extra.display).real == extra.real


@pytest.mark.parametrize(
    "path", ["../outside/secret.txt", "src/../../outside/secret.txt", "src/..", ".."]
)
def test_dot_dot_is_refused(sandbox: Sandbox, path: str) -> None:
    with pytest.raises(PermissionDeniedError, match=r"'\.\.' is not allowed") as info:
        sandbox.resolve(path)
    assert info.value.details["path"] == path
    assert info.value.details["roots"]


def test_absolute_path_outside_the_roots_is_refused_naming_path_and_roots(
    sandbox: Sandbox, tree: dict[str, Path]
) -> None:
    secret = str(tree["outside"] / "secret.txt")
    with pytest.raises(PermissionDeniedError) as info:
        f.content(sandbox, secret)
    assert secret in info.value.message and str(tree["root"]) in info.value.message
    with pytest.raises(PermissionDeniedError):
        sandbox.resolve("/etc/passwd")
    with pytest.raises(PermissionDeniedError):  # a prefix of a root is not inside it
        sandbox.resolve(str(tree["root"]) + "-sibling/x")


def test_symlinked_file_escaping_is_refused(sandbox: Sandbox, tree: dict[str, Path]) -> None:
    os.symlink(tree["outside"] / "secret.txt", tree["root"] / "link.txt")
    for attempt in (f.content, f.file_info, f.content_preview):
        with pytest.raises(PermissionDeniedError, match="symlink"):
            attempt(sandbox, "link.txt")


def test_symlinked_directory_escaping_is_refused(sandbox: Sandbox, tree: dict[str, Path]) -> None:
    os.symlink(tree["outside"], tree["root"] / "escape")
    with pytest.raises(PermissionDeniedError):
        f.content(sandbox, "escape/secret.txt")
    with pytest.raises(PermissionDeniedError):
        f.list_dir(sandbox, "escape")


def test_symlinks_that_stay_inside_are_followed(sandbox: Sandbox, tree: dict[str, Path]) -> None:
    os.symlink(tree["root"] / "src", tree["root"] / "code")
    os.symlink(tree["root"] / "src" / "main.py", tree["root"] / "main-link.py")
    assert f.content(sandbox, "code/main.py") == "print('hi')\n"
    info = f.file_info(sandbox, "main-link.py")
    assert info["file/symlink?"] is True and info["file/regular-file?"] is True


def test_nul_bytes_and_bad_types(sandbox: Sandbox) -> None:
    with pytest.raises(PermissionDeniedError, match="NUL"):
        sandbox.resolve("README.md\x00.png")
    with pytest.raises(InvalidInputError):
        sandbox.resolve("")
    with pytest.raises(InvalidInputError):
        sandbox.resolve(42)  # type: ignore[arg-type]


def test_no_roots_is_a_clear_error() -> None:
    with pytest.raises(PermissionDeniedError, match="no file roots are configured") as info:
        Sandbox([])
    assert "--roots" in info.value.message and "OUROBOROS_ROOTS" in info.value.message
    assert info.value.to_dict()["details"]["reason"] == "no roots configured"


def test_settings_have_no_roots_and_no_git_root_by_default(tmp_path, monkeypatch) -> None:
    """Issue 9 item 13: the working directory is no longer a root (a server started in / read
    the whole disk); the git root is OUROBOROS_GIT_ROOT, else the first root, else none."""
    monkeypatch.chdir("/")
    assert Settings().roots == () and Settings().repo_root is None
    assert Settings.from_env({}).roots == ()
    env = {"OUROBOROS_ROOTS": f"{tmp_path},/srv"}
    assert Settings.from_env(env).roots == (str(tmp_path), "/srv")
    assert Settings.from_env(env).repo_root == str(tmp_path)
    assert Settings.from_env({**env, "OUROBOROS_GIT_ROOT": "/repo"}).repo_root == "/repo"
    assert Settings.from_env({"OUROBOROS_GIT_ROOT": "/repo"}).roots == ()


# --- file attributes -----------------------------------------------------------------------------


def test_file_info(sandbox: Sandbox) -> None:
    info = f.file_info(sandbox, "README.md")
    assert info["file/name"] == "README.md"
    assert info["file/extension"] == "md"
    assert info["file/size"] == len("".join(f"line {i}\n" for i in range(1, 201)))
    assert info["file/regular-file?"] is True and info["file/directory?"] is False
    assert info["file/hidden?"] is False
    assert info["file/last-modified"].endswith("+00:00")
    hidden = f.file_info(sandbox, ".env")
    assert hidden["file/hidden?"] is True and hidden["file/extension"] is None
    directory = f.file_info(sandbox, "src")
    assert directory["file/directory?"] is True and directory["file/size"] is None


def test_missing_file_names_the_path(sandbox: Sandbox) -> None:
    for attempt in (f.file_info, f.content, f.content_preview):
        with pytest.raises(NotFoundError, match=r"nope\.md") as info:
            attempt(sandbox, "nope.md")
        assert info.value.details == {"path": "nope.md"}


def test_content_reads_whole_text_file(sandbox: Sandbox) -> None:
    assert f.content(sandbox, "src/main.py") == "print('hi')\n"


def test_content_refuses_large_files_with_a_clear_error(
    sandbox: Sandbox, tree: dict[str, Path]
) -> None:
    (tree["root"] / "big.txt").write_text("a" * (f.MAX_CONTENT_BYTES + 10))
    with pytest.raises(PayloadTooLargeError, match="content-preview"):
        f.content(sandbox, "big.txt")
    assert f.content_preview(sandbox, "big.txt", 1).startswith("aaa")


def test_binary_files_are_reported_not_decoded(sandbox: Sandbox) -> None:
    with pytest.raises(InvalidInputError, match="binary file") as info:
        f.content(sandbox, "image.png")
    assert info.value.details["binary"] is True
    with pytest.raises(InvalidInputError, match="binary file"):
        f.content_preview(sandbox, "image.png")


def test_directory_content_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(InvalidInputError, match="is a directory"):
        f.content(sandbox, "src")


def test_preview_honours_lines(sandbox: Sandbox) -> None:
    assert f.content_preview(sandbox, "README.md").count("\n") == 50
    assert f.content_preview(sandbox, "README.md", 10) == "".join(
        f"line {i}\n" for i in range(1, 11)
    )
    assert f.content_preview(sandbox, "README.md", 0) == ""
    assert f.content_preview(sandbox, "README.md", 10_000).count("\n") == 200
    for bad in (-1, "5", 1.5, True):
        with pytest.raises(InvalidInputError, match="lines"):
            f.content_preview(sandbox, "README.md", bad)


def test_list_dir_one_level_sorted(sandbox: Sandbox) -> None:
    entries = f.list_dir(sandbox, "src")
    assert [e["file/name"] for e in entries] == ["main.py", "notes.txt", "pkg"]
    assert [e["file/path"] for e in entries] == ["src/main.py", "src/notes.txt", "src/pkg"]
    pkg = entries[2]
    assert pkg["file/directory?"] is True and pkg["file/size"] is None
    assert set(entries[0]) == {"file/path", *f.FILE_ATTRS}
    assert len(f.list_dir(sandbox, ".", 2)) == 2
    # listing paths feed back into the file attributes
    assert f.content(sandbox, entries[0]["file/path"]) == "print('hi')\n"


def test_list_dir_shows_escaping_symlink_without_following_it(
    sandbox: Sandbox, tree: dict[str, Path]
) -> None:
    os.symlink(tree["outside"], tree["root"] / "escape")
    entry = next(e for e in f.list_dir(sandbox, ".") if e["file/name"] == "escape")
    assert entry["file/symlink?"] is True and entry["file/directory?"] is False


def test_list_dir_errors(sandbox: Sandbox) -> None:
    with pytest.raises(InvalidInputError, match="not a directory"):
        f.list_dir(sandbox, "README.md")
    with pytest.raises(NotFoundError):
        f.list_dir(sandbox, "missing")
    with pytest.raises(PermissionDeniedError):
        f.list_dir(sandbox, "/")


def test_search_recursive_by_name_across_roots_skipping_git(
    sandbox: Sandbox, tree: dict[str, Path]
) -> None:
    found = f.search(sandbox, "*.py")
    paths = [x["file/path"] for x in found]
    assert paths == ["src/main.py", "src/pkg/util.py", str((tree["other"] / "extra.py").resolve())]
    assert all(".git" not in p for p in paths)
    assert found[0] == {"file/path": "src/main.py", "file/name": "main.py", "file/size": 12}


def test_search_path_patterns_and_limit(sandbox: Sandbox) -> None:
    assert [x["file/path"] for x in f.search(sandbox, "src/*.py")] == ["src/main.py"]
    assert [x["file/path"] for x in f.search(sandbox, "src/**/*.py")] == [
        "src/main.py",
        "src/pkg/util.py",
    ]
    assert [x["file/path"] for x in f.search(sandbox, "**/util.py")] == ["src/pkg/util.py"]
    assert [x["file/name"] for x in f.search(sandbox, "[mn]*")] == ["main.py", "notes.txt"]
    assert len(f.search(sandbox, "*", 2)) == 2
    assert f.search(sandbox, "*.none") == []


def test_search_never_returns_files_behind_escaping_symlinks(
    sandbox: Sandbox, tree: dict[str, Path]
) -> None:
    os.symlink(tree["outside"], tree["root"] / "escape")
    os.symlink(tree["outside"] / "secret.txt", tree["root"] / "secret-link.txt")
    assert f.search(sandbox, "secret*") == []


def test_search_bad_input(sandbox: Sandbox) -> None:
    for bad in ("", "  ", "a\x00b", None):
        with pytest.raises(InvalidInputError):
            f.search(sandbox, bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        f.search(sandbox, "*", -1)


def test_project(sandbox: Sandbox, tree: dict[str, Path]) -> None:
    project = f.project(sandbox)
    assert project["project/name"] == "root"
    assert project["project/root"] == str(tree["root"].resolve())
    names = [x["file/name"] for x in project["project/files"]]
    assert names == sorted(names) and "README.md" in names
    assert len(f.project(sandbox, 2)["project/files"]) == 2


def test_compile_glob() -> None:
    assert f.compile_glob("*.py").match("a/b/c.py")
    assert not f.compile_glob("src/*.py").match("src/a/b.py")
    assert f.compile_glob("src/**").match("src/a/b.py")
    assert f.compile_glob("file?.txt").match("file1.txt")
    assert not f.compile_glob("[!a]*").match("abc")
