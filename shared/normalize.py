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
from datetime import date
from typing import NamedTuple

from shared.errors import InvalidInput
from shared.normalize_dates import DATE_ORDERS
from shared.normalize_fields import (
    CODERS,
    DATE_KEYS,
    DOB_PARTS,
    META_KEYS,
    NORMALIZERS,
    REGION_KEYS,
    Dates,
    FieldCoder,
    hash_value,
)
from shared.normalize_places import region_of
from shared.normalize_tables import (
    NO_EMAIL,
    NO_IDENTIFIER,
    NO_NAME_ADDRESS,
    NO_PHONE,
    SKIP_REASONS,
    VALUE_REASONS,
)
from shared.normalize_text import Result

__all__ = [
    "KEY_IDENTIFIERS",
    "META_KEYS",
    "SKIP_REASONS",
    "VALUE_REASONS",
    "EncodedRow",
    "RowEncoder",
    "hash_value",
    "normalize_value",
    "schema_for",
]

KEY_IDENTIFIERS = ("email", "phone", "name_address", "any")


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
    normalize = NORMALIZERS.get(key)
    if normalize is None:
        raise InvalidInput(f"unknown Meta key {key!r}")
    region = None
    if key in REGION_KEYS:
        region = region_of(country) or region_of(default_country)
    dates = None
    if key in DATE_KEYS:
        dates = (_checked_date_order(date_order), date.today().year)
    return normalize(raw or "", region, dates)


@dataclass(slots=True)
class EncodedRow:
    """One profile as sent: `values` is as wide as the schema, None when skipped."""

    values: list[str] | None
    skip_reason: str | None
    dropped: list[tuple[str, str]] = field(default_factory=list)


class _Field(NamedTuple):
    key: str
    column: str
    positions: tuple[int, ...]  # in the schema; DOB fills three
    code: FieldCoder
    needs_region: bool
    dates: Dates | None


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
        today: date | None = None,
    ):
        self.schema = schema_for(mapping)
        self.hash_values = hash_values
        self._default_region = _checked_default_country(default_country)
        self._skip_reason = _identifier_rule(key_identifier, self.schema)
        # `today` bounds DOBY (1900 to this year); tests pass a fixed day.
        dates = (_checked_date_order(date_order), (today or date.today()).year)
        self._fields = _fields_for(mapping, self.schema, dates)

    def encode(self, record: Mapping[str, str]) -> EncodedRow:
        values, sent, dropped = self._code_row(record)
        reason = self._skip_reason(values)
        if reason is not None:
            return EncodedRow(None, reason, dropped)
        return EncodedRow(sent if self.hash_values else values, None, dropped)

    def normalize_row(
        self, record: Mapping[str, str]
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """Values in schema order ("" where left out) and what was left out."""
        values, _, dropped = self._code_row(record)
        return values, dropped

    def skip_reason(self, values: list[str]) -> str | None:
        """Why a normalized row cannot be sent for the key identifier, or None."""
        return self._skip_reason(values)

    def hash_row(self, values: list[str]) -> list[str]:
        """What is sent for a normalized row (see hash_value)."""
        pairs = zip(self.schema, values, strict=True)
        return [hash_value(key, value) for key, value in pairs]

    def _code_row(self, record: Mapping[str, str]):
        """Normalized values, what is sent for them, and what was left out."""
        values = [""] * len(self.schema)
        sent = [""] * len(self.schema)
        dropped: list[tuple[str, str]] = []
        region = self._default_region
        for key, column, positions, code, needs_region, dates in self._fields:
            raw = record.get(column)
            if not raw:
                continue
            value, reason, digest = code(raw, region if needs_region else None, dates)
            if reason is not None:
                dropped.append((key, reason))
            elif not value:
                continue
            elif len(positions) == 1:
                values[positions[0]] = value
                sent[positions[0]] = digest
                if key == "COUNTRY" and len(value) == 2:
                    region = value  # the row's own country reads its PHONE, ST, ZIP
            else:
                parts = zip(positions, value.split("-"), digest, strict=True)
                for position, part, part_digest in parts:
                    values[position] = part
                    sent[position] = part_digest
        return values, sent, dropped


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


def _fields_for(
    mapping: Mapping[str, str], schema: list[str], dates: Dates
) -> list[_Field]:
    position = {key: index for index, key in enumerate(schema)}
    fields = []
    # COUNTRY first: the other keys of the row are read in its country.
    for key in sorted(mapping, key=lambda key: key != "COUNTRY"):
        parts = DOB_PARTS if key == "DOB" else (key,)
        field = _Field(
            key=key,
            column=mapping[key],
            positions=tuple(position[part] for part in parts),
            code=CODERS[key],
            needs_region=key in REGION_KEYS,
            dates=dates if key in DATE_KEYS else None,
        )
        fields.append(field)
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
