"""The suite is deterministic by default: Hypothesis runs the "ci" profile (tests/profiles.py)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings


@pytest.mark.skipif(
    os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci", reason="another profile was asked for"
)
def test_ci_profile_is_the_default() -> None:
    current = settings.default
    assert current.derandomize is True  # the same examples on every run and every clone
    assert current.database is None  # no example database carried between runs
    assert current.deadline is None  # no timed assertion on a loaded machine


def test_make_fuzz_runs_the_property_tests_at_random() -> None:
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    fuzz = makefile.split("\nfuzz:", 1)[1].split("\n\n", 1)[0]
    assert "HYPOTHESIS_PROFILE=fuzz" in fuzz
    assert settings.get_profile("fuzz").derandomize is False
