"""Input checks for everything the store writes: names, texts, keys, JSON values, limits.

Limits (documented in the store's README section and returned in error details):
names, entity types and relation types up to 1,024 characters; one observation up to 64 KiB of
UTF-8; one memory value up to 1 MiB of JSON. Larger inputs are refused with
``PayloadTooLargeError`` rather than stored, so one tool call can never bloat every later
``read_graph`` or search result. Text must be valid Unicode (no lone surrogates); identifiers
(names, types, keys) must not contain NUL or other control characters, observations and values may.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ouroboros.errors import InvalidInputError, PayloadTooLargeError

__all__ = [
    "MAX_NAME_CHARS",
    "MAX_OBSERVATION_BYTES",
    "MAX_VALUE_BYTES",
    "check_identifier",
    "check_json_value",
    "check_names",
    "check_text",
    "require_list",
    "require_mapping",
]

MAX_NAME_CHARS = 1024
MAX_OBSERVATION_BYTES = 64 * 1024
MAX_VALUE_BYTES = 1024 * 1024

_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _check_unicode(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"{what} is not valid Unicode (lone surrogate at position {exc.start})",
            details={"field": what},
        ) from None


def check_identifier(value: Any, what: str) -> str:
    """Return ``value`` if it is a usable name/type/key; raise InvalidInputError otherwise."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidInputError(f"{what} must not be empty", details={"field": what})
    if len(value) > MAX_NAME_CHARS:
        raise PayloadTooLargeError(
            f"{what} is {len(value)} characters; the limit is {MAX_NAME_CHARS}",
            details={"field": what, "limit": MAX_NAME_CHARS},
        )
    _check_unicode(value, what)
    if _CONTROL.search(value):
        raise InvalidInputError(
            f"{what} must not contain control characters (NUL, newline, ...): {value[:60]!r}",
            details={"field": what},
        )
    return value


def check_names(values: Any, what: str) -> list[str]:
    """Return a list of identifiers from a list/tuple of strings; raise InvalidInputError."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise InvalidInputError(f"{what} must be a list of strings")
    return [check_identifier(v, what) for v in values]


def check_text(value: Any, what: str, limit: int = MAX_OBSERVATION_BYTES) -> str:
    """Return ``value`` if it is a non-empty string within ``limit`` UTF-8 bytes."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidInputError(f"{what} must not be empty", details={"field": what})
    _check_unicode(value, what)
    size = len(value.encode("utf-8"))
    if size > limit:
        raise PayloadTooLargeError(
            f"{what} is {size:,} bytes; the limit is {limit:,} bytes",
            details={"field": what, "limit": limit, "size": size},
        )
    return value


def check_json_value(value: Any, what: str = "value") -> str:
    """Return ``value`` as JSON text; raise InvalidInputError or PayloadTooLargeError."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} is not JSON-serialisable: {exc}") from None
    _check_unicode(text, what)
    size = len(text.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        raise PayloadTooLargeError(
            f"{what} is {size:,} bytes of JSON; the limit is {MAX_VALUE_BYTES:,} bytes",
            details={"limit": MAX_VALUE_BYTES, "size": size},
        )
    return text


def require_list(value: Any, what: str) -> list[Any]:
    """Return ``value`` as a list if it is a list/tuple; raise InvalidInputError otherwise."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InvalidInputError(f"{what} must be a list")
    return list(value)


def require_mapping(value: Any, what: str, keys: Iterable[str]) -> Mapping[str, Any]:
    """Return ``value`` if it is a mapping holding every key in ``keys``."""
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{what} must be an object, got {type(value).__name__}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise InvalidInputError(f"{what} is missing {', '.join(repr(k) for k in missing)}")
    return value


def finite(value: Any, what: str) -> float:
    """Return ``value`` as a finite float; raise InvalidInputError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInputError(f"{what} must be a finite number")
    return float(value)
