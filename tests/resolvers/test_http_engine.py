"""Outbound HTTP and OpenAPI through the engine, against the loopback server."""

from __future__ import annotations

import json

from ouroboros.config import Settings
from ouroboros.errors import NotFoundError, PermissionDeniedError
from tests.resolvers.conftest import FIXTURES, LocalServer
from tests.resolvers.engine_support import make_engine, raises

BLOCKED = Settings(roots=(str(FIXTURES),))
ALLOWED = BLOCKED.with_(http_allow=("127.0.0.1",))


def test_http_get_ident_keyed_by_url(server: LocalServer) -> None:
    engine = make_engine(ALLOWED)[0]
    url = server.url("/hello")
    result = engine.process(f'[{{[:api/url "{url}"] [:api/status :api/body :api/success?]}}]')
    assert result[("api/url", url)] == {
        "api/status": 200,
        "api/body": "hello world",
        "api/success?": True,
    }


def test_http_get_blocked_by_default(server: LocalServer) -> None:
    engine = make_engine(BLOCKED)[0]
    raises(
        PermissionDeniedError, engine, f'[{{[:api/url "{server.url("/hello")}"] [:api/status]}}]'
    )


def test_settings_in_the_request_context_win(server: LocalServer) -> None:
    engine = make_engine(BLOCKED)[0]
    url = server.url("/hello")
    result = engine.process(
        f'[{{[:api/url "{url}"] [:api/status]}}]', context={"settings": ALLOWED}
    )
    assert result[("api/url", url)]["api/status"] == 200


def test_api_request_mutation(server: LocalServer) -> None:
    engine = make_engine(ALLOWED)[0]
    query = f'[(api/request! {{:method "PUT" :url "{server.url("/echo")}" :headers {{"X-A" "1"}} :body "hi"}})]'
    result = engine.process(query)["api/request!"]
    echo = json.loads(result["api/body"])
    assert (echo["method"], echo["body"], echo["headers"]["x-a"]) == ("PUT", "hi", "1")


def test_api_meta() -> None:
    assert "api/methods" in make_engine(BLOCKED)[0].process("[:api/meta]")["api/meta"]


def test_openapi_bootstrap_list_detail_call(server: LocalServer) -> None:
    engine, _ = make_engine(ALLOWED)
    spec_url = server.url("/openapi.json")
    boot = engine.process(f'[(openapi/bootstrap! {{:name "pets" :spec-url "{spec_url}"}})]')
    assert boot["openapi/bootstrap!"]["openapi/operations"][:3] == [
        "listPets",
        "createPet",
        "showPetById",
    ]
    clients = engine.process("[{:openapi/clients [:openapi/name :openapi/spec-url]}]")
    assert clients["openapi/clients"] == [{"openapi/name": "pets", "openapi/spec-url": spec_url}]
    ops = engine.process(
        '[{[:openapi/client "pets"] [{:openapi/operations [:operation/id :operation/method :operation/path]}]}]'
    )[("openapi/client", "pets")]["openapi/operations"]
    assert ops[0] == {
        "operation/id": "listPets",
        "operation/method": "GET",
        "operation/path": "/pets",
    }
    detail = engine.process(
        '[{[:openapi/client "pets"] [{:openapi/operations [:operation/id :operation/parameters :operation/response-schemas]}]}]'
    )[("openapi/client", "pets")]["openapi/operations"][0]
    assert [p["name"] for p in detail["operation/parameters"]] == ["limit", "tag", "X-Api-Key"]
    assert "200" in detail["operation/response-schemas"]
    called = engine.process(
        '[(openapi/call! {:client "pets" :operation "listPets" :params {:limit 1}})]'
    )
    assert called["openapi/call!"]["openapi/body"]["pets"] == [{"id": 1, "name": "pet1"}]
    assert called["openapi/call!"]["openapi/success?"] is True


def test_openapi_unknown_client_and_operation(server: LocalServer) -> None:
    engine, _ = make_engine(ALLOWED)
    raises(NotFoundError, engine, '[(openapi/call! {:client "ghost" :operation "x"})]')
    raises(NotFoundError, engine, '[{[:openapi/client "ghost"] [:openapi/name]}]')
    engine.process(
        f'[(openapi/bootstrap! {{:name "pets" :spec-url "{server.url("/openapi.json")}"}})]'
    )
    raises(NotFoundError, engine, '[(openapi/call! {:client "pets" :operation "nope"})]')
