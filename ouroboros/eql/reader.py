"""EDN reader: EQL text to positioned forms with the Lark grammar (`grammar/eql.lark`).

The reader knows EDN, not EQL: it turns text into `Form` trees whose leaves are the lexer's tokens,
each still carrying its offset, so that `ouroboros.eql.parser` can give them EQL meaning and point
at the exact spot when they make none (atoms are decoded on demand, see `ouroboros.eql.atoms`).

Every query passes through here, so it is built for speed. Lark compiles the grammar into LALR
tables once, on first use, with the form-building transformer embedded (its methods are the rule
callbacks, so no tree is built and our exceptions propagate unwrapped). `read` then runs those
tables and callbacks in one tight loop fused with a single-regex scanner built from the grammar's
terminals, which is about twice as fast as lark's general-purpose driver; if a future lark keeps its
tables elsewhere, `read` falls back to ``Lark.parse`` with the same scanner and the same errors.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from importlib import resources
from typing import Any

from lark import Lark, Transformer
from lark.exceptions import UnexpectedToken
from lark.lexer import Lexer

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Form",
    "ReadError",
    "describe",
    "lark_parser",
    "locate",
    "position",
    "read",
]

logger = logging.getLogger(__name__)

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


class Token(str):
    """A token: its text, its terminal ``type`` and its offset ``start_pos``.

    A plain ``str`` subclass (not lark's Token, whose Python-level ``__eq__`` makes every dict
    lookup by token text slow); the position attributes lark reads when it reports an error are
    class-level ``None``.
    """

    __slots__ = ("start_pos", "type")
    line = column = end_line = end_column = end_pos = None

    type: str
    start_pos: int

    @property
    def value(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {str(self)!r}, {self.start_pos})"


_new_str = str.__new__

_OPENERS = frozenset({"LSQB", "LBRACE", "LPAR", "HASH_LBRACE"})
_CLOSERS = frozenset({"RSQB", "RBRACE", "RPAR"})
# What a terminal does to the bracket depth; 0 marks the scanner's END and UNEXPECTED.
_NESTING = {
    **dict.fromkeys(_OPENERS, 1),
    **dict.fromkeys(_CLOSERS, -1),
    "END": 0,
    "UNEXPECTED": 0,
}
_TOO_DEEP = f"the query nests deeper than {MAX_DEPTH} levels of brackets"


def _scanner(lexer_conf: Any) -> re.Pattern[str]:
    """One regex for all terminals, with the ignored ones (whitespace, comments) as a prefix.

    An ``UNEXPECTED`` alternative matches any stray character and ``END`` the end of the text,
    so every match starts where the previous one ended: the scan is linear, never searches ahead.
    The prefix is possessive, so a long run of whitespace is never backtracked over.
    """
    ignore = set(lexer_conf.ignore)
    skip = "|".join(t.pattern.to_regexp() for t in lexer_conf.terminals if t.name in ignore)
    alternatives = "|".join(
        f"(?P<{t.name}>{t.pattern.to_regexp()})"
        for t in lexer_conf.terminals
        if t.name not in ignore
    )
    return re.compile(f"(?:{skip})*+(?:{alternatives}|(?P<UNEXPECTED>.)|(?P<END>\\Z))", re.S)


class _ScanLexer(Lexer):
    """The lexer lark is built with (`read` uses its regex directly); counts bracket depth."""

    def __init__(self, lexer_conf: Any) -> None:
        self.scan = _scanner(lexer_conf)

    def lex(self, text: str) -> Iterator[Token]:  # type: ignore[override]
        depth = 0
        for match in self.scan.finditer(text):
            kind = match.lastgroup or "END"
            if kind == "END":
                return
            start = match.start(kind)
            if kind == "UNEXPECTED":
                raise ReadError(_unexpected_character(text, start), start)
            if kind in _OPENERS:
                depth += 1
                if depth > MAX_DEPTH:
                    raise ReadError(_TOO_DEEP, start)
            elif kind in _CLOSERS:
                depth -= 1
            token = _new_str(Token, match.group(kind))
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


# --- building and running the parser -------------------------------------------------------


class _Tables:
    """Lark's LALR tables re-keyed for `read`: state → terminal → (shift?, state | reduction)."""

    __slots__ = ("actions", "end", "scan", "start")

    def __init__(self, lark: Lark) -> None:
        from lark.parsers.lalr_analysis import Shift

        frontend = lark.parser
        table = frontend.parser.parser.parse_table  # the LALR analysis of lark's LALR frontend
        callbacks = frontend.parser.parser.callbacks  # our transformer's methods, wrapped by lark
        self.scan: re.Pattern[str] = frontend.lexer.lexer.scan
        self.start: int = table.start_states["start"]
        self.end: int = table.end_states["start"]
        self.actions: dict[int, dict[str, tuple[bool, Any]]] = {
            state: {
                str(symbol): (True, arg)
                if action is Shift
                else (False, (len(arg.expansion), callbacks[arg], str(arg.origin.name)))
                for symbol, (action, arg) in row.items()
            }
            for state, row in table.states.items()
        }


_build_lock = threading.Lock()
_lark: Lark | None = None
_tables: _Tables | None = None
_tables_failed = False


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


def _fast_tables() -> _Tables | None:
    global _tables, _tables_failed
    if _tables is None and not _tables_failed:
        lark = lark_parser()
        try:
            _tables = _Tables(lark)
        except (AttributeError, KeyError, TypeError):  # pragma: no cover - another lark layout
            logger.warning("lark internals moved: EQL parsing falls back to Lark.parse (slower)")
            _tables_failed = True
    return _tables


def read(text: str) -> list[Any]:
    """Return the top-level forms of an EDN text; ReadError says what is wrong and where."""
    tables = _fast_tables()
    if tables is None:  # pragma: no cover - exercised by a test that forces the fallback
        return _read_with_lark(text)
    actions = tables.actions
    end = tables.end
    states = [tables.start]
    values: list[Any] = []
    push_state = states.append
    push_value = values.append
    depth = 0
    for match in tables.scan.finditer(text):
        kind = match.lastgroup or "END"
        nesting = _NESTING.get(kind)
        token: Token | None
        if nesting is None or nesting > 0:  # an atom or an opening bracket: keep text and place
            token = atom = _new_str(Token, match.group(kind))
            atom.type = kind
            atom.start_pos = match.start(kind)
            if nesting:
                depth += 1
                if depth > MAX_DEPTH:
                    raise ReadError(_TOO_DEEP, match.start(kind))
        elif nesting < 0:  # a closing bracket: its value is never read, its place only on error
            token = None
            depth -= 1
        elif kind == "END":
            break
        else:
            start = match.start(kind)
            raise ReadError(_unexpected_character(text, start), start)
        while True:
            step = actions[states[-1]].get(kind)
            if step is None:
                if token is None:
                    token = atom = _new_str(Token, match.group(kind))
                    atom.type = kind
                    atom.start_pos = match.start(kind)
                raise ReadError(*_unexpected(token, values, text))
            shift, arg = step
            if shift:
                push_state(arg)
                push_value(token)
                break
            size, callback, origin = arg
            if size:
                children = values[-size:]
                del states[-size:]
                del values[-size:]
            else:
                children = []
            push_value(callback(children))
            push_state(actions[states[-1]][origin][1])
    while True:  # the end of the text: reduce until the start rule is complete
        step = actions[states[-1]].get("$END")
        if step is None or step[0]:
            raise ReadError(*_unexpected(None, values, text))
        size, callback, origin = step[1]
        if size:
            children = values[-size:]
            del states[-size:]
            del values[-size:]
        else:
            children = []
        value = callback(children)
        state = actions[states[-1]][origin][1]
        if state == end:
            return value
        push_state(state)
        push_value(value)


def _read_with_lark(text: str) -> list[Any]:
    try:
        return lark_parser().parse(text)  # type: ignore[return-value]
    except UnexpectedToken as exc:
        token = None if exc.token.type == "$END" else exc.token
        stack = exc.state.value_stack if exc.state is not None else []
        raise ReadError(*_unexpected(token, stack, text)) from None


_CLOSING = {
    "LSQB": ("]", "vector"),
    "LBRACE": ("}", "map"),
    "LPAR": (")", "list"),
    "HASH_LBRACE": ("}", "set"),
}
_NEEDS_FORM = {
    "CARET": "metadata ^ must be followed by a map or keyword and then the form it applies to",
    "TAG": "a tag must be followed by the value it tags",
    "DISCARD": "#_ must be followed by the form it discards",
}


def _unexpected(token: Token | None, stack: list[Any], text: str) -> tuple[str, int]:
    """Explain a token the grammar did not expect (None: the end of the text) from the stack."""
    found = describe(token) if token is not None else "the end of the query"
    pos = len(text.rstrip()) if token is None else token.start_pos  # the end: after the last form
    last = stack[-1] if stack else None
    if type(last) is Token and last.type in _NEEDS_FORM:
        return f"{_NEEDS_FORM[last.type]}, found {found}", pos
    opener = next(
        (v for v in reversed(stack) if type(v) is Token and v.type in _CLOSING),
        None,
    )
    if opener is not None:
        close, kind = _CLOSING[opener.type]
        line, column, _ = locate(text, opener.start_pos)
        return (
            f"expected '{close}' to close the {kind} opened at line {line}, column {column}, "
            f"found {found}",
            pos,
        )
    if token is not None and token.type in ("RSQB", "RBRACE", "RPAR"):
        return f"unmatched {found}: nothing is open here", pos
    return f"unexpected {found}", pos  # pragma: no cover - the cases above cover the grammar


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
