"""Telemetry events, statistics, the audit log and API tokens."""

from __future__ import annotations

import pytest

from ouroboros.errors import ConflictError, InvalidInputError
from ouroboros.store import Store, open_store


def test_events_and_stats(store: Store) -> None:
    for ms in (1.0, 2.0, 3.0, 4.0, 100.0):
        store.record_event("tool", "search_nodes", True, ms)
    store.record_event("tool", "search_nodes", False, 5.0, {"error": "boom"})
    store.record_event("query", "eql", True, 7.0)
    events = store.events()
    assert len(events) == 7
    assert events[0]["name"] == "eql"
    assert store.events(kind="tool", limit=1)[0]["details"] == {"error": "boom"}
    assert len(store.events(name="eql")) == 1
    stats = {s["name"]: s for s in store.event_stats()}
    s = stats["search_nodes"]
    assert s["count"] == 6 and s["errors"] == 1
    assert s["error_rate"] == pytest.approx(1 / 6, abs=1e-5)
    assert s["avg_ms"] == pytest.approx(115 / 6, abs=1e-3)
    assert s["p50_ms"] == pytest.approx(3.5)
    assert 5.0 < s["p95_ms"] <= 100.0
    by_kind = {s["kind"]: s["count"] for s in store.event_stats(by="kind")}
    assert by_kind == {"tool": 6, "query": 1}


def test_events_are_durable_after_close(db_path: str) -> None:
    with open_store(db_path, embedder=None) as s:
        s.record_event("tool", "x", True, 1.0)
    with open_store(db_path, embedder=None) as s:
        assert [e["name"] for e in s.events()] == ["x"]


def test_bad_events(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        store.record_event("", "x", True, 1.0)
    with pytest.raises(InvalidInputError):
        store.record_event("tool", "x", True, float("nan"))
    with pytest.raises(InvalidInputError):
        store.event_stats(by="details")


def test_audit_log(store: Store) -> None:
    store.audit("alice", "create_entities", "Bob", "ok", {"count": 1})
    store.audit("mallory", "delete_entities", "'; DROP TABLE audit;--", "denied")
    log = store.audit_log()
    assert [r["actor"] for r in log] == ["mallory", "alice"]
    assert log[1]["details"] == {"count": 1}
    assert log[0]["target"] == "'; DROP TABLE audit;--"
    assert len(store.audit_log(limit=1)) == 1


def test_tokens(store: Store) -> None:
    secret, record = store.token_create("ci", ["write", "read", "read"])
    assert secret.startswith("ouro_") and len(secret) > 40
    assert record["scopes"] == ["read", "write"]
    assert store.token_verify(secret)["id"] == record["id"]  # type: ignore[index]
    assert store.token_verify(secret + "x") is None
    assert store.token_verify("nope") is None
    listed = store.token_list()
    assert listed == [record]
    assert secret not in repr(listed)
    with pytest.raises(ConflictError):
        store.token_create("ci", [])
    assert store.token_revoke("ci") is True
    assert store.token_revoke(record["id"]) is False
    assert store.token_verify(secret) is None
    assert store.token_list()[0]["revoked"] is True
    again, rec2 = store.token_create("ci", ["read"])  # the name is free again
    assert store.token_verify(again)["id"] == rec2["id"]  # type: ignore[index]


def test_only_a_hash_is_stored(db_path: str) -> None:
    with open_store(db_path, embedder=None) as s:
        secret, _ = s.token_create("t", ["read"])
    with open(db_path, "rb") as fh:
        assert secret.encode() not in fh.read()
