"""Where an export's CPU time goes: cProfile of the planner and worker code.

    python -m bench.profile_export [--rows 200000] [--keys 8|all] [--top 30]

Runs `python -m shared export --processes 0` under cProfile (the local runner then
calls the planner and the workers inline, one message at a time, in one process)
against Azurite and the emulator with no delay, so the profile holds the product's
CPU work and its waits on storage, not Meta's processing time. Prints the functions
with the most time of their own and the product's functions by cumulative time; the
full profile stays in `.bench/profile-<size>-<keys>.prof` for snakeviz or pstats.
"""

from __future__ import annotations

import argparse
import io
import pstats
import subprocess
import sys

from bench import exports, segments
from bench.keys import ALL_KEYS, EIGHT_KEYS
from bench.run import BENCH_DIR, SEED
from tools.services import ROOT, stop


def _profile(services, segment, variant: str, mapping, output) -> float:
    services.fresh_emulator()
    environment = services.environment(None)
    destination = exports.destination_file(services, segment, variant, mapping)
    command = exports.export_command(
        destination, segment, exports.Options(0, None, 3600)
    )
    command[1:3] = ["-m", "cProfile", "-o", str(output), "-m", "shared"]
    log = destination.with_suffix(".profile.log")
    with open(log, "wb") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stderr=err)
        try:
            process.wait()
        finally:
            stop(process)
    return process.returncode


def _print_stats(path, top: int) -> None:
    text = io.StringIO()
    stats = pstats.Stats(str(path), stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(r"shared[/\\]|function_app", top)
    print(text.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_export")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--keys", choices=("8", "all"), default="8")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    segment, _ = segments.ensure(BENCH_DIR, args.rows, SEED)
    variant = "8 keys" if args.keys == "8" else "all keys"
    mapping = EIGHT_KEYS if args.keys == "8" else ALL_KEYS
    output = BENCH_DIR / f"profile-{segment.label}-{args.keys}.prof"
    with exports.Services(BENCH_DIR, 0.0) as services:
        services.upload(segment)
        code = _profile(services, segment, variant, mapping, output)
    print(f"export exited with {code}; profile in {output}")
    _print_stats(output, args.top)
    return code


if __name__ == "__main__":
    sys.exit(main())
