"""OTLP/HTTP export from a real ``ouroboros serve``: the spans of one EQL request match its plan.

The receiver (tests/observe/otlp.py) is a real HTTP server on loopback decoding each
``POST /v1/traces`` body with ``opentelemetry-proto``; the server is a child process pointed at
it with ``OTEL_EXPORTER_OTLP_ENDPOINT`` and a short batch delay (``OTEL_BSP_SCHEDULE_DELAY``).
The expected plan comes from ``ouroboros plan --format json`` for the same query.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.observe.otlp import OTLPReceiver, ServeProcess, cli, tree

pytestmark = pytest.mark.slow

QUERY = '[:system/status :system/meta :memory/keys {[:memory/key "k"] [:memory/value]}]'
SERVER_KIND = 2  # opentelemetry.proto.trace.v1.Span.SPAN_KIND_SERVER


def plan_levels(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every level of a JSON plan (the root, then each join's), depth first."""
    levels = [plan]
    for joined in (plan.get("joins") or {}).values():
        levels.extend(plan_levels(joined))
    return levels


def server_env(receiver: OTLPReceiver) -> dict[str, str]:
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50"}


def one_trace(receiver: OTLPReceiver, request_id: str) -> tuple[dict[str, Any], list[Any]]:
    """Wait for the request span of ``request_id`` (it ends last); return it and its trace."""

    def root_of(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            s
            for s in spans
            if s["kind"] == SERVER_KIND
            and s["attributes"].get("ouroboros.request_id") == request_id
        ]

    spans = receiver.wait_for(lambda spans: bool(root_of(spans)))
    (root,) = root_of(spans)
    return root, [s for s in spans if s["trace_id"] == root["trace_id"]]


def test_an_eql_request_exports_a_trace_that_matches_its_plan(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    db = tmp_path / "db.duckdb"
    secret = cli("token", "create", "otel", "--scope", "admin", "--db", str(db)).strip()
    assert secret.startswith("ouro_")
    plan = json.loads(cli("plan", QUERY, "--format", "json", cwd=tmp_path))
    levels = plan_levels(plan)
    planned = Counter(
        n["resolver"] for level in levels for n in level["nodes"] if n["type"] == "resolver"
    )
    assert planned == Counter(["system/status", "system/meta", "memory/keys", "memory/get"])

    with (
        OTLPReceiver() as receiver,
        ServeProcess(db, tmp_path / "files", tmp_path / "serve.log", server_env(receiver)) as serve,
    ):
        answer = httpx.post(
            f"{serve.url}/eql",
            params={"token": secret, "page": "1"},  # a secret in the query string, on purpose
            content=QUERY,
            headers={"content-type": "application/edn", "authorization": f"Bearer {secret}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["system/status"]["running?"] is True
        root, spans = one_trace(receiver, answer.headers["x-request-id"])
        everything = receiver.snapshot()

    shape = "\n".join("  " * depth + s["name"] for depth, s in tree(spans))
    by_id = {s["span_id"]: s for s in spans}
    # one request span, the trace's only root, named by the route template
    assert root["name"] == "POST /eql" and root["parent_span_id"] == "", shape
    assert [s for s in spans if s["parent_span_id"] not in by_id] == [root], shape
    assert [s for s in spans if s["kind"] == SERVER_KIND] == [root], shape
    assert root["attributes"]["http.route"] == "/eql"
    assert root["attributes"]["http.response.status_code"] == 200
    assert root["resource"]["service.name"] == "ouroboros"
    # the query runs in one ``eql`` span under the request
    (eql,) = [s for s in spans if s["name"] == "eql"]
    assert eql["parent_span_id"] == root["span_id"], shape
    assert eql["attributes"]["ouroboros.surface"] == "http"
    # one plan span per planned level, asking for that level's attributes
    plans = [s for s in spans if s["name"] == "plan"]
    assert sorted(sorted(s["attributes"]["ouroboros.attributes"]) for s in plans) == sorted(
        sorted(level["requested"]) for level in levels
    ), shape
    assert {s["parent_span_id"] for s in plans} == {eql["span_id"]}, shape
    # one span per resolver that ran, exactly the plan's resolvers, each a child of the query
    resolvers = [s for s in spans if s["name"].startswith("resolver ")]
    assert Counter(s["attributes"]["ouroboros.resolver"] for s in resolvers) == planned, shape
    assert all(s["name"] == f"resolver {s['attributes']['ouroboros.resolver']}" for s in resolvers)
    assert {s["parent_span_id"] for s in resolvers} == {eql["span_id"]}, shape
    # the store calls a resolver makes are its children
    (store_get,) = [s for s in spans if s["name"] == "store memory_get"]
    assert by_id[store_get["parent_span_id"]]["name"] == "resolver memory/get", shape
    # redacted: the token is in no attribute of any exported span (the query string masked)
    assert (
        "redacted" in root["attributes"]["url.query"]
        and "page=1" in root["attributes"]["url.query"]
    )
    for exported in everything:
        assert secret not in json.dumps([exported["attributes"], exported["resource"]])
    assert receiver.refused == []
    assert {p["content-type"] for p in receiver.posts} == {"application/x-protobuf"}
