"""Fault tests of the export path: Meta throttling and failing, deliveries repeated,
lost or poisoned, bad input, overlapping runs and the end of a run.

Every test runs whole exports on a real Azurite and the Graph API emulator, with the
local runner delivering messages inline, batches of 500 rows and time on a fake clock
(`test_export_helpers`), so no wait is slept through. The result is always checked
the same way: the run log's counts, and the emulator's audience against the sample
generator's expected file.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import logging
import re
import threading
from typing import NamedTuple

import pytest
import test_export_helpers as h
from conftest import AD_ACCOUNT, TOKEN
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import (
    exports,
    locks,
    pacing,
    planner,
    runs,
    segments,
    storage,
    worker,
)
from shared import settings as app_settings
from shared.local_runner import HostQueueSettings
from shared.messages import ExportRequest, encode
from shared.runs import BatchOutcome

SEGMENT = "crm/customers.csv"
ROWS = 2_000
BATCH_ROWS = 500
BATCHES = ROWS // BATCH_ROWS
RATE_LIMIT_CODES = {80003, 17, 613}


@pytest.fixture
def current(env, monkeypatch):
    """The test's settings with small batches, so a few thousand rows make several."""
    monkeypatch.setenv("BATCH_ROWS", str(BATCH_ROWS))
    return app_settings.load()


@pytest.fixture
def on_fake_time(emulator, fake):
    """The emulator stamps its calls with the fake clock's time."""
    with h.emulator_on_product_time(emulator):
        yield emulator


def _arrange(current, tmp_path, rows: int = ROWS, name: str = SEGMENT, **options):
    """A destination and an uploaded sample segment; the expected file."""
    h.save_destination(current, name)
    return h.upload_sample(current, tmp_path, name, rows, **options)


def _queue(current, kind: str, poison: bool = False):
    name = current[f"EXPORT_{kind}_QUEUE"] + ("-poison" if poison else "")
    return storage.queue(name)


def _queued(current, kind: str, poison: bool = False) -> int:
    properties = _queue(current, kind, poison).get_queue_properties()
    return properties.approximate_message_count


def _visible(current, kind: str) -> list:
    return list(_queue(current, kind).peek_messages(max_messages=32))


def _pacing_state(current) -> dict | None:
    state = storage.container(current["STATE_CONTAINER"])
    return storage.read_json(state, f"pacing/{AD_ACCOUNT}.json")


def _assert_exported_exactly(emulator, current, run_id: str, expected) -> dict:
    """The run succeeded, counted each batch once and the audience is the segment."""
    run = h.status(current, run_id)
    assert run["status"] == "succeeded", run.get("errors")
    assert run["batches"] == {
        "total": BATCHES,
        "done": BATCHES,
        "failed": 0,
        "cancelled": 0,
    }
    assert sorted(h.batch_statuses(current, run_id)) == list(range(1, BATCHES + 1))
    assert run["rows_read"] == ROWS
    assert run["rows_sent"] + sum(run["rows_skipped"].values()) == ROWS
    audience = h.audience_fingerprint(emulator, current, run_id)
    assert audience == h.expected_members(expected)
    return run


def _nothing_poisoned(current) -> bool:
    return not _queued(current, "BATCHES", True) and not _queued(
        current, "REQUESTS", True
    )


def _failed_deliveries(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "shared.local_runner" and r.levelno >= logging.WARNING
    ]


# --- pacing --------------------------------------------------------------------


class _Storm:
    """Arms a wave of rate-limit answers each time a batch is recorded, so the storm
    reaches several workers in turn; done when the run has ended."""

    def __init__(self, emulator, current, run_id: str, waves):
        self.emulator = emulator
        self.waves = list(waves)
        self.recorded = -1
        self.ended = h.run_ended(current, run_id)
        self.current, self.run_id = current, run_id

    def __call__(self) -> bool:
        recorded = runs.count_outcomes(self.current, self.run_id)
        if self.waves and recorded > self.recorded:
            self.recorded = recorded
            for code, minutes in self.waves.pop(0):
                self.emulator.throttle(1, code, minutes, path_contains="/users")
        return self.ended()


STORM = [[(80003, 2)], [(17, 1), (613, 3)]]
REGAIN_MINUTES = {80003: 2, 17: 1, 613: 3}


def test_a_throttling_storm_is_waited_out_and_every_batch_counts_once(
    current, on_fake_time, fake, tmp_path, monkeypatch
):
    # Every wait is slept on the fake clock here, however long, so the whole storm
    # plays out inline; a long wait's trip back through the queue is tested below.
    monkeypatch.setattr(worker, "MAX_INLINE_WAIT_SECONDS", 3600.0)
    expected = _arrange(current, tmp_path)
    run_id = h.start_run(current, SEGMENT)

    h.run_until(current, _Storm(on_fake_time, current, run_id, STORM))

    _assert_exported_exactly(on_fake_time, current, run_id, expected)
    calls = h.upload_calls(on_fake_time)
    throttled = [i for i, c in enumerate(calls) if c["code"] in RATE_LIMIT_CODES]
    assert [calls[i]["code"] for i in throttled] == [80003, 17, 613]
    for index in throttled:
        free_at = calls[index]["at"] + 60 * REGAIN_MINUTES[calls[index]["code"]]
        assert all(later["at"] >= free_at for later in calls[index + 1 :])
    assert sum(1 for c in calls if c["status"] == 200) == BATCHES  # one upload each
    last = calls[throttled[-1]]
    assert _pacing_state(current)["blocked_until"] == last["at"] + 180
    assert _nothing_poisoned(current)


def test_a_long_wait_puts_the_batch_back_invisible_and_blocks_every_worker(
    current, on_fake_time, fake, tmp_path
):
    _arrange(current, tmp_path, rows=2 * BATCH_ROWS)
    on_fake_time.throttle(1, 17, regain_minutes=10, path_contains="/users")
    run_id = h.start_run(current, SEGMENT)
    began = fake.time()

    def both_batches_set_aside() -> bool:
        planned = h.run_planned(current, run_id)()
        return planned and not _visible(current, "BATCHES")

    h.run_until(current, both_batches_set_aside)

    # Both messages wait in the queue, invisible: the throttled batch's and the one
    # of the batch that found the ad account blocked and made no call at all.
    assert _queued(current, "BATCHES") == 2
    assert len(h.upload_calls(on_fake_time)) == 1
    assert _pacing_state(current) == {"blocked_until": began + 600, "code": 17}
    assert sum(fake.slept) < worker.MAX_INLINE_WAIT_SECONDS  # not slept through
    assert runs.count_outcomes(current, run_id) == 0
    assert runs.read(current, run_id)["status"] == "running"


def test_a_short_block_recorded_by_another_worker_is_slept_through_first(
    current, on_fake_time, fake, tmp_path
):
    expected = _arrange(current, tmp_path)
    began = fake.time()
    pacing.block(current, AD_ACCOUNT, 4.0, 17)  # as a worker elsewhere would
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    _assert_exported_exactly(on_fake_time, current, run_id, expected)
    assert h.upload_calls(on_fake_time)[0]["at"] >= began + 4.0
    assert fake.slept[0] == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("percent", "blocks"),
    [
        pytest.param(90, False, id="near-the-limit-pauses"),
        pytest.param(100, True, id="at-the-limit-blocks-every-worker"),
    ],
)
def test_usage_near_meta_limit_spaces_the_requests_out(
    current, on_fake_time, fake, tmp_path, percent, blocks
):
    expected = _arrange(current, tmp_path)
    on_fake_time.set_usage(call_count=percent)  # on every answer, no wait asked for
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    _assert_exported_exactly(on_fake_time, current, run_id, expected)
    times = [c["at"] for c in h.upload_calls(on_fake_time)]
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))
    assert (_pacing_state(current) is not None) is blocks


def test_a_longer_block_is_never_shortened(current, fake):
    pacing.block(current, AD_ACCOUNT, 300.0, 80003)

    pacing.block(current, AD_ACCOUNT, 60.0, 17)

    assert pacing.blocked_for(current, AD_ACCOUNT) == pytest.approx(300.0)
    assert _pacing_state(current)["code"] == 80003


# --- transient failures --------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "count", "apply_first"),
    [
        pytest.param("5xx", 3, False, id="5xx"),
        pytest.param("html", 3, False, id="html-error-page"),
        pytest.param("empty", 3, False, id="empty-body"),
        pytest.param("drop", 3, False, id="dropped-connection"),
        pytest.param("drop", 2, True, id="answer-lost-after-upload"),
        pytest.param("html", 2, True, id="html-after-upload"),
        pytest.param("5xx", worker.ATTEMPTS + 2, False, id="past-retries-to-queue"),
    ],
)
def test_transient_failures_are_retried_and_nothing_is_lost(
    current, emulator, fake, tmp_path, mode, count, apply_first
):
    expected = _arrange(current, tmp_path)
    emulator.fail(count, mode, path_contains="/users", apply_first=apply_first)
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    _assert_exported_exactly(emulator, current, run_id, expected)
    assert len(h.upload_calls(emulator)) == BATCHES + count  # each failure retried
    assert _nothing_poisoned(current)
    assert fake.slept  # the retries backed off, on the fake clock


# --- token expired -------------------------------------------------------------


def test_an_expired_token_fails_the_run_at_once_and_keeps_what_was_sent(
    current, emulator, fake, tmp_path
):
    _arrange(current, tmp_path)
    run_id = h.start_run(current, SEGMENT)
    h.run_until(current, h.batches_recorded(current, run_id, 2))
    sent_before = sum(o["rows_sent"] for o in runs.outcomes(current, run_id))
    emulator.expire_token(TOKEN)
    calls_before = emulator.stats()["total"]

    h.run_until_ended(current, run_id)

    run = h.status(current, run_id)
    assert run["status"] == "failed"
    assert "reconnect" in run["message"]
    assert run["errors"][0]["code"] == 190
    recent = emulator.stats()["recent"][calls_before:]
    assert [c["code"] for c in recent] == [190]  # one call, no retry storm
    assert h.batch_statuses(current, run_id) == {
        1: "done",
        2: "done",
        3: "failed",
        4: "cancelled",
    }
    assert run["rows_sent"] == sent_before > 0
    assert _nothing_poisoned(current)


# --- exactly once --------------------------------------------------------------


def _batch_texts(current, run_id: str) -> dict[int, str]:
    """The planned batch messages' text by batch number, read before delivery."""
    h.run_until(current, h.run_planned(current, run_id))
    texts = {}
    for message in _visible(current, "BATCHES"):
        texts[json.loads(message.content)["seq"]] = message.content
    assert len(texts) == BATCHES
    return texts


def test_a_batch_delivered_again_after_the_run_ended_changes_nothing(
    current, emulator, fake, tmp_path
):
    expected = _arrange(current, tmp_path)
    run_id = h.start_run(current, SEGMENT)
    texts = _batch_texts(current, run_id)
    h.run_until_ended(current, run_id)
    before = h.status(current, run_id)
    uploads = len(h.upload_calls(emulator))

    _queue(current, "BATCHES").send_message(texts[1])
    h.run_until(current, h.queue_idle(current["EXPORT_BATCHES_QUEUE"]))

    after = _assert_exported_exactly(emulator, current, run_id, expected)
    assert after == before
    assert len(h.upload_calls(emulator)) == uploads  # not uploaded again


def test_a_batch_delivered_twice_while_the_run_goes_on_counts_once(
    current, emulator, fake, tmp_path
):
    expected = _arrange(current, tmp_path)
    run_id = h.start_run(current, SEGMENT)
    texts = _batch_texts(current, run_id)
    h.run_until(current, h.batches_recorded(current, run_id, 1))

    worker.process_batch(current, texts[1])  # the host delivers batch 1 again
    h.run_until_ended(current, run_id)

    _assert_exported_exactly(emulator, current, run_id, expected)
    assert len(h.upload_calls(emulator)) == BATCHES


def test_a_worker_lost_after_upload_before_recording_counts_its_batch_once(
    current, emulator, fake, tmp_path, monkeypatch
):
    expected = _arrange(current, tmp_path)
    record = runs.record
    lost = []

    def crash_once_after_upload(current_settings, run_id, outcome: BatchOutcome):
        # Stands for a worker that dies between Meta's answer and its record.
        if outcome.seq == 2 and outcome.status == "done" and not lost:
            lost.append(outcome.rows_sent)
            raise RuntimeError("worker killed before recording")
        return record(current_settings, run_id, outcome)

    monkeypatch.setattr(runs, "record", crash_once_after_upload)
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    run = _assert_exported_exactly(emulator, current, run_id, expected)
    assert lost and lost[0] > 0
    assert len(h.upload_calls(emulator)) == BATCHES + 1  # batch 2 went twice
    counted = sum(o["rows_sent"] for o in runs.outcomes(current, run_id))
    assert run["rows_sent"] == counted == run["num_received"]


def test_a_batch_that_always_fails_is_poisoned_and_the_run_partly_fails(
    current, emulator, fake, tmp_path, caplog
):
    _arrange(current, tmp_path, rows=2 * BATCH_ROWS)
    run_id = h.start_run(current, SEGMENT)
    h.run_until(current, h.run_planned(current, run_id))
    # Batch 2 is held back (taken, invisible) while batch 1 fails on every delivery.
    queue = _queue(current, "BATCHES")
    taken = {
        json.loads(m.content)["seq"]: m
        for m in queue.receive_messages(max_messages=32, visibility_timeout=600)
    }
    queue.update_message(taken[1], visibility_timeout=0)
    deliveries = 2
    emulator.fail(worker.ATTEMPTS * deliveries, "5xx", path_contains="/users")
    # Taking the messages above counted as their first delivery.
    host = HostQueueSettings(max_dequeue_count=1 + deliveries, visibility_timeout=0)
    h.run_until(current, h.batches_recorded(current, run_id, 1), host=host)
    queue.update_message(taken[2], visibility_timeout=0)

    h.run_until_ended(current, run_id, host=host)

    run = h.status(current, run_id)
    assert run["status"] == "partly_failed"
    assert h.batch_statuses(current, run_id) == {1: "poisoned", 2: "done"}
    assert run["batches"]["failed"] == 1
    (error,) = [e for e in run["errors"] if e.get("batch") == 1]
    assert error["rows"] == "1-500"
    assert "every delivery" in error["message"]
    assert len(_failed_deliveries(caplog)) >= deliveries
    assert _queued(current, "BATCHES", poison=True) == 0  # recorded, then removed


# --- bad input -----------------------------------------------------------------


class BadRow(NamedTuple):
    record: bytes
    reason: str
    column: str | None = None


EMPTY_TAIL = b",,,,,,,,,"  # the nine columns after EMail, up to Notes, empty
BAD_ROWS = {
    # row number in the segment -> the record put there and what the log must say
    3: BadRow(b"C-1,Ann,Lee,ann@exa\xffmple.com" + EMPTY_TAIL + b"\r\n", "bad_utf8"),
    4: BadRow(b"C-2,Bob,Ray\r\n", "wrong_column_count"),
    5: BadRow(
        b"C-3,Cy,Ode,cy@example.com" + EMPTY_TAIL + b"x" * 1_000_000 + b"\r\n",
        "field_too_long",
        "Notes",
    ),
    # In batch 2, whose other rows are clean: the one-pass reading must hand over.
    BATCH_ROWS + 7: BadRow(
        b"C-4,Di,Ash,di@exam\rple.com" + EMPTY_TAIL + b"\r\n", "stray_line_break"
    ),
}


def _segment_with_bad_rows(good_csv: bytes) -> bytes:
    """The good segment with BAD_ROWS put in at their row numbers."""
    return _insert_rows(good_csv, {row: bad.record for row, bad in BAD_ROWS.items()})


def _insert_rows(good_csv: bytes, records: dict[int, bytes]) -> bytes:
    """The segment with raw records put in so that they get these row numbers."""
    header, *rows = list(csv.reader(io.StringIO(good_csv.decode("utf-8"))))
    out = io.BytesIO()
    _write_records(out, [header])
    row = 1
    for record in rows:
        while row in records:
            out.write(records[row])
            row += 1
        _write_records(out, [record])
        row += 1
    return out.getvalue()


def _write_records(out: io.BytesIO, records: list[list[str]]) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(records)
    out.write(text.getvalue().encode("utf-8"))


def test_malformed_rows_are_skipped_with_their_reason_and_the_run_goes_on(
    current, emulator, fake, tmp_path
):
    good, expected = h.write_sample(tmp_path, ROWS - len(BAD_ROWS))
    h.save_destination(current, SEGMENT)
    h.upload_segment(current, SEGMENT, _segment_with_bad_rows(good.read_bytes()))
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    run = _assert_exported_exactly(emulator, current, run_id, expected)
    problems = {e["row"]: e for e in run["errors"] if "row" in e}
    assert sorted(problems) == sorted(BAD_ROWS)
    for row, bad in BAD_ROWS.items():
        assert problems[row]["reason"] == bad.reason
        assert problems[row]["file"] == SEGMENT
        assert problems[row].get("column") == bad.column
        assert f"{SEGMENT} row {row}" in problems[row]["message"]
        assert run["rows_skipped"][bad.reason] == 1, run["rows_skipped"]


def _csv_module_ends(data: bytes) -> list[int]:
    """Where Python's csv module ends each record: the lines it took for each."""
    lines = re.findall(rb"[^\n]*\n|[^\n]+\Z", data)
    taken = []

    def feed():
        for line in lines:
            taken.append(len(line))
            yield line.decode()

    return [sum(taken) for _ in csv.reader(feed())]


CSV_PIECES = st.sampled_from(["a", "b", ",", '"', '""', "\n", "\r\n", " "])


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(CSV_PIECES, min_size=1, max_size=60), size=st.integers(1, 64))
def test_records_are_split_where_the_csv_module_ends_them(pieces, size):
    data = "".join(pieces).encode()
    chunks = [data[i : i + size] for i in range(0, len(data), size)]

    header_end, *slices = segments.plan_slices(chunks, "csv", 1)

    assert [header_end] + [s.end for s in slices] == _csv_module_ends(data)


STRAY_QUOTES = [
    b'C-8,Con,O"Brien,,,,,,,,,,\r\n',  # no e-mail: skipped, the audience unchanged
    b"C-9,Liz,Ray,,,,,,,,,,5'11\" tall\r\n",
]


def test_a_quote_inside_an_unquoted_field_is_an_ordinary_character(
    current, emulator, fake, tmp_path
):
    good, expected = h.write_sample(tmp_path, ROWS - len(STRAY_QUOTES))
    segment = _insert_rows(good.read_bytes(), {7: STRAY_QUOTES[0], 9: STRAY_QUOTES[1]})
    h.save_destination(current, SEGMENT)
    h.upload_segment(current, SEGMENT, segment)
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    # An odd quote used to be read as opening a field: every later row became part
    # of one record, planned as one batch.
    _assert_exported_exactly(emulator, current, run_id, expected)
    assert h.status(current, run_id)["errors"] == []


def test_a_quote_that_never_closes_fails_its_file_naming_the_row(
    current, emulator, fake, monkeypatch
):
    monkeypatch.setattr(segments, "MAX_RECORD_BYTES", 16 * 1024)
    rows = [b"u%d@example.com,Name %d\n" % (row, row) for row in range(1, ROWS + 1)]
    rows[699] = b'u700@example.com,"Never closed\n'  # no quote follows it
    h.save_destination(current, SEGMENT, mapping={"EMAIL": "EMail"})
    h.upload_segment(current, SEGMENT, b"EMail,FirstName\n" + b"".join(rows))
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    run = h.status(current, run_id)
    assert run["status"] == "partly_failed"  # the batch planned before row 700 went
    assert run["batches"] == {"total": 1, "done": 1, "failed": 0, "cancelled": 0}
    error = run["errors"][0]
    assert error["file"] == SEGMENT
    assert error["message"].startswith(f"{SEGMENT}: row 700 is longer than 16,384 ")
    assert _nothing_poisoned(current)


def test_a_segment_rewritten_during_its_run_stops_the_run_instead_of_misreading_it(
    current, emulator, fake, tmp_path
):
    _arrange(current, tmp_path)
    run_id = h.start_run(current, SEGMENT)
    h.run_until(current, h.run_planned(current, run_id))
    rewritten, _ = h.write_sample(tmp_path, ROWS, seed=9)  # the platform exports anew
    h.upload_segment(current, SEGMENT, rewritten)

    h.run_until_ended(current, run_id)

    run = h.status(current, run_id)
    assert run["status"] == "failed"
    assert run["message"].startswith(f"{SEGMENT}: the file changed after the run")
    assert h.upload_calls(emulator) == []  # no row read at a stale offset was sent
    assert set(h.batch_statuses(current, run_id).values()) == {"failed", "cancelled"}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_gzip_segment_is_exported_exactly_and_its_working_copy_removed(
    current, emulator, fake, tmp_path, fmt
):
    name = f"crm/customers.{fmt}.gz"
    expected = _arrange(current, tmp_path, name=name, fmt=fmt, gzipped=True)
    run_id = h.start_run(current, name)

    h.run_until_ended(current, run_id)

    _assert_exported_exactly(emulator, current, run_id, expected)
    assert runs.read(current, run_id)["work_blobs"]  # it was read from a copy
    assert h.segment_blobs(current) == [name]


def _truncated_gzip(plain: bytes) -> bytes:
    packed = gzip.compress(plain)
    return packed[: len(packed) // 2]


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        pytest.param(_truncated_gzip, "truncated", id="truncated-gzip"),
        pytest.param(lambda plain: plain, "not a valid gzip file", id="not-gzip"),
    ],
)
def test_a_broken_gzip_file_is_named_in_the_run_log_without_retries(
    current, emulator, fake, tmp_path, caplog, damage, words
):
    name = "crm/customers.csv.gz"
    plain, _ = h.write_sample(tmp_path, ROWS)
    h.save_destination(current, name)
    h.upload_segment(current, name, damage(plain.read_bytes()))
    run_id = h.start_run(current, name)

    h.run_until_ended(current, run_id)

    run = h.status(current, run_id)
    assert run["status"] == "failed"
    (error,) = run["errors"]
    assert error["file"] == name
    assert error["message"].startswith(f"{name}: ") and words in error["message"]
    assert h.upload_calls(emulator) == []  # no part of a damaged file is sent
    assert _failed_deliveries(caplog) == []  # no poison loop
    assert _nothing_poisoned(current)
    assert h.segment_blobs(current) == [name]


def test_a_broken_file_of_a_prefix_does_not_stop_the_others(
    current, emulator, fake, tmp_path
):
    good, expected = h.write_sample(tmp_path, ROWS)
    h.save_destination(current, "vip/")
    h.upload_segment(current, "vip/part-1.csv", good)
    h.upload_segment(current, "vip/part-2.csv.gz", _truncated_gzip(b"EMail\nx\n"))
    run_id = h.start_run(current, "vip/")

    h.run_until_ended(current, run_id)

    run = h.status(current, run_id)
    assert run["status"] == "partly_failed"
    assert run["errors"][0]["file"] == "vip/part-2.csv.gz"
    assert run["batches"]["done"] == BATCHES
    audience = h.audience_fingerprint(emulator, current, run_id)
    assert audience == h.expected_members(expected)


# --- runs of one segment ---------------------------------------------------------


def test_a_second_start_while_a_run_goes_on_answers_already_running(
    current, emulator, fake, tmp_path
):
    _arrange(current, tmp_path)
    first = h.start_run(current, SEGMENT)
    h.run_until(current, h.run_planned(current, first))

    (again,) = exports.start_exports(current, h.DESTINATION_ID, [SEGMENT])
    h.run_until_ended(current, first)
    (later,) = exports.start_exports(current, h.DESTINATION_ID, [SEGMENT])

    assert again == {"segment": SEGMENT, "run_id": first, "status": "already_running"}
    assert later["status"] == "queued" and later["run_id"] != first


def test_the_planner_of_a_second_run_waits_for_the_first_to_end(
    current, emulator, fake, tmp_path
):
    expected = _arrange(current, tmp_path)
    first = h.start_run(current, SEGMENT)
    # The trigger's claim answers a second request at once (tests/test_export_flow);
    # without it, as when two triggers race, the planner's lease keeps runs apart.
    _drop_claims(current)
    second = h.start_run(current, SEGMENT)  # both queued before either planned

    def second_waits() -> bool:
        return "waiting" in (runs.read(current, second).get("message") or "")

    h.run_until(current, second_waits)
    waiting = runs.read(current, second)
    put_back = _queued(current, "REQUESTS")
    h.run_until_ended(current, first)
    uploads_of_first = len(h.upload_calls(emulator))
    # The host would deliver the put-back request after its delay; deliver it now.
    request = ExportRequest(second, h.DESTINATION_ID, SEGMENT, "http", deferrals=1)
    planner.plan_export(current, encode(request))
    h.run_until_ended(current, second)

    assert waiting["status"] == "queued" and "batches_total" not in waiting
    assert first in waiting["message"]
    assert put_back == 1 and not _visible(current, "REQUESTS")
    assert h.status(current, first)["status"] == "succeeded"
    _assert_exported_exactly(emulator, current, second, expected)
    assert len(h.upload_calls(emulator)) == 2 * uploads_of_first


def _drop_claims(current) -> None:
    state = storage.container(current["STATE_CONTAINER"])
    for name in state.list_blob_names(name_starts_with="claims/"):
        state.delete_blob(name)


# --- the end of a run ------------------------------------------------------------


def _run_with_outcomes(current, batches: int) -> str:
    run_id = runs.new_run_id()
    runs.create(
        current,
        {"run_id": run_id, "status": "running", "batches_total": batches},
    )
    for seq in range(1, batches + 1):
        outcome = BatchOutcome(seq, "done", rows_read=1, rows_sent=1)
        runs.record(current, run_id, outcome)
    return run_id


def test_the_end_of_a_run_is_detected_once_when_the_last_batches_finish_together(
    current, fake
):
    run_id = _run_with_outcomes(current, 2)
    closed = []
    start = threading.Barrier(2)
    results = []

    def last_batch_finishes() -> None:
        start.wait()
        results.append(runs.finish_if_complete(current, run_id, closed.append))

    threads = [threading.Thread(target=last_batch_finishes) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    late = runs.finish_if_complete(current, run_id, closed.append)

    assert sorted(results) == [False, True]
    assert late is False
    assert len(closed) == 1
    assert runs.read(current, run_id)["status"] == "succeeded"


def test_a_run_is_not_closed_before_its_last_batch(current, fake):
    run_id = _run_with_outcomes(current, 2)
    runs.update(current, run_id, batches_total=3)

    assert runs.finish_if_complete(current, run_id) is False
    assert runs.read(current, run_id)["status"] == "running"


def test_a_worker_that_fails_while_closing_the_run_closes_it_when_redelivered(
    current, emulator, fake, tmp_path, monkeypatch
):
    expected = _arrange(current, tmp_path)
    failed_errors = runs.failed_errors
    broken = []

    def fail_once(*args, **kwargs):
        if not broken:  # stands for a storage error half way through closing
            broken.append(True)
            raise RuntimeError("storage unavailable")
        return failed_errors(*args, **kwargs)

    monkeypatch.setattr(runs, "failed_errors", fail_once)
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    assert broken
    _assert_exported_exactly(emulator, current, run_id, expected)
    assert locks.holder(current, h.DESTINATION_ID, SEGMENT) is None  # lock freed


@pytest.mark.parametrize(
    ("closer", "closes"),
    [
        pytest.param("batch 2", True, id="same-caller-again"),
        pytest.param("batch 1", False, id="another-caller"),
        pytest.param("", False, id="unnamed-caller"),
    ],
)
def test_only_the_caller_that_began_closing_may_close_again(
    current, fake, closer, closes
):
    run_id = _run_with_outcomes(current, 2)
    state = storage.container(current["RUNS_CONTAINER"])
    storage.write_json(state, f"{run_id}/finished", {"by": "batch 2"})

    closed = runs.finish_if_complete(current, run_id, closer=closer)

    assert closed is closes
    assert (runs.read(current, run_id)["status"] == "succeeded") is closes


def test_a_request_that_fails_on_every_delivery_fails_its_run_instead_of_poisoning(
    current, emulator, fake, tmp_path, caplog
):
    _arrange(current, tmp_path)
    emulator.fail(20, "5xx", path_contains="/customaudiences")  # creating the audience
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id)

    run = h.status(current, run_id)
    assert run["status"] == "failed"
    assert run["message"].startswith(f"planning failed {planner.MAX_PLAN_FAILURES} ")
    assert "transient" in run["message"]
    assert len(_failed_deliveries(caplog)) == planner.MAX_PLAN_FAILURES - 1
    assert _nothing_poisoned(current)
    assert locks.holder(current, h.DESTINATION_ID, SEGMENT) is None
