"""Fixtures shared by every test folder: no test touches the user's database; a real uvicorn server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
import uvicorn


@pytest.fixture(autouse=True)
def _no_default_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the default database (and the XDG data dir) at a temp folder for every test, so a
    command run without ``--db`` never opens the real ``~/.local/share/ouroboros`` file."""
    home = tmp_path_factory.mktemp("default-db")
    monkeypatch.setenv("OUROBOROS_DB", str(home / "ouroboros.duckdb"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home))


class UvicornThread:
    """A real uvicorn server on a free loopback port, in a background thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = 0

    def __enter__(self) -> UvicornThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def serve_uvicorn() -> Callable[[Any], AbstractContextManager[UvicornThread]]:
    """Return ``serve(app)``: a context manager running ``app`` under uvicorn on loopback."""
    return UvicornThread
