"""Benchmark: `ouroboros.eql.parse` against `edn_format.loads` on the same EQL texts, one run.

Usage: python bench/parse.py [--quick] [--repeat N]

For each text (small ~20 chars, median ~200, ~800, ~2 KB) both parsers run in alternating rounds;
the figure per parser is the best round's mean time per parse (the least disturbed by other load on
a shared machine), and the ratio is edn_format's time over ours. The first, cold parse (grammar
compiled, tables built) is reported separately. `--quick` runs few rounds, for CI smoke runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

SMALL = "[:user/id :user/name]"

MEDIAN = (
    "[:user/id :user/name {:user/friends [:user/id :user/name {:user/avatar [:image/url]}]}"
    " (:user/posts {:limit 10 :order :desc}) {[:user/id 42] [:user/email]}"
    " {:feed/items {:post/id [:post/title] :photo/id [:photo/url]}}]"
)

LARGE = """
[:system/status :system/healthy? :system/version
 {:git/commits [:git/sha :git/author :git/message :git/date
                {:git/files [:file/path :file/additions :file/deletions]}]}
 (:memory/value {:memory/key "session/preferences" :default nil})
 {[:entity/name "Alice"] [:entity/type :entity/observations
                          {:entity/relations [:relation/type {:relation/to [:entity/name]}]}]}
 {(:search/nodes {:query "graph databases" :limit 20 :mode :hybrid})
  [:entity/name :entity/type :search/score]}
 {:feed/items {:post/id [:post/title :post/body {:post/author [:user/name]}]
               :photo/id [:photo/url :photo/width :photo/height]
               :video/id [:video/url :video/duration]}}
 {:folder/children ...}
 (user/rename! {:user/id 42 :user/name "Bob"})
 (? :user/nickname)
 {:>/sidebar [:ui/theme :ui/locale]}]
"""

ENTITY = (
    "{(:entity/neighbours {:depth 2 :types #{:knows :works-with}})"
    " [:entity/name :entity/type {:entity/observations [:observation/text :observation/at]}]}"
)


def _huge() -> str:
    joins = " ".join(
        ENTITY.replace("entity/name", f"entity/name{i}") if i else ENTITY for i in range(10)
    )
    export = '(:graph/export {:format :json :since #inst "2024-01-01T00:00:00Z"})'
    return f"[:graph/size {joins} {export}]"


TEXTS = {"small": SMALL, "median": MEDIAN, "large": LARGE, "2 KB": _huge()}


def best_mean(fn: Callable[[str], Any], text: str, number: int, rounds: int) -> float:
    """Seconds per call: the best of ``rounds`` rounds of ``number`` calls each."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn(text)
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true", help="few rounds, for CI smoke runs")
    args.add_argument("--repeat", type=int, default=0, help="rounds per text (default 7; quick 2)")
    options = args.parse_args(argv)
    rounds = options.repeat or (2 if options.quick else 7)
    budget = 0.02 if options.quick else 0.25  # seconds of work per round and parser, roughly

    import edn_format

    from ouroboros.eql import parse, to_edn

    start = time.perf_counter()
    parse(SMALL)
    cold = time.perf_counter() - start

    from importlib.metadata import version

    print(
        f"python {sys.version.split()[0]}; lark {version('lark')}; edn_format {version('edn_format')}"
    )
    print(f"first parse (grammar compiled, tables built): {cold * 1000:.1f} ms\n")
    print(f"{'text':<8} {'chars':>6} {'ouroboros (us)':>15} {'edn_format (us)':>16} {'ratio':>7}")
    ratios = {}
    for name, text in TEXTS.items():
        parse(to_edn(parse(text)))  # the texts are valid EQL and round-trip
        edn_format.loads(text)
        probe = best_mean(edn_format.loads, text, 3, 1)
        number = max(3, int(budget / max(probe, 1e-6)))
        ours = theirs = float("inf")
        for _ in range(rounds):  # alternate, so a burst of load hits both alike
            ours = min(ours, best_mean(parse, text, number, 1))
            theirs = min(theirs, best_mean(edn_format.loads, text, number, 1))
        ratios[name] = theirs / ours
        print(
            f"{name:<8} {len(text):>6} {ours * 1e6:>15.1f} {theirs * 1e6:>16.1f}"
            f" {ratios[name]:>6.1f}x"
        )
    print(f"\nmedian text: {ratios['median']:.1f}x faster than edn_format (goal: 5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
