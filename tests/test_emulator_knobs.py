"""Failure knobs, usage headers, delay and stats of the emulator."""

from __future__ import annotations

import json

import pytest
import requests

from emulator import EmulatorServer, ManualClock
from emulator.testing import GraphClient, sha256

TOKEN = "knob-test-token"
USAGE_HEADERS = ("X-App-Usage", "X-Ad-Account-Usage", "X-Business-Use-Case-Usage")


@pytest.fixture(scope="module")
def sleeps():
    return []


@pytest.fixture(scope="module")
def server(sleeps):
    emulator = EmulatorServer(tokens=[TOKEN], clock=ManualClock(), sleep=sleeps.append)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def graph(server, sleeps):
    server.reset()
    sleeps.clear()
    return GraphClient(server.url, TOKEN)


@pytest.fixture
def audience(graph):
    return graph.create_audience()


def _add(graph: GraphClient, audience: str, email: str = "a@example.com"):
    return graph.upload(audience, ["EMAIL"], [[sha256(email)]])


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80003])
def test_throttle_answers_400_with_code_and_headers(server, graph, audience, code):
    server.throttle(count=1, code=code, regain_minutes=7)

    throttled = _add(graph, audience)
    after = _add(graph, audience)

    assert throttled.status_code == 400
    assert throttled.json()["error"]["code"] == code
    case = json.loads(throttled.headers["X-Business-Use-Case-Usage"])["123"][0]
    assert case["estimated_time_to_regain_access"] == 7
    assert case["call_count"] == 100
    assert json.loads(throttled.headers["X-App-Usage"])["call_count"] == 100
    assert after.status_code == 200
    assert server.fingerprint(audience)["count"] == 1


def test_throttle_can_target_a_path(server, graph, audience):
    server.throttle(count=2, code=80003, path_contains="/users")

    read = graph.get(f"/{audience}", fields="name")
    first, second, third = (_add(graph, audience) for _ in range(3))

    assert read.status_code == 200
    assert [first.status_code, second.status_code, third.status_code] == [400, 400, 200]


def test_every_answer_carries_usage_headers(graph, audience):
    answers = [graph.get("/me/adaccounts"), _add(graph, audience), graph.get("/x/y")]

    for answer in answers:
        assert all(name in answer.headers for name in USAGE_HEADERS)


def test_forced_usage_percentages_show_in_headers(server, graph):
    server.set_usage(call_count=95, total_time=40)

    answer = graph.get("/me/adaccounts")

    usage = json.loads(answer.headers["X-App-Usage"])
    assert usage == {"call_count": 95, "total_cputime": 0, "total_time": 40}
    assert json.loads(answer.headers["X-Ad-Account-Usage"])["acc_id_util_pct"] == 95


def test_usage_grows_with_calls(server, graph):
    server.set_usage(hourly_quota=10)

    answers = [graph.get("/me/adaccounts") for _ in range(5)]

    usage = json.loads(answers[-1].headers["X-App-Usage"])
    assert usage["call_count"] == 50


def test_server_error_is_json_5xx_and_not_applied(server, graph, audience):
    server.fail(count=1, mode="5xx", status=503)

    failed = _add(graph, audience)

    assert failed.status_code == 503
    assert failed.json()["error"]["code"] == 2
    assert failed.json()["error"]["is_transient"] is True
    assert server.fingerprint(audience)["count"] == 0


def test_html_error_page(server, graph, audience):
    server.fail(mode="html")

    failed = _add(graph, audience)

    assert failed.status_code == 502
    assert failed.headers["Content-Type"].startswith("text/html")
    assert failed.text.startswith("<!DOCTYPE html>")


def test_empty_body(server, graph, audience):
    server.fail(mode="empty")

    failed = _add(graph, audience)

    assert failed.status_code == 200
    assert failed.content == b""


@pytest.mark.parametrize(
    ("apply_first", "members_after"), [(False, 0), (True, 1)], ids=["lost", "applied"]
)
def test_dropped_connection(server, graph, audience, apply_first, members_after):
    server.fail(mode="drop", apply_first=apply_first, path_contains="/users")

    with pytest.raises(requests.ConnectionError):
        _add(graph, audience)

    assert server.fingerprint(audience)["count"] == members_after
    assert _add(graph, audience, "b@example.com").status_code == 200


def test_failures_count_down(server, graph, audience):
    server.fail(count=2, mode="5xx")

    statuses = [_add(graph, audience).status_code for _ in range(3)]

    assert statuses == [500, 500, 200]


def test_delay_is_fixed_per_accepted_upload(server, graph, audience, sleeps):
    server.set_delay(1.0)

    _add(graph, audience)
    graph.upload(audience, ["EMAIL"], [[sha256(f"{n}")] for n in range(500)])
    graph.get(f"/{audience}", fields="name")

    assert sleeps == [1.0, 1.0]
    assert server.stats()["delays"] == {"count": 2, "seconds": 2.0}


def test_stats_count_calls_by_route_and_status(server, graph, audience):
    server.throttle(count=1, code=17)
    _add(graph, audience)
    _add(graph, audience)

    stats = graph.session.get(f"{server.url}/_emulator/stats").json()

    assert stats["by_route"]["POST /{audience}/users"] == {"200": 1, "400": 1}
    assert stats["by_path"][f"POST /{audience}/users"] == {"200": 1, "400": 1}
    assert stats["by_code"] == {"17": 1}
    assert [call["status"] for call in stats["recent"]][-2:] == [400, 200]


def test_reset_clears_audiences_knobs_and_stats(server, graph, audience):
    server.fail(count=5)
    server.reset()

    answer = graph.get(f"/{audience}", fields="name")

    assert answer.json()["error"]["error_subcode"] == 33
    assert server.stats()["total"] == 1
