"""Governance through the real service: tool sets and deny lists, scopes, query_eql read-only,
rate limits that are enforced, telemetry for every call, audit for every write, no secrets kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.config import Settings
from ouroboros.service import Service, open_service
from ouroboros.tools.policy import AGENT_TOOLS, CHAT_SAFE_TOOLS, Caller
from ouroboros.tools.registry import Tool, ToolRegistry

READ_ONLY = Caller(id="reader", scopes=frozenset({"read"}), transport="http")


def settings_for(tmp_path: Path, **kw: Any) -> Settings:
    values: dict[str, Any] = {
        "db_path": str(tmp_path / "t.duckdb"),
        "roots": (str(tmp_path),),
        "rate_limit_per_minute": 0,
    }
    values.update(kw)
    return Settings(**values)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with open_service(settings_for(tmp_path)) as svc:
        yield svc


# --- which tools exist ---------------------------------------------------------------------


def test_named_tool_sets(tmp_path: Path) -> None:
    with open_service(settings_for(tmp_path, tools=("chat-safe",))) as svc:
        assert svc.tools.names == list(CHAT_SAFE_TOOLS) and len(svc.tools) == 11
        denied = svc.tools.call_sync("openapi_call", {"client": "x", "operation": "y"})
        assert denied["status"] == "not-found"
        assert "openapi_call" not in denied["available_tools"]
    with open_service(settings_for(tmp_path, tools=("agent",))) as svc:
        assert set(svc.tools.names) == set(AGENT_TOOLS) and len(svc.tools) == 6
    with open_service(settings_for(tmp_path, tools=("memory",))) as svc:
        assert len(svc.tools) == 9 and "rename_entity" not in svc.tools.names


def test_deny_wins(tmp_path: Path) -> None:
    with open_service(settings_for(tmp_path, tools_deny=("memory_set", "graph"))) as svc:
        assert "memory_set" not in svc.tools.names
        assert not any(n in svc.tools.names for n in ("create_entities", "graph_path"))
        assert svc.tools.call_sync("memory_set", {"key": "k", "value": 1})["status"] == "not-found"
        assert svc.tools.call_sync("memory_get", {"key": "k"})["status"] == "success"


@pytest.mark.parametrize("name", ["no_such_tool", None, "", "system/status"])
def test_unknown_tool_is_not_found_with_the_available_tools(service: Service, name: Any) -> None:
    envelope = service.tools.call_sync(name)
    assert envelope["status"] == "not-found"
    assert isinstance(envelope["error"]["message"], str)
    assert envelope["available_tools"] == service.tools.names
    assert "system_status" in envelope["available_tools"]


def test_ten_tools_register_and_unregister() -> None:
    registry = ToolRegistry()

    def make(i: int) -> Tool:
        return Tool(
            name=f"t{i}",
            description=f"tool {i}",
            input_schema={"type": "object", "properties": {}},
            query=lambda args, ctx: ["system/healthy?"],
        )

    for i in range(10):
        registry.register(make(i))
    assert len(registry) == 10 and all(registry.exists(f"t{i}") for i in range(10))
    for i in range(10):
        assert registry.unregister(f"t{i}") is True
    assert len(registry) == 0 and registry.unregister("t0") is False


# --- scopes and read-only EQL ----------------------------------------------------------------


def test_read_only_caller_is_refused_write_tools(service: Service) -> None:
    for name, args in [
        ("memory_set", {"key": "k", "value": 1}),
        ("create_entities", {"entities": []}),
        ("delete_entities", {"entityNames": ["A"]}),
        ("openapi_bootstrap", {"name": "x", "spec_url": "x.json"}),
    ]:
        envelope = service.tools.call_sync(name, args, caller=READ_ONLY)
        assert envelope["status"] == "error", name
        assert envelope["error"]["type"] == "ForbiddenError", name
    assert service.tools.call_sync("memory_get", {"key": "k"}, caller=READ_ONLY)["status"] == (
        "success"
    )
    assert service.store.memory_keys() == []


def test_query_eql_refuses_mutations_unless_allowed(service: Service, tmp_path: Path) -> None:
    service.store.memory_set("keep", 1)
    for query in [
        '[(memory/save! {:memory/key "x" :memory/value 1})]',
        "[(memory/clear!)]",
        "[{(graph/create-entities! {:entities []}) [:graph/created-count]}]",
    ]:
        envelope = service.tools.call_sync("query_eql", {"query": query})
        assert envelope["status"] == "error"
        assert envelope["error"]["type"] == "PermissionDeniedError"
    assert service.store.memory_keys() == ["keep"]


def test_query_eql_runs_mutations_when_allowed_and_audits_them(tmp_path: Path) -> None:
    with open_service(settings_for(tmp_path, allow_mutations=True)) as svc:
        svc.store.memory_set("a", 1)
        writer = Caller(id="agent-7", scopes=frozenset({"read", "write"}))
        envelope = svc.tools.call_sync("query_eql", {"query": "[(memory/clear!)]"}, caller=writer)
        assert envelope["status"] == "success", envelope
        assert envelope["result"]["result"]["memory/clear!"]["memory/count"] == 1
        log = svc.store.audit_log(10)
        assert log[0]["action"] == "mutation:memory/clear!" and log[0]["actor"] == "agent-7"
        # still refused for a caller without the write scope
        refused = svc.tools.call_sync("query_eql", {"query": "[(memory/clear!)]"}, caller=READ_ONLY)
        assert refused["error"]["type"] == "ForbiddenError"


def test_query_eql_refuses_json_mutations(service: Service) -> None:
    wire = pytest.importorskip("ouroboros.eql.wire")
    if not hasattr(wire, "query_from_json"):
        pytest.skip("the JSON query reader has not landed")
    envelope = service.tools.call_sync(
        "query_eql", {"query": [{"mutation": "memory/clear!", "params": {}}]}
    )
    assert envelope["status"] == "error"
    assert envelope["error"]["type"] == "PermissionDeniedError"


# --- rate limits -------------------------------------------------------------------------------


def test_rate_limit_is_enforced_per_caller(tmp_path: Path) -> None:
    with open_service(settings_for(tmp_path, rate_limit_per_minute=3)) as svc:
        for _ in range(3):
            assert svc.tools.call_sync("system_status")["status"] == "success"
        limited = svc.tools.call_sync("memory_get", {"key": "k"})
        assert limited["status"] == "error"
        assert limited["error"]["type"] == "RateLimitedError"
        assert limited["error"]["details"]["limit"] == 3
        other = Caller(id="someone-else")
        assert svc.tools.call_sync("system_status", caller=other)["status"] == "success"
        # the refused call is recorded too
        events = svc.store.events(10, "tool")
        assert any(e["details"].get("error_type") == "RateLimitedError" for e in events)


# --- telemetry and audit -----------------------------------------------------------------------


def test_every_call_is_recorded_with_its_duration(service: Service) -> None:
    service.tools.call_sync("system_status")
    service.tools.call_sync("file_read", {"path": "missing.txt"})
    service.tools.call_sync("nope")
    events = {e["name"]: e for e in service.store.events(10, "tool")}
    assert events["system_status"]["ok"] is True
    assert events["system_status"]["duration_ms"] >= 0
    assert events["file_read"]["ok"] is False
    assert events["file_read"]["details"]["error_type"] == "NotFoundError"
    assert events["file_read"]["details"]["params"] == ["lines", "path"]
    assert events["nope"]["ok"] is False


def test_every_write_is_audited_once_without_values(service: Service) -> None:
    service.tools.call_sync("memory_set", {"key": "api", "value": "sk-very-secret"})
    service.tools.call_sync(
        "create_entities", {"entities": [{"name": "A", "entityType": "t", "observations": []}]}
    )
    service.tools.call_sync(
        "add_observations", {"observations": [{"entityName": "Nobody", "contents": ["x"]}]}
    )
    service.tools.call_sync("rename_entity", {"oldName": "A", "newName": "B"})
    service.tools.call_sync("memory_get", {"key": "api"})  # a read: not audited
    log = service.store.audit_log(20)
    actions = [(r["action"], r["target"], r["outcome"]) for r in reversed(log)]
    assert actions == [
        ("tool:memory_set", "api", "ok"),
        ("tool:create_entities", "entities: 1", "ok"),
        ("tool:add_observations", "observations: 1", "error: NotFoundError"),
        ("tool:rename_entity", "A", "ok"),
    ]  # one record per write call: the mutations behind the tools do not audit again
    everything = json.dumps([log, service.store.events(50)])
    assert "sk-very-secret" not in everything


def test_secrets_are_not_kept_in_telemetry(service: Service) -> None:
    service.tools.call_sync(
        "query_eql", {"query": '[{[:memory/key "password=hunter2"] [:memory/value]}]'}
    )
    service.tools.call_sync("http_get", {"url": "http://127.0.0.1/?token=hunter2"})
    assert "hunter2" not in json.dumps(service.store.events(50))
