"""Segment files: names, formats, splitting into slices, gzip and reading a slice.

Pure tests: bytes in memory, no storage. The splitting properties are checked with
hypothesis against files built here, whose record boundaries are known by
construction, fed to the splitter in every chunk size from one byte up.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.segments import (
    MAX_FIELD_CHARS,
    RecordSplitter,
    RowProblem,
    Slice,
    check_segment_name,
    file_format,
    gunzip_chunks,
    parse_header,
    plan_slices,
    read_rows,
)

BOM = b"\xef\xbb\xbf"
ONE_MB = "x" * (1024 * 1024)


def _chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _plan(data: bytes, fmt: str, rows_per_batch: int, size: int):
    """The header's end and the slices, with the data fed `size` bytes at a time."""
    pieces = list(plan_slices(_chunked(data, size), fmt, rows_per_batch))
    if not pieces:
        return None, []
    return pieces[0], pieces[1:]


# --- segment names -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("customers.csv", id="file"),
        pytest.param("crm/2025/customers.csv.gz", id="nested-gzip"),
        pytest.param("exports/newsletter/", id="prefix-ending-in-slash"),
        pytest.param("a/", id="short-prefix"),
        pytest.param("Segment 01 = VIP.jsonl", id="spaces-and-equals"),
        pytest.param("date=2025-03-01/part_0.csv", id="hive-partition"),
        pytest.param("a..b.csv", id="double-dot-inside-a-part"),
    ],
)
def test_good_segment_names_are_accepted(name):
    assert check_segment_name(name) is None


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("../x", id="parent"),
        pytest.param("a/../../x.csv", id="parent-inside"),
        pytest.param("./x.csv", id="current-dir"),
        pytest.param("a/./x.csv", id="current-dir-inside"),
        pytest.param("a/..", id="parent-at-end"),
        pytest.param("/abs", id="absolute"),
        pytest.param("/etc/passwd", id="absolute-system-file"),
        pytest.param("https://host/x", id="url"),
        pytest.param("file:///x.csv", id="file-url"),
        pytest.param("a//b", id="double-slash"),
        pytest.param("a\\b.csv", id="backslash"),
        pytest.param("..\\x.csv", id="windows-parent"),
        pytest.param("seg\x00.csv", id="nul"),
        pytest.param("seg\tment.csv", id="tab"),
        pytest.param("seg\nment.csv", id="newline-inside"),
        pytest.param("seg.csv\n", id="trailing-newline"),
        pytest.param("seg.csv\r", id="trailing-carriage-return"),
        pytest.param("seg\x1b[31m.csv", id="terminal-escape"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param(["a.csv"], id="not-text"),
        pytest.param("-x.csv", id="starts-with-hyphen"),
        pytest.param("x" * 1025, id="too-long"),
    ],
)
def test_unsafe_segment_names_are_refused_with_a_reason(name):
    assert check_segment_name(name)


# --- formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blob_name", "expected"),
    [
        pytest.param("a.csv", ("csv", False), id="csv"),
        pytest.param("a.CSV.GZ", ("csv", True), id="csv-gzip-upper-case"),
        pytest.param("a.jsonl", ("jsonl", False), id="jsonl"),
        pytest.param("a.ndjson.gz", ("jsonl", True), id="ndjson-gzip"),
        pytest.param("a.json", ("jsonl", False), id="json"),
        pytest.param("part-0000", ("csv", False), id="no-extension-is-csv"),
        pytest.param("a.txt.gz", ("csv", True), id="other-gzip-is-csv"),
    ],
)
def test_file_format_follows_the_name(blob_name, expected):
    assert file_format(blob_name) == expected


# --- splitting: worked examples ----------------------------------------------------

QUOTED = (
    b"email,note\n"
    b'a@example.com,"line one\nline two"\n'
    b'b@example.com,"she said ""hi"",\nthen left"\n'
    b"c@example.com,plain\n"
)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 64, len(QUOTED)])
def test_quoted_line_breaks_do_not_end_a_record(size):
    header_end, slices = _plan(QUOTED, "csv", rows_per_batch=2, size=size)

    assert header_end == len(b"email,note\n")
    assert slices == [
        Slice(start=11, end=88, first_row=1, rows=2),
        Slice(start=88, end=len(QUOTED), first_row=3, rows=1),
    ]


def test_slices_read_back_to_the_rows_with_their_line_breaks():
    header_end, slices = _plan(QUOTED, "csv", rows_per_batch=2, size=7)
    columns = parse_header(QUOTED[:header_end], "quoted.csv")

    rows = [
        row
        for piece in slices
        for row in read_rows(
            QUOTED[piece.start : piece.end], "csv", columns, piece.first_row
        )
    ]

    assert rows == [
        {"email": "a@example.com", "note": "line one\nline two"},
        {"email": "b@example.com", "note": 'she said "hi",\nthen left'},
        {"email": "c@example.com", "note": "plain"},
    ]


def test_last_record_without_a_line_break_is_planned():
    data = b"email\na@example.com\nb@example.com"

    header_end, slices = _plan(data, "csv", rows_per_batch=10, size=4)

    assert header_end == 6
    assert slices == [Slice(start=6, end=len(data), first_row=1, rows=2)]


def test_blank_lines_keep_their_row_number_and_are_skipped_when_read():
    data = b"email\r\na@example.com\r\n\r\nb@example.com\r\n"
    header_end, slices = _plan(data, "csv", rows_per_batch=10, size=3)

    rows = list(read_rows(data[header_end:], "csv", ["email", "extra"], first_row=1))

    assert slices == [Slice(start=7, end=len(data), first_row=1, rows=3)]
    assert [problem.row for problem in rows] == [1, 3]


@pytest.mark.parametrize(
    ("data", "expected_header_end"),
    [
        pytest.param(b"", None, id="empty"),
        pytest.param(b"email", 5, id="header-without-line-break"),
        pytest.param(b"email\n", 6, id="header-only"),
        pytest.param(BOM + b"email\n", 9, id="header-with-bom"),
    ],
)
def test_csv_without_data_rows_has_no_slices(data, expected_header_end):
    header_end, slices = _plan(data, "csv", rows_per_batch=2, size=1)

    assert header_end == expected_header_end
    assert slices == []


def test_json_lines_have_no_header_and_split_at_every_line_break():
    data = b'{"email": "a"}\n{"email": "b\\nc"}\n\n{"email": "d"}'

    header_end, slices = _plan(data, "jsonl", rows_per_batch=2, size=1)

    assert header_end == 0
    assert slices == [
        Slice(start=0, end=33, first_row=1, rows=2),
        Slice(start=33, end=len(data), first_row=3, rows=2),
    ]


def test_splitter_carries_quote_state_across_chunks():
    splitter = RecordSplitter("csv")

    first = list(splitter.ends(b'a,"open\n'))
    second = list(splitter.ends(b'still open",x\nb,c\n'))

    assert first == []
    assert second == [22, 26]


# --- splitting: properties ---------------------------------------------------------

# Pieces of field text chosen to stress the splitter: separators, quotes, every kind
# of line break, and multi-byte UTF-8 that a chunk edge can cut in half.
FIELD_PIECES = ["a", "Zoë", "李", " ", ",", '"', '""', "\n", "\r\n", "\r", "@", "9"]
field_texts = st.lists(st.sampled_from(FIELD_PIECES), max_size=4).map("".join)


@dataclass(frozen=True)
class BuiltFile:
    """A segment file and what a correct splitter must find in it."""

    data: bytes
    header_end: int
    record_ends: list[int]  # just past each record after the header, blank lines too
    rows: list[dict[str, str] | None]  # None for a blank line


def _csv_field(text: str, force_quotes: bool) -> str:
    if force_quotes or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _join_records(records: list[str], eol: str, trailing: bool, prefix: bytes = b""):
    """Join records with line breaks, noting the byte offset just past each one."""
    data = bytearray(prefix)
    ends = []
    for index, record in enumerate(records):
        data += record.encode()
        if trailing or index < len(records) - 1:
            data += eol.encode()
        ends.append(len(data))
    return bytes(data), ends


@st.composite
def csv_files(draw) -> BuiltFile:
    width = draw(st.integers(1, 3))
    columns = [f"col{i}" for i in range(width)]
    row = st.lists(field_texts, min_size=width, max_size=width).map(
        lambda fields: dict(zip(columns, fields, strict=True))
    )
    rows = draw(st.lists(st.one_of(st.none(), row), max_size=8))
    trailing = draw(st.booleans())
    if not trailing:
        # Without a final line break a blank last line is not there at all.
        while rows and rows[-1] is None:
            rows.pop()
    lines = []
    for profile in rows:
        if profile is None:
            lines.append("")
            continue
        # A lone empty field must be quoted, or the row would read as a blank line.
        lone_empty = width == 1 and profile["col0"] == ""
        quote = [lone_empty or draw(st.booleans()) for _ in columns]
        fields = [
            _csv_field(profile[c], q) for c, q in zip(columns, quote, strict=True)
        ]
        lines.append(",".join(fields))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    bom = BOM if draw(st.booleans()) else b""
    records = [",".join(columns), *lines]
    data, ends = _join_records(records, eol, trailing, prefix=bom)
    return BuiltFile(data, ends[0], ends[1:], rows)


json_values = st.one_of(st.none(), field_texts)


@st.composite
def json_lines_files(draw) -> BuiltFile:
    profile = st.dictionaries(st.sampled_from(["email", "fn", "city"]), json_values)
    rows = draw(st.lists(st.one_of(st.none(), profile), max_size=8))
    trailing = draw(st.booleans())
    if not trailing:
        while rows and rows[-1] is None:
            rows.pop()
    lines = ["" if p is None else json.dumps(p, ensure_ascii=False) for p in rows]
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    data, ends = _join_records(lines, eol, trailing)
    expected = [
        None if p is None else {k: "" if v is None else v for k, v in p.items()}
        for p in rows
    ]
    return BuiltFile(data, 0, ends, expected)


def _check_plan(built: BuiltFile, header_end, slices, rows_per_batch: int) -> None:
    assert header_end == built.header_end
    if not built.record_ends:
        assert slices == []
        return
    assert slices[0].start == built.header_end
    assert slices[-1].end == len(built.data)
    for before, after in zip(slices, slices[1:], strict=False):
        assert after.start == before.end
        assert after.first_row == before.first_row + before.rows
    assert slices[0].first_row == 1
    assert {piece.end for piece in slices} <= set(built.record_ends)
    for piece in slices:
        inside = [e for e in built.record_ends if piece.start < e <= piece.end]
        assert piece.rows == len(inside)
    assert all(piece.rows == rows_per_batch for piece in slices[:-1])
    assert 0 < slices[-1].rows <= rows_per_batch
    assert sum(piece.rows for piece in slices) == len(built.rows)


def _read_all(built: BuiltFile, fmt: str, slices, columns):
    return [
        row
        for piece in slices
        for row in read_rows(
            built.data[piece.start : piece.end], fmt, columns, piece.first_row
        )
    ]


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(built=csv_files(), rows_per_batch=st.integers(1, 4))
def test_csv_slices_cover_the_rows_at_every_chunk_size(built, rows_per_batch):
    for size in range(1, len(built.data) + 2):
        header_end, slices = _plan(built.data, "csv", rows_per_batch, size)
        _check_plan(built, header_end, slices, rows_per_batch)


@PROPERTY_SETTINGS
@given(built=csv_files(), rows_per_batch=st.integers(1, 4), data=st.data())
def test_csv_slices_do_not_depend_on_where_chunks_are_cut(built, rows_per_batch, data):
    cuts = data.draw(st.lists(st.integers(0, len(built.data)), max_size=12))
    edges = [0, *sorted(cuts), len(built.data)]
    chunks = [built.data[a:b] for a, b in zip(edges, edges[1:], strict=False)]

    pieces = list(plan_slices(chunks, "csv", rows_per_batch))

    assert pieces == list(plan_slices([built.data], "csv", rows_per_batch))


@PROPERTY_SETTINGS
@given(built=csv_files(), rows_per_batch=st.integers(1, 4))
def test_csv_slices_read_back_to_the_rows_and_their_numbers(built, rows_per_batch):
    header_end, slices = _plan(built.data, "csv", rows_per_batch, size=3)
    columns = parse_header(built.data[:header_end], "built.csv")
    wrong_width = [*columns, "missing"]

    rows = _read_all(built, "csv", slices, columns)
    problems = _read_all(built, "csv", slices, wrong_width)

    assert rows == [row for row in built.rows if row is not None]
    numbers = [n for n, row in enumerate(built.rows, start=1) if row is not None]
    assert [problem.row for problem in problems] == numbers


@PROPERTY_SETTINGS
@given(built=json_lines_files(), rows_per_batch=st.integers(1, 4))
def test_json_lines_slices_cover_the_rows_at_every_chunk_size(built, rows_per_batch):
    for size in range(1, len(built.data) + 2):
        header_end, slices = _plan(built.data, "jsonl", rows_per_batch, size)
        if not built.record_ends:
            assert (header_end, slices) == (0, [])
            continue
        _check_plan(built, header_end, slices, rows_per_batch)


@PROPERTY_SETTINGS
@given(built=json_lines_files(), rows_per_batch=st.integers(1, 4))
def test_json_lines_slices_read_back_to_the_rows(built, rows_per_batch):
    _, slices = _plan(built.data, "jsonl", rows_per_batch, size=3)

    rows = _read_all(built, "jsonl", slices, None)

    assert rows == [row for row in built.rows if row is not None]


# --- gzip --------------------------------------------------------------------------

FIRST_MEMBER = b"email\na@example.com\n" * 50
SECOND_MEMBER = "b@example.com,Zoë,李\n".encode() * 50
TWO_MEMBERS = gzip.compress(FIRST_MEMBER) + gzip.compress(SECOND_MEMBER)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 64, 4096, len(TWO_MEMBERS)])
def test_gunzip_reads_every_member_whatever_the_chunk_size(size):
    data = b"".join(gunzip_chunks(_chunked(TWO_MEMBERS, size)))

    assert data == FIRST_MEMBER + SECOND_MEMBER


def test_gunzip_cuts_a_large_member_into_bounded_pieces():
    plain = bytes(10 * 1024 * 1024)  # compresses to a few kilobytes

    pieces = list(gunzip_chunks([gzip.compress(plain, compresslevel=1)]))

    assert b"".join(pieces) == plain
    assert max(map(len, pieces)) <= 4 * 1024 * 1024


def test_gunzip_of_nothing_is_nothing():
    assert list(gunzip_chunks([])) == []


def test_gunzip_refuses_a_truncated_stream():
    truncated = gzip.compress(FIRST_MEMBER)[:-20]

    with pytest.raises(ValueError):
        list(gunzip_chunks(_chunked(truncated, 16)))


def test_gunzip_refuses_data_that_is_not_gzip_with_a_value_error():
    with pytest.raises(ValueError):
        list(gunzip_chunks([b"email\na@example.com\n"]))


# --- header ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(b"email,phone\n", ["email", "phone"], id="plain"),
        pytest.param(BOM + b"email,phone\r\n", ["email", "phone"], id="bom-crlf"),
        pytest.param(b" email , phone \n", ["email", "phone"], id="spaces-trimmed"),
        pytest.param(b'"last, first",email\n', ["last, first", "email"], id="quoted"),
        pytest.param("prénom,名\n".encode(), ["prénom", "名"], id="non-ascii"),
    ],
)
def test_parse_header_gives_the_column_names(header, expected):
    assert parse_header(header, "crm/customers.csv") == expected


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\n", id="blank-line"),
        pytest.param(b" , ,\n", id="only-separators"),
        pytest.param(BOM + b"\r\n", id="bom-only"),
        pytest.param(b"em\xffail,phone\n", id="not-utf8"),
        pytest.param("email".encode("utf-16"), id="utf-16"),
    ],
)
def test_parse_header_errors_name_the_file(header):
    with pytest.raises(ValueError, match="crm/customers.csv"):
        parse_header(header, "crm/customers.csv")


# --- reading a slice ---------------------------------------------------------------

COLUMNS = ["email", "phone"]


def test_bad_utf8_row_is_named_by_its_number_and_the_others_are_kept():
    data = b'a@example.com,1\n\xff\xfe@example.com,2\n"c@\nexample.com",3\n\nd@x.y,4\n'

    rows = list(read_rows(data, "csv", COLUMNS, first_row=41))

    assert rows == [
        {"email": "a@example.com", "phone": "1"},
        RowProblem(42, "bad_utf8"),
        {"email": "c@\nexample.com", "phone": "3"},
        {"email": "d@x.y", "phone": "4"},
    ]


def test_bad_utf8_row_numbers_count_blank_lines_like_the_plan():
    data = b"email,phone\na,1\n\nb,2\n\xff,3\n"
    header_end, slices = _plan(data, "csv", rows_per_batch=10, size=1)
    (piece,) = slices

    rows = list(read_rows(data[piece.start : piece.end], "csv", COLUMNS, 1))

    assert rows[-1] == RowProblem(4, "bad_utf8")
    assert rows[-1].describe("a.csv") == "a.csv row 4: not valid UTF-8"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"a@example.com\nb@example.com,2\n", id="fast-path"),
        pytest.param(b"a@example.com\nb@example.com,2\n\xff,3\n", id="row-by-row"),
    ],
)
def test_wrong_column_count_is_a_row_problem(data):
    rows = list(read_rows(data, "csv", COLUMNS, first_row=7))

    assert rows[0] == RowProblem(7, "wrong_column_count")
    assert rows[1] == {"email": "b@example.com", "phone": "2"}


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b"", id="fast-path"),
        pytest.param(b"\xff,3\n", id="row-by-row"),
    ],
)
def test_a_one_megabyte_field_is_too_long_and_names_its_column(tail):
    data = b"a@example.com,1\nb@example.com," + ONE_MB.encode() + b"\n" + tail

    rows = list(read_rows(data, "csv", COLUMNS, first_row=1))

    assert rows[0] == {"email": "a@example.com", "phone": "1"}
    assert rows[1] == RowProblem(2, "field_too_long", "phone")
    assert rows[1].describe("big.csv") == (
        f"big.csv row 2 column 'phone': a field is longer than {MAX_FIELD_CHARS} "
        "characters"
    )


def test_a_field_at_the_limit_is_kept():
    field = "x" * MAX_FIELD_CHARS

    rows = list(read_rows(f"a,{field}\n".encode(), "csv", COLUMNS, first_row=1))

    assert rows == [{"email": "a", "phone": field}]


def test_a_stray_carriage_return_is_a_row_problem_not_a_failed_batch():
    data = b"a@example.com,1\nb@exam\rple.com,2\nc@example.com,3\n"

    rows = list(read_rows(data, "csv", COLUMNS, first_row=1))

    assert rows[0] == {"email": "a@example.com", "phone": "1"}
    assert isinstance(rows[1], RowProblem) and rows[1].row == 2
    assert rows[2] == {"email": "c@example.com", "phone": "3"}


def test_json_lines_bad_rows_are_named_and_the_others_kept():
    data = (
        b'{"email": "a@example.com", "phone": null}\n'
        b'{"email": "b@example.com",\n'
        b"[1, 2]\n"
        b"\n"
        b'{"email": "\xff"}\n'
        b'{"email": "c@example.com", "age": 42}\r\n'
    )

    rows = list(read_rows(data, "jsonl", None, first_row=100))

    assert rows == [
        {"email": "a@example.com", "phone": ""},
        RowProblem(101, "bad_json"),
        RowProblem(102, "bad_json"),
        RowProblem(104, "bad_utf8"),
        {"email": "c@example.com", "age": "42"},
    ]


def test_json_lines_long_value_names_its_key():
    data = json.dumps({"email": "a@example.com", "note": ONE_MB}).encode() + b"\n"

    rows = list(read_rows(data, "jsonl", None, first_row=5))

    assert rows == [RowProblem(5, "field_too_long", "note")]


def test_gzip_working_copy_plans_like_the_plain_file():
    plain = QUOTED * 3
    compressed = gzip.compress(plain[:50]) + gzip.compress(plain[50:])
    inflated = gunzip_chunks(_chunked(compressed, 5))

    assert list(plan_slices(inflated, "csv", 2)) == list(plan_slices([plain], "csv", 2))


def test_zlib_multi_member_helper_is_really_two_members():
    # Guards the gzip fixtures above: a single member would not test the restart.
    decompressor = zlib.decompressobj(wbits=31)
    decompressor.decompress(TWO_MEMBERS)

    assert decompressor.eof and decompressor.unused_data
