"""The destinations API through the functions' own request objects: CRUD, stored
system-user tokens, deletion of what belongs to a destination, and token health."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import azure.functions as func
import pytest
from conftest import APP_ID, APP_SECRET, TOKEN
from keyvault_fake import serving_the_app

import function_app
from shared import clock, destinations, exports, locks, runs, settings, storage
from shared.local_runner import LocalRunner
from shared.secrets import APP_SECRET_NAME

HOST = "http://127.0.0.1:7071"
DAY = 86400
SEGMENT = "shop/customers.csv"
DOCUMENT = {
    "display_name": "Shop newsletter",
    "ad_account": "act_1000000001",
    "audience": {"name": "Newsletter"},
    "key_identifier": "email",
    "mapping": {"EMAIL": "EMail"},
    "segments": [SEGMENT],
    "consent": {"given_by": "dpo@example.com", "given_at": "2026-12-01T09:00:00Z"},
}
SYSTEM_USER_TOKEN = "EAAsystemuser0000000000000000001"


@pytest.fixture
def app_settings(env, vault, monkeypatch):
    monkeypatch.setenv("KEY_VAULT_URL", vault.url)
    current = settings.load()
    vault.put(APP_SECRET_NAME, APP_SECRET)
    with serving_the_app(vault, current):
        yield current


def call(name: str, method: str, path: str, *, body=None, params=None, **route):
    raw = b"" if body is None else json.dumps(body).encode()
    request = func.HttpRequest(
        method,
        HOST + path,
        params=params or {},
        route_params=route,
        body=raw,
        headers={"Content-Type": "application/json"},
    )
    response = getattr(function_app, name).build().get_user_function()(request)
    return response.status_code, json.loads(response.get_body() or b"null")


def create(destination_id: str = "shop", **changes):
    body = {"id": destination_id, **DOCUMENT, **changes}
    return call("destinations_collection", "POST", "/api/destinations", body=body)


def connected(current, secret: str = "fb-token-shop-1"):
    """The destination as connecting an account leaves it: naming its secret."""
    stored = destinations.load(current, "shop")
    destinations.save(current, replace(stored, token_secret=secret))


def test_create_then_read_and_list(app_settings):
    status, created = create()

    read_status, read = call(
        "destination_item", "GET", "/api/destinations/shop", id="shop"
    )
    _, listed = call("destinations_collection", "GET", "/api/destinations")
    assert (status, read_status) == (201, 200)
    assert created == read
    assert read["id"] == "shop" and read["display_name"] == "Shop newsletter"
    assert listed["destinations"] == [read]


def test_creating_an_existing_destination_is_a_conflict(app_settings):
    create()

    status, answer = create(display_name="Another")

    assert status == 409
    assert "exists already" in answer["error"]
    assert destinations.load(app_settings, "shop").display_name == "Shop newsletter"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"display_name": None}, "display_name"),
        ({"ad_account": "1000000001"}, "ad_account"),
        ({"mapping": {"EMAIL": "EMail", "SHOE_SIZE": "Size"}}, "mapping.SHOE_SIZE"),
        ({"key_identifier": "phone"}, "mapping.PHONE"),
        ({"consent": {"given_by": "dpo"}}, "consent.given_at"),
        ({"default_country": "Germany"}, "default_country"),
    ],
    ids=[
        "no-name",
        "bare-account",
        "unknown-key",
        "key-without-column",
        "half-consent",
        "country-name",
    ],
)
def test_validation_errors_answer_400_naming_the_field(app_settings, changes, field):
    status, answer = create(**changes)

    assert status == 400
    assert f"field {field!r}" in answer["error"]
    assert destinations.list_ids(app_settings) == []


def test_a_token_secret_cannot_be_set_through_the_api(app_settings):
    status, answer = create(token_secret="facebook-app-secret")

    assert status == 400
    assert "field 'token_secret'" in answer["error"]


def test_update_replaces_the_document_and_keeps_the_token(app_settings):
    create()
    connected(app_settings)
    changed = {**DOCUMENT, "display_name": "Shop VIPs", "schedule": True}

    status, answer = call(
        "destination_item", "PUT", "/api/destinations/shop", body=changed, id="shop"
    )

    stored = destinations.load(app_settings, "shop")
    assert status == 200
    assert (stored.display_name, stored.schedule) == ("Shop VIPs", True)
    assert stored.token_secret == "fb-token-shop-1"
    assert "token_secret" not in answer


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("destination_item", "GET", "/api/destinations/nowhere"),
        ("destination_item", "PUT", "/api/destinations/nowhere"),
        ("destination_item", "DELETE", "/api/destinations/nowhere"),
        ("destination_status", "GET", "/api/destinations/nowhere/status"),
    ],
    ids=["read", "update", "delete", "status"],
)
def test_an_unknown_destination_is_not_found(app_settings, name, method, path):
    status, answer = call(name, method, path, body=DOCUMENT, id="nowhere")

    assert status == 404
    assert "does not exist" in answer["error"]


def test_update_refuses_another_id_in_the_body(app_settings):
    create()

    status, answer = call(
        "destination_item",
        "PUT",
        "/api/destinations/shop",
        body={**DOCUMENT, "id": "other"},
        id="shop",
    )

    assert status == 400
    assert "field 'id'" in answer["error"]


def test_reading_never_returns_a_secret_or_its_name(app_settings):
    create()
    connected(app_settings)

    _, read = call("destination_item", "GET", "/api/destinations/shop", id="shop")
    _, listed = call("destinations_collection", "GET", "/api/destinations")

    text = json.dumps([read, listed])
    assert "fb-token-shop-1" not in text
    assert APP_SECRET not in text


# --- deleting ----------------------------------------------------------------------


def _run_log(current, run_id: str, destination_id: str, status: str = "succeeded"):
    runs.create(
        current,
        {
            "run_id": run_id,
            "destination": destination_id,
            "segment": SEGMENT,
            "status": status,
            "queued_at": "2026-12-01T09:00:00.000Z",
        },
    )


def test_delete_removes_the_document_and_its_token_secret(app_settings, vault):
    create()
    vault.put("fb-token-shop-1", SYSTEM_USER_TOKEN)
    connected(app_settings)

    status, answer = call(
        "destination_item", "DELETE", "/api/destinations/shop", id="shop"
    )

    assert status == 200
    assert answer == {"deleted": "shop", "token_secret_deleted": True}
    assert destinations.list_ids(app_settings) == []
    assert "fb-token-shop-1" in vault.deleted


def test_delete_stops_the_scheduled_refresh(app_settings):
    create(schedule=True)

    call("destination_item", "DELETE", "/api/destinations/shop", id="shop")

    assert exports.scheduled_exports(app_settings) == []


@pytest.mark.parametrize(
    ("params", "kept"),
    [
        ({"delete_runs": "true"}, ["20261201T090000Z-000000bb"]),
        ({}, ["20261201T090000Z-000000aa", "20261201T090000Z-000000bb"]),
    ],
    ids=["runs-deleted-when-asked", "runs-kept-by-default"],
)
def test_delete_removes_run_logs_only_when_asked(app_settings, params, kept):
    create()
    _run_log(app_settings, "20261201T090000Z-000000aa", "shop")
    _run_log(app_settings, "20261201T090000Z-000000bb", "another-shop")

    call(
        "destination_item",
        "DELETE",
        "/api/destinations/shop",
        params=params,
        id="shop",
    )

    left = [r for r in kept if runs.read(app_settings, r) is not None]
    assert left == kept


def test_delete_waits_for_a_running_export(app_settings):
    create()
    run_id = "20261201T090000Z-000000cc"
    _run_log(app_settings, run_id, "shop", status="running")
    runs.update(app_settings, run_id, started_at=clock.now_iso())
    locks.acquire(app_settings, "shop", SEGMENT, run_id)

    status, answer = call(
        "destination_item", "DELETE", "/api/destinations/shop", id="shop"
    )

    assert status == 409
    assert run_id in answer["error"]
    assert destinations.list_ids(app_settings) == ["shop"]


# --- system-user tokens and status -------------------------------------------------


def put_token(value: str, destination_id: str = "shop"):
    return call(
        "destination_token",
        "PUT",
        f"/api/destinations/{destination_id}/token",
        body={"access_token": value},
        id=destination_id,
    )


def test_a_system_user_token_is_stored_and_never_shown(app_settings, emulator, vault):
    create()
    emulator.register_token(SYSTEM_USER_TOKEN, app_id=APP_ID, type="SYSTEM_USER")

    status, answer = put_token(SYSTEM_USER_TOKEN)

    assert status == 200
    assert answer["token"]["never_expires"] and answer["token"]["valid"]
    assert SYSTEM_USER_TOKEN not in json.dumps(answer)
    assert vault.value("fb-token-shop-1") == SYSTEM_USER_TOKEN
    assert destinations.load(app_settings, "shop").token_secret == "fb-token-shop-1"


@pytest.mark.parametrize(
    ("scopes", "registered", "why"),
    [
        (["ads_management"], False, "not valid"),
        (["ads_read"], True, "lacks the ads_management permission"),
    ],
    ids=["unknown-to-meta", "without-ads-management"],
)
def test_a_token_that_cannot_export_is_not_stored(
    app_settings, emulator, vault, scopes, registered, why
):
    create()
    if registered:
        emulator.register_token(SYSTEM_USER_TOKEN, app_id=APP_ID, scopes=scopes)

    status, answer = put_token(SYSTEM_USER_TOKEN)

    assert status == 400
    assert why in answer["error"]
    assert vault.live_names() == [APP_SECRET_NAME]


def test_storing_a_token_without_a_vault_names_the_local_setting(env):
    create()

    status, answer = put_token(SYSTEM_USER_TOKEN)

    assert status == 409
    assert "FACEBOOK_ACCESS_TOKEN" in answer["error"]


@pytest.mark.parametrize(
    ("expires_in_days", "warned"),
    [(30, False), (8, False), (7, True), (3, True)],
    ids=["a-month", "eight-days", "seven-days", "three-days"],
)
def test_status_warns_from_seven_days_before_expiry(
    app_settings, emulator, expires_in_days, warned
):
    create()
    expires = int(time.time() + expires_in_days * DAY - 60)
    emulator.register_token(SYSTEM_USER_TOKEN, app_id=APP_ID, expires_at=expires)
    put_token(SYSTEM_USER_TOKEN)

    _, answer = call(
        "destination_status", "GET", "/api/destinations/shop/status", id="shop"
    )

    token = answer["token"]
    assert token["valid"] is True
    assert (token["warning"] is not None) == warned
    if warned:
        assert "reconnect the Facebook account before then" in token["warning"]


def test_status_of_an_expired_token_says_reconnect(app_settings, emulator):
    create()
    emulator.register_token(SYSTEM_USER_TOKEN, app_id=APP_ID)
    put_token(SYSTEM_USER_TOKEN)
    emulator.expire_token(SYSTEM_USER_TOKEN)

    _, answer = call(
        "destination_status", "GET", "/api/destinations/shop/status", id="shop"
    )

    assert answer["token"]["valid"] is False
    assert "reconnect the Facebook account" in answer["token"]["warning"]


def test_status_of_a_destination_never_connected(app_settings):
    create()

    _, answer = call(
        "destination_status", "GET", "/api/destinations/shop/status", id="shop"
    )

    assert answer["token"]["connected"] is False
    assert "connect the Facebook account" in answer["token"]["warning"]
    assert answer["consent_recorded"] is True


def start_and_run(current) -> dict:
    _, answer = call(
        "start_export", "POST", "/api/exports", body={"destination": "shop"}
    )
    run_id = answer["runs"][0]["run_id"]

    def ended() -> bool:
        return (runs.read(current, run_id) or {}).get("status") in runs.TERMINAL

    assert LocalRunner(function_app.app, current, processes=0).run(ended, timeout=120)
    return runs.read(current, run_id)


def test_a_run_that_meets_an_expired_token_fails_at_once_saying_reconnect(
    env, emulator
):
    create()
    emulator.expire_token(TOKEN)

    run = start_and_run(env)

    assert run["status"] == "failed"
    assert "reconnect the Facebook account" in run["message"]
    assert run.get("batches_total") is None  # stopped before any batch was planned


def test_a_run_log_records_the_consent_it_ran_under(env):
    create()
    storage.container(env["SEGMENTS_CONTAINER"]).upload_blob(
        SEGMENT, b"EMail\r\nmary@example.com\r\n"
    )

    run = start_and_run(env)

    assert run["status"] == "succeeded"
    assert run["consent"] == DOCUMENT["consent"]


def test_without_consent_nothing_is_exported(env):
    create(consent=None)

    status, answer = call(
        "start_export", "POST", "/api/exports", body={"destination": "shop"}
    )

    assert status == 409
    assert "no data-privacy consent recorded" in answer["error"]
    assert answer["runs"][0]["status"] == "failed"
