"""``Glob``: glob patterns over ``/``-separated paths, matched segment by segment without backtracking.

A regex for ``**a**a**a…b`` (``.*a.*a.*a…b``) backtracks exponentially on a name that almost
matches. Here a pattern is split at ``/`` into segments and each segment at ``*`` into chunks;
chunks are found leftmost-first in the segment, and segment groups leftmost-first between
``**`` segments. Leftmost-first is exact for patterns whose only variable-length parts are
``*`` (and ``**``), so no choice is ever revisited: matching costs at most
O(len(path) × len(pattern)), and the pattern's length and wildcards are capped.

- ``*`` any run of characters within one segment, ``?`` one character, ``[abc]`` / ``[a-z]`` /
  ``[!a-z]`` one character of (or not of) a class;
- ``**`` as a whole segment: zero or more segments; inside a segment it is ``*``;
- a pattern without ``/`` matches file names at any depth (``*.py`` is ``**/*.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ouroboros.errors import InvalidInputError

__all__ = ["MAX_GLOB_LENGTH", "MAX_GLOB_WILDCARDS", "Glob", "compile_glob"]

MAX_GLOB_LENGTH = 1024
MAX_GLOB_WILDCARDS = 64


@dataclass(frozen=True)
class _Class:
    """``[...]``: one character in (or, negated, not in) the listed characters and ranges."""

    negate: bool
    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...]

    def matches(self, c: str) -> bool:
        inside = c in self.chars or any(lo <= c <= hi for lo, hi in self.ranges)
        return inside != self.negate


_ANY = object()  # ``?``
Token = str | _Class | object  # a literal character, a class, or ``_ANY``
Chunk = tuple[Token, ...]


def _chunk_at(chunk: Chunk, text: str, at: int) -> bool:
    if at + len(chunk) > len(text):
        return False
    for offset, token in enumerate(chunk):
        c = text[at + offset]
        if token is _ANY:
            continue
        if isinstance(token, _Class):
            if not token.matches(c):
                return False
        elif token != c:
            return False
    return True


def _find(chunk: Chunk, text: str, start: int) -> int:
    """Return the leftmost position ``>= start`` where ``chunk`` matches ``text``, or -1."""
    if all(isinstance(t, str) for t in chunk):
        return text.find("".join(chunk), start)  # type: ignore[arg-type]
    for at in range(start, len(text) - len(chunk) + 1):
        if _chunk_at(chunk, text, at):
            return at
    return -1


@dataclass(frozen=True)
class _Segment:
    """One path segment's pattern: chunks separated by ``*`` (``starred`` if any ``*``)."""

    chunks: tuple[Chunk, ...]
    starred: bool

    def matches(self, name: str) -> bool:
        chunks = self.chunks
        if not self.starred:
            return len(chunks[0]) == len(name) and _chunk_at(chunks[0], name, 0)
        first, *middle, last = chunks
        if len(first) + len(last) > len(name):
            return False
        if not _chunk_at(first, name, 0) or not _chunk_at(last, name, len(name) - len(last)):
            return False
        at, end = len(first), len(name) - len(last)
        for chunk in middle:
            found = _find(chunk, name[:end], at)
            if found < 0:
                return False
            at = found + len(chunk)
        return True


def _parse_class(pattern: str, i: int) -> tuple[_Class, int] | None:
    """Parse ``[...]`` starting at ``pattern[i] == "["``; None when it is not closed."""
    j = i + 1
    negate = j < len(pattern) and pattern[j] == "!"
    if negate:
        j += 1
    end = pattern.find("]", j + 1)  # a "]" right after "[" (or "[!") is a member
    if end == -1:
        return None
    body = pattern[j:end]
    chars: set[str] = set()
    ranges: list[tuple[str, str]] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            lo, hi = body[k], body[k + 2]
            if lo > hi:
                raise InvalidInputError(
                    f"bad character range {lo}-{hi} in glob pattern segment {pattern!r}",
                    details={"segment": pattern},
                )
            ranges.append((lo, hi))
            k += 3
        else:
            chars.add(body[k])
            k += 1
    return _Class(negate, frozenset(chars), tuple(ranges)), end + 1


def _segment(text: str) -> _Segment:
    chunks: list[Chunk] = []
    current: list[Token] = []
    starred = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == "*":
            chunks.append(tuple(current))
            current = []
            starred = True
            while i < len(text) and text[i] == "*":
                i += 1
            continue
        if c == "?":
            current.append(_ANY)
        elif c == "[" and (parsed := _parse_class(text, i)) is not None:
            token, i = parsed
            current.append(token)
            continue
        else:
            current.append(c)
        i += 1
    chunks.append(tuple(current))
    return _Segment(tuple(chunks), starred)


@dataclass(frozen=True)
class Glob:
    """A compiled glob: ``match(path)`` says whether a ``/``-separated relative path matches."""

    pattern: str
    # groups of segment patterns separated by ``**``; ``anchored_start/end``: no ``**`` before
    # the first / after the last group.
    groups: tuple[tuple[_Segment, ...], ...]
    anchored_start: bool
    anchored_end: bool

    def match(self, path: str) -> bool:
        """Return whether ``path`` matches (in O(len(path) × len(pattern)))."""
        names = path.split("/")
        groups = self.groups
        if self.anchored_start and self.anchored_end and len(groups) == 1:
            return len(names) == len(groups[0]) and all(
                s.matches(n) for s, n in zip(groups[0], names, strict=True)
            )
        at, end = 0, len(names)
        first, last = 0, len(groups)
        if self.anchored_start:
            head = groups[0]
            if not self._group_at(head, names, 0, end):
                return False
            at, first = len(head), 1
        if self.anchored_end and last > first:
            tail = groups[-1]
            start = end - len(tail)
            if start < at or not self._group_at(tail, names, start, end):
                return False
            end, last = start, last - 1
        for group in groups[first:last]:
            found = next(
                (
                    j
                    for j in range(at, end - len(group) + 1)
                    if self._group_at(group, names, j, end)
                ),
                -1,
            )
            if found < 0:
                return False
            at = found + len(group)
        return True

    @staticmethod
    def _group_at(group: tuple[_Segment, ...], names: list[str], at: int, end: int) -> bool:
        if at + len(group) > end:
            return False
        return all(s.matches(names[at + k]) for k, s in enumerate(group))


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> Glob:
    """Return the ``Glob`` for ``pattern`` (see the module docstring for the syntax).

    Raises ``InvalidInputError`` for a pattern longer than ``MAX_GLOB_LENGTH`` characters,
    with more than ``MAX_GLOB_WILDCARDS`` wildcards, or with a reversed range like ``[z-a]``.
    """
    if len(pattern) > MAX_GLOB_LENGTH:
        raise InvalidInputError(
            f"a glob pattern is at most {MAX_GLOB_LENGTH} characters ({len(pattern)} given)",
            details={"max_length": MAX_GLOB_LENGTH},
        )
    wildcards = sum(pattern.count(c) for c in "*?[")
    if wildcards > MAX_GLOB_WILDCARDS:
        raise InvalidInputError(
            f"a glob pattern has at most {MAX_GLOB_WILDCARDS} wildcards ({wildcards} given)",
            details={"max_wildcards": MAX_GLOB_WILDCARDS},
        )
    text = pattern if "/" in pattern else "**/" + pattern
    parts = text.split("/")
    groups: list[tuple[_Segment, ...]] = []
    current: list[_Segment] = []
    for part in parts:
        if part == "**":
            groups.append(tuple(current))
            current = []
        else:
            current.append(_segment(part))
    groups.append(tuple(current))
    anchored_start, anchored_end = bool(groups[0]), bool(groups[-1])
    kept = tuple(g for g in groups if g)
    if not kept:  # only "**": everything
        return Glob(pattern, (), False, False)
    return Glob(pattern, kept, anchored_start, anchored_end)
