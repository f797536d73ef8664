"""The `export` and `run` commands: the function app's code driven locally."""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

from shared import destinations, exports, runs, settings, storage
from shared.errors import ExportError, InvalidInput
from shared.local_runner import LocalRunner

log = logging.getLogger(__name__)

LOCAL_PREFIX = "local/"
PROGRESS_EVERY_SECONDS = 10.0
CHECK_EVERY_SECONDS = 1.0


def export(args) -> int:
    current = settings.load()
    storage.prepare(current)
    try:
        destination = _destination(current, args)
        segment = _segment(current, args, destination)
        if segment and segment not in destination.segments:
            destination = _with_segment(destination, segment)
        destinations.save(current, destination)
        started = exports.start_exports(
            current, destination.id, [segment] if segment else None, "cli"
        )
    except (ExportError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run_ids = [entry["run_id"] for entry in started]
    ok = drive(current, run_ids, processes=args.processes, timeout=args.timeout)
    results = [exports.status(current, run_id) for run_id in run_ids]
    for result in results:
        print(format_summary(result))
    return 0 if ok and all(r["status"] == "succeeded" for r in results) else 1


def _destination(current, args):
    """The saved destination, or the one in the file; a file names no audience id
    until the first run creates one, so the id recorded then is carried over."""
    if args.destination:
        return destinations.load(current, args.destination)
    path = args.destination_file
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{path} must hold a JSON object")
    destination_id = document.pop("id", None) or path.stem
    if args.file and not document.get("segments"):
        document["segments"] = [LOCAL_PREFIX + Path(args.file).name]
    destination = destinations.parse(destination_id, document)
    return _keep_created_audience(current, destination)


def _keep_created_audience(current, destination):
    if destination.audience.id:
        return destination
    try:
        saved = destinations.load(current, destination.id)
    except ExportError:
        return destination
    same = (saved.ad_account, saved.audience.name) == (
        destination.ad_account,
        destination.audience.name,
    )
    if not (same and saved.audience.id):
        return destination
    audience = replace(destination.audience, id=saved.audience.id)
    return replace(destination, audience=audience)


def _segment(current, args, destination) -> str | None:
    if args.segment:
        return args.segment
    if not args.file:
        return None
    name = LOCAL_PREFIX + Path(args.file).name
    container = storage.container(current["SEGMENTS_CONTAINER"])
    with open(args.file, "rb") as stream:
        container.upload_blob(name, stream, overwrite=True, max_concurrency=4)
    return name


def _with_segment(destination, segment: str):
    return replace(destination, segments=(*destination.segments, segment))


def drive(current, run_ids: list[str], *, processes=None, timeout=None) -> bool:
    """Run the queue functions until every run has ended, showing progress. The
    run logs are read every second and summed (a listing of every batch outcome)
    only every PROGRESS_EVERY_SECONDS: watching must not slow the run."""
    import function_app

    runner = LocalRunner(function_app.app, current, processes=processes)
    checked, shown = [0.0], [time.monotonic()]

    def ended() -> bool:
        now = time.monotonic()
        if now - checked[0] < CHECK_EVERY_SECONDS:
            return False
        checked[0] = now
        if now - shown[0] > PROGRESS_EVERY_SECONDS:
            shown[0] = now
            for run_id in run_ids:
                _show_progress(current, run_id)
        found = [runs.read(current, run_id) or {} for run_id in run_ids]
        return all(run.get("status") in runs.TERMINAL for run in found)

    return runner.run(ended, timeout=timeout)


def _show_progress(current, run_id: str) -> None:
    run = exports.status(current, run_id)
    batches = run.get("batches") or {}
    print(
        f"run {run_id}: {run['status']}, batches {batches.get('done', 0)}"
        f"/{batches.get('total') or '?'}, rows sent {run.get('rows_sent', 0)}",
        file=sys.stderr,
        flush=True,
    )


def run_until_idle(args) -> int:
    import function_app

    current = settings.load()
    runner = LocalRunner(function_app.app, current, processes=args.processes)
    idle_since = [time.monotonic()]

    def idle() -> bool:
        if _queues_busy(current, runner.routes):
            idle_since[0] = time.monotonic()
        return time.monotonic() - idle_since[0] > args.idle_seconds

    runner.run(idle)
    return 0


def _queues_busy(current, routes) -> bool:
    for name in routes:
        properties = storage.queue(name).get_queue_properties()
        if properties.approximate_message_count:
            return True
    return False


def format_summary(run: dict) -> str:
    """A run's outcome in a few lines (counts and codes only, never identifiers)."""
    lines = [
        f"run {run['run_id']}  destination {run['destination']}  "
        f"segment {run['segment']}  trigger {run.get('trigger')}",
        f"  status          {run['status']}"
        + (f" ({run['message']})" if run.get("message") else ""),
        f"  rows read       {run.get('rows_read', 0)}",
        f"  rows sent       {run.get('rows_sent', 0)}",
    ]
    for reason, count in (run.get("rows_skipped") or {}).items():
        lines.append(f"  rows skipped    {count} {reason}")
    for reason, count in (run.get("values_left_out") or {}).items():
        lines.append(f"  values left out {count} {reason}")
    lines.append(f"  Meta received   {run.get('num_received', 0)}")
    lines.append(f"  Meta invalid    {run.get('num_invalid_entries', 0)}")
    batches = run.get("batches") or {}
    total = batches.get("total")
    lines.append(
        f"  batches         {batches.get('done', 0)} done, "
        f"{batches.get('failed', 0)} failed of "
        + ("none planned" if total is None else str(total))
    )
    seconds = _duration(run)
    if seconds is not None:
        lines.append(f"  seconds         {seconds:.1f}")
    for error in (run.get("errors") or [])[:10]:
        lines.append(f"  error           {error.get('message')}")
    return "\n".join(lines)


def _duration(run: dict) -> float | None:
    from datetime import datetime

    if not run.get("finished_at") or not run.get("queued_at"):
        return None
    parse = datetime.fromisoformat
    begin = parse(run["queued_at"].replace("Z", "+00:00"))
    end = parse(run["finished_at"].replace("Z", "+00:00"))
    return (end - begin).total_seconds()
