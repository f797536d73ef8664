"""Listing the ad accounts and customer-list audiences a destination's token can use,
against the Graph API emulator (tokens from settings, as in local development)."""

from __future__ import annotations

import json

import azure.functions as func
import pytest
from conftest import AD_ACCOUNT, TOKEN

import function_app
from shared import destinations, facebook_account

HOST = "http://127.0.0.1:7071"
DOCUMENT = {
    "display_name": "Shop newsletter",
    "ad_account": AD_ACCOUNT,
    "audience": {"name": "Newsletter"},
    "key_identifier": "email",
    "mapping": {"EMAIL": "EMail"},
    "segments": ["shop/customers.csv"],
    "consent": {"given_by": "dpo@example.com", "given_at": "2026-12-01T09:00:00Z"},
}


@pytest.fixture
def shop(env):
    destinations.save(env, destinations.parse("shop", DOCUMENT))
    return env


def call(name: str, params: dict):
    request = func.HttpRequest("GET", f"{HOST}/api/facebook/x", params=params, body=b"")
    response = getattr(function_app, name).build().get_user_function()(request)
    return response.status_code, json.loads(response.get_body())


def ad_accounts(destination_id: str = "shop"):
    return call("facebook_ad_accounts", {"destination": destination_id})


def audiences(ad_account: str = AD_ACCOUNT, destination_id: str = "shop"):
    params = {"destination": destination_id, "ad_account": ad_account}
    return call("facebook_audiences", params)


def test_ad_accounts_follow_every_page(shop, emulator, monkeypatch):
    monkeypatch.setattr(facebook_account, "ACCOUNT_PAGE", 2)
    for number in range(2, 7):
        emulator.add_ad_account(f"act_100000000{number}", name=f"Account {number}")

    status, answer = ad_accounts()

    ids = [account["id"] for account in answer["ad_accounts"]]
    assert status == 200
    assert ids == [AD_ACCOUNT] + [f"act_100000000{n}" for n in range(2, 7)]


@pytest.mark.parametrize(
    ("accepted", "shown"), [(True, True), (False, False)], ids=["accepted", "not"]
)
def test_ad_accounts_show_whether_the_custom_audience_terms_are_accepted(
    shop, emulator, accepted, shown
):
    emulator.set_terms_accepted(AD_ACCOUNT, accepted)

    _, answer = ad_accounts()

    assert answer["ad_accounts"][0]["custom_audience_terms_accepted"] is shown


def test_a_listing_stops_at_its_cap(shop, emulator, monkeypatch):
    monkeypatch.setattr(facebook_account, "ACCOUNT_PAGE", 2)
    monkeypatch.setattr(facebook_account, "MAX_ITEMS", 3)
    for number in range(2, 7):
        emulator.add_ad_account(f"act_100000000{number}")

    _, answer = ad_accounts()

    assert len(answer["ad_accounts"]) == 3


def test_audiences_of_an_ad_account_follow_every_page(shop, emulator, monkeypatch):
    monkeypatch.setattr(facebook_account, "AUDIENCE_PAGE", 2)
    made = [emulator.create_audience(AD_ACCOUNT, f"List {n}") for n in range(5)]

    status, answer = audiences()

    assert status == 200
    assert [a["id"] for a in answer["audiences"]] == made
    assert answer["audiences"][0]["name"] == "List 0"
    assert answer["audiences"][0]["customer_file_source"] == "USER_PROVIDED_ONLY"
    assert answer["audiences"][0]["operation_status"]["code"] == 200


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({}, 400, "'destination' is required"),
        ({"destination": "no-such-shop"}, 404, "does not exist"),
        ({"destination": "../shop"}, 400, "field 'id'"),
    ],
    ids=["no-destination", "unknown-destination", "path-trick"],
)
def test_the_destination_must_name_a_stored_one(shop, params, status, says):
    answer_status, answer = call("facebook_ad_accounts", params)

    assert answer_status == status
    assert says in answer["error"]


@pytest.mark.parametrize(
    "ad_account",
    ["1000000001", "act_1/../../me", "https://graph.example/act_1", "act_"],
    ids=["bare-number", "path-trick", "url", "no-number"],
)
def test_audiences_need_an_ad_account_id(shop, ad_account):
    status, answer = audiences(ad_account)

    assert status == 400
    assert "ad_account" in answer["error"]


def test_a_rejected_token_asks_to_reconnect(shop, emulator):
    emulator.expire_token(TOKEN)

    status, answer = ad_accounts()

    assert status == 409
    assert "reconnect the Facebook account" in answer["error"]
    assert TOKEN not in answer["error"]


def test_meta_being_down_is_answered_as_retry_later(shop, emulator):
    emulator.fail(count=1, mode="5xx", path_contains="adaccounts")

    status, answer = ad_accounts()

    assert status == 503
    assert "adaccounts" in answer["error"]
