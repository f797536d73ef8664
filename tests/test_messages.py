"""Queue messages: small JSON pointers that survive the trip through a queue."""

from __future__ import annotations

import json

import pytest

from shared.errors import InvalidInput
from shared.messages import (
    MAX_MESSAGE_BYTES,
    BatchMessage,
    ExportRequest,
    decode,
    encode,
)

REQUEST = ExportRequest(
    run="20250301T020000Z-newsletter-de-3f9a",
    destination="newsletter-de",
    segment="crm/newsletter/",
    trigger="schedule",
)
BATCH = BatchMessage(
    run="20250301T020000Z-newsletter-de-3f9a",
    seq=12,
    file=1,
    blob="crm/newsletter/part-0001.csv.gz.20250301T020000Z.exportwork",
    start=1_048_576,
    end=2_097_152,
    first_row=110_001,
    rows=10_000,
    deferrals=2,
)


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(REQUEST, id="export-request"),
        pytest.param(BATCH, id="batch"),
        pytest.param(
            BatchMessage("r", 1, 0, "kunden/zoë 李.csv", 0, 10, 1, 1), id="non-ascii"
        ),
    ],
)
def test_encode_then_decode_gives_the_same_message(message):
    assert decode(type(message), encode(message)) == message


def test_encoded_messages_are_compact_json():
    text = encode(REQUEST)

    assert " " not in text
    assert json.loads(text)["segment"] == "crm/newsletter/"


def test_missing_optional_fields_take_their_defaults():
    text = json.dumps({"run": "r", "destination": "d", "segment": "s", "trigger": "t"})

    assert decode(ExportRequest, text).deferrals == 0


def test_unknown_extra_fields_are_ignored():
    document = json.loads(encode(BATCH))
    document.update(priority="high", added_in_a_later_version={"x": 1})

    assert decode(BatchMessage, json.dumps(document)) == BATCH


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("not json", id="not-json"),
        pytest.param('{"run": "r", "seq": ', id="cut-off"),
        pytest.param("[]", id="list"),
        pytest.param("null", id="null"),
        pytest.param("42", id="number"),
        pytest.param('"run"', id="string"),
        pytest.param('{"run": "r"}', id="missing-fields"),
    ],
)
def test_malformed_messages_are_invalid_input(text):
    with pytest.raises(InvalidInput, match="not a BatchMessage message"):
        decode(BatchMessage, text)


def test_a_message_of_another_kind_is_invalid_input():
    with pytest.raises(InvalidInput, match="not a BatchMessage message"):
        decode(BatchMessage, encode(REQUEST))


def _batch_with_blob(blob: str) -> BatchMessage:
    return BatchMessage("r", 1, 0, blob, 0, 10, 1, 1)


def test_a_message_of_exactly_the_limit_is_encoded():
    overhead = len(encode(_batch_with_blob("")))
    message = _batch_with_blob("b" * (MAX_MESSAGE_BYTES - overhead))

    assert len(encode(message)) == MAX_MESSAGE_BYTES


def test_an_oversize_message_is_invalid_input_without_its_content():
    overhead = len(encode(_batch_with_blob("")))
    blob = "segment-" + "b" * (MAX_MESSAGE_BYTES - overhead)

    with pytest.raises(InvalidInput, match="too large") as caught:
        encode(_batch_with_blob(blob))

    assert "segment-" not in str(caught.value)


def test_non_ascii_counts_in_its_escaped_size():
    # json.dumps escapes "é" as \u00e9: six bytes on the queue, six counted.
    message = _batch_with_blob("é" * (MAX_MESSAGE_BYTES // 6))

    with pytest.raises(InvalidInput, match="too large"):
        encode(message)
