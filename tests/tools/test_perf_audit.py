"""A write tool's audit record is inserted in the write's own transaction: one commit, and the
record commits with the write or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.errors import NotFoundError, StoreError
from ouroboros.service import Service, open_service
from ouroboros.store import open_store


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),), rate_limit_per_minute=0
    )
    with open_service(settings) as svc:
        yield svc


def _tool_audits(svc: Service, tool: str) -> list[dict[str, Any]]:
    return [r for r in svc.store.audit_log(1000) if r["action"] == f"tool:{tool}"]


def _spy_writes(svc: Service, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    for method in ("create_entities", "create_relations", "add_observations", "memory_set"):
        original = getattr(svc.store, method)

        def spy(*args: Any, _m: str = method, _o: Any = original, **kwargs: Any) -> Any:
            seen.append((_m, kwargs.get("audit")))
            return _o(*args, **kwargs)

        monkeypatch.setattr(svc.store, method, spy)
    return seen


def test_write_tools_carry_their_audit_into_the_store_write(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _spy_writes(service, monkeypatch)
    calls = {
        "create_entities": {"entities": [{"name": "A", "entityType": "t", "observations": []}]},
        "add_observations": {"observations": [{"entityName": "A", "contents": ["x"]}]},
        "memory_set": {"key": "k", "value": 1},
    }
    for tool, args in calls.items():
        envelope = service.tools.call_sync(tool, args)
        assert envelope["status"] == "success", envelope
        rows = _tool_audits(service, tool)
        assert len(rows) == 1, rows  # written once: by the store write, not again afterwards
        assert rows[0]["outcome"] == "ok"
        assert rows[0]["actor"] == "local"
    assert [m for m, _ in seen] == ["create_entities", "add_observations", "memory_set"]
    assert all(audit is not None and audit["outcome"] == "ok" for _, audit in seen)


def test_a_failed_write_leaves_no_success_audit(service: Service) -> None:
    envelope = service.tools.call_sync(
        "create_relations", {"relations": [{"from": "X", "to": "Y", "relationType": "r"}]}
    )
    assert envelope["status"] == "error"
    outcomes = [r["outcome"] for r in _tool_audits(service, "create_relations")]
    assert outcomes == [f"error: {envelope['error']['type']}"]


def test_the_audit_and_the_write_commit_together(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    telemetry = service.store._target.local.telemetry  # type: ignore[union-attr]

    def broken(row: Any) -> None:
        raise StoreError("disk full")

    monkeypatch.setattr(telemetry, "write_audit", broken)
    envelope = service.tools.call_sync(
        "create_entities", {"entities": [{"name": "Ghost", "entityType": "t"}]}
    )
    assert envelope["status"] == "error"
    assert service.store.get_entity("Ghost") is None  # rolled back with its audit
    monkeypatch.undo()
    assert service.tools.call_sync("open_nodes", {"names": ["Ghost"]})["result"]["entities"] == []


def test_writes_reached_without_a_tool_still_audit_themselves(service: Service) -> None:
    service.engine.process('[(graph/create-entities! {:entities [{:name "B" :entityType "t"}]})]')
    rows = [r for r in service.store.audit_log(100) if r["action"].startswith("mutation:")]
    assert [r["action"] for r in rows] == ["mutation:graph/create-entities!"]


def test_store_write_with_audit(tmp_path: Path) -> None:
    record = {"actor": "me", "action": "test:write", "target": "A", "outcome": "ok"}
    with open_store(str(tmp_path / "s.duckdb"), embedder=None) as store:
        assert store.create_entities([{"name": "A", "entityType": "t"}], audit=record)
        with pytest.raises(NotFoundError):
            store.create_relations(
                [{"from": "A", "to": "Nobody", "relationType": "r"}],
                audit={**record, "target": "rel"},
            )
        renamed = store.rename_entity("A", "B", audit={**record, "target": "rename"})
        assert renamed["name"] == "B"
        assert store.get_entity("B") is not None
        log = store.audit_log(10)
    assert [r["target"] for r in log] == ["rename", "A"]  # the failed write left none
