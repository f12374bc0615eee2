"""Outbound HTTP resolvers: ``:api/*`` attributes and ``api/request!``, behind the SSRF guard."""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import ouroboros
from ouroboros.errors import InvalidInputError, NotFoundError
from ouroboros.observe import redact as _redact
from ouroboros.observe import tracing
from ouroboros.resolvers.netguard import AllowList, Target, check_url
from ouroboros.resolvers.request_context import settings_of

if TYPE_CHECKING:
    from ouroboros.config import Settings
    from ouroboros.resolvers.runtime import Runtime

__all__ = [
    "API_ATTRS",
    "METHODS",
    "HttpResponse",
    "api_meta",
    "api_result",
    "fetch",
    "operations",
    "redact_headers",
    "redact_url",
    "request",
]

log = logging.getLogger(__name__)

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_REDIRECTS = 5
REDACTED = _redact.REDACTED
_FORBIDDEN_REQUEST_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}
_REDIRECTS = {301, 302, 303, 307, 308}
_USER_AGENT = f"ouroboros/{ouroboros.__version__}"

API_TYPES: dict[str, Any] = {
    "api/status": int | None,
    "api/body": str | None,
    "api/headers": dict,
    "api/success?": bool,
    "api/error": str | None,
    "api/url": str,
    "api/truncated?": bool,
}

API_ATTRS = [
    "api/status",
    "api/body",
    "api/headers",
    "api/success?",
    "api/error",
    "api/url",
    "api/truncated?",
]


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return ``headers`` lower-cased, with credential-like headers redacted (the one list in
    ``ouroboros.observe.redact``)."""
    return _redact.redact_headers(headers)


def redact_url(url: str) -> str:
    """Return ``url`` without user-info and with credential-like query values redacted."""
    return _redact.redact_url(url)


@dataclass(frozen=True, kw_only=True)
class HttpResponse:
    """What came back: status, headers (as received), body (at most ``max_bytes``), final URL."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str
    truncated: bool

    def header(self, name: str) -> str | None:
        """Return the first header called ``name`` (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def text(self) -> str:
        """Return the body decoded with the charset of its Content-Type (UTF-8 by default)."""
        charset = "utf-8"
        match = re.search(r"charset=([\w.-]+)", self.header("content-type") or "", re.I)
        if match:
            charset = match.group(1)
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Return the body parsed as JSON when the Content-Type says JSON, else its text."""
        content_type = (self.header("content-type") or "").lower()
        if "json" in content_type and not self.truncated:
            try:
                return json.loads(self.text())
            except ValueError:
                pass
        return self.text()


def _encode_body(body: Any, headers: dict[str, str]) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (dict, list, int, float, bool)):
        headers.setdefault("content-type", "application/json")
        return json.dumps(body).encode("utf-8")
    raise InvalidInputError(
        f"a request body must be text, bytes or JSON data, not {type(body).__name__}"
    )


def _request_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidInputError("request headers must be a map of name → value")
    clean: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).strip().lower()
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9a-z-]+", key):
            raise InvalidInputError(f"invalid header name {str(name)!r}")
        if key in _FORBIDDEN_REQUEST_HEADERS:
            raise InvalidInputError(
                f"the {key!r} header is set from the URL and body, not by the caller"
            )
        text = str(value)
        if any(c in text for c in "\r\n\x00"):
            raise InvalidInputError(f"header {key!r} contains a line break or NUL")
        clean[key] = text
    return clean


def tls_context() -> ssl.SSLContext:
    """Return the TLS context for outbound HTTPS: the system's trust store, host names checked."""
    return ssl.create_default_context()


def _connect(target: Target, timeout: float) -> http.client.HTTPConnection:
    """Return a connection to one of the checked addresses of ``target`` (TLS named by host)."""
    last: OSError | None = None
    for ip in target.addresses:
        conn: http.client.HTTPConnection
        if target.scheme == "https":
            conn = http.client.HTTPSConnection(
                target.host, target.port, timeout=timeout, context=tls_context()
            )
        else:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        address = (str(ip), target.port)

        # Pin the socket to the checked address; Host header and TLS SNI still name the host.
        def pinned(
            _addr: Any, timeout: Any = None, source: Any = None, _a: Any = address
        ) -> socket.socket:
            return socket.create_connection(_a, timeout, source)

        conn._create_connection = pinned  # type: ignore[attr-defined]
        try:
            conn.connect()
            return conn
        except OSError as exc:
            conn.close()
            last = exc
    raise last or OSError("no address to connect to")


def _read_body(
    resp: http.client.HTTPResponse, max_bytes: int, deadline: float, conn: Any
) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out reading the response body")
        if conn.sock is not None:
            conn.sock.settimeout(remaining)
        chunk = resp.read1(min(65536, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    data = b"".join(chunks)
    return data[:max_bytes], len(data) > max_bytes


def request(
    method: str,
    url: str,
    *,
    settings: Settings,
    headers: Mapping[str, Any] | None = None,
    body: Any = None,
    max_redirects: int = MAX_REDIRECTS,
) -> HttpResponse:
    """Send one request (following redirects, each re-checked) and return the response.

    Every hop is resolved once, checked against the SSRF policy and ``settings.http_allow``, and
    the socket goes to that checked address. The body is capped at ``settings.http_max_bytes``
    (``truncated`` says so) and the whole exchange at ``settings.http_timeout`` seconds.
    Raises ``PermissionDeniedError`` (blocked address or scheme, also on a redirect),
    ``InvalidInputError`` (bad method, URL, headers or body, too many redirects),
    ``NotFoundError`` (host does not resolve), ``OSError`` / ``http.client.HTTPException``
    (connection failures, timeouts).
    """
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise InvalidInputError(
            f"HTTP method {method!r} is not supported; use one of {', '.join(METHODS)}"
        )
    method = method.upper()
    allow = AllowList.parse(settings.http_allow)
    send_headers = _request_headers(headers)
    payload = _encode_body(body, send_headers)
    send_headers.setdefault("user-agent", _USER_AGENT)
    send_headers.setdefault("accept-encoding", "identity")  # no decompression bombs
    deadline = time.monotonic() + settings.http_timeout
    current = url
    for _hop in range(max_redirects + 1):
        target = check_url(current, allow)
        remaining = max(deadline - time.monotonic(), 0.001)
        conn = _connect(target, remaining)
        attrs = {"http.request.method": method, "url.full": redact_url(target.url)}
        try:
            log.info("http %s %s", method, redact_url(target.url))
            with tracing.client_span(f"HTTP {method}", attrs) as hop:
                hop_headers = {**tracing.outbound_headers(), **send_headers}  # caller's win
                conn.request(method, target.target, body=payload, headers=hop_headers)
                resp = conn.getresponse()
                tracing.set_attributes(hop, {"http.response.status_code": resp.status})
            location = resp.getheader("location")
            if resp.status in _REDIRECTS and location:
                resp.close()
                nxt = urljoin(target.url, location)
                if urlsplit(nxt)[:2] != urlsplit(target.url)[:2] or _port(nxt) != target.port:
                    # Credentials belong to the origin they were given for.
                    send_headers = {
                        k: v for k, v in send_headers.items() if not _redact.is_sensitive(k)
                    }
                if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                    method, payload = ("GET" if method != "HEAD" else "HEAD"), None
                    send_headers.pop("content-type", None)
                current = nxt
                continue
            if method == "HEAD":
                data, truncated = b"", False
            else:
                data, truncated = _read_body(resp, settings.http_max_bytes, deadline, conn)
            log.info("http %s %s -> %s", method, redact_url(target.url), resp.status)
            return HttpResponse(
                status=resp.status,
                reason=resp.reason,
                headers=tuple(resp.getheaders()),
                body=data,
                url=target.url,
                truncated=truncated,
            )
        finally:
            conn.close()
    raise InvalidInputError(f"more than {max_redirects} redirects starting from {redact_url(url)}")


def _port(url: str) -> int | None:
    try:
        parts = urlsplit(url)
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None


def api_result(resp: HttpResponse) -> dict[str, Any]:
    """Return the ``:api/*`` attributes of a response (headers and URL redacted)."""
    merged: dict[str, str] = {}
    for k, v in resp.headers:
        key = k.lower()
        merged[key] = f"{merged[key]}, {v}" if key in merged else v
    return {
        "api/status": resp.status,
        "api/body": resp.text(),
        "api/headers": redact_headers(merged),
        "api/success?": resp.status < 400,
        "api/error": None if resp.status < 400 else f"HTTP {resp.status} {resp.reason}".strip(),
        "api/url": redact_url(resp.url),
        "api/truncated?": resp.truncated,
    }


def _failure(url: str, message: str) -> dict[str, Any]:
    return {
        "api/status": None,
        "api/body": None,
        "api/headers": {},
        "api/success?": False,
        "api/error": message,
        "api/url": redact_url(url),
        "api/truncated?": False,
    }


def fetch(
    url: str,
    *,
    settings: Settings,
    method: str = "GET",
    headers: Mapping[str, Any] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """Return the ``:api/*`` attributes for a request; a transport failure is data (``api/error``).

    Policy and input problems still raise: ``PermissionDeniedError`` (blocked address, scheme or
    redirect) and ``InvalidInputError``. A host that does not resolve, a refused connection or a
    timeout comes back as ``{"api/success?": False, "api/error": "..."}``.
    """
    try:
        return api_result(request(method, url, settings=settings, headers=headers, body=body))
    except NotFoundError as exc:
        return _failure(url, exc.message)
    except (OSError, http.client.HTTPException) as exc:
        return _failure(url, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def api_meta(settings: Settings) -> dict[str, Any]:
    """Return ``:api/meta``: the client and its limits."""
    return {
        "api/version": ouroboros.__version__,
        "api/http-client": "http.client (address-pinned, SSRF-guarded)",
        "api/methods": list(METHODS),
        "api/timeout": settings.http_timeout,
        "api/max-bytes": settings.http_max_bytes,
        "api/allow": list(settings.http_allow),
    }


def _pick(params: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if name in params:
            return params[name]
    return default


ATTRIBUTE_DOCS: dict[str, str] = {
    "api/url": "The URL requested (secret query parameters redacted in answers).",
    "api/status": "The response's HTTP status (nil when no response came).",
    "api/body": "The response body as text, cut at the size limit.",
    "api/headers": "The response headers (secret ones redacted).",
    "api/success?": "Whether the status was 2xx.",
    "api/error": "Why the request failed (nil on success).",
    "api/truncated?": "Whether the body was cut at the size limit.",
    "api/meta": "The outbound HTTP client: its methods, timeout, size limit and allow list.",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the outbound HTTP resolvers and the ``api/request!`` mutation.

    Ident ``[:api/url "https://..."]`` (the original's ``:url``, renamed into the ``api``
    namespace) → ``:api/status :api/body :api/headers :api/success? :api/error :api/url
    :api/truncated?`` (a GET). ``:api/meta``. Mutation ``(api/request! {:method "POST" :url "..."
    :headers {...} :body ...})`` → the same attributes (``api/url``, ``api/method``, ... are
    accepted as param names too).
    """
    from ouroboros import document, mutation, resolver

    @resolver(
        name="api/get",
        doc="An HTTP GET of a public URL (private addresses refused) and its response.",
        types=API_TYPES,
        input=["api/url"],
        output=API_ATTRS,
        blocking=True,
    )
    def get_resolver(env: Any, data: Any) -> dict[str, Any]:
        return fetch(data["api/url"], settings=settings_of(runtime, env))

    @resolver(
        name="api/meta",
        doc="The outbound HTTP client: its methods, timeout, size limit and allow list.",
        types={"api/meta": dict},
        output=["api/meta"],
    )
    def meta_resolver(env: Any, _data: Any) -> dict[str, Any]:
        return {"api/meta": api_meta(settings_of(runtime, env))}

    @mutation(
        name="api/request!",
        doc="An HTTP request (any method) to a public URL, with its response.",
        params=["method", "url", "headers", "body"],
        output=API_ATTRS,
        blocking=True,
    )
    def request_mutation(env: Any, params: Any) -> dict[str, Any]:
        params = dict(params or {})
        url = _pick(params, "url", "api/url")
        if url is None:
            raise InvalidInputError("api/request! needs a url")
        return fetch(
            url,
            settings=settings_of(runtime, env),
            method=_pick(params, "method", "api/method", default="GET"),
            headers=_pick(params, "headers", "api/headers"),
            body=_pick(params, "body", "api/body"),
        )

    return document([get_resolver, meta_resolver, request_mutation], ATTRIBUTE_DOCS)
