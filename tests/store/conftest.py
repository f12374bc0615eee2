"""Fixtures for store tests: a real DuckDB file under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ouroboros.store import Store, open_store


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "store.duckdb")


@pytest.fixture
def store(db_path: str) -> Iterator[Store]:
    with open_store(db_path, embedder=None) as s:
        yield s


@pytest.fixture
def people(store: Store) -> Store:
    store.create_entities(
        [
            {
                "name": "Alice",
                "entityType": "person",
                "observations": ["likes tea", "works at Anthropic"],
            },
            {
                "name": "Bob",
                "entityType": "person",
                "observations": ["friend of Alice", "likes coffee"],
            },
            {"name": "Carol", "entityType": "person", "observations": ["graph database expert"]},
            {"name": "Anthropic", "entityType": "company", "observations": ["AI safety company"]},
        ]
    )
    store.create_relations(
        [
            {"from": "Alice", "to": "Bob", "relationType": "knows"},
            {"from": "Bob", "to": "Carol", "relationType": "knows"},
            {"from": "Alice", "to": "Anthropic", "relationType": "works_at"},
        ]
    )
    return store
