"""/health, /ready, /index, /openapi.json, and the app's lifecycle."""

from __future__ import annotations

from ouroboros.http.app import create_app
from ouroboros.http.openapi import openapi_document


def test_health(client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_ready_follows_the_lifecycle(client, service) -> None:
    r = client.get("/ready")
    assert r.status_code == 200
    assert r.json()["checks"]["store"] is True
    service.runtime.lifecycle.shutdown()
    r = client.get("/ready")
    assert r.status_code == 503
    assert r.json()["status"] == "not-ready"


def test_index_lists_attributes_resolvers_mutations_tools(client) -> None:
    r = client.get("/index")
    assert r.status_code == 200
    body = r.json()
    attrs = {a["name"]: a for a in body["attributes"]}
    assert attrs["person/age"]["type"] == "int"
    assert attrs["person/age"]["provided_by"] == ["person/by-name"]
    assert attrs["person/name"]["doc"] == "A person's unique name."
    assert attrs["people/count"]["global"] is True
    resolvers = {r["name"]: r for r in body["resolvers"]}
    assert resolvers["person/greeting"]["input"] == "[:person/name]"
    assert resolvers["person/greeting"]["params"] == "[:style]"
    assert "notes/add!" in {m["name"] for m in body["mutations"]}
    assert {t["name"] for t in body["tools"]} == {"people_count", "people_broken", "note_add"}


def test_openapi_document(client) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/eql",
        "/graphql",
        "/mcp",
        "/health",
        "/ready",
        "/index",
        "/openapi.json",
    }
    assert doc == openapi_document()


def test_requests_before_the_lifespan_are_refused(service) -> None:
    from starlette.testclient import TestClient

    app = create_app(service=service)
    c = TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 1))
    assert c.get("/health").status_code == 200  # liveness needs nothing
    r = c.post("/eql", content="[:people/count]", headers={"content-type": "application/edn"})
    assert r.status_code == 503
    assert r.json()["error"]["type"] == "ServiceNotRunningError"


def test_app_opens_and_closes_its_own_service(settings) -> None:
    """create_app(settings) opens the real service in its lifespan (the `ouroboros serve` path)."""
    import pytest

    pytest.importorskip("ouroboros.tools.core")
    from starlette.testclient import TestClient

    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 1)) as c:
        r = c.post(
            "/eql", content="[:system/healthy?]", headers={"content-type": "application/edn"}
        )
        assert r.json() == {"system/healthy?": True}
        assert c.get("/ready").status_code == 200
    assert getattr(app.state, "service", None) is None
