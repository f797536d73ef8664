"""PHONE: country code and national number digits, as Meta's table asks.

libphonenumber (`phonenumbers`) reads every number whose shape is not already
international; values shaped `+<digits>` take a cheap path that asks the same metadata
only what it needs, because a full parse costs about 30 microseconds.
"""

from __future__ import annotations

import re
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


def phone(text: str, region: str | None) -> Result:
    """`+44 (0)20 7946 0958` -> `442079460958`; `030 1234567` (de) -> `49301234567`."""
    if text[0] == "+" and _is_ascii_digits(text[1:]):
        fast = _international_digits(text[1:])
        if fast is not None:
            return fast
    return _parsed(text, region)


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _international_digits(digits: str) -> Result | None:
    """The cheap path for `+<digits>`; None when the full parse must decide."""
    country_code, national = _split_country_code(digits)
    if country_code is None or national[:1] in ("", "0"):
        return None
    if _may_start_with_national_prefix(country_code, national):
        return None
    return _checked(country_code, national)


def _split_country_code(digits: str) -> tuple[int | None, str]:
    # Country calling codes are a prefix code of one to three digits (ITU-T E.164).
    for length in (1, 2, 3):
        if int(digits[:length]) in _COUNTRY_CODES:
            return int(digits[:length]), digits[length:]
    return None, digits


def _may_start_with_national_prefix(country_code: int, national: str) -> bool:
    # Written after the country code, a trunk prefix (`+44 020...`) is still removed by
    # libphonenumber; such numbers go through the full parse so both paths agree.
    pattern = _national_prefix_pattern(country_code)
    if pattern is None:
        return False
    match = pattern.match(national)
    return match is not None and (match.end() > 0 or any(match.groups()))


@cache
def _national_prefix_pattern(country_code: int) -> re.Pattern[str] | None:
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    prefix = metadata.national_prefix_for_parsing if metadata else None
    return re.compile(prefix) if prefix else None


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
    return f"{country_code}{national}", None


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
