"""Properties of normalization that hold for any input (hypothesis)."""

from __future__ import annotations

import re
import string
import unicodedata

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from shared.normalize import META_KEYS, hash_value, normalize_value
from shared.normalize_phone import _parsed, phone
from shared.normalize_text import clean

COUNTRIES = st.sampled_from([None, "us", "gb", "de", "fr", "se", "it", "br", "jp"])
ORDERS = st.sampled_from([None, "dmy", "mdy", "ymd"])
DIGEST = re.compile(r"[0-9a-f]{64}")
HASHED_KEYS = [key for key in META_KEYS if key not in ("DOB", "MADID", "EXTERN_ID")]

# Text that looks like what segments hold, plus anything at all.
MESSY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.printable, max_size=30),
    st.text(alphabet="0123456789 +-()./", max_size=20),
    st.sampled_from(
        [
            " Mary Ann ",
            "O'Brien-Smith",
            "Zoë",
            "李",
            "São Paulo",
            "SW1A 1AA",
            "94105-1234",
            "+44 (0)20 7946 0958",
            "030 1234567",
            "28/02/1990",
            "Feb 28, 1990",
            "Deutschland",
            "féminin",
            "Île-de-France",
            "\u200bjohn@example.com\u00a0",
        ]
    ),
)


def _allowed(key: str, value: str) -> bool:
    """The characters each key may hold once normalized (a digest aside)."""
    if DIGEST.fullmatch(value) and key in HASHED_KEYS:
        return True
    checks = {
        "EMAIL": lambda v: v.count("@") == 1 and v == v.strip() and v == v.lower(),
        "PHONE": lambda v: v.isascii() and v.isdigit() and v[0] != "0",
        "FN": _letters_and_marks,
        "LN": _letters_and_marks,
        "FI": lambda v: len(v) == 1 and _letters_and_marks(v),
        "GEN": lambda v: v in ("m", "f"),
        "DOB": lambda v: re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None,
        "DOBY": lambda v: re.fullmatch(r"(19|20)\d{2}", v) is not None,
        "DOBM": lambda v: re.fullmatch(r"0[1-9]|1[0-2]", v) is not None,
        "DOBD": lambda v: re.fullmatch(r"0[1-9]|[12]\d|3[01]", v) is not None,
        "CT": lambda v: re.fullmatch(r"[a-z]+", v) is not None,
        "ST": lambda v: re.fullmatch(r"[a-z0-9]+", v) is not None,
        "ZIP": lambda v: re.fullmatch(r"[a-z0-9]+", v) is not None,
        "COUNTRY": lambda v: re.fullmatch(r"[a-z]{2}", v) is not None,
        "MADID": lambda v: v == v.lower() and v == v.strip(),
        "EXTERN_ID": lambda v: v == v.strip(),
    }
    return checks[key](value)


def _letters_and_marks(value: str) -> bool:
    lowered = value == unicodedata.normalize("NFC", value.lower())
    return lowered and all(unicodedata.category(ch)[0] in "LM" for ch in value)


@pytest.mark.parametrize("key", META_KEYS)
@given(raw=MESSY_TEXT, country=COUNTRIES, order=ORDERS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_output_uses_only_the_keys_alphabet(key, raw, country, order):
    value, reason = normalize_value(key, raw, country=country, date_order=order)

    assert value == "" or _allowed(key, value)
    assert (reason is None) or value == ""


@pytest.mark.parametrize("key", META_KEYS)
@given(raw=MESSY_TEXT, country=COUNTRIES, order=ORDERS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_normalizing_twice_gives_the_same_as_once(key, raw, country, order):
    once, _ = normalize_value(key, raw, country=country, date_order=order)
    # A normalized phone carries its country code; read again in a country, its digits
    # would be taken for a national number there (`468100000` in Sweden is Lund's
    # 046-810 00 00 as well as +46 8 100 000), so it is read again without one.
    again = None if key == "PHONE" else country

    twice, reason = normalize_value(key, once, country=again, date_order=order)

    assert (twice, reason) == (once, None)


@pytest.mark.parametrize("key", HASHED_KEYS)
@given(raw=MESSY_TEXT, country=COUNTRIES)
@settings(max_examples=200, deadline=None)
def test_what_is_sent_for_a_hashed_key_is_a_digest_or_empty(key, raw, country):
    value, _ = normalize_value(key, raw, country=country, date_order="dmy")

    sent = hash_value(key, value)

    assert sent == "" if value == "" else DIGEST.fullmatch(sent)


def _formatted_numbers():
    """Valid numbers of every region libphonenumber knows, written as people do."""
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    return st.builds(
        _write_number,
        region=st.sampled_from(regions),
        tail=st.integers(min_value=0, max_value=99_999),
        style=st.sampled_from(["e164", "international", "national", "compact", "00"]),
    )


def _write_number(region: str, tail: int, style: str) -> tuple[str, str]:
    example = phonenumbers.example_number(region)
    if example is None:
        return "", region.lower()
    national = phonenumbers.national_significant_number(example)
    digits = national[: max(len(national) - 5, 1)] + str(tail).zfill(5)
    digits = digits[: len(national)]
    number = phonenumbers.parse(f"+{example.country_code}{digits}")
    if not phonenumbers.is_valid_number(number):
        number = example  # a number the metadata places, as real numbers are
    formats = {
        "e164": PhoneNumberFormat.E164,
        "international": PhoneNumberFormat.INTERNATIONAL,
        "national": PhoneNumberFormat.NATIONAL,
    }
    if style == "compact":
        text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        return re.sub(r"\D", "", text), region.lower()
    if style == "00":
        text = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        return "00" + text[1:], region.lower()
    return phonenumbers.format_number(number, formats[style]), region.lower()


@given(
    written=_formatted_numbers(),
    reader=st.sampled_from(["own", None, "us", "de", "gb", "it"]),
)
@settings(max_examples=2000, deadline=None)
def test_cheap_phone_path_agrees_with_the_full_parse(written, reader):
    text, own_region = written
    region = own_region if reader == "own" else reader
    text = clean(text)

    cheap = phone(text, region) if text else None
    full = _parsed(text, region) if text else None

    assert cheap == full


@given(written=_formatted_numbers())
@settings(max_examples=1000, deadline=None)
def test_phone_of_the_rows_country_carries_its_country_code(written):
    text, region = written
    once, _ = normalize_value("PHONE", text, country=region)

    twice, reason = normalize_value("PHONE", once)

    assert (twice, reason) == (once, None)
