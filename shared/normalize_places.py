"""Normalizers of COUNTRY, ST and ZIP, from pycountry's ISO 3166 data.

Countries are looked up by alpha-2 and alpha-3 codes, English names, the names in
pycountry's gettext catalogues (domain `iso3166-1`, every language it ships) and the
small alias table; never by `search_fuzzy`, which guesses (`UK` gives GB, UG and UA).
"""

from __future__ import annotations

import gettext
import logging
import os
import re
import time
import unicodedata
from functools import cache, lru_cache

import pycountry
from unidecode import unidecode

from shared.normalize_tables import (
    COUNTRY_ALIASES,
    INVALID_ZIP,
    NO_USABLE_TEXT,
    UNKNOWN_COUNTRY,
    UNKNOWN_STATE,
    US_STATE_ALIASES,
)
from shared.normalize_text import Result, ascii_alnum, clean

logger = logging.getLogger(__name__)

_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]+")
# US: ZIP or ZIP+4 once spaces and hyphens are gone; the first five digits are sent.
_US_ZIP = re.compile(r"(\d{5})(?:\d{4})?")
# UK: outward code (area and district, two to four characters) and the sector digit,
# then the unit's two letters, which Meta asks to leave out; a code already shortened
# to its sector is kept as it is. Anything else is not a UK postcode.
_GB_FULL_POSTCODE = re.compile(r"([a-z0-9]{2,4}\d)[a-z]{2}")
_GB_SECTOR = re.compile(r"[a-z0-9]{2,4}\d")
_ISO_ALPHA_2 = frozenset(country.alpha_2.lower() for country in pycountry.countries)


def lookup_key(text: str) -> str:
    """Casefolded letters, marks and digits only: `U.S.A.` and `usa` meet."""
    folded = text.casefold()
    if folded.isascii():
        return _NOT_ASCII_ALNUM.sub("", folded)
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LMN")


def region_of(raw: str | None) -> str | None:
    """A row's country as lowercase alpha-2, from a code, a name or an alias."""
    if not raw:
        return None
    if raw in _ISO_ALPHA_2:
        return raw
    code, _ = country(clean(raw))
    return code or None


@lru_cache(maxsize=4096)
def country(text: str) -> Result:
    key = lookup_key(text)
    code = _base_countries().get(key) or _translated_countries().get(key)
    if code is None:
        code = _folded_countries().get(unidecode(key))
    return (code, None) if code else ("", UNKNOWN_COUNTRY)


@cache
def _base_countries() -> dict[str, str]:
    index: dict[str, str] = {}
    for entry in pycountry.countries:
        code = entry.alpha_2.lower()
        for name in _english_names(entry):
            index[lookup_key(name)] = code
        index[entry.alpha_3.lower()] = code
        index[code] = code
    index.update(COUNTRY_ALIASES)
    return index


def _english_names(entry) -> list[str]:
    fields = ("name", "official_name", "common_name")
    return [name for name in (getattr(entry, f, None) for f in fields) if name]


@cache
def _translated_countries() -> dict[str, str]:
    """Names in every language of pycountry's catalogues; ambiguous ones dropped.

    Loading them takes about half a second, so it happens on the first value the
    codes, English names and aliases do not know.
    """
    started = time.perf_counter()
    index: dict[str, str | None] = {}
    english = [
        (name, e.alpha_2.lower())
        for e in pycountry.countries
        for name in _english_names(e)
    ]
    for catalogue in _catalogues():
        for name, code in english:
            local = catalogue.gettext(name)
            if local != name:
                _add_unambiguous(index, lookup_key(local), code)
    found = {key: code for key, code in index.items() if code}
    logger.info(
        "Loaded %s translated country names in %.2f s",
        len(found),
        time.perf_counter() - started,
    )
    return found


def _catalogues():
    for language in sorted(os.listdir(pycountry.LOCALES_DIR)):
        path = os.path.join(
            pycountry.LOCALES_DIR, language, "LC_MESSAGES", "iso3166-1.mo"
        )
        if os.path.exists(path):
            with open(path, "rb") as handle:
                yield gettext.GNUTranslations(handle)


@cache
def _folded_countries() -> dict[str, str]:
    """Every known name transliterated, so `Espana` and `Osterreich` are found."""
    index: dict[str, str | None] = {}
    for source in (_translated_countries(), _base_countries()):
        for key, code in source.items():
            _add_unambiguous(index, unidecode(key), code)
    return {key: code for key, code in index.items() if code}


def _add_unambiguous(index: dict[str, str | None], key: str, code: str) -> None:
    if key:
        index[key] = code if index.get(key, code) == code else None


def state(text: str, region: str | None) -> Result:
    """ST: US two-letter code from a code or a name; elsewhere lowercase a-z0-9."""
    if region == "us":
        return _us_state(text)
    return _state_elsewhere(text)


def _us_state(text: str) -> Result:
    code = _us_states().get(ascii_alnum(text))
    return (code, None) if code else ("", UNKNOWN_STATE)


def _state_elsewhere(text: str) -> Result:
    kept = ascii_alnum(text)
    return (kept, None) if kept else ("", NO_USABLE_TEXT)


@cache
def _us_states() -> dict[str, str]:
    index = {}
    for entry in pycountry.subdivisions.get(country_code="US"):
        code = entry.code.lower()[3:]
        index[code] = code
        index["us" + code] = code
        index[ascii_alnum(entry.name)] = code
    index.update(US_STATE_ALIASES)
    return index


def postcode(text: str, region: str | None) -> Result:
    """ZIP: lowercase letters and digits; US first five digits; UK without the unit."""
    code = ascii_alnum(text)
    if not code:
        return "", NO_USABLE_TEXT
    if region == "us":
        return _us_zip(code)
    if region == "gb":
        return _gb_postcode(code)
    return code, None


def _us_zip(code: str) -> Result:
    match = _US_ZIP.fullmatch(code)
    return (match[1], None) if match else ("", INVALID_ZIP)


def _gb_postcode(code: str) -> Result:
    match = _GB_FULL_POSTCODE.fullmatch(code)
    if match:
        return match[1], None
    return (code, None) if _GB_SECTOR.fullmatch(code) else ("", INVALID_ZIP)
