"""Fixtures for the plugin tests: plugin directories written under tmp, the example installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "ouroboros-entity-stats"

GOOD_CODE = """
from ouroboros import resolver
from ouroboros.tools.registry import Tool


def plugin(ctx):
    @resolver(name="{ns}/hello", input=["{ns}/who"], output=["{ns}/greeting"])
    def hello(data):
        \"\"\"Greet someone.\"\"\"
        return {"{ns}/greeting": "hello " + data["{ns}/who"]}

    tool = Tool(
        name="{ns}_hello",
        description="Greet someone.",
        input_schema={"type": "object", "properties": {"who": {"type": "string"}}},
        query=lambda args, ctx: [{("{ns}/who", args.get("who", "you")): ["{ns}/greeting"]}],
        shape=lambda result, args, ctx: next(iter(result.values())),
    )
    return [hello, tool]
"""


def manifest_for(ns: str, *, name: str | None = None, extra: str = "") -> str:
    return textwrap.dedent(
        f"""\
        name = "{name or ns.replace("_", "-")}"
        version = "1.0.0"
        description = "A test plugin."
        resolvers = ["{ns}/hello"]
        tools = ["{ns}_hello"]
        """
    ) + textwrap.dedent(extra)


PluginMaker = Callable[..., str]


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    """An empty directory of plugin directories."""
    root = tmp_path / "plugins"
    root.mkdir()
    return root


@pytest.fixture
def make_plugin(plugin_dir: Path) -> PluginMaker:
    """Write a plugin directory; returns its namespace (unique, so its package name is too)."""

    def make(
        *,
        manifest: str | None = None,
        code: str | None = None,
        name: str | None = None,
        extra: str = "",
    ) -> str:
        ns = f"p{uuid.uuid4().hex[:10]}"
        pkg = plugin_dir / ns
        pkg.mkdir()
        text = manifest if manifest is not None else manifest_for(ns, name=name, extra=extra)
        (pkg / "ouroboros-plugin.toml").write_text(text.replace("{ns}", ns))
        (pkg / "__init__.py").write_text((code or GOOD_CODE).replace("{ns}", ns))
        return ns

    return make


@pytest.fixture(scope="session")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin installed with pip (``--target``: its own site dir, put on PYTHONPATH
    by the tests that use it, so the test venv stays the same for every other test)."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=build,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert any(target.glob("ouroboros_entity_stats-*.dist-info"))
    return target


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
