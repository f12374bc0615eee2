"""The current request's id (a context variable), shared by logs, spans, events and telemetry."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

__all__ = [
    "REQUEST_ID",
    "current_request_id",
    "new_request_id",
    "reset_request_id",
    "set_request_id",
]

REQUEST_ID: ContextVar[str | None] = ContextVar("ouroboros_request_id", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def new_request_id(offered: str | None = None) -> str:
    """Return ``offered`` when it is a safe id (an ``X-Request-ID`` from a proxy), else a new one."""
    if offered and _SAFE_ID.match(offered):
        return offered
    return uuid.uuid4().hex[:16]


def current_request_id() -> str | None:
    """Return the id of the request this code runs for, if any."""
    return REQUEST_ID.get()


def set_request_id(request_id: str) -> Token[str | None]:
    """Make ``request_id`` current; returns the token for ``reset_request_id``."""
    return REQUEST_ID.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    """Restore the request id that was current before ``set_request_id``."""
    REQUEST_ID.reset(token)
