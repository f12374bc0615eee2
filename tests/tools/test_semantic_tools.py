"""Semantic and hybrid search through the MCP pack's search_nodes, with the real MiniLM model.

Runs where the optional extra ``ouroboros-engine[embeddings]`` is installed (CI installs it in a
second virtualenv); elsewhere it is skipped and search is keyword-only, which the last test pins.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.service import open_service
from ouroboros.store.embedding import minilm_available

PEOPLE = {
    "entities": [
        {
            "name": "Alice",
            "entityType": "person",
            "observations": ["works at Anthropic on AI safety"],
        },
        {
            "name": "Bob",
            "entityType": "person",
            "observations": ["bakes sourdough bread every morning"],
        },
        {"name": "Carol", "entityType": "person", "observations": ["plays violin in an orchestra"]},
    ]
}


@pytest.mark.slow
@pytest.mark.embeddings
@pytest.mark.skipif(not minilm_available(), reason="optional extra [embeddings] not installed")
def test_search_nodes_finds_meaning_with_the_real_model(tmp_path: Path) -> None:
    settings = Settings(db_path=str(tmp_path / "sem.duckdb"), roots=(str(tmp_path),))
    with open_service(settings) as service:
        created = service.tools.call_sync("create_entities", PEOPLE)
        assert created["status"] == "success", created
        semantic = service.tools.call_sync(
            "search_nodes", {"query": "machine learning researcher", "mode": "semantic"}
        )
        assert semantic["status"] == "success", semantic
        assert semantic["result"]["entities"][0]["name"] == "Alice"
        hybrid = service.tools.call_sync("search_nodes", {"query": "musician", "mode": "hybrid"})
        assert hybrid["result"]["entities"][0]["name"] == "Carol"


@pytest.mark.skipif(minilm_available(), reason="checks the keyword-only fallback")
def test_without_the_extra_search_is_keyword_only_and_says_so(tmp_path: Path) -> None:
    settings = Settings(db_path=str(tmp_path / "kw.duckdb"), roots=(str(tmp_path),))
    with open_service(settings) as service:
        service.tools.call_sync("create_entities", PEOPLE)
        found = service.tools.call_sync("search_nodes", {"query": "violin", "mode": "auto"})
        assert found["status"] == "success", found
        assert [e["name"] for e in found["result"]["entities"]] == ["Carol"]
        assert found["result"]["search"]["mode"] == "keyword"
