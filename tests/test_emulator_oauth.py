"""Login dialog, token exchanges, debug_token, ad accounts and audience listings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from emulator import EmulatorServer, ManualClock
from emulator.control import DEFAULT_APP_ID
from emulator.testing import GraphClient

TOKEN = "oauth-test-token"
SECRET = "oauth-test-secret"
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def clock():
    return ManualClock()


@pytest.fixture(scope="module")
def server(clock):
    emulator = EmulatorServer(
        tokens=[TOKEN], app_secret=SECRET, clock=clock, dialog_mode="approve"
    )
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def graph(server):
    server.reset()
    return GraphClient(server.url, TOKEN, SECRET)


@pytest.fixture
def anonymous(server):
    return GraphClient(server.url, None)


def _dialog(anonymous: GraphClient, **extra):
    params = {
        "client_id": DEFAULT_APP_ID,
        "redirect_uri": REDIRECT,
        "state": "st-1",
        "scope": "ads_management",
        "response_type": "code",
        **extra,
    }
    return anonymous.session.get(
        f"{anonymous.root}/dialog/oauth", params=params, allow_redirects=False
    )


def _code_from(answer) -> dict:
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def _exchange(anonymous: GraphClient, **params):
    params = {"client_id": DEFAULT_APP_ID, "client_secret": SECRET, **params}
    return anonymous.session.get(f"{anonymous.root}/oauth/access_token", params=params)


def test_round_trip_code_then_long_lived_token(graph, anonymous, clock):
    redirect = _dialog(anonymous)
    returned = _code_from(redirect)

    short = _exchange(anonymous, redirect_uri=REDIRECT, code=returned["code"])
    long = _exchange(
        anonymous,
        grant_type="fb_exchange_token",
        fb_exchange_token=short.json()["access_token"],
    )
    new_token = long.json()["access_token"]
    facts = graph.get("/debug_token", input_token=new_token).json()["data"]

    assert redirect.status_code == 302
    assert returned["state"] == "st-1"
    assert short.json()["expires_in"] == 2 * 3600
    assert long.json()["expires_in"] == 60 * 86400
    assert facts["is_valid"] is True
    assert facts["scopes"] == ["ads_management"]
    assert facts["expires_at"] == int(clock.now()) + 60 * 86400
    assert (
        GraphClient(graph.root.rsplit("/", 1)[0], new_token, SECRET)
        .get("/me/adaccounts")
        .status_code
        == 200
    )


def test_code_is_single_use(anonymous):
    code = _code_from(_dialog(anonymous))["code"]
    _exchange(anonymous, redirect_uri=REDIRECT, code=code)

    again = _exchange(anonymous, redirect_uri=REDIRECT, code=code)

    assert again.json()["error"]["code"] == 100


def test_code_exchange_needs_the_same_redirect_uri(anonymous):
    code = _code_from(_dialog(anonymous))["code"]

    answer = _exchange(anonymous, redirect_uri=REDIRECT + "x", code=code)

    assert answer.json()["error"]["error_subcode"] == 36008


def test_exchange_with_wrong_client_secret_is_refused(anonymous):
    answer = _exchange(
        anonymous,
        client_secret="wrong",
        grant_type="fb_exchange_token",
        fb_exchange_token=TOKEN,
    )

    assert answer.json()["error"]["code"] == 1


def test_denied_dialog_redirects_with_error(server, anonymous):
    server.set_dialog("deny")

    returned = _code_from(_dialog(anonymous))

    assert returned["error"] == "access_denied"
    assert returned["state"] == "st-1"


def test_dialog_waits_for_a_person_by_default(server, anonymous):
    server.set_dialog("page")

    answer = _dialog(anonymous)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("caller", ["app-token", "user-token"])
def test_debug_token_reports_expiry(server, graph, anonymous, clock, caller):
    server.register_token("dated", expires_at=int(clock.now()) + 10)
    clock.advance(11)

    if caller == "app-token":
        answer = anonymous.session.get(
            f"{anonymous.root}/debug_token",
            params={
                "input_token": "dated",
                "access_token": f"{DEFAULT_APP_ID}|{SECRET}",
            },
        )
    else:
        answer = graph.get("/debug_token", input_token="dated")

    facts = answer.json()["data"]
    assert facts["is_valid"] is False
    assert facts["error"]["subcode"] == 463


def test_ad_accounts_list_requested_fields(graph):
    answer = graph.get(
        "/me/adaccounts", fields="id,account_id,name,account_status,tos_accepted"
    )

    assert answer.json()["data"] == [
        {
            "id": "act_123",
            "account_id": "123",
            "name": "Emulated ad account",
            "account_status": 1,
            "tos_accepted": {"custom_audience_tos": 1},
        }
    ]


def test_audience_creation_checks_its_fields(graph):
    answer = graph.post(
        "/act_123/customaudiences", name="x", subtype="CUSTOM", description="d"
    )

    assert answer.json()["error"]["code"] == 100
    assert "customer_file_source" in answer.json()["error"]["message"]


def test_audience_limit_per_ad_account(server, graph):
    for number in range(500):
        server.create_audience("act_123", f"a{number}")

    answer = graph.post(
        "/act_123/customaudiences",
        name="one too many",
        subtype="CUSTOM",
        customer_file_source="USER_PROVIDED_ONLY",
    )

    assert answer.json()["error"]["code"] == 100
    assert "500" in answer.json()["error"]["message"]


def test_audience_fields(graph):
    audience = graph.create_audience(name="Loyal customers")

    answer = graph.get(
        f"/{audience}",
        fields="name,subtype,approximate_count_lower_bound,"
        "approximate_count_upper_bound,operation_status,delivery_status,"
        "time_content_updated,customer_file_source",
    )

    assert answer.json() == {
        "id": audience,
        "name": "Loyal customers",
        "subtype": "CUSTOM",
        "approximate_count_lower_bound": 0,
        "approximate_count_upper_bound": 0,
        "operation_status": {"code": 200, "description": "Normal"},
        "delivery_status": {
            "code": 300,
            "description": "This audience is too small to be used.",
        },
        "time_content_updated": 0,
        "customer_file_source": "USER_PROVIDED_ONLY",
    }


def test_audiences_page_with_cursors_and_next_links(server, graph):
    created = [server.create_audience("act_123", f"a{n}") for n in range(5)]

    first = graph.get("/act_123/customaudiences", fields="name", limit=2).json()
    second = graph.get(
        "/act_123/customaudiences",
        fields="name",
        limit=2,
        after=first["paging"]["cursors"]["after"],
    ).json()
    followed = graph.session.get(
        second["paging"]["next"],
        headers={"Authorization": f"Bearer {TOKEN}"},
        params={"appsecret_proof": graph._auth()[1]["appsecret_proof"]},
    ).json()

    names = [
        item["name"] for page in (first, second, followed) for item in page["data"]
    ]
    assert names == [f"a{n}" for n in range(5)]
    assert [item["id"] for item in first["data"]] == created[:2]
    assert TOKEN not in second["paging"]["next"]
    assert "next" not in followed["paging"]


def test_version_prefix_is_optional(server):
    graph = GraphClient(server.url, TOKEN, SECRET, version="")

    assert graph.get("/me/adaccounts").status_code == 200
