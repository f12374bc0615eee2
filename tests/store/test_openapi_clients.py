"""Bootstrapped OpenAPI clients in the store (both backends): records, replacement, redaction,
bad input, and the schema migration that adds the table to an older database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ouroboros.errors import InvalidInputError, PayloadTooLargeError
from ouroboros.store import Store, open_store
from ouroboros.store.schema import SCHEMA_VERSION

FIXTURES = Path(__file__).parent.parent / "fixtures"
SPEC = json.loads((FIXTURES / "openapi-petstore-v3.json").read_text(encoding="utf-8"))


def test_put_get_list_delete(store: Store) -> None:
    assert store.openapi_client_get("pets") is None
    assert store.openapi_client_list() == []
    first = store.openapi_client_put(
        "pets", "https://specs.example/pets.json", "https://pets.example/v1", SPEC, "Pets", "3.0.0"
    )
    assert first["name"] == "pets" and first["redacted"] is False
    assert first["base_url"] == "https://pets.example/v1" and "spec" not in first
    got = store.openapi_client_get("pets")
    assert got is not None and got["spec"] == SPEC  # the whole spec round-trips
    assert got["version"] == first["version"] and got["title"] == "Pets"
    assert "spec" not in (store.openapi_client_get("pets", with_spec=False) or {})
    # A second bootstrap of the same name replaces it: new version, creation time kept.
    second = store.openapi_client_put(
        "pets", "pets.json", "https://other.example", {"openapi": "3.1.0", "paths": {}}
    )
    assert second["version"] != first["version"]
    assert second["created_at"] == first["created_at"]
    assert (store.openapi_client_get("pets") or {})["spec"] == {"openapi": "3.1.0", "paths": {}}
    store.openapi_client_put("alpha", "a.json", "https://a.example", {"paths": {}})
    assert [r["name"] for r in store.openapi_client_list()] == ["alpha", "pets"]
    assert all("spec" not in r for r in store.openapi_client_list())
    assert store.openapi_client_delete("pets") is True
    assert store.openapi_client_delete("pets") is False
    assert [r["name"] for r in store.openapi_client_list()] == ["alpha"]


def test_secrets_in_urls_are_never_stored(store: Store) -> None:
    record = store.openapi_client_put(
        "pets",
        "https://bob:hunter2@specs.example/pets.json?token=t0k3n",
        "https://pets.example/v1?api_key=s3cr3t&region=eu",
        SPEC,
    )
    assert record["redacted"] is True
    stored = store.openapi_client_get("pets")
    text = json.dumps(stored)
    for secret in ("hunter2", "t0k3n", "s3cr3t"):
        assert secret not in text
    assert stored is not None and "region=eu" in stored["base_url"]
    assert stored["spec_url"].startswith("https://specs.example/pets.json")


def test_bad_input(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="client name"):
        store.openapi_client_put("", "a.json", "https://a.example", SPEC)
    with pytest.raises(InvalidInputError, match="spec must be a map"):
        store.openapi_client_put("x", "a.json", "https://a.example", ["not", "a", "map"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="not JSON-serialisable"):
        store.openapi_client_put("x", "a.json", "https://a.example", {"v": float("nan")})
    with pytest.raises(PayloadTooLargeError):
        store.openapi_client_put("x", "a.json", "https://a.example", {"d": "x" * (33 << 20)})
    assert store.openapi_client_list() == []


def test_an_older_duckdb_file_gains_the_table(tmp_path: Path) -> None:
    db = tmp_path / "wave1.duckdb"
    shutil.copyfile(FIXTURES / "wave1-store.duckdb", db)
    with duckdb.connect(str(db), read_only=True) as conn:
        before = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert before is not None and int(before[0]) < SCHEMA_VERSION
    with open_store(db, embedder=None) as store:
        store.openapi_client_put("pets", "pets.json", "https://pets.example", SPEC)
    with open_store(db, embedder=None) as store:
        assert (store.openapi_client_get("pets") or {})["spec"] == SPEC
    with duckdb.connect(str(db), read_only=True) as conn:
        after = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert after == (str(SCHEMA_VERSION),)
