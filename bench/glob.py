"""Glob matching: the backtracking pattern ``'**a'*12 + 'b'`` against one 30-character name.

    .venv/bin/python bench/glob.py            # segment matcher vs the old regex translation
    .venv/bin/python bench/glob.py --quick    # smoke run (CI): the old regex at 8 stars only

The old ``compile_glob`` turned ``**`` into ``.*``; on a name that almost matches, the regex
engine tries every way to split the name between the stars (exponential in their number, and
it holds the GIL while it does). The segment matcher (``ouroboros.resolvers.globmatch``) finds
each chunk leftmost-first. Not a test.
"""

from __future__ import annotations

import argparse
import re
import time

from ouroboros.resolvers.globmatch import compile_glob


def old_regex(pattern: str) -> re.Pattern[str]:
    """The translation used before issue 9 (``**`` -> ``.*``), for the side-by-side figure."""
    if "/" not in pattern:
        pattern = "**/" + pattern
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def best_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stars", default="8,10,12", help="how many '**a' repeats")
    args = parser.parse_args()
    stars = [8] if args.quick else [int(s) for s in args.stars.split(",")]
    name = "a" * 30
    for n in stars:
        pattern = "**a" * n + "b"
        glob = compile_glob(pattern)
        new = best_of(lambda g=glob: g.match(name), 20)
        regex = old_regex(pattern)
        old = best_of(lambda r=regex: r.match(name), 1 if n >= 12 else 3)
        print(
            f"'**a'*{n} + 'b' vs 30 x 'a':  segment matcher {new * 1e6:8.1f} µs   "
            f"old regex {old * 1000:10.1f} ms   ({old / new:,.0f}x)",
            flush=True,
        )
    for pattern, target in (
        ("*a" * 31 + "*b", "a" * 254 + "b"),  # matches: every chunk found
        ("*ab" * 31, "a" * 255),  # the first middle chunk is never found
        ("**/" * 20 + "*a*", "/".join(["b" * 10] * 25)),  # ** segments, 25 directories
    ):
        glob = compile_glob(pattern)
        t = best_of(lambda g=glob, t=target: g.match(t), 20)
        print(f"{pattern[:24]!r:28} vs {len(target)} characters: {t * 1e6:8.1f} µs")


if __name__ == "__main__":
    main()
