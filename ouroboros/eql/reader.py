"""EDN reader: EQL text to positioned forms with the Lark grammar (`grammar/eql.lark`).

The reader knows EDN, not EQL: it turns text into `Form` trees whose leaves are the lexer's tokens,
each still carrying its offset, so that `ouroboros.eql.parser` can give them EQL meaning and point
at the exact spot when they make none. Atoms are decoded on demand by `atom_value`.

Speed matters here (every query passes through it), so the Lark LALR parser runs with the
transformer embedded (no tree is built) and a lexer of our own that scans with one regex built from
the grammar's terminals. Nothing is compiled until the first parse.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any, NoReturn

from lark import Lark, Token, Transformer
from lark.lexer import Lexer

from ouroboros.eql.ast import Keyword, Symbol

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Form",
    "ReadError",
    "atom_value",
    "describe",
    "lark_parser",
    "locate",
    "position",
]

MAX_DEPTH = 256
"""The deepest nesting of brackets the reader accepts (a query is rarely deeper than 10)."""

MAX_LENGTH = 1 << 20
"""The longest query text the reader accepts, in characters (1 MiB)."""


class ReadError(Exception):
    """Internal: what is wrong and the text offset where; `parse` turns it into EQLSyntaxError."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class Form:
    """A collection read from text: ``kind`` is vector, map, list, set, tagged or meta.

    ``items`` are the forms inside (tokens for atoms, `Form` for collections); a tagged form holds
    ``[tag_token, value]`` and a meta form ``[metadata, target]``. ``pos`` is the offset of its
    first character.
    """

    __slots__ = ("items", "kind", "pos")

    def __init__(self, kind: str, items: list[Any], pos: int) -> None:
        self.kind = kind
        self.items = items
        self.pos = pos

    def __repr__(self) -> str:
        return f"Form({self.kind!r}, {self.items!r}, pos={self.pos})"


class _Token(Token):
    """A lark Token made with only type, text and offset; the rest are computed when needed."""

    __slots__ = ()
    line = column = end_line = end_column = end_pos = None  # read by lark only on errors
    value = property(str.__str__)


_new_str = str.__new__

_OPENERS = frozenset({"LSQB", "LBRACE", "LPAR", "HASH_LBRACE"})
_CLOSERS = frozenset({"RSQB", "RBRACE", "RPAR"})


class _ScanLexer(Lexer):
    """Lexer: one regex of the grammar's terminals, ignored whitespace folded into each match.

    Every match starts where the previous one ended (an ``UNEXPECTED`` alternative matches any
    stray character and ``END`` the end of text), so the scan is linear and never searches ahead.
    It also counts bracket depth, so a pathologically nested text is refused before it is built.
    """

    def __init__(self, lexer_conf: Any) -> None:
        ignore = set(lexer_conf.ignore)
        skip = "|".join(t.pattern.to_regexp() for t in lexer_conf.terminals if t.name in ignore)
        alternatives = "|".join(
            f"(?P<{t.name}>{t.pattern.to_regexp()})"
            for t in lexer_conf.terminals
            if t.name not in ignore
        )
        self._scan = re.compile(
            f"(?:{skip})*+(?:{alternatives}|(?P<UNEXPECTED>.)|(?P<END>\\Z))", re.S
        )

    def lex(self, text: str) -> Iterator[Token]:  # type: ignore[override]
        depth = 0
        for match in self._scan.finditer(text):
            kind = match.lastgroup or "END"
            if kind == "END":
                return
            start = match.start(kind)
            if kind == "UNEXPECTED":
                raise ReadError(_unexpected_character(text, start), start)
            if kind in _OPENERS:
                depth += 1
                if depth > MAX_DEPTH:
                    raise ReadError(
                        f"the query nests deeper than {MAX_DEPTH} levels of brackets", start
                    )
            elif kind in _CLOSERS:
                depth -= 1
            token = _new_str(_Token, match.group(kind))
            token.type = kind
            token.start_pos = start
            yield token


def _unexpected_character(text: str, pos: int) -> str:
    char = text[pos]
    if char == '"':
        return "unterminated string: no closing '\"'"
    if char == "#":
        return "'#' must start a set #{...}, a discard #_, or a tag like #inst or #uuid"
    if char == "\\":
        return "invalid character literal"
    if char == "'":
        return 'unexpected quote "\'": EDN has no quoting'
    if char.isprintable() and not char.isspace():
        return f"unexpected character {char!r}"
    return f"unexpected character U+{ord(char):04X}"


_Children = list[Any]  # (named before the class: its method `list` would shadow the builtin)


class _FormBuilder(Transformer):
    """Embedded transformer: rule name → method; builds `Form` trees, keeps tokens as leaves."""

    def start(self, children: _Children) -> _Children:
        return children[0] if children else []

    def items_first(self, children: _Children) -> _Children:
        return children

    def items_more(self, children: _Children) -> _Children:
        items: _Children = children[0]
        items.append(children[1])
        return items

    def items_none(self, children: _Children) -> _Children:
        return []

    def items_skip(self, children: _Children) -> _Children:
        return children[0]

    def vector(self, children: _Children) -> Form:
        return Form("vector", children[1] if len(children) == 3 else [], children[0].start_pos)

    def map(self, children: _Children) -> Form:
        return Form("map", children[1] if len(children) == 3 else [], children[0].start_pos)

    def list(self, children: _Children) -> Form:
        return Form("list", children[1] if len(children) == 3 else [], children[0].start_pos)

    def set(self, children: _Children) -> Form:
        return Form("set", children[1] if len(children) == 3 else [], children[0].start_pos)

    def tagged(self, children: _Children) -> Form:
        return Form("tagged", children, children[0].start_pos)

    def meta(self, children: _Children) -> Form:
        return Form("meta", children[1:], children[0].start_pos)

    def discard(self, children: _Children) -> None:
        return None


_build_lock = threading.Lock()
_lark: Lark | None = None


def lark_parser() -> Lark:
    """Return the one Lark LALR parser (built on first use from the packaged grammar)."""
    global _lark
    if _lark is None:
        with _build_lock:
            if _lark is None:
                grammar = resources.files("ouroboros.grammar").joinpath("eql.lark")
                _lark = Lark(
                    grammar.read_text(encoding="utf-8"),
                    parser="lalr",
                    lexer=_ScanLexer,
                    transformer=_FormBuilder(),
                    maybe_placeholders=False,
                )
    return _lark


# --- positions and descriptions ------------------------------------------------------------


def position(item: Any) -> int:
    """Return the text offset where a form (token or `Form`) starts."""
    return item.pos if type(item) is Form else item.start_pos


def locate(text: str, pos: int) -> tuple[int, int, str]:
    """Return ``(line, column, context)`` for an offset: 1-based, context = the line + a caret."""
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    if end < 0:
        end = len(text)
    column = pos - start + 1
    source = text[start:end].rstrip("\r")
    offset = pos - start
    # Keep long lines readable: a window around the spot.
    if len(source) > 100:
        lo = max(0, offset - 60)
        hi = min(len(source), lo + 100)
        prefix = "..." if lo > 0 else ""
        source = prefix + source[lo:hi] + ("..." if hi < len(source) else "")
        offset = offset - lo + len(prefix)
    pad = "".join("\t" if c == "\t" else " " for c in source[:offset])
    return line, column, f"{source}\n{pad}^"


_TOKEN_NAMES = {
    "KEYWORD": "a keyword",
    "SYMBOL": "a symbol",
    "STRING": "a string",
    "NUMBER": "a number",
    "CHAR": "a character",
    "SPECIAL": "a number",
    "TAG": "a tag",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LPAR": "'('",
    "RPAR": "')'",
    "HASH_LBRACE": "'#{'",
    "DISCARD": "'#_'",
    "CARET": "'^'",
    "$END": "the end of the query",
}

_FORM_NAMES = {
    "vector": "a vector [...]",
    "map": "a map {...}",
    "list": "a list (...)",
    "set": "a set #{...}",
    "tagged": "a tagged value",
    "meta": "a form with metadata",
}


def describe(item: Any) -> str:
    """Return a short description of a form for messages: ``a keyword :a``, ``a map {...}``."""
    if type(item) is Form:
        if item.kind == "tagged":
            return f"a tagged value {item.items[0]}"
        return _FORM_NAMES[item.kind]
    kind = item.type
    if kind == "SYMBOL" and item in ("true", "false", "nil"):
        return str(item)
    name = _TOKEN_NAMES.get(kind, kind)
    if kind in ("KEYWORD", "SYMBOL", "NUMBER", "TAG", "SPECIAL", "CHAR"):
        text = str(item)
        return f"{name} {text if len(text) <= 40 else text[:37] + '...'}"
    if kind == "STRING":
        text = str(item)
        shown = text if len(text) <= 40 else text[:36] + '..."'
        return f"{name} {shown}"
    return name


# --- atoms ---------------------------------------------------------------------------------

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
