"""Segment files: naming, listing, splitting into batches and reading a batch.

A segment is one blob, or every blob under a prefix (a name ending in `/`), in the
segments container. Each blob is CSV (header row, UTF-8 with or without BOM, RFC 4180
quoting) or JSON Lines, optionally gzip-compressed, one profile per row.

Splitting never holds a file in memory: one streaming pass finds where every batch of
rows starts (byte offset and row number), respecting quoted fields that contain line
breaks, so a worker can later read exactly its slice with one ranged read and name the
row of any error. Gzip cannot be read by range, so a gzip blob is decompressed once into
a working copy beside it during that same pass; the copy is deleted when the run ends.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# A field this long is not a profile attribute; the row is skipped rather than parsed.
MAX_FIELD_CHARS = 65_536
WORK_SUFFIX = ".exportwork"
_CHUNK = 4 * 1024 * 1024
_SEGMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/ =]{0,1023}$")

csv.field_size_limit(64 * 1024 * 1024)


def check_segment_name(name: object) -> str | None:
    """Why a segment name is unsafe or malformed, or None when it is fine."""
    if not isinstance(name, str) or not name:
        return "must be a blob name or a prefix ending in /"
    if "://" in name or name.startswith("/") or "\\" in name:
        return "must be a name inside the segments container, not a URL or path"
    if any(part in ("..", ".") for part in name.split("/")) or "//" in name:
        return "must not contain . or .. path parts"
    if not _SEGMENT_NAME.fullmatch(name):
        return "may hold only letters, digits, spaces and . _ - = /"
    return None


def file_format(blob_name: str) -> tuple[str, bool]:
    """('csv' or 'jsonl', gzipped) from the blob's name."""
    name = blob_name.lower()
    gzipped = name.endswith(".gz")
    if gzipped:
        name = name[:-3]
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl", gzipped
    return "csv", gzipped


def list_segment_blobs(container_client, segment: str) -> list[str]:
    """The blobs that make up a segment, in name order; empty if none exist."""
    if not segment.endswith("/"):
        blob = container_client.get_blob_client(segment)
        return [segment] if blob.exists() else []
    names = container_client.list_blob_names(name_starts_with=segment)
    return sorted(
        n for n in names if not n.endswith(WORK_SUFFIX) and not n.endswith("/")
    )


@dataclass(frozen=True)
class Slice:
    """Where one batch's rows lie in a (plain, uncompressed) blob."""

    start: int
    end: int
    first_row: int
    rows: int


# One CSV field as Python's csv module reads it (RFC 4180, not strict): quoted, where
# "" stands for a quote and the text after the closing quote runs to the next comma;
# or unquoted, where a quote is an ordinary character (`O"Brien`). The repeats are
# possessive so no other reading is tried: `"a"",b` opens a field, it does not close
# `"a"` early.
_FIELD = rb'(?:"(?:[^"]|"")*+"[^,]*|[^,"][^,]*|)'
# A line, begun outside quotes, that ends outside them.
_LINE_CLOSED = re.compile(rb"(?:" + _FIELD + rb",)*+" + _FIELD)
# A line, begun inside a quoted field, that ends outside quotes.
_REST_CLOSED = re.compile(rb'(?:[^"]|"")*+"[^,]*(?:,' + _FIELD + rb")*+")
# No profile is this long: a record that is must be a quote never closed, or a file
# whose lines do not end with \n; it would otherwise become one huge batch.
MAX_RECORD_BYTES = 16 * 1024 * 1024


class RecordTooLong(ValueError):
    """A record grew past MAX_RECORD_BYTES; `start` is its first byte."""

    def __init__(self, start: int):
        super().__init__(f"a record starting at byte {start} is too long")
        self.start = start


class RecordSplitter:
    """Finds record boundaries in a byte stream fed chunk by chunk.

    A line break ends a CSV record unless it lies inside a quoted field, read the
    way the csv module that later parses the slice reads it, so the plan's rows are
    the reader's rows. JSON Lines escapes line breaks: every line break ends a record.
    The unfinished last line of a chunk is kept (a CSV line is judged whole), and a
    record longer than MAX_RECORD_BYTES raises RecordTooLong.
    """

    def __init__(self, fmt: str):
        self.quoted = fmt == "csv"
        self.in_quotes = False
        self.offset = 0  # bytes consumed so far
        self._partial = b""  # the unfinished last line (CSV)
        self._record_start = 0

    def ends(self, chunk: bytes) -> Iterator[int]:
        """Absolute offsets just past each record that ends in this chunk."""
        base = self.offset - len(self._partial)
        data = self._partial + chunk if self._partial else chunk
        self.offset += len(chunk)
        if not self.quoted or (not self.in_quotes and b'"' not in data):
            yield from self._line_ends(data, base)
        else:
            yield from self._quoted_ends(data, base)
        if self.offset - self._record_start > MAX_RECORD_BYTES:
            raise RecordTooLong(self._record_start)

    def _line_ends(self, data: bytes, base: int) -> Iterator[int]:
        find, start = data.find, 0
        while (end := find(b"\n", start)) >= 0:
            start = end + 1
            yield base + start
        self._keep_rest(data, base, start)

    def _quoted_ends(self, data: bytes, base: int) -> Iterator[int]:
        find = data.find
        closes_line, closes_rest = _LINE_CLOSED.fullmatch, _REST_CLOSED.fullmatch
        start, in_quotes = 0, self.in_quotes
        while (end := find(b"\n", start)) >= 0:
            if in_quotes:
                in_quotes = closes_rest(data, start, end) is None
            elif find(b'"', start, end) >= 0:
                in_quotes = closes_line(data, start, end) is None
            start = end + 1
            if not in_quotes:
                self._record_start = base + start
                yield base + start
        self.in_quotes = in_quotes
        self._partial = data[start:]

    def _keep_rest(self, data: bytes, base: int, start: int) -> None:
        if start:
            self._record_start = base + start
        self._partial = data[start:] if self.quoted else b""

    def finish(self, last_end: int) -> Iterator[int]:
        """The last record when the stream does not end with a line break."""
        if self.offset > last_end:
            yield self.offset


def plan_slices(
    chunks: Iterable[bytes], fmt: str, rows_per_batch: int
) -> Iterator[Slice | int]:
    """First the header's end (CSV: the byte after the header row; JSON Lines: 0),
    then batches of `rows_per_batch` records. Rows are numbered from 1 after the
    header; a blank line keeps its number and is skipped when the slice is read.
    ValueError names the row when a record is longer than MAX_RECORD_BYTES."""
    ends = _all_ends(RecordSplitter(fmt), chunks)
    header_end = 0
    if fmt == "csv":
        header_end = _next_end(ends, "the header row")
        if header_end is None:
            return
    yield header_end
    start = last_end = header_end
    first_row = 1
    count = 0
    while (end := _next_end(ends, f"row {first_row + count}")) is not None:
        count += 1
        last_end = end
        if count == rows_per_batch:
            yield Slice(start, end, first_row, count)
            start, first_row, count = end, first_row + count, 0
    if count:
        yield Slice(start, last_end, first_row, count)


def _next_end(ends: Iterator[int], what: str) -> int | None:
    try:
        return next(ends, None)
    except RecordTooLong:
        raise ValueError(
            f"{what} is longer than {MAX_RECORD_BYTES:,} bytes: a quoted field that "
            "is never closed, or lines that do not end with a line feed"
        ) from None


def _all_ends(splitter: RecordSplitter, chunks: Iterable[bytes]) -> Iterator[int]:
    last_end = 0
    for chunk in chunks:
        for end in splitter.ends(chunk):
            last_end = end
            yield end
    yield from splitter.finish(last_end)


def gunzip_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Decompress a gzip stream chunk by chunk, in pieces of at most 4 MiB.

    Several members follow each other as in `cat a.gz b.gz`, and zero bytes after a
    member are padding, as gzip itself reads them. ValueError when the data is not
    gzip or stops inside a member: a cut-off file must not be exported as if whole.
    """
    decompressor = None  # None between members
    for chunk in chunks:
        while chunk:
            if decompressor is None:
                chunk = chunk.lstrip(b"\0")
                if not chunk:
                    break
                decompressor = zlib.decompressobj(wbits=31)
            data = _inflate(decompressor, chunk)
            chunk = decompressor.unconsumed_tail
            if data:
                yield data
            if decompressor.eof:
                chunk = decompressor.unused_data + chunk
                decompressor = None
    if decompressor is not None:
        yield from _last_piece(decompressor)


def _inflate(decompressor, chunk: bytes) -> bytes:
    try:
        return decompressor.decompress(chunk, _CHUNK)
    except zlib.error as exc:
        raise ValueError(f"not a valid gzip file ({exc})") from None


def _last_piece(decompressor) -> Iterator[bytes]:
    """What the last member still holds; ValueError when its end never came."""
    tail = decompressor.flush()
    if not decompressor.eof:
        raise ValueError("the gzip data ends before its last member does: truncated")
    if tail:
        yield tail


def strip_bom(header: bytes) -> bytes:
    return header[3:] if header.startswith(b"\xef\xbb\xbf") else header


def parse_header(header: bytes, blob_name: str) -> list[str]:
    """CSV column names; raises ValueError naming the file when unusable."""
    try:
        text = strip_bom(header).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{blob_name}: the header row is not UTF-8") from None
    try:
        columns = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        raise ValueError(_unreadable_header(blob_name, text)) from None
    columns = [column.strip() for column in columns]
    if not columns or not any(columns):
        raise ValueError(f"{blob_name}: the file has no header row")
    _check_column_names(columns, blob_name)
    return columns


def _unreadable_header(blob_name: str, text: str) -> str:
    if "\r" in text.rstrip("\r\n"):
        return (
            f"{blob_name}: the header row holds a carriage return that does not end "
            "a line; lines must end with a line feed (LF or CRLF)"
        )
    return f"{blob_name}: the header row is not valid CSV"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _check_column_names(columns: list[str], blob_name: str) -> None:
    """A row becomes column -> value, so two columns of one name would lose one
    value, and a control character makes a name no mapping can match."""
    seen, duplicates = set(), []
    for column in columns:
        if column and column in seen and column not in duplicates:
            duplicates.append(column)
        seen.add(column)
    if duplicates:
        named = ", ".join(repr(column) for column in duplicates)
        raise ValueError(f"{blob_name}: the header repeats the columns {named}")
    odd = [n for n, column in enumerate(columns, start=1) if _CONTROL.search(column)]
    if odd:
        numbers = ", ".join(map(str, odd))
        raise ValueError(
            f"{blob_name}: the header has control characters in columns {numbers}"
        )


def check_mapped_columns(columns: list[str], mapped: list[str], blob_name: str):
    """ValueError naming each mapped column the CSV header lacks: without this a
    misspelt mapping would export no values and still succeed."""
    present = set(columns)
    missing = [column for column in dict.fromkeys(mapped) if column not in present]
    if not missing:
        return
    folded = {column.casefold(): column for column in columns}
    names = []
    for column in missing:
        near = folded.get(column.casefold())
        names.append(f"{column!r} (the header has {near!r})" if near else repr(column))
    raise ValueError(
        f"{blob_name}: the header lacks the mapped columns {', '.join(names)}; "
        "column names are case-sensitive"
    )


@dataclass
class RowProblem:
    """A row that could not be used: its number, why, and which column."""

    row: int
    reason: str
    column: str | None = None

    def describe(self, blob_name: str) -> str:
        where = f"{blob_name} row {self.row}"
        if self.column:
            where += f" column {self.column!r}"
        return f"{where}: {_REASONS[self.reason]}"


_REASONS = {
    "bad_utf8": "not valid UTF-8",
    "wrong_column_count": "number of fields differs from the header",
    "field_too_long": f"a field is longer than {MAX_FIELD_CHARS} characters",
    "bad_json": "not a JSON object",
    "stray_line_break": "a line break inside a field that is not quoted",
    "nested_value": "an object or array where one value belongs",
}


def read_rows(
    data: bytes,
    fmt: str,
    columns: list[str] | None,
    first_row: int,
    mapped: frozenset[str] | None = None,
) -> Iterator[dict[str, str] | RowProblem]:
    """The rows of one slice as column -> text, or a RowProblem for unusable rows.
    `mapped` names the columns the destination uses: a JSON Lines object or array
    value elsewhere is ignored (None: refused in any column)."""
    if fmt == "csv":
        fast = _csv_rows_fast(data, columns, first_row)
        if fast is not None:
            yield from fast
            return
    if fmt == "jsonl" and first_row == 1:  # row 1 starts the file
        data = strip_bom(data)
    for row, record in enumerate(_split_records(data, fmt), start=first_row):
        if not record.strip(b"\r\n"):
            continue
        if fmt == "csv":
            yield _csv_row(record, columns, row)
        else:
            yield _json_row(record, row, mapped)


def _csv_rows_fast(data: bytes, columns: list[str], first_row: int) -> list | None:
    """One csv pass over a slice that decodes cleanly (the csv module yields one
    list per record, blank lines included, so numbering matches the plan); None sends
    the slice down the record-by-record path, which can name the rows that are not
    UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return _csv_fields(text, columns, first_row)
    except csv.Error:
        return None  # a record the csv module refuses; found and named row by row


def _csv_fields(text: str, columns: list[str], first_row: int) -> list:
    rows = []
    width = len(columns)
    reader = csv.reader(io.StringIO(text))
    for row, fields in enumerate(reader, start=first_row):
        if not fields:
            continue
        if len(fields) != width:
            rows.append(RowProblem(row, "wrong_column_count"))
        elif max(map(len, fields)) > MAX_FIELD_CHARS:
            rows.append(_too_long(columns, fields, row))
        else:
            rows.append(dict(zip(columns, fields, strict=True)))
    return rows


def _too_long(columns: list[str], fields: list[str], row: int) -> RowProblem:
    column = next(
        c for c, v in zip(columns, fields, strict=True) if len(v) > MAX_FIELD_CHARS
    )
    return RowProblem(row, "field_too_long", column)


def _split_records(data: bytes, fmt: str) -> list[bytes]:
    splitter = RecordSplitter(fmt)
    records, start = [], 0
    for end in _all_ends(splitter, [data]):
        records.append(data[start:end])
        start = end
    return records


def _decode(record: bytes, row: int) -> str | RowProblem:
    try:
        return record.decode("utf-8")
    except UnicodeDecodeError:
        return RowProblem(row, "bad_utf8")


def _csv_row(record: bytes, columns: list[str], row: int) -> dict | RowProblem:
    text = _decode(record, row)
    if isinstance(text, RowProblem):
        return text
    try:
        fields = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        # The csv module refuses a carriage return inside an unquoted field (RFC
        # 4180 allows line breaks only inside quotes).
        return RowProblem(row, "stray_line_break")
    if len(fields) != len(columns):
        return RowProblem(row, "wrong_column_count")
    if max(map(len, fields)) > MAX_FIELD_CHARS:
        return _too_long(columns, fields, row)
    return dict(zip(columns, fields, strict=True))


def _json_row(
    record: bytes, row: int, mapped: frozenset[str] | None
) -> dict | RowProblem:
    text = _decode(record, row)
    if isinstance(text, RowProblem):
        return text
    try:
        # Numbers keep the text they have in the file (1.50 stays 1.50, no float);
        # NaN and Infinity, which Python also reads, stay text the same way.
        document = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except ValueError:
        return RowProblem(row, "bad_json")
    if not isinstance(document, dict):
        return RowProblem(row, "bad_json")
    profile = {}
    for column, value in document.items():
        if isinstance(value, dict | list):
            if mapped is None or column in mapped:
                return RowProblem(row, "nested_value", column)
            continue  # a nested attribute the destination does not use
        text_value = _json_text(value)
        if len(text_value) > MAX_FIELD_CHARS:
            return RowProblem(row, "field_too_long", column)
        profile[column] = text_value
    return profile


def _json_text(value: str | bool | None) -> str:
    """A scalar as the text a CSV cell would hold: JSON's spelling of true and
    false, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
