"""Discovery: where plugins come from — entry points in ``ouroboros.plugins`` and directories.

Each place yields a ``Candidate``: a name to report, where it came from, the manifest file
(``ouroboros-plugin.toml`` in the plugin's package) and a way to import its code. Nothing is
imported while discovering, so a broken plugin cannot stop discovery of the others.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ouroboros.errors import RegistrationError
from ouroboros.plugins.manifest import MANIFEST_FILE

__all__ = ["ENTRY_POINT_GROUP", "Candidate", "discover", "from_directories", "from_entry_points"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ouroboros.plugins"


@dataclass(frozen=True)
class Candidate:
    """A plugin found but not loaded yet."""

    name: str  # the entry point's or directory's name, until the manifest says otherwise
    origin: str  # "entry point <dist> (<value>)" or "directory <path>"
    manifest_path: Path | None
    entry: str | None  # "module:attr" from the entry point; None: the manifest's ``entry``
    import_entry: Callable[[str], Any]

    @property
    def kind(self) -> str:
        """``"entry-point"`` or ``"directory"``."""
        return "directory" if self.origin.startswith("directory") else "entry-point"


def import_object(entry: str) -> Any:
    """Return the object ``module:attr`` (or the module) names; raises what importing raises."""
    module_name, _, attr = entry.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def _package_dir(module: str) -> Path | None:
    """The directory of the package that holds ``module``, found without importing it."""
    parts = module.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
    elif spec.origin:
        return Path(spec.origin).parent
    else:
        return None
    for part in parts[1:]:
        if not (base / part).is_dir():
            break
        base = base / part
    return base


def from_entry_points(
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
) -> Iterator[Candidate]:
    """Yield a candidate per entry point in the ``ouroboros.plugins`` group."""
    eps = (
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        if entry_points is None
        else entry_points
    )
    for ep in sorted(eps, key=lambda e: e.name):
        dist = getattr(ep.dist, "name", None) or "?"
        package = _package_dir(ep.module)
        manifest = package / MANIFEST_FILE if package is not None else None
        yield Candidate(
            name=ep.name,
            origin=f"entry point {dist} ({ep.value})",
            manifest_path=manifest,
            entry=ep.value,
            import_entry=import_object,
        )


def _import_directory_package(directory: Path) -> Callable[[str], Any]:
    """Return an importer that first imports ``directory`` as the package named after it."""

    def importer(entry: str) -> Any:
        name = directory.name
        if not name.isidentifier():
            raise RegistrationError(
                f"directory name {name!r} is not a Python package name (use letters, digits, _)"
            )
        init = directory / "__init__.py"
        existing = sys.modules.get(name)
        if existing is not None:
            where = getattr(existing, "__file__", None)
            if where is None or Path(where).resolve() != init.resolve():
                raise RegistrationError(
                    f"a module named {name!r} is already imported from {where or 'elsewhere'}"
                )
        else:
            spec = importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[str(directory)]
            )
            if spec is None or spec.loader is None or not init.is_file():
                raise RegistrationError(f"{directory} has no __init__.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
        return import_object(entry)

    return importer


def from_directories(directories: Iterable[str]) -> Iterator[Candidate]:
    """Yield a candidate per plugin directory: each subdirectory of a listed directory that
    holds a manifest (or the listed directory itself when it holds one)."""
    for raw in directories:
        root = Path(raw).expanduser()
        if not root.is_dir():
            log.warning("plugin directory %s does not exist; skipped", root)
            continue
        dirs = [root] if (root / MANIFEST_FILE).is_file() else sorted(root.iterdir())
        for sub in dirs:
            manifest = sub / MANIFEST_FILE
            if not manifest.is_file():
                continue
            yield Candidate(
                name=sub.name,
                origin=f"directory {sub}",
                manifest_path=manifest,
                entry=None,
                import_entry=_import_directory_package(sub.resolve()),
            )


def discover(directories: Iterable[str] = (), *, entry_points: bool = True) -> list[Candidate]:
    """Return every candidate: entry points first (sorted by name), then directories in order."""
    found = list(from_entry_points()) if entry_points else []
    found.extend(from_directories(directories))
    return found


def split_paths(value: str | None) -> tuple[str, ...]:
    """Split ``OUROBOROS_PLUGINS`` on ``os.pathsep``."""
    return tuple(p for p in (value or "").split(os.pathsep) if p.strip())
