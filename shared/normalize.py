"""Identifiers normalized and SHA-256 hashed exactly as Meta's table asks.

The rules are the table "Normalization before SHA-256" of graph-api.md; where Meta's
text is loose the project's choices are written in docs/normalization.md. A value that
cannot be used is left out of its row with a short reason (`normalize_tables`), and a
row with no identifier left for the destination's key identifier is skipped.

    encoder = RowEncoder({"EMAIL": "Email", "DOB": "Birthday"}, date_order="dmy")
    encoder.schema                     # ["EMAIL", "DOBY", "DOBM", "DOBD"]
    encoder.encode({"Email": " Mary@Example.com ", "Birthday": "28/02/1990"}).values
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import sha256

from shared.errors import InvalidInput
from shared.normalize_dates import (
    DATE_ORDERS,
    birth_day,
    birth_month,
    birth_year,
    parse_date,
)
from shared.normalize_phone import phone
from shared.normalize_places import country, postcode, region_of, state
from shared.normalize_tables import (
    NO_EMAIL,
    NO_IDENTIFIER,
    NO_NAME_ADDRESS,
    NO_PHONE,
    SKIP_REASONS,
    VALUE_REASONS,
)
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

__all__ = [
    "META_KEYS",
    "SKIP_REASONS",
    "VALUE_REASONS",
    "EncodedRow",
    "RowEncoder",
    "hash_value",
    "normalize_value",
    "schema_for",
]

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
KEY_IDENTIFIERS = ("email", "phone", "name_address", "any")
# Keys whose values repeat across profiles: their digests are worth remembering.
_REPEATING_KEYS = frozenset(
    {"FN", "LN", "FI", "GEN", "DOBY", "DOBM", "DOBD", "CT", "ST", "ZIP", "COUNTRY"}
)

Normalizer = Callable[[str, "str | None", "str | None"], Result]


def _full_date(text: str, region: str | None, date_order: str | None) -> Result:
    parts, reason = parse_date(text, date_order)
    return ("-".join(parts), None) if parts else ("", reason)


_NORMALIZERS: dict[str, Normalizer] = {
    "EMAIL": lambda text, region, order: email(text),
    "PHONE": lambda text, region, order: phone(text, region),
    "FN": lambda text, region, order: person_name(text),
    "LN": lambda text, region, order: person_name(text),
    "FI": lambda text, region, order: first_initial(text),
    "GEN": lambda text, region, order: gender(text),
    "DOB": _full_date,
    "DOBY": lambda text, region, order: birth_year(text, order),
    "DOBM": lambda text, region, order: birth_month(text, order),
    "DOBD": lambda text, region, order: birth_day(text, order),
    "CT": lambda text, region, order: city(text),
    "ST": lambda text, region, order: state(text, region),
    "ZIP": lambda text, region, order: postcode(text, region),
    "COUNTRY": lambda text, region, order: country(text),
    "MADID": lambda text, region, order: madid(text),
    "EXTERN_ID": lambda text, region, order: extern_id(text),
}


def schema_for(mapped_keys: Iterable[str]) -> list[str]:
    """Meta keys in the order of META_KEYS; DOB becomes DOBY, DOBM, DOBD."""
    keys = set(mapped_keys)
    unknown = sorted(keys - set(META_KEYS))
    if unknown:
        known = ", ".join(META_KEYS)
        raise InvalidInput(f"unknown Meta key {unknown[0]!r}; known: {known}")
    if "DOB" in keys and keys & set(DOB_PARTS):
        raise InvalidInput("DOB and DOBY, DOBM or DOBD cannot be mapped together")
    schema: list[str] = []
    for key in META_KEYS:
        if key in keys:
            schema.extend(DOB_PARTS if key == "DOB" else (key,))
    return schema


def normalize_value(
    key: str,
    raw: str | None,
    *,
    country: str | None = None,
    default_country: str | None = None,
    date_order: str | None = None,
) -> Result:
    """(normalized value, None), or ("", reason) when the value is left out.

    An empty value gives ("", None): nothing to leave out. `country` is the row's
    country (code or name); `default_country` is used when it is missing or unknown.
    DOB gives `YYYY-MM-DD`, which RowEncoder splits into DOBY, DOBM, DOBD.
    """
    if key not in _NORMALIZERS:
        raise InvalidInput(f"unknown Meta key {key!r}")
    text = clean(raw or "")
    if not text:
        return "", None
    region = region_of(country) or region_of(default_country)
    return _normalize_text(key, text, region, date_order)


def _normalize_text(key: str, text: str, region: str | None, order: str | None):
    # graph-api.md: a value that is already a SHA-256 digest is lowercased and sent as
    # it is. A DOB digest cannot be split into its three keys, so it is not one.
    if key not in UNHASHED_KEYS and key != "DOB" and is_digest(text):
        return text.lower(), None
    return _NORMALIZERS[key](text, region, order)


def hash_value(key: str, normalized: str) -> str:
    """What is sent for a normalized value: its SHA-256 hex digest, with exceptions.

    "" stays "" (Meta: never the digest of the empty string), MADID and EXTERN_ID are
    sent unchanged, and a value that already is a digest is lowercased, not rehashed.
    """
    if key in UNHASHED_KEYS:
        return normalized
    return _sha256_cell(normalized)


def _sha256_cell(value: str) -> str:
    if not value:
        return ""
    if is_digest(value):
        return value.lower()
    return sha256(value.encode("utf-8")).hexdigest()


_sha256_repeating = lru_cache(maxsize=65_536)(_sha256_cell)


def _unchanged(value: str) -> str:
    return value


def _hasher_for(key: str) -> Callable[[str], str]:
    if key in UNHASHED_KEYS:
        return _unchanged
    return _sha256_repeating if key in _REPEATING_KEYS else _sha256_cell


@dataclass
class EncodedRow:
    """One profile as sent: `values` is as wide as the schema, None when skipped."""

    values: list[str] | None
    skip_reason: str | None
    dropped: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Field:
    key: str
    column: str
    positions: tuple[int, ...]


class RowEncoder:
    """Turns segment records into rows of `schema` for one destination's mapping.

    `mapping` maps a Meta key to a segment column; one column may feed two keys (FN
    and FI from the same first name). A mapped COUNTRY gives each row's PHONE, ST and
    ZIP their country; `default_country` only interprets values and is never sent.
    """

    def __init__(
        self,
        mapping: Mapping[str, str],
        *,
        default_country: str | None = None,
        date_order: str | None = None,
        key_identifier: str = "any",
        hash_values: bool = True,
    ):
        self.schema = schema_for(mapping)
        self.hash_values = hash_values
        self._date_order = _checked_date_order(date_order)
        self._default_region = _checked_default_country(default_country)
        self._skip_reason = _identifier_rule(key_identifier, self.schema)
        self._fields = _fields_for(mapping, self.schema)
        self._hashers = [_hasher_for(key) for key in self.schema]

    def encode(self, record: Mapping[str, str]) -> EncodedRow:
        values, dropped = self.normalize_row(record)
        reason = self._skip_reason(values)
        if reason is not None:
            return EncodedRow(None, reason, dropped)
        if self.hash_values:
            values = self.hash_row(values)
        return EncodedRow(values, None, dropped)

    def normalize_row(
        self, record: Mapping[str, str]
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """Values in schema order ("" where left out) and what was left out."""
        values = [""] * len(self.schema)
        dropped: list[tuple[str, str]] = []
        region = self._default_region
        for item in self._fields:
            text = clean(record.get(item.column) or "")
            if not text:
                continue
            value, reason = _normalize_text(item.key, text, region, self._date_order)
            if reason is not None:
                dropped.append((item.key, reason))
            elif len(item.positions) == 1:
                values[item.positions[0]] = value
                if item.key == "COUNTRY" and len(value) == 2:
                    region = value
            else:
                for position, part in zip(
                    item.positions, value.split("-"), strict=True
                ):
                    values[position] = part
        return values, dropped

    def skip_reason(self, values: list[str]) -> str | None:
        """Why a normalized row cannot be sent for the key identifier, or None."""
        return self._skip_reason(values)

    def hash_row(self, values: list[str]) -> list[str]:
        """What is sent for a normalized row (see hash_value)."""
        pairs = zip(self._hashers, values, strict=True)
        return [hasher(value) for hasher, value in pairs]


def _checked_date_order(date_order: str | None) -> str | None:
    if date_order is not None and date_order not in DATE_ORDERS:
        raise InvalidInput(f"date order must be one of {', '.join(DATE_ORDERS)}")
    return date_order


def _checked_default_country(default_country: str | None) -> str | None:
    if not default_country:
        return None
    region = region_of(default_country.strip().lower())
    if region is None:
        raise InvalidInput("default country is not an ISO 3166 country")
    return region


def _fields_for(mapping: Mapping[str, str], schema: list[str]) -> list[_Field]:
    position = {key: index for index, key in enumerate(schema)}
    fields = []
    # COUNTRY first: the other keys of the row are read in its country.
    for key in sorted(mapping, key=lambda key: key != "COUNTRY"):
        keys = DOB_PARTS if key == "DOB" else (key,)
        positions = tuple(position[part] for part in keys)
        fields.append(_Field(key, mapping[key], positions))
    return fields


def _identifier_rule(
    key_identifier: str, schema: list[str]
) -> Callable[[list[str]], str | None]:
    """The key identifier rule of graph-api.md as a check on a normalized row."""
    if key_identifier not in KEY_IDENTIFIERS:
        raise InvalidInput(
            f"key identifier must be one of {', '.join(KEY_IDENTIFIERS)}"
        )
    at = {key: index for index, key in enumerate(schema)}

    def has(values: list[str], key: str) -> bool:
        index = at.get(key)
        return index is not None and values[index] != ""

    def name_address(values: list[str]) -> bool:
        if not (has(values, "FN") and has(values, "LN")):
            return False
        return has(values, "ZIP") or (has(values, "CT") and has(values, "ST"))

    def check(values: list[str]) -> str | None:
        if key_identifier == "email":
            return None if has(values, "EMAIL") else NO_EMAIL
        if key_identifier == "phone":
            return None if has(values, "PHONE") else NO_PHONE
        if key_identifier == "name_address":
            return None if name_address(values) else NO_NAME_ADDRESS
        for key in ("EMAIL", "PHONE", "MADID", "EXTERN_ID"):
            if has(values, key):
                return None
        return None if name_address(values) else NO_IDENTIFIER

    return check
