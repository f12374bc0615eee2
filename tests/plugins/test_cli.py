"""``ouroboros plugins list|check`` and ``--plugins`` / ``--disable-plugin`` on the commands."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ouroboros.cli import main
from ouroboros.resolvers import DOMAINS


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_plugins_list_json(plugin_dir: Path, make_plugin) -> None:
    ns = make_plugin()
    result = run("plugins", "list", "--json", "--plugins", str(plugin_dir))
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed[ns]["version"] == "1.0.0"
    assert listed[ns]["resolvers"] == [f"{ns}/hello"]
    assert listed[ns]["tools"] == [f"{ns}_hello"]
    assert listed[ns]["origin"] == f"directory {plugin_dir / ns}"
    assert listed["git"]["builtin"] is True and "git_commits" in listed["git"]["tools"]


def test_plugins_list_text_one_line_each(plugin_dir: Path, make_plugin) -> None:
    ns = make_plugin()
    result = run("plugins", "list", env={"OUROBOROS_PLUGINS": str(plugin_dir)})
    lines = result.stdout.splitlines()
    assert len(lines) == len(DOMAINS) + 1
    [mine] = [line for line in lines if line.startswith(ns)]
    assert "1.0.0" in mine and f"resolvers {ns}/hello" in mine and f"tools {ns}_hello" in mine


def test_plugins_check_exits_1_on_a_refused_plugin(plugin_dir: Path, make_plugin) -> None:
    make_plugin()
    assert run("plugins", "check", "--plugins", str(plugin_dir)).exit_code == 0
    bad = make_plugin(extra='permissions = ["root"]\n')
    result = run("plugins", "check", "--plugins", str(plugin_dir))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"plugin {bad!r} (directory {plugin_dir / bad}) refused: "
        "unknown permission 'root' (known: network, files, store-read, store-write)"
    )
    assert result.stdout.strip() == f"{len(DOMAINS) + 1} plugins loaded, 0 disabled, 1 refused"


def test_disable_plugin_on_tools_list(tmp_path: Path) -> None:
    db = str(tmp_path / "db.duckdb")
    listed = run("tools", "list", "--db", db, "--disable-plugin", "git")
    assert listed.exit_code == 0, listed.output
    names = {line.split()[0] for line in listed.stdout.splitlines()}
    assert "git_commits" not in names and "memory_get" in names
    env = run("tools", "list", "--db", db, env={"OUROBOROS_DISABLE_PLUGINS": "git,files"})
    assert "file_read" not in env.stdout and "git_status" not in env.stdout
    typo = run("tools", "list", "--db", db, "--disable-plugin", "gti")
    assert typo.exit_code == 1
    assert typo.stderr.startswith("error: InvalidInputError: --disable-plugin names no plugin: gti")


def test_plan_and_query_see_directory_plugins(plugin_dir: Path, make_plugin, tmp_path) -> None:
    ns = make_plugin()
    query = f'[{{[:{ns}/who "Ada"] [:{ns}/greeting]}}]'
    planned = run("plan", query, "--plugins", str(plugin_dir))
    assert planned.exit_code == 0, planned.output
    assert f"{ns}/hello" in planned.stdout
    answered = run("query", query, "--db", str(tmp_path / "q.duckdb"), "--plugins", str(plugin_dir))
    assert answered.exit_code == 0, answered.output
    assert json.loads(answered.stdout) == {f'[:{ns}/who "Ada"]': {f"{ns}/greeting": "hello Ada"}}
