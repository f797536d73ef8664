"""Each key's rules on the values segments really hold, beyond the shared cases."""

from __future__ import annotations

import pytest

from shared.normalize import normalize_value

DIGEST = "22fff12b355cb9cb6303835fe8227cbb155ee22d300caccba72b326d1a6fb98a"


def _cases(key: str, rows: list[tuple]) -> list:
    params = []
    for row in rows:
        raw, expected, *context = row
        country = context[0] if context else None
        params.append(pytest.param(key, raw, country, expected, id=f"{key}-{raw!r}"))
    return params


CASES = [
    *_cases(
        "EMAIL",
        [
            ("\u200bMary@Example.com\u00a0", "mary@example.com"),
            ("\ufeffjohn@example.org", "john@example.org"),
            ("ZOE\u0308@example.com", "zoë@example.com"),
        ],
    ),
    *_cases(
        "PHONE",
        [
            ("0044 20 7946 0958", "442079460958"),
            ("+44 20 7946 0958", "442079460958"),
            ("+1 555 123 4567 ext. 89", "15551234567"),
            ("+39 06 1234 5678", "390612345678"),
            ("15551234567", "15551234567"),
            ("442079460958", "442079460958", "us"),
            ("011 44 20 7946 0958", "442079460958", "us"),
            ("020 7946 0958", "442079460958", "gb"),
            ("07400 123456", "447400123456", "gb"),
            ("+49\u00a030\u00a01234567", "49301234567"),
            ("0151 23456789", "4915123456789", "de"),
            ("06 12 34 56 78", "33612345678", "fr"),
            ("08-123 456 78", "46812345678", "se"),
            ("555-123-4567", "15551234567", "United States"),
            (DIGEST.upper(), DIGEST),
        ],
    ),
    *_cases(
        "FN",
        [
            ("JOSÉ", "josé"),
            ("Zoe\u0308", "zoë"),
            ("Mary\u00a0Ann", "maryann"),
            ("Jean-Luc", "jeanluc"),
            ("李", "李"),
            ("Åsa", "åsa"),
            (DIGEST, DIGEST),
        ],
    ),
    *_cases("FI", [("Émile", "é"), ("  mary", "m"), ("李", "李")]),
    *_cases(
        "GEN",
        [
            ("m", "m"),
            ("F", "f"),
            ("Woman", "f"),
            ("MAN", "m"),
            ("männlich", "m"),
            ("Weiblich", "f"),
            ("Frau", "f"),
            ("homme", "m"),
            ("Féminin", "f"),
            ("mujer", "f"),
            ("masculino", "m"),
            ("feminino", "f"),
            ("kvinna", "f"),
            ("maschio", "m"),
            ("femmina", "f"),
            ("vrouw", "f"),
            ("Male.", "m"),
        ],
    ),
    *_cases(
        "DOB",
        [
            ("1990-02-28", "1990-02-28"),
            ("1990-02-28T00:00:00Z", "1990-02-28"),
            ("1990-02-28 00:00:00", "1990-02-28"),
            ("19900228", "1990-02-28"),
            ("28 February 1990", "1990-02-28"),
            ("Feb 28, 1990", "1990-02-28"),
            ("28-Feb-1990", "1990-02-28"),
            ("28th of February 1990", "1990-02-28"),
            ("28/02/1990", "1990-02-28"),
            ("02/28/1990", "1990-02-28"),
            ("2/28/1990 12:00:00 AM", "1990-02-28"),
            ("28.02.1990", "1990-02-28"),
            ("1990/05/08", "1990-05-08"),
            ("2000-02-29", "2000-02-29"),
        ],
    ),
    *_cases("DOBY", [("1990", "1990"), ("28/02/1990", "1990")]),
    *_cases("DOBM", [("2", "02"), ("12", "12"), ("Feb", "02"), ("sept.", "09")]),
    *_cases("DOBD", [("7", "07"), ("31", "31"), ("Feb 28, 1990", "28")]),
    *_cases(
        "CT",
        [
            ("Zürich", "zurich"),
            ("St. Louis", "stlouis"),
            ("Winston-Salem", "winstonsalem"),
            ("北京", "beijing"),
            ("S\u00e3o\u00a0Paulo", "saopaulo"),
        ],
    ),
    *_cases(
        "ST",
        [
            ("ca", "ca", "us"),
            ("District of Columbia", "dc", "us"),
            ("Washington, D.C.", "dc", "us"),
            ("US-TX", "tx", "us"),
            ("new york", "ny", "United States"),
            ("Île-de-France", "iledefrance", "fr"),
            ("Bayern", "bayern", "de"),
            ("NSW", "nsw", "au"),
            ("California", "california"),
        ],
    ),
    *_cases(
        "ZIP",
        [
            ("SW1A1AA", "sw1a1", "gb"),
            ("sw1a1", "sw1a1", "gb"),
            ("M1 1AE", "m11", "gb"),
            ("EC1A 1BB", "ec1a1", "gb"),
            ("CF10 1AA", "cf101", "gb"),
            ("114 55", "11455", "se"),
            ("K1A 0B1", "k1a0b1", "ca"),
            ("75001", "75001", "fr"),
            ("10115", "10115", "de"),
            ("941051234", "94105", "us"),
            ("94105-1234", "941051234"),
        ],
    ),
    *_cases(
        "COUNTRY",
        [
            ("U.S.A.", "us"),
            ("U.S.", "us"),
            ("United Kingdom", "gb"),
            ("Great Britain", "gb"),
            ("England", "gb"),
            ("U.K.", "gb"),
            ("DEU", "de"),
            ("Deutschland", "de"),
            ("Sverige", "se"),
            ("España", "es"),
            ("Espana", "es"),
            ("Allemagne", "de"),
            ("Österreich", "at"),
            ("日本", "jp"),
            ("South Korea", "kr"),
            ("Россия", "ru"),
            ("Georgia", "ge"),
            ("GE", "ge"),
            ("Viet Nam", "vn"),
            ("Vietnam", "vn"),
            ("Côte d'Ivoire", "ci"),
        ],
    ),
    *_cases("MADID", [(" AB12-CD34-EF56 ", "ab12-cd34-ef56")]),
    *_cases("EXTERN_ID", [(" CRM-AbC 12 ", "CRM-AbC 12")]),
]


@pytest.mark.parametrize(("key", "raw", "country", "expected"), CASES)
def test_key_rule(key, raw, country, expected):
    assert normalize_value(key, raw, country=country) == (expected, None)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        pytest.param("dmy", "1990-08-05", id="dmy"),
        pytest.param("mdy", "1990-05-08", id="mdy"),
    ],
)
def test_date_order_reads_ambiguous_numeric_dates(order, expected):
    assert normalize_value("DOB", "05/08/1990", date_order=order) == (expected, None)


def test_default_country_is_used_when_the_row_has_none():
    result = normalize_value("PHONE", "030 1234567", default_country="de")

    assert result == ("49301234567", None)


def test_row_country_wins_over_the_default():
    result = normalize_value("ZIP", "SW1A 1AA", country="UK", default_country="us")

    assert result == ("sw1a1", None)
