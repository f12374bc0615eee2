"""Splitting Markdown and plain text into chunks of at most a token size, with line ranges.

Blocks first: a Markdown heading (``#`` to ``######``) starts a section; blank lines end a
paragraph; a fenced code block (```` ``` ```` or ``~~~``) is one block. Consecutive blocks of a
section are packed into one chunk while they fit ``max_tokens``; a heading always starts a new
chunk. A block too big alone is split at sentence ends, and a sentence too big alone at word
boundaries. Chunks after the first of a section carry the section's heading trail as their first
line (``Guide > Install``), so a passage is found by the words of its heading too.
Lines are numbered from 1; a chunk's range is its first and last source line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ouroboros.memory.tokenizer import count_tokens

__all__ = ["DEFAULT_CHUNK_TOKENS", "Chunk", "chunk_text"]

DEFAULT_CHUNK_TOKENS = 200
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=\S)")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk: its text, its first and last source line, and the heading trail above it."""

    text: str
    first_line: int
    last_line: int
    headings: tuple[str, ...]


@dataclass
class _Block:
    text: str
    first: int
    last: int
    heading: bool


def _blocks(lines: list[str], markdown: bool) -> Iterator[tuple[_Block, tuple[str, ...]]]:
    trail: list[tuple[int, str]] = []
    para: list[str] = []
    start = 0
    fence: str | None = None

    def flush(end: int) -> _Block | None:
        nonlocal para
        if not para:
            return None
        block = _Block("\n".join(para).strip("\n"), start, end, False)
        para = []
        return block if block.text.strip() else None

    for i, line in enumerate(lines, 1):
        if fence is not None:
            para.append(line)
            if line.strip().startswith(fence):
                fence = None
                b = flush(i)
                if b:
                    yield b, tuple(t for _, t in trail)
            continue
        m = _HEADING.match(line) if markdown else None
        if m:
            b = flush(i - 1)
            if b:
                yield b, tuple(t for _, t in trail)
            level = len(m.group(1))
            trail = [(lv, t) for lv, t in trail if lv < level] + [(level, m.group(2))]
            yield _Block(line.strip(), i, i, True), tuple(t for _, t in trail)
            continue
        f = _FENCE.match(line) if markdown else None
        if f:
            b = flush(i - 1)
            if b:
                yield b, tuple(t for _, t in trail)
            fence = f.group(1)
            start = i
            para = [line]
            continue
        if not line.strip():
            b = flush(i - 1)
            if b:
                yield b, tuple(t for _, t in trail)
            continue
        if not para:
            start = i
        para.append(line)
    b = flush(len(lines))
    if b:
        yield b, tuple(t for _, t in trail)


def _split_big(block: _Block, max_tokens: int) -> Iterator[_Block]:
    """Split a block at sentence ends (then words) into pieces that fit ``max_tokens``."""
    pieces: list[str] = []
    for sentence in _SENTENCE.split(block.text):
        if count_tokens(sentence) <= max_tokens:
            pieces.append(sentence)
            continue
        words = sentence.split(" ")
        cur: list[str] = []
        for word in words:
            if cur and count_tokens(" ".join([*cur, word])) > max_tokens:
                pieces.append(" ".join(cur))
                cur = []
            cur.append(word)
        if cur:
            pieces.append(" ".join(cur))
    line = block.first
    buf: list[str] = []
    buf_first = line
    for piece in pieces:
        if buf and count_tokens(" ".join([*buf, piece])) > max_tokens:
            text = " ".join(buf)
            yield _Block(text, buf_first, line, False)
            buf = []
            buf_first = line
        buf.append(piece)
        line += piece.count("\n")
    if buf:
        yield _Block(" ".join(buf), buf_first, block.last, False)


def chunk_text(
    text: str, *, max_tokens: int = DEFAULT_CHUNK_TOKENS, markdown: bool = True
) -> list[Chunk]:
    """Return the chunks of ``text`` (see the module docstring); empty text gives none."""
    if max_tokens < 16:
        raise ValueError("max_tokens must be at least 16")
    lines = text.splitlines()
    chunks: list[Chunk] = []
    cur: list[_Block] = []
    cur_trail: tuple[str, ...] = ()
    cur_tokens = 0

    def emit() -> None:
        nonlocal cur, cur_tokens
        if not cur:
            return
        body = "\n\n".join(b.text for b in cur)
        if cur_trail and not cur[0].heading:
            body = " > ".join(cur_trail) + "\n" + body
        chunks.append(Chunk(body, cur[0].first, cur[-1].last, cur_trail))
        cur = []
        cur_tokens = 0

    for block, trail in _blocks(lines, markdown):
        if block.heading or trail != cur_trail:
            emit()
            cur_trail = trail
        size = count_tokens(block.text)
        parts = [block] if size <= max_tokens else list(_split_big(block, max_tokens))
        for part in parts:
            n = size if part is block else count_tokens(part.text)
            heading_only = len(cur) == 1 and cur[0].heading
            if cur and cur_tokens + n > max_tokens and not heading_only:
                emit()
            cur.append(part)
            cur_tokens += n
    emit()
    return chunks
