"""Planner defects found in testing: a segment file rewritten while it is planned, a
CSV header the mapping does not fit, JSON Lines values that are not plain text,
working copies left behind by a failed run, and a destination edited while its
audience is created.

Whole runs go through Azurite and the Graph API emulator with the local runner
delivering messages inline (`test_export_helpers`), on a fake clock.
"""

from __future__ import annotations

import pytest
import test_export_helpers as h

from shared import planner, segments, storage
from shared import settings as app_settings
from shared.segments import RowProblem, parse_header, read_rows

SEGMENT = "crm/customers.csv"
ROWS = 300
BATCH_ROWS = 50


@pytest.fixture
def current(env, monkeypatch):
    monkeypatch.setenv("BATCH_ROWS", str(BATCH_ROWS))
    return app_settings.load()


@pytest.fixture
def fake():
    with h.fake_time() as fake_clock:
        yield fake_clock


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


# --- 2. the mapping against the CSV header -----------------------------------


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


def test_a_bom_at_the_start_of_a_json_lines_file_is_dropped():
    data = b'\xef\xbb\xbf{"EMail": "a@example.com"}\n{"EMail": "b@example.com"}\n'

    rows = list(read_rows(data, "jsonl", None, first_row=1))

    assert rows == [{"EMail": "a@example.com"}, {"EMail": "b@example.com"}]
