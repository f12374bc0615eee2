"""The change feed: every graph write appends the names it touched, read by a cursor, on both
backends and across processes (a write by another process on the same database)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ouroboros.errors import InvalidInputError, NotFoundError
from ouroboros.store import Store, open_store

WRITER = r"""
import sys
from ouroboros.store import open_store
with open_store(sys.argv[1], embedder=None) as s:
    print(s.role, flush=True)
    s.add_observations([{"entityName": "Alice", "contents": ["from another process"]}])
    s.create_entities([{"name": "Zed", "entityType": "person", "observations": []}])
"""


def test_every_graph_write_is_in_the_feed_in_order(store: Store) -> None:
    start = store.changes()
    assert start["names"] == [] and start["all"] is False
    cursor = start["cursor"]
    store.create_entities(
        [
            {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
            {"name": "Bob", "entityType": "person", "observations": []},
        ]
    )
    store.create_relations([{"from": "Alice", "to": "Bob", "relationType": "knows"}])
    store.add_observations([{"entityName": "Bob", "contents": ["likes coffee"]}])
    store.delete_observations([{"entityName": "Alice", "observations": ["likes tea"]}])
    store.delete_relations([{"from": "Alice", "to": "Bob", "relationType": "knows"}])
    store.delete_entities(["Bob"])
    got = store.changes(cursor)
    assert got == {"cursor": cursor + 6, "names": ["Alice", "Bob"], "all": False}
    assert store.changes(got["cursor"]) == {"cursor": got["cursor"], "names": [], "all": False}
    # Writes that change nothing add no row.
    store.create_entities([{"name": "Alice", "entityType": "person", "observations": []}])
    store.delete_entities(["Nobody"])
    assert store.changes(got["cursor"])["names"] == []
    # One write, one row: a cursor between two writes sees only the second.
    store.add_observations([{"entityName": "Alice", "contents": ["one"]}])
    middle = store.changes()["cursor"]
    store.create_entities([{"name": "Carol", "entityType": "person", "observations": []}])
    assert store.changes(middle)["names"] == ["Carol"]


def test_a_failed_write_leaves_no_change(store: Store) -> None:
    cursor = store.changes()["cursor"]
    with pytest.raises(NotFoundError):
        store.add_observations([{"entityName": "Nobody", "contents": ["x"]}])
    assert store.changes(cursor) == {"cursor": cursor, "names": [], "all": False}


def test_a_cursor_from_elsewhere_reads_as_everything(store: Store) -> None:
    store.create_entities([{"name": "Alice", "entityType": "person", "observations": []}])
    head = store.changes()["cursor"]
    assert store.changes(head + 100)["all"] is True  # the database was replaced
    with pytest.raises(InvalidInputError, match="cursor must be an integer"):
        store.changes("soon")  # type: ignore[arg-type]


def test_a_write_by_another_process_is_in_the_feed(store: Store, backend: str) -> None:
    store.create_entities([{"name": "Alice", "entityType": "person", "observations": []}])
    cursor = store.changes()["cursor"]
    done = subprocess.run(
        [sys.executable, "-c", WRITER, store.path],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["client" if backend == "duckdb" else "postgres"]
    assert store.changes(cursor) == {"cursor": cursor + 2, "names": ["Alice", "Zed"], "all": False}


def test_an_old_file_opens_and_the_owner_keeps_the_feed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Version 4 kept the feed in a table; version 5 drops it (the owner keeps it in memory)."""
    import duckdb

    from ouroboros.store.schema import SCHEMA_VERSION

    path = str(tmp_path / "old.duckdb")
    with open_store(path, embedder=None) as s:
        s.create_entities([{"name": "Alice", "entityType": "person", "observations": []}])
    con = duckdb.connect(path)
    con.execute("CREATE TABLE changes (seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL, names VARCHAR)")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    with open_store(path, embedder=None) as s:
        cursor = s.changes()["cursor"]
        s.create_entities([{"name": "Bob", "entityType": "person", "observations": []}])
        assert s.changes(cursor)["names"] == ["Bob"]
    con = duckdb.connect(path)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    con.close()
    assert "changes" not in tables and version == (str(SCHEMA_VERSION),)


def test_a_cursor_from_an_earlier_owner_reads_as_everything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "kb.duckdb")
    with open_store(path, embedder=None) as first:
        first.create_entities([{"name": "Alice", "entityType": "person", "observations": []}])
        cursor = first.changes()["cursor"]
    with open_store(path, embedder=None) as second:  # the file changed hands
        assert second.changes(cursor)["all"] is True
