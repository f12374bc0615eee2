"""Error responses: every failure the HTTP front door reports, in the one JSON error shape."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ouroboros.errors import (
    InvalidInputError,
    NotFoundError,
    OuroborosError,
    RateLimitedError,
    UnauthenticatedError,
    error_payload,
)
from ouroboros.http.jsonbody import JSONWireResponse

__all__ = [
    "MethodNotAllowedError",
    "NotAcceptableError",
    "ServiceNotRunningError",
    "UnsupportedMediaTypeError",
    "error_response",
    "exception_handlers",
]

log = logging.getLogger(__name__)


class UnsupportedMediaTypeError(InvalidInputError):
    """A request body in a content type the endpoint does not read."""

    http_status = 415


class NotAcceptableError(InvalidInputError):
    """An ``Accept`` header naming no representation the endpoint can produce."""

    http_status = 406


class MethodNotAllowedError(InvalidInputError):
    """An HTTP method the endpoint does not answer."""

    http_status = 405


class ServiceNotRunningError(OuroborosError):
    """A request that arrived before the lifespan opened the service (or after it closed)."""

    http_status = 503


def error_response(exc: BaseException, headers: dict[str, str] | None = None) -> Response:
    """Return the JSON response for ``exc``: its ``http_status`` and ``{"error": {...}}``.

    Unexpected exceptions are logged and masked as a 500 ``InternalError``.
    """
    status = exc.http_status if isinstance(exc, OuroborosError) else 500
    if not isinstance(exc, OuroborosError):
        log.error("unexpected error", exc_info=exc)
    extra = dict(headers or {})
    if isinstance(exc, UnauthenticatedError):
        extra.setdefault("WWW-Authenticate", 'Bearer realm="ouroboros"')
    if isinstance(exc, RateLimitedError):
        retry = exc.details.get("retry_after", 1)
        extra.setdefault("Retry-After", str(max(1, int(float(retry) + 0.999))))
    return JSONWireResponse(error_payload(exc), status_code=status, headers=extra)


_STATUS_ERRORS: dict[int, type[OuroborosError]] = {
    404: NotFoundError,
    405: MethodNotAllowedError,
    415: UnsupportedMediaTypeError,
}


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = _STATUS_ERRORS.get(exc.status_code, InvalidInputError)
    err = kind(str(exc.detail) if exc.detail else "request refused")
    err_status = exc.status_code
    response = JSONWireResponse(error_payload(err), status_code=err_status)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _ouroboros_error(request: Request, exc: Exception) -> Response:
    return error_response(exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    return error_response(exc)


def exception_handlers() -> dict[Any, Any]:
    """Return the Starlette exception handlers: everything renders the one error shape."""
    return {
        HTTPException: _http_exception,
        OuroborosError: _ouroboros_error,
        Exception: _unexpected,
    }
