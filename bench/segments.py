"""The benchmark's sample segments in `.bench/`, kept between runs.

A segment is generated once per row count and seed (`tools.sample_segment`), with its
expected file; a small JSON file beside it records both, and is written last, so a
generation cut short is redone rather than trusted. The expected fingerprint of an
audience (tools/audience_check) costs minutes at 10M rows, so it is cached in that
JSON file too, under the mapping it was computed for and the expected file's size
and modification time.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from tools.audience_check import expected_fingerprint
from tools.sample_segment import write_segment


@dataclass(frozen=True)
class Segment:
    rows: int
    seed: int
    csv: Path
    expected: Path
    record: Path

    @property
    def label(self) -> str:
        return size_label(self.rows)

    @property
    def blob_name(self) -> str:
        return f"bench/{self.csv.name}"


def size_label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def locate(directory: Path, rows: int, seed: int) -> Segment:
    stem = f"segment-{size_label(rows)}"
    return Segment(
        rows,
        seed,
        csv=directory / f"{stem}.csv",
        expected=directory / f"{stem}-expected.csv",
        record=directory / f"{stem}.json",
    )


def _read_record(segment: Segment) -> dict:
    try:
        return json.loads(segment.record.read_text())
    except (OSError, ValueError):
        return {}


def _is_current(segment: Segment) -> bool:
    record = _read_record(segment)
    return (
        record.get("rows") == segment.rows
        and record.get("seed") == segment.seed
        and segment.csv.exists()
        and segment.expected.exists()
    )


def ensure(directory: Path, rows: int, seed: int) -> tuple[Segment, float | None]:
    """The segment, generated unless present with the same rows and seed; the
    seconds generation took, or None when the files were kept."""
    directory.mkdir(parents=True, exist_ok=True)
    segment = locate(directory, rows, seed)
    if _is_current(segment):
        return segment, None
    segment.record.unlink(missing_ok=True)
    began = time.monotonic()
    write_segment(segment.csv, rows, seed=seed, expected_path=segment.expected)
    seconds = time.monotonic() - began
    segment.record.write_text(json.dumps({"rows": rows, "seed": seed}))
    return segment, seconds


def _cache_key(segment: Segment, mapping: dict, key_identifier: str) -> str:
    stat = segment.expected.stat()
    described = json.dumps(
        [sorted(mapping.items()), key_identifier, stat.st_size, stat.st_mtime_ns]
    )
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def expected_audience(segment: Segment, mapping: dict, key_identifier: str) -> dict:
    """tools.audience_check's fingerprint of the expected audience, cached."""
    record = _read_record(segment)
    cache = record.setdefault("fingerprints", {})
    key = _cache_key(segment, mapping, key_identifier)
    if key not in cache:
        cache[key] = expected_fingerprint(segment.expected, mapping, key_identifier)
        segment.record.write_text(json.dumps(record))
    return cache[key]
