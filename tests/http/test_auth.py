"""Bearer tokens and scopes on /eql, /graphql and /index; local mode; rate limits; Host check."""

from __future__ import annotations

import pytest

EDN = {"content-type": "application/edn"}
WRITE_TOOL = 'mutation { note_add(key: "k", text: "t") }'


@pytest.fixture
def tokens(service, add_token) -> dict[str, dict[str, str]]:
    return {
        "read": add_token(service, "reader", "read"),
        "write": add_token(service, "writer", "read", "write"),
        "admin": add_token(service, "boss", "admin"),
    }


def test_with_tokens_every_request_but_health_needs_one(client, tokens) -> None:
    assert client.get("/health").status_code == 200
    for method, path in [
        ("post", "/eql"),
        ("post", "/graphql"),
        ("get", "/index"),
        ("get", "/ready"),
        ("get", "/openapi.json"),
        ("post", "/mcp"),
    ]:
        r = getattr(client, method)(path)
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["error"]["type"] == "UnauthenticatedError"


@pytest.mark.parametrize(
    "header",
    ["Bearer ouro_not-a-real-token-at-all-0000000000000", "Basic dXNlcjpwYXNz", "Bearer", "ouro_x"],
)
def test_wrong_tokens_are_401(client, tokens, header: str) -> None:
    r = client.post("/eql", content="[:people/count]", headers={**EDN, "Authorization": header})
    assert r.status_code == 401
    assert r.json()["error"]["type"] == "UnauthenticatedError"


def test_read_token_reads_but_cannot_write(client, tokens) -> None:
    read = tokens["read"]
    ok = client.post("/eql", content="[:people/count]", headers={**EDN, **read})
    assert ok.json() == {"people/count": 3}
    assert client.get("/index", headers=read).status_code == 200

    eql = client.post(
        "/eql", content='[(notes/add! {:key "k" :text "t"})]', headers={**EDN, **read}
    )
    assert eql.status_code == 403
    assert eql.json()["error"]["type"] == "ForbiddenError"
    assert eql.json()["error"]["details"] == {"needed_scope": "write", "scopes": ["read"]}

    gql = client.post("/graphql", json={"query": WRITE_TOOL}, headers=read)
    assert gql.status_code == 403
    body = gql.json()
    assert body["data"] == {"note_add": None}
    assert body["errors"][0]["extensions"]["type"] == "ForbiddenError"

    gql_read = client.post("/graphql", json={"query": "mutation { people_count }"}, headers=read)
    assert gql_read.json() == {"data": {"people_count": {"count": 3}}}


@pytest.mark.parametrize("who", ["write", "admin"])
def test_write_and_admin_tokens_write(client, tokens, who: str) -> None:
    h = tokens[who]
    r = client.post("/eql", content='[(notes/add! {:key "k" :text "t"})]', headers={**EDN, **h})
    assert r.status_code == 200, r.text
    g = client.post("/graphql", json={"query": WRITE_TOOL}, headers=h)
    assert g.json()["data"]["note_add"]["stored"] == "k"


def test_a_token_without_read_scope_reads_nothing(client, service, add_token) -> None:
    writer_only = add_token(service, "odd", "write")
    r = client.post("/eql", content="[:people/count]", headers={**EDN, **writer_only})
    assert r.status_code == 403
    g = client.post("/graphql", json={"query": "{ people__count }"}, headers=writer_only)
    assert g.status_code == 403
    assert g.json()["error"]["type"] == "ForbiddenError"


def test_revoked_token_stops_working(client, service, tokens) -> None:
    assert (
        client.post(
            "/eql", content="[:people/count]", headers={**EDN, **tokens["read"]}
        ).status_code
        == 200
    )
    service.store.token_revoke("reader")
    r = client.post("/eql", content="[:people/count]", headers={**EDN, **tokens["read"]})
    assert r.status_code == 401


def test_local_mode_without_tokens(service, client_for) -> None:
    with client_for(service) as c:
        assert c.post("/eql", content="[:people/count]", headers=EDN).status_code == 200
    from starlette.testclient import TestClient

    from ouroboros.http.app import create_app

    remote = TestClient(
        create_app(service=service), base_url="http://127.0.0.1", client=("10.1.2.3", 4000)
    )
    with remote:
        r = remote.post("/eql", content="[:people/count]", headers=EDN)
        assert r.status_code == 401
        assert "loopback" in r.json()["error"]["message"]


def test_first_token_switches_local_mode_off(client, service, add_token) -> None:
    assert client.post("/eql", content="[:people/count]", headers=EDN).status_code == 200
    add_token(service, "new", "read")
    assert client.post("/eql", content="[:people/count]", headers=EDN).status_code == 401


def test_dns_rebinding_host_is_refused(service, client_for) -> None:
    with client_for(service) as c:
        r = c.post("/eql", content="[:people/count]", headers={**EDN, "Host": "evil.example"})
        assert r.status_code == 421
        assert r.json()["error"]["type"] == "MisdirectedRequestError"
        assert (
            c.post(
                "/eql", content="[:people/count]", headers={**EDN, "Host": "localhost:8000"}
            ).status_code
            == 200
        )


def test_per_token_rate_limit(settings, make_service, client_for, add_token) -> None:
    service = make_service(settings.with_(rate_limit_per_minute=3))
    h = add_token(service, "busy", "read")
    other = add_token(service, "calm", "read")
    with client_for(service) as c:
        for _ in range(3):
            assert (
                c.post("/eql", content="[:people/count]", headers={**EDN, **h}).status_code == 200
            )
        r = c.post("/eql", content="[:people/count]", headers={**EDN, **h})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert r.json()["error"]["type"] == "RateLimitedError"
        assert (
            c.post("/eql", content="[:people/count]", headers={**EDN, **other}).status_code == 200
        )
        assert c.get("/health").status_code == 200


def test_cors_off_unless_configured(service, settings, client_for) -> None:
    preflight = {"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}
    with client_for(service) as c:
        r = c.options("/eql", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
    with client_for(service, settings=settings.with_(cors_origins=("http://app.example",))) as c:
        r = c.options(
            "/eql", headers={**preflight, "Access-Control-Request-Headers": "authorization"}
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "http://app.example"
