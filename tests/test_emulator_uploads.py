"""The emulator's rules for /users uploads and the membership it keeps."""

from __future__ import annotations

import json

import pytest

from emulator import EmulatorServer, ManualClock, fingerprint, member_key
from emulator.testing import GraphClient, session, sha256

TOKEN = "upload-test-token"
SECRET = "upload-test-secret"
MADID = "6d92078a-8246-4ba4-ae5b-76104861e7dc"


@pytest.fixture(scope="module")
def server():
    emulator = EmulatorServer(
        tokens=[TOKEN], app_secret=SECRET, clock=ManualClock(), sleep=lambda _: None
    )
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


def _emails(count: int, start: int = 0) -> list[list[str]]:
    return [[sha256(f"person{n}@example.com")] for n in range(start, start + count)]


def _error(answer) -> tuple[int, int | None]:
    error = answer.json()["error"]
    return error["code"], error.get("error_subcode")


def test_added_rows_become_exactly_the_members(server, graph, audience):
    rows = _emails(3) + [[""]]

    answer = graph.upload(audience, ["EMAIL"], rows, session(1))

    assert answer.status_code == 200
    assert answer.json() == {
        "audience_id": audience,
        "session_id": 1,
        "num_received": 4,
        "num_invalid_entries": 1,
        "invalid_entry_samples": [{"row": 3, "reason": "no identifier in the row"}],
    }
    expected = [member_key(["EMAIL"], row) for row in rows[:3]]
    assert server.fingerprint(audience) == fingerprint(expected)
    assert server.members(audience) == sorted(expected)


@pytest.mark.parametrize("how", ["delete-verb", "method-override"])
def test_removal_takes_members_out(server, graph, audience, how):
    graph.upload(audience, ["EMAIL"], _emails(5))

    if how == "delete-verb":
        answer = graph.upload(audience, ["EMAIL"], _emails(2), method="DELETE")
    else:
        form = {"payload": json.dumps({"schema": ["EMAIL"], "data": _emails(2)})}
        answer = graph.post(f"/{audience}/users", method="DELETE", **form)

    assert answer.status_code == 200
    remaining = [member_key(["EMAIL"], row) for row in _emails(3, start=2)]
    assert server.fingerprint(audience) == fingerprint(remaining)


def test_members_endpoint_lists_hex_keys(server, graph, audience):
    graph.upload(audience, ["EMAIL"], _emails(3))

    listing = graph.session.get(
        f"{server.url}/_emulator/audiences/{audience}/members", params={"limit": 2}
    ).json()
    summary = graph.session.get(
        f"{server.url}/_emulator/audiences/{audience}/fingerprint"
    ).json()

    keys = sorted(member_key(["EMAIL"], row) for row in _emails(3))
    assert listing == {"total": 3, "members": [f"{k:016x}" for k in keys[:2]]}
    assert summary == fingerprint(keys)


def test_urlencoded_body_is_accepted(server, graph, audience):
    payload = json.dumps({"schema": ["EMAIL"], "data": _emails(2)})

    answer = graph.post(f"/{audience}/users", multipart=False, payload=payload)

    assert answer.status_code == 200
    assert server.fingerprint(audience)["count"] == 2


def test_payload_in_the_query_string_is_refused(server, graph, audience):
    graph.upload(audience, ["EMAIL"], _emails(2))
    payload = json.dumps({"schema": ["EMAIL"], "data": _emails(2)})
    headers, fields = graph._auth()

    answer = graph.session.delete(
        f"{graph.root}/{audience}/users",
        params={"payload": payload},
        data=fields,
        headers=headers,
    )

    assert answer.status_code == 400
    assert _error(answer) == (100, None)
    assert "body" in answer.json()["error"]["message"]
    assert server.fingerprint(audience)["count"] == 2


BAD_PAYLOADS = [
    ("unknown-key", ["EMAIL", "NAME"], [[sha256("a"), "x"]], "position 1"),
    ("duplicate-key", ["EMAIL", "EMAIL"], [[sha256("a"), sha256("b")]], "more than"),
    ("wide-row", ["EMAIL"], [[sha256("a"), sha256("b")]], "row 0"),
    ("narrow-row", ["EMAIL", "PHONE"], [[sha256("a")]], "row 0"),
    ("unhashed-email", ["EMAIL"], [[sha256("a")], ["mary@example.com"]], "row 1"),
    ("uppercase-digest", ["EMAIL"], [[sha256("a").upper()]], "column EMAIL"),
    ("hashed-madid", ["MADID"], [[sha256(MADID)]], "column MADID"),
    ("uppercase-madid", ["MADID"], [[MADID.upper()]], "column MADID"),
    ("number-as-phone", ["PHONE"], [[15559876543]], "column PHONE"),
    ("extern-id-not-text", ["EXTERN_ID"], [[12]], "column EXTERN_ID"),
    ("no-rows", ["EMAIL"], [], "non-empty"),
]


@pytest.mark.parametrize(
    ("schema", "rows", "named"),
    [case[1:] for case in BAD_PAYLOADS],
    ids=[case[0] for case in BAD_PAYLOADS],
)
def test_bad_payload_is_refused_with_code_100(
    server, graph, audience, schema, rows, named
):
    answer = graph.upload(audience, schema, rows)

    assert answer.status_code == 400
    assert _error(answer) == (100, None)
    assert named in answer.json()["error"]["message"]
    assert server.fingerprint(audience)["count"] == 0


def test_messages_never_echo_a_value(graph, audience):
    answer = graph.upload(audience, ["EMAIL"], [["mary@example.com"]])

    assert "mary" not in answer.text


def test_more_than_ten_thousand_rows_are_refused(graph, audience):
    rows = [[sha256("same")]] * 10_001

    answer = graph.upload(audience, ["EMAIL"], rows)

    assert _error(answer) == (100, None)
    assert "10001 rows" in answer.json()["error"]["message"]


def test_ten_thousand_rows_are_accepted(server, graph, audience):
    rows = _emails(10_000)

    answer = graph.upload(audience, ["EMAIL"], rows)

    assert answer.json()["num_received"] == 10_000
    assert server.fingerprint(audience)["count"] == 10_000


@pytest.mark.parametrize(
    ("schema", "row"),
    [
        (["MADID"], [MADID]),
        (["EXTERN_ID"], [sha256("looks hashed, sent as given")]),
        (["EXTERN_ID"], ["Customer 42 "]),
        (
            ["EMAIL", "DATA_PROCESSING_OPTIONS", "DATA_PROCESSING_OPTIONS_COUNTRY"],
            [sha256("a"), ["LDU"], 1],
        ),
    ],
    ids=["madid-lowercase", "extern-id-64-hex", "extern-id-verbatim", "ldu-flags"],
)
def test_unhashed_keys_as_documented_are_accepted(server, graph, audience, schema, row):
    answer = graph.upload(audience, schema, [row])

    assert answer.status_code == 200
    assert server.members(audience) == [member_key(schema, row)]


def test_multi_key_payload_must_be_raw(graph, audience):
    payload = json.dumps({"schema": ["EMAIL", "FN"], "data": [[sha256("a"), ""]]})

    answer = graph.post(f"/{audience}/users", payload=payload)

    assert _error(answer) == (100, None)
    assert "is_raw" in answer.json()["error"]["message"]


BAD_SESSIONS = [
    ("id-not-int", {"session_id": "7", "batch_seq": 1, "last_batch_flag": True}),
    ("seq-zero", {"session_id": 7, "batch_seq": 0, "last_batch_flag": True}),
    ("flag-not-bool", {"session_id": 7, "batch_seq": 1, "last_batch_flag": 1}),
    ("flag-missing", {"session_id": 7, "batch_seq": 1}),
]


@pytest.mark.parametrize(
    "bad_session", [case[1] for case in BAD_SESSIONS], ids=[c[0] for c in BAD_SESSIONS]
)
def test_bad_session_is_refused(graph, audience, bad_session):
    answer = graph.upload(audience, ["EMAIL"], _emails(1), bad_session)

    assert _error(answer) == (100, None)
    assert "session." in answer.json()["error"]["message"]


def test_sessions_report_progress_and_late_batches(graph, audience):
    graph.upload(audience, ["EMAIL"], _emails(2), session(9, 1, last=False))
    graph.upload(audience, ["EMAIL"], _emails(3, 2), session(9, 2, last=True))
    graph.upload(audience, ["EMAIL"], _emails(1, 5), session(9, 3, last=False))

    answer = graph.get(f"/{audience}/sessions")

    (record,) = answer.json()["data"]
    assert record["session_id"] == "9"
    assert record["num_received"] == 6
    assert record["stage"] == "finished"
    assert record["batches_after_last"] == 1


def test_session_without_last_flag_stays_open(graph, audience):
    graph.upload(audience, ["EMAIL"], _emails(2), session(4, 1, last=False))

    (record,) = graph.get(f"/{audience}/sessions").json()["data"]

    assert record["stage"] == "uploading"
