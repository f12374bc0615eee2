"""Fixtures for the resolver tests: a loopback HTTP server and a real temporary git repository."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class _Handler(BaseHTTPRequestHandler):
    server_version = "TestServer/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/plain",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _route(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        if path == "/hello":
            self._send(
                200, b"hello world", headers={"X-Test": "yes", "Set-Cookie": "session=s3cr3t"}
            )
        elif path == "/echo":
            self._json(
                200,
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self._body().decode("utf-8", "replace"),
                },
            )
        elif path == "/big":
            size = int(query.get("size", "100000"))
            self._send(200, b"x" * size)
        elif path == "/redirect":
            self.send_response(int(query.get("code", "302")))
            self.send_header("Location", query["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, f"status {code}".encode())
        elif path in ("/openapi.json", "/swagger.yaml"):
            name = (
                "openapi-petstore-v3.json" if path.endswith(".json") else "openapi-petstore-v2.yaml"
            )
            text = (FIXTURES / name).read_bytes()
            self._send(
                200, text, "application/json" if path.endswith(".json") else "application/yaml"
            )
        elif path == "/api/pets" and self.command == "GET":
            limit = int(query.get("limit", "10"))
            pets = [{"id": i, "name": f"pet{i}"} for i in range(1, 4)][:limit]
            self._json(
                200, {"pets": pets, "tag": query.get("tag"), "auth": self.headers.get("X-Api-Key")}
            )
        elif path == "/api/pets" and self.command == "POST":
            self._json(201, {"created": json.loads(self._body() or b"null")})
        elif path.startswith("/api/pets/"):
            self._json(200, {"id": path.rsplit("/", 1)[1], "name": "rex"})
        else:
            self._send(404, b"not found")

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early (capped bodies) are expected here


class LocalServer:
    """A threaded HTTP server on 127.0.0.1; ``url(path)`` builds an address on it."""

    def __init__(self) -> None:
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        srv.thread.join()


# --- git ---------------------------------------------------------------------------------------

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with 3 commits on ``main``, a tag, and a second branch ``feature``."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for i in range(1, 4):
        (root / f"f{i}.txt").write_text(f"file {i}\n")
        git(root, "add", f"f{i}.txt")
        git(root, "commit", "-q", "-m", f"commit number {i}")
    git(root, "tag", "v1")
    git(root, "branch", "feature")
    return root
