"""Memory: key → JSON value with created/updated times."""

from __future__ import annotations

import pytest

from ouroboros.errors import InvalidInputError, PayloadTooLargeError
from ouroboros.store import Store, open_store


@pytest.mark.parametrize(
    "value",
    [
        None,
        0,
        1.5,
        True,
        "text",
        "ünïcödé ✓ 日本語 🐍",
        [1, [2, [3]]],
        {"a": {"b": [None, {"c": "d"}]}},
    ],
)
def test_values_round_trip(store: Store, value: object) -> None:
    store.memory_set("k", value)
    got = store.memory_get("k")
    assert got is not None
    assert got["value"] == value
    assert got["key"] == "k"
    assert got["created_at"].endswith("Z")


def test_set_says_created_then_updated(store: Store) -> None:
    first = store.memory_set("k", 1)
    second = store.memory_set("k", 2)
    assert first["created"] is True
    assert second["created"] is False
    assert second["created_at"] == first["created_at"]
    assert second["updated_at"] >= first["updated_at"]
    assert store.memory_get("k")["value"] == 2  # type: ignore[index]


def test_missing_key_is_none(store: Store) -> None:
    assert store.memory_get("nope") is None


def test_delete_says_whether_it_existed(store: Store) -> None:
    store.memory_set("k", 1)
    assert store.memory_delete("k") is True
    assert store.memory_delete("k") is False
    assert store.memory_get("k") is None


def test_keys_all_clear(store: Store) -> None:
    for k in ("b", "a", "c"):
        store.memory_set(k, k.upper())
    assert store.memory_keys() == ["a", "b", "c"]
    assert [r["value"] for r in store.memory_all()] == ["A", "B", "C"]
    assert store.memory_clear() == 3
    assert store.memory_keys() == []
    assert store.memory_clear() == 0


@pytest.mark.parametrize("key", ["", "   ", None, 5, "a\x00b", "bad\ud800"])
def test_bad_keys_are_refused(store: Store, key: object) -> None:
    with pytest.raises(InvalidInputError):
        store.memory_set(key, 1)  # type: ignore[arg-type]


def test_bad_values_are_refused(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        store.memory_set("k", {1, 2})
    with pytest.raises(InvalidInputError):
        store.memory_set("k", float("nan"))
    with pytest.raises(InvalidInputError):
        store.memory_set("k", "lone \udc80 surrogate")
    with pytest.raises(PayloadTooLargeError):
        store.memory_set("k", "x" * (1024 * 1024 + 1))
    assert store.memory_keys() == []


def test_sql_looking_keys_are_just_keys(store: Store) -> None:
    key = "k'; DROP TABLE memory; --"
    store.memory_set(key, "v\"'")
    assert store.memory_get(key)["value"] == "v\"'"  # type: ignore[index]
    assert store.memory_keys() == [key]


def test_survives_reopen(db_path: str) -> None:
    with open_store(db_path, embedder=None) as s:
        s.memory_set("k", {"n": 1})
    with open_store(db_path, embedder=None) as s:
        assert s.memory_get("k")["value"] == {"n": 1}  # type: ignore[index]
