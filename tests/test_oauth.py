"""Connect with Facebook, end to end against the Graph API emulator's login dialog,
code exchange and debug_token, with tokens stored in the local Key Vault fake."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import azure.functions as func
import pytest
import requests
from conftest import APP_ID, APP_SECRET
from keyvault_fake import serving_the_app

import function_app
from shared import destinations, oauth, settings, storage
from shared.secrets import APP_SECRET_NAME

HOST = "http://127.0.0.1:7071"
DOCUMENT = {
    "display_name": "Shop newsletter",
    "ad_account": "act_1000000001",
    "audience": {"name": "Newsletter"},
    "key_identifier": "email",
    "mapping": {"EMAIL": "EMail"},
    "segments": ["shop/customers.csv"],
    "consent": {"given_by": "dpo@example.com", "given_at": "2026-12-01T09:00:00Z"},
}
SIXTY_DAYS = 60 * 86400


@pytest.fixture
def app_settings(env, emulator, vault, monkeypatch):
    monkeypatch.setenv("KEY_VAULT_URL", vault.url)
    monkeypatch.setenv("FACEBOOK_DIALOG_URL", emulator.url)
    current = settings.load()
    vault.put(APP_SECRET_NAME, APP_SECRET)
    destinations.save(current, destinations.parse("shop", DOCUMENT))
    with serving_the_app(vault, current):
        yield current


def call(name: str, path: str, params: dict | None = None, **extra):
    query = f"?{urlencode(params)}" if params else ""
    request = func.HttpRequest(
        "GET", f"{HOST}{path}{query}", params=params or {}, body=b"", **extra
    )
    return getattr(function_app, name).build().get_user_function()(request)


def connect(destination_id: str = "shop"):
    return call(
        "facebook_connect", "/api/facebook/connect", {"destination": destination_id}
    )


def through_dialog(location: str, **changes) -> dict:
    """What Meta's dialog sends the browser back with (the callback's query)."""
    parts = urlsplit(location)
    query = dict(parse_qsl(parts.query), **changes)
    with requests.Session() as browser:
        browser.trust_env = False
        dialog = browser.get(
            f"{parts.scheme}://{parts.netloc}{parts.path}",
            params=query,
            allow_redirects=False,
            timeout=30,
        )
    assert dialog.status_code == 302
    return dict(parse_qsl(urlsplit(dialog.headers["Location"]).query))


def callback(params: dict, accept: str = "application/json"):
    return call(
        "facebook_callback",
        "/api/facebook/callback",
        params,
        headers={"Accept": accept},
    )


def round_trip(emulator) -> tuple[func.HttpResponse, dict]:
    emulator.set_dialog("approve")
    returned = through_dialog(connect().headers["Location"])
    return callback(returned), returned


def test_connect_redirects_to_the_dialog_asking_for_ads_management(app_settings):
    response = connect()

    location = urlsplit(response.headers["Location"])
    query = dict(parse_qsl(location.query))
    assert response.status_code == 302
    assert location.path == "/v26.0/dialog/oauth"
    assert query["client_id"] == APP_ID
    assert query["redirect_uri"] == f"{HOST}/api/facebook/callback"
    assert (query["scope"], query["response_type"]) == ("ads_management", "code")
    assert query["state"].startswith("shop.")
    assert response.headers["Cache-Control"] == "no-store"


def test_the_redirect_uri_setting_wins_over_the_request_host(app_settings, monkeypatch):
    chosen = "https://exports.example.com/api/facebook/callback"
    monkeypatch.setenv("FACEBOOK_OAUTH_REDIRECT_URI", chosen)

    location = connect().headers["Location"]

    assert dict(parse_qsl(urlsplit(location).query))["redirect_uri"] == chosen


def test_round_trip_stores_a_long_lived_token_in_the_vault(
    app_settings, emulator, vault
):
    response, returned = round_trip(emulator)

    stored = vault.value("fb-token-shop-1")
    facts = emulator.emulator.registry.token(stored)
    assert response.status_code == 200
    assert json.loads(response.get_body())["connected"] is True
    assert destinations.load(app_settings, "shop").token_secret == "fb-token-shop-1"
    assert facts.expires_at - time.time() > SIXTY_DAYS - 3600
    assert "ads_management" in facts.scopes
    assert stored not in response.get_body().decode()
    assert returned["code"] not in response.get_body().decode()


def test_the_callback_page_names_no_token_and_sends_no_referrer(
    app_settings, emulator, vault
):
    emulator.set_dialog("approve")
    returned = through_dialog(connect().headers["Location"])

    response = callback(returned, accept="text/html")

    page = response.get_body().decode()
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Facebook account connected" in page
    assert vault.value("fb-token-shop-1") not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_connecting_again_moves_to_a_new_secret_and_deletes_the_old(
    app_settings, emulator, vault
):
    round_trip(emulator)

    response, _ = round_trip(emulator)

    assert response.status_code == 200
    assert vault.live_names() == [APP_SECRET_NAME, "fb-token-shop-2"]
    assert "fb-token-shop-1" in vault.deleted
    assert destinations.load(app_settings, "shop").token_secret == "fb-token-shop-2"


def test_status_shows_the_connected_token_as_healthy(app_settings, emulator):
    round_trip(emulator)

    response = call(
        "destination_status",
        "/api/destinations/shop/status",
        route_params={"id": "shop"},
    )

    token = json.loads(response.get_body())["token"]
    assert response.status_code == 200
    assert token["valid"] and token["has_ads_management"]
    assert token["warning"] is None
    assert 59 <= token["days_left"] <= 60


def test_a_cancelled_sign_in_stores_nothing(app_settings, emulator, vault):
    emulator.set_dialog("deny")
    returned = through_dialog(connect().headers["Location"])

    response = callback(returned)

    assert response.status_code == 400
    assert "cancelled" in json.loads(response.get_body())["message"]
    assert vault.live_names() == [APP_SECRET_NAME]
    assert destinations.load(app_settings, "shop").token_secret is None


def test_a_sign_in_without_ads_management_stores_nothing(app_settings, emulator, vault):
    emulator.set_dialog("approve")
    returned = through_dialog(connect().headers["Location"], scope="public_profile")

    response = callback(returned)

    assert response.status_code == 400
    assert "ads_management" in json.loads(response.get_body())["message"]
    assert vault.live_names() == [APP_SECRET_NAME]


def test_a_code_meta_refuses_stores_nothing(app_settings, vault):
    state = dict(parse_qsl(urlsplit(connect().headers["Location"]).query))["state"]

    response = callback({"state": state, "code": "not-a-code-meta-issued"})

    message = json.loads(response.get_body())["message"]
    assert response.status_code == 400
    assert "Meta refused the sign-in (Meta error 100)" in message
    assert vault.live_names() == [APP_SECRET_NAME]


def test_connect_for_an_unknown_destination_is_not_found(app_settings):
    response = connect("no-such-shop")

    assert response.status_code == 404


def test_local_development_refuses_to_connect_and_names_the_setting(
    env, emulator, monkeypatch
):
    monkeypatch.setenv("FACEBOOK_DIALOG_URL", emulator.url)
    destinations.save(settings.load(), destinations.parse("shop", DOCUMENT))

    response = connect()

    message = json.loads(response.get_body())["error"]
    assert response.status_code == 409
    assert "FACEBOOK_ACCESS_TOKEN" in message


def test_local_development_refuses_a_callback_and_stores_nothing(env):
    current = settings.load()
    destinations.save(current, destinations.parse("shop", DOCUMENT))
    state = oauth.sign_state(APP_SECRET, "shop", time.time())

    response = callback({"state": state, "code": "a-code"})

    message = json.loads(response.get_body())["message"]
    assert response.status_code == 409
    assert "FACEBOOK_ACCESS_TOKEN" in message
    assert destinations.load(current, "shop").token_secret is None
    used = storage.container(current["STATE_CONTAINER"]).list_blob_names(
        name_starts_with=oauth.STATE_PREFIX
    )
    assert list(used) == []
