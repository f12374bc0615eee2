"""Sandbox: maps caller paths to real paths inside the configured roots, or refuses them."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ouroboros.errors import InvalidInputError, NotFoundError, PermissionDeniedError

__all__ = ["HOW_TO_SET_ROOTS", "Sandbox", "SandboxPath", "no_roots_error"]

HOW_TO_SET_ROOTS = (
    "start the server with --roots DIR[,DIR...] or set OUROBOROS_ROOTS=DIR[,DIR...] "
    "(or use an MCP client that offers roots)"
)


def no_roots_error() -> PermissionDeniedError:
    """The one error every file tool and resolver answers with when no roots are configured."""
    return PermissionDeniedError(
        f"no file roots are configured, so the file tools are disabled: {HOW_TO_SET_ROOTS}",
        details={"reason": "no roots configured", "roots": [], "configure": HOW_TO_SET_ROOTS},
    )


_FD_DIR = "/proc/self/fd"


@dataclass(frozen=True, kw_only=True)
class SandboxPath:
    """A checked path: ``real`` (symlinks resolved, inside a root) and ``display`` (for results).

    ``display`` is relative to the first root when it lies under it, else absolute, so it can be
    handed back as ``[:file/path ...]`` and resolve to the same file.
    """

    real: Path
    display: str
    location: Path  # absolute, normalised, symlinks not resolved


MAX_PATH_BYTES = 4096  # Linux PATH_MAX
MAX_NAME_BYTES = 255  # NAME_MAX: one file or directory name


def _check_length(path: str) -> None:
    """Raise ``InvalidInputError`` for a path the OS would refuse as too long (ENAMETOOLONG)."""
    size = len(path.encode("utf-8", "surrogateescape"))
    longest = max((len(p.encode("utf-8", "surrogateescape")) for p in path.split("/")), default=0)
    if size > MAX_PATH_BYTES or longest > MAX_NAME_BYTES:
        shown = path if len(path) <= 60 else f"{path[:40]}...{path[-12:]}"
        raise InvalidInputError(
            f"path {shown!r} is too long: at most {MAX_PATH_BYTES} bytes, and "
            f"{MAX_NAME_BYTES} bytes per name ({size} bytes, longest name {longest})",
            details={"max_path_bytes": MAX_PATH_BYTES, "max_name_bytes": MAX_NAME_BYTES},
        )


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Sandbox:
    """The roots file resolvers may read; every path goes through ``resolve`` first.

    No roots at all is ``no_roots_error()`` (a ``PermissionDeniedError`` saying how to set them).
    Refused with ``PermissionDeniedError`` (naming the path and the roots): NUL bytes, any ``..``
    component, absolute paths outside the roots, and paths whose real location (every symlink
    resolved, in the file or in any parent directory) is outside the roots. Relative paths are
    taken against the first root.
    """

    def __init__(self, roots: Sequence[str]) -> None:
        if not roots:
            raise no_roots_error()
        self.roots: tuple[str, ...] = tuple(os.path.abspath(r) for r in roots)
        self.real_roots: tuple[str, ...] = tuple(os.path.realpath(r) for r in roots)

    def _refuse(self, path: str, why: str) -> PermissionDeniedError:
        return PermissionDeniedError(
            f"path {path!r} is refused: {why}; allowed roots: {', '.join(self.roots)}",
            details={"path": path, "reason": why, "roots": list(self.roots)},
        )

    def inside(self, real: str) -> bool:
        """True when the real (symlink-free) path ``real`` lies inside one of the roots."""
        return any(_within(real, root) for root in self.real_roots)

    def display(self, real: str | Path) -> str:
        """Return how results name ``real``: relative to the first root if under it, else absolute."""
        text = str(real)
        for root in (self.real_roots[0], self.roots[0]):
            if _within(text, root):
                rel = os.path.relpath(text, root)
                return "." if rel == "." else Path(rel).as_posix()
        return text

    def resolve(self, path: str) -> SandboxPath:
        """Return the checked location of ``path``; it need not exist.

        Raises ``InvalidInputError`` (not a string, empty, too long) or ``PermissionDeniedError``.
        """
        if not isinstance(path, str):
            raise InvalidInputError(
                f"a path must be a string, got {type(path).__name__}", details={"path": repr(path)}
            )
        if "\x00" in path:
            raise self._refuse(path.replace("\x00", "\\0"), "it contains a NUL byte")
        if not path.strip():
            raise InvalidInputError("a path must not be empty")
        _check_length(path)
        if ".." in Path(path).parts or ".." in path.replace("\\", "/").split("/"):
            raise self._refuse(path, "'..' is not allowed")
        if os.path.isabs(path):
            lexical = os.path.normpath(path)
            if not any(_within(lexical, r) for r in self.roots + self.real_roots):
                raise self._refuse(path, "it is outside the roots")
        else:
            lexical = os.path.normpath(os.path.join(self.roots[0], path))
        real = os.path.realpath(lexical)
        if not self.inside(real):
            raise self._refuse(path, "it resolves (through a symlink) outside the roots")
        return SandboxPath(real=Path(real), display=self.display(real), location=Path(lexical))

    def existing(self, path: str) -> SandboxPath:
        """Like ``resolve``, and the path must exist; raises ``NotFoundError`` naming it."""
        checked = self.resolve(path)
        if not checked.real.exists():
            raise NotFoundError(f"no such file or directory: {path!r}", details={"path": path})
        return checked

    def open_file(self, path: str) -> tuple[SandboxPath, int]:
        """Open ``path`` for reading and return it with its file descriptor (caller closes it).

        The descriptor is checked again after opening (through ``/proc/self/fd`` where there is
        one), so a symlink swapped in between the check and the open is still refused.
        Raises ``NotFoundError``, ``PermissionDeniedError`` or ``InvalidInputError``.
        """
        checked = self.existing(path)
        if checked.real.is_dir():
            raise InvalidInputError(f"{path!r} is a directory, not a file", details={"path": path})
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(checked.real, flags)
        except FileNotFoundError as exc:
            raise NotFoundError(f"no such file: {path!r}", details={"path": path}) from exc
        except OSError as exc:  # ELOOP: the last component became a symlink after the check
            raise self._refuse(path, f"it could not be opened safely ({exc.strerror})") from exc
        try:
            fd_link = os.path.join(_FD_DIR, str(fd))
            if os.path.isdir(_FD_DIR) and not self.inside(os.path.realpath(fd_link)):
                raise self._refuse(path, "it resolves (through a symlink) outside the roots")
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise InvalidInputError(f"{path!r} is not a regular file", details={"path": path})
        except BaseException:
            os.close(fd)
            raise
        return checked, fd
