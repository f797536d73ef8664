"""Destination documents: what parse() accepts, and the field each refusal names.

Pure tests of validation and of the document round trip; loading and saving through
storage are left to the integration tests.
"""

from __future__ import annotations

import copy
import json

import pytest

from shared.destinations import Audience, Consent, Destination, parse
from shared.errors import DestinationError, InvalidInput

DESTINATION_ID = "newsletter-de"

VALID = {
    "display_name": "Newsletter subscribers (DE)",
    "ad_account": "act_1000000001",
    "audience": {
        "name": "Newsletter DE",
        "description": "Customers who opted in to the newsletter",
        "customer_file_source": "USER_PROVIDED_ONLY",
    },
    "key_identifier": "email",
    "mapping": {
        "EMAIL": "Email",
        "PHONE": "Mobile",
        "FN": "First name",
        "LN": "Last name",
        "DOB": "Birthday",
        "COUNTRY": "Country",
    },
    "default_country": "DE",
    "date_order": "dmy",
    "segments": ["crm/newsletter.csv", "exports/2025/"],
    "consent": {"given_by": " Jane Doe ", "given_at": "2025-03-01T09:30:00Z"},
    "schedule": True,
    "token_secret": "fb-token-newsletter-de-1",
}

REMOVE = object()


def _document(**changes) -> dict:
    """VALID with some fields replaced, or taken out when given REMOVE."""
    document = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is REMOVE:
            document.pop(key)
        else:
            document[key] = value
    return document


# --- accepted documents ------------------------------------------------------------


def test_a_complete_valid_document_is_parsed():
    destination = parse(DESTINATION_ID, _document())

    assert destination == Destination(
        id=DESTINATION_ID,
        display_name="Newsletter subscribers (DE)",
        ad_account="act_1000000001",
        audience=Audience(
            id=None,
            name="Newsletter DE",
            description="Customers who opted in to the newsletter",
            customer_file_source="USER_PROVIDED_ONLY",
        ),
        key_identifier="email",
        mapping=VALID["mapping"],
        segments=("crm/newsletter.csv", "exports/2025/"),
        consent=Consent(given_by="Jane Doe", given_at="2025-03-01T09:30:00Z"),
        default_country="de",
        date_order="dmy",
        schedule=True,
        token_secret="fb-token-newsletter-de-1",
    )


def test_only_the_required_fields_give_the_defaults():
    document = {
        key: VALID[key]
        for key in ("display_name", "ad_account", "key_identifier", "segments")
    }
    document.update(audience={"id": "23850000000000001"}, mapping={"EMAIL": "Email"})

    destination = parse(DESTINATION_ID, document)

    assert destination.audience == Audience(id="23850000000000001")
    assert destination.consent is None
    assert destination.default_country is None
    assert destination.date_order is None
    assert destination.schedule is False
    assert destination.token_secret is None


def test_consent_may_be_absent():
    assert parse(DESTINATION_ID, _document(consent=REMOVE)).consent is None


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        pytest.param("email", "email", id="email"),
        pytest.param("Email", "email", id="email-capitalised"),
        pytest.param("PHONE", "phone", id="phone-upper-case"),
        pytest.param("name_address", "name_address", id="name-address"),
        pytest.param("Name and address", "name_address", id="name-and-address"),
        pytest.param(" name_address ", "name_address", id="surrounding-spaces"),
    ],
)
def test_key_identifier_spellings(spelling, expected):
    mapping = {"EMAIL": "e", "PHONE": "p", "FN": "f", "LN": "l", "ZIP": "z"}
    document = _document(key_identifier=spelling, mapping=mapping)

    assert parse(DESTINATION_ID, document).key_identifier == expected


@pytest.mark.parametrize(
    "mapping",
    [
        pytest.param({"FN": "f", "LN": "l", "ZIP": "z"}, id="with-zip"),
        pytest.param({"FN": "f", "LN": "l", "CT": "c", "ST": "s"}, id="city-state"),
    ],
)
def test_name_address_needs_names_and_zip_or_city_and_state(mapping):
    document = _document(key_identifier="name_address", mapping=mapping)

    assert parse(DESTINATION_ID, document).mapping == mapping


def test_date_of_birth_may_be_mapped_as_three_columns():
    mapping = {"EMAIL": "e", "DOBY": "year", "DOBM": "month", "DOBD": "day"}

    assert parse(DESTINATION_ID, _document(mapping=mapping)).mapping == mapping


@pytest.mark.parametrize(
    "source",
    ["USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"],
)
def test_every_customer_file_source_is_accepted(source):
    audience = {"name": "Newsletter", "customer_file_source": source}

    parsed = parse(DESTINATION_ID, _document(audience=audience))

    assert parsed.audience.customer_file_source == source


# --- refused documents -------------------------------------------------------------

EMAIL_ONLY = {"EMAIL": "Email"}
NAME_ADDRESS = {"key_identifier": "name_address"}

INVALID = [
    # (id, changes to VALID, field the error must name)
    ("unknown-field", {"colour": "blue"}, "colour"),
    ("display-name-missing", {"display_name": REMOVE}, "display_name"),
    ("display-name-empty", {"display_name": ""}, "display_name"),
    ("display-name-too-long", {"display_name": "x" * 201}, "display_name"),
    ("ad-account-missing", {"ad_account": REMOVE}, "ad_account"),
    ("ad-account-without-act", {"ad_account": "1000000001"}, "ad_account"),
    ("ad-account-letters", {"ad_account": "act_10ab"}, "ad_account"),
    ("ad-account-path", {"ad_account": "act_1/../me"}, "ad_account"),
    ("ad-account-number", {"ad_account": 1000000001}, "ad_account"),
    ("audience-missing", {"audience": REMOVE}, "audience"),
    ("audience-not-object", {"audience": "Newsletter"}, "audience"),
    (
        "audience-without-id-or-name",
        {"audience": {"description": "x"}},
        "audience.name",
    ),
    ("audience-empty-name", {"audience": {"name": ""}}, "audience.name"),
    ("audience-id-number", {"audience": {"id": 238500001}}, "audience.id"),
    ("audience-id-letters", {"audience": {"id": "aud-1"}}, "audience.id"),
    ("audience-id-path", {"audience": {"id": "1/users"}}, "audience.id"),
    ("audience-unknown-field", {"audience": {"name": "a", "size": 9}}, "audience.size"),
    (
        "bad-customer-file-source",
        {"audience": {"name": "a", "customer_file_source": "CRM"}},
        "audience.customer_file_source",
    ),
    (
        "description-too-long",
        {"audience": {"name": "a", "description": "d" * 501}},
        "audience.description",
    ),
    ("key-identifier-missing", {"key_identifier": REMOVE}, "key_identifier"),
    ("key-identifier-unknown", {"key_identifier": "madid"}, "key_identifier"),
    ("key-identifier-not-text", {"key_identifier": ["email"]}, "key_identifier"),
    ("mapping-missing", {"mapping": REMOVE}, "mapping"),
    ("mapping-empty", {"mapping": {}}, "mapping"),
    ("mapping-list", {"mapping": ["EMAIL"]}, "mapping"),
    ("mapping-non-meta-key", {"mapping": {"EMAIL": "e", "SSN": "s"}}, "mapping.SSN"),
    ("mapping-lower-case-key", {"mapping": {"email": "e"}}, "mapping.email"),
    ("mapping-combined-key", {"mapping": {"LN_FN_ZIP": "x"}}, "mapping.LN_FN_ZIP"),
    ("mapping-column-number", {"mapping": {"EMAIL": 3}}, "mapping.EMAIL"),
    ("mapping-column-empty", {"mapping": {"EMAIL": ""}}, "mapping.EMAIL"),
    ("email-not-mapped", {"mapping": {"PHONE": "p"}}, "mapping.EMAIL"),
    (
        "phone-not-mapped",
        {"key_identifier": "phone", "mapping": EMAIL_ONLY},
        "mapping.PHONE",
    ),
    (
        "name-address-without-fn",
        {**NAME_ADDRESS, "mapping": {"LN": "l", "ZIP": "z"}},
        "mapping.FN",
    ),
    (
        "name-address-without-ln",
        {**NAME_ADDRESS, "mapping": {"FN": "f", "ZIP": "z"}},
        "mapping.LN",
    ),
    (
        "name-address-city-without-state",
        {**NAME_ADDRESS, "mapping": {"FN": "f", "LN": "l", "CT": "c"}},
        "mapping.ZIP",
    ),
    (
        "name-address-email-only",
        {**NAME_ADDRESS, "mapping": {"EMAIL": "e", "FN": "f", "LN": "l"}},
        "mapping.ZIP",
    ),
    (
        "dob-with-doby",
        {"mapping": {"EMAIL": "e", "DOB": "b", "DOBY": "y"}},
        "mapping.DOB",
    ),
    ("segments-missing", {"segments": REMOVE}, "segments"),
    ("segments-empty", {"segments": []}, "segments"),
    ("segments-not-list", {"segments": "crm/a.csv"}, "segments"),
    ("segments-too-many", {"segments": [f"s{i}.csv" for i in range(101)]}, "segments"),
    ("segment-parent", {"segments": ["ok.csv", "../x.csv"]}, "segments[1]"),
    ("segment-absolute", {"segments": ["/abs.csv"]}, "segments[0]"),
    ("segment-url", {"segments": ["https://host/x.csv"]}, "segments[0]"),
    ("segment-double-slash", {"segments": ["a//b.csv"]}, "segments[0]"),
    ("segment-backslash", {"segments": ["a\\b.csv"]}, "segments[0]"),
    ("segment-control-char", {"segments": ["a\x07.csv"]}, "segments[0]"),
    ("segment-trailing-newline", {"segments": ["a.csv\n"]}, "segments[0]"),
    ("segment-not-text", {"segments": [7]}, "segments[0]"),
    ("consent-not-object", {"consent": "yes"}, "consent"),
    (
        "consent-without-given-by",
        {"consent": {"given_at": "2025-03-01"}},
        "consent.given_by",
    ),
    (
        "consent-blank-given-by",
        {"consent": {"given_by": "  ", "given_at": "2025-03-01T09:30:00Z"}},
        "consent.given_by",
    ),
    ("consent-without-given-at", {"consent": {"given_by": "Jane"}}, "consent.given_at"),
    (
        "consent-bad-given-at",
        {"consent": {"given_by": "Jane", "given_at": "yesterday"}},
        "consent.given_at",
    ),
    (
        "consent-given-at-number",
        {"consent": {"given_by": "Jane", "given_at": 1740821400}},
        "consent.given_at",
    ),
    ("default-country-three-letters", {"default_country": "DEU"}, "default_country"),
    ("default-country-name", {"default_country": "Germany"}, "default_country"),
    ("default-country-digits", {"default_country": "49"}, "default_country"),
    ("default-country-not-text", {"default_country": 49}, "default_country"),
    ("date-order-pattern", {"date_order": "dd/mm/yyyy"}, "date_order"),
    ("date-order-unknown", {"date_order": "ydm"}, "date_order"),
    ("schedule-text", {"schedule": "yes"}, "schedule"),
    ("schedule-number", {"schedule": 1}, "schedule"),
    ("schedule-null", {"schedule": None}, "schedule"),
    ("token-secret-underscore", {"token_secret": "fb_token"}, "token_secret"),
    ("token-secret-path", {"token_secret": "../fb-token"}, "token_secret"),
    ("token-secret-too-long", {"token_secret": "t" * 128}, "token_secret"),
    ("token-secret-not-text", {"token_secret": 12}, "token_secret"),
]


@pytest.mark.parametrize(
    ("changes", "field"),
    [pytest.param(changes, field, id=case) for case, changes, field in INVALID],
)
def test_each_invalid_field_is_named_in_the_error(changes, field):
    with pytest.raises(DestinationError) as caught:
        parse(DESTINATION_ID, _document(**changes))

    assert caught.value.field == field
    assert caught.value.destination == DESTINATION_ID
    assert str(caught.value).startswith(
        f"destination {DESTINATION_ID!r}, field {field!r}: "
    )


@pytest.mark.parametrize(
    "destination_id",
    [
        pytest.param("Newsletter", id="upper-case"),
        pytest.param("news_letter", id="underscore"),
        pytest.param("-newsletter", id="leading-hyphen"),
        pytest.param("../newsletter", id="path"),
        pytest.param("", id="empty"),
        pytest.param("n" * 64, id="too-long"),
    ],
)
def test_a_bad_destination_id_names_the_id_field(destination_id):
    with pytest.raises(DestinationError) as caught:
        parse(destination_id, _document())

    assert caught.value.field == "id"


@pytest.mark.parametrize(
    "document",
    [
        pytest.param([], id="list"),
        pytest.param("newsletter", id="text"),
        pytest.param(None, id="null"),
    ],
)
def test_a_document_that_is_not_an_object_is_refused(document):
    with pytest.raises(DestinationError, match="must be a JSON object") as caught:
        parse(DESTINATION_ID, document)

    assert caught.value.field is None


def test_destination_errors_are_invalid_input():
    assert issubclass(DestinationError, InvalidInput)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"ad_account": "act_1000000001\n"}, "ad_account", id="ad-account"),
        pytest.param({"audience": {"id": "2385\n"}}, "audience.id", id="audience-id"),
        pytest.param({"default_country": "de\n"}, "default_country", id="country"),
        pytest.param({"token_secret": "fb-token\n"}, "token_secret", id="token-secret"),
    ],
)
def test_a_trailing_newline_is_refused(changes, field):
    with pytest.raises(DestinationError) as caught:
        parse(DESTINATION_ID, _document(**changes))

    assert caught.value.field == field


def test_a_destination_id_with_a_trailing_newline_is_refused():
    with pytest.raises(DestinationError):
        parse("newsletter\n", _document())


# --- round trip --------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(_document(), id="complete"),
        pytest.param(_document(consent=REMOVE), id="no-consent"),
        pytest.param(
            _document(
                audience={"id": "23850000000000001"},
                key_identifier="Name and address",
                mapping={"FN": "f", "LN": "l", "CT": "c", "ST": "s"},
                default_country=REMOVE,
                date_order=REMOVE,
                schedule=REMOVE,
                token_secret=REMOVE,
            ),
            id="audience-id-and-defaults",
        ),
    ],
)
def test_to_document_parses_back_to_the_same_destination(document):
    destination = parse(DESTINATION_ID, document)

    stored = json.loads(json.dumps(destination.to_document()))

    assert parse(DESTINATION_ID, stored) == destination
