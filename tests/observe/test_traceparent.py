"""W3C ``traceparent`` both ways, over loopback: an incoming request continues the caller's
trace, and outbound HTTP the project makes (``:api/*``, federation) carries ours.

The server half runs a real ``ouroboros serve`` exporting to the loopback OTLP receiver of
tests/observe/otlp.py; the outbound targets are real HTTP servers on 127.0.0.1 that keep the
headers they were sent. The agent's model calls are covered in tests/agent/test_traceparent.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import strawberry
from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from ouroboros.config import Settings
from ouroboros.observe import tracing
from ouroboros.service import build_service
from ouroboros.store import open_store
from tests.observe.otlp import OTLPReceiver, ServeProcess, cli, tree

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def parse(traceparent: str) -> tuple[str, str]:
    """Return (trace id, parent span id) of a well-formed W3C traceparent."""
    version, trace_id, parent_id, flags = traceparent.split("-")
    assert version == "00" and len(trace_id) == 32 and len(parent_id) == 16 and len(flags) == 2
    return trace_id, parent_id


@contextmanager
def recording_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback HTTP server answering every GET with ``hello``; yields (url, headers seen)."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def request_trace(receiver: OTLPReceiver, request_id: str) -> tuple[dict[str, Any], list[Any]]:
    def roots(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            s
            for s in spans
            if s["kind"] == 2 and s["attributes"].get("ouroboros.request_id") == request_id
        ]

    (root,) = roots(receiver.wait_for(lambda spans: bool(roots(spans))))
    return root, [s for s in receiver.snapshot() if s["trace_id"] == root["trace_id"]]


@pytest.mark.slow
def test_a_request_with_traceparent_continues_that_trace_out_to_api_calls(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    with OTLPReceiver() as receiver, recording_server() as (target, seen):
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "50",
            "OUROBOROS_HTTP_ALLOW": "127.0.0.1",
        }
        query = f'[{{[:api/url "{target}/hello"] [:api/status :api/body]}}]'
        with ServeProcess(tmp_path / "db.duckdb", tmp_path / "files", tmp_path / "log", env) as s:
            answer = httpx.post(
                f"{s.url}/eql",
                content=query,
                headers={"content-type": "application/edn", "traceparent": TRACEPARENT},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()[f'[:api/url "{target}/hello"]']["api/body"] == "hello"
            root, spans = request_trace(receiver, answer.headers["x-request-id"])

            malformed = httpx.post(
                f"{s.url}/eql",
                content="[:system/status]",
                headers={"content-type": "application/edn", "traceparent": "00-zz-nope-01"},
                timeout=60,
            )
            assert malformed.status_code == 200, malformed.text
            fresh, _ = request_trace(receiver, malformed.headers["x-request-id"])

    shape = "\n".join("  " * d + s["name"] for d, s in tree(spans))
    # the server's request span is a child of the caller's span, in the caller's trace
    assert root["trace_id"] == TRACE_ID and root["parent_span_id"] == PARENT_ID, shape
    ids = {s["span_id"]: s for s in spans}
    assert all(s["parent_span_id"] in ids for s in spans if s is not root), shape
    # the :api/get call went out with our trace: its parent is the client span of that call
    (sent,) = seen
    trace_id, parent_id = parse(sent["traceparent"])
    assert trace_id == TRACE_ID
    client = ids[parent_id]
    assert client["name"] == "HTTP GET" and client["kind"] == 3, shape  # SPAN_KIND_CLIENT
    assert client["attributes"]["http.response.status_code"] == 200
    assert ids[client["parent_span_id"]]["name"] == "resolver api/get", shape
    # a malformed traceparent is ignored: a new trace, no parent
    assert fresh["trace_id"] != TRACE_ID and fresh["parent_span_id"] == ""


@strawberry.type
class Query:
    @strawberry.field
    def greeting(self) -> str:
        return "hello from GraphQL"


def test_federation_calls_carry_the_trace(serve_uvicorn: Any, tmp_path: Path) -> None:
    seen: list[str | None] = []

    class Recording(GraphQL):
        async def get_context(self, request, response):  # type: ignore[no-untyped-def]
            seen.append(request.headers.get("traceparent"))
            return await super().get_context(request, response)

    app = Starlette(
        routes=[Route("/graphql", Recording(strawberry.Schema(query=Query)), methods=["POST"])]
    )
    with serve_uvicorn(app) as people:
        source = {"name": "people", "kind": "graphql", "url": f"{people.url}/graphql"}
        settings = Settings(db_path=":memory:", roots=(str(tmp_path),), extra={"foreign": [source]})
        with build_service(settings, open_store(":memory:", embedder=None)) as service:
            assert not service.plugins.refused, [r.line for r in service.plugins.refused]
            assert seen == [None]  # introspection at start-up is outside any request
            with (
                tracing.use_provider(TracerProvider()),
                tracing.request_span("test federation") as span,
            ):
                result = service.engine.process("[:people/greeting]")
    assert result == {"people/greeting": "hello from GraphQL"}
    trace_id, _ = parse(str(seen[-1]))
    assert trace_id == format(span.get_span_context().trace_id, "032x")


@pytest.mark.slow
def test_a_cli_command_joins_the_trace_in_traceparent_env(tmp_path: Path) -> None:
    with OTLPReceiver() as receiver:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "50",
            "TRACEPARENT": TRACEPARENT,
        }
        out = cli("query", "[:system/status]", "--db", str(tmp_path / "db.duckdb"), env=env)
        assert "running" in out
        spans = receiver.wait_for(lambda spans: any(s["name"] == "cli query" for s in spans))
    (root,) = [s for s in spans if s["name"] == "cli query"]
    assert root["trace_id"] == TRACE_ID and root["parent_span_id"] == PARENT_ID
    resolvers = [s for s in spans if s["name"] == "resolver system/status"]
    assert resolvers and all(s["trace_id"] == TRACE_ID for s in resolvers)
