"""Queue messages: small JSON pointers, never profile data.

A queue message is at most 64 KiB and the Functions trigger expects base64 text, so a
message's JSON is kept far below 48 KiB: ids, blob names, byte ranges, row numbers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from shared.errors import InvalidInput

MAX_MESSAGE_BYTES = 48 * 1024


@dataclass(frozen=True)
class ExportRequest:
    """Export one segment to one destination (the planner's input)."""

    run: str
    destination: str
    segment: str
    trigger: str
    deferrals: int = 0


@dataclass(frozen=True)
class BatchMessage:
    """One batch: a byte range of one file of the segment (a worker's input)."""

    run: str
    seq: int
    file: int  # index into the run's list of files
    blob: str  # the blob to read: the segment file or its working copy
    start: int
    end: int
    first_row: int
    rows: int
    deferrals: int = 0


def encode(message) -> str:
    text = json.dumps(asdict(message), separators=(",", ":"))
    if len(text) > MAX_MESSAGE_BYTES:
        raise InvalidInput(f"queue message of {len(text)} bytes is too large")
    return text


def decode(kind, text: str):
    """Parse a message; InvalidInput when it is not one of ours."""
    try:
        document = json.loads(text)
        names = {f.name for f in fields(kind)}
        return kind(**{k: v for k, v in document.items() if k in names})
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"not a {kind.__name__} message: {exc}") from None
