"""Dates of birth: one DOB column split into DOBY, DOBM, DOBD, or the three apart.

Numeric dates are read only when the reading is certain: a part above 12 must be the
day, a year written first is year-month-day, and otherwise the destination's
`date_order` decides. A date still ambiguous is left out and counted, never guessed.
"""

from __future__ import annotations

import re
from datetime import date

from shared.normalize_tables import (
    AMBIGUOUS_DATE,
    DATE_FILLER_WORDS,
    INVALID_DATE,
    MONTHS,
)
from shared.normalize_text import Result

DATE_ORDERS = ("dmy", "mdy", "ymd")
EARLIEST_BIRTH_YEAR = 1900  # Meta's table: DOBY from 1900 to this year

Parts = tuple[str, str, str]

# A time after the date (`T00:00:00Z`, ` 00:00:00`, ` 12:00:00 AM`) is ignored.
_TIME = r"(?:[t ]+\d{1,2}:\d{2}[\d:.,+\- ]*(?:z|am|pm)?)?"
_NUMERIC = re.compile(r"(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})" + _TIME, re.ASCII)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_TOKENS = re.compile(r"[a-z]+|\d+", re.ASCII)


def parse_date(
    text: str, date_order: str | None, this_year: int
) -> tuple[Parts | None, str | None]:
    """(("1990", "02", "28"), None) or (None, reason)."""
    lowered = text.lower()
    numbers = _numeric_parts(lowered, date_order)
    if numbers is None:
        numbers = _compact_parts(lowered) or _month_name_parts(lowered)
    if numbers is None:
        return None, INVALID_DATE
    if isinstance(numbers, str):
        return None, numbers
    return _checked(*numbers, this_year)


def _numeric_parts(text: str, date_order: str | None):
    match = _NUMERIC.fullmatch(text)
    if match is None:
        return None
    first, _, second, last = match.groups()
    if len(first) == 4:
        # A year written first is followed by the month everywhere (ISO 8601 and the
        # East Asian forms); nobody writes year-day-month.
        return int(first), int(second), int(last)
    if len(last) != 4:
        return AMBIGUOUS_DATE if len(last) == 2 else INVALID_DATE
    return _day_and_month(int(first), int(second), int(last), date_order)


def _day_and_month(first: int, second: int, year: int, date_order: str | None):
    if first > 12:
        return year, second, first
    if second > 12:
        return year, first, second
    if date_order == "dmy":
        return year, second, first
    if date_order == "mdy":
        return year, first, second
    return AMBIGUOUS_DATE


def _compact_parts(text: str):
    match = _COMPACT.fullmatch(text)
    return tuple(int(part) for part in match.groups()) if match else None


def _month_name_parts(text: str):
    """`28 February 1990`, `Feb 28, 1990`, `28-Feb-1990`, `28th of Feb. 1990`."""
    words, numbers = [], []
    for token in _TOKENS.findall(text):
        if token[0].isdigit():
            numbers.append(token)
        elif token not in DATE_FILLER_WORDS:
            words.append(token)
    if len(words) != 1 or words[0] not in MONTHS or len(numbers) != 2:
        return None
    years = [number for number in numbers if len(number) == 4]
    days = [number for number in numbers if len(number) <= 2]
    if len(years) != 1 or len(days) != 1:
        return None
    return int(years[0]), MONTHS[words[0]], int(days[0])


def _checked(year: int, month: int, day: int, this_year: int):
    if not EARLIEST_BIRTH_YEAR <= year <= this_year:
        return None, INVALID_DATE
    try:
        date(year, month, day)
    except ValueError:
        return None, INVALID_DATE
    return (f"{year:04d}", f"{month:02d}", f"{day:02d}"), None


def birth_year(text: str, date_order: str | None, this_year: int) -> Result:
    """DOBY from its own column (`1990`) or from a full date."""
    if len(text) == 4 and _is_ascii_digits(text):
        if EARLIEST_BIRTH_YEAR <= int(text) <= this_year:
            return text, None
        return "", INVALID_DATE
    return _part_of(text, date_order, this_year, 0)


def birth_month(text: str, date_order: str | None, this_year: int) -> Result:
    """DOBM from its own column (`2`, `02`, `Feb`) or from a full date."""
    if len(text) <= 2 and _is_ascii_digits(text):
        return _two_digits(int(text), 12)
    month = MONTHS.get(text.lower().rstrip("."))
    if month is not None:
        return f"{month:02d}", None
    return _part_of(text, date_order, this_year, 1)


def birth_day(text: str, date_order: str | None, this_year: int) -> Result:
    """DOBD from its own column (`7`, `07`) or from a full date."""
    if len(text) <= 2 and _is_ascii_digits(text):
        return _two_digits(int(text), 31)
    return _part_of(text, date_order, this_year, 2)


def full_date(text: str, date_order: str | None, this_year: int) -> Result:
    """DOB as `YYYY-MM-DD`, which the row encoder splits into DOBY, DOBM, DOBD."""
    parts, reason = parse_date(text, date_order, this_year)
    return ("-".join(parts), None) if parts else ("", reason)


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _two_digits(number: int, highest: int) -> Result:
    if 1 <= number <= highest:
        return f"{number:02d}", None
    return "", INVALID_DATE


def _part_of(text: str, date_order: str | None, this_year: int, index: int) -> Result:
    parts, reason = parse_date(text, date_order, this_year)
    return (parts[index], None) if parts else ("", reason)
