"""The sample segment generator: files it writes, the mess in them, the expected keys.

The expected values are checked against outside references where one exists: the
phone numbers against `phonenumbers`, the written-down city and state keys against
`unidecode`, the country keys against `pycountry`. Nothing here imports the product.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import phonenumbers
import pycountry
import pytest
from unidecode import unidecode

from tools import sample_data as data
from tools import sample_segment as sample

SAMPLE_ROWS = 5_000
INVISIBLES = "\u200b\ufeff\u00a0"


@pytest.fixture(scope="module")
def profiles() -> list[tuple[dict, dict]]:
    return list(sample.iter_profiles(SAMPLE_ROWS, seed=7))


@pytest.fixture(scope="module")
def raws(profiles) -> list[dict]:
    return [raw for raw, _ in profiles]


def clean(cell: str) -> str:
    """A cell as a reader would first tidy it: no surrounding space, NFC."""
    return unicodedata.normalize("NFC", cell.strip(" \t" + INVISIBLES))


def read_csv(path: Path) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


# Files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["seg.csv", "seg.csv.gz", "seg.jsonl"], ids=str)
def test_same_seed_writes_same_bytes(tmp_path, name):
    fmt = "jsonl" if "jsonl" in name else "csv"
    first, second = tmp_path / "a" / name, tmp_path / "b" / name
    for path in (first, second):
        path.parent.mkdir()
        sample.write_segment(path, 300, seed=3, fmt=fmt)

    assert first.read_bytes() == second.read_bytes()


def test_other_seed_writes_other_rows():
    first = [raw for raw, _ in sample.iter_profiles(50, seed=1)]
    second = [raw for raw, _ in sample.iter_profiles(50, seed=2)]

    assert first != second


def test_worker_processes_do_not_change_the_bytes(tmp_path):
    rows = 2 * sample.CHUNK_ROWS + 17
    alone, shared = tmp_path / "alone.csv", tmp_path / "shared.csv"

    sample.write_segment(
        alone, rows, seed=5, expected_path=tmp_path / "a-exp.csv", workers=1
    )
    sample.write_segment(
        shared, rows, seed=5, expected_path=tmp_path / "s-exp.csv", workers=2
    )

    assert alone.read_bytes() == shared.read_bytes()
    assert (tmp_path / "a-exp.csv").read_bytes() == (
        tmp_path / "s-exp.csv"
    ).read_bytes()


@pytest.mark.parametrize(
    "count", [0, 1, 7, sample.CHUNK_ROWS + 3], ids=lambda n: f"{n}-rows"
)
def test_csv_has_header_and_one_record_per_profile(tmp_path, count):
    path, expected_path = tmp_path / "seg.csv", tmp_path / "exp.csv"

    sample.write_segment(path, count, expected_path=expected_path, workers=1)

    records, expected = read_csv(path), read_csv(expected_path)
    assert records[0] == list(sample.COLUMNS)
    assert expected[0] == list(sample.EXPECTED_COLUMNS)
    assert len(records) == len(expected) == count + 1
    assert all(len(record) == len(sample.COLUMNS) for record in records)


def test_csv_keeps_line_breaks_inside_quoted_fields(tmp_path):
    path = tmp_path / "seg.csv"

    sample.write_segment(path, 2_000)

    records = read_csv(path)
    notes = [record[-1] for record in records[1:]]
    assert len(records) == 2_001
    assert any("\n" in note and "\r" not in note for note in notes)
    assert any("\r\n" in note for note in notes)
    assert path.read_bytes().count(b"\n") > len(records)


def test_csv_reads_back_as_iter_profiles_yields(tmp_path, profiles):
    path, expected_path = tmp_path / "seg.csv", tmp_path / "exp.csv"

    sample.write_segment(path, SAMPLE_ROWS, seed=7, expected_path=expected_path)

    records = [dict(zip(sample.COLUMNS, r, strict=True)) for r in read_csv(path)[1:]]
    expected = [
        dict(zip(sample.EXPECTED_COLUMNS, r, strict=True))
        for r in read_csv(expected_path)[1:]
    ]
    assert records == [raw for raw, _ in profiles]
    assert expected == [exp for _, exp in profiles]


def test_json_lines_parse_one_object_per_profile(tmp_path):
    path = tmp_path / "seg.jsonl"

    sample.write_segment(path, 500, fmt="jsonl")

    lines = path.read_text(encoding="utf-8").splitlines()
    objects = [json.loads(line) for line in lines]
    assert len(objects) == 500
    assert all(list(obj) == list(sample.COLUMNS) for obj in objects)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_gzip_holds_the_same_text_as_the_plain_file(tmp_path, fmt):
    plain, packed = tmp_path / f"seg.{fmt}", tmp_path / f"seg.{fmt}.gz"

    sample.write_segment(plain, 800, fmt=fmt)
    sample.write_segment(packed, 800, fmt=fmt)

    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()


@pytest.mark.parametrize(
    ("bom", "start"),
    [(True, b"\xef\xbb\xbfCustomerId,"), (False, b"CustomerId,")],
    ids=["with-bom", "without-bom"],
)
def test_bom_option_starts_the_csv_with_a_byte_order_mark(tmp_path, bom, start):
    path = tmp_path / "seg.csv"

    sample.write_segment(path, 3, bom=bom)

    assert path.read_bytes().startswith(start)


def test_bom_is_refused_for_json_lines(tmp_path):
    with pytest.raises(ValueError, match="byte-order mark"):
        sample.write_segment(tmp_path / "seg.jsonl", 3, fmt="jsonl", bom=True)


def test_expected_file_lines_up_with_the_segment(tmp_path):
    path, expected_path = tmp_path / "seg.csv.gz", tmp_path / "exp.csv.gz"

    sample.write_segment(path, 3_000, expected_path=expected_path)

    segment_ids = [record[0] for record in read_csv(path)[1:]]
    expected = read_csv(expected_path)[1:]
    assert segment_ids == [row[0] for row in expected]
    assert all(row[-1] == row[0] for row in expected)  # EXTERN_ID = CustomerId


def test_command_line_writes_files_and_reports_one_line(tmp_path, capsys):
    out, expected = tmp_path / "seg.csv", tmp_path / "exp.csv"

    code = sample.main(
        ["--rows", "25", "--out", str(out), "--expected", str(expected), "--seed", "4"]
    )

    assert code == 0
    assert len(read_csv(out)) == len(read_csv(expected)) == 26
    report = capsys.readouterr().err.splitlines()
    assert len(report) == 1 and report[0].startswith("25 profiles in ")


# The mess ----------------------------------------------------------------------------


def any_cell(raw: dict, test) -> bool:
    return any(test(cell) for cell in raw.values())


def phone(raw: dict) -> str:
    return clean(raw["Telephone"])


def numeric_date(raw: dict) -> re.Match | None:
    return re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", clean(raw["DateOfBirth"]))


MESS = {
    "leading-space": lambda raw, exp: any_cell(raw, lambda c: c.startswith(" ")),
    "trailing-space": lambda raw, exp: any_cell(raw, lambda c: c.endswith(" ")),
    "zero-width-space": lambda raw, exp: any_cell(raw, lambda c: "\u200b" in c),
    "feff-in-cell": lambda raw, exp: any_cell(raw, lambda c: "\ufeff" in c),
    "no-break-space": lambda raw, exp: any_cell(raw, lambda c: "\u00a0" in c),
    "decomposed-accents": lambda raw, exp: any_cell(
        raw, lambda c: c != unicodedata.normalize("NFC", c)
    ),
    "upper-case-name": lambda raw, exp: clean(raw["LastName"]).isupper(),
    "lower-case-name": lambda raw, exp: (
        clean(raw["FirstName"]).islower() and exp["FN"].isascii()
    ),
    "us-national-phone": lambda raw, exp: re.fullmatch(
        r"\(\d{3}\) \d{3}-\d{4}", phone(raw)
    ),
    "de-national-phone": lambda raw, exp: (
        exp["COUNTRY"] == "de" and re.fullmatch(r"0\d{2,3} \d{7,8}", phone(raw))
    ),
    "gb-national-phone": lambda raw, exp: re.fullmatch(r"020 \d{4} \d{4}", phone(raw)),
    "plus-international-phone": lambda raw, exp: phone(raw).startswith("+44 "),
    "00-international-phone": lambda raw, exp: phone(raw).startswith("0044 "),
    "trunk-in-brackets-phone": lambda raw, exp: phone(raw).startswith("+49 (0)"),
    "phone-extension": lambda raw, exp: " ext. " in raw["Telephone"],
    "phone-placeholder": lambda raw, exp: phone(raw) in data.PHONE_PLACEHOLDERS,
    "zip-plus-four": lambda raw, exp: re.fullmatch(
        r"\d{5}-\d{4}", clean(raw["PostCode"])
    ),
    "gb-postcode-with-space": lambda raw, exp: (
        exp["COUNTRY"] == "gb"
        and re.fullmatch(r"[A-Z0-9]{2,4} \d[A-Z]{2}", clean(raw["PostCode"]))
    ),
    "gb-postcode-without-space": lambda raw, exp: (
        exp["COUNTRY"] == "gb"
        and re.fullmatch(r"[A-Z0-9]{2,4}\d[A-Z]{2}", clean(raw["PostCode"]))
    ),
    "us-state-code": lambda raw, exp: clean(raw["State"]) == "CA",
    "us-state-name": lambda raw, exp: clean(raw["State"]) == "California",
    "empty-us-country": lambda raw, exp: raw["Country"] == "" and exp["ZIP"] != "",
    "hashed-email": lambda raw, exp: re.fullmatch(r"[0-9a-f]{64}", clean(raw["EMail"])),
    "upper-case-hashed-email": lambda raw, exp: re.fullmatch(
        r"[0-9A-F]{64}", clean(raw["EMail"])
    ),
    "invalid-email": lambda raw, exp: (
        clean(raw["EMail"]) and "@" not in raw["EMail"] and exp["EMAIL"] == ""
    ),
    "no-email-no-phone": lambda raw, exp: not clean(raw["EMail"]) and not phone(raw),
    "iso-date": lambda raw, exp: re.fullmatch(
        r"\d{4}-\d\d-\d\d", clean(raw["DateOfBirth"])
    ),
    "compact-date": lambda raw, exp: re.fullmatch(r"\d{8}", clean(raw["DateOfBirth"])),
    "timestamp-date": lambda raw, exp: clean(raw["DateOfBirth"]).endswith("T00:00:00Z"),
    "day-month-name-date": lambda raw, exp: re.fullmatch(
        r"\d{1,2} [A-Z][a-z]+ \d{4}", clean(raw["DateOfBirth"])
    ),
    "month-name-day-date": lambda raw, exp: re.fullmatch(
        r"[A-Z][a-z]{2} \d{1,2}, \d{4}", clean(raw["DateOfBirth"])
    ),
    "day-first-numeric-date": lambda raw, exp: (
        (m := numeric_date(raw)) and int(m[1]) > 12
    ),
    "month-first-numeric-date": lambda raw, exp: (
        (m := numeric_date(raw)) and int(m[2]) > 12
    ),
    "ambiguous-numeric-date": lambda raw, exp: (
        (m := numeric_date(raw)) and int(m[1]) <= 12 and int(m[2]) <= 12
    ),
    "note-with-line-break": lambda raw, exp: "\n" in raw["Notes"],
    "note-with-quote-and-comma": lambda raw, exp: (
        '"' in raw["Notes"] and "," in raw["Notes"]
    ),
}


@pytest.mark.parametrize("kind", sorted(MESS))
def test_sample_holds_every_kind_of_mess(profiles, kind):
    found = [raw for raw, exp in profiles if MESS[kind](raw, exp)]

    assert found, f"no {kind} in {SAMPLE_ROWS} rows"


@pytest.mark.parametrize(
    ("column", "spelling"),
    [
        ("Country", s)
        for s in (
            "US",
            "USA",
            "U.S.",
            "United States",
            "UK",
            "United Kingdom",
            "Deutschland",
            "Germany",
            "Sverige",
            "España",
            "Brasil",
            "Japan",
            "México",
            "DEU",
        )
    ]
    + [
        ("FirstName", s)
        for s in ("Zoë", "José", "Øyvind", "Мария", "Ólafur", "Mary Ann")
    ]
    + [("LastName", s) for s in ("李", "山田", "O'Brien-Smith", "van der Berg")]
    + [("City", s) for s in ("São Paulo", "München", "Malmö")]
    + [
        ("Gender", s)
        for s in (
            "M",
            "f",
            "Male",
            "FEMALE",
            "männlich",
            "Femme",
            "mujer",
            "",
            "Unknown",
            "X",
        )
    ],
    ids=lambda value: value or "empty",
)
def test_sample_holds_every_spelling(raws, column, spelling):
    found = [raw for raw in raws if clean(raw[column]) == spelling]

    assert found


def test_sample_holds_duplicates_of_both_kinds(profiles):
    ids = Counter(raw["CustomerId"] for raw, _ in profiles)
    people = Counter(tuple(exp.values())[1:-1] for _, exp in profiles)

    exact = [customer for customer, times in ids.items() if times > 1]
    assert exact
    assert sum(people.values()) - len(people) > len(exact)  # re-entered ones too


# Expected values ---------------------------------------------------------------------


def is_name_key(key: str) -> bool:
    return key == unicodedata.normalize("NFC", key) and all(
        unicodedata.category(ch)[0] in "LM" and ch == ch.lower() for ch in key
    )


COUNTRY_CODES = {country.code for country in data.COUNTRIES}
KEY_RULES = {
    "EMAIL": lambda v: re.fullmatch(r"[a-z0-9._+-]+@[a-z0-9.-]+|[0-9a-f]{64}", v),
    "PHONE": lambda v: re.fullmatch(r"[1-9]\d{7,14}", v),
    "FN": is_name_key,
    "LN": is_name_key,
    "FI": lambda v: len(v) == 1 and is_name_key(v),
    "GEN": lambda v: v in ("m", "f"),
    "DOBY": lambda v: re.fullmatch(r"19[3-9]\d|200\d", v),
    "DOBM": lambda v: re.fullmatch(r"0[1-9]|1[0-2]", v),
    "DOBD": lambda v: re.fullmatch(r"0[1-9]|[12]\d|3[01]", v),
    "CT": lambda v: re.fullmatch(r"[a-z]+", v),
    "ST": lambda v: re.fullmatch(r"[a-z0-9]+", v),
    "ZIP": lambda v: re.fullmatch(r"[a-z0-9]+", v),
    "COUNTRY": lambda v: v in COUNTRY_CODES,
    "EXTERN_ID": lambda v: re.fullmatch(r"CUST-\d{8}", v),
}


@pytest.mark.parametrize("key", list(KEY_RULES))
def test_expected_values_keep_to_the_key_alphabet(profiles, key):
    values = [exp[key] for _, exp in profiles]

    wrong = [value for value in values if value and not KEY_RULES[key](value)]
    assert not wrong
    assert any(values), f"{key} never filled"


def test_first_initial_is_the_first_letter_of_the_first_name(profiles):
    assert all(exp["FI"] == exp["FN"][:1] for _, exp in profiles)


def test_ambiguous_numeric_dates_leave_the_birth_date_out(profiles):
    for raw, exp in profiles:
        match = numeric_date(raw)
        if not match:
            continue
        first, second = int(match[1]), int(match[2])
        if first <= 12 and second <= 12:
            assert (exp["DOBY"], exp["DOBM"], exp["DOBD"]) == ("", "", "")
        else:
            day, month = (first, second) if first > 12 else (second, first)
            assert (exp["DOBM"], exp["DOBD"]) == (f"{month:02d}", f"{day:02d}")


def test_expected_phone_is_what_phonenumbers_reads_from_the_cell(profiles):
    checked = 0
    for raw, exp in profiles:
        if not exp["PHONE"]:
            continue
        cell = phone(raw).replace("\u00a0", " ")
        if cell.startswith("00"):
            cell = "+" + cell[2:]  # phonenumbers knows 00 only with a region using it
        number = phonenumbers.parse(cell, (exp["COUNTRY"] or "us").upper())

        assert phonenumbers.is_valid_number(number), raw["CustomerId"]
        assert f"{number.country_code}{number.national_number}" == exp["PHONE"]
        checked += 1
    assert checked > SAMPLE_ROWS // 2


def postcode_regex(pattern: str, letters: str) -> str:
    return "".join(
        r"\d" if ch == "#" else f"[{letters}]" if ch == "@" else re.escape(ch)
        for ch in pattern
    )


def city_postcodes(code: str, city_cell: str) -> list[str]:
    """Regexes of the postcodes a city's rows may carry, with or without a space
    and, in the US, with a ZIP+4 suffix."""
    market = country(code)
    regexes = []
    for city in market.cities:
        if city.name.casefold() == city_cell.casefold():
            for pattern in (city.postcode, city.postcode.replace(" ", "")):
                regexes.append(postcode_regex(pattern, market.postcode_letters))
    return [rf"{regex}(-\d{{4}})?" if code == "us" else regex for regex in regexes]


def test_postcode_follows_its_city_pattern(profiles):
    checked = 0
    for raw, exp in profiles:
        city = clean(raw["City"]).replace("\u00a0", " ")
        if not (exp["ZIP"] and city):
            continue
        cell = clean(raw["PostCode"]).upper()

        regexes = city_postcodes(exp["COUNTRY"] or "us", city)
        assert any(re.fullmatch(regex, cell) for regex in regexes), cell
        checked += 1
    assert checked > SAMPLE_ROWS // 2


def test_rows_without_a_country_carry_national_us_phones(profiles):
    phones = [
        phone(raw) for raw, exp in profiles if not raw["Country"] and exp["PHONE"]
    ]

    assert phones
    assert not [cell for cell in phones if cell.startswith(("+", "00"))]


def test_hashed_email_is_expected_as_its_lower_case_digest(profiles):
    hashed = [
        (clean(raw["EMail"]), exp["EMAIL"])
        for raw, exp in profiles
        if re.fullmatch(r"[0-9a-fA-F]{64}", clean(raw["EMail"]))
    ]

    assert hashed
    assert all(cell.lower() == expected for cell, expected in hashed)


def test_country_key_is_the_country_the_cell_names(profiles):
    for raw, exp in profiles:
        cell = clean(raw["Country"]).casefold()
        if not exp["COUNTRY"]:
            assert cell == ""
            continue
        spellings = {
            spelling.casefold() for spelling, _ in country(exp["COUNTRY"]).cells
        }
        assert cell in spellings


def country(code: str) -> data.Country:
    return next(country for country in data.COUNTRIES if country.code == code)


# Spellings that pycountry does not give in English: aliases and native names.
OTHER_SPELLINGS = {
    "UK": "gb",
    "U.S.": "us",
    "U.S.A.": "us",
    "United States of America": "us",
    "Deutschland": "de",
    "España": "es",
    "Sverige": "se",
    "Brasil": "br",
    "México": "mx",
}


@pytest.mark.parametrize(
    "spelling",
    [(c.code, s) for c in data.COUNTRIES for s, _ in c.cells],
    ids=lambda value: "-".join(value),
)
def test_country_spellings_name_their_country(spelling):
    code, cell = spelling
    official = pycountry.countries.get(alpha_2=code.upper())
    english = {official.alpha_2, official.alpha_3, official.name}

    assert cell.casefold() in {s.casefold() for s in english} or (
        OTHER_SPELLINGS[cell] == code
    )


# The tables --------------------------------------------------------------------------


def table_names() -> list[str]:
    names = [*data.DIASPORA_FEMALE, *data.DIASPORA_MALE, *data.DIASPORA_LAST]
    for country in data.COUNTRIES:
        names += [*country.female_names, *country.male_names, *country.last_names]
    return sorted(set(names))


@pytest.mark.parametrize("name", table_names())
def test_table_name_keeps_its_key_in_any_case_or_form(name):
    key = sample.name_key(name)

    assert key
    assert sample.name_key(name.upper()) == key
    assert sample.name_key(unicodedata.normalize("NFD", name)) == key
    assert re.fullmatch(r"[a-z]+", sample.ascii_spelling(name))


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Zoë", "zoë"),
        ("José", "josé"),
        ("O'Brien-Smith", "obriensmith"),
        ("Mary Ann", "maryann"),
        ("van der Berg", "vanderberg"),
        ("李", "李"),
        ("St. John", "stjohn"),
        ("Мария", "мария"),
    ],
    ids=lambda value: value,
)
def test_name_key_follows_the_project_vectors(name, key):
    assert sample.name_key(name) == key


@pytest.mark.parametrize(
    ("country", "postcode", "key"),
    [
        ("us", "94105", "94105"),
        ("us", "02134", "02134"),
        ("gb", "SW1A 1AA", "sw1a1"),
        ("gb", "M1 1AE", "m11"),
        ("se", "114 55", "11455"),
        ("br", "01310-100", "01310100"),
        ("ca", "M5V 3L9", "m5v3l9"),
        ("jp", "100-0001", "1000001"),
    ],
    ids=lambda value: value,
)
def test_zip_key_follows_the_project_rules(country, postcode, key):
    assert sample.zip_key(country, postcode) == key


def cities() -> list[tuple[str, data.City]]:
    return [(c.code, city) for c in data.COUNTRIES for city in c.cities]


@pytest.mark.parametrize(
    ("code", "city"), cities(), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_written_down_city_and_state_keys_are_their_transliterations(code, city):
    assert city.ct == re.sub(r"[^a-z]", "", unidecode(city.name).lower())
    for cell, key in city.states:
        if code == "us":
            assert (
                key
                == next(k for k, v in data.US_STATES.items() if cell in (k, v)).lower()
            )
        else:
            assert key == re.sub(r"[^a-z0-9]", "", unidecode(cell).lower())
