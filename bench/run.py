"""`make bench`: the whole export path at 1M and 10M profiles, measured (issue 4).

    python -m bench.run [--sizes 1000000,10000000] [--all-keys-sizes 1000000]
        [--processes N] [--in-flight N] [--no-sdk] [--no-normalize]

For each size: Azurite keeping its data in `.bench/azurite`, the Graph API emulator
answering each upload request after 1 s (like Meta's processing time), the segment
uploaded, then `python -m shared export` in a subprocess (the local runner, one worker
process per core) whose process tree is sampled for peak memory. Then the official
SDK uploads the 1M segment against the same kind of emulator, and the normalization
benchmark runs. Everything listens on 127.0.0.1; every process started here is
stopped by its pid in `finally`, on Ctrl-C too. Not part of CI.

Each run also prints the CPU seconds of the runner, the workers, Azurite, the
emulator and the rest of the machine (other users' work slows a run down too, and is
flagged). Where the workers' time goes: `python -m bench.profile_export`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
from pathlib import Path

from bench import exports, report, segments
from bench.exports import Services
from bench.keys import ALL_KEYS, EIGHT_KEYS

BENCH_DIR = Path(__file__).resolve().parents[1] / ".bench"
SEED = 7
DELAY_SECONDS = 1.0  # each 10,000-row request, as Meta takes about that (issue 4)
SDK_ROWS = 1_000_000


def _interrupt_on_sigterm() -> None:
    """A SIGTERM unwinds like Ctrl-C, so the `finally` blocks stop the services."""

    def handler(signal_number, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--sizes", type=_sizes, default="1000000,10000000")
    parser.add_argument(
        "--all-keys-sizes",
        type=_sizes,
        default="1000000",
        help="sizes measured a second time with every key mapped",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="worker processes"
    )
    parser.add_argument(
        "--in-flight", type=int, default=None, help="MAX_REQUESTS_IN_FLIGHT"
    )
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument(
        "--sdk-rows", type=int, default=SDK_ROWS, help="size the SDK also uploads"
    )
    parser.add_argument("--no-sdk", dest="sdk", action="store_false")
    parser.add_argument("--no-normalize", dest="normalize", action="store_false")
    return parser.parse_args(argv)


def _header(args) -> None:
    print(
        f"bench: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"emulator delay {DELAY_SECONDS:g} s per upload request, "
        f"{args.processes} worker processes, data in {BENCH_DIR}",
        flush=True,
    )


def measure_size(args, rows: int, results: report.Results) -> None:
    segment = _prepared_segment(args, rows)
    variants = [("8 keys", EIGHT_KEYS)]
    if rows in args.all_keys_sizes:
        variants.append(("all keys", ALL_KEYS))
    expected = {
        name: segments.expected_audience(segment, mapping, "email")
        for name, mapping in variants
    }
    with Services(BENCH_DIR, DELAY_SECONDS) as services:
        services.upload(segment)
        for name, mapping in variants:
            options = exports.Options(args.processes, args.in_flight, args.timeout)
            outcome = exports.run(services, segment, name, mapping, options)
            outcome.expected = expected[name]
            results.add(outcome)
            print(report.export_line(outcome), flush=True)
        if args.sdk and rows == args.sdk_rows:
            results.sdk = exports.run_sdk(services, segment, expected["8 keys"])
            print(report.sdk_line(results.sdk, results.ours_for_sdk()), flush=True)


def _prepared_segment(args, rows: int) -> segments.Segment:
    segment, seconds = segments.ensure(BENCH_DIR, rows, args.seed)
    if seconds is None:
        print(f"segment {segment.label}: kept ({segment.csv.name}, seed {args.seed})")
    else:
        print(f"segment {segment.label}: generated in {seconds:.1f} s")
    return segment


def _normalize_figures() -> None:
    print("normalization (bench/normalize_bench.py):", flush=True)
    exports.run_normalize_bench()


def main(argv: list[str] | None = None) -> int:
    _interrupt_on_sigterm()
    args = parse_args(argv)
    _header(args)
    results = report.Results(in_flight=exports.in_flight_setting(args.in_flight))
    try:
        for rows in args.sizes:
            measure_size(args, rows, results)
        print(report.goals(results, os.cpu_count() or 1), flush=True)
        if args.normalize:
            _normalize_figures()
    except KeyboardInterrupt:
        print("bench: interrupted; every process started was stopped", file=sys.stderr)
        return 130
    (BENCH_DIR / "last-results.json").write_text(json.dumps(results.as_dict()))
    return 0 if results.all_exact() else 1


if __name__ == "__main__":
    sys.exit(main())
