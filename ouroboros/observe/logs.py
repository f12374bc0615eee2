"""Structured logs: JSON or text lines on stderr, each with its request id and trace id, redacted.

``configure(fmt, level)`` sets the root logger up once per process; ``fmt`` is ``"json"`` or
``"text"`` (default: ``$OUROBOROS_LOG_FORMAT``, else text). uvicorn's loggers propagate to it, so
its access lines get the same format, ids and redaction (query strings included)::

    {"time": "2026-12-01T22:31:54.120Z", "level": "INFO", "logger": "uvicorn.access",
     "message": "127.0.0.1:5 - \\"GET /graphql?token=%5Bredacted%5D HTTP/1.1\\" 200",
     "request_id": "3f2a...", "trace_id": "4bf92f...", "http": {"method": "GET", ...}}
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any, TextIO

from ouroboros.errors import InvalidInputError
from ouroboros.observe.context import current_request_id
from ouroboros.observe.redact import redact_text

__all__ = [
    "FORMATS",
    "ContextFilter",
    "JsonFormatter",
    "TextFormatter",
    "configure",
    "current_format",
    "make_handler",
]

FORMATS = ("text", "json")
ENV = "OUROBOROS_LOG_FORMAT"

_state: dict[str, Any] = {"format": None}


def current_format() -> str:
    """Return the chosen log format: the last ``configure``'s, else ``$OUROBOROS_LOG_FORMAT``."""
    chosen = _state["format"] or os.environ.get(ENV, "").strip().lower() or "text"
    if chosen not in FORMATS:
        raise InvalidInputError(f"{ENV}={chosen!r}: the log format is 'json' or 'text'")
    return str(chosen)


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``trace_id`` (None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "trace_id"):
            from ouroboros.observe.tracing import current_trace_id

            try:
                record.trace_id = current_trace_id()
            except Exception:  # never lose a log line for a trace id
                record.trace_id = None
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:
        text = str(record.msg)
    return redact_text(text)


def _access(record: logging.LogRecord) -> dict[str, Any] | None:
    """uvicorn's access record args: (client, method, path with query, http version, status)."""
    if record.name != "uvicorn.access" or not isinstance(record.args, tuple):
        return None
    if len(record.args) != 5:
        return None
    client, method, path, version, status = record.args
    return {
        "client": str(client),
        "method": str(method),
        "path": redact_text(str(path)),
        "version": str(version),
        "status": status,
    }


def _iso(created: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
        + f".{int(created % 1 * 1000):03d}Z"
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, trace_id (+ http)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
            "request_id": getattr(record, "request_id", None),
            "trace_id": getattr(record, "trace_id", None),
        }
        access = _access(record)
        if access is not None:
            out["http"] = access
        if record.exc_info:
            out["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [request_id trace_id] message`` (ids shown as ``-`` when absent)."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or "-"
        trace_id = getattr(record, "trace_id", None) or "-"
        line = (
            f"{_iso(record.created)} {record.levelname:<7} {record.name} "
            f"[req={request_id} trace={trace_id}] {_message(record)}"
        )
        if record.exc_info:
            line += "\n" + redact_text(self.formatException(record.exc_info))
        return line


def make_handler(fmt: str | None = None, stream: TextIO | None = None) -> logging.Handler:
    """Return a stream handler (stderr by default) with the formatter for ``fmt`` and the ids."""
    fmt = fmt or current_format()
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown log format {fmt!r}: use 'json' or 'text'")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler._ouroboros = True  # type: ignore[attr-defined]
    return handler


def configure(fmt: str | None = None, level: int | str | None = None) -> None:
    """Send every log record to stderr in ``fmt`` (remembered for later calls) at ``level``.

    Replaces the root logger's handlers; uvicorn's loggers are made to propagate to it.
    Raises InvalidInputError for an unknown format.
    """
    if fmt is not None:
        if fmt not in FORMATS:
            raise InvalidInputError(f"unknown log format {fmt!r}: use 'json' or 'text'")
        _state["format"] = fmt
    root = logging.getLogger()
    root.handlers[:] = [make_handler()]
    if level is not None:
        root.setLevel(logging.getLevelName(level.upper()) if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
