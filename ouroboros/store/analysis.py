"""The text analyzer of keyword search: Unicode words, case folding, Snowball stems, phrases.

Documents and queries go through the same steps, so a query word matches a document word when
their stems are equal:

1. NFKC-normalise and case-fold the text;
2. split it into words: runs of letters, digits and ``_``, with inner apostrophes kept
   (``caroline's``, ``don't``), so a possessive is one word and not ``caroline`` + ``s``;
3. stem each word with the English Snowball stemmer (PyStemmer, the C implementation), so ``teas`` and ``tea``, ``painting`` and ``painted`` meet. ``caroline's`` stems to
   ``carolin`` like ``Caroline``.

There is no prefix matching: ``car`` does not find ``Carol``.

Queries add two things (``parse_query``):
- a double-quoted part (``"green tea"``) is an exact phrase: a matching document holds those
  stems one after the other within one field (one observation, or the name);
- common English function words (``the``, ``did``, ``when``, ...) are dropped from the query
  words when at least one other word is left, because the ranking prefers documents holding
  *every* query word and a question's function words would otherwise decide it. Inside a
  phrase they are kept (and must match).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "STOP_WORDS",
    "ParsedQuery",
    "analyze",
    "contains_phrase",
    "parse_query",
    "stem",
    "words",
]

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_PHRASE = re.compile(r'"([^"]*)"')

# Function words only (no content words), so dropping them never loses what a query is about.
_STOP_TEXT = """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
s t ll re ve d m o y ma
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def _load_stemmer() -> Callable[[list[str]], list[str]]:
    import Stemmer  # PyStemmer: a runtime dependency, imported here so its name stays local

    return Stemmer.Stemmer("english").stemWords


_stem_words = _load_stemmer()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the English Snowball stem of one (already case-folded) word."""
    return _stem_words([word])[0].replace("’", "'")


def words(text: str) -> list[str]:
    """Return the case-folded words of ``text`` (NFKC), before stemming."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def analyze(text: str) -> list[str]:
    """Return the index terms of ``text``: its words, stemmed, in order."""
    return [stem(w) for w in words(text)]


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A keyword query: the stems to rank by, and the phrases a match must contain."""

    terms: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]


def parse_query(text: str) -> ParsedQuery:
    """Return the ranking terms and the exact phrases of a query (see the module docstring).

    An unmatched double quote is read as a plain character, so ``5" pipe`` is the words.
    """
    phrases: list[tuple[str, ...]] = []
    for inner in _PHRASE.findall(text):
        stems = tuple(analyze(inner))
        if len(stems) > 1:
            phrases.append(stems)
    plain = words(text)
    content = [w for w in plain if w not in STOP_WORDS]
    chosen = content or plain
    terms = [stem(w) for w in chosen]
    for phrase in phrases:
        terms.extend(phrase)
    return ParsedQuery(tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(phrases)))


def contains_phrase(terms: Sequence[str], phrase: Sequence[str]) -> bool:
    """Return whether ``phrase`` occurs in ``terms`` as consecutive items."""
    n = len(phrase)
    if n == 0:
        return True
    first = phrase[0]
    for i in range(len(terms) - n + 1):
        if terms[i] == first and tuple(terms[i : i + n]) == tuple(phrase):
            return True
    return False
