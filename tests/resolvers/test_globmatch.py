"""Glob matching: the same answers as a plain recursive matcher, without backtracking."""

from __future__ import annotations

import fnmatch
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ouroboros.errors import InvalidInputError
from ouroboros.resolvers.globmatch import MAX_GLOB_LENGTH, MAX_GLOB_WILDCARDS, compile_glob


def reference(pattern: str, path: str) -> bool:
    """The obvious exponential matcher: ``**`` segments recurse, others use fnmatch."""
    pats = (pattern if "/" in pattern else "**/" + pattern).split("/")
    pats = [re.sub(r"\*+", "*", p) if p != "**" else p for p in pats]

    def go(i: int, names: list[str]) -> bool:
        if i == len(pats):
            return not names
        if pats[i] == "**":
            return any(go(i + 1, names[k:]) for k in range(len(names) + 1))
        return bool(names) and fnmatch.fnmatchcase(names[0], pats[i]) and go(i + 1, names[1:])

    return go(0, path.split("/"))


segment = st.text(alphabet="ab*?", min_size=1, max_size=5) | st.sampled_from(
    ["**", "[ab]", "[!a]b"]
)
patterns = st.lists(segment, min_size=1, max_size=4).map("/".join)
paths = st.lists(st.text(alphabet="ab", min_size=1, max_size=6), min_size=1, max_size=5).map(
    "/".join
)


@settings(max_examples=400, deadline=None)
@given(patterns, paths)
def test_same_answers_as_the_reference(pattern: str, path: str) -> None:
    assert compile_glob(pattern).match(path) is reference(pattern, path)


def test_examples() -> None:
    assert compile_glob("*.py").match("a/b/c.py")
    assert not compile_glob("src/*.py").match("src/a/b.py")
    assert compile_glob("src/**/*.py").match("src/main.py")
    assert compile_glob("src/**/*.py").match("src/a/b/main.py")
    assert compile_glob("src/**").match("src/a/b.py")
    assert compile_glob("[a-c]x?").match("d/bxy")
    assert not compile_glob("[!a-c]x?").match("bxy")
    assert compile_glob("**").match("any/thing")


def test_the_backtracking_pattern_answers() -> None:
    """``'**a'*12 + 'b'`` took 3.8 s against a 30-character name as a regex (exponential);
    twice the stars against twice the name would not finish. Segment matching answers at once."""
    assert not compile_glob("**a" * 24 + "b").match("a" * 60)
    assert compile_glob("**a" * 24 + "b").match("a" * 60 + "b")


def test_caps_and_bad_ranges() -> None:
    with pytest.raises(InvalidInputError, match="at most"):
        compile_glob("a" * (MAX_GLOB_LENGTH + 1))
    with pytest.raises(InvalidInputError, match="wildcards"):
        compile_glob("*a" * (MAX_GLOB_WILDCARDS + 1))
    with pytest.raises(InvalidInputError, match="bad character range z-a"):
        compile_glob("[z-a]")
