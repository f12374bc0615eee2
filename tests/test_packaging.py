"""The mapped top-level folders import as `ouroboros.*`, and never as bare names."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


@pytest.mark.parametrize("name", ["resolvers", "tools", "mcp_server", "grammar"])
def test_mapped_package_imports_under_ouroboros(name: str) -> None:
    module = importlib.import_module(f"ouroboros.{name}")
    assert module.__doc__


@pytest.mark.parametrize("name", ["resolvers", "mcp_server", "grammar"])
def test_bare_top_level_name_is_not_importable(name: str) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)


def test_import_ouroboros_is_lazy() -> None:
    import subprocess
    import sys

    code = "import sys, ouroboros; print(sorted(m for m in ('duckdb','networkx','lark','starlette') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True
    )
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves() -> None:
    import ouroboros

    assert set(ouroboros.__all__) - {"__version__"} == set(ouroboros._EXPORTS)
    for name in ouroboros._EXPORTS:
        assert getattr(ouroboros, name) is not None


ROOT = Path(__file__).resolve().parent.parent


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"constraints.txt: {line!r} is not an exact pin"
            pins[canonicalize_name(name)] = version
    return pins


def test_constraints_pin_every_runtime_requirement_within_its_range() -> None:
    """A requirement raised in pyproject.toml without `make constraints` fails here at once
    (the CI wheel leg then also installs with the pins and compares them to what it got)."""
    pins = _pins()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for text in config["project"]["dependencies"]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in constraints.txt (make constraints)"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside {req} (make constraints)"
        )


def test_the_dockerfile_names_only_settings_the_code_reads() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "ouroboros").rglob("*.py"))
    names = set(re.findall(r"\bOUROBOROS_[A-Z_]+\b", dockerfile))
    assert names and not {n for n in names if f'"{n}"' not in source}
    assert "HEALTHCHECK" in dockerfile and "-c constraints.txt" in dockerfile
