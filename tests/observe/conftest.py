"""Fixtures for the observability tests: a real service on a DuckDB file and a loopback client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ouroboros.config import Settings
from ouroboros.http.app import create_app
from ouroboros.service import open_service


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "files").mkdir()
    return Settings(
        db_path=str(tmp_path / "ouroboros.duckdb"),
        roots=(str(tmp_path / "files"),),
        allow_mutations=True,
        rate_limit_per_minute=1000,
    )


@pytest.fixture
def service(settings: Settings) -> Iterator[Any]:
    with open_service(settings) as opened:
        yield opened


@pytest.fixture
def client(service: Any) -> Iterator[TestClient]:
    app = create_app(service=service, token_cache_ttl=0)
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as c:
        yield c
