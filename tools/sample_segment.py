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
import codecs
import csv
import gzip
import hashlib
import io
import json
import multiprocessing
import os
import random
import sys
import time
import unicodedata
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from functools import cache, partial
from pathlib import Path
from typing import BinaryIO, NamedTuple

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

# Which column of the sample holds each Meta key: the mapping of a destination that
# exports every key the sample has (the demo's, the tests' and the benchmarks').
META_MAPPING = {
    "EMAIL": "EMail",
    "PHONE": "Telephone",
    "FN": "FirstName",
    "LN": "LastName",
    "FI": "FirstName",
    "GEN": "Gender",
    "DOB": "DateOfBirth",
    "CT": "City",
    "ST": "State",
    "ZIP": "PostCode",
    "COUNTRY": "Country",
    "EXTERN_ID": "CustomerId",
}

# How often each kind of mess appears. The rates are our guesses at what exports of
# customer-data platforms show, raised where a kind must still turn up several times
# in a 5,000-row sample so that the tests can count on it.
# Stray spaces, or U+200B, U+FEFF or U+00A0, around some cells of a row: after each
# messed cell another follows with this chance (about one row in three has any).
ROW_MESS_RATE = 0.35
INVISIBLE_SHARE = 0.3  # of those, an invisible character rather than white space
# Names, cities and states: capitals, lower case, accents as combining marks (NFD, as
# some Mac exports write them) or a no-break space where a space was.
RECASE_ROW_RATE = 0.4  # after each recased cell another follows with this chance
RECASINGS = (("upper", 40), ("lower", 33), ("nfd", 14), ("nbsp", 13))
COUNTRY_UPPER_RATE = 0.03
COUNTRY_LOWER_RATE = 0.03
INNER_NBSP_RATE = 0.02  # phones with a no-break space between groups
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
EDGE_SPACES = (" ", " ", "  ", "\t")  # one space twice as often as the others
TWO_DIGITS = tuple(f"{n:02d}" for n in range(32))
# Level 1 packs these rows to 40% of their size, level 6 to 33% at a third of the
# speed; for sample files the speed matters more.
GZIP_LEVEL = 1
# Rows are made in chunks, each from its own random stream, so that worker processes
# can make them in parallel and any number of workers writes the same bytes.
CHUNK_ROWS = 10_000

# Written forms of a date of birth. Numeric forms are ambiguous when the day is 12 or
# less: without a date order from the destination nobody can tell 03/04 from 04/03.
DATE_FORMS = (
    ("{y:04d}-{m:02d}-{d:02d}", 35),
    ("{y:04d}{m:02d}{d:02d}", 10),
    ("{y:04d}-{m:02d}-{d:02d}T00:00:00Z", 10),
    ("{d} {month} {y:04d}", 5),
    ("{mon} {d}, {y:04d}", 5),
)
NUMERIC_DATES = {
    "mdy": (("{m:02d}/{d:02d}/{y:04d}", 25), ("{m}/{d}/{y:04d}", 5)),
    "dmy": (
        ("{d:02d}/{m:02d}/{y:04d}", 20),
        ("{d}/{m}/{y:04d}", 5),
        ("{d:02d}.{m:02d}.{y:04d}", 5),
    ),
}
AMBIGUOUS_FORMS = frozenset(
    form for forms in NUMERIC_DATES.values() for form, _ in forms
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
    """A phone plan or postcode pattern, compiled so that one random number fills
    its digits: a literal prefix, then either a plain run of digits (the first may
    have to be 2 to 9) or, for mixed patterns, a format template with a slot per
    random character."""

    prefix: str
    slots: int
    nonzero_first: bool  # plain run whose first digit is 2 to 9
    template: str  # "" for a plain run
    letters: tuple[int, ...]  # template slots that take a letter

    @classmethod
    def phone(cls, plan: str) -> _Pattern:
        """A phone plan: fixed digits, then `N` or `#`, then only `#`."""
        digits = plan.replace(" ", "")
        rest = digits.lstrip("0123456789")
        nonzero_first = rest.startswith("N")
        if not rest or not set(rest[nonzero_first:]) <= {"#"}:
            raise ValueError(f"unsupported phone plan {plan!r}")
        return cls(digits[: len(digits) - len(rest)], len(rest), nonzero_first, "", ())

    @classmethod
    def postcode(cls, pattern: str) -> _Pattern:
        """A postcode pattern: `#` a digit, `@` a letter, anything else itself."""
        first = next((i for i, ch in enumerate(pattern) if ch in "#@"), len(pattern))
        prefix, rest = pattern[:first], pattern[first:]
        if not rest:
            raise ValueError(f"postcode pattern {pattern!r} has nothing random")
        if set(rest) == {"#"}:
            return cls(prefix, len(rest), False, "", ())
        kinds = [ch for ch in rest if ch in "#@"]
        template = "".join("{}" if ch in "#@" else ch for ch in rest)
        letters = tuple(i for i, kind in enumerate(kinds) if kind == "@")
        return cls(prefix, len(kinds), False, template, letters)


class _PhonePlan(NamedTuple):
    """One phone plan with every style of the market turned into a template that
    takes the digits of the national significant number, one slot per digit."""

    digits: _Pattern
    national: tuple[str, ...]
    international: tuple[str, ...]


def _phone_plan(plan: str, country: data.Country) -> _PhonePlan:
    slots = tuple("{}" * len(group) for group in plan.split(" "))
    templates: dict[str, str] = {}

    def template(style: str) -> str:
        if style not in templates:
            parts = _PhoneParts(country.calling_code, slots)
            templates[style] = style.format_map(parts)
        return templates[style]

    return _PhonePlan(
        digits=_Pattern.phone(plan),
        national=tuple(map(template, _wheel(country.national_styles))),
        international=tuple(map(template, _wheel(country.international_styles))),
    )


class _Market(NamedTuple):
    country: data.Country
    cells: tuple[str, ...]
    female: tuple[_Name, ...]
    male: tuple[_Name, ...]
    last: tuple[_Name, ...]
    phone_plans: tuple[_PhonePlan, ...]
    postcodes: tuple[_Pattern, ...]  # one per city, same order
    male_words: tuple[str, ...]
    female_words: tuple[str, ...]
    date_forms: tuple[str, ...]


def _names(texts: Sequence[str]) -> tuple[_Name, ...]:
    return tuple(_Name(text, name_key(text), ascii_spelling(text)) for text in texts)


def _market(country: data.Country) -> _Market:
    return _Market(
        country=country,
        cells=_wheel(country.cells),
        female=_names(country.female_names),
        male=_names(country.male_names),
        last=_names(country.last_names),
        phone_plans=tuple(_phone_plan(plan, country) for plan in country.phone_plans),
        postcodes=tuple(_Pattern.postcode(city.postcode) for city in country.cities),
        male_words=_wheel(_local_words(data.MALE_WORDS, country.language)),
        female_words=_wheel(_local_words(data.FEMALE_WORDS, country.language)),
        date_forms=_wheel(DATE_FORMS + NUMERIC_DATES[country.numeric_dates]),
    )


def _local_words(words: dict, language: str) -> tuple[tuple[str, int], ...]:
    return words["en"] + (words[language] if language != "en" else ())


class _Tables(NamedTuple):
    """Everything the generator picks from, prepared once per process."""

    markets: tuple[_Market, ...]
    other_female: tuple[_Name, ...]
    other_male: tuple[_Name, ...]
    other_last: tuple[_Name, ...]
    other_words: tuple[str, ...]
    email_locals: tuple[str, ...]
    email_domains: tuple[str, ...]
    extensions: tuple[str, ...]
    tiers: tuple[str, ...]
    notes: tuple[str, ...]
    recasings: tuple[str, ...]


@cache
def _tables() -> _Tables:
    markets = tuple(_market(country) for country in data.COUNTRIES)
    return _Tables(
        markets=tuple(m for m in markets for _ in range(m.country.weight)),
        other_female=_names(data.DIASPORA_FEMALE),
        other_male=_names(data.DIASPORA_MALE),
        other_last=_names(data.DIASPORA_LAST),
        other_words=_wheel(data.OTHER_WORDS),
        email_locals=_wheel(EMAIL_LOCALS),
        email_domains=_wheel(data.EMAIL_DOMAINS),
        extensions=_wheel(data.EXTENSIONS),
        tiers=_wheel(data.LOYALTY_TIERS),
        notes=_wheel(data.NOTES),
        recasings=_wheel(RECASINGS),
    )


class _Person(NamedTuple):
    """The clean values one profile starts from."""

    market: _Market
    first: _Name | None
    last: _Name | None
    gender: str  # "m" or "f"
    birth: tuple[int, int, int] | None
    email: str | None
    phone: tuple[_PhonePlan, str] | None  # plan, national significant number
    city: data.City | None
    state: tuple[str, str] | None  # (cell, ST key)
    postcode: str | None
    tier: str
    note: str


Row = tuple[str, ...]


class _ChunkSource:
    """Makes the rows of one chunk from that chunk's own random stream.

    These methods run for every row of a 10M-row benchmark, so they pick with
    `wheel[int(rand() * len(wheel))]` inline: with a helper call per pick the
    generator ran about 15% slower.
    """

    def __init__(self, seed: int, chunk: int) -> None:
        self._tables = _tables()
        # A string seed is hashed with SHA-512: the same stream on every platform.
        self._rand = random.Random(f"{seed}/{chunk}").random
        self._serial = chunk * CHUNK_ROWS
        self._recent: list[tuple[_Person, tuple[Row, Row]]] = []

    def rows(self, count: int) -> Iterator[tuple[Row, Row]]:
        for _ in range(count):
            yield self._next_rows()

    def _next_rows(self) -> tuple[Row, Row]:
        draw = self._rand()
        recent = self._recent
        if draw < EXACT_DUPLICATE_RATE and recent:
            self._serial += 1  # the CustomerId it would have had goes unused
            return recent[int(self._rand() * len(recent))][1]
        if draw < EXACT_DUPLICATE_RATE + REENTERED_DUPLICATE_RATE and recent:
            person = recent[int(self._rand() * len(recent))][0]
        else:
            person = self._new_person()
        rows = self._render(person)
        if len(recent) < RECENT_PROFILES:
            recent.append((person, rows))
        else:
            recent[self._serial % RECENT_PROFILES] = (person, rows)
        return rows

    # Clean values -----------------------------------------------------------------

    def _new_person(self) -> _Person:
        rand = self._rand
        tables = self._tables
        market = tables.markets[int(rand() * len(tables.markets))]
        cities = market.country.cities
        city_index = int(rand() * len(cities))
        city = cities[city_index]
        gender = "f" if rand() < 0.5 else "m"
        first, last = self._names(market, gender)
        return _Person(
            market,
            None if rand() < NO_FIRST_NAME_RATE else first,
            None if rand() < NO_LAST_NAME_RATE else last,
            gender,
            None if rand() < NO_BIRTH_DATE_RATE else self._birth_date(),
            None if rand() < NO_EMAIL_RATE else self._email(first, last),
            None if rand() < NO_PHONE_RATE else self._phone_number(market),
            None if rand() < NO_CITY_RATE else city,
            self._state(city),
            None
            if rand() < NO_POSTCODE_RATE
            else self._fill(market.postcodes[city_index], market.country),
            tables.tiers[int(rand() * len(tables.tiers))],
            tables.notes[int(rand() * len(tables.notes))],
        )

    def _names(self, market: _Market, gender: str) -> tuple[_Name, _Name]:
        rand = self._rand
        tables = self._tables
        if rand() < OTHER_SCRIPT_NAME_RATE:
            firsts = tables.other_female if gender == "f" else tables.other_male
        else:
            firsts = market.female if gender == "f" else market.male
        lasts = tables.other_last if rand() < OTHER_SCRIPT_NAME_RATE else market.last
        return firsts[int(rand() * len(firsts))], lasts[int(rand() * len(lasts))]

    def _birth_date(self) -> tuple[int, int, int]:
        rand = self._rand
        year = FIRST_BIRTH_YEAR + int(rand() * (LAST_BIRTH_YEAR - FIRST_BIRTH_YEAR + 1))
        month = 1 + int(rand() * 12)
        leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        day = 1 + int(rand() * (DAYS_IN_MONTH[month - 1] + leap))
        return year, month, day

    def _email(self, first: _Name, last: _Name) -> str:
        rand = self._rand
        tables = self._tables
        local = tables.email_locals[int(rand() * len(tables.email_locals))].format(
            f=first.local,
            l=last.local,
            i=first.local[0],
            n=10 + int(rand() * 90),
            tag=data.EMAIL_TAGS[int(rand() * len(data.EMAIL_TAGS))],
        )
        domains = tables.email_domains
        return f"{local}@{domains[int(rand() * len(domains))]}"

    def _phone_number(self, market: _Market) -> tuple[_PhonePlan, str]:
        plan = market.phone_plans[int(self._rand() * len(market.phone_plans))]
        return plan, self._fill(plan.digits, market.country)

    def _state(self, city: data.City) -> tuple[str, str] | None:
        states = city.states
        if not states or self._rand() < NO_STATE_RATE:
            return None
        return states[int(self._rand() * len(states))]

    def _fill(self, pattern: _Pattern, country: data.Country) -> str:
        rand = self._rand
        if pattern.nonzero_first:
            low = 2 * 10 ** (pattern.slots - 1)  # 2 followed by zeros
            return pattern.prefix + str(low + int(rand() * 4 * low))
        digits = str(int(rand() * 10**pattern.slots)).zfill(pattern.slots)
        if not pattern.template:
            return pattern.prefix + digits
        slots = list(digits)
        letters = country.postcode_letters
        for slot in pattern.letters:
            slots[slot] = letters[int(rand() * len(letters))]
        return pattern.prefix + pattern.template.format(*slots)

    # Rendering --------------------------------------------------------------------

    def _render(self, person: _Person) -> tuple[Row, Row]:
        self._serial += 1
        customer_id = f"CUST-{self._serial:08d}"
        first, last = person.first, person.last
        first_key = first.key if first else ""
        country_cell, country_key = self._country_cell(person.market)
        email_cell, email_key = self._email_cell(person.email)
        phone_cell, phone_key = self._phone_cell(person, not country_cell)
        birth_cell, birth_keys = self._birth_cell(person)
        gender_cell, gender_key = self._gender_cell(person.market, person.gender)
        city = person.city
        state = person.state
        postcode_cell, postcode_key = self._postcode_cell(person)
        raw = [
            customer_id,
            first.text if first else "",
            last.text if last else "",
            email_cell,
            phone_cell,
            birth_cell,
            gender_cell,
            city.name if city else "",
            state[0] if state else "",
            postcode_cell,
            country_cell,
            person.tier,
            person.note,
        ]
        self._recase_cells(raw)
        self._mess_cells(raw)
        expected = (
            customer_id,
            email_key,
            phone_key,
            first_key,
            last.key if last else "",
            first_key[:1],
            gender_key,
            *birth_keys,
            city.ct if city else "",
            state[1] if state else "",
            postcode_key,
            country_key,
            customer_id,
        )
        return tuple(raw), expected

    def _mess_cells(self, row: list[str]) -> None:
        """Stray spaces or an invisible character around a few non-empty cells."""
        rand = self._rand
        while rand() < ROW_MESS_RATE:
            column = 1 + int(rand() * (len(row) - 1))  # never the CustomerId
            text = row[column]
            if not text:
                continue
            extras = INVISIBLES if rand() < INVISIBLE_SHARE else EDGE_SPACES
            extra = extras[int(rand() * len(extras))]
            row[column] = extra + text if rand() < 0.5 else text + extra

    def _recase_cells(self, row: list[str]) -> None:
        """Capitals, lower case, decomposed accents or a no-break space in a few of
        the name, city and state cells."""
        rand = self._rand
        recasings = self._tables.recasings
        while rand() < RECASE_ROW_RATE:
            column = RECASED_COLUMNS[int(rand() * len(RECASED_COLUMNS))]
            recasing = recasings[int(rand() * len(recasings))]
            row[column] = _RECASINGS[recasing](row[column])

    def _country_cell(self, market: _Market) -> tuple[str, str]:
        rand = self._rand
        code = market.country.code
        if code == DEFAULT_COUNTRY and rand() < EMPTY_US_COUNTRY_RATE:
            return "", ""
        cell = market.cells[int(rand() * len(market.cells))]
        draw = rand()
        if draw < COUNTRY_UPPER_RATE:
            cell = cell.upper()
        elif draw < COUNTRY_UPPER_RATE + COUNTRY_LOWER_RATE:
            cell = cell.lower()
        return cell, code

    def _email_cell(self, email: str | None) -> tuple[str, str]:
        if email is None:
            return "", ""
        draw = self._rand()
        if draw < HASHED_EMAIL_RATE:
            digest = hashlib.sha256(email.encode()).hexdigest()
            return digest.upper() if self._rand() < 0.3 else digest, digest
        draw -= HASHED_EMAIL_RATE
        if draw < INVALID_EMAIL_RATE:
            breaks = data.EMAIL_BREAKS
            return email.replace("@", breaks[int(self._rand() * len(breaks))]), ""
        draw -= INVALID_EMAIL_RATE
        if draw < CAPITALIZED_EMAIL_RATE:
            return email.title(), email
        if draw < CAPITALIZED_EMAIL_RATE + UPPER_EMAIL_RATE:
            return email.upper(), email
        return email, email

    def _phone_cell(self, person: _Person, national_only: bool) -> tuple[str, str]:
        rand = self._rand
        if person.phone is None:
            if rand() < PHONE_PLACEHOLDER_RATE / NO_PHONE_RATE:
                placeholders = data.PHONE_PLACEHOLDERS
                return placeholders[int(rand() * len(placeholders))], ""
            return "", ""
        plan, digits = person.phone
        if not national_only and rand() < INTERNATIONAL_PHONE_RATE:
            styles = plan.international
        else:
            styles = plan.national
        cell = styles[int(rand() * len(styles))].format(*digits)
        if rand() < PHONE_EXTENSION_RATE:
            extensions = self._tables.extensions
            extension = extensions[int(rand() * len(extensions))]
            cell += extension.format(1 + int(rand() * 999))
        if rand() < INNER_NBSP_RATE:
            cell = cell.replace(" ", "\u00a0")
        return cell, person.market.country.calling_code + digits

    def _birth_cell(self, person: _Person) -> tuple[str, tuple[str, str, str]]:
        if person.birth is None:
            return "", ("", "", "")
        year, month, day = person.birth
        forms = person.market.date_forms
        form = forms[int(self._rand() * len(forms))]
        month_name = data.MONTH_NAMES[month - 1]
        cell = form.format(y=year, m=month, d=day, month=month_name, mon=month_name[:3])
        if day <= 12 and form in AMBIGUOUS_FORMS:
            return cell, ("", "", "")
        return cell, (str(year), TWO_DIGITS[month], TWO_DIGITS[day])

    def _gender_cell(self, market: _Market, gender: str) -> tuple[str, str]:
        if self._rand() < OTHER_GENDER_RATE:
            words, key = self._tables.other_words, ""
        else:
            words = market.female_words if gender == "f" else market.male_words
            key = gender
        return words[int(self._rand() * len(words))], key

    def _postcode_cell(self, person: _Person) -> tuple[str, str]:
        postcode = person.postcode
        if postcode is None:
            return "", ""
        rand = self._rand
        code = person.market.country.code
        cell = postcode
        if code == "us" and rand() < ZIP_PLUS_FOUR_RATE:
            cell += "-" + str(int(rand() * 10_000)).zfill(4)
        if " " in cell and rand() < POSTCODE_SPACE_DROPPED_RATE:
            cell = cell.replace(" ", "")
        if rand() < POSTCODE_LOWER_RATE:
            cell = cell.lower()
        return cell, zip_key(code, postcode)


class _PhoneParts(dict):
    """The pieces a phone style may name, each worked out only when it is used."""

    def __init__(self, calling_code: str, groups: tuple[str, ...]) -> None:
        super().__init__(cc=calling_code)
        self.groups = groups

    def __missing__(self, name: str) -> str:
        groups = self.groups
        if name in _GROUP_JOINS:
            return _GROUP_JOINS[name].join(groups)
        if name in ("rest", "rest_all"):
            return (" " if name == "rest" else "").join(groups[1:])
        return groups[int(name[1:])]  # g0, g1, g2


_GROUP_JOINS = {"sp": " ", "dash": "-", "dot": ".", "all": ""}


_RECASINGS = {
    "upper": str.upper,
    "lower": str.lower,
    "nfd": partial(unicodedata.normalize, "NFD"),
    "nbsp": lambda text: text.replace(" ", "\u00a0"),
}
RECASED_COLUMNS = tuple(
    COLUMNS.index(name) for name in ("FirstName", "LastName", "City", "State")
)


def _chunk_sizes(count: int) -> Iterator[tuple[int, int]]:
    """(chunk number, rows in it) for a segment of `count` rows."""
    for chunk, start in enumerate(range(0, count, CHUNK_ROWS)):
        yield chunk, min(CHUNK_ROWS, count - start)


def iter_rows(count: int, *, seed: int = 0) -> Iterator[tuple[Row, Row]]:
    """Yield (segment row, expected row) tuples, in COLUMNS and EXPECTED_COLUMNS
    order: the same rows `write_segment` writes."""
    for chunk, size in _chunk_sizes(count):
        yield from _ChunkSource(seed, chunk).rows(size)


def iter_profiles(count: int, *, seed: int = 0) -> Iterator[tuple[dict, dict]]:
    """Yield (segment row, expected row) dicts for `count` profiles, in file order."""
    for raw, expected in iter_rows(count, seed=seed):
        yield (
            dict(zip(COLUMNS, raw, strict=True)),
            dict(zip(EXPECTED_COLUMNS, expected, strict=True)),
        )


def _open_binary(path: Path) -> BinaryIO:
    """The file to write; gzip when its name ends in .gz.

    The gzip header gets no timestamp, so one seed always gives the same bytes.
    """
    if path.suffix != ".gz":
        return open(path, "wb")
    return gzip.GzipFile(path, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)


def _csv_bytes(rows: Sequence[Row]) -> bytes:
    """UTF-8 CSV per RFC 4180: CRLF line ends, fields quoted when they hold a comma,
    quote or line break, quotes doubled."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode()


def _jsonl_bytes(rows: Sequence[Row]) -> bytes:
    return "".join(
        json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False) + "\n"
        for row in rows
    ).encode()


class _Job(NamedTuple):
    seed: int
    chunk: int
    size: int
    fmt: str
    with_expected: bool


def _chunk_bytes(job: _Job) -> tuple[bytes, bytes]:
    """The segment and expected bytes of one chunk (runs in a worker)."""
    rows = list(_ChunkSource(job.seed, job.chunk).rows(job.size))
    raw = [pair[0] for pair in rows]
    segment = _csv_bytes(raw) if job.fmt == "csv" else _jsonl_bytes(raw)
    expected = _csv_bytes([pair[1] for pair in rows]) if job.with_expected else b""
    return segment, expected


def _chunks_in_order(
    jobs: Iterator[_Job], workers: int
) -> Iterator[tuple[bytes, bytes]]:
    """Chunk bytes in file order, made by `workers` processes.

    At most two chunks per worker are in flight, so memory stays constant however
    many rows are asked for (Pool.imap would run ahead of a slow writer).
    """
    if workers <= 1:
        yield from map(_chunk_bytes, jobs)
        return
    with multiprocessing.Pool(workers) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append(pool.apply_async(_chunk_bytes, (job,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def write_segment(
    path: str | Path,
    count: int,
    *,
    seed: int = 0,
    fmt: str = "csv",
    expected_path: str | Path | None = None,
    bom: bool = False,
    workers: int | None = None,
) -> None:
    """Write `count` profiles to `path` (CSV or JSON Lines) and, when asked, their
    expected values to `expected_path` (CSV), in constant memory.

    The bytes depend only on the arguments, not on `workers` (default: one per CPU).
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}: use csv or jsonl")
    if bom and fmt != "csv":
        raise ValueError("a byte-order mark only applies to CSV")
    jobs = (
        _Job(seed, chunk, size, fmt, expected_path is not None)
        for chunk, size in _chunk_sizes(count)
    )
    if count <= CHUNK_ROWS:
        workers = 1  # one chunk: starting processes would only cost time
    with ExitStack() as files:
        segment = files.enter_context(_open_binary(Path(path)))
        if bom:
            segment.write(codecs.BOM_UTF8)
        if fmt == "csv":
            segment.write(_csv_bytes([COLUMNS]))
        expected = None
        if expected_path is not None:
            expected = files.enter_context(_open_binary(Path(expected_path)))
            expected.write(_csv_bytes([EXPECTED_COLUMNS]))
        for segment_bytes, expected_bytes in _chunks_in_order(
            jobs, workers or default_workers()
        ):
            segment.write(segment_bytes)
            if expected:
                expected.write(expected_bytes)


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
        "--workers", type=int, help="processes making rows (default: one per CPU)"
    )
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
        workers=args.workers,
    )
    seconds = time.perf_counter() - started
    rate = args.rows / seconds if seconds else 0.0
    sys.stderr.write(
        f"{args.rows} profiles in {seconds:.2f} s ({rate:,.0f} profiles/s)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
