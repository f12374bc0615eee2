"""OpenAPI: specs from files and URLs, operations, requests built from params, calls, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ouroboros.config import Settings
from ouroboros.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from ouroboros.resolvers import openapi as oa
from tests.resolvers.conftest import FIXTURES, LocalServer

FILES = Settings(roots=(str(FIXTURES),))


def allowed(server: LocalServer) -> Settings:
    return FILES.with_(http_allow=("127.0.0.1",))


@pytest.fixture
def registry() -> oa.OpenAPIRegistry:
    return oa.OpenAPIRegistry()


def test_bootstrap_v3_from_file_needs_a_base_url(registry: oa.OpenAPIRegistry) -> None:
    # servers[0].url is relative ("/api") and a file has no origin: no made-up localhost.
    with pytest.raises(InvalidInputError, match="base-url"):
        oa.bootstrap(registry, FILES, "pets", "openapi-petstore-v3.json")
    result = oa.bootstrap(
        registry, FILES, "pets", "openapi-petstore-v3.json", "https://pets.example/v1/"
    )
    assert result == {
        "openapi/name": "pets",
        "openapi/client": "pets",
        "openapi/spec-url": "openapi-petstore-v3.json",
        "openapi/base-url": "https://pets.example/v1",
        "openapi/operations": ["listPets", "createPet", "showPetById", "delete-pets-petId"],
    }
    assert [c.name for c in registry.clients()] == ["pets"]


def test_operations_and_details_v3(registry: oa.OpenAPIRegistry) -> None:
    oa.bootstrap(registry, FILES, "pets", "openapi-petstore-v3.json", "https://pets.example")
    client = registry.get("pets")
    rows = [op.as_row("pets") for op in client.operations.values()]
    assert rows[0] == {
        "operation/id": "listPets",
        "operation/summary": "List all pets",
        "operation/method": "GET",
        "operation/path": "/pets",
        "openapi/client": "pets",
    }
    assert {r["operation/method"] for r in rows} == {"GET", "POST", "DELETE"}
    detail = oa.operation_detail(client.operation("listPets"))
    params = {p["name"]: p for p in detail["operation/parameters"]}
    assert params["limit"]["in"] == "query" and params["limit"]["schema"] == {"type": "integer"}
    assert params["X-Api-Key"]["in"] == "header"  # $ref to components/parameters resolved
    schema = detail["operation/response-schemas"]["200"]
    assert schema["type"] == "array" and schema["items"]["properties"]["name"] == {"type": "string"}
    assert schema["items"]["properties"]["friend"] == {
        "$ref": "#/components/schemas/Pet"
    }  # cycle kept
    show = oa.operation_detail(client.operation("showPetById"))
    assert show["operation/parameters"][0] | {"description": None} == {
        "name": "petId",
        "in": "path",
        "required": True,
        "description": None,
        "schema": {"type": "string"},
    }
    create = oa.operation_detail(client.operation("createPet"))
    body = create["operation/parameters"][-1]
    assert (
        body["in"] == "body"
        and body["required"] is True
        and body["content-type"] == "application/json"
    )


def test_operation_lookup_accepts_kebab_case_and_reports_unknown(
    registry: oa.OpenAPIRegistry,
) -> None:
    oa.bootstrap(registry, FILES, "pets", "openapi-petstore-v3.json", "https://pets.example")
    client = registry.get(":pets")
    assert client.operation("show-pet-by-id").id == "showPetById"
    with pytest.raises(NotFoundError, match="no operation 'nope'") as info:
        client.operation("nope")
    assert "listPets" in info.value.details["available"]


def test_unknown_client(registry: oa.OpenAPIRegistry) -> None:
    with pytest.raises(NotFoundError, match="no OpenAPI client named 'ghost'"):
        registry.get("ghost")
    with pytest.raises(NotFoundError):
        oa.call(registry, FILES, "ghost", "listPets")


def test_bootstrap_v2_yaml_from_file(registry: oa.OpenAPIRegistry) -> None:
    with pytest.raises(InvalidInputError, match="base-url"):  # no host in the spec
        oa.bootstrap(registry, FILES, "pets2", "openapi-petstore-v2.yaml")
    result = oa.bootstrap(
        registry, FILES, "pets2", "openapi-petstore-v2.yaml", "http://api.example"
    )
    assert result["openapi/operations"] == ["listPets", "createPet", "showPetById"]
    op = registry.get("pets2").operation("listPets")
    assert op.parameters[0]["schema"] == {"type": "integer"}
    detail = oa.operation_detail(op)
    assert detail["operation/response-schemas"]["200"]["items"]["type"] == "object"


def test_spec_files_stay_inside_the_roots(registry: oa.OpenAPIRegistry, tmp_path: Path) -> None:
    with pytest.raises(PermissionDeniedError):
        oa.bootstrap(registry, FILES, "x", "../fixtures/openapi-petstore-v3.json")
    with pytest.raises(PermissionDeniedError):
        oa.bootstrap(registry, FILES, "x", "/etc/hostname")
    with pytest.raises(NotFoundError, match=r"missing\.json"):  # the original never checked
        oa.bootstrap(registry, FILES, "x", "missing.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "not a map"),
        ("{}", "not OpenAPI 3 or Swagger 2"),
        ("openapi: 3.0.0\npaths: [1]", "'paths' must be a map"),
        ("swagger: '1.2'", "not OpenAPI 3"),
        ("key: [unclosed", "neither JSON nor YAML"),
    ],
)
def test_bad_specs(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        oa.parse_spec(text)


def test_bad_names(registry: oa.OpenAPIRegistry) -> None:
    for bad in ("", "has space", "x" * 65, None):
        with pytest.raises(InvalidInputError, match="client name"):
            oa.bootstrap(registry, FILES, bad, "openapi-petstore-v3.json", "https://a.example")


def test_base_url_fallbacks() -> None:
    v3 = {
        "openapi": "3.0.0",
        "servers": [
            {"url": "https://{region}.api.example/v1", "variables": {"region": {"default": "eu"}}}
        ],
    }
    assert oa.base_url_of(v3, "spec.json") == "https://eu.api.example/v1"
    assert (
        oa.base_url_of(v3, "spec.json", "https://override.example/") == "https://override.example"
    )
    v3_relative = {"openapi": "3.0.0", "servers": [{"url": "/v2"}]}
    assert (
        oa.base_url_of(v3_relative, "https://host.example/specs/openapi.json")
        == "https://host.example/v2"
    )
    v2 = {
        "swagger": "2.0",
        "host": "petstore.example",
        "basePath": "/v2",
        "schemes": ["http", "https"],
    }
    assert oa.base_url_of(v2, "spec.yaml") == "https://petstore.example/v2"
    assert oa.base_url_of({**v2, "schemes": ["http"]}, "spec.yaml") == "http://petstore.example/v2"
    assert (
        oa.base_url_of({"swagger": "2.0", "basePath": "/b"}, "http://h.example:81/s.yaml")
        == "http://h.example:81/b"
    )
    with pytest.raises(InvalidInputError, match="names no server"):
        oa.base_url_of({"openapi": "3.0.0"}, "spec.json")
    with pytest.raises(PermissionDeniedError):
        oa.base_url_of(v3, "spec.json", "ftp://files.example/")


def test_build_request_places_every_kind_of_parameter(registry: oa.OpenAPIRegistry) -> None:
    oa.bootstrap(registry, FILES, "pets", "openapi-petstore-v3.json", "https://pets.example/api")
    client = registry.get("pets")
    req = oa.build_request(
        client, client.operation("listPets"), {"limit": 2, "tag": "a b", "X-Api-Key": "k"}
    )
    assert (req.method, req.url) == ("GET", "https://pets.example/api/pets?limit=2&tag=a+b")
    assert req.headers == {"X-Api-Key": "k"} and req.body is None
    req = oa.build_request(client, client.operation("showPetById"), {"petId": "a/../b"})
    assert req.url == "https://pets.example/api/pets/a%2F..%2Fb"  # a value never adds path segments
    req = oa.build_request(client, client.operation("createPet"), {"id": 1, "name": "rex"})
    assert (
        req.body == {"id": 1, "name": "rex"} and req.headers["content-type"] == "application/json"
    )
    req = oa.build_request(client, client.operation("createPet"), {"body": {"id": 2}})
    assert req.body == {"id": 2}


def test_build_request_errors(registry: oa.OpenAPIRegistry) -> None:
    oa.bootstrap(registry, FILES, "pets", "openapi-petstore-v3.json", "https://pets.example")
    client = registry.get("pets")
    with pytest.raises(InvalidInputError, match="path parameter 'petId'"):
        oa.build_request(client, client.operation("showPetById"), {})
    with pytest.raises(InvalidInputError, match="has no parameter 'colour'"):
        oa.build_request(client, client.operation("listPets"), {"colour": "red"})
    with pytest.raises(InvalidInputError, match="request body"):
        oa.build_request(client, client.operation("createPet"), {})
    with pytest.raises(InvalidInputError, match="map"):
        oa.build_request(client, client.operation("listPets"), ["x"])  # type: ignore[arg-type]


# --- against the loopback server ---------------------------------------------------------------


def test_bootstrap_from_url_is_ssrf_guarded(
    registry: oa.OpenAPIRegistry, server: LocalServer
) -> None:
    with pytest.raises(PermissionDeniedError, match="loopback"):
        oa.bootstrap(registry, FILES, "pets", server.url("/openapi.json"))


def test_bootstrap_v3_from_url_and_call(registry: oa.OpenAPIRegistry, server: LocalServer) -> None:
    settings = allowed(server)
    result = oa.bootstrap(registry, settings, "pets", server.url("/openapi.json"))
    assert result["openapi/spec-url"] == server.url("/openapi.json")  # the real one
    assert result["openapi/base-url"] == server.url("/api")
    listed = oa.call(
        registry, settings, "pets", "listPets", {"limit": 2, "tag": "t", "X-Api-Key": "k1"}
    )
    assert listed["openapi/status"] == 200 and listed["openapi/success?"] is True
    assert listed["openapi/body"] == {
        "pets": [{"id": 1, "name": "pet1"}, {"id": 2, "name": "pet2"}],
        "tag": "t",
        "auth": "k1",
    }
    one = oa.call(registry, settings, "pets", "showPetById", {"petId": 7})
    assert one["openapi/body"] == {"id": "7", "name": "rex"}
    created = oa.call(registry, settings, "pets", "createPet", {"id": 3, "name": "tom"})
    assert created["openapi/status"] == 201 and created["openapi/body"] == {
        "created": {"id": 3, "name": "tom"}
    }
    gone = oa.call(registry, settings, "pets", "delete-pets-petId", {"petId": 1})
    assert gone["openapi/status"] == 200 and gone["openapi/body"]["id"] == "1"


def test_bootstrap_v2_from_url_and_call(registry: oa.OpenAPIRegistry, server: LocalServer) -> None:
    settings = allowed(server)
    result = oa.bootstrap(registry, settings, "pets2", server.url("/swagger.yaml"))
    assert result["openapi/base-url"] == server.url("/api")
    created = oa.call(registry, settings, "pets2", "createPet", {"pet": {"id": 9}})
    assert created["openapi/body"] == {"created": {"id": 9}}


def test_calls_stay_ssrf_guarded(registry: oa.OpenAPIRegistry, server: LocalServer) -> None:
    # A spec may point anywhere; the call is still checked against the policy.
    oa.bootstrap(
        registry, FILES, "meta", "openapi-petstore-v3.json", "http://169.254.169.254/latest"
    )
    with pytest.raises(PermissionDeniedError, match="link-local"):
        oa.call(registry, FILES, "meta", "listPets")
    oa.bootstrap(registry, allowed(server), "pets", server.url("/openapi.json"))
    with pytest.raises(PermissionDeniedError, match="loopback"):
        oa.call(registry, FILES, "pets", "listPets")  # same client, allow-list withdrawn
