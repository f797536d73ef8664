"""One cell of a segment: its Meta key's normalizer, hashing and caches.

Each key has a coder `(raw, region, dates) -> (value, reason, sent)` and a normalizer
that leaves out what is sent. Both take the raw cell, so that values repeating across
profiles (names, cities, dates, postcodes) are remembered before any work is done on
them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from hashlib import sha256

from shared.normalize_dates import birth_day, birth_month, birth_year, full_date
from shared.normalize_phone import phone
from shared.normalize_places import country, postcode, state
from shared.normalize_text import (
    Result,
    city,
    clean,
    email,
    extern_id,
    first_initial,
    gender,
    is_digest,
    madid,
    person_name,
)

META_KEYS = (
    "EMAIL",
    "PHONE",
    "FN",
    "LN",
    "FI",
    "GEN",
    "DOB",
    "DOBY",
    "DOBM",
    "DOBD",
    "CT",
    "ST",
    "ZIP",
    "COUNTRY",
    "MADID",
    "EXTERN_ID",
)
DOB_PARTS = ("DOBY", "DOBM", "DOBD")
# Meta's table: the mobile advertiser id and the advertiser's own id are sent in clear.
UNHASHED_KEYS = frozenset({"MADID", "EXTERN_ID"})
# Keys read in the row's country, and keys that need the date context.
REGION_KEYS = frozenset({"PHONE", "ST", "ZIP"})
DATE_KEYS = frozenset({"DOB", *DOB_PARTS})
# graph-api.md: a value that is already a SHA-256 digest is lowercased and sent as it
# is. Unhashed keys are sent as given, and a DOB digest cannot be split into three.
_DIGEST_KEYS = frozenset(META_KEYS) - UNHASHED_KEYS - {"DOB"}
# Values that repeat across profiles are remembered by their raw text, per key, with
# their digests: one spelling of a name, city or date, stray spaces and case included,
# is one entry (FI and GEN are keyed by the raw first name and gender cell). An entry
# costs about 460 bytes, so full caches take about 60 MB in a process. Emails, phones
# and ids are unique to a profile and not cached.
CACHE_SIZES = {
    "FN": 16_384,
    "LN": 16_384,
    "FI": 16_384,
    "GEN": 1024,
    "DOB": 32_768,
    "DOBY": 1024,
    "DOBM": 1024,
    "DOBD": 1024,
    "CT": 8192,
    "ST": 4096,
    "ZIP": 32_768,
    "COUNTRY": 2048,
}

# The destination's date order and this year (DOBY runs from 1900 to this year).
Dates = tuple["str | None", int]
FieldNormalizer = Callable[[str, "str | None", "Dates | None"], Result]
FieldCoder = Callable[[str, "str | None", "Dates | None"], tuple]

_CORES: dict[str, FieldNormalizer] = {
    "EMAIL": lambda text, region, dates: email(text),
    "PHONE": lambda text, region, dates: phone(text, region),
    "FN": lambda text, region, dates: person_name(text),
    "LN": lambda text, region, dates: person_name(text),
    "FI": lambda text, region, dates: first_initial(text),
    "GEN": lambda text, region, dates: gender(text),
    "DOB": lambda text, region, dates: full_date(text, *dates),
    "DOBY": lambda text, region, dates: birth_year(text, *dates),
    "DOBM": lambda text, region, dates: birth_month(text, *dates),
    "DOBD": lambda text, region, dates: birth_day(text, *dates),
    "CT": lambda text, region, dates: city(text),
    "ST": lambda text, region, dates: state(text, region),
    "ZIP": lambda text, region, dates: postcode(text, region),
    "COUNTRY": lambda text, region, dates: country(text),
    "MADID": lambda text, region, dates: madid(text),
    "EXTERN_ID": lambda text, region, dates: extern_id(text),
}


def _normalize_raw(
    key: str, raw: str, region: str | None, dates: Dates | None
) -> Result:
    text = clean(raw)
    if not text:
        return "", None
    if key in _DIGEST_KEYS and is_digest(text):
        return text.lower(), None
    return _CORES[key](text, region, dates)


def hash_value(key: str, normalized: str) -> str:
    """What is sent for a normalized value: its SHA-256 hex digest, with exceptions.

    "" stays "" (Meta: never the digest of the empty string), MADID and EXTERN_ID are
    sent unchanged, and a value that already is a digest is lowercased, not rehashed.
    """
    if key in UNHASHED_KEYS:
        return normalized
    return sha256_cell(normalized)


def sha256_cell(value: str) -> str:
    if not value:
        return ""
    if is_digest(value):
        return value.lower()
    return sha256(value.encode("utf-8")).hexdigest()


# Years, months and days are few: their digests are worth keeping whatever the date.
_part_digest = lru_cache(maxsize=512)(sha256_cell)


def _code_raw(key: str, raw: str, region: str | None, dates: Dates | None) -> tuple:
    value, reason = _normalize_raw(key, raw, region, dates)
    if key == "DOB":
        sent = tuple(_part_digest(part) for part in value.split("-")) if value else ()
    else:
        sent = hash_value(key, value)
    return value, reason, sent


def _coder(key: str) -> FieldCoder:
    bound = partial(_code_raw, key)
    size = CACHE_SIZES.get(key)
    return lru_cache(maxsize=size)(bound) if size else bound


def _normalizer(coder: FieldCoder) -> FieldNormalizer:
    def normalize(raw: str, region: str | None, dates: Dates | None) -> Result:
        value, reason, _ = coder(raw, region, dates)
        return value, reason

    return normalize


# Per key: the coder, which gives the normalized value, the reason it was left out and
# what is sent (for DOB, the three digests of DOBY, DOBM and DOBD); and the normalizer,
# the same without what is sent, sharing the coder's cache.
CODERS: dict[str, FieldCoder] = {key: _coder(key) for key in META_KEYS}
NORMALIZERS: dict[str, FieldNormalizer] = {
    key: _normalizer(coder) for key, coder in CODERS.items()
}
