"""Speed of identifier normalization and hashing, in profiles per second on one core.

    python -m bench.normalize_bench [--rows 50000] [--passes 3]

Rows come from the sample generator (`tools.sample_segment`): messy values as
customer-data platforms export them. Every pass encodes fresh rows with the same
encoder, so the caches hold what a worker's would after the first rows of a segment,
and no pass is flattered by seeing its own rows again. Time is this process's CPU
time, so other work on the machine does not count against it; the figure is the
median pass, with the best beside it.
Goals (issue 3): 40,000 profiles/s with every key mapped, 300,000/s with an email only.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Mapping, Sequence

from shared.normalize import RowEncoder
from tools.sample_segment import META_MAPPING, iter_profiles

ALL_KEYS = dict(META_MAPPING)
EMAIL_ONLY = {"EMAIL": "EMail"}
GOALS = {"all keys": 40_000, "email only": 300_000}


def sample_rows(count: int, seed: int) -> list[dict[str, str]]:
    return [raw for raw, _ in iter_profiles(count, seed=seed)]


def profiles_per_second(encoder: RowEncoder, rows: Sequence[Mapping[str, str]]):
    encode = encoder.encode
    started = time.process_time()
    for row in rows:
        encode(row)
    return len(rows) / (time.process_time() - started)


def measure(mapping: dict[str, str], passes: list[list[dict[str, str]]]):
    """(median, best) profiles per second over the passes."""
    encoder = RowEncoder(mapping, default_country="us")
    rates = [profiles_per_second(encoder, rows) for rows in passes]
    return statistics.median(rates), max(rates)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.normalize_bench")
    parser.add_argument("--rows", type=int, default=50_000, help="rows per pass")
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args(argv)
    passes = [sample_rows(args.rows, seed) for seed in range(args.passes)]
    print(
        f"normalize: {args.rows:,} sample rows per pass, {args.passes} passes, "
        f"Python {platform.python_version()}, one process"
    )
    for name, mapping in (("all keys", ALL_KEYS), ("email only", EMAIL_ONLY)):
        rate, best = measure(mapping, passes)
        goal = GOALS[name]
        verdict = "meets" if rate >= goal else f"misses by {1 - rate / goal:.0%}"
        print(
            f"  {name:<10} {rate:>10,.0f} profiles/s per core, best {best:,.0f} "
            f"(goal {goal:,}: {verdict})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
