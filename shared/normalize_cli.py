"""`python -m shared normalize`: a segment CSV in, its normalized (or hashed) rows out.

    python -m shared normalize --map EMAIL=Email,DOB=Birthday --date-order dmy \\
        [--default-country de] [--hash] < segment.csv > normalized.csv

One output row per input row, in order, under a header of the mapped Meta keys (DOB
expands into DOBY, DOBM, DOBD). Each cell is the normalized value ("" where it was left
out) or, with --hash, exactly what would be sent. A row that would be skipped keeps its
line: its normalized cells, or empty cells with --hash, since nothing of it is sent.
Counts of left-out values and skipped rows go to standard error; values never do.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from collections import Counter

from shared.errors import InvalidInput
from shared.normalize import KEY_IDENTIFIERS, META_KEYS, RowEncoder, schema_for
from shared.normalize_dates import DATE_ORDERS
from shared.normalize_places import region_of

USAGE_ERROR = 2


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "normalize",
        help="normalize (and hash) a segment CSV read on standard input",
        description=(
            "Reads a segment CSV (UTF-8) on standard input and writes one row per "
            "input row: the mapped Meta keys, normalized, or with --hash what is sent."
        ),
    )
    parser.add_argument(
        "--map",
        required=True,
        metavar="KEY=COLUMN[,KEY=COLUMN...]",
        help=f"Meta keys and the columns they come from; keys: {' '.join(META_KEYS)}",
    )
    parser.add_argument(
        "--default-country",
        metavar="CC",
        help="country of rows without one (reads PHONE, ST, ZIP); never sent",
    )
    parser.add_argument("--date-order", choices=DATE_ORDERS)
    parser.add_argument("--key-identifier", choices=KEY_IDENTIFIERS, default="any")
    parser.add_argument("--hash", action="store_true", help="write what is sent")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        mapping = parse_mapping(args.map)
        default_country = _default_country(args.default_country)
    except InvalidInput as error:
        return _usage_error(str(error))
    encoder = RowEncoder(
        mapping,
        default_country=default_country,
        date_order=args.date_order,
        key_identifier=args.key_identifier,
        hash_values=args.hash,
    )
    reader = csv.DictReader(_text_in())
    header = reader.fieldnames or ()
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        return _usage_error(f"--map: column {missing[0]!r} is not in the CSV header")
    try:
        counts = _write_rows(encoder, reader, args.hash, _text_out())
    except BrokenPipeError:
        # The reader stopped early (`| head`): nothing is wrong with the segment.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    _report(counts)
    return 0


def parse_mapping(text: str) -> dict[str, str]:
    """`EMAIL=Email,FN=First name` -> {"EMAIL": "Email", "FN": "First name"}."""
    mapping: dict[str, str] = {}
    for item in text.split(","):
        key, equals, column = item.partition("=")
        key = key.strip().upper()
        if not equals or not key or not column:
            raise InvalidInput(f"--map: {item!r} is not KEY=COLUMN")
        if key not in META_KEYS:
            raise InvalidInput(f"--map: unknown Meta key {key!r}")
        if key in mapping:
            raise InvalidInput(f"--map: key {key!r} is mapped twice")
        mapping[key] = column
    try:
        schema_for(mapping)
    except InvalidInput as error:
        raise InvalidInput(f"--map: {error}") from None
    return mapping


def _default_country(text: str | None) -> str | None:
    if not text:
        return None
    region = region_of(text.strip().lower())
    if region is None:
        raise InvalidInput(f"--default-country: {text!r} is not an ISO 3166 country")
    return region


def _write_rows(
    encoder: RowEncoder, reader: csv.DictReader, hashed: bool, target
) -> Counter:
    counts: Counter = Counter()
    blank = [""] * len(encoder.schema)
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(encoder.schema)
    for record in reader:
        row = encoder.encode(record)
        cells = row.values
        if cells is None:
            # Nothing of a skipped row is sent; its normalized values still show.
            cells = blank if hashed else encoder.normalize_row(record)[0]
            counts[f"skipped {row.skip_reason}"] += 1
        writer.writerow(cells)
        counts.update(f"{key} {reason}" for key, reason in row.dropped)
        counts["rows"] += 1
    target.flush()
    return counts


def _text_in() -> io.TextIOBase:
    """Standard input as UTF-8 text; a byte-order mark is dropped."""
    if hasattr(sys.stdin, "buffer"):
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
    return _without_bom(sys.stdin)


def _without_bom(stream) -> io.StringIO:
    text = stream.read()
    return io.StringIO(text.removeprefix("\ufeff"), newline="")


def _text_out():
    """Standard output as UTF-8 text with the CSV module's own line endings."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8", newline="")
    return sys.stdout


def _report(counts: Counter) -> None:
    rows = counts.pop("rows", 0)
    print(f"normalize: {rows} rows", file=sys.stderr)
    for what, count in sorted(counts.items()):
        print(f"normalize: {what}: {count}", file=sys.stderr)


def _usage_error(message: str) -> int:
    print(f"normalize: {message}", file=sys.stderr)
    return USAGE_ERROR
