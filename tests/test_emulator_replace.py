"""Replace sessions (/usersreplace) as graph-api.md describes them."""

from __future__ import annotations

import pytest

from emulator import EmulatorServer, ManualClock, fingerprint, member_key
from emulator.testing import GraphClient, session, sha256

TOKEN = "replace-test-token"


@pytest.fixture(scope="module")
def clock():
    return ManualClock()


@pytest.fixture(scope="module")
def server(clock):
    emulator = EmulatorServer(tokens=[TOKEN], clock=clock)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def graph(server):
    server.reset()
    return GraphClient(server.url, TOKEN)


@pytest.fixture
def audience(graph):
    audience_id = graph.create_audience()
    graph.upload(audience_id, ["EMAIL"], _rows("old", 3))
    return audience_id


def _rows(prefix: str, count: int) -> list[list[str]]:
    return [[sha256(f"{prefix}{n}@example.com")] for n in range(count)]


def _replace(graph, audience, rows, session_id, batch_seq, last):
    return graph.upload(
        audience, ["EMAIL"], rows, session(session_id, batch_seq, last), "usersreplace"
    )


def _subcode(answer) -> tuple[int, int | None]:
    error = answer.json()["error"]
    return error["code"], error.get("error_subcode")


def _status(graph, audience) -> int:
    return graph.get(f"/{audience}", fields="operation_status").json()[
        "operation_status"
    ]["code"]


def _expected(*row_lists) -> dict:
    keys = [member_key(["EMAIL"], row) for rows in row_lists for row in rows]
    return fingerprint(keys)


def test_replace_swaps_members_when_the_last_batch_arrives(server, graph, audience):
    first, second = _rows("new", 2), _rows("newer", 2)

    one = _replace(graph, audience, first, 70, 1, False)
    during = server.fingerprint(audience)
    status_during = _status(graph, audience)
    two = _replace(graph, audience, second, 70, 2, True)

    assert one.status_code == two.status_code == 200
    assert during == _expected(_rows("old", 3))
    assert status_during == 414
    assert server.fingerprint(audience) == _expected(first, second)
    assert _status(graph, audience) == 200


def test_later_batch_before_the_first_is_refused(graph, audience):
    answer = _replace(graph, audience, _rows("new", 1), 71, 2, False)

    assert _subcode(answer) == (2650, 1870147)


def test_users_calls_wait_while_a_replace_runs(graph, audience):
    _replace(graph, audience, _rows("new", 1), 72, 1, False)

    answer = graph.upload(audience, ["EMAIL"], _rows("extra", 1))

    assert _subcode(answer) == (2650, 1870145)
    assert answer.json()["error"]["is_transient"] is True


def test_second_replace_session_is_busy(graph, audience):
    _replace(graph, audience, _rows("new", 1), 73, 1, False)

    answer = _replace(graph, audience, _rows("other", 1), 74, 1, False)

    assert _subcode(answer) == (2650, 1870145)


def test_finished_session_refuses_more_batches(graph, audience):
    _replace(graph, audience, _rows("new", 1), 75, 1, True)

    answer = _replace(graph, audience, _rows("new", 1), 75, 2, False)

    assert _subcode(answer) == (2650, 1870159)


def test_session_times_out_after_ninety_minutes(server, graph, audience, clock):
    batch = _rows("new", 2)
    _replace(graph, audience, batch, 76, 1, False)
    clock.advance(90 * 60)

    late = _replace(graph, audience, _rows("late", 1), 76, 2, True)
    users = graph.upload(audience, ["EMAIL"], _rows("late", 1))

    assert _subcode(late) == (2650, 1870158)
    assert users.status_code == 200
    assert server.fingerprint(audience) == _expected(batch, _rows("late", 1))


def test_schema_must_not_change_within_a_session(graph, audience):
    _replace(graph, audience, _rows("new", 1), 77, 1, False)

    answer = graph.upload(
        audience, ["PHONE"], [[sha256("1")]], session(77, 2, True), "usersreplace"
    )

    assert _subcode(answer) == (100, None)


def test_replace_needs_a_session(graph, audience):
    answer = graph.upload(audience, ["EMAIL"], _rows("new", 1), None, "usersreplace")

    assert _subcode(answer) == (100, None)


def test_failed_replace_keeps_members_and_shows_415(server, graph, audience):
    _replace(graph, audience, _rows("new", 1), 78, 1, False)

    server.fail_replace(audience)
    answer = _replace(graph, audience, _rows("new", 1), 78, 2, True)

    assert _status(graph, audience) == 415
    assert _subcode(answer) == (2650, 1870148)
    assert server.fingerprint(audience) == _expected(_rows("old", 3))
