"""Tokens, appsecret_proof, permissions, terms and flags on the emulator."""

from __future__ import annotations

import json

import pytest

from emulator import EmulatorServer, ManualClock
from emulator.auth import appsecret_proof
from emulator.testing import GraphClient, sha256

TOKEN = "access-test-token"
SECRET = "access-test-secret"


@pytest.fixture(scope="module")
def clock():
    return ManualClock()


@pytest.fixture(scope="module")
def server(clock):
    emulator = EmulatorServer(tokens=[TOKEN], app_secret=SECRET, clock=clock)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def graph(server):
    server.reset()
    return GraphClient(server.url, TOKEN, SECRET)


@pytest.fixture
def audience(graph):
    return graph.create_audience()


def _error(answer) -> tuple[int, int | None]:
    error = answer.json()["error"]
    return error["code"], error.get("error_subcode")


def _add_one(graph: GraphClient, audience: str):
    return graph.upload(audience, ["EMAIL"], [[sha256("a@example.com")]])


@pytest.mark.parametrize(
    ("token", "secret", "status", "code", "subcode"),
    [
        (None, SECRET, 401, 190, 467),
        ("not-a-known-token", SECRET, 400, 190, 467),
        (TOKEN, None, 400, 100, None),
        (TOKEN, "wrong-secret", 400, 100, None),
    ],
    ids=["no-token", "unknown-token", "no-proof", "wrong-proof"],
)
def test_bad_credentials_are_refused(
    server, audience, token, secret, status, code, subcode
):
    stranger = GraphClient(server.url, token, secret)

    answer = _add_one(stranger, audience)

    assert answer.status_code == status
    assert _error(answer) == (code, subcode)
    assert answer.json()["error"]["type"] == "OAuthException"
    assert answer.json()["error"]["fbtrace_id"]
    assert server.fingerprint(audience)["count"] == 0


@pytest.mark.parametrize("where", ["header", "body", "query"])
def test_token_is_read_from_header_body_or_query(server, audience, where):
    graph = GraphClient(server.url, None, None)
    payload = {"schema": ["EMAIL"], "data": [[sha256("b")]]}
    form = {"payload": json.dumps(payload)}
    headers, params = {}, {}
    if where == "header":
        headers["Authorization"] = f"OAuth {TOKEN}"
    elif where == "body":
        form["access_token"] = TOKEN
    else:
        params["access_token"] = TOKEN
    form["appsecret_proof"] = appsecret_proof(TOKEN, SECRET)

    answer = graph.session.post(
        f"{graph.root}/{audience}/users", data=form, params=params, headers=headers
    )

    assert answer.status_code == 200


def test_proof_is_not_needed_without_an_app_secret():
    with EmulatorServer(tokens=[TOKEN]) as open_server:
        graph = GraphClient(open_server.url, TOKEN)

        answer = graph.get("/me/adaccounts")

    assert answer.status_code == 200


def test_expired_token_gets_190_463(server, graph, audience):
    server.expire_token(TOKEN)

    answer = _add_one(graph, audience)

    assert _error(answer) == (190, 463)


def test_token_expires_at_its_time(server, graph, clock):
    server.register_token("short", expires_at=int(clock.now()) + 60)
    short = GraphClient(server.url, "short", SECRET)
    assert short.get("/me/adaccounts").status_code == 200

    clock.advance(61)

    assert _error(short.get("/me/adaccounts")) == (190, 463)


def test_missing_ads_management_is_a_permission_error(server, audience):
    server.register_token("reader", scopes=["ads_read"])
    reader = GraphClient(server.url, "reader", SECRET)

    answer = _add_one(reader, audience)

    assert _error(answer) == (200, None)


def test_terms_not_accepted_blocks_uploads_and_creation(server, graph, audience):
    server.set_terms_accepted("act_123", False)

    upload = _add_one(graph, audience)
    creation = graph.post(
        "/act_123/customaudiences",
        name="x",
        subtype="CUSTOM",
        customer_file_source="USER_PROVIDED_ONLY",
    )
    accounts = graph.get("/me/adaccounts", fields="tos_accepted").json()

    assert _error(upload) == (200, 1870090)
    assert _error(creation) == (200, 1870090)
    assert accounts["data"][0]["tos_accepted"] == {}


def test_flagged_audience_refuses_uploads(server, graph, audience):
    server.flag_audience(audience)

    answer = _add_one(graph, audience)
    status = graph.get(f"/{audience}", fields="operation_status").json()

    assert _error(answer) == (100, 1713230)
    assert status["operation_status"]["code"] == 471


def test_deleted_audience_is_not_found(server, graph, audience):
    server.delete_audience(audience)

    answer = graph.get(f"/{audience}", fields="name")

    assert _error(answer) == (100, 33)


def test_unknown_path_is_refused(graph):
    answer = graph.get("/me/friends")

    assert _error(answer) == (2500, None)


def test_control_over_http_registers_a_token(server):
    control = {"action": "register_token", "value": "via-http"}

    answer = GraphClient(server.url, None).session.post(
        f"{server.url}/_emulator/control", json=control
    )
    probe = GraphClient(server.url, "via-http", SECRET).get("/me/adaccounts")

    assert answer.json() == {"result": [None]}
    assert probe.status_code == 200


def test_control_refuses_unknown_actions(server):
    answer = GraphClient(server.url, None).session.post(
        f"{server.url}/_emulator/control", json={"action": "shutdown"}
    )

    assert answer.status_code == 400
