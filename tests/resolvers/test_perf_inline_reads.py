"""Graph reads answered from the owner's memory run inline; other stores keep the worker thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from ouroboros.config import Settings
from ouroboros.service import Service, open_service


class ThreadRecordingStore:
    """The real store, recording the thread each graph read ran on."""

    def __init__(self, store: Any, *, in_memory: bool | None) -> None:
        self.store = store
        self.in_memory = in_memory
        self.threads: dict[str, set[str]] = {}

    def __getattr__(self, name: str) -> Any:
        if name == "answers_in_memory":
            if self.in_memory is None:
                raise AttributeError(name)  # a store that cannot tell: blocking as before
            return lambda method, *args: (
                self.in_memory and self.store.answers_in_memory(method, *args)
            )
        method = getattr(self.store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.threads.setdefault(name, set()).add(threading.current_thread().name)
            return method(*args, **kwargs)

        return call


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(db_path=str(tmp_path / "t.duckdb"), roots=(str(tmp_path),))
    with open_service(settings) as svc:
        svc.store.create_entities(
            [
                {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
                {"name": "Bob", "entityType": "person", "observations": ["likes coffee"]},
            ]
        )
        svc.store.create_relations([{"from": "Alice", "to": "Bob", "relationType": "knows"}])
        yield svc


QUERY = """[{(:graph/search {:query "tea"}) [:entity/name :entity/type
             {:entity/relations-out [:relation/type {:relation/to [:entity/name]}]}]}
           {(:graph/nodes {:names ["Bob"]}) [:entity/name {:entity/relations-in [:relation/type]}]}]"""


def _run(service: Service, store: Any) -> tuple[dict[Any, Any], str]:
    async def go() -> tuple[dict[Any, Any], str]:
        result = await service.engine.process_async(QUERY, context={"store": store})
        return result, threading.current_thread().name

    return anyio.run(go)


def test_owner_store_reports_which_reads_are_in_memory(service: Service) -> None:
    assert service.store.role in {"owner", "memory"}
    assert service.store.answers_in_memory("get_entities")
    assert service.store.answers_in_memory("search", "keyword")
    assert not service.store.answers_in_memory("memory_get")
    assert not service.store.answers_in_memory("create_entities")


@pytest.mark.parametrize("in_memory", [True, False, None])
def test_graph_reads_inline_only_when_the_store_answers_in_memory(
    service: Service, in_memory: bool | None
) -> None:
    store = ThreadRecordingStore(service.store, in_memory=in_memory)
    result, loop_thread = _run(service, store)
    search = result["graph/search"]
    assert [h["entity/name"] for h in search] == ["Alice"]
    assert search[0]["entity/relations-out"][0]["relation/to"] == {"entity/name": "Bob"}
    assert result["graph/nodes"][0]["entity/relations-in"][0]["relation/type"] == "knows"
    for method in ("search", "get_entities", "relations_of"):
        threads = store.threads[method]
        if in_memory:
            assert threads == {loop_thread}, method
        else:
            assert loop_thread not in threads, method
