"""Export destinations: where a segment goes and how its columns map to Meta's keys.

A destination is a JSON document in the destinations container, named `{id}.json`.
It is validated whenever it is loaded; every error names the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared import storage
from shared.errors import DestinationError
from shared.segments import check_segment_name
from shared.settings import Settings

# Meta keys a destination may map to a segment column (graph-api.md); DOB is split
# into DOBY, DOBM and DOBD when sent.
MAPPABLE_KEYS = frozenset(
    "EMAIL PHONE FN LN FI GEN DOB DOBY DOBM DOBD CT ST ZIP COUNTRY MADID "
    "EXTERN_ID".split()
)
KEY_IDENTIFIERS = {
    "email": "email",
    "phone": "phone",
    "name_address": "name_address",
    "name and address": "name_address",
}
FILE_SOURCES = (
    "USER_PROVIDED_ONLY",
    "PARTNER_PROVIDED_ONLY",
    "BOTH_USER_AND_PARTNER_PROVIDED",
)
DATE_ORDERS = ("dmy", "mdy", "ymd")
KNOWN_FIELDS = frozenset(
    "id display_name ad_account audience key_identifier mapping default_country "
    "date_order segments consent schedule token_secret".split()
)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_AD_ACCOUNT = re.compile(r"^act_[0-9]{1,20}$")
_AUDIENCE_ID = re.compile(r"^[0-9]{1,20}$")
_COUNTRY = re.compile(r"^[a-z]{2}$")
_SECRET_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")


@dataclass(frozen=True)
class Consent:
    given_by: str
    given_at: str


@dataclass(frozen=True)
class Audience:
    id: str | None = None
    name: str | None = None
    description: str = ""
    customer_file_source: str = "USER_PROVIDED_ONLY"


@dataclass(frozen=True)
class Destination:
    id: str
    display_name: str
    ad_account: str
    audience: Audience
    key_identifier: str
    mapping: dict[str, str]
    segments: tuple[str, ...]
    consent: Consent | None
    default_country: str | None = None
    date_order: str | None = None
    schedule: bool = False
    token_secret: str | None = field(default=None)

    def to_document(self) -> dict[str, Any]:
        document = asdict(self)
        document["segments"] = list(self.segments)
        return document


def parse(destination_id: str, document: Any) -> Destination:
    """Validate a destination document; raises DestinationError naming the field."""
    check = _Checker(destination_id, document)
    return check.destination()


class _Checker:
    def __init__(self, destination_id: str, document: Any):
        self.name = destination_id
        if not isinstance(document, Mapping):
            self.fail(None, "must be a JSON object")
        self.doc = document

    def fail(self, field_name: str | None, problem: str):
        raise DestinationError(self.name, field_name, problem)

    def text(self, key: str, *, required: bool = True, limit: int = 400) -> str | None:
        value = self.doc.get(key)
        if value is None or value == "":
            if required:
                self.fail(key, "is required")
            return None
        if not isinstance(value, str) or len(value) > limit:
            self.fail(key, f"must be text of at most {limit} characters")
        return value

    def destination(self) -> Destination:
        unknown = sorted(set(self.doc) - KNOWN_FIELDS)
        if unknown:
            self.fail(unknown[0], "is not a destination field")
        if not ID_PATTERN.fullmatch(self.name):
            self.fail("id", "must be 1-63 lowercase letters, digits or hyphens")
        return Destination(
            id=self.name,
            display_name=self.text("display_name", limit=200),
            ad_account=self.ad_account(),
            audience=self.audience(),
            key_identifier=self.key_identifier(),
            mapping=self.mapping(),
            segments=self.segments(),
            consent=self.consent(),
            default_country=self.country(),
            date_order=self.date_order(),
            schedule=self.boolean("schedule"),
            token_secret=self.token_secret(),
        )

    def ad_account(self) -> str:
        value = self.text("ad_account")
        if not _AD_ACCOUNT.fullmatch(value):
            self.fail("ad_account", "must look like act_1234567890")
        return value

    def audience(self) -> Audience:
        value = self.doc.get("audience")
        if not isinstance(value, Mapping):
            self.fail("audience", "must be an object with an id, or a name")
        extra = sorted(
            set(value) - {"id", "name", "description", "customer_file_source"}
        )
        if extra:
            self.fail(f"audience.{extra[0]}", "is not an audience field")
        audience_id = value.get("id")
        if audience_id is not None and not (
            isinstance(audience_id, str) and _AUDIENCE_ID.fullmatch(audience_id)
        ):
            self.fail("audience.id", "must be the audience's numeric id as text")
        name = value.get("name")
        if audience_id is None and not (isinstance(name, str) and 0 < len(name) <= 200):
            self.fail("audience.name", "is required when no audience id is given")
        source = value.get("customer_file_source", FILE_SOURCES[0])
        if source not in FILE_SOURCES:
            self.fail("audience.customer_file_source", f"must be one of {FILE_SOURCES}")
        description = value.get("description") or ""
        if not isinstance(description, str) or len(description) > 500:
            self.fail("audience.description", "must be text of at most 500 characters")
        return Audience(audience_id, name, description, source)

    def key_identifier(self) -> str:
        value = self.text("key_identifier")
        chosen = KEY_IDENTIFIERS.get(value.strip().lower().replace("_", " "))
        chosen = chosen or KEY_IDENTIFIERS.get(value.strip().lower())
        if chosen is None:
            self.fail("key_identifier", "must be email, phone or name_address")
        return chosen

    def mapping(self) -> dict[str, str]:
        value = self.doc.get("mapping")
        if not isinstance(value, Mapping) or not value:
            self.fail("mapping", "must map Meta keys to segment columns")
        for key, column in value.items():
            if key not in MAPPABLE_KEYS:
                self.fail(f"mapping.{key}", "is not a Meta key")
            if not isinstance(column, str) or not 0 < len(column) <= 200:
                self.fail(f"mapping.{key}", "must name a segment column")
        if "DOB" in value and {"DOBY", "DOBM", "DOBD"} & set(value):
            self.fail("mapping.DOB", "map either DOB or DOBY/DOBM/DOBD, not both")
        self.require_identifier_keys(value)
        return dict(value)

    def require_identifier_keys(self, mapping: Mapping[str, str]) -> None:
        chosen = self.key_identifier()
        if chosen == "email" and "EMAIL" not in mapping:
            self.fail("mapping.EMAIL", "is required by the key identifier email")
        if chosen == "phone" and "PHONE" not in mapping:
            self.fail("mapping.PHONE", "is required by the key identifier phone")
        if chosen == "name_address":
            for key in ("FN", "LN"):
                if key not in mapping:
                    self.fail(f"mapping.{key}", "is required by name_address")
            if "ZIP" not in mapping and not {"CT", "ST"} <= set(mapping):
                self.fail("mapping.ZIP", "or CT and ST is required by name_address")

    def segments(self) -> tuple[str, ...]:
        value = self.doc.get("segments")
        if not isinstance(value, list) or not value or len(value) > 100:
            self.fail("segments", "must list 1 to 100 segment names")
        for index, name in enumerate(value):
            problem = check_segment_name(name)
            if problem:
                self.fail(f"segments[{index}]", problem)
        return tuple(value)

    def consent(self) -> Consent | None:
        value = self.doc.get("consent")
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail("consent", "must be an object with given_by and given_at")
        given_by, given_at = value.get("given_by"), value.get("given_at")
        if not isinstance(given_by, str) or not given_by.strip():
            self.fail("consent.given_by", "must name who agreed")
        if not isinstance(given_at, str) or not _looks_like_timestamp(given_at):
            self.fail("consent.given_at", "must be an ISO 8601 date and time")
        return Consent(given_by.strip(), given_at)

    def country(self) -> str | None:
        value = self.text("default_country", required=False)
        if value is not None and not _COUNTRY.fullmatch(value.lower()):
            self.fail("default_country", "must be an ISO 3166-1 alpha-2 code")
        return value.lower() if value else None

    def date_order(self) -> str | None:
        value = self.text("date_order", required=False)
        if value is not None and value not in DATE_ORDERS:
            self.fail("date_order", f"must be one of {DATE_ORDERS}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.doc.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
        return value

    def token_secret(self) -> str | None:
        value = self.text("token_secret", required=False)
        if value is not None and not _SECRET_NAME.fullmatch(value):
            self.fail("token_secret", "must be a Key Vault secret name")
        return value


def _looks_like_timestamp(value: str) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _blob_name(destination_id: str) -> str:
    if not ID_PATTERN.fullmatch(destination_id or ""):
        raise DestinationError(
            str(destination_id)[:80],
            "id",
            "must be 1-63 lowercase letters, digits or -",
        )
    return f"{destination_id}.json"


def load(settings: Settings, destination_id: str) -> Destination:
    client = storage.container(settings["DESTINATIONS_CONTAINER"])
    document = storage.read_json(client, _blob_name(destination_id))
    if document is None:
        raise DestinationError(destination_id, None, "does not exist")
    return parse(destination_id, document)


def save(settings: Settings, destination: Destination) -> None:
    client = storage.container(settings["DESTINATIONS_CONTAINER"])
    document = destination.to_document()
    document.pop("id")
    storage.write_json(client, _blob_name(destination.id), document)


def list_ids(settings: Settings) -> list[str]:
    client = storage.container(settings["DESTINATIONS_CONTAINER"])
    names = (blob.name for blob in client.list_blobs())
    return sorted(name[:-5] for name in names if name.endswith(".json"))


def create(settings: Settings, destination: Destination) -> bool:
    """Save a new destination; False when one with that id exists already."""
    client = storage.container(settings["DESTINATIONS_CONTAINER"])
    document = destination.to_document()
    document.pop("id")
    return storage.write_json(
        client, _blob_name(destination.id), document, overwrite=False
    )


def delete(settings: Settings, destination_id: str) -> bool:
    """Delete a destination's document; False when there was none."""
    client = storage.container(settings["DESTINATIONS_CONTAINER"])
    try:
        client.delete_blob(_blob_name(destination_id))
    except ResourceNotFoundError:
        return False
    return True
