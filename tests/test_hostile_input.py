"""Hostile input to every HTTP route: each is answered with a clear 4xx and leaves
the destinations, the vault, the run logs and the used sign-in states as they were."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
import pytest
import requests
from conftest import APP_SECRET
from keyvault_fake import serving_the_app

import function_app
from shared import clock, destinations, oauth, settings, storage
from shared.http_api import MAX_BODY_BYTES
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
TOKEN_BODY = {"access_token": "EAAsystemuser0000000000000000001"}


class FrozenClock(clock.Clock):
    def __init__(self, now: float):
        self.now_value = now

    def time(self) -> float:
        return self.now_value


@pytest.fixture
def world(env, emulator, vault, monkeypatch):
    monkeypatch.setenv("KEY_VAULT_URL", vault.url)
    monkeypatch.setenv("FACEBOOK_DIALOG_URL", emulator.url)
    current = settings.load()
    vault.put(APP_SECRET_NAME, APP_SECRET)
    destinations.save(current, destinations.parse("shop", DOCUMENT))
    with serving_the_app(vault, current):
        yield current


def everything(current, vault) -> dict:
    """What a refused request must leave as it was."""
    seen = {"vault": dict(vault.secrets), "deleted": sorted(vault.deleted)}
    for name in ("DESTINATIONS", "RUNS", "STATE"):
        container = storage.container(current[f"{name}_CONTAINER"])
        seen[name] = sorted((b.name, b.etag) for b in container.list_blobs())
    return seen


def call(name, method="GET", path="/api/x", *, body=b"", params=None, **extra):
    request = func.HttpRequest(
        method, HOST + path, params=params or {}, body=body, **extra
    )
    response = getattr(function_app, name).build().get_user_function()(request)
    return response.status_code, json.loads(response.get_body())


def refused(world, vault, status: int, says: str, name: str, **request) -> None:
    before = everything(world, vault)

    answer_status, answer = call(name, **request)

    assert answer_status == status
    assert says in (answer.get("error") or answer.get("message"))
    assert everything(world, vault) == before


# --- bodies ------------------------------------------------------------------------

BODY_ROUTES = [
    ("destinations_collection", "POST", {}),
    ("destination_item", "PUT", {"id": "shop"}),
    ("destination_token", "PUT", {"id": "shop"}),
]


@pytest.mark.parametrize(
    ("name", "method", "route"), BODY_ROUTES, ids=["create", "update", "token"]
)
def test_an_oversized_body_is_refused(world, vault, name, method, route):
    body = json.dumps({**DOCUMENT, "display_name": "x" * MAX_BODY_BYTES}).encode()

    refused(
        world,
        vault,
        413,
        f"over {MAX_BODY_BYTES} bytes",
        name,
        method=method,
        body=body,
        route_params=route,
    )


def test_an_oversized_export_request_is_refused(world, vault):
    body = json.dumps({"destination": "shop", "pad": "x" * MAX_BODY_BYTES}).encode()

    refused(world, vault, 413, "over", "start_export", method="POST", body=body)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "not JSON"),
        (b"", "not JSON"),
        (b"[]", "must be a JSON object"),
        (b"5", "must be a JSON object"),
        (b'"shop"', "must be a JSON object"),
        (b"\xff\xfe{}", "not JSON"),
    ],
    ids=["text", "empty", "list", "number", "string", "bad-bytes"],
)
@pytest.mark.parametrize(
    ("name", "method", "route"), BODY_ROUTES, ids=["create", "update", "token"]
)
def test_a_body_that_is_not_a_json_object_is_refused(
    world, vault, name, method, route, body, says
):
    refused(world, vault, 400, says, name, method=method, body=body, route_params=route)


WRONG_TYPES = [
    ("display_name", 5, "display_name"),
    ("ad_account", 1000000001, "ad_account"),
    ("audience", "Newsletter", "audience"),
    ("audience", {"id": 123}, "audience.id"),
    ("mapping", [["EMAIL", "EMail"]], "mapping"),
    ("mapping", {"EMAIL": 5}, "mapping.EMAIL"),
    ("segments", "shop/customers.csv", "segments"),
    ("segments", [5], "segments[0]"),
    ("consent", "yes", "consent"),
    ("schedule", "yes", "schedule"),
    ("default_country", 49, "default_country"),
    ("key_identifier", ["email"], "key_identifier"),
]


@pytest.mark.parametrize(
    ("key", "value", "field"), WRONG_TYPES, ids=[f"{k}-{f}" for k, _, f in WRONG_TYPES]
)
@pytest.mark.parametrize("how", ["create", "update"])
def test_a_field_of_the_wrong_type_is_refused_by_name(
    world, vault, how, key, value, field
):
    document = {**DOCUMENT, key: value}
    if how == "create":
        request = {"method": "POST", "body": json.dumps({"id": "new", **document})}
        name = "destinations_collection"
    else:
        request = {"method": "PUT", "body": json.dumps(document)}
        request["route_params"] = {"id": "shop"}
        name = "destination_item"
    request["body"] = request["body"].encode()

    refused(world, vault, 400, f"field {field!r}", name, **request)


@pytest.mark.parametrize(
    ("name", "method", "route", "body", "says"),
    [
        (
            "destinations_collection",
            "POST",
            {},
            {"id": "new", **DOCUMENT, "colour": "red"},
            "field 'colour'",
        ),
        (
            "destination_item",
            "PUT",
            {"id": "shop"},
            {**DOCUMENT, "audience": {"name": "N", "rule": "all"}},
            "field 'audience.rule'",
        ),
        (
            "destination_token",
            "PUT",
            {"id": "shop"},
            {**TOKEN_BODY, "scope": "ads_management"},
            "unknown field 'scope'",
        ),
        (
            "start_export",
            "POST",
            {},
            {"destination": "shop", "priority": "high"},
            "unknown field 'priority'",
        ),
    ],
    ids=["create", "update-audience", "token", "export"],
)
def test_an_unknown_field_is_refused_by_name(
    world, vault, name, method, route, body, says
):
    refused(
        world,
        vault,
        400,
        says,
        name,
        method=method,
        body=json.dumps(body).encode(),
        route_params=route,
    )


@pytest.mark.parametrize(
    "value",
    ["short", "has spaces in it 000000", "tab\there000000000000", "é" * 20, 12345],
    ids=["too-short", "spaces", "control", "not-ascii", "number"],
)
def test_a_token_that_is_not_token_text_is_refused(world, vault, value):
    body = json.dumps({"access_token": value}).encode()

    refused(
        world,
        vault,
        400,
        "field 'access_token'",
        "destination_token",
        method="PUT",
        body=body,
        route_params={"id": "shop"},
    )


# --- names and paths ---------------------------------------------------------------

DESTINATION_TRICKS = [
    "../shop",
    "shop/..",
    "..",
    "SHOP",
    "shop%2F..%2Fother",
    "https://evil.example/shop",
    "/shop",
    "shop\x00",
    "a" * 64,
    "",
]
TRICK_IDS = [
    "dotdot-first",
    "dotdot-last",
    "dotdot",
    "capitals",
    "encoded",
    "url",
    "absolute",
    "nul",
    "too-long",
    "empty",
]


@pytest.mark.parametrize("trick", DESTINATION_TRICKS, ids=TRICK_IDS)
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("destination_item", "GET"),
        ("destination_item", "PUT"),
        ("destination_item", "DELETE"),
        ("destination_token", "PUT"),
        ("destination_status", "GET"),
    ],
    ids=["read", "update", "delete", "token", "status"],
)
def test_a_destination_id_with_a_path_trick_is_refused(
    world, vault, name, method, trick
):
    body = json.dumps(TOKEN_BODY if name == "destination_token" else DOCUMENT)

    refused(
        world,
        vault,
        400,
        "field 'id'",
        name,
        method=method,
        body=body.encode(),
        route_params={"id": trick},
    )


@pytest.mark.parametrize("trick", DESTINATION_TRICKS[:-1], ids=TRICK_IDS[:-1])
def test_a_new_destination_id_with_a_path_trick_is_refused(world, vault, trick):
    body = json.dumps({"id": trick, **DOCUMENT}).encode()

    refused(
        world,
        vault,
        400,
        "field 'id'",
        "destinations_collection",
        method="POST",
        body=body,
    )


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("facebook_connect", {"destination": "../shop"}),
        ("facebook_ad_accounts", {"destination": "https://evil.example/shop"}),
        ("facebook_audiences", {"destination": "/shop", "ad_account": "act_1"}),
    ],
    ids=["connect", "ad-accounts", "audiences"],
)
def test_a_destination_query_with_a_path_trick_is_refused(world, vault, name, params):
    refused(world, vault, 400, "field 'id'", name, params=params)


SEGMENT_TRICKS = [
    "../secrets.csv",
    "shop/../../export-runs/x/run.json",
    "/export-runs/x/run.json",
    "https://account.blob.core.windows.net/export-runs/x",
    "..\\export-runs\\x",
    "./shop.csv",
    "shop//customers.csv",
    "shop/customers.csv?comp=list",
]


@pytest.mark.parametrize(
    "trick",
    SEGMENT_TRICKS,
    ids=[
        "dotdot",
        "dotdot-inside",
        "absolute",
        "other-container-url",
        "backslashes",
        "dot",
        "double-slash",
        "query",
    ],
)
def test_a_segment_name_with_a_path_trick_is_refused(world, vault, trick):
    body = json.dumps({"id": "new", **DOCUMENT, "segments": [trick]}).encode()

    refused(
        world,
        vault,
        400,
        "field 'segments[0]'",
        "destinations_collection",
        method="POST",
        body=body,
    )


def test_an_export_of_a_segment_outside_the_destination_is_refused(world, vault):
    body = json.dumps({"destination": "shop", "segments": ["../other.csv"]}).encode()

    refused(
        world,
        vault,
        400,
        "not one of the destination's segments",
        "start_export",
        method="POST",
        body=body,
    )


@pytest.mark.parametrize(
    "run_id", ["../shop", "20261201T090000Z-0000000g", "x" * 300], ids=str
)
def test_a_run_id_that_is_not_one_is_refused(world, vault, run_id):
    refused(
        world, vault, 400, "not a run id", "export_status", route_params={"run": run_id}
    )


def test_delete_runs_must_be_true_or_false(world, vault):
    refused(
        world,
        vault,
        400,
        "'delete_runs' must be true or false",
        "destination_item",
        method="DELETE",
        params={"delete_runs": "yes please"},
        route_params={"id": "shop"},
    )


# --- the sign-in state -------------------------------------------------------------


def signed_state() -> str:
    return dict(parse_qsl(urlsplit(call_connect()).query))["state"]


def call_connect() -> str:
    request = func.HttpRequest(
        "GET", f"{HOST}/api/facebook/connect", params={"destination": "shop"}, body=b""
    )
    response = function_app.facebook_connect.build().get_user_function()(request)
    return response.headers["Location"]


def callback_refused(world, vault, params: dict, status: int = 400) -> dict:
    before = everything(world, vault)

    answer_status, answer = call(
        "facebook_callback",
        params=params,
        headers={"Accept": "application/json"},
    )

    assert answer_status == status
    assert answer["connected"] is False
    assert everything(world, vault) == before
    return answer


def _forge(state: str, part: int, value: str) -> str:
    pieces = state.split(".")
    pieces[part] = value
    return ".".join(pieces)


@pytest.mark.parametrize(
    "make",
    [
        lambda good: "hello",
        lambda good: "",
        lambda good: good + "x",
        lambda good: _forge(good, 0, "other-shop"),
        lambda good: _forge(good, 1, str(int(good.split(".")[1]) + 3600)),
        lambda good: _forge(good, 2, "0" * 32),
        lambda good: _forge(good, 3, "A" * 43),
        lambda good: oauth.sign_state("not-the-app-secret", "shop", time.time()),
        lambda good: good * 50,
    ],
    ids=[
        "random",
        "missing",
        "trailing-text",
        "other-destination",
        "later-expiry",
        "other-nonce",
        "other-signature",
        "signed-with-another-secret",
        "oversized",
    ],
)
def test_a_forged_state_is_refused(world, vault, make):
    forged = make(signed_state())

    answer = callback_refused(world, vault, {"state": forged, "code": "a-code"})

    assert "not valid" in answer["message"]


def test_an_expired_state_is_refused(world, vault):
    state = signed_state()
    previous = clock.use(FrozenClock(time.time() + oauth.STATE_SECONDS + 1))
    try:
        answer = callback_refused(world, vault, {"state": state, "code": "a-code"})
    finally:
        clock.use(previous)

    assert "expired" in answer["message"]


def test_a_replayed_state_is_refused(world, vault, emulator):
    emulator.set_dialog("approve")
    with requests.Session() as browser:
        browser.trust_env = False
        dialog = browser.get(call_connect(), allow_redirects=False, timeout=30)
    returned = dict(parse_qsl(urlsplit(dialog.headers["Location"]).query))
    first_status, _ = call(
        "facebook_callback", params=returned, headers={"Accept": "application/json"}
    )

    answer = callback_refused(world, vault, returned)

    assert first_status == 200
    assert "used already" in answer["message"]
    assert vault.live_names() == [APP_SECRET_NAME, "fb-token-shop-1"]


@pytest.mark.parametrize(
    "code",
    ["", "a code with spaces", "x" * 5000, "<script>alert(1)</script>"],
    ids=["missing", "spaces", "oversized", "markup"],
)
def test_a_code_that_is_not_one_is_refused_before_meta_is_asked(
    world, vault, emulator, code
):
    state = signed_state()
    emulator.reset_stats()

    answer = callback_refused(world, vault, {"state": state, "code": code})

    assert "no valid code" in answer["message"]
    assert emulator.stats()["total"] == 0


def test_the_refusal_page_escapes_what_it_shows(world):
    request = func.HttpRequest(
        "GET",
        f"{HOST}/api/facebook/callback",
        params={"state": "<script>alert(1)</script>", "code": "x"},
        body=b"",
    )

    response = function_app.facebook_callback.build().get_user_function()(request)

    page = response.get_body().decode()
    assert response.status_code == 400
    assert "<script>" not in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
