"""``/metrics`` (families, bounded labels, the metrics scope), request ids and request telemetry."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from ouroboros.observe import metrics

FAMILIES = [
    "ouroboros_requests_total",
    "ouroboros_request_seconds_bucket",
    "ouroboros_eql_requests_total",
    "ouroboros_resolver_calls_total",
    "ouroboros_resolver_seconds_bucket",
    "ouroboros_tool_calls_total",
    "ouroboros_tool_seconds_bucket",
    "ouroboros_store_operations_total",
    "ouroboros_store_operation_seconds_bucket",
    "ouroboros_model_tokens_total",
    "ouroboros_model_seconds_bucket",
    "ouroboros_model_cost_usd_total",
    "ouroboros_rate_limited_total",
    "ouroboros_plan_cache_hits_total",
    "ouroboros_plan_cache_misses_total",
]


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels} in /metrics")


def test_metrics_has_every_family_after_real_traffic(client: TestClient, service: Any) -> None:
    assert (
        client.post(
            "/eql", content="[:system/status]", headers={"content-type": "application/edn"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/eql", content="[:system/status]", headers={"content-type": "application/edn"}
        ).status_code
        == 200
    )
    envelope = service.tools.call_sync("memory_set", {"key": "k", "value": 1})
    assert envelope["status"] == "success"
    metrics.record_model_call("test-provider", 12, 30, 0.002, 0.5)
    metrics.record_rate_limited("test")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    for family in FAMILIES:
        assert re.search(rf"^{family}[{{ ]", text, re.M), family
    assert _value(text, "ouroboros_requests_total", surface="eql", route="/eql", status="200") >= 2
    assert _value(text, "ouroboros_resolver_calls_total", resolver="system/status") >= 2
    assert _value(text, "ouroboros_tool_calls_total", tool="memory_set") >= 1
    assert _value(text, "ouroboros_store_operations_total", op="memory_set") >= 1
    assert (
        _value(text, "ouroboros_model_tokens_total", provider="test-provider", direction="output")
        >= 30
    )
    assert _value(text, "ouroboros_plan_cache_hits_total") >= 1


def test_labels_are_route_templates_not_paths(client: TestClient) -> None:
    client.get("/no/such/path/12345")
    client.get("/dashboard/api/graph/entity", params={"name": "Alice-42"})
    text = client.get("/metrics").text
    assert "12345" not in text and "Alice-42" not in text
    assert _value(text, "ouroboros_requests_total", route="unmatched", status="404") >= 1
    assert _value(text, "ouroboros_requests_total", route="/dashboard/api/graph/entity") >= 1


def test_unknown_tool_names_do_not_become_labels(service: Any) -> None:
    service.tools.call_sync("no_such_tool_xyz", {})
    assert "no_such_tool_xyz" not in metrics.render().decode()


def test_metrics_needs_the_metrics_scope(client: TestClient, service: Any) -> None:
    read, _ = service.store.token_create("reader", ["read"])
    scraper, _ = service.store.token_create("scraper", ["metrics"])
    admin, _ = service.store.token_create("boss", ["admin"])
    assert client.get("/metrics").status_code == 401
    denied = client.get("/metrics", headers={"Authorization": f"Bearer {read}"})
    assert denied.status_code == 403
    assert denied.json()["error"]["details"]["needed_scope"] == "metrics"
    for secret in (scraper, admin):
        assert (
            client.get("/metrics", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        )


def test_request_id_is_answered_and_an_offered_one_kept(client: TestClient) -> None:
    fresh = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", fresh)
    assert (
        client.get("/health", headers={"X-Request-ID": "proxy-abc.1"}).headers["x-request-id"]
        == "proxy-abc.1"
    )
    unsafe = client.get("/health", headers={"X-Request-ID": "a b\tc" * 30}).headers["x-request-id"]
    assert " " not in unsafe


def test_eql_requests_are_recorded_in_telemetry(client: TestClient, service: Any) -> None:
    client.post("/eql", content="[:system/status]", headers={"content-type": "application/edn"})
    client.post("/eql", content="[:nope/x]", headers={"content-type": "application/edn"})
    found = [e for e in service.store.events(limit=50, kind="request") if e["name"] == "POST /eql"]
    assert len(found) == 2
    assert sorted(e["ok"] for e in found) == [False, True]
    assert all(e["details"]["surface"] == "eql" for e in found)
