"""PHONE: country code and national number digits, as Meta's table asks.

libphonenumber (`phonenumbers`) decides. A full parse costs about 30 microseconds, so
values that are digits once spaces, dashes, dots and brackets are gone (`+44 20 ...`,
`0044...`, `(555) 123-4567` in the US) take a cheap path that asks the same metadata
only what it needs; whatever it cannot settle goes to the full parse, and the tests
check that both give the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber
from phonenumbers.phonenumberutil import ValidationResult

from shared.normalize_tables import INVALID_PHONE, MISSING_COUNTRY
from shared.normalize_text import Result

# `00` is the international prefix in most of the world; phonenumbers accepts it only
# when it knows the region, so it is rewritten to `+` first.
_DOUBLE_ZERO_PREFIX = re.compile(r"^([^\d+\uff0b]*)00")
_LEADING_PLUS = re.compile(r"^[^\d+\uff0b]*[+\uff0b]")
_COUNTRY_CODES = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
# Characters people put between digits; removed before the cheap path looks at them.
_LAYOUT_CHARACTERS = re.compile(r"[ \t\-./()]+")
# Country calling codes are a prefix code of one to three digits (ITU-T E.164).
_CODE_BY_PREFIX = {str(code): code for code in _COUNTRY_CODES}


def phone(text: str, region: str | None) -> Result:
    """`+44 (0)20 7946 0958` -> `442079460958`; `030 1234567` (de) -> `49301234567`."""
    compact = _LAYOUT_CHARACTERS.sub("", text)
    if compact.isascii():
        quick = _quick(compact, region, bare=len(compact) == len(text))
        if quick is not None:
            return quick
    return _parsed(text, region)


def _quick(compact: str, region: str | None, *, bare: bool) -> Result | None:
    """The cheap path for plain digits; None sends the value to the full parse."""
    if compact[:1] == "+":
        digits = compact[1:]
    elif compact[:2] == "00":
        digits = compact[2:]
    elif region is not None:
        return _quick_national(compact, region) if compact.isdigit() else None
    elif bare:
        digits = compact  # digits alone, no country: international, as in _parsed
    else:
        return None
    return _quick_international(digits) if digits.isdigit() else None


def _quick_international(digits: str) -> Result | None:
    country_code, national = _split_country_code(digits)
    if country_code is None:
        return None
    plan = _plan_for_country_code(country_code)
    return _quick_checked(plan, national)


def _quick_national(digits: str, region: str) -> Result | None:
    plan = _plan_for_region(region)
    if plan is None or digits.startswith(plan.country_code_text):
        # libphonenumber may read a leading country code here: let it decide.
        return None
    if plan.international_prefix and plan.international_prefix.match(digits):
        return None
    return _quick_checked(plan, digits)


def _quick_checked(plan: _Plan | None, national: str) -> Result | None:
    if plan is None:
        return None
    stripped = _without_national_prefix(plan, national)
    if not stripped:
        return None
    result = _checked(plan.country_code, stripped)
    return result if result[1] is None else None


def _split_country_code(digits: str) -> tuple[int | None, str]:
    for length in (1, 2, 3):
        code = _CODE_BY_PREFIX.get(digits[:length])
        if code is not None:
            return code, digits[length:]
    return None, digits


def _without_national_prefix(plan: _Plan, national: str) -> str | None:
    """The number without its trunk prefix (`020...` -> `20...`), as libphonenumber
    strips it; None when only the full parse can tell (carrier codes, rewrites)."""
    if plan.national_prefix is None:
        return national
    match = plan.national_prefix.match(national)
    if match is None:
        return national
    if any(group is not None for group in match.groups()):
        return None
    rest = national[match.end() :]
    if rest == national or plan.viable.fullmatch(rest):
        return rest
    return None


@dataclass(frozen=True)
class _Plan:
    """What the cheap path needs from one region's libphonenumber metadata."""

    country_code: int
    country_code_text: str
    national_prefix: re.Pattern[str] | None
    international_prefix: re.Pattern[str] | None
    viable: re.Pattern[str]


@cache
def _plan_for_region(region: str) -> _Plan | None:
    metadata = PhoneMetadata.metadata_for_region(region.upper())
    return _plan(metadata) if metadata else None


@cache
def _plan_for_country_code(country_code: int) -> _Plan | None:
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    return _plan(metadata) if metadata else None


def _plan(metadata: PhoneMetadata) -> _Plan:
    national = metadata.national_prefix_for_parsing
    international = metadata.international_prefix
    return _Plan(
        country_code=metadata.country_code,
        country_code_text=str(metadata.country_code),
        national_prefix=re.compile(national) if national else None,
        international_prefix=re.compile(international) if international else None,
        viable=re.compile(metadata.general_desc.national_number_pattern),
    )


def _parsed(text: str, region: str | None) -> Result:
    candidate = _DOUBLE_ZERO_PREFIX.sub(r"\1+", text, count=1)
    international = _LEADING_PLUS.match(candidate) is not None
    if not international and region is None:
        if not _is_ascii_digits(candidate):
            return "", MISSING_COUNTRY
        # Digits alone with no country anywhere: read them as already carrying the
        # country code, the form Meta's normalized value has (and that spreadsheets
        # leave behind when they drop the `+`).
        return _parse("+" + candidate, None)
    result = _parse(candidate, region)
    if result[1] and not international and _is_ascii_digits(candidate):
        # Not a number of the row's country: it may carry another country's code.
        retry = _parse("+" + candidate, None)
        return retry if retry[1] is None else result
    return result


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _parse(candidate: str, region: str | None) -> Result:
    try:
        number = phonenumbers.parse(candidate, region.upper() if region else None)
    except NumberParseException:
        return "", INVALID_PHONE
    national = phonenumbers.national_significant_number(number)
    return _checked(number.country_code, national)


def _checked(country_code: int, national: str) -> Result:
    if _is_placeholder(national) or not _possible_length(country_code, len(national)):
        return "", INVALID_PHONE
    if national[0] == "0" and not _reads_back(country_code, national):
        return "", INVALID_PHONE
    return f"{country_code}{national}", None


def _reads_back(country_code: int, national: str) -> bool:
    """Whether `+<code><national>` gives the same number when read again.

    A national number may begin with 0 (Italy keeps it), but one whose zero is taken
    for a trunk prefix on the next reading is not a number anyone can be called on.
    """
    try:
        number = phonenumbers.parse(f"+{country_code}{national}", None)
    except NumberParseException:
        return False
    return phonenumbers.national_significant_number(number) == national


def _is_placeholder(national: str) -> bool:
    """`0000000000`, `5555555555`: one digit repeated is a form's filler, not a line."""
    return national == national[0] * len(national)


@cache
def _possible_length(country_code: int, length: int) -> bool:
    """libphonenumber's "possible" test, which depends only on these two values.

    Numbers possible only for local dialling (a US number without its area code) are
    refused: without the rest of the number they can match no one.
    """
    sample = PhoneNumber(country_code=country_code, national_number=int("9" * length))
    reason = phonenumbers.is_possible_number_with_reason(sample)
    return reason == ValidationResult.IS_POSSIBLE
