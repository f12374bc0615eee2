"""The mapped top-level folders import as `ouroboros.*`, and never as bare names."""

from __future__ import annotations

import importlib

import pytest


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
