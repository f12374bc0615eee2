"""OpenAPI resolvers: clients bootstrapped from OpenAPI 3 / Swagger 2 specs, their operations, calls."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlencode, urljoin, urlsplit

import yaml

from ouroboros.errors import (
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)
from ouroboros.observe.redact import redact_url
from ouroboros.resolvers.request_context import settings_of

if TYPE_CHECKING:
    from ouroboros.config import Settings
    from ouroboros.resolvers.runtime import Runtime

__all__ = [
    "Client",
    "OpenAPIRegistry",
    "Operation",
    "base_url_of",
    "bootstrap",
    "build_client",
    "build_request",
    "call",
    "load_spec",
    "operations",
    "parse_spec",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_SPEC_BYTES = 10 * 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MAX_REF_DEPTH = 32


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One operation of a spec, its parameters and ``$ref``s resolved."""

    id: str
    method: str  # upper case
    path: str
    summary: str | None
    description: str | None
    parameters: tuple[dict[str, Any], ...]  # {name, in, required, description, schema}
    request_body: dict[str, Any] | None  # {required, content-type, schema}
    responses: dict[str, Any]  # status code → schema (or None)

    def as_row(self, client: str) -> dict[str, Any]:
        """Return the ``:operation/*`` summary attributes (with ``:openapi/client`` for chaining)."""
        return {
            "operation/id": self.id,
            "operation/summary": self.summary,
            "operation/method": self.method,
            "operation/path": self.path,
            "openapi/client": client,
        }


@dataclass(frozen=True, kw_only=True)
class Client:
    """A bootstrapped API: its name, where the spec came from, its base URL and operations."""

    name: str
    spec_url: str
    base_url: str
    spec_version: str
    title: str | None
    operations: dict[str, Operation] = field(default_factory=dict)

    def operation(self, op_id: Any) -> Operation:
        """Return the operation ``op_id`` (its operationId, or the same in kebab-case).

        Raises ``NotFoundError`` listing the operations there are.
        """
        key = str(op_id).lstrip(":")
        if key in self.operations:
            return self.operations[key]
        wanted = _kebab(key)
        for op in self.operations.values():
            if _kebab(op.id) == wanted:
                return op
        raise NotFoundError(
            f"OpenAPI client {self.name!r} has no operation {key!r}",
            details={"client": self.name, "operation": key, "available": sorted(self.operations)},
        )

    def as_row(self) -> dict[str, Any]:
        """Return the ``:openapi/*`` attributes of this client."""
        return {
            "openapi/name": self.name,
            "openapi/spec-url": self.spec_url,
            "openapi/base-url": redact_url(self.base_url),
            "openapi/title": self.title,
            "openapi/spec-version": self.spec_version,
        }


class OpenAPIRegistry:
    """The bootstrapped clients by name (thread-safe).

    With a ``store`` (what ``build_service`` passes) the clients live in the store, so every
    process on the same database sees a client any of them bootstrapped; each lookup reads the
    store's record, and the parsed client is cached here per record version. Without one (a
    bare ``Runtime``) they live in this process's memory only.

    The store keeps URLs with secrets redacted. The process that bootstrapped a client whose
    base URL carried one keeps the full URL in memory; another process is told to bootstrap the
    client again instead of calling with a redacted value.
    """

    def __init__(self, store: Any = None) -> None:
        self._lock = threading.Lock()
        self._store = store
        self._clients: dict[str, Client] = {}  # no store: the clients; else parsed, by name
        self._versions: dict[str, str] = {}  # name -> store version of the cached client
        self._full_base: dict[tuple[str, str], str] = {}  # (name, version) -> unredacted URL

    def add(self, client: Client, spec: Mapping[str, Any] | None = None) -> None:
        """Register ``client``, replacing one of the same name (``spec``: the spec it was built
        from, stored with it so other processes can rebuild it)."""
        if self._store is None:
            with self._lock:
                self._clients[client.name] = client
            return
        if spec is None:
            raise InvalidInputError("a stored OpenAPI client needs the spec it was built from")
        record = self._store.openapi_client_put(
            client.name,
            client.spec_url,
            client.base_url,
            dict(spec),
            client.title,
            client.spec_version,
        )
        with self._lock:
            self._clients[client.name] = client
            self._versions[client.name] = record["version"]
            if record["redacted"]:
                self._full_base[(client.name, record["version"])] = client.base_url

    def get(self, name: Any) -> Client:
        """Return the client called ``name``; raises ``NotFoundError`` listing the known ones."""
        key = str(name).lstrip(":") if name is not None else ""
        if self._store is None:
            with self._lock:
                client = self._clients.get(key)
                known = sorted(self._clients)
            if client is None:
                raise self._unknown(key, known)
            return client
        record = self._store.openapi_client_get(key, False) if _NAME.match(key) else None
        if record is None:
            raise self._unknown(key, [r["name"] for r in self._store.openapi_client_list()])
        version = record["version"]
        with self._lock:
            cached = self._clients.get(key)
            if cached is not None and self._versions.get(key) == version:
                return cached
            full_base = self._full_base.get((key, version))
        if record["redacted"] and full_base is None:
            raise NotFoundError(
                f"OpenAPI client {key!r} was bootstrapped in another process with a secret in "
                "its base URL, which is not stored; bootstrap it again here with "
                "openapi/bootstrap!",
                details={"client": key, "base_url": record["base_url"]},
            )
        record = self._store.openapi_client_get(key, True)
        if record is None or record["version"] != version:
            return self.get(key)  # replaced or removed meanwhile: read it again
        client = build_client(
            key, record["spec"], record["spec_url"], full_base or record["base_url"]
        )
        with self._lock:
            self._clients[key] = client
            self._versions[key] = version
        return client

    @staticmethod
    def _unknown(key: str, known: list[str]) -> NotFoundError:
        return NotFoundError(
            f"no OpenAPI client named {key!r}; bootstrap it first with openapi/bootstrap!",
            details={"client": key, "available": known},
        )

    def remove(self, name: str) -> bool:
        """Forget the client ``name``; return whether there was one."""
        with self._lock:
            had = self._clients.pop(name, None) is not None
            self._versions.pop(name, None)
        if self._store is None:
            return had
        return bool(self._store.openapi_client_delete(name))

    def rows(self) -> list[dict[str, Any]]:
        """Return the ``:openapi/*`` rows of every client, by name (no spec is parsed)."""
        if self._store is None:
            return [c.as_row() for c in self.clients()]
        return [
            {
                "openapi/name": r["name"],
                "openapi/spec-url": r["spec_url"],
                "openapi/base-url": r["base_url"],
                "openapi/title": r["title"],
                "openapi/spec-version": r["spec_version"],
            }
            for r in self._store.openapi_client_list()
        ]

    def clients(self) -> list[Client]:
        """Return the clients sorted by name."""
        if self._store is None:
            with self._lock:
                return [self._clients[k] for k in sorted(self._clients)]
        out = []
        for r in self._store.openapi_client_list():
            try:
                out.append(self.get(r["name"]))
            except NotFoundError:
                continue  # removed meanwhile, or needs bootstrapping again here
        return out


def _kebab(text: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", text)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- loading ---------------------------------------------------------------------------------


def parse_spec(text: str, source: str = "spec") -> dict[str, Any]:
    """Return the spec in ``text`` (JSON or YAML) after checking it is OpenAPI 3 or Swagger 2.

    Raises ``InvalidInputError`` naming ``source``.
    """
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInputError(f"{source} is neither JSON nor YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{source} is not an OpenAPI document (not a map)")
    version = str(data.get("openapi") or data.get("swagger") or "")
    if not (version.startswith("3.") or version == "2.0"):
        raise InvalidInputError(
            f"{source} is not OpenAPI 3 or Swagger 2 (no 'openapi: 3.x' or 'swagger: \"2.0\"')"
        )
    if not isinstance(data.get("paths", {}), dict):
        raise InvalidInputError(f"{source}: 'paths' must be a map")
    return data


def _is_url(source: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source))


def load_spec(source: Any, settings: Settings) -> tuple[dict[str, Any], str]:
    """Return ``(spec, spec_url)`` from an http(s) URL (SSRF-guarded) or a file inside the roots.

    ``spec_url`` is where it came from: the URL (credentials redacted) or the file's path.
    Raises ``InvalidInputError``, ``PermissionDeniedError``, ``NotFoundError``,
    ``PayloadTooLargeError``.
    """
    from ouroboros.resolvers.http import request
    from ouroboros.resolvers.sandbox import Sandbox

    if not isinstance(source, str) or not source.strip():
        raise InvalidInputError("spec-url must be a URL or a file path")
    source = source.strip()
    if source.lower().startswith("file://"):
        source = source[len("file://") :]
    if _is_url(source):
        limited = settings.with_(http_max_bytes=min(settings.http_max_bytes, MAX_SPEC_BYTES))
        try:
            resp = request("GET", source, settings=limited)
        except OSError as exc:
            raise NotFoundError(f"could not fetch spec {redact_url(source)}: {exc}") from exc
        if resp.status >= 400:
            raise NotFoundError(f"fetching spec {redact_url(source)} gave HTTP {resp.status}")
        if resp.truncated:
            raise PayloadTooLargeError(
                f"spec {redact_url(source)} is larger than {limited.http_max_bytes} bytes"
            )
        spec_url = redact_url(resp.url)
        return parse_spec(resp.text(), spec_url), spec_url
    sandbox = Sandbox(settings.roots)
    checked, fd = sandbox.open_file(source)
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise PayloadTooLargeError(f"spec file {source!r} is larger than {MAX_SPEC_BYTES} bytes")
    return parse_spec(data.decode("utf-8", errors="replace"), checked.display), checked.display


def base_url_of(spec: Mapping[str, Any], spec_url: str, explicit: str | None = None) -> str:
    """Return the API's base URL: ``explicit``, else ``servers[0].url``, else Swagger's
    ``schemes``/``host``/``basePath`` — relative ones taken against a spec fetched by URL.

    Raises ``InvalidInputError`` when none can be found (there is no ``http://localhost`` guess).
    """
    from ouroboros.resolvers.netguard import split_url

    spec_is_url = _is_url(spec_url)
    candidate: str | None = None
    if explicit:
        candidate = str(explicit)
    elif isinstance(spec.get("servers"), list) and spec["servers"]:
        server = spec["servers"][0] if isinstance(spec["servers"][0], dict) else {}
        candidate = str(server.get("url") or "")
        for var, info in (server.get("variables") or {}).items():
            default = info.get("default") if isinstance(info, dict) else None
            candidate = candidate.replace("{" + str(var) + "}", str(default or ""))
        if candidate and not _is_url(candidate):
            candidate = urljoin(spec_url, candidate) if spec_is_url else None
    elif str(spec.get("swagger", "")) == "2.0":
        schemes = [str(s).lower() for s in spec.get("schemes") or []]
        base_path = str(spec.get("basePath") or "")
        if spec.get("host"):
            if spec_is_url and urlsplit(spec_url).scheme in schemes:
                scheme = urlsplit(spec_url).scheme
            else:
                scheme = "https" if "https" in schemes or not schemes else schemes[0]
            candidate = f"{scheme}://{spec['host']}{base_path}"
        elif spec_is_url:
            parts = urlsplit(spec_url)
            candidate = f"{parts.scheme}://{parts.netloc}{base_path}"
    if not candidate:
        raise InvalidInputError(
            "the spec names no server (no servers[0].url, no Swagger host) and no base-url was "
            "given; pass base-url to openapi/bootstrap!",
            details={"spec_url": spec_url},
        )
    split_url(candidate)  # a base URL must be http(s) with a host
    return candidate.rstrip("/")


def _resolve(
    spec: Mapping[str, Any], node: Any, depth: int = 0, stack: tuple[str, ...] = ()
) -> Any:
    """Return ``node`` with local ``$ref``s inlined (a cycle or a too-deep chain stays a ``$ref``)."""
    if depth > _MAX_REF_DEPTH:
        return node
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/") or ref in stack:
                return node
            target: Any = spec
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or part not in target:
                    return node
                target = target[part]
            return _resolve(spec, target, depth + 1, (*stack, ref))
        return {k: _resolve(spec, v, depth + 1, stack) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(spec, v, depth + 1, stack) for v in node]
    return node


def _deref(spec: Mapping[str, Any], node: Any) -> Any:
    """Return ``node`` with its own top-level ``$ref`` chain followed (children left as they are)."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            return node
        seen.add(ref)
        target: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                return node
            target = target[part]
        node = target
    return node


def _parameter(spec: Mapping[str, Any], raw: Any) -> dict[str, Any] | None:
    p = _resolve(spec, raw)
    if not isinstance(p, dict) or "name" not in p or "in" not in p:
        return None
    schema = p.get("schema")
    if schema is None and "type" in p:  # Swagger 2 non-body parameters
        schema = {k: p[k] for k in ("type", "format", "items", "enum", "default") if k in p}
    return {
        "name": str(p["name"]),
        "in": str(p["in"]),
        "required": bool(p.get("required", p["in"] == "path")),
        "description": p.get("description"),
        "schema": schema,
    }


def _json_schema(spec: Mapping[str, Any], content: Any) -> tuple[str | None, Any]:
    if not isinstance(content, dict) or not content:
        return None, None
    media = next((m for m in content if "json" in m), next(iter(content)))
    body = content.get(media) or {}
    return media, _resolve(spec, body.get("schema")) if isinstance(body, dict) else None


def _operation(
    spec: Mapping[str, Any], path: str, method: str, raw: dict[str, Any], shared: list[Any]
) -> Operation:
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for item in [*shared, *(raw.get("parameters") or [])]:
        p = _parameter(spec, item)
        if p is not None:
            params[(p["name"], p["in"])] = p  # operation-level wins over path-level
    request_body = None
    rb = _deref(spec, raw.get("requestBody"))
    if isinstance(rb, dict):
        media, schema = _json_schema(spec, rb.get("content"))
        request_body = {
            "required": bool(rb.get("required")),
            "content-type": media,
            "schema": schema,
        }
    responses: dict[str, Any] = {}
    for code, response in (raw.get("responses") or {}).items():
        response = _deref(spec, response)
        if not isinstance(response, dict):
            continue
        if "content" in response:
            responses[str(code)] = _json_schema(spec, response["content"])[1]
        else:
            responses[str(code)] = _resolve(spec, response.get("schema"))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")
    return Operation(
        id=str(raw.get("operationId") or f"{method}-{slug or 'root'}"),
        method=method.upper(),
        path=path,
        summary=raw.get("summary"),
        description=raw.get("description"),
        parameters=tuple(params.values()),
        request_body=request_body,
        responses=responses,
    )


def build_client(
    name: Any, spec: Mapping[str, Any], spec_url: str, base_url: str | None = None
) -> Client:
    """Return a ``Client`` for ``spec``; raises ``InvalidInputError`` (bad name, no base URL)."""
    key = str(name).lstrip(":") if name is not None else ""
    if not _NAME.match(key):
        raise InvalidInputError(
            f"an OpenAPI client name must be 1-64 letters, digits, '_', '.' or '-', got {name!r}"
        )
    ops: dict[str, Operation] = {}
    for path, item in (spec.get("paths") or {}).items():
        item = _deref(spec, item)
        if not isinstance(item, dict):
            continue
        shared = list(item.get("parameters") or [])
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                op = _operation(spec, str(path), method, item[method], shared)
                op_id, n = op.id, 2
                while op_id in ops:  # a spec with a repeated operationId: keep both
                    op_id, n = f"{op.id}-{n}", n + 1
                ops[op_id] = op if op_id == op.id else _renamed(op, op_id)
    info = spec.get("info")
    info = info if isinstance(info, dict) else {}
    return Client(
        name=key,
        spec_url=spec_url,
        base_url=base_url_of(spec, spec_url, base_url),
        spec_version=str(spec.get("openapi") or spec.get("swagger")),
        title=info.get("title"),
        operations=ops,
    )


def _renamed(op: Operation, op_id: str) -> Operation:
    from dataclasses import replace

    return replace(op, id=op_id)


def _as_json(spec: dict[str, Any]) -> dict[str, Any]:
    """Return ``spec`` as JSON data (YAML dates become strings, integer keys strings)."""
    try:
        data = json.loads(json.dumps(spec, ensure_ascii=True, default=str))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"the spec cannot be kept as JSON: {exc}") from None
    return cast(dict[str, Any], data)


def bootstrap(
    registry: OpenAPIRegistry, settings: Settings, name: Any, spec_url: Any, base_url: Any = None
) -> dict[str, Any]:
    """Load a spec, register a client for it, and return ``{openapi/name, openapi/spec-url,
    openapi/base-url, openapi/operations [ids]}``.
    """
    spec, where = load_spec(spec_url, settings)
    spec = _as_json(spec)  # what the store keeps, so every process builds the same client
    client = build_client(name, spec, where, base_url)
    registry.add(client, spec)
    return {
        "openapi/name": client.name,
        "openapi/client": client.name,
        "openapi/spec-url": client.spec_url,
        "openapi/base-url": redact_url(client.base_url),
        "openapi/operations": list(client.operations),
    }


# --- calling ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PreparedRequest:
    """A request built from an operation and its params, ready for the guarded HTTP client."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any


def build_request(
    client: Client, op: Operation, params: Mapping[Any, Any] | None
) -> PreparedRequest:
    """Return the request for calling ``op`` with ``params`` (path, query, header, cookie, body).

    A body comes from ``params["body"]`` (or Swagger's body parameter by name); for an OpenAPI 3
    request body the params that are not parameters form a JSON object. Raises
    ``InvalidInputError`` for a missing required parameter or a param nobody takes.
    """
    if params is not None and not isinstance(params, Mapping):
        raise InvalidInputError("params must be a map of parameter name → value")
    given = {str(k).lstrip(":"): v for k, v in (params or {}).items()}
    used: set[str] = set()
    path = op.path
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    cookies: list[str] = []
    form: dict[str, Any] = {}
    body: Any = None
    has_body = False

    def scalar(v: Any) -> str:
        return json.dumps(v) if isinstance(v, bool) else str(v)

    for p in op.parameters:
        name, where = p["name"], p["in"]
        if name not in given:
            if p["required"]:
                raise InvalidInputError(
                    f"operation {op.id!r} needs the {where} parameter {name!r}",
                    details={"operation": op.id, "parameter": name, "in": where},
                )
            continue
        value = given[name]
        used.add(name)
        if where == "path":
            path = path.replace("{" + name + "}", quote(scalar(value), safe=""))
        elif where == "query":
            values = value if isinstance(value, list) else [value]
            query.extend((name, scalar(v)) for v in values)
        elif where == "header":
            headers[name] = scalar(value)
        elif where == "cookie":
            cookies.append(f"{name}={quote(scalar(value), safe='')}")
        elif where == "formData":
            form[name] = scalar(value)
        elif where == "body":
            body, has_body = value, True
    if cookies:
        headers["cookie"] = "; ".join(cookies)
    if op.request_body is not None:
        if "body" in given:
            body, has_body = given["body"], True
            used.add("body")
        else:
            rest = {k: v for k, v in given.items() if k not in used}
            if rest:
                body, has_body = rest, True
                used.update(rest)
        if not has_body and op.request_body["required"]:
            raise InvalidInputError(f"operation {op.id!r} needs a request body (params 'body')")
        content_type = op.request_body.get("content-type")
        if has_body and content_type:
            headers["content-type"] = content_type
            if "x-www-form-urlencoded" in content_type and isinstance(body, Mapping):
                body = urlencode({k: scalar(v) for k, v in body.items()})
    if form:
        body, has_body = urlencode(form), True
        headers["content-type"] = "application/x-www-form-urlencoded"
    unknown = sorted(set(given) - used)
    if unknown:
        raise InvalidInputError(
            f"operation {op.id!r} has no parameter {', '.join(map(repr, unknown))}",
            details={"unknown": unknown, "parameters": [p["name"] for p in op.parameters]},
        )
    if "{" in path:
        raise InvalidInputError(f"operation {op.id!r}: path {op.path!r} has an unfilled parameter")
    url = client.base_url + path
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    return PreparedRequest(
        method=op.method, url=url, headers=headers, body=body if has_body else None
    )


def call(
    registry: OpenAPIRegistry, settings: Settings, client_name: Any, op_id: Any, params: Any = None
) -> dict[str, Any]:
    """Call an operation through the SSRF-guarded client and return ``:openapi/*`` results:
    ``{openapi/status, openapi/body (JSON parsed when JSON), openapi/headers (redacted),
    openapi/success?, openapi/error, openapi/url}``.

    Raises ``NotFoundError`` (unknown client or operation), ``InvalidInputError``,
    ``PermissionDeniedError``; a transport failure comes back as ``openapi/error``.
    """
    import http.client

    from ouroboros.resolvers.http import api_result, request

    client = registry.get(client_name)
    op = client.operation(op_id)
    prepared = build_request(client, op, params)
    try:
        resp = request(
            prepared.method,
            prepared.url,
            settings=settings,
            headers=prepared.headers,
            body=prepared.body,
        )
    except (OSError, http.client.HTTPException, NotFoundError) as exc:
        if isinstance(exc, NotFoundError) and "resolved" not in exc.message:
            raise
        return {
            "openapi/status": None,
            "openapi/body": None,
            "openapi/headers": {},
            "openapi/success?": False,
            "openapi/error": str(exc) or type(exc).__name__,
            "openapi/url": redact_url(prepared.url),
        }
    api = api_result(resp)
    return {
        "openapi/status": api["api/status"],
        "openapi/body": resp.json(),
        "openapi/headers": api["api/headers"],
        "openapi/success?": api["api/success?"],
        "openapi/error": api["api/error"],
        "openapi/url": api["api/url"],
    }


def operation_detail(op: Operation) -> dict[str, Any]:
    """Return ``:operation/parameters`` (request body included as ``in: "body"``) and
    ``:operation/response-schemas`` (status code → schema).
    """
    parameters = [dict(p) for p in op.parameters]
    if op.request_body is not None:
        parameters.append(
            {
                "name": "body",
                "in": "body",
                "required": op.request_body["required"],
                "description": None,
                "schema": op.request_body["schema"],
                "content-type": op.request_body["content-type"],
            }
        )
    return {
        "operation/parameters": parameters,
        "operation/response-schemas": dict(op.responses),
        "operation/description": op.description,
    }


def _pick(params: Mapping[Any, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if name in params:
            return params[name]
    return default


ATTRIBUTE_DOCS: dict[str, str] = {
    "openapi/clients": "The API clients bootstrapped from OpenAPI specs.",
    "openapi/name": "The client's name, given at bootstrap.",
    "openapi/client": "The name of a bootstrapped API client.",
    "openapi/spec-url": "Where the client's spec was read from (secrets redacted).",
    "openapi/base-url": "The URL the client's calls go to.",
    "openapi/title": "The API's title from its spec.",
    "openapi/spec-version": "The spec's format: OpenAPI 3.x or Swagger 2.0.",
    "openapi/operations": "The client's operations.",
    "operation/id": "The operation's id (operationId, or one made from method and path).",
    "operation/summary": "The operation's summary from the spec.",
    "operation/method": "The operation's HTTP method.",
    "operation/path": "The operation's path template.",
    "operation/parameters": "The operation's parameters and request body, with their schemas.",
    "operation/response-schemas": "The operation's response schemas by status code.",
    "operation/description": "The operation's description from the spec.",
    "openapi/status": "The call's HTTP status (nil when no response came).",
    "openapi/body": "The call's response body (parsed when JSON).",
    "openapi/headers": "The call's response headers (secret ones redacted).",
    "openapi/success?": "Whether the call's status was 2xx.",
    "openapi/error": "Why the call failed (nil on success).",
    "openapi/url": "The URL called (secrets redacted).",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the OpenAPI resolvers and mutations over ``runtime.openapi``.

    ``{:openapi/clients [:openapi/name :openapi/spec-url :openapi/base-url :openapi/title]}``;
    ident ``[:openapi/client "name"]`` (the original's ``:openapi-client``) → ``:openapi/name
    :openapi/spec-url :openapi/base-url`` and ``{:openapi/operations [:operation/id
    :operation/summary :operation/method :operation/path]}``; with ``:openapi/client`` and
    ``:operation/id`` both known (e.g. inside that join) → ``:operation/parameters
    :operation/response-schemas :operation/description``. Mutations:
    ``(openapi/bootstrap! {:name "pets" :spec-url "..." :base-url "..."?})`` and
    ``(openapi/call! {:client "pets" :operation "listPets" :params {...}})``.
    """
    from ouroboros import document, mutation, resolver

    registry = runtime.openapi

    @resolver(
        name="openapi/clients",
        doc="The API clients bootstrapped from OpenAPI specs.",
        types={"openapi/clients": list},
        output=[
            {
                "openapi/clients": [
                    "openapi/name",
                    "openapi/spec-url",
                    "openapi/base-url",
                    "openapi/title",
                    "openapi/spec-version",
                ]
            }
        ],
    )
    def clients_resolver(_data: Any) -> dict[str, Any]:
        return {"openapi/clients": registry.rows()}

    @resolver(
        name="openapi/client",
        doc="One bootstrapped API client: its URLs, title and operations.",
        types={
            "openapi/name": str,
            "openapi/spec-url": str,
            "openapi/base-url": str,
            "openapi/title": str | None,
            "openapi/spec-version": str,
            "openapi/operations": list,
        },
        input=["openapi/client"],
        output=[
            "openapi/name",
            "openapi/spec-url",
            "openapi/base-url",
            "openapi/title",
            "openapi/spec-version",
            {
                "openapi/operations": [
                    "operation/id",
                    "operation/summary",
                    "operation/method",
                    "operation/path",
                    "openapi/client",
                ]
            },
        ],
    )
    def client_resolver(data: Any) -> dict[str, Any]:
        client = registry.get(data["openapi/client"])
        rows = [op.as_row(client.name) for op in client.operations.values()]
        return {**client.as_row(), "openapi/operations": rows}

    @resolver(
        name="openapi/operation",
        doc="One operation of a bootstrapped client: parameters, responses, description.",
        types={
            "operation/parameters": list,
            "operation/response-schemas": dict,
            "operation/description": str | None,
        },
        input=["openapi/client", "operation/id"],
        output=[
            "operation/parameters",
            "operation/response-schemas",
            "operation/description",
        ],
    )
    def operation_resolver(data: Any) -> dict[str, Any]:
        op = registry.get(data["openapi/client"]).operation(data["operation/id"])
        return operation_detail(op)

    @mutation(
        name="openapi/bootstrap!",
        doc="Make an API client from an OpenAPI 3 or Swagger 2 spec and keep it in the store.",
        params=["name", "spec-url", "base-url"],
        output=[
            "openapi/name",
            "openapi/client",
            "openapi/spec-url",
            "openapi/base-url",
            "openapi/operations",
        ],
        blocking=True,
    )
    def bootstrap_mutation(env: Any, params: Any) -> dict[str, Any]:
        params = dict(params or {})
        return bootstrap(
            registry,
            settings_of(runtime, env),
            _pick(params, "name", "openapi/name"),
            _pick(params, "spec-url", "spec_url", "openapi/spec-url"),
            _pick(params, "base-url", "base_url", "openapi/base-url"),
        )

    @mutation(
        name="openapi/call!",
        doc="Call an operation of a bootstrapped API client with its parameters.",
        params=["client", "operation", "params"],
        output=[
            "openapi/status",
            "openapi/body",
            "openapi/headers",
            "openapi/success?",
            "openapi/error",
            "openapi/url",
        ],
        blocking=True,
    )
    def call_mutation(env: Any, params: Any) -> dict[str, Any]:
        params = dict(params or {})
        client = _pick(params, "client", "openapi/client", "openapi-client")
        op_id = _pick(params, "operation", "operation/id", "operation-id")
        if client is None or op_id is None:
            raise InvalidInputError("openapi/call! needs a client and an operation")
        return call(
            registry,
            settings_of(runtime, env),
            client,
            op_id,
            _pick(params, "params", "openapi/params", default={}),
        )

    return document(
        [
            clients_resolver,
            client_resolver,
            operation_resolver,
            bootstrap_mutation,
            call_mutation,
        ],
        ATTRIBUTE_DOCS,
    )
