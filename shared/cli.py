"""Command line: `python -m shared {normalize,export,run,status} ...`.

`export` runs the same planner and worker code as the function app, through the local
runner, against whatever storage and Graph API the settings name: the emulator in
development, or the real Graph API when a user sets GRAPH_API_BASE_URL to it and gives
a real token.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from shared import settings as settings_module
from shared.errors import ExportError, InvalidInput

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared")
    parser.add_argument(
        "--settings",
        type=Path,
        help="a local.settings.json whose Values are read as settings",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)
    _register_normalize(commands)
    _register_export(commands)
    _register_run(commands)
    _register_status(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("azure").setLevel(logging.WARNING)  # it logs full URLs at INFO
    try:
        if args.settings:
            load_settings_file(args.settings)
        return args.handler(args)
    except (ExportError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def load_settings_file(path: Path) -> None:
    """Put a local.settings.json's Values into the environment (unset ones only)."""
    if not path.exists():
        raise InvalidInput(
            f"{path} does not exist: copy local.settings.sample.json to it, or run "
            "`make services`, which writes one for the local emulator"
        )
    try:
        values = json.loads(path.read_text()).get("Values", {})
    except ValueError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
    for name, value in values.items():
        os.environ.setdefault(name, str(value))


def _register_normalize(commands) -> None:
    from shared import normalize_cli

    normalize_cli.register(commands)


def _register_export(commands) -> None:
    export = commands.add_parser(
        "export", help="export a segment to a destination and wait for the run to end"
    )
    where = export.add_mutually_exclusive_group(required=True)
    where.add_argument("--destination", help="id of a saved destination")
    where.add_argument(
        "--destination-file", type=Path, help="a destination JSON file to save and use"
    )
    source = export.add_mutually_exclusive_group()
    source.add_argument("--file", type=Path, help="a local segment file to upload")
    source.add_argument("--segment", help="a segment name in the segments container")
    export.add_argument("--processes", type=int, default=None)
    export.add_argument("--timeout", type=float, default=None)
    export.set_defaults(handler=_export)


def _register_run(commands) -> None:
    run = commands.add_parser(
        "run", help="deliver queued messages to the functions until the queues idle"
    )
    run.add_argument("--processes", type=int, default=None)
    run.add_argument("--idle-seconds", type=float, default=10.0)
    run.set_defaults(handler=_run)


def _register_status(commands) -> None:
    status = commands.add_parser("status", help="show a run's log")
    status.add_argument("run")
    status.set_defaults(handler=_status)


def _export(args) -> int:
    from shared import local_runner_cli

    return local_runner_cli.export(args)


def _run(args) -> int:
    from shared import local_runner_cli

    return local_runner_cli.run_until_idle(args)


def _status(args) -> int:
    from shared import exports, runs

    if not runs.RUN_ID.fullmatch(args.run):
        raise InvalidInput(
            f"{args.run!r} is not a run id (like 20261204T162457Z-37ebbd21)"
        )
    found = exports.status(settings_module.load(), args.run)
    if found is None:
        print(f"run {args.run} not found", file=sys.stderr)
        return 1
    print(json.dumps(found, indent=2, ensure_ascii=False))
    return 0
