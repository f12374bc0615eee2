"""Test helpers: a loopback OTLP/HTTP trace receiver and ``ouroboros serve`` as a child process.

``OTLPReceiver`` is a real HTTP server on 127.0.0.1 that accepts ``POST /v1/traces`` with
``application/x-protobuf`` (gzip or not), decodes each body as an ``ExportTraceServiceRequest``
with ``opentelemetry-proto`` and keeps the spans as plain dicts; ``wait_for`` polls them.
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2 as httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

WAIT = 60.0


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return None if kind is None else getattr(value, kind)


def decode(body: bytes) -> list[dict[str, Any]]:
    """Return the spans of one OTLP/HTTP protobuf export body as dicts."""
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    {
                        "name": span.name,
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "kind": span.kind,
                        "status": span.status.code,
                        "attributes": {kv.key: _value(kv.value) for kv in span.attributes},
                        "resource": resource,
                        "scope": scope_spans.scope.name,
                    }
                )
    return spans


class OTLPReceiver:
    """A loopback OTLP/HTTP receiver (``with OTLPReceiver() as r: r.endpoint``)."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.posts: list[dict[str, str]] = []  # the headers of each export
        self.refused: list[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.path != "/v1/traces":
                    receiver.refused.append(f"path {self.path}")
                    self.send_error(404)
                    return
                if self.headers.get("content-type") != "application/x-protobuf":
                    receiver.refused.append(f"content-type {self.headers.get('content-type')}")
                    self.send_error(415)
                    return
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                spans = decode(body)
                with receiver._lock:
                    receiver.posts.append(dict(self.headers))
                    receiver.spans.extend(spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> OTLPReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.spans)

    def wait_for(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = WAIT
    ) -> list[dict[str, Any]]:
        """Poll the received spans until ``done(spans)``; return them (AssertionError on
        timeout, with what did arrive)."""
        deadline = time.monotonic() + timeout
        while True:
            spans = self.snapshot()
            if done(spans):
                return spans
            if time.monotonic() > deadline:
                names = sorted({s["name"] for s in spans})
                raise AssertionError(f"no matching spans within {timeout:g} s; got {names}")
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run ``ouroboros ARGS`` in a child process; return its stdout (AssertionError on failure)."""
    command = [sys.executable, "-c", "from ouroboros.cli import main; main()", *args]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or "/",  # not the checkout: its folders would shadow the installed package
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class ServeProcess:
    """``ouroboros serve`` in a child process on a free loopback port, with extra ``env``."""

    def __init__(
        self, db: Path | str, roots: Path, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.db, self.roots, self.log = db, roots, log
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServeProcess:
        command = [sys.executable, "-c", "from ouroboros.cli import main; main()", "serve"]
        command += ["--port", str(self.port), "--db", str(self.db), "--roots", str(self.roots)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=out, cwd=self.roots, env=self.env
            )  # not the checkout: its folders would shadow the installed package
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                # 401: it is up and has tokens (the test holds one)
                if httpx.get(f"{self.url}/ready", timeout=2).status_code in (200, 401):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise AssertionError("server did not become ready")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
            self.proc = None


def tree(spans: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(depth, span)`` for one trace's spans, parents first (for failure messages)."""
    by_parent: dict[str, list[dict[str, Any]]] = {}
    ids = {s["span_id"] for s in spans}
    for s in spans:
        parent = s["parent_span_id"] if s["parent_span_id"] in ids else ""
        by_parent.setdefault(parent, []).append(s)

    def walk(parent: str, depth: int) -> Iterator[tuple[int, dict[str, Any]]]:
        for s in by_parent.get(parent, []):
            yield depth, s
            yield from walk(s["span_id"], depth + 1)

    yield from walk("", 0)
