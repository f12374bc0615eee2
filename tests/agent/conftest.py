"""Fixtures for the agent tests: a real service over a DuckDB file in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.service import Service, open_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """A real service (store, engine, tools) over a fresh database with a small graph."""
    settings = Settings(db_path=str(tmp_path / "agent.duckdb"), roots=(str(tmp_path),))
    with open_service(settings) as svc:
        svc.store.create_entities(
            [
                {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
                {"name": "Bob", "entityType": "person", "observations": ["plays chess"]},
            ]
        )
        yield svc
