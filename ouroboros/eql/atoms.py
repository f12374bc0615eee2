"""EDN atoms: the Python value of each atom token (keyword, symbol, string, number, ...).

Atoms reach the parser as tokens that still carry their text offset; these functions decode them
on demand and raise `ReadError` at the offending spot when a token is malformed (``1.2.3``,
``:a/b/c``, ``"\\q"``). Keywords and symbols are cached by text: queries repeat attribute names.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from ouroboros.eql.ast import Keyword, Symbol
from ouroboros.eql.reader import ReadError

__all__ = [
    "atom_value",
    "char_value",
    "inst_value",
    "keyword_value",
    "number_value",
    "special_value",
    "string_value",
    "symbol_value",
    "uuid_value",
]

_CACHE_LIMIT = 4096
_keywords: dict[str, Keyword] = {}
_symbols: dict[str, Any] = {"true": True, "false": False, "nil": None}


def keyword_value(token: Any) -> Keyword:
    """Return the `Keyword` a KEYWORD token denotes; raise ReadError if it is malformed."""
    value = _keywords.get(token)
    if value is None:
        text = str(token)[1:]
        problem = _name_problem(text, "keyword")
        if problem:
            raise ReadError(problem, token.start_pos)
        value = Keyword(text)
        if len(_keywords) >= _CACHE_LIMIT:
            _keywords.clear()
        _keywords[str(token)] = value
    return value


def symbol_value(token: Any) -> Any:
    """Return the `Symbol` (or true/false/nil) a SYMBOL token denotes; ReadError if malformed."""
    try:
        return _symbols[token]
    except KeyError:
        pass
    text = str(token)
    if text != "/":
        problem = _name_problem(text, "symbol")
        if problem:
            raise ReadError(problem, token.start_pos)
    value = Symbol(text)
    if len(_symbols) >= _CACHE_LIMIT:
        _symbols.clear()
        _symbols.update(true=True, false=False, nil=None)
    _symbols[text] = value
    return value


def _name_problem(text: str, what: str) -> str | None:
    if not text:
        return f"a {what} needs a name after ':'" if what == "keyword" else f"empty {what}"
    if text[0] == ":":
        return f"'::{text[1:]}' is not EDN: auto-resolved keywords exist only in Clojure source"
    if "/" in text:
        ns, _, name = text.partition("/")
        if not ns or not name:
            return f"invalid {what} {_shown(what, text)}: namespace and name around '/' must both be present"
        if "/" in name:
            return f"invalid {what} {_shown(what, text)}: only one '/' is allowed"
    return None


def _shown(what: str, text: str) -> str:
    return f":{text}" if what == "keyword" else text


_INT = re.compile(r"([+-]?)(0|[1-9][0-9]*)(N?)")
_FLOAT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")


def number_value(token: Any) -> int | float | Decimal:
    """Return the int, float or Decimal (``M`` suffix) a NUMBER token denotes."""
    text = str(token)
    match = _INT.fullmatch(text)
    try:
        if match:
            return int(text[:-1] if match.group(3) else text)
        if text.endswith("M"):
            body = text[:-1]
            if _FLOAT.fullmatch(body):
                return Decimal(body)
        elif _FLOAT.fullmatch(text):
            return float(text)
    except (ValueError, InvalidOperation):
        raise ReadError(
            f"number too long: {text[:20]}... has {len(text)} digits", token.start_pos
        ) from None
    hint = ""
    if re.fullmatch(r"[+-]?0[0-9]+", text):
        hint = " (leading zeros are not allowed)"
    elif re.fullmatch(r"[+-]?0[xX][0-9a-fA-F]+", text) or re.fullmatch(r"[+-]?[0-9]+/[0-9]+", text):
        hint = " (EDN has no hexadecimal or ratio literals)"
    return _refuse(f"invalid number {text[:40]}{hint}", token.start_pos)


_SPECIALS = {"##Inf": float("inf"), "##-Inf": float("-inf"), "##NaN": float("nan")}
_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\", '"': '"', "b": "\b", "f": "\f"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)


def string_value(token: Any) -> str:
    """Return the text a STRING token denotes (escapes decoded, surrogate pairs joined)."""
    body = str(token)[1:-1]
    if "\\" not in body:
        return body
    origin = token.start_pos + 1
    parts: list[str] = []
    last = 0
    surrogates = False
    for match in _ESCAPE.finditer(body):
        parts.append(body[last : match.start()])
        last = match.end()
        code = match.group(1)
        if len(code) == 5:
            point = int(code[1:], 16)
            surrogates = surrogates or 0xD800 <= point <= 0xDFFF
            parts.append(chr(point))
            continue
        escaped = _ESCAPES.get(code)
        if escaped is None:
            if code == "u":
                _refuse("invalid \\u escape: four hex digits must follow", origin + match.start())
            _refuse(f"invalid escape \\{code} in a string", origin + match.start())
        parts.append(escaped)
    parts.append(body[last:])
    text = "".join(parts)
    if surrogates:
        try:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            _refuse("invalid \\u escape: an unpaired surrogate", token.start_pos)
    return text


_CHARS = {
    "newline": "\n",
    "return": "\r",
    "space": " ",
    "tab": "\t",
    "formfeed": "\f",
    "backspace": "\b",
}


def char_value(token: Any) -> str:
    """Return the one-character string a CHAR token (``\\a``, ``\\newline``, ``\\u00e9``) denotes."""
    body = str(token)[1:]
    if len(body) == 1:
        return body
    if body in _CHARS:
        return _CHARS[body]
    return chr(int(body[1:], 16))


def special_value(token: Any) -> float:
    """Return the float a SPECIAL token (``##Inf``, ``##-Inf``, ``##NaN``) denotes."""
    value = _SPECIALS.get(str(token))
    if value is None:
        _refuse(
            f"unknown symbolic value {str(token)[:40]} (EDN has ##Inf, ##-Inf and ##NaN)",
            token.start_pos,
        )
    return value


def atom_value(token: Any) -> Any:
    """Return the Python value of an atom token (keyword, symbol, string, number, character)."""
    return _ATOMS[token.type](token)


_ATOMS = {
    "KEYWORD": keyword_value,
    "SYMBOL": symbol_value,
    "STRING": string_value,
    "NUMBER": number_value,
    "CHAR": char_value,
    "SPECIAL": special_value,
}


def inst_value(text: str, pos: int) -> datetime:
    """Return the timezone-aware datetime of an ``#inst`` string (no offset means UTC)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        if re.fullmatch(r"[0-9]{4}(-[0-9]{2})?", text):  # EDN allows "1985" and "1985-04"
            value = datetime.fromisoformat(text + "-01" * (2 - text.count("-")))
        else:
            _refuse(
                f"invalid #inst timestamp {text[:40]!r} (expected RFC 3339, e.g. 1985-04-12T23:20:50Z)",
                pos,
            )
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def uuid_value(text: str, pos: int) -> uuid.UUID:
    """Return the UUID of a ``#uuid`` string."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return _refuse(f"invalid #uuid {text[:40]!r}", pos)


def _refuse(message: str, pos: int) -> NoReturn:
    raise ReadError(message, pos)
