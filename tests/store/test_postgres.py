"""The PostgreSQL backend beyond the shared suite: migrations, many writers, same answers.

These run against a real PostgreSQL cluster started from Debian's binaries (see
tests/pgcluster.py); they skip when it is not installed, and fail in the CI postgres leg.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ouroboros.errors import StoreError
from ouroboros.store import open_store
from ouroboros.store.pgdatabase import PG_SCHEMA_VERSION

pytestmark = pytest.mark.postgres

WRITER = r"""
import sys
from ouroboros.store import open_store
from ouroboros.store.pgdatabase import PG_SCHEMA_VERSION
url, me, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open_store(url) as s:
    for i in range(n):
        s.create_entities([{"name": f"{me}-{i}", "entityType": "t", "observations": ["x"]},
                           {"name": "shared", "entityType": "t", "observations": [f"by {me}"]}])
        s.add_observations([{"entityName": "shared", "contents": [f"{me} {i}", "common"]}])
        s.create_relations([{"from": f"{me}-{i}", "to": "shared", "relationType": "r"}])
print("done")
"""


def test_every_instance_sees_every_write_at_once(pg_url: str) -> None:
    with open_store(pg_url) as a, open_store(pg_url) as b:
        assert a.role == b.role == "postgres"
        a.create_entities([{"name": "Ada", "entityType": "person", "observations": ["green tea"]}])
        assert b.get_entity("Ada")["observations"] == ["green tea"]  # type: ignore[index]
        assert b.search("teas", mode="keyword")["results"][0]["name"] == "Ada"
        secret, _ = a.token_create("ci", ["read"])
        assert b.token_verify(secret) is not None
        a.token_revoke("ci")
        assert b.token_verify(secret) is None  # revocation is shared


def test_concurrent_writers_lose_and_duplicate_nothing(pg_url: str, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, pg_url, f"w{k}", "25"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-2000:]
    with open_store(pg_url) as s:
        counts = s.counts()
        assert counts["entities"] == 4 * 25 + 1
        assert counts["relations"] == 4 * 25
        shared = s.get_entity("shared")
        assert shared is not None
        obs = shared["observations"]
        assert len(obs) == len(set(obs))
        assert {f"w{k} {i}" for k in range(4) for i in range(25)} <= set(obs)
        assert "common" in obs
        # the counters kept in step with the rows
        assert counts["observations"] == 4 * 25 + len(obs)
        assert s.search("common", mode="keyword")["total"] == 1


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    open_store(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE ouroboros_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 999, newer"):
        open_store(pg_url)


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"postgresql://nobody@/nodb?host={tmp_path}&port=1"
    with pytest.raises(StoreError, match="cannot reach PostgreSQL"):
        open_store(url, timeout=1)


def test_same_answers_as_duckdb(pg_url: str, tmp_path: Path) -> None:
    fixture = Path(__file__).parent.parent / "fixtures" / "memory-official.jsonl"
    with open_store(pg_url) as pg, open_store(tmp_path / "d.duckdb", embedder=None) as dk:
        assert pg.import_jsonl(fixture) == dk.import_jsonl(fixture)
        strip = lambda g: json.dumps(  # noqa: E731
            [{k: e[k] for k in ("name", "entityType", "observations")} for e in g["entities"]]
        )
        assert strip(pg.read_graph()) == strip(dk.read_graph())
        for q in ("Anthropic", "zürich", "works", '"machine learning"', "tokyo visited"):
            got = [(r["name"], r["score"]) for r in pg.search(q, mode="keyword")["results"]]
            want = [(r["name"], r["score"]) for r in dk.search(q, mode="keyword")["results"]]
            assert got == want, q
        names = [e["name"] for e in dk.read_graph()["entities"]]
        for a in names:
            for b in names:
                x, y = pg.shortest_path(a, b), dk.shortest_path(a, b)
                assert (x or {}).get("length") == (y or {}).get("length")


def test_export_from_duckdb_then_import_into_postgres_and_back(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path / "a.duckdb", embedder=None) as dk:
        dk.create_entities([{"name": "A", "entityType": "t", "observations": ["one", "two"]}])
        dk.create_entities([{"name": "B", "entityType": "t", "observations": []}])
        dk.create_relations([{"from": "A", "to": "B", "relationType": "r"}])
        dk.memory_set("k", {"v": 1})
        dk.dump_json(tmp_path / "dump.json")
        graph = dk.read_graph()
    with open_store(pg_url) as pg:
        pg.restore_json(tmp_path / "dump.json")
        assert pg.read_graph() == graph
        assert pg.memory_get("k")["value"] == {"v": 1}  # type: ignore[index]
        pg.dump_json(tmp_path / "back.json")
    with open_store(tmp_path / "b.duckdb", embedder=None) as back:
        back.restore_json(tmp_path / "back.json")
        assert back.read_graph() == graph


def test_a_version_1_database_is_migrated(pg_url: str) -> None:
    """A database made before the OpenAPI clients table (version 1) and the change feed
    (version 3) gains them on open."""
    open_store(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE openapi_clients, write_results, aliases, changes"
        )  # as in version 1
        conn.execute("UPDATE ouroboros_meta SET value = '1' WHERE key = 'schema_version'")
    with open_store(pg_url) as store:
        store.openapi_client_put("pets", "pets.json", "https://pets.example", {"paths": {}})
        assert [r["name"] for r in store.openapi_client_list()] == ["pets"]
        cursor = store.changes()["cursor"]
        store.create_entities([{"name": "Ada", "entityType": "person", "observations": []}])
        assert store.changes(cursor)["names"] == ["Ada"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT value FROM ouroboros_meta WHERE key = 'schema_version'"
        ).fetchone()
    assert row == (str(PG_SCHEMA_VERSION),)
