"""The Graph API client: error classes, usage headers, proof, multipart, HTTP.

Classification follows the error table of graph-api.md. The HTTP tests talk to a tiny
stdlib server on 127.0.0.1 that answers canned responses and records what it got.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

from shared.errors import (
    BatchRejected,
    PermissionDenied,
    RetryLater,
    StopRun,
    Throttled,
    TokenRejected,
)
from shared.graph import (
    BLOCKED_WAIT,
    DEFAULT_THROTTLE_WAIT,
    GraphClient,
    UploadResult,
    Usage,
    appsecret_proof,
    classify_error,
    multipart_body,
    read_usage,
)

TOKEN = "EAAGtest-token-value-0001"
APP_SECRET = "app-secret-value-0001"
VERSION = "v26.0"
AUDIENCE = "23850000000000001"
USERS_PATH = f"/{VERSION}/{AUDIENCE}/users"
WHERE = "POST /23850000000000001/users"
NO_USAGE = Usage()


def _buc(minutes: float, call_count: float = 100) -> str:
    """An X-Business-Use-Case-Usage header value as Meta sends it."""
    entry = {
        "type": "custom_audience",
        "call_count": call_count,
        "total_cputime": 10,
        "total_time": 12,
        "estimated_time_to_regain_access": minutes,
    }
    return json.dumps({"1000000001": [entry]})


# --- classification ----------------------------------------------------------------


def _error(code, subcode=None, **extra) -> dict:
    error = {"message": "refused", "type": "OAuthException", "code": code, **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return error


CLASSIFIED = [
    # (id, HTTP status, error object, expected class)
    ("unknown-1", 500, _error(1), RetryLater),
    ("service-2", 503, _error(2), RetryLater),
    ("app-limit-4", 400, _error(4), Throttled),
    ("user-limit-17", 400, _error(17, 2446079), Throttled),
    ("account-limit-32", 400, _error(32), Throttled),
    ("api-limit-613", 400, _error(613, 1487742), Throttled),
    ("audience-limit-80003", 400, _error(80003, 2446079), Throttled),
    ("blocked-341", 400, _error(341), Throttled),
    ("blocked-368", 400, _error(368, 1390008), Throttled),
    ("token-190", 400, _error(190), TokenRejected),
    ("token-190-458", 400, _error(190, 458), TokenRejected),
    ("token-190-459", 400, _error(190, 459), TokenRejected),
    ("token-190-460", 400, _error(190, 460), TokenRejected),
    ("token-190-463", 400, _error(190, 463), TokenRejected),
    ("token-190-464", 400, _error(190, 464), TokenRejected),
    ("token-190-467", 400, _error(190, 467), TokenRejected),
    ("permission-10", 403, _error(10), PermissionDenied),
    ("permission-200", 403, _error(200), PermissionDenied),
    ("permission-294", 403, _error(294), PermissionDenied),
    ("permission-299", 403, _error(299), PermissionDenied),
    ("terms-200-1870090", 400, _error(200, 1870090), PermissionDenied),
    ("terms-2655", 400, _error(2655), PermissionDenied),
    ("terms-2663", 400, _error(2663), PermissionDenied),
    ("too-small-2654", 400, _error(2654), StopRun),
    ("invalid-parameter-100", 400, _error(100), BatchRejected),
    ("flagged-100-1713230", 400, _error(100, 1713230), StopRun),
    ("update-failed-2650", 400, _error(2650), BatchRejected),
    ("replace-timed-out-2650-1870158", 400, _error(2650, 1870158), BatchRejected),
    ("not-found-yet-803", 400, _error(803), RetryLater),
    ("unknown-code-http-500", 500, _error(99999), RetryLater),
    ("unknown-code-http-400", 400, _error(99999), BatchRejected),
    ("unknown-code-transient", 400, _error(99999, is_transient=True), RetryLater),
    ("code-as-text", 400, _error("17"), Throttled),
]


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [pytest.param(s, e, x, id=case) for case, s, e, x in CLASSIFIED],
)
def test_each_error_code_family_gets_its_class(status, error, expected):
    result = classify_error(WHERE, status, error, NO_USAGE)

    assert type(result) is expected
    assert str(result).startswith(f"{WHERE}: Meta error {int(error['code'])}")


@pytest.mark.parametrize(
    "subcode",
    [
        pytest.param(1870145, id="audience-busy"),
        pytest.param(1870148, id="generic"),
    ],
)
def test_retryable_replace_subcodes_are_retried(subcode):
    result = classify_error(WHERE, 400, _error(2650, subcode), NO_USAGE)

    assert type(result) is RetryLater


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(_error(200, 1870090), id="200-1870090"),
        pytest.param(_error(2655), id="2655"),
        pytest.param(_error(2663), id="2663"),
    ],
)
def test_terms_errors_tell_the_operator_to_accept_the_terms(error):
    result = classify_error(WHERE, 400, error, NO_USAGE)

    assert "accept the Custom Audience terms" in str(result)


def test_token_errors_tell_the_operator_to_reconnect():
    result = classify_error(WHERE, 400, _error(190, 463), NO_USAGE)

    assert "reconnect the Facebook account" in str(result)
    assert result.code == 190


def test_throttled_waits_for_the_time_meta_asks_in_minutes():
    usage = read_usage({"X-Business-Use-Case-Usage": _buc(minutes=7)})

    result = classify_error(WHERE, 400, _error(80003), usage)

    assert isinstance(result, Throttled)
    assert result.wait_seconds == 7 * 60
    assert result.code == 80003


def test_throttled_without_a_wait_in_the_headers_uses_the_default():
    result = classify_error(WHERE, 400, _error(17), NO_USAGE)

    assert result.wait_seconds == DEFAULT_THROTTLE_WAIT


def test_temporary_blocks_wait_the_blocked_time():
    result = classify_error(WHERE, 400, _error(368), NO_USAGE)

    assert result.wait_seconds == BLOCKED_WAIT


def test_a_rejected_batch_carries_metas_message_capped():
    error = _error(100, message="Invalid parameter: payload.schema " + "x" * 500)

    result = classify_error(WHERE, 400, error, NO_USAGE)

    assert "Invalid parameter: payload.schema" in str(result)
    assert len(str(result)) < len(WHERE) + 250


# --- usage headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, Usage(0.0, 0.0), id="none"),
        pytest.param(
            {"X-Business-Use-Case-Usage": _buc(minutes=0, call_count=42)},
            Usage(42.0, 0.0),
            id="business-use-case",
        ),
        pytest.param(
            {"X-Business-Use-Case-Usage": _buc(minutes=2.5, call_count=100)},
            Usage(100.0, 150.0),
            id="business-use-case-limited",
        ),
        pytest.param(
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {
                        "1": [
                            {"call_count": 10, "estimated_time_to_regain_access": 3},
                            {"total_time": 64, "estimated_time_to_regain_access": 1},
                        ],
                        "2": [{"total_cputime": 55}],
                    }
                )
            },
            Usage(64.0, 180.0),
            id="business-use-case-several-entries",
        ),
        pytest.param(
            {"X-App-Usage": '{"call_count": 91, "total_time": 3, "total_cputime": 4}'},
            Usage(91.0, 0.0),
            id="app-usage",
        ),
        pytest.param(
            {"X-Ad-Account-Usage": '{"acc_id_util_pct": 97.5}'},
            Usage(97.5, 0.0),
            id="ad-account-usage",
        ),
        pytest.param(
            {
                "X-Business-Use-Case-Usage": _buc(minutes=4, call_count=30),
                "X-App-Usage": '{"call_count": 12}',
                "X-Ad-Account-Usage": '{"acc_id_util_pct": 77}',
            },
            Usage(77.0, 240.0),
            id="all-three-highest-wins",
        ),
    ],
)
def test_read_usage_takes_the_highest_percentage_and_longest_wait(headers, expected):
    assert read_usage(headers) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("not json", id="not-json"),
        pytest.param('{"call_count": ', id="cut-off-json"),
        pytest.param("[1, 2, 3]", id="list"),
        pytest.param('"text"', id="string"),
        pytest.param("null", id="null"),
        pytest.param('{"call_count": "lots"}', id="percent-not-a-number"),
        pytest.param('{"call_count": null}', id="percent-null"),
        pytest.param('{"call_count": [50]}', id="percent-list"),
        pytest.param('{"1": [7, "x", null]}', id="entries-not-objects"),
        pytest.param('{"1": "not a list"}', id="entries-not-a-list"),
        pytest.param(
            '{"1": [{"estimated_time_to_regain_access": "soon"}]}',
            id="wait-not-a-number",
        ),
    ],
)
@pytest.mark.parametrize(
    "name", ["X-Business-Use-Case-Usage", "X-App-Usage", "X-Ad-Account-Usage"]
)
def test_malformed_usage_headers_count_as_no_usage(name, value):
    assert read_usage({name: value}) == Usage(0.0, 0.0)


def test_usage_header_names_are_case_insensitive_on_a_response():
    headers = CaseInsensitiveDict({"x-app-usage": '{"call_count": 33}'})

    assert read_usage(headers) == Usage(33.0, 0.0)


# --- appsecret_proof and multipart -------------------------------------------------


def test_appsecret_proof_is_the_hmac_of_the_token_keyed_with_the_secret():
    expected = hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256)

    assert appsecret_proof(TOKEN, APP_SECRET) == expected.hexdigest()


def test_appsecret_proof_matches_a_value_computed_with_openssl():
    # `printf token | openssl dgst -sha256 -hmac app-secret`
    expected = "4b062935fec529e51d39e89ee371a452c231b1e0c5549ac72d83fc4f3a0b0471"

    assert appsecret_proof("token", "app-secret") == expected


def _parse_multipart(body: bytes, content_type: str) -> dict[str, str]:
    """Read a form back with the stdlib email parser, as a server would."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser().parsebytes(head + body)
    assert message.is_multipart() and not message.defects
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(
            decode=True
        ).decode()
        for part in message.get_payload()
    }


def test_multipart_body_parses_back_to_the_same_fields():
    fields = {
        "payload": json.dumps({"schema": ["EMAIL"], "data": [["ab" * 32]]}),
        "session": '{"session_id":1,"batch_seq":1,"last_batch_flag":true}',
        "text": "Zoë 李\r\n--not-a-boundary\r\nsecond line",
        "empty": "",
    }

    body, content_type = multipart_body(fields)

    assert content_type.startswith("multipart/form-data; boundary=")
    assert _parse_multipart(body, content_type) == fields


def test_multipart_boundaries_differ_between_bodies():
    _, first = multipart_body({"a": "1"})
    _, second = multipart_body({"a": "1"})

    assert first != second


# --- HTTP: a canned Graph API on 127.0.0.1 -----------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Canned:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, document, *headers: tuple[str, str]) -> Canned:
    head = (("Content-Type", "application/json"), *headers)
    return Canned(status, json.dumps(document).encode(), head)


class _CannedGraph(BaseHTTPRequestHandler):
    """Answers each path with its canned response and records the request."""

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        url = urlsplit(self.path)
        self.server.seen.append(
            Seen(
                self.command,
                url.path,
                parse_qs(url.query),
                dict(self.headers),
                self.rfile.read(length),
            )
        )
        canned = self.server.answers.get(url.path, Canned(404, b""))
        self.send_response(canned.status)
        for name, value in canned.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(canned.body)))
        self.end_headers()
        self.wfile.write(canned.body)

    def log_message(self, format, *args):
        pass  # keep the test output to pytest's own


@pytest.fixture
def graph():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CannedGraph)
    server.seen, server.answers = [], {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _client(url: str, app_secret: str | None = APP_SECRET) -> GraphClient:
    return GraphClient(url, VERSION, TOKEN, app_secret=app_secret, timeout=10)


def _upload(client: GraphClient) -> UploadResult:
    session = {"session_id": 77, "batch_seq": 1, "last_batch_flag": True}
    return client.add_users(AUDIENCE, ["EMAIL"], [["a" * 64], ["b" * 64]], session)


def test_add_users_sends_token_in_header_and_proof_in_the_body(graph):
    graph.answers[USERS_PATH] = _json(
        200,
        {"audience_id": AUDIENCE, "num_received": 2, "num_invalid_entries": 1},
        ("X-Business-Use-Case-Usage", _buc(minutes=0, call_count=40)),
        ("X-App-Usage", '{"call_count": 12}'),
    )

    result = _upload(_client(graph.url))

    assert result == UploadResult(2, 1, Usage(40.0, 0.0))
    (seen,) = graph.seen
    assert (seen.method, seen.path, seen.query) == ("POST", USERS_PATH, {})
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    form = _parse_multipart(seen.body, seen.headers["Content-Type"])
    assert form["appsecret_proof"] == appsecret_proof(TOKEN, APP_SECRET)
    assert json.loads(form["payload"]) == {
        "schema": ["EMAIL"],
        "data": [["a" * 64], ["b" * 64]],
        "is_raw": True,
    }
    assert json.loads(form["session"]) == {
        "session_id": 77,
        "batch_seq": 1,
        "last_batch_flag": True,
    }
    assert "access_token" not in form
    assert TOKEN.encode() not in seen.body


def test_without_an_app_secret_no_proof_is_sent(graph):
    graph.answers[USERS_PATH] = _json(200, {"num_received": 2})

    _upload(_client(graph.url, app_secret=None))

    form = _parse_multipart(graph.seen[0].body, graph.seen[0].headers["Content-Type"])
    assert set(form) == {"payload", "session"}


def test_get_keeps_the_token_out_of_the_url(graph):
    graph.answers[f"/{VERSION}/{AUDIENCE}"] = _json(200, {"id": AUDIENCE})

    answer = _client(graph.url).audience(AUDIENCE)

    (seen,) = graph.seen
    assert answer == {"id": AUDIENCE}
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.query["appsecret_proof"] == [appsecret_proof(TOKEN, APP_SECRET)]
    assert "access_token" not in seen.query
    assert TOKEN not in seen.path and TOKEN not in json.dumps(seen.query)


def test_create_audience_sends_a_customer_list_audience(graph):
    graph.answers[f"/{VERSION}/act_1000000001/customaudiences"] = _json(
        200, {"id": 23850000000000009}
    )

    audience_id = _client(graph.url).create_audience(
        "act_1000000001", "Newsletter", "Opted in", "BOTH_USER_AND_PARTNER_PROVIDED"
    )

    form = _parse_multipart(graph.seen[0].body, graph.seen[0].headers["Content-Type"])
    assert audience_id == "23850000000000009"
    assert form == {
        "name": "Newsletter",
        "description": "Opted in",
        "subtype": "CUSTOM",
        "customer_file_source": "BOTH_USER_AND_PARTNER_PROVIDED",
        "appsecret_proof": appsecret_proof(TOKEN, APP_SECRET),
    }


HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"

ANSWERS = [
    # (id, canned answer, expected class)
    (
        "rate-limited",
        _json(
            400,
            {"error": _error(80003, 2446079)},
            ("X-Business-Use-Case-Usage", _buc(minutes=3)),
        ),
        Throttled,
    ),
    ("token-expired", _json(400, {"error": _error(190, 463)}), TokenRejected),
    ("terms", _json(400, {"error": _error(200, 1870090)}), PermissionDenied),
    ("bad-parameter", _json(400, {"error": _error(100)}), BatchRejected),
    ("service-error", _json(500, {"error": _error(2)}), RetryLater),
    ("html-502", Canned(502, HTML_502, (("Content-Type", "text/html"),)), RetryLater),
    ("empty-500", Canned(500, b""), RetryLater),
    ("empty-200", Canned(200, b""), RetryLater),
    ("json-list-200", _json(200, [1, 2]), RetryLater),
    ("error-not-object", _json(400, {"error": "refused"}), RetryLater),
    ("no-error-object-400", _json(400, {"ok": False}), RetryLater),
]


@pytest.mark.parametrize(
    ("canned", "expected"),
    [pytest.param(c, x, id=case) for case, c, x in ANSWERS],
)
def test_answers_become_product_errors_without_token_or_url(graph, canned, expected):
    graph.answers[USERS_PATH] = canned

    with pytest.raises(expected) as caught:
        _upload(_client(graph.url))

    message = str(caught.value)
    assert type(caught.value) is expected
    assert message.startswith(f"POST /{AUDIENCE}/users")
    assert TOKEN not in message and TOKEN not in repr(caught.value)
    assert APP_SECRET not in message
    assert appsecret_proof(TOKEN, APP_SECRET) not in message
    assert graph.url not in message and "127.0.0.1" not in message


def test_a_rate_limit_over_http_waits_for_the_header_time(graph):
    graph.answers[USERS_PATH] = ANSWERS[0][1]

    with pytest.raises(Throttled) as caught:
        _upload(_client(graph.url))

    assert caught.value.wait_seconds == 180


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_no_answer_is_retried_and_names_no_token_or_address():
    client = _client(f"http://127.0.0.1:{_closed_port()}")

    with pytest.raises(RetryLater) as caught:
        _upload(client)

    message = str(caught.value)
    assert type(caught.value) is RetryLater
    assert message.startswith(f"POST /{AUDIENCE}/users: no answer")
    assert TOKEN not in message and "127.0.0.1" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_client_repr_shows_neither_token_nor_secret():
    client = _client("http://127.0.0.1:9")

    text = repr(client)

    assert TOKEN not in text and APP_SECRET not in text
    assert appsecret_proof(TOKEN, APP_SECRET) not in text


def test_a_message_quoting_the_token_is_redacted(graph):
    error = _error(100, message=f"Invalid parameter: access_token {TOKEN} malformed")
    graph.answers[USERS_PATH] = _json(400, {"error": error})

    with pytest.raises(BatchRejected) as caught:
        _upload(_client(graph.url))

    assert TOKEN not in str(caught.value)
