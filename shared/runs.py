"""Run logs: one folder of blobs per run in the runs container.

    {run}/run.json           what the run is and how it ended (the run log)
    {run}/batches/{seq}.json one outcome per batch, written once (overwrite=False), its
                             counts repeated in blob metadata so one listing sums a run
    {run}/causes/{seq}.json  why the batch's last delivery gave up, overwritten each
                             time: the poisoned outcome names it (not under batches/,
                             whose listing counts outcomes)
    {run}/stopped.json       written once when the run must stop (e.g. token rejected)
    {run}/finished           written once by whoever closes the run, naming it

Queue delivery is at least once; writing each outcome once and closing the run
behind a create-once marker makes a batch count once and the run end once. Nothing
here holds an identifier: only counts, row numbers, column names and Meta's codes.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field

from azure.core.exceptions import ResourceNotFoundError

from shared import clock, storage
from shared.settings import Settings

log = logging.getLogger(__name__)

RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
TERMINAL = frozenset({"succeeded", "failed", "partly_failed"})
MAX_ERRORS = 100


def new_run_id() -> str:
    stamp = clock.current().now().strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{os.urandom(4).hex()}"


@dataclass
class BatchOutcome:
    """What one batch did. `status`: done, failed, cancelled or poisoned."""

    seq: int
    status: str
    rows_read: int = 0
    rows_sent: int = 0
    skipped: Counter = field(default_factory=Counter)
    left_out: Counter = field(default_factory=Counter)
    num_received: int = 0
    num_invalid_entries: int = 0
    errors: list = field(default_factory=list)

    def counts(self) -> dict:
        # Built by hand: dataclasses.asdict would rebuild each Counter from pairs.
        return {
            "seq": self.seq,
            "status": self.status,
            "rows_read": self.rows_read,
            "rows_sent": self.rows_sent,
            "skipped": dict(self.skipped),
            "left_out": dict(self.left_out),
            "num_received": self.num_received,
            "num_invalid_entries": self.num_invalid_entries,
        }


def _container(settings: Settings):
    return storage.container(settings["RUNS_CONTAINER"])


def create(settings: Settings, run: dict) -> None:
    storage.write_json(_container(settings), f"{run['run_id']}/run.json", run)


def read(settings: Settings, run_id: str) -> dict | None:
    return storage.read_json(_container(settings), f"{run_id}/run.json")


def update(settings: Settings, run_id: str, **changes) -> dict:
    """Change fields of the run log (read, change, write)."""
    run = read(settings, run_id) or {"run_id": run_id}
    run.update(changes)
    create(settings, run)
    return run


def is_done(settings: Settings, run_id: str, seq: int) -> bool:
    blob = _container(settings).get_blob_client(_outcome_blob(run_id, seq))
    return blob.exists()


def record(settings: Settings, run_id: str, outcome: BatchOutcome) -> bool:
    """Write a batch's outcome once; False when it was already recorded."""
    metadata = {
        "status": outcome.status,
        "counts": json.dumps(outcome.counts(), separators=(",", ":")),
        "errors": str(len(outcome.errors)),
    }
    document = {**outcome.counts(), "errors": outcome.errors[:MAX_ERRORS]}
    return storage.write_json(
        _container(settings),
        _outcome_blob(run_id, outcome.seq),
        document,
        overwrite=False,
        metadata=metadata,
    )


def _outcome_blob(run_id: str, seq: int) -> str:
    return f"{run_id}/batches/{seq:07d}.json"


def record_cause(settings: Settings, run_id: str, seq: int, cause: str) -> None:
    """Keep why a delivery of the batch gave up; `cause` holds no identifier, token
    or URL (RetryLater messages name only method, path and code)."""
    blob = _cause_blob(run_id, seq)
    storage.write_json(_container(settings), blob, {"cause": cause})


def last_cause(settings: Settings, run_id: str, seq: int) -> str | None:
    document = storage.read_json(_container(settings), _cause_blob(run_id, seq))
    return (document or {}).get("cause")


def _cause_blob(run_id: str, seq: int) -> str:
    return f"{run_id}/causes/{seq:07d}.json"


def stop(settings: Settings, run_id: str, message: str, code: int | None) -> bool:
    """Mark the run as stopping; the first reason given is the one kept."""
    reason = {"message": message, "code": code, "at": clock.now_iso()}
    return storage.write_json(
        _container(settings), f"{run_id}/stopped.json", reason, overwrite=False
    )


def stopped(settings: Settings, run_id: str) -> dict | None:
    return storage.read_json(_container(settings), f"{run_id}/stopped.json")


def outcomes(settings: Settings, run_id: str) -> list[dict]:
    """Every recorded outcome's counts, from one listing with metadata."""
    blobs = _container(settings).list_blobs(
        name_starts_with=f"{run_id}/batches/", include=["metadata"]
    )
    return [json.loads(blob.metadata["counts"]) for blob in blobs]


def count_outcomes(settings: Settings, run_id: str) -> int:
    names = _container(settings).list_blob_names(name_starts_with=f"{run_id}/batches/")
    return sum(1 for _ in names)


def summarize(settings: Settings, run: dict) -> dict:
    """The run log with its counts and progress summed from the batch outcomes."""
    found = outcomes(settings, run["run_id"])
    totals = {"rows_read": 0, "rows_sent": 0, "num_received": 0}
    totals["num_invalid_entries"] = 0
    skipped, left_out, by_status = Counter(), Counter(), Counter()
    for counts in found:
        for key in totals:
            totals[key] += counts[key]
        skipped.update(counts["skipped"])
        left_out.update(counts["left_out"])
        by_status[counts["status"]] += 1
    summary = dict(run)
    summary.update(totals)
    summary["rows_skipped"] = dict(sorted(skipped.items()))
    summary["values_left_out"] = dict(sorted(left_out.items()))
    summary["batches"] = {
        "total": run.get("batches_total"),
        "done": by_status["done"],
        "failed": by_status["failed"] + by_status["poisoned"],
        "cancelled": by_status["cancelled"],
    }
    return summary


def failed_errors(settings: Settings, run_id: str, limit: int = MAX_ERRORS) -> list:
    """Errors of the batches that recorded any, oldest batch first."""
    client = _container(settings)
    errors = []
    listing = client.list_blobs(
        name_starts_with=f"{run_id}/batches/", include=["metadata"]
    )
    for blob in listing:
        if len(errors) >= limit:
            break
        if blob.metadata.get("errors", "0") == "0":
            continue
        document = storage.read_json(client, blob.name) or {}
        errors.extend(document.get("errors", []))
    return errors[:limit]


def finish_if_complete(
    settings: Settings, run_id: str, on_finish=None, closer: str = ""
) -> bool:
    """Close the run when every planned batch has an outcome; True for the one
    caller that closed it.

    `closer` names the caller (its batch, or the planner). The first to write the
    finished marker closes the run; should closing fail half way, the same caller's
    next delivery closes it again, while every other caller leaves it alone.
    """
    run = read(settings, run_id)
    if run is None or run.get("batches_total") is None or run["status"] in TERMINAL:
        return False
    if count_outcomes(settings, run_id) < run["batches_total"]:
        return False
    if not _claim_closing(settings, run_id, closer):
        return False
    close(settings, run, on_finish)
    return True


def _claim_closing(settings: Settings, run_id: str, closer: str) -> bool:
    client, marker = _container(settings), f"{run_id}/finished"
    if storage.write_json(client, marker, {"by": closer}, overwrite=False):
        return True
    claimed = storage.read_json(client, marker) or {}
    return bool(closer) and claimed.get("by") == closer


def close(settings: Settings, run: dict, on_finish=None) -> dict:
    summary = summarize(settings, run)
    halt = stopped(settings, run["run_id"])
    status, message = _ending(summary, halt)
    run.update(status=status, finished_at=clock.now_iso())
    if message:
        run["message"] = message
    errors = list(run.get("file_errors") or [])
    errors += failed_errors(settings, run["run_id"])
    if halt and halt.get("code"):
        errors.insert(0, {"code": halt["code"], "message": halt["message"]})
    run["errors"] = errors[:MAX_ERRORS]
    final = summarize(settings, run)
    create(settings, final)
    if on_finish:
        on_finish(final)
    log.info(
        "run %s %s: %s rows read, %s sent, %s batches",
        run["run_id"],
        status,
        final["rows_read"],
        final["rows_sent"],
        summary["batches"]["total"],
    )
    return final


def _ending(summary: dict, halt: dict | None) -> tuple[str, str | None]:
    """The run's status and message: a file that could not be planned counts as a
    failure like a batch that failed."""
    batches = summary["batches"]
    failures = batches["failed"] + len(summary.get("file_errors") or [])
    if halt:
        return "failed", halt["message"]
    if failures and batches["done"]:
        status, message = "partly_failed", "some files or batches failed; see errors"
    elif failures:
        # Not "nothing was exported": a poisoned batch's rows may have reached Meta.
        return "failed", "no file or batch completed; see errors"
    elif summary["rows_read"] and not summary["rows_sent"]:
        # Every row was malformed or lacked the key identifier: nothing reached Meta.
        return "failed", "no row could be sent; see rows skipped"
    else:
        status, message = "succeeded", None
    return status, _with_invalid_entries(message, summary)


def _with_invalid_entries(message: str | None, summary: dict) -> str | None:
    """Meta's own count of rows it could not use, added to the run's message."""
    invalid = summary["num_invalid_entries"]
    if not invalid:
        return message
    note = (
        f"Meta found {invalid:,} invalid entries among "
        f"{summary['num_received']:,} received"
    )
    return f"{message}; {note}" if message else note


def fail(settings: Settings, run_id: str, message: str, code: int | None = None):
    """End a run that could not start (nothing was planned or sent)."""
    errors = [{"message": message, **({"code": code} if code else {})}]
    run = update(
        settings,
        run_id,
        status="failed",
        message=message,
        errors=errors,
        finished_at=clock.now_iso(),
    )
    log.error("run %s failed before upload: %s", run_id, message)
    return run


def delete(settings: Settings, run_id: str) -> None:
    client = _container(settings)
    for name in client.list_blob_names(name_starts_with=f"{run_id}/"):
        try:
            client.delete_blob(name)
        except ResourceNotFoundError:
            pass
