"""JSON bodies: requests decoded with their nesting checked first; responses always encodable.

``json.loads`` recurses once per nesting level and raises ``RecursionError`` near the
interpreter's limit (about 1,000 levels), and code that walks the decoded data recursively
fails sooner. ``loads_body`` measures the nesting first, at C speed (strings removed by one
regex, the brackets kept by ``bytes.translate``, the running depth summed by
``itertools.accumulate``), and only when the body holds more brackets than the limit.

A Python string can hold a lone surrogate (``"\\ud800"`` arrives through JSON escapes and comes
back in an error message); UTF-8 cannot encode it, so ``JSONWireResponse`` falls back to
ASCII-escaped JSON (``"\\ud800"`` again) rather than failing.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any

from starlette.responses import JSONResponse

from ouroboros.errors import InvalidInputError

__all__ = ["MAX_JSON_DEPTH", "JSONWireResponse", "json_depth", "loads_body"]

MAX_JSON_DEPTH = 512

# A JSON string, possessively; an unterminated one runs to the end, so the scan stays linear.
_STRING = re.compile(rb'"(?:[^"\\]|\\[\s\S]?)*+(?:"|\Z)')
_KEEP = b"[]{}"
_DELETE = bytes(b for b in range(256) if b not in _KEEP)
_STEPS = bytes.maketrans(_KEEP, b"\x01\xff\x01\xff")  # opening +1, closing -1 (as signed bytes)


def json_depth(body: bytes) -> int:
    """Return the deepest nesting of arrays and objects in the JSON text ``body``."""
    brackets = _STRING.sub(b"", body).translate(_STEPS, _DELETE)
    return max(accumulate(array("b", brackets)), default=0)


def loads_body(body: bytes, *, max_depth: int = MAX_JSON_DEPTH, what: str = "the body") -> Any:
    """Return the JSON value of a request body.

    Raises InvalidInputError when the body is not UTF-8, is not JSON, or nests arrays and
    objects deeper than ``max_depth``.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{what} is not UTF-8: byte {exc.start} ({body[exc.start : exc.start + 1]!r}) "
            "does not decode",
            details={"position": exc.start},
        ) from None
    if body.count(b"[") + body.count(b"{") > max_depth:
        depth = json_depth(body)
        if depth > max_depth:
            raise InvalidInputError(
                f"{what} nests arrays and objects {depth} levels deep. Allowed: {max_depth}",
                details={"depth": depth, "max_depth": max_depth},
            )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"malformed JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            details={"line": exc.lineno, "column": exc.colno},
        ) from None
    except RecursionError:  # a deep value the scan under-counted (malformed strings)
        raise InvalidInputError(f"{what} nests too deeply to decode") from None


class JSONWireResponse(JSONResponse):
    """A JSON response that also encodes strings holding lone surrogates (as ``\\uXXXX``)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")
