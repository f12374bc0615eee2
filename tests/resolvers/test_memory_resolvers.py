"""Memory resolvers over a real DuckDB file: round trips, odd keys, meta, mutations, audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.eql import to_edn
from ouroboros.errors import InvalidInputError, MutationNotFoundError
from ouroboros.service import Service, open_service


def settings_for(tmp_path: Path) -> Settings:
    return Settings(db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with open_service(settings_for(tmp_path)) as svc:
        yield svc


def save(svc: Service, key: Any, value: Any) -> dict[Any, Any]:
    result = svc.engine.process(
        f"[(memory/save! {{:memory/key {to_edn(key)} :memory/value {to_edn(value)}}})]"
    )
    return dict(result["memory/save!"])


def get(svc: Service, key: Any) -> dict[Any, Any]:
    ident = ("memory/key", key)
    result = svc.engine.process([{ident: ["memory/value", "memory/exists?"]}])
    return dict(result[ident])


def test_save_get_delete_round_trip(service: Service) -> None:
    saved = save(service, "test-key", "test-value")
    assert saved == {
        "memory/key": "test-key",
        "memory/value": "test-value",
        "memory/saved?": True,
        "memory/created?": True,
    }
    assert get(service, "test-key") == {"memory/value": "test-value", "memory/exists?": True}
    assert save(service, "test-key", "again")["memory/created?"] is False

    deleted = service.engine.process('[(memory/delete! {:memory/key "test-key"})]')
    assert deleted["memory/delete!"] == {"memory/key": "test-key", "memory/deleted?": True}
    again = service.engine.process('[(memory/delete! {:memory/key "test-key"})]')
    assert again["memory/delete!"]["memory/deleted?"] is False
    assert get(service, "test-key") == {"memory/value": None, "memory/exists?": False}


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"nested": {"deep": [1, 2, {"x": True}]}, "n": 1.5},
        'special chars: "quotes" \\ backslash \n newline \t tab {}[]:;',
        "世界 🌍 مرحبا",
        [1, "two", None, False],
        0,
    ],
)
def test_values_round_trip(service: Service, value: Any) -> None:
    save(service, "k", value)
    assert get(service, "k") == {"memory/value": value, "memory/exists?": True}


@pytest.mark.parametrize("key", [None, "", "   ", 42, "unknown-key", "bad\nkey", "x" * 5000])
def test_unknown_or_unusable_keys_read_as_nil(service: Service, key: Any) -> None:
    assert get(service, key) == {"memory/value": None, "memory/exists?": False}


def test_unicode_key_and_times(service: Service) -> None:
    save(service, "ключ 🌍", {"a": 1})
    ident = ("memory/key", "ключ 🌍")
    result = service.engine.process(
        [{ident: ["memory/value", "memory/created-at", "memory/updated-at"]}]
    )
    row = result[ident]
    assert row["memory/value"] == {"a": 1}
    assert row["memory/created-at"] and row["memory/updated-at"] >= row["memory/created-at"]


def test_all_keys_and_meta(service: Service, tmp_path: Path) -> None:
    for key in ("b", "a", "c"):
        save(service, key, key.upper())
    result = service.engine.process(
        "[:memory/keys :memory/meta {:memory/all [:memory/key :memory/value]}]"
    )
    assert result["memory/keys"] == ["a", "b", "c"]
    assert result["memory/all"] == [
        {"memory/key": "a", "memory/value": "A"},
        {"memory/key": "b", "memory/value": "B"},
        {"memory/key": "c", "memory/value": "C"},
    ]
    meta = result["memory/meta"]
    assert meta["memory/count"] == 3
    assert meta["memory/persisted?"] is True
    assert Path(meta["memory/db"]).name == "t.duckdb"


def test_clear_reports_the_count(service: Service) -> None:
    save(service, "a", 1)
    save(service, "b", 2)
    result = service.engine.process("[(memory/clear!)]")
    assert result["memory/clear!"] == {"memory/cleared?": True, "memory/count": 2}
    assert service.engine.process("[:memory/keys]")["memory/keys"] == []


def test_save_needs_a_string_key(service: Service) -> None:
    with pytest.raises(InvalidInputError):
        service.engine.process("[(memory/save! {:memory/key 42 :memory/value 1})]")
    with pytest.raises(InvalidInputError):
        service.engine.process('[(memory/save! {:memory/key "" :memory/value 1})]')


def test_plain_param_names_and_mutation_join(service: Service) -> None:
    result = service.engine.process(
        '[{(memory/save! {:key "p" :value [1 2]}) [:memory/key :memory/saved?]}]'
    )
    assert result["memory/save!"] == {"memory/key": "p", "memory/saved?": True}
    assert get(service, "p")["memory/value"] == [1, 2]


def test_values_persist_across_processes_of_the_service(tmp_path: Path) -> None:
    with open_service(settings_for(tmp_path)) as svc:
        save(svc, "durable", {"v": 1})
    with open_service(settings_for(tmp_path)) as svc:
        assert get(svc, "durable") == {"memory/value": {"v": 1}, "memory/exists?": True}


def test_original_mutation_names_are_gone(service: Service) -> None:
    with pytest.raises(MutationNotFoundError):
        service.engine.process('[(ouroboros.memory/memory-save! {:memory/key "k"})]')


def test_writes_through_eql_are_audited(service: Service) -> None:
    save(service, "audited", 1)
    service.engine.process('[(memory/delete! {:memory/key "audited"})]')
    log = service.store.audit_log(10)
    actions = [(r["action"], r["target"]) for r in log]
    assert ("mutation:memory/save!", "audited") in actions
    assert ("mutation:memory/delete!", "audited") in actions
    assert all(r["target"] != "1" for r in log)  # values are never written to the audit log
