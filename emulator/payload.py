"""Checks on the `payload` and `session` fields of an upload (graph-api.md).

Everything here answers code 100 with a message naming the field, row and column at
fault, never the value. The checks are stricter than Meta's on purpose: the emulator
exists to catch a client that sends what Meta would silently count as unmatched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from emulator.errors import GraphError, invalid_parameter
from emulator.forms import GraphRequest
from emulator.members import row_keys

MAX_ROWS = 10_000  # Meta's limit per request (graph-api.md)
MAX_SAMPLES = 100
HASHED_KEYS = frozenset(
    "EMAIL PHONE FN LN FI GEN DOBY DOBM DOBD CT ST ZIP COUNTRY".split()
)
PLAIN_KEYS = frozenset({"MADID", "EXTERN_ID"})
PROCESSING_KEYS = frozenset(
    {
        "DATA_PROCESSING_OPTIONS",
        "DATA_PROCESSING_OPTIONS_COUNTRY",
        "DATA_PROCESSING_OPTIONS_STATE",
    }
)
ALLOWED_KEYS = HASHED_KEYS | PLAIN_KEYS | PROCESSING_KEYS
_INT64 = 1 << 63

_HEX_DIGITS = b"0123456789abcdef"
_CONTROL = re.compile(r"[\x00-\x1f]")
_HASHED_VALUE = re.compile(r"(?:[0-9a-f]{64})?")
# Mobile advertiser ids (IDFA, AAID) are UUIDs, sent lowercase with hyphens and never
# hashed: a 64-hex value here is a hashed id, which Meta cannot match.
_MADID_COLUMN = re.compile(
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?"
    r"(?:\n(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?)*"
)
_MADID_VALUE = re.compile(
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?"
)


@dataclass
class Session:
    session_id: int
    batch_seq: int
    last_batch_flag: bool
    estimated_num_total: int | None = None


@dataclass
class Upload:
    """A checked request: member keys of the rows that hold an identifier."""

    schema: list[str]
    session: Session
    num_received: int
    keys: list[int] = field(default_factory=list)
    invalid_rows: list[int] = field(default_factory=list)

    def answer(self, audience_id: str) -> dict:
        return {
            "audience_id": audience_id,
            "session_id": self.session.session_id,
            "num_received": self.num_received,
            "num_invalid_entries": len(self.invalid_rows),
            "invalid_entry_samples": [
                {"row": row, "reason": "no identifier in the row"}
                for row in self.invalid_rows[:MAX_SAMPLES]
            ],
        }


def read_upload(request: GraphRequest, default_session_id: int) -> Upload:
    """Check the request's payload and session; raise GraphError on the first fault."""
    if "payload" in request.query or "session" in request.query:
        raise invalid_parameter(
            "payload and session belong in the request body, never in the URL"
        )
    payload = _json_field(request, "payload")
    if payload is None:
        raise invalid_parameter("the payload parameter is required")
    session_field = _json_field(request, "session")
    session = (
        read_session(session_field)
        if session_field is not None
        else Session(default_session_id, 1, True)
    )
    return _read_payload(payload, session)


def read_session(value: object) -> Session:
    if not isinstance(value, dict):
        raise invalid_parameter("session must be a JSON object")
    session_id = _integer(value, "session_id", 0, _INT64 - 1)
    batch_seq = _integer(value, "batch_seq", 1, _INT64 - 1)
    last = value.get("last_batch_flag")
    if not isinstance(last, bool):
        raise invalid_parameter("session.last_batch_flag must be true or false")
    total = None
    if value.get("estimated_num_total") is not None:
        total = _integer(value, "estimated_num_total", 0, _INT64 - 1)
    return Session(session_id, batch_seq, last, total)


def _integer(value: dict, name: str, low: int, high: int) -> int:
    number = value.get(name)
    if isinstance(number, bool) or not isinstance(number, int):
        raise invalid_parameter(f"session.{name} must be an integer")
    if not low <= number <= high:
        raise invalid_parameter(f"session.{name} must be between {low} and {high}")
    return number


def _json_field(request: GraphRequest, name: str) -> object | None:
    text = request.form.get(name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise invalid_parameter(f"{name} is not valid JSON") from exc


def _read_payload(payload: object, session: Session) -> Upload:
    if not isinstance(payload, dict):
        raise invalid_parameter("payload must be a JSON object")
    schema = read_schema(payload)
    rows = _read_rows(payload, len(schema))
    # zip transposes in C: one tuple of values per column, checked a column at once.
    for key, values in zip(schema, zip(*rows, strict=True), strict=True):
        check_column(key, values)
    upload = Upload(schema, session, len(rows))
    for index, key in enumerate(row_keys(schema, rows)):
        if key is None:
            upload.invalid_rows.append(index)
        else:
            upload.keys.append(key)
    return upload


def read_schema(payload: dict) -> list[str]:
    schema = payload.get("schema")
    if isinstance(schema, str):
        schema = [schema]
    if not isinstance(schema, list) or not schema:
        raise invalid_parameter("payload.schema must be a non-empty list of keys")
    for position, key in enumerate(schema):
        if not isinstance(key, str) or key not in ALLOWED_KEYS:
            raise invalid_parameter(
                f"payload.schema position {position}: unknown key; allowed keys are "
                + ", ".join(sorted(ALLOWED_KEYS))
            )
    if len(set(schema)) != len(schema):
        raise invalid_parameter("payload.schema names a key more than once")
    if len(set(schema) - PROCESSING_KEYS) > 1 and payload.get("is_raw") is not True:
        raise invalid_parameter("a payload with several keys must set is_raw to true")
    return schema


def _read_rows(payload: dict, width: int) -> list[list]:
    rows = payload.get("data")
    if not isinstance(rows, list) or not rows:
        raise invalid_parameter("payload.data must be a non-empty list of rows")
    if len(rows) > MAX_ROWS:
        raise invalid_parameter(
            f"payload.data holds {len(rows)} rows; at most {MAX_ROWS} per request"
        )
    for index, row in enumerate(rows):
        if type(row) is not list or len(row) != width:
            raise invalid_parameter(
                f"payload.data row {index} must be a list of {width} values, "
                "as wide as the schema"
            )
    return rows


def check_column(key: str, values: tuple) -> None:
    if key in HASHED_KEYS:
        if not _all_digests(values):
            _find_bad_value(key, values, _HASHED_VALUE)
    elif key == "MADID":
        if not _all_device_ids(values):
            _find_bad_value(key, values, _MADID_VALUE)
    elif key == "EXTERN_ID":
        _check_strings(key, values)
    else:
        _check_processing_column(key, values)


def _all_digests(values: tuple) -> bool:
    """True if every value is 64 lowercase hex digits or empty.

    Checked on the whole column at once with C-level calls (lengths, then deleting
    the hex digits from its ASCII bytes) instead of 10,000 regex calls.
    """
    try:
        text = "".join(values).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return False  # a value is not a string or not ASCII: found one by one
    return set(map(len, values)) <= {0, 64} and not text.translate(None, _HEX_DIGITS)


def _all_device_ids(values: tuple) -> bool:
    try:
        return _MADID_COLUMN.fullmatch("\n".join(values)) is not None
    except TypeError:
        return False  # a value is not a string: found one by one


def _find_bad_value(key: str, values: tuple, single: re.Pattern) -> None:
    for index, value in enumerate(values):
        if not isinstance(value, str) or not single.fullmatch(value):
            raise _bad_value(key, index)


def _bad_value(key: str, index: int) -> GraphError:
    if key == "MADID":
        rule = "a mobile advertiser id in lowercase with hyphens, not hashed, or empty"
    else:
        rule = "a SHA-256 digest in lowercase hex (64 characters) or empty"
    return invalid_parameter(f"payload.data row {index}, column {key}: must be {rule}")


def _check_strings(key: str, values: tuple) -> None:
    # Sent exactly as given (graph-api.md), but text, and without control characters:
    # no real id holds them, and member keys use them as separators.
    for index, value in enumerate(values):
        if not isinstance(value, str) or _CONTROL.search(value):
            raise invalid_parameter(
                f"payload.data row {index}, column {key}: must be text without "
                "control characters"
            )


def _check_processing_column(key: str, values: tuple) -> None:
    for index, value in enumerate(values):
        if not _processing_value_ok(key, value):
            raise invalid_parameter(
                f"payload.data row {index}, column {key}: unexpected value type"
            )


def _processing_value_ok(key: str, value: object) -> bool:
    if value == "":
        return True
    if key == "DATA_PROCESSING_OPTIONS":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(value, str):
        return value.isdigit()
    return isinstance(value, int) and not isinstance(value, bool)
