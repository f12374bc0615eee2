"""Fixtures shared by every test folder: no test touches the user's database; a real uvicorn server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
import uvicorn

# Hypothesis: the deterministic "ci" profile unless HYPOTHESIS_PROFILE says otherwise (make fuzz).
from tests import profiles  # noqa: F401  (registers and loads the profile before test modules)

# Tests that need a heavy part carry its marker; `make test` skips them cleanly when the part is
# absent. A CI leg that installs the part runs `pytest --require-leg NAME -m NAME`, and then a
# skipped test of that leg is a failure (the leg must not pass by running nothing).
LEGS = ("postgres", "browser", "llm", "embeddings", "wheel")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-leg",
        action="append",
        default=[],
        choices=LEGS,
        help="fail (instead of skip) any skipped test carrying this leg's marker",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    required = set(item.config.getoption("--require-leg"))
    if report.skipped and required and any(item.get_closest_marker(m) for m in required):
        report.outcome = "failed"
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in a CI leg that requires it: {reason}"


@pytest.fixture(autouse=True)
def _no_default_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the default database (and the XDG data dir) at a temp folder for every test, so a
    command run without ``--db`` never opens the real ``~/.local/share/ouroboros`` file; and
    clear ``OUROBOROS_ROOTS`` / ``OUROBOROS_GIT_ROOT`` (tests configure the roots they use)."""
    home = tmp_path_factory.mktemp("default-db")
    monkeypatch.setenv("OUROBOROS_DB", str(home / "ouroboros.duckdb"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    # No file roots or git repository leak in from the shell running the tests.
    monkeypatch.delenv("OUROBOROS_ROOTS", raising=False)
    monkeypatch.delenv("OUROBOROS_GIT_ROOT", raising=False)


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
