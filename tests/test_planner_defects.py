"""Planner defects found in testing: a segment file rewritten while it is planned, a
CSV header the mapping does not fit, JSON Lines values that are not plain text,
working copies left behind by a failed run, and a destination edited while its
audience is created.

Whole runs go through Azurite and the Graph API emulator with the local runner
delivering messages inline (`test_export_helpers`), on a fake clock.
"""

from __future__ import annotations

import gzip

import pytest
import test_export_helpers as h
from conftest import TOKEN

from shared import audiences, destinations, planner, runs, segments, storage
from shared import settings as app_settings
from shared.errors import StopRun
from shared.graph import GraphClient
from shared.segments import RowProblem, parse_header, read_rows

SEGMENT = "crm/customers.csv"
ROWS = 300
BATCH_ROWS = 50


@pytest.fixture
def current(env, monkeypatch):
    monkeypatch.setenv("BATCH_ROWS", str(BATCH_ROWS))
    return app_settings.load()


@pytest.fixture
def small_reads(current, monkeypatch):
    """Downloads in 4 KiB GETs: the SDK reads a small blob in one GET otherwise, and
    only a GET after the first sees (by its etag) that the blob was rewritten."""
    config = storage.container(current["SEGMENTS_CONTAINER"])._config
    monkeypatch.setattr(config, "max_single_get_size", 4096)
    monkeypatch.setattr(config, "max_chunk_get_size", 4096)


def _rewrite_after_batch(monkeypatch, current, seq: int, name: str, data: bytes):
    """Upload `data` as `name` once batch `seq` has been queued, as a job that
    rewrites the file while the planner streams it would."""
    send_batch = planner._send_batch

    def send_then_rewrite(queue, run_id, sent_seq, index, blob, piece):
        send_batch(queue, run_id, sent_seq, index, blob, piece)
        if sent_seq == seq:
            h.upload_segment(current, name, data)

    monkeypatch.setattr(planner, "_send_batch", send_then_rewrite)


def _ended(current, run_id: str) -> dict:
    """Run until the run ends and no batch message is left; its status."""
    h.run_until_ended(current, run_id)
    h.run_until(current, h.queue_idle(current["EXPORT_BATCHES_QUEUE"]))
    return h.status(current, run_id)


# --- 1. a file rewritten while it is planned -------------------------------------


def test_a_file_rewritten_while_planned_fails_the_run_and_nothing_is_sent(
    current, emulator, fake, tmp_path, monkeypatch, small_reads
):
    h.upload_sample(current, tmp_path, SEGMENT, ROWS)
    h.save_destination(current, SEGMENT)
    other, _ = h.write_sample(tmp_path, ROWS, seed=9)
    _rewrite_after_batch(monkeypatch, current, 2, SEGMENT, other.read_bytes())
    run_id = h.start_run(current, SEGMENT)

    run = _ended(current, run_id)

    assert run["status"] == "failed"
    assert run["message"] == planner.CHANGED_WHILE_PLANNED.format(SEGMENT)
    assert "plan_failures" not in run  # ended at once, not retried
    assert h.upload_calls(emulator) == []  # the queued batches were dropped
    assert runs.count_outcomes(current, run_id) == 0


# --- 2. the mapping against the CSV header ---------------------------------------


def _header_changed(sample: bytes, header: bytes) -> bytes:
    return header + sample[sample.index(b"\n") + 1 :]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        pytest.param(
            b"CustomerId,Email,Telephone,FirstName,LastName,City,State,PostCode,"
            b"Country\r\n",
            "the header lacks the mapped columns 'EMail' (the header has 'Email')",
            id="mapped-column-missing",
        ),
        pytest.param(
            b"EMail,Telephone,FirstName,LastName,City,State,PostCode,Country,City\r\n",
            "the header repeats the columns 'City'",
            id="duplicate-column",
        ),
        pytest.param(
            b"EMail,Telephone,FirstName,LastName,City,State,PostCode,Country,N\x01\r\n",
            "control characters in columns 9",
            id="control-character",
        ),
    ],
)
def test_a_header_the_mapping_does_not_fit_fails_its_file_naming_the_columns(
    current, emulator, fake, header, words
):
    rows = b"1,a@example.com,,,,,,,,\r\n"
    h.save_destination(current, SEGMENT)
    h.upload_segment(current, SEGMENT, header + rows)
    run_id = h.start_run(current, SEGMENT)

    run = _ended(current, run_id)

    assert run["status"] == "failed"
    (error,) = run["errors"]
    assert error["file"] == SEGMENT
    assert error["message"].startswith(f"{SEGMENT}: ") and words in error["message"]
    assert h.upload_calls(emulator) == []


def test_check_mapped_columns_accepts_a_header_with_every_mapped_column():
    segments.check_mapped_columns(["EMail", "Other"], ["EMail", "EMail"], "a.csv")


# --- 3. a header the csv module refuses -------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(b"EMail,Phone\rann@example.com,1\r", id="cr-only-line-ends"),
        pytest.param(b"EMail\r,Phone\n", id="stray-cr-in-header"),
    ],
)
def test_a_header_the_csv_module_refuses_is_a_value_error_naming_the_file(header):
    with pytest.raises(ValueError, match="^crm/customers.csv: .*carriage return"):
        parse_header(header, "crm/customers.csv")


# --- 4. JSON Lines values ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param('"Ann"', "Ann", id="string"),
        pytest.param("null", "", id="null"),
        pytest.param("true", "true", id="true"),
        pytest.param("false", "false", id="false"),
        pytest.param("7", "7", id="integer"),
        pytest.param("1.50", "1.50", id="decimal-as-written"),
        pytest.param("-2e3", "-2e3", id="exponent-as-written"),
        pytest.param("12345678901234567890", "12345678901234567890", id="big"),
    ],
)
def test_json_lines_scalars_become_their_json_text(value, text):
    data = f'{{"EXTERN_ID": {value}}}\n'.encode()

    rows = list(read_rows(data, "jsonl", None, first_row=3))

    assert rows == [{"EXTERN_ID": text}]


@pytest.mark.parametrize(
    "value",
    [pytest.param('{"id": 7}', id="object"), pytest.param("[7]", id="array")],
)
def test_a_json_lines_object_or_array_value_skips_the_row_naming_the_column(value):
    data = f'{{"EMail": "a@example.com", "EXTERN_ID": {value}}}\n'.encode()

    (row,) = read_rows(data, "jsonl", None, first_row=3)

    assert row == RowProblem(3, "nested_value", "EXTERN_ID")
    assert "object or array" in row.describe("a.jsonl")


def test_a_nested_value_in_a_column_the_destination_does_not_use_is_ignored():
    data = b'{"EMail": "a@example.com", "Meta": {"source": "crm"}}\n'

    (row,) = read_rows(data, "jsonl", None, first_row=1, mapped=frozenset({"EMail"}))

    assert row == {"EMail": "a@example.com"}


def test_a_nested_value_in_a_mapped_column_skips_the_row():
    data = b'{"EMail": ["a@example.com"]}\n'

    (row,) = read_rows(data, "jsonl", None, first_row=1, mapped=frozenset({"EMail"}))

    assert row == RowProblem(1, "nested_value", "EMail")


def test_a_bom_at_the_start_of_a_json_lines_file_is_dropped():
    data = b'\xef\xbb\xbf{"EMail": "a@example.com"}\n{"EMail": "b@example.com"}\n'

    rows = list(read_rows(data, "jsonl", None, first_row=1))

    assert rows == [{"EMail": "a@example.com"}, {"EMail": "b@example.com"}]


# --- 5. working copies of a failed run ---------------------------------------------


def _fail_planning_of_second_file(monkeypatch, current, tmp_path, case: str):
    if case == "file-rewritten":
        other, _ = h.write_sample(tmp_path, ROWS, seed=9)
        _rewrite_after_batch(
            monkeypatch, current, 8, "vip/part-2.csv", other.read_bytes()
        )
        return
    send_batch = planner._send_batch

    def broken_queue(queue, run_id, seq, index, blob, piece):
        if index == 1:
            raise RuntimeError("queue unavailable")
        send_batch(queue, run_id, seq, index, blob, piece)

    monkeypatch.setattr(planner, "_send_batch", broken_queue)


@pytest.mark.parametrize("case", ["file-rewritten", "planning-gives-up"])
def test_a_run_the_planner_fails_leaves_no_working_copy(
    current, emulator, fake, tmp_path, monkeypatch, small_reads, case
):
    plain, _ = h.write_sample(tmp_path, ROWS)
    h.upload_segment(current, "vip/part-1.csv.gz", gzip.compress(plain.read_bytes()))
    h.upload_segment(current, "vip/part-2.csv", plain)
    h.save_destination(current, "vip/")
    _fail_planning_of_second_file(monkeypatch, current, tmp_path, case)
    run_id = h.start_run(current, "vip/")

    run = _ended(current, run_id)

    assert run["status"] == "failed"
    assert runs.read(current, run_id)["work_blobs"]  # a copy was made, then deleted
    assert h.segment_blobs(current) == ["vip/part-1.csv.gz", "vip/part-2.csv"]


def test_a_run_closed_with_a_file_error_deletes_its_working_copy(
    current, emulator, fake, tmp_path
):
    plain, _ = h.write_sample(tmp_path, ROWS)
    h.upload_segment(current, "vip/part-1.csv.gz", gzip.compress(plain.read_bytes()))
    h.upload_segment(current, "vip/part-2.csv", b"Email\r\na@example.com\r\n")
    h.save_destination(current, "vip/")
    run_id = h.start_run(current, "vip/")

    run = _ended(current, run_id)

    assert run["status"] == "partly_failed"
    assert run["errors"][0]["file"] == "vip/part-2.csv"
    assert h.segment_blobs(current) == ["vip/part-1.csv.gz", "vip/part-2.csv"]


# --- 6. a destination edited while its audience is created -------------------------


def _edit_while_creating(monkeypatch, edit):
    create = GraphClient.create_audience

    def create_then_edit(self, *args, **kwargs):
        audience_id = create(self, *args, **kwargs)
        edit()
        return audience_id

    monkeypatch.setattr(GraphClient, "create_audience", create_then_edit)


def _ensure(current, destination_id: str = h.DESTINATION_ID) -> str:
    destination = destinations.load(current, destination_id)
    return audiences.ensure_audience(current, destination, TOKEN)


def test_an_edit_saved_while_the_audience_is_created_is_kept(
    current, emulator, monkeypatch
):
    h.save_destination(current, SEGMENT)
    edited = {**h.MAPPING, "EMAIL": "Mail"}
    _edit_while_creating(
        monkeypatch, lambda: h.save_destination(current, SEGMENT, mapping=edited)
    )

    audience_id = _ensure(current)

    kept = destinations.load(current, h.DESTINATION_ID)
    assert kept.mapping == edited
    assert kept.audience.id == audience_id


def test_a_destination_deleted_while_the_audience_is_created_stays_deleted(
    current, emulator, monkeypatch
):
    h.save_destination(current, SEGMENT)
    _edit_while_creating(
        monkeypatch, lambda: destinations.delete(current, h.DESTINATION_ID)
    )

    with pytest.raises(StopRun, match="was deleted while its audience was created"):
        _ensure(current)

    assert destinations.list_ids(current) == []


def test_a_run_whose_destination_is_deleted_during_creation_fails_saying_so(
    current, emulator, fake, tmp_path, monkeypatch
):
    h.upload_sample(current, tmp_path, SEGMENT, ROWS)
    h.save_destination(current, SEGMENT)
    _edit_while_creating(
        monkeypatch, lambda: destinations.delete(current, h.DESTINATION_ID)
    )
    run_id = h.start_run(current, SEGMENT)

    run = _ended(current, run_id)

    assert run["status"] == "failed"
    assert "was deleted" in run["message"]
    assert destinations.list_ids(current) == []
