"""GraphiQL in a real browser, offline: Debian's chromium driven by Playwright against a real
``ouroboros serve``; every request to a non-loopback address is aborted and fails the test.

Skipped cleanly when Playwright or ``/usr/bin/chromium`` is absent (the ``browser`` leg of
``.ci/run`` installs both). No browser is downloaded. A screenshot goes to
``$OUROBOROS_ARTIFACTS/graphiql.png`` when that is set.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 90_000
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("graphiql")
    (base / "files").mkdir()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", "from ouroboros.cli import main; main()", "serve"]
    command += ["--port", str(port), "--db", str(base / "db.duckdb")]
    command += ["--roots", str(base / "files")]
    log = base / "server.log"
    with log.open("ab") as out:
        # Not run from the checkout: its folders would shadow the installed package.
        proc = subprocess.Popen(command, stdout=out, stderr=out, cwd=base / "files")
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not become ready")
            time.sleep(0.3)
        yield url
    finally:
        proc.kill()
        proc.wait(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def test_graphiql_renders_and_runs_the_example_offline(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    foreign: list[str] = []
    page_errors: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith("data:") or (urlsplit(url).hostname or "") in LOOPBACK_HOSTS:
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.goto(f"{server}/graphql")
    page.wait_for_selector(".graphiql-container", timeout=WAIT_MS)
    # Selectors, not wait_for_function: the page's CSP forbids eval, Playwright's too.
    page.wait_for_selector(".graphiql-query-editor:has-text('query Overview')", timeout=WAIT_MS)
    page.click(".graphiql-execute-button")
    page.wait_for_selector(".result-window:has-text('system__healthy_QMARK_')", timeout=WAIT_MS)
    result = page.inner_text(".result-window")
    assert '"system__healthy_QMARK_": true' in result, result
    assert '"errors"' not in result, result
    # The schema came in (introspection over POST /graphql): the Docs pane lists Query.
    page.click('button[aria-label="Show Documentation Explorer"]')
    page.wait_for_selector(".graphiql-doc-explorer", timeout=WAIT_MS)
    artifacts = os.environ.get("OUROBOROS_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(artifacts) / "graphiql.png"))
    context.close()
    assert page_errors == [], page_errors
    assert foreign == [], f"the page requested non-loopback URLs: {foreign}"
