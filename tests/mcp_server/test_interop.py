"""Independent clients: the TypeScript MCP SDK (stdio and streamable HTTP) and the MCP Inspector
0.14.3 CLI (stdio), run with Node from ``tests/interop`` (``.ci/run`` installs them with npm ci)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

INTEROP = Path(__file__).resolve().parents[1] / "interop"
NODE = shutil.which("node")
TS_SDK = INTEROP / "node_modules" / "@modelcontextprotocol" / "sdk"
INSPECTOR = (
    INTEROP / "node_modules" / "@modelcontextprotocol" / "inspector" / "cli" / "build" / "cli.js"
)

pytestmark = [
    pytest.mark.node,
    pytest.mark.slow,
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.skipif(
        not TS_SDK.exists(),
        reason="tests/interop/node_modules missing: run `npm ci` in tests/interop",
    ),
]

TOY_CALLS = [
    {"name": "echo", "arguments": {"text": "hi", "times": 2}},
    {"name": "word_count", "arguments": {"text": "one two three"}},
    {"name": "note_set", "arguments": {"key": "k", "value": "v"}},
    {"name": "note_get", "arguments": {"key": "k"}},
    {"name": "fail", "arguments": {}},
    {"name": "no_such_tool", "arguments": {}},
    {"name": "echo", "arguments": {}},
    {"name": "wrong_shape", "arguments": {}},
]
TOY_READS = [
    "memory://knowledge-graph",
    "ouroboros://graph?offset=1&limit=1",
    "ouroboros://entity/Alice",
]


def run_ts_client(plan: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    """Run tests/interop/mcp_client.mjs with ``plan``; return the report it prints."""
    done = subprocess.run(
        [NODE or "node", "mcp_client.mjs", json.dumps(plan)],
        cwd=INTEROP,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def run_inspector(server: list[str], *args: str, timeout: float = 60) -> Any:
    """Run the MCP Inspector 0.14.3 CLI against a stdio server; return its JSON output."""
    done = subprocess.run(
        [NODE or "node", str(INSPECTOR), "--cli", *server, *args],
        cwd=INTEROP,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def check_toy_report(report: dict[str, Any]) -> None:
    assert report["serverInfo"]["name"] == "ouroboros"
    tools = {t["name"]: t for t in report["tools"]}
    assert tools["echo"]["inputSchema"]["required"] == ["text"]
    assert tools["echo"]["outputSchema"]["type"] == "object"
    assert tools["echo"]["annotations"]["readOnlyHint"] is True
    assert tools["note_set"]["annotations"]["readOnlyHint"] is False
    assert tools["word_count"]["outputSchema"]["properties"]["result"] == {"type": "integer"}
    calls = report["calls"]
    assert all("thrown" not in c for c in calls), calls  # the TS client accepted every result
    echo, count, wrote, read, fail, unknown, bad, wrong = calls
    assert echo["structuredContent"]["text"] == "hi" and not echo["isError"]
    assert count["structuredContent"] == {"result": 3}
    assert wrote["structuredContent"] == {"key": "k", "stored": True}
    assert read["structuredContent"] == {"key": "k", "value": "v"}
    for error, kind in [
        (fail, "InvalidInputError"),
        (unknown, "ToolNotFoundError"),
        (bad, "InvalidInputError"),
        (wrong, "OuroborosError"),
    ]:
        assert error["isError"] is True
        body = json.loads(error["text"])
        assert set(body) == {"error"} and body["error"]["type"] == kind
    assert json.loads(fail["text"])["error"]["path"] == ["reason"]
    assert "echo" in json.loads(unknown["text"])["error"]["details"]["available_tools"]
    assert [r["uri"] for r in report["resources"]] == ["memory://knowledge-graph"]
    assert len(report["templates"]) == 2
    whole, page, alice = report["reads"]
    assert whole["mimeType"] == "application/json"
    assert len(json.loads(whole["text"])["entities"]) == 3
    assert [e["name"] for e in json.loads(page["text"])["entities"]] == ["Bob"]
    assert json.loads(alice["text"])["relations"][0]["to"] == "Ouroboros"


def test_typescript_sdk_over_stdio(toy_server_path) -> None:
    plan = {
        "stdio": {"command": sys.executable, "args": [str(toy_server_path)]},
        "calls": TOY_CALLS,
        "resources": TOY_READS,
    }
    check_toy_report(run_ts_client(plan))


@pytest.mark.parametrize("stateless", [False, True])
def test_typescript_sdk_over_http(
    toy_registry, serve_uvicorn, mcp_host_app, stateless: bool
) -> None:
    with serve_uvicorn(mcp_host_app(toy_registry, stateless=stateless)) as http:
        report = run_ts_client(
            {"http": f"{http.url}/mcp", "calls": TOY_CALLS, "resources": TOY_READS}
        )
    check_toy_report(report)
    assert report["calls"][0]["structuredContent"]["caller"] == "local:127.0.0.1"


def test_inspector_cli_over_stdio(toy_server_path) -> None:
    server = [sys.executable, str(toy_server_path)]
    listed = run_inspector(server, "--method", "tools/list")
    names = {t["name"] for t in listed["tools"]}
    assert {"echo", "note_set", "read_graph"} <= names
    echo = next(t for t in listed["tools"] if t["name"] == "echo")
    assert echo["outputSchema"]["type"] == "object"

    called = run_inspector(
        server,
        "--method",
        "tools/call",
        "--tool-name",
        "echo",
        "--tool-arg",
        "text=hello",
        "--tool-arg",
        "times=3",
    )
    assert called["isError"] is False
    assert called["structuredContent"]["text"] == "hello"
    assert called["structuredContent"]["times"] == 3

    failed = run_inspector(server, "--method", "tools/call", "--tool-name", "fail")
    assert failed["isError"] is True
    assert json.loads(failed["content"][0]["text"])["error"]["type"] == "InvalidInputError"

    read = run_inspector(server, "--method", "resources/read", "--uri", "memory://knowledge-graph")
    assert read["contents"][0]["mimeType"] == "application/json"
    assert len(json.loads(read["contents"][0]["text"])["entities"]) == 3


# --- the real service: `ouroboros mcp` and the service behind /mcp --------------------------

OUROBOROS = Path(sys.executable).with_name("ouroboros")
GRAPH_CALLS = [
    {
        "name": "create_entities",
        "arguments": {
            "entities": [
                {"name": "Alice", "entityType": "person", "observations": ["likes green tea"]},
                {"name": "Ouroboros", "entityType": "project", "observations": ["a snake"]},
            ]
        },
    },
    {
        "name": "create_relations",
        "arguments": {
            "relations": [{"from": "Alice", "to": "Ouroboros", "relationType": "works_on"}]
        },
    },
    {
        "name": "add_observations",
        "arguments": {"observations": [{"entityName": "Alice", "contents": ["writes Python"]}]},
    },
    {"name": "search_nodes", "arguments": {"query": "tea"}},
    {"name": "open_nodes", "arguments": {"names": ["Alice"]}},
    {"name": "read_graph", "arguments": {}},
    {
        "name": "add_observations",
        "arguments": {"observations": [{"entityName": "Nobody", "contents": ["x"]}]},
    },
    {"name": "create_entities", "arguments": {"entities": "not a list"}},
    {"name": "no_such_tool", "arguments": {}},
]


def check_graph_report(report: dict[str, Any]) -> None:
    names = {t["name"] for t in report["tools"]}
    assert {"create_entities", "search_nodes", "open_nodes", "read_graph"} <= names
    for t in report["tools"]:
        assert t["inputSchema"]["type"] == "object"
    calls = report["calls"]
    assert all("thrown" not in c for c in calls), calls  # the TS client validated every result
    created, related, added, found, opened, graph, missing, bad, unknown = calls
    for ok in (created, related, added, found, opened, graph):
        assert ok["isError"] is False, ok
    assert {e["name"] for e in created["structuredContent"]["entities"]} == {"Alice", "Ouroboros"}
    assert found["structuredContent"]["entities"][0]["name"] == "Alice"
    assert set(opened["structuredContent"]["entities"][0]["observations"]) == {
        "likes green tea",
        "writes Python",
    }
    assert graph["structuredContent"]["relations"] == [
        {"from": "Alice", "to": "Ouroboros", "relationType": "works_on"}
    ]
    for error in (missing, bad, unknown):
        assert error["isError"] is True
        assert set(json.loads(error["text"])) == {"error"}
    assert json.loads(unknown["text"])["error"]["type"] == "ToolNotFoundError"
    whole = report["reads"][0]
    assert {e["name"] for e in json.loads(whole["text"])["entities"]} == {"Alice", "Ouroboros"}


def test_typescript_sdk_with_ouroboros_mcp(tmp_path) -> None:
    plan = {
        "stdio": {
            "command": str(OUROBOROS),
            "args": ["mcp", "--db", str(tmp_path / "kb.duckdb"), "--tools", "graph"],
            "env": {"OUROBOROS_RATE_LIMIT": "0"},
        },
        "calls": GRAPH_CALLS,
        "resources": [
            "memory://knowledge-graph",
            "ouroboros://graph?limit=1",
            "ouroboros://entity/Alice",
        ],
    }
    report = run_ts_client(plan)
    check_graph_report(report)
    page = json.loads(report["reads"][1]["text"])
    assert len(page["entities"]) == 1 and page["total"] == 2


def test_typescript_sdk_with_the_service_over_http(
    tmp_path, serve_uvicorn, service_host_app
) -> None:
    with serve_uvicorn(service_host_app(tmp_path / "kb.duckdb")) as http:
        report = run_ts_client(
            {
                "http": f"{http.url}/mcp",
                "calls": GRAPH_CALLS,
                "resources": ["memory://knowledge-graph"],
            }
        )
    check_graph_report(report)


def test_typescript_sdk_uses_a_configured_bearer_token(tmp_path, serve_uvicorn) -> None:
    """With tokens on, every 401 points at the RFC 9728 metadata; the TS client with a
    configured token still just sends it (no OAuth discovery, no authorization flow)."""
    from ouroboros.config import Settings
    from ouroboros.http.app import create_app
    from ouroboros.store import open_store

    db = str(tmp_path / "kb.duckdb")
    store = open_store(db, embedder=None)
    try:
        secret, _ = store.token_create("ts", ["read", "write"])
    finally:
        store.close()
    settings = Settings(db_path=db, roots=(str(tmp_path),), rate_limit_per_minute=0)
    with serve_uvicorn(create_app(settings)) as http:
        report = run_ts_client(
            {
                "http": f"{http.url}/mcp",
                "token": secret,
                "calls": GRAPH_CALLS,
                "resources": ["memory://knowledge-graph"],
            }
        )
        refused = subprocess.run(
            [NODE or "node", "mcp_client.mjs", json.dumps({"http": f"{http.url}/mcp"})],
            cwd=INTEROP,
            capture_output=True,
            text=True,
            timeout=60,
        )
    check_graph_report(report)
    assert refused.returncode != 0
    assert "401" in refused.stderr or "nauthorized" in refused.stderr, refused.stderr[-2000:]


def test_inspector_cli_with_ouroboros_mcp(tmp_path) -> None:
    server = [str(OUROBOROS), "mcp", "--db", str(tmp_path / "kb.duckdb"), "--tools", "memory"]
    listed = run_inspector(server, "--method", "tools/list")
    assert len(listed["tools"]) == 9
    entities = json.dumps(
        [{"name": "Alice", "entityType": "person", "observations": ["likes tea"]}]
    )
    created = run_inspector(
        server,
        "--method",
        "tools/call",
        "--tool-name",
        "create_entities",
        "--tool-arg",
        f"entities={entities}",
    )
    assert created["isError"] is False
    assert created["structuredContent"]["entities"][0]["name"] == "Alice"
    found = run_inspector(
        server, "--method", "tools/call", "--tool-name", "search_nodes", "--tool-arg", "query=tea"
    )
    assert found["structuredContent"]["entities"][0]["name"] == "Alice"
    missing = run_inspector(server, "--method", "tools/call", "--tool-name", "open_nodes")
    assert missing["isError"] is True
    assert json.loads(missing["content"][0]["text"])["error"]["type"] == "InvalidInputError"
