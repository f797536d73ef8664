"""Every reason a value is left out, each with a value that earns it."""

from __future__ import annotations

import pytest

from shared.normalize import SKIP_REASONS, VALUE_REASONS, normalize_value

LEFT_OUT = [
    pytest.param("EMAIL", "mary.example.com", None, "invalid_email", id="email-no-at"),
    pytest.param("EMAIL", "mary@", None, "invalid_email", id="email-no-domain"),
    pytest.param("EMAIL", "a@b@c", None, "invalid_email", id="email-two-ats"),
    pytest.param("PHONE", "+0000000000", None, "invalid_phone", id="phone-placeholder"),
    pytest.param("PHONE", "555-5555-555", "us", "invalid_phone", id="phone-one-digit"),
    pytest.param("PHONE", "+1 555 12", None, "invalid_phone", id="phone-too-short"),
    pytest.param("PHONE", "555 1234", "us", "invalid_phone", id="phone-local-only"),
    pytest.param("PHONE", "call me", "us", "invalid_phone", id="phone-words"),
    pytest.param("PHONE", "(555) 123-4567", None, "missing_country", id="phone-no-cc"),
    pytest.param("COUNTRY", "Narnia", None, "unknown_country", id="country"),
    pytest.param("ST", "Calif", "us", "unknown_state", id="us-state"),
    pytest.param("ZIP", "9410", "us", "invalid_zip", id="us-zip-short"),
    pytest.param("ZIP", "SW1A", "gb", "invalid_zip", id="gb-outward-only"),
    pytest.param("GEN", "X", None, "unknown_gender", id="gender"),
    pytest.param("DOB", "30/02/1990", None, "invalid_date", id="dob-february-30"),
    pytest.param("DOB", "1899-12-31", None, "invalid_date", id="dob-before-1900"),
    pytest.param("DOB", "2999-01-01", None, "invalid_date", id="dob-future"),
    pytest.param("DOB", "yesterday", None, "invalid_date", id="dob-words"),
    pytest.param("DOBM", "13", None, "invalid_date", id="dobm-13"),
    pytest.param("DOBD", "32", None, "invalid_date", id="dobd-32"),
    pytest.param("DOB", "05/08/1990", None, "ambiguous_date", id="dob-ambiguous"),
    pytest.param("DOB", "05/08/90", None, "ambiguous_date", id="dob-two-digit-year"),
    pytest.param("FN", "123", None, "no_usable_text", id="first-name-digits"),
    pytest.param("LN", "--", None, "no_usable_text", id="last-name-punctuation"),
    pytest.param("FI", ".", None, "no_usable_text", id="first-initial"),
    pytest.param("CT", "12", None, "no_usable_text", id="city-digits"),
    pytest.param("ST", "--", "fr", "no_usable_text", id="state-elsewhere"),
    pytest.param("ZIP", "--", "fr", "no_usable_text", id="zip-elsewhere"),
]


@pytest.mark.parametrize(("key", "raw", "country", "reason"), LEFT_OUT)
def test_value_is_left_out_with_its_reason(key, raw, country, reason):
    assert normalize_value(key, raw, country=country) == ("", reason)


def test_every_value_reason_has_a_case():
    covered = {case.values[3] for case in LEFT_OUT}

    assert covered == set(VALUE_REASONS)


def test_skip_reasons_are_the_documented_four():
    assert SKIP_REASONS == ("no_email", "no_phone", "no_name_address", "no_identifier")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="spaces"),
        pytest.param("\u200b\u00a0", id="invisible"),
        pytest.param(None, id="none"),
    ],
)
@pytest.mark.parametrize("key", ["EMAIL", "PHONE", "FN", "DOB", "COUNTRY"])
def test_empty_value_is_empty_with_no_reason(key, raw):
    assert normalize_value(key, raw) == ("", None)
