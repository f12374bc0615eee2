"""The 13 core tools through the real service (DuckDB file, engine, resolvers, registry):
results, schemas, bad inputs, and the original's acceptance behaviours (reference §9)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ouroboros.config import Settings
from ouroboros.service import Service, open_service
from ouroboros.tools.core import core_tools
from ouroboros.tools.policy import CORE_TOOLS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        check=True,
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/api/pets"):
            body = json.dumps([{"id": 1, "name": "rex"}]).encode()
            ctype = "application/json"
        else:
            body = b"hello from loopback"
            ctype = "text/plain"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "session=s3cr3t-cookie")
        self.send_header("X-Api-Key", "s3cr3t-key")
        self.send_header("X-Plain", "visible")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def loopback() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A workspace that is also a git repository with 4 commits and a 30-line README."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("".join(f"line {i}\n" for i in range(30)), encoding="utf-8")
    (work / "src").mkdir()
    (work / "src" / "a.py").write_text("print('a')\n")
    for i in range(4):
        (work / f"f{i}.txt").write_text(f"{i}\n")
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", f"commit {i}")
    (tmp_path / "outside.txt").write_text("secret outside the root\n")
    return work


def settings_for(root: Path, **kw: Any) -> Settings:
    return Settings(
        db_path=str(root.parent / "t.duckdb"), roots=(str(root),), rate_limit_per_minute=0, **kw
    )


@pytest.fixture
def service(root: Path) -> Iterator[Service]:
    with open_service(settings_for(root)) as svc:
        yield svc


def call(svc: Service, name: Any, args: Any = None, **kw: Any) -> dict[str, Any]:
    return svc.tools.call_sync(name, args, **kw)


def ok(svc: Service, name: str, args: Any = None) -> Any:
    """Call a tool, require success, check the result against its output schema."""
    envelope = call(svc, name, args)
    assert envelope["status"] == "success", envelope
    tool = svc.tools.get(name)
    assert tool.output_schema is not None
    jsonschema.validate(envelope["result"], tool.output_schema)
    json.dumps(envelope)  # JSON all the way down
    return envelope["result"]


def error(svc: Service, name: str, args: Any = None) -> dict[str, Any]:
    envelope = call(svc, name, args)
    assert envelope["status"] == "error", envelope
    assert isinstance(envelope["error"]["message"], str)
    return dict(envelope["error"])


# --- the set of tools (acceptance 7) ----------------------------------------------------------


def test_exactly_13_core_tools_with_descriptions_and_schemas() -> None:
    tools = core_tools()
    assert [t.name for t in tools] == list(CORE_TOOLS)
    assert len(tools) == 13
    for tool in tools:
        assert isinstance(tool.description, str) and tool.description
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        jsonschema.Draft202012Validator.check_schema(schema)
        for prop in schema["properties"].values():
            assert prop.get("description"), tool.name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)
    writes = {t.name for t in tools if t.writes}
    assert writes == {"memory_set", "openapi_bootstrap", "openapi_call"}
    assert {t.name for t in tools if t.open_world} == {
        "http_get",
        "openapi_bootstrap",
        "openapi_call",
    }
    defaults = {
        (t.name, k): p["default"]
        for t in tools
        for k, p in t.input_schema["properties"].items()
        if "default" in p
    }
    assert defaults[("git_commits", "n")] == 5
    assert defaults[("file_read", "lines")] == 100
    assert defaults[("file_list", "dir")] == "."
    assert defaults[("openapi_call", "params")] == {}


# --- system and git (acceptance 8) -------------------------------------------------------------


def test_system_status_and_report(service: Service) -> None:
    status = ok(service, "system_status")
    assert status["healthy"] is True
    assert set(status["status"]) >= {"state", "running?", "ready?"}
    report = ok(service, "system_report")
    assert "running" in report["current_state"] and "system" in report["current_state"]
    assert report["meta"]["version"]


@pytest.mark.parametrize(
    ("args", "count"), [({}, 4), ({"n": 3}, 3), ({"n": 0}, 0), ({"n": 1000000}, 4), ({"n": "2"}, 2)]
)
def test_git_commits_honours_n(service: Service, args: dict[str, Any], count: int) -> None:
    result = ok(service, "git_commits", args)
    assert result["count"] == count == len(result["commits"])
    if count:
        first = result["commits"][0]
        assert first["subject"] == "commit 3" and first["author"] == "Ada Tester"
        assert set(first) == {"hash", "author", "date", "subject", "refs"}


def test_git_commits_default_is_five(root: Path) -> None:
    for i in range(4, 7):
        (root / f"g{i}.txt").write_text("x")
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", f"commit {i}")
    with open_service(settings_for(root)) as svc:
        assert ok(svc, "git_commits")["count"] == 5


@pytest.mark.parametrize("n", [-1, "many", 1.5, True])
def test_git_commits_bad_n_is_an_error_not_a_crash(service: Service, n: Any) -> None:
    assert error(service, "git_commits", {"n": n})["type"] == "InvalidInputError"


def test_git_status(service: Service, root: Path) -> None:
    result = ok(service, "git_status")
    assert result["branch"] == "main"
    assert result["file_count"] >= 0 and isinstance(result["clean"], bool)


# --- files (acceptance 9, 10) -------------------------------------------------------------------


def test_file_read_readme_with_lines(service: Service) -> None:
    result = ok(service, "file_read", {"path": "README.md", "lines": 10})
    assert result["path"] == "README.md"
    assert isinstance(result["content"], str)
    assert result["content"].splitlines() == [f"line {i}" for i in range(10)]
    assert result["lines_returned"] == 10 and result["truncated"] is True
    whole = ok(service, "file_read", {"path": "README.md"})  # default 100 lines
    assert whole["lines_returned"] == 30 and whole["truncated"] is False
    assert ok(service, "file_read", {"path": "README.md", "lines": "3"})["lines_returned"] == 3


def test_file_read_refusals(service: Service, root: Path) -> None:
    assert error(service, "file_read", {"path": "missing.md"})["type"] == "NotFoundError"
    assert (
        error(service, "file_read", {"path": "../outside.txt"})["type"] == "PermissionDeniedError"
    )
    outside = str(root.parent / "outside.txt")
    assert error(service, "file_read", {"path": outside})["type"] == "PermissionDeniedError"
    (root / "link.txt").symlink_to(root.parent / "outside.txt")
    assert error(service, "file_read", {"path": "link.txt"})["type"] == "PermissionDeniedError"
    assert error(service, "file_read", {})["type"] == "InvalidInputError"
    assert error(service, "file_read", {"path": "README.md", "lines": "ten"})["type"] == (
        "InvalidInputError"
    )
    assert error(service, "file_read", {"path": "README.md", "bogus": 1})["type"] == (
        "InvalidInputError"
    )


def test_file_search_and_list(service: Service) -> None:
    found = ok(service, "file_search", {"pattern": "*.py"})
    assert found["pattern"] == "*.py"
    assert [f["path"] for f in found["files"]] == ["src/a.py"]
    listed = ok(service, "file_list", {"dir": "src"})
    assert listed["dir"] == "src" and [f["name"] for f in listed["files"]] == ["a.py"]
    top = ok(service, "file_list")
    assert top["dir"] == "."
    names = {f["name"]: f for f in top["files"]}
    assert names["src"]["directory"] is True and names["README.md"]["directory"] is False
    assert error(service, "file_list", {"dir": ".."})["type"] == "PermissionDeniedError"
    assert error(service, "file_list", {"dir": "nope"})["type"] == "NotFoundError"


# --- memory (acceptance 4 through the tools) ------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "test-value",
        None,
        {"nested": {"list": [1, 2, {"deep": True}]}},
        'special "chars" \\ \n\t {}',
        "世界 🌍 مرحبا",
        '{"looks": "like json"}',
        12.5,
    ],
)
def test_memory_set_get_round_trip(service: Service, value: Any) -> None:
    assert ok(service, "memory_set", {"key": "test-key", "value": value}) == {
        "key": "test-key",
        "saved": True,
        "created": True,
    }
    assert ok(service, "memory_get", {"key": "test-key"}) == {
        "key": "test-key",
        "value": value,
        "exists": True,
    }


def test_memory_missing_keys(service: Service) -> None:
    assert ok(service, "memory_get", {"key": "never-set"}) == {
        "key": "never-set",
        "value": None,
        "exists": False,
    }
    assert ok(service, "memory_get", {"key": ""})["exists"] is False
    assert error(service, "memory_get", {})["type"] == "InvalidInputError"
    assert error(service, "memory_set", {"key": "k"})["type"] == "InvalidInputError"
    assert error(service, "memory_set", {"key": "", "value": 1})["type"] == "InvalidInputError"
    # A JSON-number key is refused by the schema rather than guessed at.
    assert error(service, "memory_get", {"key": 42})["type"] == "InvalidInputError"


# --- outbound HTTP and OpenAPI -----------------------------------------------------------------


def test_http_get_refuses_loopback_by_default(service: Service, loopback: str) -> None:
    err = error(service, "http_get", {"url": loopback + "/hello"})
    assert err["type"] == "PermissionDeniedError"
    assert error(service, "http_get", {"url": "http://169.254.169.254/latest"})["type"] == (
        "PermissionDeniedError"
    )
    assert error(service, "http_get", {"url": "file:///etc/passwd"})["type"] in (
        "PermissionDeniedError",
        "InvalidInputError",
    )


def test_http_get_allowed_and_redacted(root: Path, loopback: str) -> None:
    with open_service(settings_for(root, http_allow=("127.0.0.1",))) as svc:
        with_password = loopback.replace("http://", "http://user:hunter2@") + "/hello"
        refused = error(svc, "http_get", {"url": with_password})
        assert refused["type"] == "InvalidInputError" and "hunter2" not in json.dumps(refused)
        url = loopback + "/hello?token=t0k3n&q=1"
        result = ok(svc, "http_get", {"url": url})
        assert result["url"].endswith("q=1") and "t0k3n" not in result["url"]
        assert result["status"] == 200 and result["success"] is True
        assert result["body"] == "hello from loopback"
        assert result["headers"]["x-plain"] == "visible"
        text = json.dumps(result)
        for secret in ("s3cr3t-cookie", "s3cr3t-key", "hunter2", "t0k3n"):
            assert secret not in text
        events = json.dumps(svc.store.events(10))
        for secret in ("hunter2", "t0k3n"):
            assert secret not in events  # telemetry keeps argument names, never values


def test_openapi_bootstrap_and_call(root: Path, loopback: str) -> None:
    shutil.copy(FIXTURES / "openapi-petstore-v3.json", root / "pets.json")
    with open_service(settings_for(root, http_allow=("127.0.0.1",))) as svc:
        boot = ok(
            svc,
            "openapi_bootstrap",
            {"name": "pets", "spec_url": "pets.json", "base_url": loopback + "/api"},
        )
        assert boot["name"] == "pets" and "listPets" in boot["operations"]
        called = ok(svc, "openapi_call", {"client": "pets", "operation": "listPets"})
        assert called["status"] == 200 and called["body"] == [{"id": 1, "name": "rex"}]
        assert "s3cr3t-key" not in json.dumps(called)
        assert error(svc, "openapi_call", {"client": "nope", "operation": "x"})["type"] == (
            "NotFoundError"
        )
    with open_service(settings_for(root)) as svc:  # not allowed: the loopback API is refused
        ok(
            svc,
            "openapi_bootstrap",
            {"name": "pets", "spec_url": "pets.json", "base_url": loopback + "/api"},
        )
        err = error(svc, "openapi_call", {"client": "pets", "operation": "listPets"})
        assert err["type"] == "PermissionDeniedError"


# --- query_eql -----------------------------------------------------------------------------------


def test_query_eql_forms(service: Service) -> None:
    assert ok(service, "query_eql", {"query": "[:system/healthy?]"}) == {
        "result": {"system/healthy?": True}
    }
    assert ok(service, "query_eql", {"query": ["system/healthy?"]})["result"] == {
        "system/healthy?": True
    }
    assert ok(service, "query_eql", {"query": '["system/healthy?"]'})["result"] == {
        "system/healthy?": True
    }
    ok(service, "memory_set", {"key": "k", "value": [1]})
    ident = ok(service, "query_eql", {"query": '[{[:memory/key "k"] [:memory/value]}]'})
    assert ident["result"] == {'[:memory/key "k"]': {"memory/value": [1]}}
    commits = ok(service, "query_eql", {"query": "[{(:git/commits {:n 2}) [:git/subject]}]"})
    assert commits["result"]["git/commits"] == [
        {"git/subject": "commit 3"},
        {"git/subject": "commit 2"},
    ]


def test_query_eql_errors(service: Service) -> None:
    assert error(service, "query_eql", {"query": "[:system/healthy?"})["type"] == "EQLSyntaxError"
    assert error(service, "query_eql", {"query": "[:no/such-attribute]"})["type"] == (
        "UnreachableError"
    )
    assert error(service, "query_eql", {"query": ""})["type"] == "InvalidInputError"
    assert error(service, "query_eql", {"query": 5})["type"] == "InvalidInputError"
    typo = error(service, "query_eql", {"query": "[:system/healthy]"})
    assert "did you mean :system/healthy??" in typo["message"]
    deep = error(service, "query_eql", {"query": "[" * 10000})  # too deep for json.loads too
    assert deep["type"] == "EQLSyntaxError" and "nests deeper" in deep["message"]
    assert (
        error(service, "query_eql", {"query": '[{[:file/path "../outside.txt"] [:file/content]}]'})[
            "type"
        ]
        == "PermissionDeniedError"
    )
