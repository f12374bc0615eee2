"""The loader: good plugins load from directories, bad ones are refused with one clear line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.errors import InvalidInputError
from ouroboros.plugins import load_plugins
from ouroboros.resolvers import DOMAINS
from ouroboros.resolvers.runtime import Runtime
from ouroboros.service import build_service
from ouroboros.store import open_store

BUILTINS = list(DOMAINS)  # one built-in plugin per resolver domain, in order


def load(plugin_dir: Path, tmp_path: Path, **extra):
    settings = Settings(
        db_path=":memory:", roots=(str(tmp_path),), plugin_dirs=(str(plugin_dir),), **extra
    )
    return load_plugins(settings, Runtime(settings=settings))


def refusal(plugins, name: str) -> str:
    found = [r for r in plugins.refused if r.name == name]
    assert found, [r.line for r in plugins.refused]
    return found[0].cause


def test_builtins_load_through_the_plugin_path(tmp_path: Path) -> None:
    settings = Settings(db_path=":memory:", roots=(str(tmp_path),))
    plugins = load_plugins(settings, Runtime(settings=settings))
    assert [p.name for p in plugins.loaded] == BUILTINS
    assert all(p.builtin and p.origin == "built-in" for p in plugins.loaded)
    assert plugins.get("git").manifest.tools == ("git_commits", "git_status")
    assert "git/commits" in {str(a) for op in plugins.get("git").operations for a in op.provides}
    assert not plugins.refused


def test_a_directory_plugin_loads_and_answers(plugin_dir, make_plugin, tmp_path) -> None:
    ns = make_plugin()
    settings = Settings(db_path=":memory:", roots=(str(tmp_path),), plugin_dirs=(str(plugin_dir),))
    store = open_store(":memory:", embedder=None)
    with build_service(settings, store) as service:
        loaded = service.plugins.get(ns)
        assert loaded is not None and not loaded.builtin
        assert loaded.origin == f"directory {plugin_dir / ns}"
        result = service.engine.process(f'[{{[:{ns}/who "Ada"] [:{ns}/greeting]}}]')
        assert result[(f"{ns}/who", "Ada")] == {f"{ns}/greeting": "hello Ada"}
        envelope = service.tools.call_sync(f"{ns}_hello", {"who": "Bo"})
        assert envelope["result"] == {f"{ns}/greeting": "hello Bo"}
        # Its manifest declares no attributes: generated descriptions name the plugin.
        docs = service.engine.attributes
        name = ns.replace("_", "-")
        assert docs.doc_of(f"{ns}/greeting") == (
            f"From the plugin {name} (resolver {ns}/hello): Greet someone."
        )
        assert docs.doc_of(f"{ns}/who") == f"An input of the plugin {name}'s resolver {ns}/hello."


@pytest.mark.parametrize(
    ("manifest", "cause"),
    [
        ('name = "x"\nversion = ', "malformed manifest"),
        ('name = "x"\n', "'version' is a required property"),
        ('name = "Bad Name"\nversion = "1"\n', "name: 'Bad Name' does not match"),
        ('name = "x"\nversion = "1"\npermissions = ["root"]\n', "unknown permission 'root'"),
        ('name = "x"\nversion = "1"\nflavour = "mint"\n', "'flavour' was unexpected"),
        (
            'name = "x"\nversion = "1"\n[[attributes]]\nname = "a/b"\ntype = "complex"\ndoc = "d"\n',
            "attributes[0].type",
        ),
    ],
)
def test_bad_manifests_are_refused(
    plugin_dir, make_plugin, tmp_path, manifest, cause, caplog
) -> None:
    ns = make_plugin(manifest=manifest)
    good = make_plugin()
    with caplog.at_level(logging.WARNING, logger="ouroboros.plugins.loader"):
        plugins = load(plugin_dir, tmp_path)
    [line] = [r.line for r in plugins.refused]
    assert cause in line and "refused" in line
    assert str(plugin_dir / ns) in line  # the line says where the plugin is
    # Only the loader's own records: a server thread of another test may log meanwhile.
    logged = [r.getMessage() for r in caplog.records if r.name == "ouroboros.plugins.loader"]
    assert logged == [line]
    assert plugins.get(good) is not None  # the others still load


def test_name_clashes_are_refused(plugin_dir, make_plugin, tmp_path) -> None:
    builtin = make_plugin(name="git")
    first = make_plugin(name="twin")
    second = make_plugin(name="twin")
    plugins = load(plugin_dir, tmp_path)
    causes = {r.origin: r.cause for r in plugins.refused}
    assert causes[f"directory {plugin_dir / builtin}"] == (
        "the name 'git' is already taken by a built-in plugin"
    )
    loser = max(first, second)  # directories load in name order
    assert causes[f"directory {plugin_dir / loser}"] == (
        "the name 'twin' is already taken by another plugin"
    )
    assert plugins.get("twin") is not None


def test_a_tool_clashing_with_a_builtin_tool_is_refused(plugin_dir, make_plugin, tmp_path):
    code = """
from ouroboros.tools.registry import Tool

def plugin(ctx):
    return [Tool(name="memory_get", description="Mine.", input_schema={"type": "object"},
                 query=lambda a, c: [])]
"""
    ns = make_plugin(manifest='name = "{ns}"\nversion = "1"\ntools = ["memory_get"]\n', code=code)
    plugins = load(plugin_dir, tmp_path)
    assert refusal(plugins, ns) == "tool 'memory_get' is already added by plugin 'memory'"


def test_import_errors_and_undeclared_additions_are_refused(plugin_dir, make_plugin, tmp_path):
    broken = make_plugin(code="import no_such_module_here\n")
    undeclared = make_plugin(manifest='name = "{ns}"\nversion = "1"\ntools = ["{ns}_hello"]\n')
    missing = make_plugin(extra='mutations = ["{ns}/go!"]\n')
    failing = make_plugin(code="def plugin(ctx):\n    raise RuntimeError('no config')\n")
    plugins = load(plugin_dir, tmp_path)
    assert refusal(plugins, broken).startswith(
        f"importing {broken}:plugin failed: ModuleNotFoundError: No module named"
    )
    assert refusal(plugins, undeclared) == (
        f"it adds resolver '{undeclared}/hello', which its manifest does not declare "
        "(list it under 'resolvers')"
    )
    assert refusal(plugins, missing) == (
        f"its manifest declares mutation '{missing}/go!', which it does not add"
    )
    assert refusal(plugins, failing) == "its setup failed: RuntimeError: no config"


def test_the_service_starts_with_a_bad_plugin(plugin_dir, make_plugin, tmp_path) -> None:
    make_plugin(manifest="not toml at all [")
    settings = Settings(db_path=":memory:", roots=(str(tmp_path),), plugin_dirs=(str(plugin_dir),))
    with build_service(settings, open_store(":memory:", embedder=None)) as service:
        assert len(service.plugins.refused) == 1
        assert service.engine.process("[:system/healthy?]") == {"system/healthy?": True}


def test_disable_plugin_removes_its_resolvers_and_tools(tmp_path: Path) -> None:
    settings = Settings(
        db_path=":memory:", roots=(str(tmp_path),), disabled_plugins=("git", "graph")
    )
    with build_service(settings, open_store(":memory:", embedder=None)) as service:
        names = service.tools.all_names
        assert "git_commits" not in names and "read_graph" not in names
        assert "memory_get" in names
        assert [d.name for d in service.plugins.disabled] == ["git", "graph"]
        lenient = service.engine.process("[:git/commits]", lenient=True)
        assert lenient["ouroboros/errors"]["git/commits"]["cause"] == "attribute-unreachable"


def test_disabling_an_unknown_plugin_is_an_error(tmp_path: Path) -> None:
    settings = Settings(db_path=":memory:", roots=(str(tmp_path),), disabled_plugins=("gti",))
    with pytest.raises(InvalidInputError, match="--disable-plugin names no plugin: gti"):
        load_plugins(settings, Runtime(settings=settings))


def test_a_refused_plugin_can_be_disabled_by_its_directory_name(
    plugin_dir, make_plugin, tmp_path
) -> None:
    ns = make_plugin(manifest="broken = ")
    plugins = load(plugin_dir, tmp_path, disabled_plugins=(ns,))
    assert not plugins.refused
    assert [d.name for d in plugins.disabled] == [ns]


def test_engine_plugins_from_a_plugin_wrap_the_engine(plugin_dir, make_plugin, tmp_path):
    code = """
from ouroboros import Plugin, resolver

CALLS = []

def plugin(ctx):
    def wrap_resolve(next_):
        def handler(env, op, data):
            CALLS.append(op.name)
            return next_(env, op, data)
        return handler

    @resolver(name="{ns}/one", output=["{ns}/one"])
    def one(data):
        \"\"\"One.\"\"\"
        return {"{ns}/one": 1}

    return [one, Plugin(id="{ns}/count-calls", wrap_resolve=wrap_resolve)]
"""
    ns = make_plugin(
        manifest='name = "{ns}"\nversion = "1"\nresolvers = ["{ns}/one"]\n'
        'engine-plugins = ["{ns}/count-calls"]\n',
        code=code,
    )
    settings = Settings(db_path=":memory:", roots=(str(tmp_path),), plugin_dirs=(str(plugin_dir),))
    with build_service(settings, open_store(":memory:", embedder=None)) as service:
        assert service.engine.process(f"[:{ns}/one]") == {f"{ns}/one": 1}
    import sys

    calls = sys.modules[ns].CALLS
    assert calls == [f"{ns}/one"]
