"""The worker: reads one batch's slice, normalizes and hashes it, uploads it.

Retry policy. Only errors known to be transient are retried (`RetryLater`): here up
to `ATTEMPTS` times with exponential backoff and jitter, then by the queue, which
redelivers the message after host.json's `visibilityTimeout` and moves it to the
poison queue after `maxDequeueCount` deliveries. When Meta asks us to wait, the wait
is recorded for every instance (`pacing`), and every request first looks there: a
wait of up to `MAX_INLINE_WAIT_SECONDS` is slept through, a longer one is served by
putting the message back with a visibility delay rather than by sleeping on it.
Errors that need the operator (`StopRun`) stop the whole run at once; a request Meta
refuses (`BatchRejected`) fails its batch only. Anything else is a bug and is not
retried here.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import replace

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError

from shared import clock, destinations, exports, pacing, runs, storage
from shared.audiences import graph_client
from shared.errors import (
    BatchRejected,
    InvalidInput,
    RetryLater,
    StopRun,
    Throttled,
    TokenRejected,
)
from shared.messages import BatchMessage, decode, encode
from shared.normalize import RowEncoder
from shared.runs import BatchOutcome
from shared.secrets import store
from shared.segments import RowProblem, read_rows
from shared.settings import MAX_ROWS_PER_REQUEST, Settings

log = logging.getLogger(__name__)

ATTEMPTS = 4
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
# Waits up to this long are slept through; longer ones put the message back.
MAX_INLINE_WAIT_SECONDS = 5.0
MAX_DEFERRALS = 100
# Rate-limit answers to one request in one delivery before the message is put back.
MAX_THROTTLES = 8
# Looks at the pacing state before a request, while other workers keep lengthening
# short blocks, before the message is put back instead.
BLOCK_CHECKS = 5
# Slow down before Meta's limit: above this usage percentage, pause between requests.
USAGE_SLOWDOWN_PERCENT = 85.0
ERRORS_PER_BATCH = 20


def process_batch(settings: Settings, text: str) -> None:
    message = decode(BatchMessage, text)
    if runs.is_done(settings, message.run, message.seq):
        log.info("run %s batch %s already recorded", message.run, message.seq)
        _finish(settings, message)
        return
    run = runs.read(settings, message.run)
    if run is None or run.get("status") in runs.TERMINAL:
        log.warning(
            "run %s is unknown or ended; batch %s dropped", message.run, message.seq
        )
        return
    if runs.stopped(settings, message.run):
        _record(settings, message, BatchOutcome(message.seq, "cancelled"))
        return
    try:
        _Batch(settings, message, run).run()
    except RetryLater as exc:
        _keep_cause(settings, message, str(exc))
        raise
    except Exception as exc:
        # Its text may quote data; its kind is enough to start looking.
        _keep_cause(settings, message, f"an unexpected error ({type(exc).__name__})")
        raise


def _keep_cause(settings: Settings, message: BatchMessage, cause: str) -> None:
    """Leave why this delivery gave up where the poison handler finds it: the
    host logs are not the run log."""
    try:
        runs.record_cause(settings, message.run, message.seq, cause)
    except Exception as exc:  # the delivery's own error matters more
        log.warning(
            "run %s batch %s: its cause was not kept (%s)",
            message.run,
            message.seq,
            type(exc).__name__,
        )


def record_poisoned(settings: Settings, text: str) -> None:
    """A batch that exhausted its deliveries: show it in the run log."""
    try:
        message = decode(BatchMessage, text)
    except InvalidInput:
        # Not one of ours: failing here would only move it to yet another queue.
        log.error("a message that is not a batch reached the poison queue; dropped")
        return
    cause = runs.last_cause(settings, message.run, message.seq)
    error = {
        "batch": message.seq,
        "rows": f"{message.first_row}-{message.first_row + message.rows - 1}",
        "message": _poisoned_message(cause),
    }
    if cause:
        error["cause"] = cause
    outcome = BatchOutcome(message.seq, "poisoned", errors=[error])
    log.error("run %s batch %s poisoned", message.run, message.seq)
    _record(settings, message, outcome)


def _poisoned_message(cause: str | None) -> str:
    # An answer lost after Meta took the rows looks like a failure here, so the
    # rows may be in the audience; adding them again changes nothing there.
    last = f"; the last delivery ended with: {cause}" if cause else ""
    return (
        f"the batch failed on every delivery and was set aside{last}. The upload "
        "may have been applied by Meta; re-adding is harmless"
    )


def _record(settings: Settings, message: BatchMessage, outcome: BatchOutcome):
    if not runs.record(settings, message.run, outcome):
        log.info(
            "run %s batch %s was recorded by another delivery", message.run, message.seq
        )
    _finish(settings, message)


def _finish(settings: Settings, message: BatchMessage) -> None:
    runs.finish_if_complete(
        settings, message.run, exports.on_finish(settings), f"batch {message.seq}"
    )


class _Batch:
    def __init__(self, settings: Settings, message: BatchMessage, run: dict):
        self.settings = settings
        self.message = message
        self.run_id = message.run
        self.file = run["files"][message.file]
        config = dict(run["config"])
        self.destination = destinations.parse(config.pop("id"), config)
        self.audience_id = run["audience_id"]
        self.ad_account = self.destination.ad_account
        self.outcome = BatchOutcome(message.seq, "done")

    def run(self) -> None:
        try:
            self._wait_while_blocked()
            schema, rows = self._encode(self._read_slice())
            self._upload(schema, rows)
        except _Deferred as deferred:
            self._defer(deferred.wait)
            return
        except StopRun as exc:
            runs.stop(self.settings, self.run_id, str(exc), exc.code)
            self._fail(str(exc), exc.code)
        except BatchRejected as exc:
            self._fail(str(exc), exc.code)
        _record(self.settings, self.message, self.outcome)

    def _fail(self, text: str, code: int | None) -> None:
        self.outcome.status = "failed"
        error = {"batch": self.message.seq, "message": text}
        if code:
            error["code"] = code
        self.outcome.errors.insert(0, error)
        log.error("run %s batch %s failed: %s", self.run_id, self.message.seq, text)

    def _read_slice(self) -> bytes:
        container = storage.container(self.settings["SEGMENTS_CONTAINER"])
        length = self.message.end - self.message.start
        unchanged = {}
        if self.file.get("etag"):
            unchanged = {
                "etag": self.file["etag"],
                "match_condition": MatchConditions.IfNotModified,
            }
        try:
            stream = container.download_blob(
                self.message.blob, offset=self.message.start, length=length, **unchanged
            )
        except ResourceModifiedError:
            raise StopRun(
                f"{self.file['blob']}: the file changed after the run planned it, so "
                "its rows can no longer be found; start the export again"
            ) from None
        return stream.readall()

    def _encode(self, data: bytes) -> tuple[list[str], list[list[str]]]:
        destination = self.destination
        encoder = RowEncoder(
            destination.mapping,
            default_country=destination.default_country,
            date_order=destination.date_order,
            key_identifier=destination.key_identifier,
        )
        rows, outcome = [], self.outcome
        columns, fmt = self.file["columns"], self.file["format"]
        mapped = frozenset(destination.mapping.values())
        for row in read_rows(data, fmt, columns, self.message.first_row, mapped):
            outcome.rows_read += 1
            if isinstance(row, RowProblem):
                self._row_problem(row)
                continue
            encoded = encoder.encode(row)
            for key, reason in encoded.dropped:
                outcome.left_out[f"{key}:{reason}"] += 1
            if encoded.values is None:
                outcome.skipped[encoded.skip_reason] += 1
            else:
                rows.append(encoded.values)
        return encoder.schema, rows

    def _row_problem(self, problem: RowProblem) -> None:
        self.outcome.skipped[problem.reason] += 1
        if len(self.outcome.errors) < ERRORS_PER_BATCH:
            error = {"file": self.file["blob"], "row": problem.row}
            error["reason"] = problem.reason
            if problem.column:
                error["column"] = problem.column
            error["message"] = problem.describe(self.file["blob"])
            self.outcome.errors.append(error)

    def _upload(self, schema: list[str], rows: list[list[str]]) -> None:
        for start in range(0, len(rows), MAX_ROWS_PER_REQUEST):
            part = rows[start : start + MAX_ROWS_PER_REQUEST]
            result = self._send_with_retries(schema, part)
            self.outcome.rows_sent += len(part)
            self.outcome.num_received += result.num_received
            self.outcome.num_invalid_entries += result.num_invalid_entries
            if result.usage.percent >= USAGE_SLOWDOWN_PERCENT:
                self._slow_down(result.usage)

    def _send_with_retries(self, schema, part):
        """One request, sent when the ad account is free, retried as the module
        docstring says."""
        failures = throttles = 0
        token_checked = False
        while True:
            try:
                return self._send(schema, part)
            except _Blocked:
                self._wait_while_blocked()
            except Throttled as exc:
                throttles += 1
                pacing.block(self.settings, self.ad_account, exc.wait_seconds, exc.code)
                if throttles >= MAX_THROTTLES:
                    raise _Deferred(exc.wait_seconds) from None
                self._wait_while_blocked()
            except TokenRejected:
                if token_checked or not self._token_was_refreshed():
                    raise
                token_checked = True
            except RetryLater as exc:
                failures += 1
                if failures >= ATTEMPTS:
                    raise
                self._back_off(failures, exc)

    def _back_off(self, failures: int, error: RetryLater) -> None:
        pause = backoff(failures)
        log.warning(
            "run %s batch %s: %s; retry %s in %.1f s",
            self.run_id,
            self.message.seq,
            error,
            failures,
            pause,
        )
        clock.current().sleep(pause)

    def _send(self, schema, part):
        token = store(self.settings).access_token(self.destination)
        client = graph_client(self.settings, token)
        session = {
            "session_id": random.getrandbits(63),
            "batch_seq": 1,
            "last_batch_flag": True,
            "estimated_num_total": len(part),
        }
        with pacing.request_slot(self.settings, self.ad_account):
            # Read with the slot held: a block recorded while this request waited
            # for its slot must stop it too.
            if pacing.blocked_for(self.settings, self.ad_account) > 0:
                raise _Blocked
            return client.add_users(self.audience_id, schema, part, session)

    def _token_was_refreshed(self) -> bool:
        """Meta rejected the token: read it again, in case it was renewed."""
        secrets = store(self.settings)
        before = secrets.access_token(self.destination)
        secrets.forget(self.destination)
        try:
            return secrets.access_token(self.destination) != before
        except StopRun:
            return False

    def _slow_down(self, usage) -> None:
        """Near Meta's limit, pause before the next request; at the limit, block the
        ad account for every worker, whose next request then waits."""
        pause = max(usage.regain_seconds, 1.0)
        if usage.percent >= 100:
            pacing.block(self.settings, self.ad_account, pause, None)
            return
        clock.current().sleep(min(pause, MAX_INLINE_WAIT_SECONDS))

    def _wait_while_blocked(self) -> None:
        """Return once the ad account is free: sleep through a short block, raise
        `_Deferred` for a long one. Another worker may lengthen the block meanwhile,
        so the state is read again after each sleep."""
        for _check in range(BLOCK_CHECKS):
            wait = pacing.blocked_for(self.settings, self.ad_account)
            if wait <= 0:
                return
            if wait > MAX_INLINE_WAIT_SECONDS:
                raise _Deferred(wait)
            clock.current().sleep(wait)
        raise _Deferred(max(pacing.blocked_for(self.settings, self.ad_account), 1.0))

    def _defer(self, wait: float) -> None:
        if self.message.deferrals >= MAX_DEFERRALS:
            raise RetryLater(f"batch deferred {MAX_DEFERRALS} times by rate limits")
        later = replace(self.message, deferrals=self.message.deferrals + 1)
        delay = math.ceil(wait) + random.randint(0, 5)
        queue = storage.queue(self.settings["EXPORT_BATCHES_QUEUE"])
        queue.send_message(encode(later), visibility_timeout=min(delay, 7 * 24 * 3600))
        log.warning(
            "run %s batch %s waits %s s for Meta's rate limit",
            self.run_id,
            self.message.seq,
            delay,
        )


class _Blocked(Exception):
    """The ad account became blocked while a request waited for its slot."""


class _Deferred(Exception):
    """The ad account is blocked for longer than a worker should sleep."""

    def __init__(self, wait: float):
        super().__init__(f"blocked for {wait:.0f} s")
        self.wait = wait


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter between half and the whole step."""
    step = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return step * (0.5 + random.random() / 2)
