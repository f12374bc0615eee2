"""File and knowledge resolvers: ``:file/*`` and ``:knowledge/*`` over the sandboxed roots."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ouroboros.errors import InvalidInputError, PayloadTooLargeError, PermissionDeniedError
from ouroboros.resolvers.globmatch import compile_glob
from ouroboros.resolvers.sandbox import Sandbox

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = [
    "FILE_ATTRS",
    "MAX_CONTENT_BYTES",
    "compile_glob",
    "content",
    "content_preview",
    "file_info",
    "is_binary",
    "list_dir",
    "operations",
    "project",
    "search",
]

MAX_CONTENT_BYTES = 1024 * 1024  # :file/content returns whole files below this size
MAX_PREVIEW_BYTES = 1024 * 1024  # a preview never reads more than this
DEFAULT_PREVIEW_LINES = 50
MAX_PREVIEW_LINES = 100_000
DEFAULT_LIST_LIMIT = 1000
DEFAULT_SEARCH_LIMIT = 100
MAX_LIMIT = 10_000
DEFAULT_PROJECT_FILES = 20
MAX_SEARCH_SCAN = 200_000  # entries visited before a search gives up
SEARCH_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
_BINARY_SAMPLE = 8192

FILE_TYPES: dict[str, Any] = {
    "file/name": str,
    "file/extension": str | None,
    "file/size": int | None,
    "file/directory?": bool,
    "file/regular-file?": bool,
    "file/symlink?": bool,
    "file/hidden?": bool,
    "file/last-modified": str,
}

FILE_ATTRS = [
    "file/name",
    "file/extension",
    "file/size",
    "file/directory?",
    "file/regular-file?",
    "file/symlink?",
    "file/hidden?",
    "file/last-modified",
]


def _count(value: Any, *, name: str, default: int, maximum: int) -> int:
    """Return a validated non-negative count param, ``default`` when absent, clamped to ``maximum``."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(
            f"{name} must be a non-negative integer, got {value!r}", details={name: repr(value)}
        )
    if value < 0:
        raise InvalidInputError(f"{name} must not be negative, got {value}", details={name: value})
    return min(value, maximum)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def _entry(sandbox: Sandbox, location: Path) -> dict[str, Any]:
    """Describe ``location`` (which exists); a symlink leading outside the roots is not followed."""
    lst = location.lstat()
    is_link = stat.S_ISLNK(lst.st_mode)
    st = lst
    if is_link:
        real = os.path.realpath(location)
        if sandbox.inside(real) and os.path.exists(real):
            st = os.stat(real)
    regular = stat.S_ISREG(st.st_mode)
    name = location.name
    return {
        "file/path": sandbox.display(location if is_link else os.path.realpath(location)),
        "file/name": name,
        "file/extension": location.suffix[1:] if location.suffix else None,
        "file/size": st.st_size if regular else None,
        "file/directory?": stat.S_ISDIR(st.st_mode),
        "file/regular-file?": regular,
        "file/symlink?": is_link,
        "file/hidden?": name.startswith("."),
        "file/last-modified": _iso(st.st_mtime),
    }


def file_info(sandbox: Sandbox, path: str) -> dict[str, Any]:
    """Return the ``:file/*`` attributes of ``path`` (size only for regular files).

    Raises ``NotFoundError``, ``PermissionDeniedError`` or ``InvalidInputError``.
    """
    checked = sandbox.existing(path)
    info = _entry(sandbox, checked.real)
    info["file/path"] = checked.display
    name = Path(path).name or checked.real.name
    info["file/name"] = name
    info["file/hidden?"] = name.startswith(".")
    info["file/extension"] = Path(name).suffix[1:] or None
    info["file/symlink?"] = checked.location.is_symlink()
    return info


def is_binary(sample: bytes) -> bool:
    """True when ``sample`` looks like binary data (a NUL byte, or many control bytes)."""
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    text_bytes = bytes(range(32, 127)) + b"\b\t\n\f\r\x1b"
    control = sum(1 for b in sample if b < 128 and b not in text_bytes)
    return control / len(sample) > 0.1


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def _binary_error(path: str, size: int) -> InvalidInputError:
    return InvalidInputError(
        f"{path!r} is a binary file ({size} bytes); its content is not returned as text",
        details={"path": path, "size": size, "binary": True},
    )


def content(sandbox: Sandbox, path: str, *, max_bytes: int = MAX_CONTENT_BYTES) -> str:
    """Return the whole text of file ``path``.

    Raises ``PayloadTooLargeError`` when it is ``max_bytes`` or larger (use a preview),
    ``InvalidInputError`` for a binary file or a directory, ``NotFoundError``,
    ``PermissionDeniedError``.
    """
    _checked, fd = sandbox.open_file(path)
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        data = f.read(max_bytes + 1)
    if len(data) >= max_bytes or size >= max_bytes:
        raise PayloadTooLargeError(
            f"{path!r} is {max(size, len(data))} bytes; :file/content returns files under "
            f"{max_bytes} bytes (ask for :file/content-preview with a lines param instead)",
            details={"path": path, "size": max(size, len(data)), "limit": max_bytes},
        )
    if is_binary(data[:_BINARY_SAMPLE]):
        raise _binary_error(path, len(data))
    return _decode(data)


def content_preview(sandbox: Sandbox, path: str, lines: Any = None) -> str:
    """Return the first ``lines`` lines (default 50) of text file ``path``, line endings kept.

    Reads at most 1 MiB. Raises ``InvalidInputError`` (bad ``lines``, binary file, directory),
    ``NotFoundError``, ``PermissionDeniedError``.
    """
    n = _count(lines, name="lines", default=DEFAULT_PREVIEW_LINES, maximum=MAX_PREVIEW_LINES)
    _checked, fd = sandbox.open_file(path)
    chunks: list[bytes] = []
    total = newlines = 0
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        while total < MAX_PREVIEW_BYTES and newlines < n:
            chunk = f.read(min(65536, MAX_PREVIEW_BYTES - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            newlines += chunk.count(b"\n")
    data = b"".join(chunks)
    if is_binary(data[:_BINARY_SAMPLE]):
        raise _binary_error(path, size)
    if n == 0:
        return ""
    return "".join(_decode(data).splitlines(keepends=True)[:n])


def list_dir(sandbox: Sandbox, path: str, limit: Any = None) -> list[dict[str, Any]]:
    """Return the entries of directory ``path`` (one level, sorted by name, at most ``limit``).

    Raises ``NotFoundError``, ``PermissionDeniedError``, ``InvalidInputError`` (not a directory,
    bad ``limit``).
    """
    n = _count(limit, name="limit", default=DEFAULT_LIST_LIMIT, maximum=MAX_LIMIT)
    checked = sandbox.existing(path)
    if not checked.real.is_dir():
        raise InvalidInputError(f"{path!r} is not a directory", details={"path": path})
    try:
        names = sorted(os.listdir(checked.real))
    except PermissionError as exc:
        raise PermissionDeniedError(
            f"directory {path!r} is not readable", details={"path": path}
        ) from exc
    entries: list[dict[str, Any]] = []
    for name in names:
        if len(entries) >= n:
            break
        try:
            entries.append(_entry(sandbox, checked.real / name))
        except FileNotFoundError:  # removed while we were listing
            continue
    return entries


def search(sandbox: Sandbox, pattern: str, limit: Any = None) -> list[dict[str, Any]]:
    """Return files under the roots whose relative path matches glob ``pattern`` (``compile_glob``).

    Walks every root in order, never follows directory symlinks, skips ``.git`` (and ``.hg``,
    ``.svn``), returns at most ``limit`` (default 100) ``{file/path, file/name, file/size}``.
    Raises ``InvalidInputError`` for an empty pattern, a NUL byte, a bad ``limit``, or a
    pattern ``compile_glob`` refuses (too long, too many wildcards, a reversed range).
    """
    n = _count(limit, name="limit", default=DEFAULT_SEARCH_LIMIT, maximum=MAX_LIMIT)
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidInputError("a search pattern must be a non-empty string")
    if "\x00" in pattern:
        raise InvalidInputError("a search pattern must not contain a NUL byte")
    glob = compile_glob(pattern.strip().lstrip("/"))
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    scanned = 0
    for root in sandbox.real_roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SEARCH_SKIP_DIRS)
            rel_dir = os.path.relpath(dirpath, root)
            for name in sorted(filenames):
                scanned += 1
                if scanned > MAX_SEARCH_SCAN or len(found) >= n:
                    return found
                rel = name if rel_dir == "." else f"{Path(rel_dir).as_posix()}/{name}"
                if not glob.match(rel):
                    continue
                location = Path(dirpath) / name
                real = os.path.realpath(location)
                if real in seen or not sandbox.inside(real) or not os.path.isfile(real):
                    continue  # duplicates across roots, escaping or dangling symlinks
                try:
                    size = os.path.getsize(real)
                except OSError:  # removed while we were walking
                    continue
                seen.add(real)
                found.append(
                    {"file/path": sandbox.display(real), "file/name": name, "file/size": size}
                )
    return found


def project(sandbox: Sandbox, limit: Any = None) -> dict[str, Any]:
    """Return ``{project/name, project/root, project/files}`` for the first root.

    ``project/files`` is its first ``limit`` entries (default 20) as ``{file/path, file/name}``.
    """
    n = _count(limit, name="limit", default=DEFAULT_PROJECT_FILES, maximum=MAX_LIMIT)
    root = sandbox.real_roots[0]
    names = sorted(os.listdir(root))[:n]
    return {
        "project/name": os.path.basename(root.rstrip(os.sep)) or root,
        "project/root": root,
        "project/files": [
            {"file/path": sandbox.display(os.path.join(root, name)), "file/name": name}
            for name in names
        ],
    }


ATTRIBUTE_DOCS: dict[str, str] = {
    "file/path": "A file's path, relative to a configured root or absolute inside one.",
    "file/name": "The file's name, without its folder.",
    "file/extension": "The file name's extension, with its dot (empty when none).",
    "file/size": "The file's size in bytes.",
    "file/directory?": "Whether the path is a directory.",
    "file/regular-file?": "Whether the path is a regular file.",
    "file/symlink?": "Whether the path is a symbolic link.",
    "file/hidden?": "Whether the file name starts with a dot.",
    "file/last-modified": "When the file last changed (ISO 8601, UTC).",
    "file/content": "The text file's whole content.",
    "file/content-preview": "The text file's first lines (param lines).",
    "dir/path": "A directory's path inside the configured roots.",
    "knowledge/files": "The directory's entries, each with its file attributes (param limit).",
    "search/pattern": "A glob matched against paths under the roots ('*.py' matches at any depth).",
    "knowledge/search": "The files whose path matches the glob (param limit).",
    "knowledge/project": "The project in the first root: its name, root and first files.",
    "project/name": "The project's name (its root folder's name).",
    "project/root": "The project's root folder.",
    "project/files": "The first entries of the project's root folder (param limit).",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the file and knowledge resolvers over ``settings.roots``.

    Inputs are idents: ``[:file/path "p"]``, ``[:dir/path "d"]``, ``[:search/pattern "*.py"]``
    (the original's ``:file-path``, ``:dir-path``, ``:search-pattern``, renamed into namespaces
    so they sit with the attributes they produce). Outputs: ``:file/name :file/extension
    :file/size :file/directory? :file/regular-file? :file/symlink? :file/hidden?
    :file/last-modified``, ``:file/content``, ``(:file/content-preview {:lines n})``,
    ``(:knowledge/files {:limit n})``, ``(:knowledge/search {:limit n})``,
    ``(:knowledge/project {:limit n})``. Listing entries carry ``:file/path``, so nested joins can
    ask for any file attribute of each entry.
    """
    from ouroboros import document, resolver
    from ouroboros.resolvers.runtime import settings_of

    def sandbox_for(env: Any) -> Sandbox:
        return Sandbox(settings_of(runtime, env).roots)

    def params(env: Any) -> dict[str, Any]:
        return dict(getattr(env, "params", None) or {})

    @resolver(
        name="file/info",
        doc="A file's name, size, kind and modification time (inside the configured roots).",
        types=FILE_TYPES,
        input=["file/path"],
        output=FILE_ATTRS,
        blocking=True,
    )
    def info_resolver(env: Any, data: Any) -> dict[str, Any]:
        info = file_info(sandbox_for(env), data["file/path"])
        info.pop("file/path", None)
        return info

    @resolver(
        name="file/content",
        doc="A text file's whole content (inside the configured roots).",
        types={"file/content": str},
        input=["file/path"],
        output=["file/content"],
        blocking=True,
    )
    def content_resolver(env: Any, data: Any) -> dict[str, Any]:
        return {"file/content": content(sandbox_for(env), data["file/path"])}

    @resolver(
        name="file/content-preview",
        doc="A text file's first lines (inside the configured roots).",
        params=["lines"],
        types={"file/content-preview": str},
        input=["file/path"],
        output=["file/content-preview"],
        blocking=True,
    )
    def preview_resolver(env: Any, data: Any) -> dict[str, Any]:
        text = content_preview(sandbox_for(env), data["file/path"], params(env).get("lines"))
        return {"file/content-preview": text}

    @resolver(
        name="knowledge/files",
        doc="The entries of a directory inside the configured roots.",
        params=["limit"],
        types={"knowledge/files": list},
        input=["dir/path"],
        output=[{"knowledge/files": ["file/path", *FILE_ATTRS]}],
        blocking=True,
    )
    def files_resolver(env: Any, data: Any) -> dict[str, Any]:
        entries = list_dir(sandbox_for(env), data["dir/path"], params(env).get("limit"))
        return {"knowledge/files": entries}

    @resolver(
        name="knowledge/search",
        doc="The files under the configured roots whose path matches a glob.",
        params=["limit"],
        types={"knowledge/search": list},
        input=["search/pattern"],
        output=[{"knowledge/search": ["file/path", "file/name", "file/size"]}],
        blocking=True,
    )
    def search_resolver(env: Any, data: Any) -> dict[str, Any]:
        found = search(sandbox_for(env), data["search/pattern"], params(env).get("limit"))
        return {"knowledge/search": found}

    @resolver(
        name="knowledge/project",
        doc="The project under the first root: its name, root and some of its files.",
        params=["limit"],
        types={"knowledge/project": dict},
        output=[
            {
                "knowledge/project": [
                    "project/name",
                    "project/root",
                    {"project/files": ["file/path", "file/name"]},
                ]
            }
        ],
        blocking=True,
    )
    def project_resolver(env: Any, _data: Any) -> dict[str, Any]:
        return {"knowledge/project": project(sandbox_for(env), params(env).get("limit"))}

    return document(
        [
            info_resolver,
            content_resolver,
            preview_resolver,
            files_resolver,
            search_resolver,
            project_resolver,
        ],
        ATTRIBUTE_DOCS,
    )
