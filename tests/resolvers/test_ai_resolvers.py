"""Tool resolvers: :ai/tools from the registry, one tool by ident, a side-effect-free :ai/context."""

from __future__ import annotations

from pathlib import Path

import pytest

from ouroboros import Engine
from ouroboros.config import Settings
from ouroboros.errors import NotFoundError
from ouroboros.resolvers import all_operations
from ouroboros.resolvers.runtime import Runtime
from ouroboros.service import open_service
from ouroboros.store import open_store


def settings_for(tmp_path: Path, **kw: object) -> Settings:
    return Settings(db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),), **kw)  # type: ignore[arg-type]


def test_ai_tools_lists_the_enabled_tools(tmp_path: Path) -> None:
    with open_service(settings_for(tmp_path)) as svc:
        tools = svc.engine.process(
            "[{:ai/tools [:tool/name :tool/description :tool/input-schema :tool/writes?]}]"
        )["ai/tools"]
        assert [t["tool/name"] for t in tools] == svc.tools.names
        assert len(tools) == 35  # 13 core, 12 graph pack, 6 memory pack, 4 identity
        for t in tools:
            assert isinstance(t["tool/description"], str) and t["tool/description"]
            assert t["tool/input-schema"]["type"] == "object"
        writes = {t["tool/name"] for t in tools if t["tool/writes?"]}
        assert {"memory_set", "create_entities", "openapi_call"} <= writes
        assert "memory_get" not in writes
    with open_service(settings_for(tmp_path, tools=("chat-safe",))) as svc:
        names = [
            t["tool/name"] for t in svc.engine.process("[{:ai/tools [:tool/name]}]")["ai/tools"]
        ]
        assert len(names) == 11 and "openapi_call" not in names


def test_one_tool_by_ident(tmp_path: Path) -> None:
    with open_service(settings_for(tmp_path)) as svc:
        row = svc.engine.process(
            '[{[:tool/name "file_read"] [:tool/description :tool/input-schema]}]'
        )[("tool/name", "file_read")]
        assert row["tool/input-schema"]["required"] == ["path"]
        with pytest.raises(NotFoundError):
            svc.engine.process('[{[:tool/name "nope"] [:tool/description]}]')


def test_context_has_no_side_effects(tmp_path: Path) -> None:
    with open_service(settings_for(tmp_path, git_root=str(tmp_path))) as svc:
        svc.tools.call_sync("memory_set", {"key": "remember", "value": 1})
        before = len(svc.store.events(1000))
        context = svc.engine.process("[:ai/context]")["ai/context"]
        assert context["context/type"] == "system"
        assert context["context/timestamp"]
        assert context["system/status"]["running?"] is True
        assert context["git/status"] is None  # tmp_path is no git repository: left out
        assert context["memory/keys"] == ["remember"]
        assert context["tools/available"] == 35 and "query_eql" in context["tools/names"]
        assert len(svc.store.events(1000)) == before  # no tool was called to build it


def test_without_a_registry_there_are_no_tools(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "t.duckdb"))
    try:
        engine = Engine(all_operations(Runtime(settings=settings_for(tmp_path), store=store)))
        assert engine.process("[:ai/tools]")["ai/tools"] == []
        assert engine.process("[:ai/context]")["ai/context"]["tools/names"] == []
    finally:
        store.close()


def test_store_backed_attributes_fit_their_declared_types(tmp_path: Path) -> None:
    """Every memory, graph, telemetry and ai attribute, resolved with output validation on."""
    with open_service(settings_for(tmp_path, git_root=str(tmp_path))) as svc:
        engine = Engine(all_operations(svc.runtime), validate=True)
        svc.tools.call_sync("memory_set", {"key": "k", "value": {"v": [1]}})
        svc.tools.call_sync(
            "create_entities",
            {
                "entities": [
                    {"name": "A", "entityType": "t", "observations": ["x"]},
                    {"name": "B", "entityType": "t", "observations": []},
                ]
            },
        )
        svc.tools.call_sync(
            "create_relations", {"relations": [{"from": "A", "to": "B", "relationType": "r"}]}
        )
        for query in [
            '[{[:memory/key "k"] [:memory/value :memory/exists? :memory/created-at :memory/updated-at]}'
            ' {[:memory/key "none"] [:memory/value :memory/exists? :memory/created-at]}'
            " :memory/keys :memory/all :memory/meta]",
            '[{[:entity/name "A"] [:entity/type :entity/observations :entity/created-at'
            " :entity/updated-at :entity/exists? :entity/relations-out :entity/relations-in"
            ' :entity/neighbours]} {[:entity/name "none"] [:entity/type :entity/observations :entity/exists?]}]',
            '[(:graph/search {:query "x"}) :graph/search-meta (:graph/nodes {:names ["A"]})'
            ' (:graph/path {:from "A" :to "B"}) (:graph/neighbours {:name "A"}) :graph/stats'
            " :graph/entities :graph/page]",
            "[:telemetry/events :telemetry/recent :telemetry/stats :telemetry/total-events"
            " :telemetry/error-rate :telemetry/avg-tool-duration-ms :telemetry/by-tool :audit/log"
            ' {[:tool/name "memory_set"] [:tool/stats :tool/description :tool/input-schema'
            " :tool/output-schema :tool/writes?]} :ai/tools :ai/context]",
        ]:
            engine.process(query)
