"""The one error hierarchy of Ouroboros, and the one JSON error shape every error renders."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = [
    "AgentLimitError",
    "AttributeMissingError",
    "AttributeTypeError",
    "AuthError",
    "BadToolCallError",
    "BudgetExceededError",
    "ConflictError",
    "ContextTooLongError",
    "EQLError",
    "EQLSyntaxError",
    "ForbiddenError",
    "ForeignSourceError",
    "InvalidInputError",
    "MutationNotFoundError",
    "NotFoundError",
    "OuroborosError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProviderAuthError",
    "ProviderDownError",
    "ProviderError",
    "ProviderRateLimitedError",
    "QueryLimitError",
    "RateLimitedError",
    "RegistrationError",
    "ResolverError",
    "ResolverTimeoutError",
    "StoreBusyError",
    "StoreError",
    "ToolNotFoundError",
    "UnauthenticatedError",
    "UnreachableError",
    "error_payload",
]


class OuroborosError(Exception):
    """Base of every error Ouroboros raises on purpose.

    Every error can render the one JSON error shape used by HTTP, GraphQL and MCP::

        {"error": {"type": "UnreachableError", "message": "...", "path": [...], "details": {...}}}

    ``path`` (where in the query or input the error is) and ``details`` (structured data)
    are omitted when empty. ``http_status`` is the status an HTTP front door answers with.
    """

    http_status: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        path: Sequence[Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[Any] = list(path) if path else []
        self.details: dict[str, Any] = dict(details) if details else {}

    @property
    def type(self) -> str:
        """The error's type name as it appears on the wire (the class name)."""
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        """Return the inner error object: ``{"type", "message", "path"?, "details"?}``."""
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.path:
            body["path"] = [_jsonable_path_item(p) for p in self.path]
        if self.details:
            body["details"] = self.details
        return body

    def to_json(self) -> dict[str, Any]:
        """Return the full wire shape ``{"error": {...}}``."""
        return {"error": self.to_dict()}

    def __str__(self) -> str:
        return self.message


def _jsonable_path_item(item: Any) -> Any:
    if isinstance(item, (str, int)):
        return str(item) if isinstance(item, str) else item
    if isinstance(item, tuple) and len(item) == 2:  # an ident key: render as its EDN text
        return f"[:{item[0]} {_edn_scalar(item[1])}]"
    return str(item)


def _edn_scalar(value: Any) -> str:
    """An ident value as EDN text, without importing ``ouroboros.eql`` (which imports this
    module: errors stay a leaf)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)


def error_payload(exc: BaseException) -> dict[str, Any]:
    """Return the wire shape for any exception; unexpected ones are masked as InternalError."""
    if isinstance(exc, OuroborosError):
        return exc.to_json()
    return {"error": {"type": "InternalError", "message": "internal error"}}


# --- the language --------------------------------------------------------------------------


class EQLError(OuroborosError):
    """A query that is not valid EQL (structurally), or an AST operation that cannot apply."""

    http_status = 400


class EQLSyntaxError(EQLError):
    """EQL text that does not parse; carries ``line``, ``column`` (1-based) and the context."""

    def __init__(
        self,
        message: str,
        *,
        line: int,
        column: int,
        context: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        full = f"{message} at line {line}, column {column}"
        if context:
            full = f"{full}\n{context}"
        merged = {"line": line, "column": column, **(details or {})}
        super().__init__(full, details=merged)
        self.reason = message
        self.line = line
        self.column = column
        self.context = context


class QueryLimitError(EQLError):
    """A query deeper or larger than the configured limits."""


# --- the engine ----------------------------------------------------------------------------


class RegistrationError(OuroborosError):
    """An operation or plugin that cannot be registered (duplicate name or id, bad declaration)."""


class UnreachableError(OuroborosError):
    """Attributes no resolver can reach from the data available; ``reasons`` maps attr → why."""

    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        reasons: Mapping[str, str],
        path: Sequence[Any] | None = None,
    ) -> None:
        super().__init__(message, path=path, details={"unreachable": dict(reasons)})
        self.reasons = dict(reasons)


class AttributeMissingError(OuroborosError):
    """A resolver ran but did not return an attribute it promised (and nothing else could)."""

    http_status = 500


class ResolverError(OuroborosError):
    """A resolver raised, or returned something that is not a map; names the resolver and path."""

    http_status = 500

    def __init__(
        self,
        message: str,
        *,
        resolver: str,
        path: Sequence[Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, path=path, details={"resolver": resolver, **(details or {})})
        self.resolver = resolver


class AttributeTypeError(ResolverError):
    """A resolver returned a value that does not fit its attribute spec (validation mode)."""


class ResolverTimeoutError(ResolverError):
    """A resolver ran past its timeout."""

    http_status = 504


class MutationNotFoundError(OuroborosError):
    """A mutation was called that is not registered."""

    http_status = 400


# --- input, store, tools, access -----------------------------------------------------------


class InvalidInputError(OuroborosError):
    """Bad input from a caller: wrong type, empty name, invalid value. Nothing was written."""

    http_status = 400


class NotFoundError(OuroborosError):
    """The thing asked for does not exist (entity, file, key where absence is an error)."""

    http_status = 404


class ConflictError(OuroborosError):
    """The write conflicts with what is stored (e.g. renaming onto an existing name)."""

    http_status = 409


class StoreError(OuroborosError):
    """The store could not do what was asked (I/O, corruption, schema)."""


class StoreBusyError(StoreError):
    """The database is held by another process that could not be reached in time."""

    http_status = 503


class ToolNotFoundError(NotFoundError):
    """A tool name that is not registered or not enabled; details list the available tools."""


class PermissionDeniedError(OuroborosError):
    """A policy refused the call: a path outside the roots, a blocked address, a disabled tool."""

    http_status = 403


class RateLimitedError(OuroborosError):
    """The caller exceeded its rate limit; ``details.retry_after`` is in seconds."""

    http_status = 429


class PayloadTooLargeError(OuroborosError):
    """A request body or value larger than allowed."""

    http_status = 413


class AuthError(OuroborosError):
    """Base of authentication and authorisation errors."""

    http_status = 401


class UnauthenticatedError(AuthError):
    """No token, or a token that is unknown or revoked."""

    http_status = 401


class ForbiddenError(AuthError):
    """A valid token without the scope the operation needs."""

    http_status = 403


# --- the agent's model providers -----------------------------------------------------------
# The closed set of ways a model call fails (each names the provider; never a key).


class ProviderError(OuroborosError):
    """A model provider failed the call; ``details.provider`` names it."""

    http_status = 502


class ProviderAuthError(ProviderError):
    """The provider refused the API key (401/403): fix the key, retrying will not help."""


class ProviderRateLimitedError(ProviderError):
    """The provider kept answering 429 after the retries; ``details.retry_after`` in seconds."""

    http_status = 429


class ContextTooLongError(ProviderError):
    """The conversation does not fit the model's context window."""

    http_status = 400


class BadToolCallError(ProviderError):
    """The model asked for a tool call that cannot be run (malformed arguments, no such tool)."""


class ProviderDownError(ProviderError):
    """The provider could not be reached, timed out, answered 5xx, or its circuit is open."""

    http_status = 503


class BudgetExceededError(OuroborosError):
    """The caller's daily token budget is spent: the next model call is refused."""

    http_status = 429


class AgentLimitError(OuroborosError):
    """The agent loop reached a bound (tool iterations, wall time or tokens) before an answer."""

    http_status = 422


class ForeignSourceError(OuroborosError):
    """A foreign source did not answer, answered an error, or answered nonsense."""

    http_status = 502
