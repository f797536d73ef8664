"""RowEncoder: schema order, DOB expansion, row countries, skips, left-out values."""

from __future__ import annotations

from datetime import date
from hashlib import sha256

import pytest

from shared.errors import InvalidInput
from shared.normalize import RowEncoder, hash_value, schema_for

MARY = {
    "Email": " Mary@Example.com ",
    "Phone": "030 1234567",
    "First": "Mary Ann",
    "Last": "O'Brien",
    "Birthday": "28/02/1990",
    "City": "Berlin",
    "Country": "Deutschland",
}


def _sha(text: str) -> str:
    return sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("mapped", "expected"),
    [
        pytest.param(["LN", "EMAIL"], ["EMAIL", "LN"], id="meta-order"),
        pytest.param(["DOB", "FN"], ["FN", "DOBY", "DOBM", "DOBD"], id="dob-expands"),
        pytest.param(["DOBD", "DOBY"], ["DOBY", "DOBD"], id="dob-parts-apart"),
        pytest.param(
            ["EXTERN_ID", "COUNTRY", "MADID", "ZIP"],
            ["ZIP", "COUNTRY", "MADID", "EXTERN_ID"],
            id="unhashed-last",
        ),
    ],
)
def test_schema_follows_meta_key_order(mapped, expected):
    assert schema_for(mapped) == expected


@pytest.mark.parametrize(
    "mapped",
    [
        pytest.param(["EMAIL", "MAIL"], id="unknown-key"),
        pytest.param(["DOB", "DOBY"], id="dob-twice"),
    ],
)
def test_schema_refuses_bad_mappings(mapped):
    with pytest.raises(InvalidInput):
        schema_for(mapped)


def test_encode_normalizes_and_hashes_every_key():
    encoder = RowEncoder(
        {
            "EMAIL": "Email",
            "PHONE": "Phone",
            "FN": "First",
            "FI": "First",
            "DOB": "Birthday",
            "COUNTRY": "Country",
        },
        date_order="dmy",
    )

    row = encoder.encode(MARY)

    assert encoder.schema == [
        "EMAIL",
        "PHONE",
        "FN",
        "FI",
        "DOBY",
        "DOBM",
        "DOBD",
        "COUNTRY",
    ]
    expected = [
        "mary@example.com",
        "49301234567",
        "maryann",
        "m",
        "1990",
        "02",
        "28",
        "de",
    ]
    assert row.values == [_sha(value) for value in expected]
    assert row.skip_reason is None
    assert row.dropped == []


def test_hash_values_false_gives_normalized_values():
    encoder = RowEncoder({"EMAIL": "Email", "CT": "City"}, hash_values=False)

    row = encoder.encode(MARY)

    assert row.values == ["mary@example.com", "berlin"]


def test_row_country_reads_phone_and_is_sent():
    encoder = RowEncoder({"PHONE": "Phone", "COUNTRY": "Country"}, hash_values=False)

    row = encoder.encode({"Phone": "030 1234567", "Country": "Germany"})

    assert row.values == ["49301234567", "de"]


def test_default_country_reads_values_but_is_never_sent():
    encoder = RowEncoder(
        {"PHONE": "Phone", "COUNTRY": "Country"},
        default_country="de",
        hash_values=False,
    )

    row = encoder.encode({"Phone": "030 1234567", "Country": ""})

    assert row.values == ["49301234567", ""]


def test_unknown_row_country_falls_back_to_the_default():
    encoder = RowEncoder(
        {"ZIP": "Zip", "COUNTRY": "Country"}, default_country="us", hash_values=False
    )

    values, dropped = encoder.normalize_row({"Zip": "94105-1234", "Country": "Narnia"})

    assert values == ["94105", ""]
    assert dropped == [("COUNTRY", "unknown_country")]


def test_dropped_lists_each_left_out_value_by_key():
    encoder = RowEncoder(
        {"EMAIL": "Email", "PHONE": "Phone", "DOB": "Birthday"}, hash_values=False
    )

    row = encoder.encode(
        {"Email": "mary@example.com", "Phone": "+0000000000", "Birthday": "05/08/1990"}
    )

    assert row.values == ["mary@example.com", "", "", "", ""]
    assert row.dropped == [("PHONE", "invalid_phone"), ("DOB", "ambiguous_date")]


def test_date_order_reads_numeric_dates():
    encoder = RowEncoder(
        {"DOB": "Birthday"}, date_order="mdy", hash_values=False, key_identifier="any"
    )

    values, dropped = encoder.normalize_row({"Birthday": "05/08/1990"})

    assert values == ["1990", "05", "08"]
    assert dropped == []


@pytest.mark.parametrize(
    ("key_identifier", "record", "reason"),
    [
        pytest.param("email", {"Phone": "+15559876543"}, "no_email", id="email"),
        pytest.param("phone", {"Email": "a@b.c"}, "no_phone", id="phone"),
        pytest.param(
            "name_address",
            {"First": "Mary", "Last": "Smith", "City": "Paris"},
            "no_name_address",
            id="name-without-state-or-zip",
        ),
        pytest.param(
            "any", {"First": "Mary", "Email": "no-at-sign"}, "no_identifier", id="any"
        ),
    ],
)
def test_row_without_its_key_identifier_is_skipped(key_identifier, record, reason):
    encoder = RowEncoder(
        {
            "EMAIL": "Email",
            "PHONE": "Phone",
            "FN": "First",
            "LN": "Last",
            "CT": "City",
            "ST": "State",
            "ZIP": "Zip",
        },
        key_identifier=key_identifier,
    )

    row = encoder.encode(record)

    assert row.values is None
    assert row.skip_reason == reason


@pytest.mark.parametrize(
    ("record", "identified"),
    [
        pytest.param(
            {"First": "Mary", "Last": "Smith", "Zip": "75001"}, True, id="name-and-zip"
        ),
        pytest.param(
            {"First": "Mary", "Last": "Smith", "City": "Paris", "State": "IDF"},
            True,
            id="name-city-state",
        ),
        pytest.param({"First": "Mary", "Zip": "75001"}, False, id="no-last-name"),
        pytest.param({"Madid": "AB-CD"}, True, id="madid"),
        pytest.param({"Extern": "CRM-1"}, True, id="extern-id"),
    ],
)
def test_any_identifier_rule(record, identified):
    encoder = RowEncoder(
        {
            "FN": "First",
            "LN": "Last",
            "CT": "City",
            "ST": "State",
            "ZIP": "Zip",
            "MADID": "Madid",
            "EXTERN_ID": "Extern",
        },
    )

    row = encoder.encode(record)

    assert (row.skip_reason is None) == identified


def test_hashed_row_keeps_unhashed_keys_and_digests():
    digest = _sha("mary@example.com").upper()
    encoder = RowEncoder({"EMAIL": "Email", "MADID": "Madid", "EXTERN_ID": "Id"})

    row = encoder.encode({"Email": digest, "Madid": "AB-CD-12", "Id": "CRM-AbC"})

    assert row.values == [digest.lower(), "ab-cd-12", "CRM-AbC"]


@pytest.mark.parametrize(
    ("key", "normalized", "sent"),
    [
        pytest.param("EMAIL", "", "", id="empty-stays-empty"),
        pytest.param(
            "EMAIL",
            "mary@example.com",
            "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79",
            id="documented-email",
        ),
        pytest.param(
            "PHONE",
            "15559876543",
            "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e",
            id="documented-phone",
        ),
        pytest.param(
            "COUNTRY",
            "us",
            "79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621",
            id="documented-country",
        ),
        pytest.param("MADID", "ab-cd", "ab-cd", id="madid-unhashed"),
        pytest.param("EXTERN_ID", "CRM-1", "CRM-1", id="extern-id-unhashed"),
    ],
)
def test_hash_value(key, normalized, sent):
    assert hash_value(key, normalized) == sent


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"date_order": "ydm"}, id="date-order"),
        pytest.param({"key_identifier": "name"}, id="key-identifier"),
        pytest.param({"default_country": "Narnia"}, id="default-country"),
    ],
)
def test_encoder_refuses_bad_options(options):
    with pytest.raises(InvalidInput):
        RowEncoder({"EMAIL": "Email"}, **options)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        pytest.param(date(2010, 6, 1), (["2010", "01", "31"], []), id="this-year"),
        pytest.param(
            date(2009, 12, 31), (["", "", ""], [("DOB", "invalid_date")]), id="future"
        ),
    ],
)
def test_birth_year_runs_up_to_the_injected_today(today, expected):
    encoder = RowEncoder({"DOB": "Birthday"}, today=today)

    assert encoder.normalize_row({"Birthday": "2010-01-31"}) == expected
