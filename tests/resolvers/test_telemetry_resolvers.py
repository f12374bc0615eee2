"""Telemetry resolvers over a real store: events from real tool calls, stats, per tool, audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.errors import MutationNotFoundError
from ouroboros.resolvers.telemetry import telemetry_stats
from ouroboros.service import Service, open_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),), rate_limit_per_minute=0
    )
    with open_service(settings) as svc:
        yield svc


def test_first_event_and_counts(service: Service) -> None:
    assert service.engine.process("[:telemetry/events]")["telemetry/events"] == []
    service.store.record_event("test", "test/event", True, 1.5, None)
    events = service.engine.process("[:telemetry/events]")["telemetry/events"]
    assert len(events) == 1
    first = events[0]
    assert first["event/kind"] == "test" and first["event/name"] == "test/event"
    assert first["event/ok?"] is True and first["event/duration-ms"] == 1.5
    assert first["event/id"] and first["event/timestamp"]
    service.store.record_event("test", "test/event", True, 1.0, None)
    assert len(service.engine.process("[:telemetry/events]")["telemetry/events"]) == 2


def test_recent_defaults_to_ten(service: Service) -> None:
    for i in range(100):
        service.store.record_event("test", f"e{i}", True, float(i), None)
    result = service.engine.process("[:telemetry/recent (:telemetry/events {:limit 5})]")
    assert len(result["telemetry/recent"]) == 10
    assert len(result["telemetry/events"]) == 5
    three = service.engine.process("[(:telemetry/recent {:count 3})]")["telemetry/recent"]
    assert len(three) == 3
    ids = [e["event/id"] for e in service.engine.process("[:telemetry/events]")["telemetry/events"]]
    assert len(set(ids)) == 100


def test_tool_calls_are_events_with_stats(service: Service) -> None:
    tools = service.tools
    tools.call_sync("system_status")
    tools.call_sync("memory_set", {"key": "k", "value": 1})
    tools.call_sync("memory_get", {"key": "k"})
    tools.call_sync("file_read", {"path": "missing.txt"})  # an error
    stats = service.engine.process("[:telemetry/stats]")["telemetry/stats"]
    assert stats["telemetry/tool-invocations"] == 4
    assert stats["telemetry/total-events"] >= 4
    assert stats["telemetry/errors"] == 1
    assert 0 < stats["telemetry/error-rate"] <= 1  # a fraction, not a percentage
    assert stats["telemetry/avg-tool-duration-ms"] is not None
    assert stats["telemetry/avg-tool-duration-ms"] >= 0
    assert stats["telemetry/p95-tool-duration-ms"] >= 0
    flat = service.engine.process("[:telemetry/error-rate :telemetry/tool-invocations]")
    assert flat["telemetry/tool-invocations"] == 4

    by_param = service.engine.process('[(:telemetry/by-tool {:tool-name "memory_get"})]')
    assert [e["event/name"] for e in by_param["telemetry/by-tool"]] == ["memory_get"]
    by_ident = service.engine.process(
        '[{[:tool/name "file_read"] [{:telemetry/by-tool [:event/ok? :event/duration-ms]} :tool/stats]}]'
    )[("tool/name", "file_read")]
    assert by_ident["telemetry/by-tool"][0]["event/ok?"] is False
    assert by_ident["tool/stats"]["tool/calls"] == 1 and by_ident["tool/stats"]["tool/errors"] == 1
    everything = service.engine.process("[:telemetry/by-tool]")["telemetry/by-tool"]
    assert len(everything) == 4


def test_stats_arithmetic() -> None:
    stats = telemetry_stats(
        [
            {"kind": "tool", "count": 3, "errors": 1, "avg_ms": 2.0, "p95_ms": 4.0},
            {"kind": "query", "count": 1, "errors": 0, "avg_ms": 1.0, "p95_ms": 1.0},
        ]
    )
    assert stats["telemetry/total-events"] == 4
    assert stats["telemetry/error-rate"] == 0.25
    assert stats["telemetry/query-executions"] == 1
    assert stats["telemetry/avg-tool-duration-ms"] == 2.0
    assert telemetry_stats([])["telemetry/error-rate"] == 0.0


def test_audit_log_attribute(service: Service) -> None:
    service.tools.call_sync("memory_set", {"key": "audited", "value": "secret-value"})
    log = service.engine.process("[(:audit/log {:limit 10})]")["audit/log"]
    assert log[0]["audit/action"] == "tool:memory_set"
    assert log[0]["audit/target"] == "audited"
    assert log[0]["audit/outcome"] == "ok"
    assert "secret-value" not in repr(log)


def test_there_is_no_clear_mutation(service: Service) -> None:
    # The store keeps telemetry append-only; there is nothing to clear it with.
    with pytest.raises(MutationNotFoundError):
        service.engine.process("[(telemetry/clear!)]")
