"""Git resolvers: ``:git/*`` attributes read from the configured repository with the git CLI."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

from ouroboros.errors import (
    InvalidInputError,
    NotFoundError,
    OuroborosError,
    PermissionDeniedError,
)
from ouroboros.observe import redact as _redact

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = [
    "DEFAULT_COMMITS",
    "HOW_TO_SET_GIT_ROOT",
    "MAX_COMMITS",
    "GitError",
    "branches",
    "commit_count",
    "commits",
    "meta",
    "no_git_root_error",
    "operations",
    "redact_url",
    "run_git",
    "status",
]

log = logging.getLogger(__name__)

DEFAULT_COMMITS = 10
MAX_COMMITS = 1000
GIT_TIMEOUT = 15.0
_FIELD = "\x1f"
_RECORD = "\x1e"


class GitError(OuroborosError):
    """git is missing, timed out, or failed on a repository that exists."""


HOW_TO_SET_GIT_ROOT = (
    "start the server with --git-root DIR or set OUROBOROS_GIT_ROOT=DIR "
    "(or configure file roots with --roots / OUROBOROS_ROOTS: the first one is used)"
)


def no_git_root_error() -> PermissionDeniedError:
    """The error every git resolver answers with when no repository is configured."""
    return PermissionDeniedError(
        f"no git repository is configured, so the git tools are disabled: {HOW_TO_SET_GIT_ROOT}",
        details={"reason": "no git root configured", "configure": HOW_TO_SET_GIT_ROOT},
    )


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Never prompt, never page, never take an optional lock (other processes share the tree).
    env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat", LC_ALL="C")
    return env


def run_git(repo_root: str, *args: str, timeout: float = GIT_TIMEOUT, check: bool = True) -> str:
    """Return git's stdout for ``git -C repo_root <args>`` (argument list, no shell).

    Raises ``NotFoundError`` (the directory is missing or not a git repository) and ``GitError``
    (git missing, timed out, or failed with ``check``).
    """
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed (no `git` on PATH)")
    if not os.path.isdir(repo_root):
        raise NotFoundError(
            f"git repository root {repo_root!r} does not exist", details={"repo_root": repo_root}
        )
    # core.fsmonitor can name a program to run: a repository's config must not run code here.
    cmd = [git, "-C", repo_root, "-c", "core.fsmonitor=false", "--no-pager", *args]
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            timeout=timeout,
            env=_git_env(),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {timeout:g}s in {repo_root!r}") from exc
    except OSError as exc:
        raise GitError(f"git could not be run: {exc.strerror}") from exc
    stdout = done.stdout.decode("utf-8", errors="replace")
    stderr = done.stderr.decode("utf-8", errors="replace").strip()
    if done.returncode != 0 and check:
        if "not a git repository" in stderr.lower():
            raise NotFoundError(
                f"{repo_root!r} is not a git repository", details={"repo_root": repo_root}
            )
        raise GitError(
            f"git {args[0]} failed in {repo_root!r}: {stderr.splitlines()[-1] if stderr else done.returncode}",
            details={"repo_root": repo_root, "exit_code": done.returncode},
        )
    return stdout


def commit_count(n: Any) -> int:
    """Return a valid commit count: ``None`` → 10, clamped to 1000; 0 is allowed.

    Raises ``InvalidInputError`` for a negative number or anything that is not an integer.
    """
    if n is None:
        return DEFAULT_COMMITS
    if isinstance(n, bool) or not isinstance(n, int):
        raise InvalidInputError(
            f"n (number of commits) must be a non-negative integer, got {n!r}",
            details={"n": repr(n)},
        )
    if n < 0:
        raise InvalidInputError(f"n (number of commits) must not be negative, got {n}")
    return min(n, MAX_COMMITS)


def _has_commits(repo_root: str) -> bool:
    run_git(repo_root, "rev-parse", "--git-dir")  # raises when it is not a repository
    return bool(run_git(repo_root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip())


def _refs(decoration: str) -> list[str]:
    return [r.strip() for r in decoration.split(",") if r.strip()]


def commits(repo_root: str, n: Any = None) -> list[dict[str, Any]]:
    """Return the last ``n`` commits (default 10, at most 1000), newest first.

    Each is ``{git/hash (short), git/full-hash, git/author, git/date (ISO 8601), git/subject,
    git/refs (e.g. ["HEAD -> main", "tag: v1"])}``. An empty repository has no commits.
    """
    count = commit_count(n)
    if count == 0 or not _has_commits(repo_root):
        return []
    fmt = _FIELD.join(["%h", "%H", "%an", "%aI", "%s", "%D"]) + _RECORD
    out = run_git(repo_root, "log", f"--max-count={count}", f"--format={fmt}", "HEAD")
    result = []
    for record in out.split(_RECORD):
        record = record.strip("\n")
        if not record:
            continue
        short, full, author, date, subject, decoration = record.split(_FIELD)
        result.append(
            {
                "git/hash": short,
                "git/full-hash": full,
                "git/author": author,
                "git/date": date,
                "git/subject": subject,
                "git/refs": _refs(decoration),
            }
        )
    return result


def _porcelain_count(out: str) -> int:
    """Count the entries of ``git status --porcelain -z`` (a rename carries a second path)."""
    fields = out.split("\x00")
    count = i = 0
    while i < len(fields):
        entry = fields[i]
        if not entry:
            i += 1
            continue
        count += 1
        i += 2 if entry[0] in "RC" or entry[1:2] in ("R", "C") else 1
    return count


def _branch(repo_root: str) -> tuple[str, bool]:
    name = run_git(repo_root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()
    if name:
        return name, False
    return "HEAD", True


def status(repo_root: str) -> dict[str, Any]:
    """Return ``{status/branch, status/clean?, status/file-count, status/detached?}``.

    ``file-count`` counts changed, staged and untracked paths (as ``git status --porcelain``).
    """
    out = run_git(repo_root, "status", "--porcelain=v1", "-z", "--untracked-files=normal")
    count = _porcelain_count(out)
    branch, detached = _branch(repo_root)
    return {
        "status/branch": branch,
        "status/clean?": count == 0,
        "status/file-count": count,
        "status/detached?": detached,
    }


def branches(repo_root: str) -> list[dict[str, Any]]:
    """Return the local branches as ``{branch/name, branch/current?}``, sorted by name."""
    out = run_git(repo_root, "for-each-ref", "--format=%(HEAD)%00%(refname:short)", "refs/heads/")
    result = []
    for line in out.splitlines():
        if not line:
            continue
        head, _, name = line.partition("\x00")
        result.append({"branch/name": name, "branch/current?": head == "*"})
    if not result:  # a fresh repository: the unborn branch HEAD points at is still "current"
        name, detached = _branch(repo_root)
        if not detached:
            result.append({"branch/name": name, "branch/current?": True})
    return result


def redact_url(url: str) -> str:
    """Return ``url`` with any password or token in its user-info replaced by ``***`` (and
    secret query values redacted, by the one list in ``ouroboros.observe.redact``)."""
    if "://" not in url:
        return url  # scp-like ``git@host:path``: no password can be in it
    redacted = _redact.redact_url(url, userinfo="mask")
    return url if redacted == "[unparseable url]" else redacted


def meta(repo_root: str) -> dict[str, Any]:
    """Return ``{git/repo-root, git/remote-url}`` (the ``origin`` URL with credentials redacted)."""
    top = run_git(repo_root, "rev-parse", "--show-toplevel").strip()
    remote = run_git(repo_root, "config", "--get", "remote.origin.url", check=False).strip()
    return {"git/repo-root": top, "git/remote-url": redact_url(remote) if remote else None}


ATTRIBUTE_DOCS: dict[str, str] = {
    "git/commits": "The latest commits of the configured repository, newest first (param n, default 10).",
    "git/hash": "The commit's abbreviated hash.",
    "git/full-hash": "The commit's full hash.",
    "git/author": "The commit's author name.",
    "git/date": "The commit's author date (ISO 8601).",
    "git/subject": "The first line of the commit message.",
    "git/refs": "The branch and tag names pointing at the commit.",
    "git/status": "The repository's branch, whether the tree is clean, and how many files changed.",
    "git/branches": "The repository's local branches.",
    "branch/name": "The branch's name.",
    "branch/current?": "Whether the branch is checked out.",
    "git/meta": "The repository's top folder and its origin URL (credentials redacted).",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the git resolvers over ``settings.repo_root``.

    ``(:git/commits {:n 3})`` / ``{(:git/commits {:n 3}) [:git/hash :git/author :git/date
    :git/subject :git/refs :git/full-hash]}`` (n: default 10, 0 allowed, clamped to 1000,
    negative or non-integer → ``InvalidInputError``), ``:git/status`` (``{status/branch,
    status/clean?, status/file-count, status/detached?}``), ``{:git/branches [:branch/name
    :branch/current?]}``, ``:git/meta`` (``{git/repo-root, git/remote-url}``).
    """
    from ouroboros import document, resolver
    from ouroboros.resolvers.runtime import settings_of

    def root(env: Any) -> str:
        repo_root = settings_of(runtime, env).repo_root
        if repo_root is None:
            raise no_git_root_error()
        return repo_root

    @resolver(
        name="git/commits",
        doc="The latest commits of the configured repository, newest first.",
        params=["n"],
        types={"git/commits": list},
        output=[
            {
                "git/commits": [
                    "git/hash",
                    "git/full-hash",
                    "git/author",
                    "git/date",
                    "git/subject",
                    "git/refs",
                ]
            }
        ],
        blocking=True,
    )
    def commits_resolver(env: Any, _data: Any) -> dict[str, Any]:
        n = dict(getattr(env, "params", None) or {}).get("n")
        return {"git/commits": commits(root(env), n)}

    @resolver(
        name="git/status",
        doc="The configured repository's branch and working-tree state.",
        types={"git/status": dict},
        output=["git/status"],
        blocking=True,
    )
    def status_resolver(env: Any, _data: Any) -> dict[str, Any]:
        return {"git/status": status(root(env))}

    @resolver(
        name="git/branches",
        doc="The configured repository's local branches.",
        types={"git/branches": list},
        output=[{"git/branches": ["branch/name", "branch/current?"]}],
        blocking=True,
    )
    def branches_resolver(env: Any, _data: Any) -> dict[str, Any]:
        return {"git/branches": branches(root(env))}

    @resolver(
        name="git/meta",
        doc="Where the configured repository is and its remote URL.",
        types={"git/meta": dict},
        output=["git/meta"],
        blocking=True,
    )
    def meta_resolver(env: Any, _data: Any) -> dict[str, Any]:
        return {"git/meta": meta(root(env))}

    return document(
        [commits_resolver, status_resolver, branches_resolver, meta_resolver], ATTRIBUTE_DOCS
    )
