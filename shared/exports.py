"""Starting exports (HTTP and timer triggers), closing them, and reporting status.

Triggers only record a queued run and enqueue a small request; the planner does the
work. A second request for a destination and segment whose run is still going is
answered with that run instead of starting another.
"""

from __future__ import annotations

import logging

from azure.core.exceptions import ResourceNotFoundError

from shared import clock, destinations, locks, runs, storage
from shared.errors import DestinationError
from shared.messages import ExportRequest, encode
from shared.settings import Settings

log = logging.getLogger(__name__)

NO_CONSENT = (
    "destination {!r} has no data-privacy consent recorded: nothing was exported. "
    "Record who agreed to share the customers' data with Meta, and when, in the "
    "destination's consent field, then start the export again"
)
# Run-log fields kept for the product's own use, not shown by the status API.
_PRIVATE_FIELDS = ("lock_lease", "work_blobs")


def enqueue_request(settings: Settings, request: ExportRequest, delay: int = 0):
    queue = storage.queue(settings["EXPORT_REQUESTS_QUEUE"])
    queue.send_message(encode(request), visibility_timeout=delay or None)


def start_exports(
    settings: Settings,
    destination_id: str,
    segments: list[str] | None = None,
    trigger: str = "http",
) -> list[dict]:
    """Queue one run per segment; answers what happened to each segment."""
    destination = destinations.load(settings, destination_id)
    chosen = segments or list(destination.segments)
    for index, segment in enumerate(chosen):
        if segment not in destination.segments:
            raise DestinationError(
                destination.id,
                f"segments[{index}]",
                "is not one of the destination's segments",
            )
    return [_start_one(settings, destination, s, trigger) for s in chosen]


def _start_one(settings: Settings, destination, segment: str, trigger: str) -> dict:
    run_id = runs.new_run_id()
    consent = destination.consent
    runs.create(
        settings,
        {
            "run_id": run_id,
            "destination": destination.id,
            "segment": segment,
            "trigger": trigger,
            "status": "queued",
            "queued_at": clock.now_iso(),
            "consent": None if consent is None else consent.__dict__,
        },
    )
    if consent is None:
        run = runs.fail(settings, run_id, NO_CONSENT.format(destination.id))
        return {"segment": segment, "run_id": run_id, "status": run["status"]}
    other = locks.claim(settings, destination.id, segment, run_id)
    if other:
        runs.delete(settings, run_id)  # never started: leave no trace of it
        return {"segment": segment, "run_id": other, "status": "already_running"}
    request = ExportRequest(run_id, destination.id, segment, trigger)
    enqueue_request(settings, request)
    log.info("run %s queued (%s) for destination %s", run_id, trigger, destination.id)
    return {"segment": segment, "run_id": run_id, "status": "queued"}


def scheduled_exports(settings: Settings) -> list[dict]:
    """Queue every destination whose scheduled refresh is on."""
    started = []
    for destination_id in destinations.list_ids(settings):
        try:
            destination = destinations.load(settings, destination_id)
        except DestinationError as exc:
            log.error("scheduled refresh skipped a destination: %s", exc)
            continue
        if destination.schedule:
            started += start_exports(settings, destination_id, trigger="timer")
    return started


def on_finish(settings: Settings):
    """What closing a run also does: free the segment and delete working copies."""

    def finish(run: dict) -> None:
        if run.get("lock_lease"):
            locks.release(
                settings, run["destination"], run["segment"], run["lock_lease"]
            )
        segments_container = storage.container(settings["SEGMENTS_CONTAINER"])
        for blob in run.get("work_blobs") or []:
            try:
                segments_container.delete_blob(blob)
            except ResourceNotFoundError:
                pass

    return finish


def status(settings: Settings, run_id: str) -> dict | None:
    """The run log as the status API shows it, with live progress while it runs."""
    run = runs.read(settings, run_id)
    if run is None:
        return None
    if run.get("status") not in runs.TERMINAL:
        run = runs.summarize(settings, run)
    for name in _PRIVATE_FIELDS:
        run.pop(name, None)
    return run
