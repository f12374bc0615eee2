"""OpenAPI clients outlive the process that bootstrapped them (issue 9 item 19): real
``ouroboros`` processes on one DuckDB file, against the loopback spec server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx2 as httpx
import pytest

from ouroboros.config import Settings
from ouroboros.errors import NotFoundError
from ouroboros.resolvers import openapi as oa
from ouroboros.store import open_store
from tests.resolvers.conftest import FIXTURES, LocalServer

OUROBOROS = str(Path(sys.executable).with_name("ouroboros"))


def _env() -> dict[str, str]:
    return {**os.environ, "OUROBOROS_HTTP_ALLOW": "127.0.0.1"}  # the loopback API is allowed


def tools_call(db: Path, name: str, args: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [OUROBOROS, "tools", "call", name, json.dumps(args), "--db", str(db)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=db.parent,
        timeout=120,
    )
    envelope: dict[str, Any] = json.loads(proc.stdout)
    assert (proc.returncode == 0) == (envelope["status"] == "success"), proc.stderr
    return envelope


def _stored_text(db: Path) -> str:
    with duckdb.connect(str(db), read_only=True) as conn:
        return json.dumps(conn.execute("SELECT * FROM openapi_clients").fetchall(), default=str)


def test_bootstrap_in_one_process_call_in_another(server: LocalServer, tmp_path: Path) -> None:
    db = tmp_path / "o.duckdb"
    spec_url = server.url("/openapi.json?token=t0k3n")
    boot = tools_call(db, "openapi_bootstrap", {"name": "t", "spec_url": spec_url})
    assert boot["status"] == "success", boot
    assert "listPets" in boot["result"]["operations"]
    called = tools_call(
        db,
        "openapi_call",
        {"client": "t", "operation": "listPets", "params": {"limit": 2, "X-Api-Key": "k1"}},
    )
    assert called["status"] == "success", called
    assert called["result"]["status"] == 200
    assert called["result"]["body"]["pets"] == [
        {"id": 1, "name": "pet1"},
        {"id": 2, "name": "pet2"},
    ]
    unknown = tools_call(db, "openapi_call", {"client": "ghost", "operation": "listPets"})
    assert unknown["status"] == "error"
    assert "no OpenAPI client named 'ghost'" in json.dumps(unknown)
    assert "t" in unknown["error"]["details"]["available"]
    assert "t0k3n" not in _stored_text(db)  # the spec URL's token never reached the file


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_a_running_server_sees_clients_bootstrapped_by_others(
    server: LocalServer, tmp_path: Path
) -> None:
    """``serve`` owns the file; two ``tools call`` processes reach it over the store's socket.
    The server then lists and calls the client none of its own requests bootstrapped."""
    db = tmp_path / "s.duckdb"
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [OUROBOROS, "serve", "--port", str(port), "--db", str(db), "--allow-mutations"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_env(),
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.2)
        boot = tools_call(
            db, "openapi_bootstrap", {"name": "t", "spec_url": server.url("/swagger.yaml")}
        )
        assert boot["status"] == "success", boot
        called = tools_call(db, "openapi_call", {"client": "t", "operation": "createPet",
                                                 "params": {"pet": {"id": 9}}})  # fmt: skip
        assert called["result"]["body"] == {"created": {"id": 9}}
        edn = {"content-type": "application/edn"}
        r = httpx.post(
            base + "/eql",
            content="[{:openapi/clients [:openapi/name :openapi/spec-version]} "
            '{[:openapi/client "t"] [{:openapi/operations [:operation/id]}]}]',
            headers=edn,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["openapi/clients"] == [{"openapi/name": "t", "openapi/spec-version": "2.0"}]
        ops = data['[:openapi/client "t"]']["openapi/operations"]
        assert [o["operation/id"] for o in ops] == ["listPets", "createPet", "showPetById"]
        r = httpx.post(
            base + "/eql",
            content='[(openapi/call! {:client "t" :operation "showPetById" :params {:petId 7}})]',
            headers=edn,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert r.json()["openapi/call!"]["openapi/body"] == {"id": "7", "name": "rex"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_a_secret_in_the_base_url_stays_in_the_process_that_has_it(tmp_path: Path) -> None:
    """Two registries over one store, as two processes would be: the one that bootstrapped
    with a key in the base URL keeps it; the store and the other get it redacted, and the
    other is told to bootstrap again rather than call with a redacted value."""
    files = Settings(roots=(str(FIXTURES),))
    with open_store(tmp_path / "r.duckdb", embedder=None) as store:
        mine, other = oa.OpenAPIRegistry(store), oa.OpenAPIRegistry(store)
        result = oa.bootstrap(
            mine,
            files,
            "pets",
            "openapi-petstore-v3.json",
            "https://pets.example/v1?api_key=hunter2",
        )
        assert "hunter2" not in json.dumps(result)
        assert mine.get("pets").base_url == "https://pets.example/v1?api_key=hunter2"
        assert "hunter2" not in json.dumps(store.openapi_client_get("pets"))
        with pytest.raises(NotFoundError, match="bootstrap it again here"):
            other.get("pets")
        assert [r["openapi/name"] for r in other.rows()] == ["pets"]  # listed, not callable
        oa.bootstrap(other, files, "pets", "openapi-petstore-v3.json", "https://pets.example/v2")
        assert mine.get("pets").base_url == "https://pets.example/v2"  # the newest bootstrap wins
        assert mine.remove("pets") is True
        with pytest.raises(NotFoundError, match="no OpenAPI client named 'pets'"):
            other.get("pets")
