"""Keyed writes on both backends: a repeat with the same key applies once and returns the first
result; other arguments under the key are refused; tool-call results are recorded per key."""

from __future__ import annotations

import pytest

from ouroboros.errors import ConflictError, InvalidInputError
from ouroboros.store import Store


def test_a_keyed_write_applies_once(store: Store) -> None:
    ada = [{"name": "Ada", "entityType": "person", "observations": ["x"]}]
    first = store.create_entities(ada, idempotency_key="k1")
    assert [e["name"] for e in first] == ["Ada"]
    again = store.create_entities(ada, idempotency_key="k1")
    assert again == first  # the first result, not [] (the entity exists now)
    assert store.create_entities(ada) == []  # an unkeyed repeat is skipped as before
    added = store.add_observations([{"entityName": "Ada", "contents": ["y"]}], idempotency_key="k")
    assert (
        store.add_observations([{"entityName": "Ada", "contents": ["y"]}], idempotency_key="k")
        == added
    )
    assert store.counts()["observations"] == 2
    with pytest.raises(ConflictError, match="different"):
        store.add_observations([{"entityName": "Ada", "contents": ["z"]}], idempotency_key="k")
    with pytest.raises(InvalidInputError, match="idempotencyKey"):
        store.delete_entities(["Ada"], idempotency_key="")
    assert store.get_entity("Ada") is not None


def test_tool_results_are_kept_per_key(store: Store) -> None:
    assert store.tool_result("create_entities", "k") is None
    assert store.tool_result_put("create_entities", "k", "digest", {"entities": []}) is True
    assert store.tool_result_put("create_entities", "k", "other", {"entities": [1]}) is False
    assert store.tool_result("create_entities", "k") == {
        "args": "digest",
        "result": {"entities": []},
    }
    assert store.tool_result("delete_entities", "k") is None


@pytest.mark.postgres
def test_postgres_version_1_is_migrated(pg_url: str) -> None:
    """A database made before keyed writes (schema 2) gains their tables on open."""
    import psycopg

    from ouroboros.store import open_store

    with open_store(pg_url, embedder=None) as s:
        s.create_entities([{"name": "A", "entityType": "t", "observations": []}])
    with psycopg.connect(pg_url) as conn:
        conn.execute("DROP TABLE write_results, aliases, changes")  # as in schema 2
        conn.execute("UPDATE ouroboros_meta SET value = '2' WHERE key = 'schema_version'")
    with open_store(pg_url, embedder=None) as s:
        assert s.create_entities([{"name": "B", "entityType": "t"}], idempotency_key="k")
        assert s.counts()["entities"] == 2
