"""`python -m shared normalize`: the command-line contract others rely on."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from shared.normalize import RowEncoder

CHECKOUT = Path(__file__).resolve().parents[1]
SEGMENT = (
    "\ufeffEmail,Phone,First,Birthday,Country\n"
    " Mary@Example.com ,030 1234567,Mary Ann,28/02/1990,Deutschland\n"
    "nobody,,Zoë,05/08/1990,\n"
    "JOHN@example.org,+1 (555) 987-6543,,1990-02-28,USA\n"
)
MAPPING = {
    "EMAIL": "Email",
    "PHONE": "Phone",
    "FN": "First",
    "DOB": "Birthday",
    "COUNTRY": "Country",
}
MAP_OPTION = ",".join(f"{key}={column}" for key, column in MAPPING.items())


def normalize(*options: str, stdin: str = SEGMENT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared", "normalize", *options],
        input=stdin.encode("utf-8"),
        capture_output=True,
        cwd=CHECKOUT,
        check=False,
        timeout=120,
    )


def rows_of(result: subprocess.CompletedProcess) -> list[list[str]]:
    return list(csv.reader(io.StringIO(result.stdout.decode("utf-8"))))


def test_writes_normalized_rows_in_input_order():
    result = normalize("--map", MAP_OPTION, "--date-order", "mdy")

    assert result.returncode == 0, result.stderr
    assert rows_of(result) == [
        ["EMAIL", "PHONE", "FN", "DOBY", "DOBM", "DOBD", "COUNTRY"],
        ["mary@example.com", "49301234567", "maryann", "1990", "02", "28", "de"],
        ["", "", "zoë", "1990", "05", "08", ""],
        ["john@example.org", "15559876543", "", "1990", "02", "28", "us"],
    ]


def test_hash_writes_exactly_what_row_encoder_sends():
    result = normalize("--map", MAP_OPTION, "--hash", "--default-country", "de")
    encoder = RowEncoder(MAPPING, default_country="de")
    records = list(csv.DictReader(io.StringIO(SEGMENT.removeprefix("\ufeff"))))

    rows = rows_of(result)

    assert result.returncode == 0, result.stderr
    assert rows[0] == encoder.schema
    for record, row in zip(records, rows[1:], strict=True):
        sent = encoder.encode(record).values
        assert row == (sent if sent is not None else [""] * len(encoder.schema))


def test_skipped_row_keeps_its_line_and_is_counted():
    result = normalize("--map", "EMAIL=Email", "--key-identifier", "email")

    assert rows_of(result) == [
        ["EMAIL"],
        ["mary@example.com"],
        [""],
        ["john@example.org"],
    ]
    assert b"skipped no_email: 1" in result.stderr
    assert b"nobody" not in result.stderr


@pytest.mark.parametrize(
    ("options", "named"),
    [
        pytest.param(["--map", "MAIL=Email"], b"'MAIL'", id="unknown-key"),
        pytest.param(["--map", "EMAIL=Mail"], b"'Mail'", id="unknown-column"),
        pytest.param(["--map", "EMAIL"], b"--map", id="no-column"),
        pytest.param(["--map", "DOB=Birthday,DOBY=Birthday"], b"--map", id="dob-twice"),
        pytest.param(
            ["--map", "EMAIL=Email", "--default-country", "xx"],
            b"--default-country",
            id="unknown-default-country",
        ),
        pytest.param(
            ["--map", "EMAIL=Email", "--date-order", "ydm"],
            b"--date-order",
            id="bad-date-order",
        ),
    ],
)
def test_usage_errors_name_the_option_and_exit_2(options, named):
    result = normalize(*options)

    assert result.returncode == 2
    assert named in result.stderr
    assert result.stdout == b""


SAMPLE_MAP = (
    "EXTERN_ID=CustomerId,EMAIL=EMail,PHONE=Telephone,FN=FirstName,LN=LastName,"
    "FI=FirstName,GEN=Gender,DOB=DateOfBirth,CT=City,ST=State,ZIP=PostCode,"
    "COUNTRY=Country"
)


def test_sample_generator_output_gives_its_expected_values(tmp_path):
    segment, expected = tmp_path / "segment.csv", tmp_path / "expected.csv"
    generate = [sys.executable, "-m", "tools.sample_segment", "--rows", "3000"]
    generate += ["--out", str(segment), "--expected", str(expected), "--bom"]
    subprocess.run(generate, cwd=CHECKOUT, check=True, timeout=120)

    result = normalize(
        "--map",
        SAMPLE_MAP,
        "--default-country",
        "us",
        stdin=segment.read_bytes().decode("utf-8"),
    )

    assert result.returncode == 0, result.stderr
    got = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8"))))
    want = list(csv.DictReader(expected.open(encoding="utf-8", newline="")))
    assert len(got) == len(want) == 3000
    for number, (row, wanted) in enumerate(zip(got, want, strict=True), start=1):
        differing = {key for key in row if row[key] != wanted[key]}
        assert not differing, f"row {number}: {sorted(differing)}"
