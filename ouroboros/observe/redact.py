"""The one redaction list: names whose values never reach a log, a span, a URL or headers we return.

Matching is case-insensitive. A name is sensitive when it is in ``SENSITIVE_NAMES`` or contains
one of ``SENSITIVE_FRAGMENTS`` (so ``x-auth-token`` and ``db_password`` are caught too)::

    redact_url("https://u:p@h/x?token=1&a=2")   # 'https://h/x?token=%5Bredacted%5D&a=2'
    redact_headers({"Authorization": "Bearer x"})  # {'authorization': '[redacted]'}
    redact_text("GET /graphql?q=1&api_key=abc")  # 'GET /graphql?q=1&api_key=%5Bredacted%5D'

Everything in the project that logs or returns a URL or headers goes through these functions:
the outbound HTTP and OpenAPI resolvers (``:api/url``, ``:api/headers``), git remote URLs, the
log formatter (uvicorn's access lines included), span attributes and dashboard events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "SENSITIVE_FRAGMENTS",
    "SENSITIVE_NAMES",
    "is_sensitive",
    "redact_headers",
    "redact_mapping",
    "redact_query",
    "redact_text",
    "redact_url",
]

REDACTED = "[redacted]"
_REDACTED_IN_URL = quote(REDACTED, safe="")

SENSITIVE_NAMES: frozenset[str] = frozenset(
    {
        # query parameters (issue #9, item 15)
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "apikey",
        "key",
        "secret",
        "client_secret",
        "password",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "code",
        # headers
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "session",
        "sessionid",
    }
)
"""Names (query parameters, headers, JSON keys) whose values are always redacted."""

SENSITIVE_FRAGMENTS: tuple[str, ...] = (
    "token",
    "secret",
    "passw",
    "apikey",
    "api_key",
    "api-key",
    "credential",
    "signature",
    "cookie",
    "authorization",
)
"""Parts of a name that make it sensitive wherever they appear in it."""


def is_sensitive(name: object) -> bool:
    """Return whether the value of ``name`` (a parameter, header or key) must be redacted."""
    lowered = str(name).strip().lower()
    if lowered in SENSITIVE_NAMES:
        return True
    return any(fragment in lowered for fragment in SENSITIVE_FRAGMENTS)


def redact_query(query: str) -> str:
    """Return a query string with sensitive values replaced; other pairs keep their encoding."""
    if not query:
        return query
    out = []
    for pair in query.split("&"):
        name, eq, _value = pair.partition("=")
        try:
            decoded = unquote_plus(name)
        except Exception:  # undecodable bytes: judge the raw name
            decoded = name
        out.append(f"{name}={_REDACTED_IN_URL}" if eq and is_sensitive(decoded) else pair)
    return "&".join(out)


def redact_url(url: str, *, userinfo: str = "drop") -> str:
    """Return ``url`` with credential-like query (and fragment) values redacted.

    ``userinfo="drop"`` removes ``user:password@``; ``"mask"`` keeps the user name and shows
    ``***`` for the password (``https://bob:***@host``; a lone token becomes ``***@``).
    An unparseable URL comes back as ``"[unparseable url]"``.
    """
    try:
        parts = urlsplit(url)
        has_user = parts.username is not None or parts.password is not None
    except ValueError:
        return "[unparseable url]"
    netloc = parts.netloc
    if has_user:
        host = netloc.rpartition("@")[2]
        if userinfo == "mask":
            user = "***" if parts.password is None else f"{parts.username}:***"
            netloc = f"{user}@{host}"
        else:
            netloc = host
    fragment = parts.fragment
    if "=" in fragment:
        fragment = redact_query(fragment)
    return urlunsplit(
        parts._replace(netloc=netloc, query=redact_query(parts.query), fragment=fragment)
    )


def redact_headers(headers: Mapping[str, Any] | Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Return ``headers`` as a dict with lower-cased names and sensitive values redacted.

    Takes a mapping or ``(name, value)`` pairs (ASGI's ``bytes`` pairs included).
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for raw_name, raw_value in pairs:
        name = _text(raw_name).lower()
        out[name] = REDACTED if is_sensitive(name) else _text(raw_value)
    return out


def redact_mapping(data: Any, *, depth: int = 0) -> Any:
    """Return a copy of JSON-like ``data`` with the values of sensitive keys redacted.

    Strings that hold URLs or ``key=value`` text are passed through ``redact_text``.
    """
    if depth > 20:
        return "…"
    if isinstance(data, Mapping):
        return {
            k: REDACTED if is_sensitive(k) else redact_mapping(v, depth=depth + 1)
            for k, v in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [redact_mapping(v, depth=depth + 1) for v in data]
    if isinstance(data, str):
        return redact_text(data)
    return data


_NAME_ALTERNATIVES = "|".join(
    sorted((re.escape(n) for n in SENSITIVE_NAMES), key=len, reverse=True)
)
# key=value after ?, &, ; or # (query-like text), for any name the list catches.
_PAIR = re.compile(r"(?<=[?&;#])([A-Za-z0-9_.\-%]+)=([^&\s#\"'<>]*)")
_BEARER = re.compile(r"\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+", re.IGNORECASE)
_HEADER_LINE = re.compile(
    rf"(?i)\b({_NAME_ALTERNATIVES})(\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)


def redact_text(text: str) -> str:
    """Return free text (a log line, an error message) with secrets in it redacted.

    Catches query pairs (``?token=…``, ``&api_key=…``), ``Bearer``/``Basic`` credentials and
    ``authorization: …`` / ``password=…`` style pairs of any name on the list.
    """
    if not text or ("=" not in text and ":" not in text and " " not in text):
        return text

    def pair(match: re.Match[str]) -> str:
        name = match.group(1)
        try:
            decoded = unquote_plus(name)
        except Exception:
            decoded = name
        return f"{name}={_REDACTED_IN_URL}" if is_sensitive(decoded) else match.group(0)

    text = _PAIR.sub(pair, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _HEADER_LINE.sub(_header_pair, text)


def _header_pair(match: re.Match[str]) -> str:
    value = match.group(3)
    if REDACTED in value or _REDACTED_IN_URL in value or value.lower() in {"bearer", "basic"}:
        return match.group(0)
    if match.group(1).lower() in {"key", "code", "session"} and match.group(2).strip() == ":":
        return match.group(0)  # "key: memory key" in prose; only key=value is a secret there
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)
