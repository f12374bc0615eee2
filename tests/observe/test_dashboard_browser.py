"""The dashboard in a real browser: Debian's chromium driven by Playwright, against a real
``ouroboros serve`` process written to through the real MCP client.

Skipped cleanly when Playwright or ``/usr/bin/chromium`` is absent (the ``browser`` leg of
``.ci/run`` installs both). No browser is downloaded. Every request the page makes is checked:
one to a non-loopback address fails the test. Screenshots of each panel go to
``$OUROBOROS_ARTIFACTS`` (else a temp ``artifacts`` folder); with ``OUROBOROS_UPDATE_SCREENSHOT=1``
the full page is also saved as ``docs/dashboard.png``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
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
REPO = Path(__file__).resolve().parents[2]
WAIT_MS = 90_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``ouroboros serve`` in a child process on a fixed port, so it can be killed and restarted."""

    def __init__(self, db: Path, roots: Path, log: Path) -> None:
        self.db, self.roots, self.log = db, roots, log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-c", "from ouroboros.cli import main; main()", "serve"]
        command += ["--port", str(self.port), "--db", str(self.db), "--roots", str(self.roots)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=out, cwd=self.roots
            )  # not the checkout: its folders would shadow the installed package
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError("server did not become ready")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(30)
            self.proc = None


def _mcp_call(url: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Run tool calls through the real MCP client (streamable HTTP) in a thread of its own."""
    from mcp import Client

    results: list[Any] = []
    errors: list[BaseException] = []

    async def run() -> None:
        async with Client(f"{url}/mcp") as client:
            for name, args in calls:
                results.append(await client.call_tool(name, args))

    def thread() -> None:
        try:
            anyio.run(run)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join(120)
    if errors:
        raise errors[0]
    assert all(not r.is_error for r in results), results
    return results


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    base = tmp_path_factory.mktemp("dashboard")
    (base / "files").mkdir()
    running = ServerProcess(base / "db.duckdb", base / "files", base / "server.log")
    running.start()
    yield running
    running.kill()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("OUROBOROS_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    foreign: list[str] = []

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith("data:") or host in {"127.0.0.1", "localhost", "::1"}:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    opened = context.new_page()
    opened.on("websocket", lambda ws: None if "127.0.0.1" in ws.url else foreign.append(ws.url))
    opened.on("request", lambda r: None if _loopback(r.url) else foreign.append(r.url))
    opened.goto(server.url + "/")
    opened.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    yield opened
    context.close()
    assert foreign == [], f"the page requested non-loopback URLs: {foreign}"


def _loopback(url: str) -> bool:
    return url.startswith("data:") or (urlsplit(url).hostname or "") in {"127.0.0.1", "localhost"}


def test_live_events_arrive_while_an_mcp_client_writes(
    page: Any, server: ServerProcess, artifacts: Path
) -> None:
    _mcp_call(
        server.url,
        [
            (
                "create_entities",
                {
                    "entities": [
                        {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
                        {"name": "Bob", "entityType": "person", "observations": ["plays chess"]},
                        {"name": "Carol", "entityType": "person", "observations": []},
                    ]
                },
            ),
            (
                "create_relations",
                {
                    "relations": [
                        {"from": "Alice", "to": "Bob", "relationType": "knows"},
                        {"from": "Carol", "to": "Alice", "relationType": "works_with"},
                    ]
                },
            ),
            ("search_nodes", {"query": "Alice"}),
        ],
    )
    page.wait_for_selector(
        '#events li[data-kind=write][data-name="create_entities"]', timeout=WAIT_MS
    )
    page.wait_for_selector('#events li[data-kind=tool][data-name="search_nodes"]', timeout=WAIT_MS)
    page.uncheck('#event-filters input[value="request"]')
    page.fill("#event-text", "create_relations")
    assert page.locator("#events li").count() >= 1
    assert page.locator('#events li[data-name="search_nodes"]').count() == 0  # filtered out
    page.fill("#event-text", "")
    page.locator("#panel-events").screenshot(path=str(artifacts / "panel-events.png"))
    page.wait_for_selector("#top-tools tbody tr", timeout=WAIT_MS)
    page.locator("#panel-health").screenshot(path=str(artifacts / "panel-health.png"))


def test_console_query_draws_its_plan(page: Any, artifacts: Path) -> None:
    page.fill(
        "#query-text",
        '[:system/status {[:entity/name "Alice"] [:entity/type :entity/observations]}]',
    )
    page.click("#query-run")
    page.wait_for_selector(
        '#plan .plan-node[data-resolver="entity/core"][data-status=ok]', timeout=WAIT_MS
    )
    assert page.locator('#plan .plan-node[data-type="and"]').count() >= 1
    assert (
        page.locator('#plan .plan-node[data-resolver="system/status"][data-status=ok]').count() == 1
    )
    assert "likes tea" in page.inner_text("#result")
    page.locator("#panel-console").screenshot(path=str(artifacts / "panel-console.png"))


def test_graph_explorer_searches_and_opens_neighbours(page: Any, artifacts: Path) -> None:
    page.fill("#graph-q", "Alice")
    page.click("#graph-form button")
    page.click('#graph-results li[data-name="Alice"]', timeout=WAIT_MS)
    page.wait_for_selector('#graph-svg .node[data-name="Bob"]', timeout=WAIT_MS)
    page.click('#graph-svg .node[data-name="Bob"]')
    page.wait_for_function(
        "document.querySelector('#graph-entity h3').textContent.startsWith('Bob')", timeout=WAIT_MS
    )
    page.click('#graph-svg .node[data-name="Alice"]')
    page.wait_for_function(
        "document.querySelector('#graph-entity h3').textContent.startsWith('Alice')",
        timeout=WAIT_MS,
    )
    page.locator("#panel-graph").screenshot(path=str(artifacts / "panel-graph.png"))
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    if os.environ.get("OUROBOROS_UPDATE_SCREENSHOT") == "1":
        shutil.copy(artifacts / "dashboard.png", REPO / "docs" / "dashboard.png")


def test_page_reconnects_after_the_server_restarts(page: Any, server: ServerProcess) -> None:
    server.kill()
    page.wait_for_selector("#conn[data-state=reconnecting]", timeout=WAIT_MS)
    server.start()
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    _mcp_call(
        server.url,
        [
            (
                "add_observations",
                {"observations": [{"entityName": "Bob", "contents": ["back again"]}]},
            )
        ],
    )
    page.wait_for_selector('#events li[data-name="add_observations"]', timeout=WAIT_MS)
