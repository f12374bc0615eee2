"""Hypothesis profiles: "ci" (the default: the same examples every run, no example database) and
"fuzz" (``make fuzz``: random exploration, 20× the examples, failures kept in .hypothesis/).

Pick one with ``HYPOTHESIS_PROFILE``; tests/conftest.py loads it before any test module is
imported. Property tests size themselves with ``examples(n)``: ``n`` under "ci", scaled under
"fuzz", so a test's own ``max_examples`` does not cap the fuzz run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

# No deadline and no too_slow health check: a loaded machine must not fail a test for its
# speed (speed goals live in bench/).
settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=2000,
    derandomize=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """``n`` examples under the "ci" profile, ``n`` scaled by the loaded profile otherwise."""
    return max(1, n * settings.default.max_examples // 100)
