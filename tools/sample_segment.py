"""Realistic, messy customer segments, and what Meta should receive for each profile.

The demo, the tests and the benchmark use it. Every profile starts from clean values (a
name from a table, a date, the digits of a phone number) and is written the way
customer-data platforms export it: stray spaces, invisible characters, mixed case,
national and international phone formats, country aliases. The expected row holds the
normalized value of each Meta key before hashing, taken from the clean values and never
from the messy text. Nothing here imports the product: the two must agree on their own.

    python -m tools.sample_segment --rows 1000000 --out seg.csv.gz --expected exp.csv
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import random
import sys
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple, TextIO

from tools import sample_data as data

COLUMNS = (
    "CustomerId",
    "FirstName",
    "LastName",
    "EMail",
    "Telephone",
    "DateOfBirth",
    "Gender",
    "City",
    "State",
    "PostCode",
    "Country",
    "LoyaltyTier",
    "Notes",
)
EXPECTED_COLUMNS = (
    "CustomerId",
    "EMAIL",
    "PHONE",
    "FN",
    "LN",
    "FI",
    "GEN",
    "DOBY",
    "DOBM",
    "DOBD",
    "CT",
    "ST",
    "ZIP",
    "COUNTRY",
    "EXTERN_ID",
)

# How often each kind of mess appears. The rates are what exports of customer-data
# platforms commonly show, raised where a kind must still turn up several times in a
# 5,000-row sample so that the tests can count on it.
EDGE_SPACE_RATE = 0.03  # per cell: stray spaces or a tab before or after the value
INVISIBLE_RATE = 0.012  # per cell: U+200B, U+FEFF or U+00A0 before or after the value
UPPER_RATE = 0.06  # names, cities, states and countries in capitals
LOWER_RATE = 0.05
DECOMPOSED_RATE = 0.02  # accents as combining marks (NFD), as some Mac exports do
INNER_NBSP_RATE = 0.02  # a no-break space where a space was
NO_FIRST_NAME_RATE = 0.01
NO_LAST_NAME_RATE = 0.01
OTHER_SCRIPT_NAME_RATE = 0.04  # a name from outside the market's usual set
NO_EMAIL_RATE = 0.12
HASHED_EMAIL_RATE = 0.015  # the source already holds a SHA-256 digest
INVALID_EMAIL_RATE = 0.012  # the @ got lost
CAPITALIZED_EMAIL_RATE = 0.15
UPPER_EMAIL_RATE = 0.04
NO_PHONE_RATE = 0.15
PHONE_PLACEHOLDER_RATE = 0.006
INTERNATIONAL_PHONE_RATE = 0.35
PHONE_EXTENSION_RATE = 0.02
NO_BIRTH_DATE_RATE = 0.06
OTHER_GENDER_RATE = 0.08  # empty, Unknown, X, ...: GEN is left out
NO_CITY_RATE = 0.02
NO_STATE_RATE = 0.03
NO_POSTCODE_RATE = 0.02
ZIP_PLUS_FOUR_RATE = 0.15
POSTCODE_SPACE_DROPPED_RATE = 0.2  # GB, CA, SE postcodes written without their space
POSTCODE_LOWER_RATE = 0.08
EMPTY_US_COUNTRY_RATE = 0.2  # the segment leaves the default country (us) implied
EXACT_DUPLICATE_RATE = 0.004  # the same row exported twice
REENTERED_DUPLICATE_RATE = 0.004  # the same person again under a new CustomerId
RECENT_PROFILES = 256  # how far back a duplicate may reach (keeps memory constant)

DEFAULT_COUNTRY = "us"
INVISIBLES = ("\u200b", "\ufeff", "\u00a0")
EDGE_SPACES = (" ", "  ", " ", "\t")
DIGITS = "0123456789"
GZIP_LEVEL = 6
CHUNK_ROWS = 4096

# Written forms of a date of birth. Numeric forms are ambiguous when the day is 12 or
# less: without a date order from the destination nobody can tell 03/04 from 04/03.
ISO_DATE = "{y:04d}-{m:02d}-{d:02d}"
DATE_FORMS = (
    (ISO_DATE, 35),
    ("{y:04d}{m:02d}{d:02d}", 10),
    ("{y:04d}-{m:02d}-{d:02d}T00:00:00Z", 10),
    ("{d} {month} {y:04d}", 5),
    ("{mon} {d}, {y:04d}", 5),
    ("numeric", 25),
    ("{d:02d}.{m:02d}.{y:04d}", 5),
)
NUMERIC_DATES = {
    "mdy": ("{m:02d}/{d:02d}/{y:04d}", "{m}/{d}/{y:04d}"),
    "dmy": ("{d:02d}/{m:02d}/{y:04d}", "{d}/{m}/{y:04d}"),
}
AMBIGUOUS_FORMS = frozenset(
    ("{d:02d}.{m:02d}.{y:04d}", *NUMERIC_DATES["mdy"], *NUMERIC_DATES["dmy"])
)
EMAIL_LOCALS = (
    ("{f}.{l}", 30),
    ("{f}{l}", 15),
    ("{i}{l}", 15),
    ("{f}_{l}", 5),
    ("{f}.{l}{n}", 10),
    ("{f}{n}", 10),
    ("{l}.{f}", 5),
    ("{f}+{tag}", 5),
)
FIRST_BIRTH_YEAR = 1935
LAST_BIRTH_YEAR = 2007
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _wheel(weighted: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    """Each item repeated by its weight, so one random index picks by weight."""
    return tuple(item for item, weight in weighted for _ in range(weight))


def name_key(text: str) -> str:
    """FN/LN key of a clean name: lowercase letters and marks of any script, NFC.

    graph-api.md: no punctuation, no white space, letters of any script kept.
    """
    lowered = unicodedata.normalize("NFC", text).lower()
    kept = "".join(ch for ch in lowered if unicodedata.category(ch)[0] in "LM")
    return unicodedata.normalize("NFC", kept)


def ascii_spelling(text: str) -> str:
    """How a person with this name writes it in an email address: a-z only."""
    if text in data.ROMANIZED:
        return data.ROMANIZED[text]
    decomposed = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(
        data.ASCII_LETTERS.get(ch, ch)
        for ch in decomposed
        if not unicodedata.combining(ch)
    )
    spelled = "".join(ch for ch in letters if "a" <= ch <= "z")
    if not spelled:
        raise ValueError("a table name has no ASCII spelling: add it to ROMANIZED")
    return spelled


def zip_key(country: str, postcode: str) -> str:
    """ZIP key of a clean postcode (graph-api.md, ZIP row)."""
    compact = postcode.replace(" ", "").replace("-", "").lower()
    if country == "us":
        return compact[:5]
    if country == "gb":
        # Area, district and sector: the inward code loses its two letters.
        return compact[:-2]
    return compact


class _Name(NamedTuple):
    text: str
    key: str
    local: str  # spelling for email addresses


class _Pattern(NamedTuple):
    """A phone plan or postcode pattern split into literal text and random runs."""

    tokens: tuple[tuple[str, int | str], ...]

    @classmethod
    def compile(cls, pattern: str) -> _Pattern:
        tokens: list[tuple[str, int | str]] = []
        for ch in pattern:
            kind = ch if ch in "#N@" else "text"
            if kind in ("#", "text") and tokens and tokens[-1][0] == kind:
                previous = tokens[-1][1]
                tokens[-1] = (kind, previous + (1 if kind == "#" else ch))
            else:
                tokens.append((kind, 1 if kind == "#" else ch))
        return cls(tuple(tokens))


class _Market(NamedTuple):
    country: data.Country
    cells: tuple[str, ...]
    female: tuple[_Name, ...]
    male: tuple[_Name, ...]
    last: tuple[_Name, ...]
    phone_plans: tuple[_Pattern, ...]
    national: tuple[str, ...]
    international: tuple[str, ...]
    postcodes: tuple[_Pattern, ...]  # one per city, same order


def _names(texts: Sequence[str]) -> tuple[_Name, ...]:
    return tuple(_Name(text, name_key(text), ascii_spelling(text)) for text in texts)


def _market(country: data.Country) -> _Market:
    return _Market(
        country=country,
        cells=_wheel(country.cells),
        female=_names(country.female_names),
        male=_names(country.male_names),
        last=_names(country.last_names),
        phone_plans=tuple(_Pattern.compile(plan) for plan in country.phone_plans),
        national=_wheel(country.national_styles),
        international=_wheel(country.international_styles),
        postcodes=tuple(_Pattern.compile(city.postcode) for city in country.cities),
    )


class _Tables(NamedTuple):
    """Everything the generator picks from, prepared once per process."""

    markets: tuple[_Market, ...]
    other_female: tuple[_Name, ...]
    other_male: tuple[_Name, ...]
    other_last: tuple[_Name, ...]
    male_words: tuple[str, ...]
    female_words: tuple[str, ...]
    other_words: tuple[str, ...]
    date_forms: tuple[str, ...]
    email_locals: tuple[str, ...]
    email_domains: tuple[str, ...]
    extensions: tuple[str, ...]
    tiers: tuple[str, ...]
    notes: tuple[str, ...]


def _tables() -> _Tables:
    markets = tuple(_market(country) for country in data.COUNTRIES)
    return _Tables(
        markets=tuple(m for m in markets for _ in range(m.country.weight)),
        other_female=_names(data.DIASPORA_FEMALE),
        other_male=_names(data.DIASPORA_MALE),
        other_last=_names(data.DIASPORA_LAST),
        male_words=_wheel(data.MALE_WORDS),
        female_words=_wheel(data.FEMALE_WORDS),
        other_words=_wheel(data.OTHER_WORDS),
        date_forms=_wheel(DATE_FORMS),
        email_locals=_wheel(EMAIL_LOCALS),
        email_domains=_wheel(data.EMAIL_DOMAINS),
        extensions=_wheel(data.EXTENSIONS),
        tiers=_wheel(data.LOYALTY_TIERS),
        notes=_wheel(data.NOTES),
    )


_TABLES: _Tables | None = None


def _shared_tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        _TABLES = _tables()
    return _TABLES


class _Person(NamedTuple):
    """The clean values one profile starts from."""

    market: _Market
    first: _Name | None
    last: _Name | None
    gender: str  # "m" or "f"
    birth: tuple[int, int, int] | None
    email: str | None
    phone: tuple[str, ...] | None  # groups of the national significant number
    city: data.City | None
    state: tuple[str, str] | None  # (cell, ST key)
    postcode: str | None
    tier: str
    note: str


Row = tuple[str, ...]


class SegmentSource:
    """Deterministic stream of (segment row, expected row) pairs for one seed."""

    def __init__(self, seed: int = 0) -> None:
        self._tables = _shared_tables()
        self._rand = random.Random(seed).random
        self._serial = 0
        self._recent: list[tuple[_Person, tuple[Row, Row]]] = []

    def rows(self, count: int) -> Iterator[tuple[Row, Row]]:
        for _ in range(count):
            yield self._next_rows()

    def _next_rows(self) -> tuple[Row, Row]:
        draw = self._rand()
        if draw < EXACT_DUPLICATE_RATE and self._recent:
            return self._pick(self._recent)[1]
        if draw < EXACT_DUPLICATE_RATE + REENTERED_DUPLICATE_RATE and self._recent:
            person = self._pick(self._recent)[0]
        else:
            person = self._new_person()
        rows = self._render(person)
        self._remember(person, rows)
        return rows

    def _remember(self, person: _Person, rows: tuple[Row, Row]) -> None:
        if len(self._recent) < RECENT_PROFILES:
            self._recent.append((person, rows))
        else:
            self._recent[self._serial % RECENT_PROFILES] = (person, rows)

    def _pick(self, wheel: Sequence):
        return wheel[int(self._rand() * len(wheel))]

    def _chance(self, rate: float) -> bool:
        return self._rand() < rate

    # Clean values -----------------------------------------------------------------

    def _new_person(self) -> _Person:
        market = self._pick(self._tables.markets)
        gender = "f" if self._chance(0.5) else "m"
        first = self._first_name(market, gender)
        last = self._last_name(market)
        city_index = int(self._rand() * len(market.country.cities))
        city = market.country.cities[city_index]
        postcode = self._fill(market.postcodes[city_index], market.country)
        return _Person(
            market=market,
            first=None if self._chance(NO_FIRST_NAME_RATE) else first,
            last=None if self._chance(NO_LAST_NAME_RATE) else last,
            gender=gender,
            birth=None if self._chance(NO_BIRTH_DATE_RATE) else self._birth_date(),
            email=None if self._chance(NO_EMAIL_RATE) else self._email(first, last),
            phone=None if self._chance(NO_PHONE_RATE) else self._phone_groups(market),
            city=None if self._chance(NO_CITY_RATE) else city,
            state=self._state(city),
            postcode=None if self._chance(NO_POSTCODE_RATE) else postcode,
            tier=self._pick(self._tables.tiers),
            note=self._pick(self._tables.notes),
        )

    def _first_name(self, market: _Market, gender: str) -> _Name:
        tables = self._tables
        if self._chance(OTHER_SCRIPT_NAME_RATE):
            return self._pick(
                tables.other_female if gender == "f" else tables.other_male
            )
        return self._pick(market.female if gender == "f" else market.male)

    def _last_name(self, market: _Market) -> _Name:
        if self._chance(OTHER_SCRIPT_NAME_RATE):
            return self._pick(self._tables.other_last)
        return self._pick(market.last)

    def _birth_date(self) -> tuple[int, int, int]:
        span = LAST_BIRTH_YEAR - FIRST_BIRTH_YEAR + 1
        year = FIRST_BIRTH_YEAR + int(self._rand() * span)
        month = 1 + int(self._rand() * 12)
        leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        day = 1 + int(self._rand() * (DAYS_IN_MONTH[month - 1] + leap))
        return year, month, day

    def _email(self, first: _Name, last: _Name) -> str:
        local = self._pick(self._tables.email_locals).format(
            f=first.local,
            l=last.local,
            i=first.local[0],
            n=10 + int(self._rand() * 90),
            tag=self._pick(data.EMAIL_TAGS),
        )
        return f"{local}@{self._pick(self._tables.email_domains)}"

    def _phone_groups(self, market: _Market) -> tuple[str, ...]:
        plan = self._pick(market.phone_plans)
        return tuple(self._fill(plan, market.country).split(" "))

    def _state(self, city: data.City) -> tuple[str, str] | None:
        if not city.states or self._chance(NO_STATE_RATE):
            return None
        return self._pick(city.states)

    def _fill(self, pattern: _Pattern, country: data.Country) -> str:
        parts = []
        for kind, value in pattern.tokens:
            if kind == "text":
                parts.append(value)
            elif kind == "#":
                parts.append(str(int(self._rand() * 10**value)).zfill(value))
            elif kind == "N":
                parts.append(DIGITS[2 + int(self._rand() * 8)])
            else:
                parts.append(self._pick(country.postcode_letters))
        return "".join(parts)

    # Rendering --------------------------------------------------------------------

    def _render(self, person: _Person) -> tuple[Row, Row]:
        self._serial += 1
        customer_id = f"CUST-{self._serial:08d}"
        country_cell, country_key = self._country(person.market)
        first_cell = self._name_cell(person.first)
        first_key = person.first.key if person.first else ""
        email_cell, email_key = self._email_cell(person.email)
        phone_cell, phone_key = self._phone_cell(person, national_only=not country_cell)
        birth_cell, birth_keys = self._birth_cell(person)
        gender_cell, gender_key = self._gender_cell(person.gender)
        city_cell, city_key = self._city_cell(person.city)
        state_cell, state_key = self._state_cell(person.state)
        postcode_cell, postcode_key = self._postcode_cell(person)
        raw = (
            customer_id,
            first_cell,
            self._name_cell(person.last),
            email_cell,
            phone_cell,
            birth_cell,
            gender_cell,
            city_cell,
            state_cell,
            postcode_cell,
            country_cell,
            person.tier,
            person.note,
        )
        expected = (
            customer_id,
            email_key,
            phone_key,
            first_key,
            person.last.key if person.last else "",
            first_key[:1],
            gender_key,
            *birth_keys,
            city_key,
            state_key,
            postcode_key,
            country_key,
            customer_id,
        )
        return raw, expected

    def _mess(self, text: str) -> str:
        """Stray spaces or an invisible character around a non-empty cell."""
        draw = self._rand()
        if draw >= EDGE_SPACE_RATE + INVISIBLE_RATE or not text:
            return text
        extra = self._pick(EDGE_SPACES if draw < EDGE_SPACE_RATE else INVISIBLES)
        return extra + text if self._chance(0.5) else text + extra

    def _recased(self, text: str) -> str:
        draw = self._rand()
        if draw < UPPER_RATE:
            return text.upper()
        if draw < UPPER_RATE + LOWER_RATE:
            return text.lower()
        draw -= UPPER_RATE + LOWER_RATE
        if draw < DECOMPOSED_RATE:
            return unicodedata.normalize("NFD", text)
        if draw < DECOMPOSED_RATE + INNER_NBSP_RATE:
            return text.replace(" ", "\u00a0")
        return text

    def _name_cell(self, name: _Name | None) -> str:
        return self._mess(self._recased(name.text)) if name else ""

    def _country(self, market: _Market) -> tuple[str, str]:
        code = market.country.code
        if code == DEFAULT_COUNTRY and self._chance(EMPTY_US_COUNTRY_RATE):
            return "", ""
        cell = self._pick(market.cells)
        draw = self._rand()
        if draw < UPPER_RATE / 2:
            cell = cell.upper()
        elif draw < (UPPER_RATE + LOWER_RATE) / 2:
            cell = cell.lower()
        return self._mess(cell), code

    def _email_cell(self, email: str | None) -> tuple[str, str]:
        if email is None:
            return "", ""
        draw = self._rand()
        if draw < HASHED_EMAIL_RATE:
            digest = hashlib.sha256(email.encode()).hexdigest()
            cell = digest.upper() if self._chance(0.3) else digest
            return self._mess(cell), digest
        draw -= HASHED_EMAIL_RATE
        if draw < INVALID_EMAIL_RATE:
            return self._mess(email.replace("@", self._pick(data.EMAIL_BREAKS))), ""
        draw -= INVALID_EMAIL_RATE
        if draw < CAPITALIZED_EMAIL_RATE:
            return self._mess(email.title()), email
        if draw < CAPITALIZED_EMAIL_RATE + UPPER_EMAIL_RATE:
            return self._mess(email.upper()), email
        return self._mess(email), email

    def _phone_cell(self, person: _Person, *, national_only: bool) -> tuple[str, str]:
        groups = person.phone
        if groups is None:
            if self._chance(PHONE_PLACEHOLDER_RATE / NO_PHONE_RATE):
                return self._mess(self._pick(data.PHONE_PLACEHOLDERS)), ""
            return "", ""
        market = person.market
        international = not national_only and self._chance(INTERNATIONAL_PHONE_RATE)
        style = self._pick(market.international if international else market.national)
        cell = _format_phone(style, market.country.calling_code, groups)
        if self._chance(PHONE_EXTENSION_RATE):
            cell += self._pick(self._tables.extensions).format(
                1 + int(self._rand() * 999)
            )
        if self._chance(INNER_NBSP_RATE):
            cell = cell.replace(" ", "\u00a0")
        return self._mess(cell), market.country.calling_code + "".join(groups)

    def _birth_cell(self, person: _Person) -> tuple[str, tuple[str, str, str]]:
        if person.birth is None:
            return "", ("", "", "")
        year, month, day = person.birth
        form = self._pick(self._tables.date_forms)
        if form == "numeric":
            form = self._pick(NUMERIC_DATES[person.market.country.numeric_dates])
        cell = form.format(
            y=year,
            m=month,
            d=day,
            month=data.MONTH_NAMES[month - 1],
            mon=data.MONTH_NAMES[month - 1][:3],
        )
        if form in AMBIGUOUS_FORMS and day <= 12:
            return self._mess(cell), ("", "", "")
        return self._mess(cell), (f"{year:04d}", f"{month:02d}", f"{day:02d}")

    def _gender_cell(self, gender: str) -> tuple[str, str]:
        if self._chance(OTHER_GENDER_RATE):
            return self._mess(self._pick(self._tables.other_words)), ""
        words = self._tables.female_words if gender == "f" else self._tables.male_words
        return self._mess(self._pick(words)), gender

    def _city_cell(self, city: data.City | None) -> tuple[str, str]:
        if city is None:
            return "", ""
        return self._mess(self._recased(city.name)), city.ct

    def _state_cell(self, state: tuple[str, str] | None) -> tuple[str, str]:
        if state is None:
            return "", ""
        return self._mess(self._recased(state[0])), state[1]

    def _postcode_cell(self, person: _Person) -> tuple[str, str]:
        postcode = person.postcode
        if postcode is None:
            return "", ""
        code = person.market.country.code
        key = zip_key(code, postcode)
        cell = postcode
        if code == "us" and self._chance(ZIP_PLUS_FOUR_RATE):
            cell += "-" + str(int(self._rand() * 10_000)).zfill(4)
        if " " in cell and self._chance(POSTCODE_SPACE_DROPPED_RATE):
            cell = cell.replace(" ", "")
        if self._chance(POSTCODE_LOWER_RATE):
            cell = cell.lower()
        return self._mess(cell), key


def _format_phone(style: str, calling_code: str, groups: tuple[str, ...]) -> str:
    padded = (*groups, "", "")
    return style.format(
        cc=calling_code,
        sp=" ".join(groups),
        dash="-".join(groups),
        dot=".".join(groups),
        all="".join(groups),
        g0=padded[0],
        g1=padded[1],
        g2=padded[2],
        rest=" ".join(groups[1:]),
        rest_all="".join(groups[1:]),
    )


def iter_profiles(count: int, *, seed: int = 0) -> Iterator[tuple[dict, dict]]:
    """Yield (segment row, expected row) dicts for `count` profiles, in file order."""
    for raw, expected in SegmentSource(seed).rows(count):
        yield (
            dict(zip(COLUMNS, raw, strict=True)),
            dict(zip(EXPECTED_COLUMNS, expected, strict=True)),
        )


def _open_text(path: Path, *, bom: bool) -> TextIO:
    """A UTF-8 text stream; gzip when the name ends in .gz.

    The gzip header gets no timestamp, so one seed always gives the same bytes.
    """
    encoding = "utf-8-sig" if bom else "utf-8"
    if path.suffix != ".gz":
        return open(path, "w", encoding=encoding, newline="")
    packed = gzip.GzipFile(path, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)
    return io.TextIOWrapper(packed, encoding=encoding, newline="")


def _csv_writer(stream: TextIO, header: Sequence[str]):
    """RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or
    line break, quotes doubled."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    return writer.writerows


def _jsonl_writer(stream: TextIO):
    def write_rows(rows: Sequence[Row]) -> None:
        stream.writelines(
            json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False) + "\n"
            for row in rows
        )

    return write_rows


def _chunks(pairs: Iterator[tuple[Row, Row]], size: int):
    chunk = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_segment(
    path: str | Path,
    count: int,
    *,
    seed: int = 0,
    fmt: str = "csv",
    expected_path: str | Path | None = None,
    bom: bool = False,
) -> None:
    """Write `count` profiles to `path` (CSV or JSON Lines) and, when asked, their
    expected values to `expected_path` (CSV), in constant memory."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}: use csv or jsonl")
    if bom and fmt != "csv":
        raise ValueError("a byte-order mark only applies to CSV")
    with ExitStack() as files:
        segment = files.enter_context(_open_text(Path(path), bom=bom))
        if fmt == "csv":
            write_rows = _csv_writer(segment, COLUMNS)
        else:
            write_rows = _jsonl_writer(segment)
        write_expected = None
        if expected_path is not None:
            expected = files.enter_context(_open_text(Path(expected_path), bom=False))
            write_expected = _csv_writer(expected, EXPECTED_COLUMNS)
        for chunk in _chunks(SegmentSource(seed).rows(count), CHUNK_ROWS):
            write_rows([raw for raw, _ in chunk])
            if write_expected:
                write_expected([exp for _, exp in chunk])


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.sample_segment",
        description="Write a messy sample segment and what Meta should receive.",
    )
    parser.add_argument("--rows", type=int, required=True, help="profiles to write")
    parser.add_argument(
        "--out", type=Path, required=True, help="segment file; gzip when it ends in .gz"
    )
    parser.add_argument("--expected", type=Path, help="expected values (CSV)")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--bom", action="store_true", help="start the CSV with a UTF-8 byte-order mark"
    )
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be 0 or more")
    if args.bom and args.format != "csv":
        parser.error("--bom only applies to --format csv")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    started = time.perf_counter()
    write_segment(
        args.out,
        args.rows,
        seed=args.seed,
        fmt=args.format,
        expected_path=args.expected,
        bom=args.bom,
    )
    seconds = time.perf_counter() - started
    rate = args.rows / seconds if seconds else 0.0
    sys.stderr.write(
        f"{args.rows} profiles in {seconds:.2f} s ({rate:,.0f} profiles/s)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
