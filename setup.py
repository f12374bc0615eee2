"""Package discovery for the mapped layout; everything else is in pyproject.toml.

The top-level folders ``grammar/``, ``resolvers/``, ``tools/`` and ``mcp_server/`` install
inside the ``ouroboros`` namespace (``[tool.setuptools] package-dir``). setuptools'
``[tool.setuptools.packages.find]`` names what it finds after the folder (a bare ``resolvers``),
so the packages are found here instead: every package under each mapped folder, named inside
its mapped package. A new package or subpackage ships without editing a list, and the CI
``wheel`` leg checks that every file of the source tree is in the built wheel.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    """Return every package: each mapped package and the packages found below its folder."""
    config = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))
    package_dir: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    found: set[str] = set()
    for name, folder in package_dir.items():
        found.add(name)
        found.update(f"{name}.{sub}" for sub in find_packages(str(HERE / folder)))
    return sorted(found)


setup(packages=discover())
