"""The planner: checks a destination, then splits its segment into batch messages.

It runs once per export request (queue trigger). Before anything is sent it makes
sure the run may go ahead: the destination is valid, consent is recorded, a token is
there and the audience is usable. It then takes the segment's lock, so two runs of one
destination and segment never overlap, and streams each file once to enqueue one
message per batch. The last of the batch outcomes closes the run (`runs`).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

from shared import clock, destinations, exports, locks, runs, segments, storage
from shared.audiences import ensure_audience
from shared.errors import DestinationError, ExportError, InvalidInput, StopRun
from shared.messages import BatchMessage, ExportRequest, decode, encode
from shared.secrets import store
from shared.settings import Settings

log = logging.getLogger(__name__)

# While another run of the same segment holds the lock, look again this much later.
LOCK_RETRY_SECONDS = 60
# Wait longer than a crashed run's lock takes to go stale (locks.STALE_SECONDS), so a
# request queued behind a crashed run still starts once the lock is broken.
MAX_LOCK_DEFERRALS = 7 * 60
HEADER_LIMIT = 1024 * 1024
STOP_CHECK_EVERY = 50  # batches between looks for a stop marker
# Failed deliveries of one request before its run fails; below host.json's
# maxDequeueCount (5), so the run log says why before the request is poisoned.
MAX_PLAN_FAILURES = 4
# Batches already queued hold offsets into the version first read; planning again
# would queue a second set beside them, so the run ends instead (no retry).
CHANGED_WHILE_PLANNED = (
    "segment file {} changed while it was being planned; start the export again "
    "once it is complete"
)


def plan_export(settings: Settings, text: str) -> None:
    request = decode(ExportRequest, text)
    run = runs.read(settings, request.run)
    if run is None or run.get("status") in runs.TERMINAL:
        log.info("run %s unknown or ended; request ignored", request.run)
        return
    if run.get("batches_total") is not None:
        log.info("run %s already planned; request ignored", request.run)
        _finish(settings, request.run)  # in case closing failed on that delivery
        return
    try:
        destination = destinations.load(settings, request.destination)
    except DestinationError as exc:
        _fail(settings, request.run, str(exc))
        return
    if destination.consent is None:
        _fail(settings, request.run, exports.NO_CONSENT.format(destination.id))
        return
    lease_id, holder = locks.acquire(
        settings, destination.id, request.segment, request.run
    )
    if holder and holder != request.run:
        _wait_for(settings, request, holder)
        return
    try:
        _plan(settings, request, destination, run, lease_id)
    except StopRun as exc:
        _fail(settings, request.run, str(exc), exc.code)
    except InvalidInput as exc:
        _fail(settings, request.run, str(exc))
    except Exception as exc:  # retried by the queue, up to MAX_PLAN_FAILURES times
        if not _gives_up(settings, request.run, exc):
            raise
    if lease_id and runs.read(settings, request.run)["status"] in runs.TERMINAL:
        locks.release(settings, destination.id, request.segment, lease_id)


def _gives_up(settings: Settings, run_id: str, error: Exception) -> bool:
    """Count a failed planning in the run log; on the MAX_PLAN_FAILURES-th, fail
    the run (True). A request that exhausted its deliveries would otherwise lie in
    the poison queue, read by nothing, its run looking queued for ever."""
    failures = (runs.read(settings, run_id) or {}).get("plan_failures", 0) + 1
    if failures < MAX_PLAN_FAILURES:
        runs.update(settings, run_id, plan_failures=failures)
        log.warning(
            "run %s: planning failed (%s of %s tries): %s",
            run_id,
            failures,
            MAX_PLAN_FAILURES,
            type(error).__name__,
        )
        return False
    # Only the product's own errors are worded for the run log; other texts may
    # quote storage URLs.
    reason = str(error) if isinstance(error, ExportError) else type(error).__name__
    _fail(
        settings,
        run_id,
        f"planning failed {failures} times, last with: {reason}; "
        "start the export again later",
    )
    return True


def _fail(settings: Settings, run_id: str, message: str, code: int | None = None):
    """End the run from the planner, deleting the working copies it made: they
    hold decompressed personal data and no close will come to delete them."""
    run = runs.fail(settings, run_id, message, code)
    _delete_work_blobs(settings, run.get("work_blobs") or [])


def _delete_work_blobs(settings: Settings, names: list[str]) -> None:
    container = storage.container(settings["SEGMENTS_CONTAINER"])
    for name in names:
        try:
            container.delete_blob(name)
        except ResourceNotFoundError:
            pass  # never committed, or deleted already


def _wait_for(settings: Settings, request: ExportRequest, holder: str) -> None:
    if request.deferrals >= MAX_LOCK_DEFERRALS:
        _fail(settings, request.run, f"run {holder} of this segment never ended")
        return
    runs.update(settings, request.run, message=f"waiting for run {holder} to end")
    later = ExportRequest(**{**request.__dict__, "deferrals": request.deferrals + 1})
    exports.enqueue_request(settings, later, delay=LOCK_RETRY_SECONDS)
    log.info("run %s waits for run %s of the same segment", request.run, holder)


def _plan(
    settings: Settings, request: ExportRequest, destination, run: dict, lease_id
) -> None:
    token = store(settings).access_token(destination)
    audience_id = ensure_audience(settings, destination, token)
    container = storage.container(settings["SEGMENTS_CONTAINER"])
    names = segments.list_segment_blobs(container, request.segment)
    if not names:
        raise InvalidInput(
            f"segment {request.segment!r} not found in container "
            f"{settings['SEGMENTS_CONTAINER']!r}"
        )
    run.update(
        status="running",
        started_at=clock.now_iso(),
        audience_id=audience_id,
        ad_account=destination.ad_account,
        config=destination.to_document(),
        lock_lease=lease_id or run.get("lock_lease"),
        message=None,
    )
    runs.create(settings, run)
    log.info("run %s planning %s files", request.run, len(names))
    planned = _plan_files(settings, run, container, names)
    run.update(planned)
    runs.create(settings, run)
    log.info("run %s planned %s batches", request.run, run["batches_total"])
    _finish(settings, request.run)


def _finish(settings: Settings, run_id: str) -> None:
    """Close the run if no batch is left (a segment of no rows, or workers that
    finished before the plan was written)."""
    runs.finish_if_complete(settings, run_id, exports.on_finish(settings), "planner")


def _plan_files(settings: Settings, run: dict, container, names: list[str]) -> dict:
    queue = storage.queue(settings["EXPORT_BATCHES_QUEUE"])
    mapped = list(run["config"]["mapping"].values())
    files, work_blobs, errors = [], [], []
    seq = rows = 0
    for index, name in enumerate(names):
        plan = _FilePlan(settings, run["run_id"], container, name, mapped)
        if plan.read_blob != name:  # known before it exists, so a failure deletes it
            work_blobs.append(plan.read_blob)
            runs.update(settings, run["run_id"], work_blobs=work_blobs)
        described = False
        try:
            for piece in plan.slices():
                if not described:  # workers need the columns before the first batch
                    files.append(_describe(plan))
                    runs.update(settings, run["run_id"], files=files)
                    described = True
                seq += 1
                rows += piece.rows
                _send_batch(queue, run["run_id"], seq, index, plan.read_blob, piece)
                if seq % STOP_CHECK_EVERY == 0 and runs.stopped(
                    settings, run["run_id"]
                ):
                    break
        except ValueError as exc:
            errors.append(_file_error(run["run_id"], index, name, _named(name, exc)))
        except ResourceNotFoundError:
            gone = f"{name}: the file was deleted while the run was planned"
            errors.append(_file_error(run["run_id"], index, name, gone))
        except ResourceModifiedError:
            raise StopRun(CHANGED_WHILE_PLANNED.format(name)) from None
        if not described:
            files.append(_describe(plan))
    return {
        "files": files,
        "work_blobs": work_blobs,
        "batches_total": seq,
        "rows_planned": rows,
        "file_errors": errors,
    }


def _describe(plan: _FilePlan) -> dict:
    described = {"blob": plan.name, "format": plan.fmt, "columns": plan.columns}
    if not plan.gzipped:  # workers read the file itself: it must stay as planned
        described["etag"] = plan.etag
    return described


def _named(name: str, error: ValueError) -> str:
    """The error's text, beginning with the file's name (most already do)."""
    text = str(error)
    return text if text.startswith(f"{name}: ") else f"{name}: {text}"


def _file_error(run_id: str, index: int, name: str, message: str) -> dict:
    log.error("run %s: file %s of the segment could not be planned", run_id, index)
    return {"file": name, "message": message}


def _send_batch(queue, run_id: str, seq: int, index: int, blob: str, piece) -> None:
    message = BatchMessage(
        run=run_id,
        seq=seq,
        file=index,
        blob=blob,
        start=piece.start,
        end=piece.end,
        first_row=piece.first_row,
        rows=piece.rows,
    )
    queue.send_message(encode(message))


class _FilePlan:
    """Streams one segment file once, finding its header and batch boundaries."""

    def __init__(
        self, settings: Settings, run_id: str, container, name: str, mapped: list[str]
    ):
        self.settings = settings
        self.mapped = mapped  # the columns the destination maps to Meta keys
        self.container = container
        self.name = name
        self.fmt, self.gzipped = segments.file_format(name)
        self.read_blob = (
            f"{name}.{run_id}{segments.WORK_SUFFIX}" if self.gzipped else name
        )
        self.columns: list[str] | None = None
        self.etag: str | None = None
        self._head = bytearray()

    def slices(self) -> Iterator[segments.Slice]:
        stream = self._keep_head(self._chunks())
        pieces = segments.plan_slices(stream, self.fmt, self.settings.batch_rows)
        header_end = next(pieces, None)
        if header_end is None:
            raise ValueError(f"{self.name}: the file is empty")
        if self.fmt == "csv":
            if header_end > HEADER_LIMIT:
                raise ValueError(f"{self.name}: the header row is over 1 MiB")
            self.columns = segments.parse_header(
                bytes(self._head[:header_end]), self.name
            )
            segments.check_mapped_columns(self.columns, self.mapped, self.name)
        if not self.gzipped:
            yield from pieces
            return
        collected = list(pieces)  # a working copy must be complete before it is read
        self._commit_work_copy()
        yield from collected

    def _chunks(self) -> Iterator[bytes]:
        download = self.container.download_blob(self.name, max_concurrency=2)
        self.etag = download.properties.etag
        raw = download.chunks()
        if not self.gzipped:
            yield from raw
            return
        self._blocks: list[str] = []
        work = self.container.get_blob_client(self.read_blob)
        try:
            for data in segments.gunzip_chunks(raw):
                block_id = base64.b64encode(f"{len(self._blocks):08d}".encode())
                work.stage_block(block_id.decode(), data)
                self._blocks.append(block_id.decode())
                yield data
        except ValueError as exc:
            raise ValueError(f"{self.name}: {exc}") from None

    def _commit_work_copy(self) -> None:
        work = self.container.get_blob_client(self.read_blob)
        work.commit_block_list(self._blocks)

    def _keep_head(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if len(self._head) < HEADER_LIMIT:
                self._head += chunk[: HEADER_LIMIT - len(self._head)]
            yield chunk
