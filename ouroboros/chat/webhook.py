"""What the three webhooks share: error answers, JSON bodies, and one client for platform APIs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import httpx2 as httpx
from starlette.responses import JSONResponse

from ouroboros.chat.gateway import scrub
from ouroboros.errors import InvalidInputError, OuroborosError, UnauthenticatedError
from ouroboros.observe import tracing

__all__ = ["PlatformAPI", "PlatformAPIError", "error_answer", "json_body", "unauthenticated"]

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
"""The largest webhook body read (the platforms send a few KiB)."""


class PlatformAPIError(OuroborosError):
    """A chat platform's API refused or failed a call (the message names the method only)."""

    http_status = 502


def error_answer(exc: OuroborosError) -> JSONResponse:
    """Return the one error shape with the error's HTTP status."""
    return JSONResponse(exc.to_json(), status_code=exc.http_status)


def unauthenticated(platform: str, why: str) -> JSONResponse:
    """Return the 401 for a request that failed the platform's verification (nothing else ran)."""
    log.warning("chat %s: refused a request: %s", platform, why)
    return error_answer(UnauthenticatedError(f"{platform} request refused: {why}"))


def json_body(body: bytes, platform: str) -> dict[str, Any]:
    """Return the webhook body as a JSON object; raises InvalidInputError (400) otherwise."""
    if len(body) > MAX_BODY:
        raise InvalidInputError(f"{platform} body larger than {MAX_BODY} bytes")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInputError(f"{platform} body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{platform} body must be a JSON object")
    return data


class PlatformAPI:
    """A platform's HTTP API at an operator-configured base URL (trusted: no SSRF guard).

    Errors raise PlatformAPIError naming the platform and method, never the URL (a Telegram
    bot token is part of its URLs) nor any header.
    """

    def __init__(
        self,
        platform: str,
        base: str,
        *,
        headers: Mapping[str, str] | None = None,
        hidden: Iterable[str] = (),
        timeout: float = 15.0,
    ) -> None:
        self.platform = platform
        self.base = base.rstrip("/")
        self.headers = dict(headers or {})
        self.hidden = [h for h in hidden if h]
        self.timeout = timeout

    async def call(
        self, method: str, path: str, payload: Any = None, *, what: str | None = None
    ) -> Any:
        """``method`` the JSON ``payload`` to ``base + path``; return the decoded JSON answer."""
        name = what or path.rsplit("/", 1)[-1]
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                headers = {**tracing.outbound_headers(), **self.headers}  # W3C trace context
                response = await client.request(
                    method, self.base + path, json=payload, headers=headers
                )
        except httpx.HTTPError as exc:
            raise PlatformAPIError(
                f"{self.platform} {name}: {scrub(type(exc).__name__ + ': ' + str(exc), self.hidden)}"
            ) from None
        if response.status_code == 204:
            return None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            raise PlatformAPIError(
                f"{self.platform} {name}: HTTP {response.status_code}",
                details={"status": response.status_code},
            )
        return data
