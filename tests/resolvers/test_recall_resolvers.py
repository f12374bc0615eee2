"""EQL over memory: (:memory/recall {...}), :entity/history, invalidation, purge and ingest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ouroboros import Engine
from ouroboros.config import Settings
from ouroboros.resolvers import all_operations
from ouroboros.resolvers.runtime import Runtime
from ouroboros.store import Store, open_store


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[Engine, Store]]:
    with open_store(str(tmp_path / "t.duckdb"), embedder=None) as store:
        settings = Settings(db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),))
        yield Engine(all_operations(Runtime(settings=settings, store=store))), store


def test_ingest_then_recall_in_eql(engine: tuple[Engine, Store]) -> None:
    eng, _store = engine
    got = eng.process(
        '[{(memory/ingest! {:conversation "c1" :turns [{:id "t1" :speaker "Ann" '
        ':text "I planted tomatoes in the garden" :time "2024-04-01"}]}) [:memory/ingested]}]'
    )
    assert got["memory/ingest!"]["memory/ingested"]["added"] == 1
    out = eng.process('[(:memory/recall {:query "tomato garden" :budget-tokens 200})]')
    item = out["memory/recall"]["items"][0]
    assert item["source"]["id"] == "t1" and item["source"]["speaker"] == "Ann"
    filtered = eng.process('[(:memory/recall {:query "tomato" :filters {:kind "observation"}})]')
    assert filtered["memory/recall"]["items"] == []


def test_invalidate_history_and_purge_in_eql(engine: tuple[Engine, Store]) -> None:
    eng, store = engine
    store.create_entities([{"name": "Ada", "entityType": "person", "observations": ["in Rome"]}])
    got = eng.process(
        '[(graph/invalidate-observations! {:deletions [{:entityName "Ada" '
        ':observations ["in Rome"]}]})]'
    )
    assert got["graph/invalidate-observations!"]["graph/invalidated-count"] == 1
    hist = eng.process('[{[:entity/name "Ada"] [:entity/history]}]')
    ops = [e["op"] for e in hist[("entity/name", "Ada")]["entity/history"]]
    assert ops == ["create", "add", "invalidate"]
    purged = eng.process('[(graph/purge! {:entityNames ["Ada"]})]')
    assert purged["graph/purge!"]["graph/purged"]["entities"] == 1
    assert store.get_entity("Ada") is None
