"""Fixtures for the HTTP tests: a real service on a DuckDB file, the app, a real uvicorn server."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ouroboros.config import Settings
from ouroboros.http.app import create_app

HERE = Path(__file__).parent
LOOPBACK = "http://127.0.0.1"


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fixture_service = _load("fixture_service")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "hello.txt").write_text("hello\nworld\n")
    return Settings(
        db_path=str(tmp_path / "ouroboros.duckdb"),
        roots=(str(tmp_path / "files"),),
        allow_mutations=True,
        rate_limit_per_minute=1000,
    )


@pytest.fixture
def make_service() -> Iterator[Callable[[Settings], Any]]:
    opened: list[Any] = []

    def make(settings: Settings) -> Any:
        service = fixture_service.make_service(settings)
        opened.append(service)
        return service

    yield make
    for service in opened:
        service.close()


@pytest.fixture
def service(settings: Settings, make_service: Callable[[Settings], Any]) -> Any:
    return make_service(settings)


def local_client(app: Any, **kw: Any) -> TestClient:
    """A TestClient that looks like a loopback client talking to a loopback host."""
    return TestClient(app, base_url=LOOPBACK, client=("127.0.0.1", 50000), **kw)


@pytest.fixture
def client(service: Any) -> Iterator[TestClient]:
    with local_client(create_app(service=service, token_cache_ttl=0)) as c:
        yield c


@pytest.fixture
def client_for() -> Callable[..., Any]:
    """``with client_for(service, **create_app_options) as client``: a loopback TestClient."""

    @contextmanager
    def make(service: Any, **options: Any) -> Iterator[TestClient]:
        options.setdefault("token_cache_ttl", 0)
        with local_client(create_app(service=service, **options)) as c:
            yield c

    return make


@pytest.fixture
def add_token() -> Callable[..., dict[str, str]]:
    """``add_token(service, name, *scopes)``: create a token, return its Authorization header."""

    def add(service: Any, name: str, *scopes: str) -> dict[str, str]:
        secret, _ = service.store.token_create(name, list(scopes))
        return {"Authorization": f"Bearer {secret}"}

    return add
