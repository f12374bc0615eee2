"""Permissions: a plugin's env has only the capabilities its manifest declares, under the
built-in policies (SSRF guard, file roots, read-only store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.errors import PermissionDeniedError
from ouroboros.service import build_service
from ouroboros.store import open_store

CODE = """
from ouroboros import resolver

def plugin(ctx):
    @resolver(name="{ns}/probe", input=["{ns}/what"], output=["{ns}/answer"])
    def probe(env, data):
        \"\"\"Use one capability.\"\"\"
        what = data["{ns}/what"]
        if what == "read":
            return {"{ns}/answer": env.store.get_entity("Alice")["observations"]}
        if what == "write":
            env.store.memory_set("k", 1)
            return {"{ns}/answer": "wrote"}
        if what == "tokens":
            return {"{ns}/answer": env.store.token_list()}
        if what.startswith("http"):
            return {"{ns}/answer": env.http.get(what).status}
        return {"{ns}/answer": env.files.read_text(what)}
    return [probe]
"""


@pytest.fixture
def probe(plugin_dir, make_plugin, tmp_path: Path):
    """Return ``ask(permissions, what, **settings) -> answer`` over a fresh service."""
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "inside.txt").write_text("inside")
    (tmp_path / "outside.txt").write_text("outside")

    def ask(permissions: list[str], what: str, **extra):
        ns = make_plugin(
            manifest='name = "{ns}"\nversion = "1"\nresolvers = ["{ns}/probe"]\n'
            f"permissions = {permissions!r}\n".replace("'", '"'),
            code=CODE,
        )
        settings = Settings(
            db_path=":memory:",
            roots=(str(tmp_path / "root"),),
            plugin_dirs=(str(plugin_dir),),
            **extra,
        )
        store = open_store(":memory:", embedder=None)
        store.create_entities([{"name": "Alice", "entityType": "person", "observations": ["hi"]}])
        with build_service(settings, store) as service:
            assert service.plugins.get(ns) is not None, [r.line for r in service.plugins.refused]
            result = service.engine.process(f'[{{[:{ns}/what "{what}"] [:{ns}/answer]}}]')
            return result[(f"{ns}/what", what)][f"{ns}/answer"]

    return ask


def test_store_read_gives_the_read_methods(probe) -> None:
    assert probe(["store-read"], "read") == ["hi"]


def test_an_undeclared_capability_is_not_there(probe) -> None:
    with pytest.raises(PermissionDeniedError, match="did not declare the 'store-read' permission"):
        probe([], "read")
    with pytest.raises(PermissionDeniedError, match="did not declare the 'network' permission"):
        probe(["store-read"], "http://example.com/")
    with pytest.raises(PermissionDeniedError, match="did not declare the 'files' permission"):
        probe(["network"], "inside.txt")


def test_store_read_cannot_write_and_nothing_reaches_tokens(probe) -> None:
    with pytest.raises(
        PermissionDeniedError, match="'memory_set' needs the 'store-write' permission"
    ):
        probe(["store-read"], "write")
    assert probe(["store-write"], "write") == "wrote"
    with pytest.raises(PermissionDeniedError, match="'token_list' is not open to plugins"):
        probe(["store-read", "store-write"], "tokens")


def test_network_goes_through_the_ssrf_guard(probe, serve_uvicorn) -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok", status_code=203))])
    with serve_uvicorn(app) as server:
        with pytest.raises(PermissionDeniedError, match=r"refused|blocked|private|loopback"):
            probe(["network"], f"{server.url}/")
        assert probe(["network"], f"{server.url}/", http_allow=("127.0.0.1",)) == 203


def test_files_stay_inside_the_roots(probe, tmp_path: Path) -> None:
    assert probe(["files"], "inside.txt") == "inside"
    with pytest.raises(PermissionDeniedError, match="refused"):
        probe(["files"], str(tmp_path / "outside.txt"))


def test_setup_cannot_use_an_undeclared_capability(plugin_dir, make_plugin, tmp_path) -> None:
    code = "def plugin(ctx):\n    ctx.http\n    return []\n"
    ns = make_plugin(manifest='name = "{ns}"\nversion = "1"\n', code=code)
    settings = Settings(db_path=":memory:", roots=(str(tmp_path),), plugin_dirs=(str(plugin_dir),))
    with build_service(settings, open_store(":memory:", embedder=None)) as service:
        [refused] = service.plugins.refused
        assert refused.name == ns
        assert refused.cause == (
            f"its setup failed: PermissionDeniedError: plugin {ns!r} did not declare the "
            "'network' permission in its manifest"
        )
