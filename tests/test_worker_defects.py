"""Defects found by the tester in the worker, the Graph client and the run log.

Meta's odd but successful answers (tests against a canned server on 127.0.0.1, and
end to end through a proxy in front of the emulator that rewrites /users answers),
the cause of a poisoned batch in its run log, text no UTF-8 can hold in a run log,
runs that read rows but sent none, and the guard on the rows of one request.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import test_export_helpers as h

from shared import runs, storage, worker
from shared import settings as app_settings
from shared.errors import RetryLater
from shared.graph import MAX_USERS_PER_REQUEST, GraphClient, UploadResult
from shared.local_runner import HostQueueSettings
from shared.runs import BatchOutcome

SEGMENT = "crm/customers.csv"
BATCH_ROWS = 500
AUDIENCE = "23850000000000001"
USERS_PATH = f"/v26.0/{AUDIENCE}/users"
TOKEN = "EAAGdefect-token-0001"


@pytest.fixture
def current(env, monkeypatch):
    monkeypatch.setenv("BATCH_ROWS", str(BATCH_ROWS))
    return app_settings.load()


# --- a canned Graph API and a rewriting proxy on 127.0.0.1 -------------------------


class _Handler(BaseHTTPRequestHandler):
    """Answers POST /users with the server's canned body; anything else goes on to
    `upstream` (the emulator) unchanged, or is a 404 without one."""

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(self.path)
        if self.command == "POST" and self.path.endswith("/users"):
            # The emulator takes the rows first, then the answer is rewritten.
            if self.server.upstream:
                self._forward(body)
            self._send(self.server.status, self.server.body)
        elif self.server.upstream:
            status, answer = self._forward(body)
            self._send(status, answer)
        else:
            self._send(404, b"")

    def _forward(self, body: bytes) -> tuple[int, bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        with requests.Session() as session:
            session.trust_env = False
            reply = session.request(
                self.command,
                self.server.upstream + self.path,
                data=body,
                headers=headers,
                timeout=30,
            )
        return reply.status_code, reply.content

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@contextmanager
def _canned(body: bytes, status: int = 200, upstream: str | None = None):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.body, server.status, server.upstream, server.seen = (
        body,
        status,
        upstream,
        [],
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _upload(url: str, rows: int = 2) -> UploadResult:
    client = GraphClient(url, "v26.0", TOKEN, timeout=10)
    session = {"session_id": 7, "batch_seq": 1, "last_batch_flag": True}
    return client.add_users(AUDIENCE, ["EMAIL"], [["a" * 64]] * rows, session)


# --- 1. a successful answer of an unexpected shape ---------------------------------

ODD_COUNTS = [
    pytest.param("fifty", 0, True, id="text"),
    pytest.param(None, 0, True, id="null"),
    pytest.param([50], 0, True, id="list"),
    pytest.param({"n": 50}, 0, True, id="object"),
    pytest.param(True, 0, True, id="boolean"),
    pytest.param("50", 50, False, id="digits-as-text"),
    pytest.param(50.0, 50, False, id="float"),
    pytest.param(-3, 0, False, id="negative"),
]


@pytest.mark.parametrize(("value", "read_as", "warned"), ODD_COUNTS)
def test_an_accepted_upload_with_odd_counts_reads_them_as_numbers_or_zero(
    caplog, value, read_as, warned
):
    answer = {"num_received": value, "num_invalid_entries": value}

    with _canned(json.dumps(answer).encode()) as graph, caplog.at_level("WARNING"):
        result = _upload(graph.url)

    assert (result.num_received, result.num_invalid_entries) == (read_as, read_as)
    warnings = [r.getMessage() for r in caplog.records if r.name == "shared.graph"]
    assert len(warnings) == (2 if warned else 0)
    for text in warnings:
        assert text.startswith(f"POST /{AUDIENCE}/users: num_")
        assert repr(value) not in text and "127.0.0.1" not in text


def test_an_accepted_upload_without_counts_reads_zero_quietly(caplog):
    with _canned(b'{"audience_id": "1"}') as graph, caplog.at_level("WARNING"):
        result = _upload(graph.url)

    assert (result.num_received, result.num_invalid_entries) == (0, 0)
    assert not [r for r in caplog.records if r.name == "shared.graph"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[1, 2]", id="list"),
        pytest.param(b'"ok"', id="string"),
        pytest.param(b'{"error": "oops"}', id="error-as-text"),
        pytest.param(b'{"error": 1, "num_received": 2}', id="error-as-number"),
    ],
)
def test_a_2xx_answer_that_is_no_object_or_has_an_odd_error_is_retried(body):
    with _canned(body) as graph, pytest.raises(RetryLater) as caught:
        _upload(graph.url)

    assert type(caught.value) is RetryLater
    assert str(caught.value) == f"POST /{AUDIENCE}/users: HTTP 200" or (
        "without a JSON answer" in str(caught.value)
    )


def test_a_run_whose_uploads_answer_odd_counts_succeeds_without_resending(
    current, emulator, fake, tmp_path, monkeypatch
):
    expected = h.upload_sample(current, tmp_path, SEGMENT, 2 * BATCH_ROWS)
    h.save_destination(current, SEGMENT)
    answer = json.dumps({"num_received": "fifty", "num_invalid_entries": None})
    with _canned(answer.encode(), upstream=emulator.url) as proxy:
        monkeypatch.setenv("GRAPH_API_BASE_URL", proxy.url)
        proxied = app_settings.load()
        run_id = h.start_run(proxied, SEGMENT)

        h.run_until_ended(proxied, run_id)

    run = h.status(current, run_id)
    assert run["status"] == "succeeded", run.get("errors")
    assert run["batches"]["done"] == 2
    assert run["rows_sent"] + sum(run["rows_skipped"].values()) == 2 * BATCH_ROWS
    assert run["rows_sent"] > 0 and run["num_received"] == 0
    assert len(h.upload_calls(emulator)) == 2  # each batch once, none poisoned
    audience = h.audience_fingerprint(emulator, current, run_id)
    assert audience == h.expected_members(expected)


# --- 2. a poisoned batch says why ---------------------------------------------------


def test_a_poisoned_batch_names_its_last_cause_and_that_rows_may_have_landed(
    current, emulator, fake, tmp_path
):
    h.save_destination(current, SEGMENT)
    h.upload_sample(current, tmp_path, SEGMENT, BATCH_ROWS)
    # Meta takes the rows, then the answer is lost, on every attempt.
    emulator.fail(100, "drop", path_contains="/users", apply_first=True)
    host = HostQueueSettings(max_dequeue_count=2, visibility_timeout=0)
    run_id = h.start_run(current, SEGMENT)

    h.run_until_ended(current, run_id, host=host)

    run = h.status(current, run_id)
    assert run["status"] == "failed"
    assert h.batch_statuses(current, run_id) == {1: "poisoned"}
    assert runs.count_outcomes(current, run_id) == 1  # the cause is not an outcome
    (error,) = [e for e in run["errors"] if e.get("batch") == 1]
    assert error["cause"].startswith(f"POST /{run['audience_id']}/users: no answer")
    assert error["cause"] in error["message"]
    assert "every delivery" in error["message"]
    assert "may have been applied by Meta; re-adding is harmless" in error["message"]
    assert "127.0.0.1" not in json.dumps(run) and "http" not in error["cause"]
    assert "nothing was exported" not in run["message"]


def test_a_poisoned_batch_without_a_kept_cause_still_says_rows_may_have_landed(
    current, fake
):
    run_id = _run_with_outcomes(current, [])
    runs.update(current, run_id, batches_total=1)
    text = _batch_message(run_id)

    worker.record_poisoned(current, text)

    (error,) = runs.failed_errors(current, run_id)
    assert "cause" not in error
    assert error["message"].startswith("the batch failed on every delivery")
    assert "may have been applied by Meta" in error["message"]


def test_the_latest_cause_of_a_batch_is_kept_and_not_counted_as_an_outcome(
    current, fake
):
    run_id = _run_with_outcomes(current, [])

    runs.record_cause(current, run_id, 3, "POST /1/users: HTTP 500")
    runs.record_cause(current, run_id, 3, "POST /1/users: Meta error 2 (transient)")

    assert runs.last_cause(current, run_id, 3).endswith("error 2 (transient)")
    assert runs.last_cause(current, run_id, 4) is None
    assert runs.count_outcomes(current, run_id) == 0
    assert runs.outcomes(current, run_id) == []


# --- 3. text that UTF-8 cannot hold -------------------------------------------------


def test_a_lone_surrogate_in_a_run_log_is_written_as_an_escape(current):
    container = storage.container(current["RUNS_CONTAINER"])
    document = {"column": "\ud800", "name": "Zoë 李"}

    assert storage.write_json(container, "odd.json", document)

    raw = container.download_blob("odd.json").readall()
    assert raw.decode("utf-8") == '{"column":"\\ud800","name":"Zoë 李"}'
    assert storage.read_json(container, "odd.json") == document


def test_a_jsonl_key_that_is_a_lone_surrogate_does_not_poison_its_batch(
    current, emulator, fake
):
    h.save_destination(current, "crm/odd.jsonl", mapping={"EMAIL": "EMail"})
    rows = [{"EMail": f"u{n}@example.com", "\ud800": "x"} for n in range(1, 4)]
    # A field too long is skipped with an error naming its column in the run log.
    rows.append({"EMail": "u4@example.com", "\ud800": "x" * 70_000})
    body = "".join(json.dumps(row) + "\n" for row in rows).encode()
    h.upload_segment(current, "crm/odd.jsonl", body)
    run_id = h.start_run(current, "crm/odd.jsonl")

    h.run_until_ended(current, run_id)

    run = h.status(current, run_id)
    assert run["status"] == "succeeded", run.get("errors")
    assert run["rows_sent"] == 3
    assert h.batch_statuses(current, run_id) == {1: "done"}
    (problem,) = [e for e in run["errors"] if "row" in e]
    assert (problem["row"], problem["column"]) == (4, "\ud800")


# --- 4. the end of a run that sent nothing ------------------------------------------


def _run_with_outcomes(current, outcomes: list[BatchOutcome]) -> str:
    run_id = runs.new_run_id()
    run = {"run_id": run_id, "status": "running", "batches_total": len(outcomes)}
    runs.create(current, run)
    for outcome in outcomes:
        runs.record(current, run_id, outcome)
    return run_id


def _batch_message(run_id: str) -> str:
    message = {
        "run": run_id,
        "seq": 1,
        "file": 0,
        "blob": SEGMENT,
        "start": 0,
        "end": 10,
        "first_row": 1,
        "rows": 500,
    }
    return json.dumps(message)


def _done(seq: int, read: int, sent: int, received: int = 0, invalid: int = 0):
    outcome = BatchOutcome(seq, "done", rows_read=read, rows_sent=sent)
    outcome.num_received, outcome.num_invalid_entries = received, invalid
    if read > sent:
        outcome.skipped["bad_utf8"] = read - sent
    return outcome


ENDINGS = [
    pytest.param(
        [_done(1, 500, 0), _done(2, 20, 0)],
        "failed",
        "no row could be sent; see rows skipped",
        id="every-row-skipped",
    ),
    pytest.param([_done(1, 0, 0)], "succeeded", None, id="header-only"),
    pytest.param([_done(1, 5, 5, 5)], "succeeded", None, id="all-sent"),
    pytest.param(
        [_done(1, 500, 500, 500, 12), _done(2, 500, 500, 500, 0)],
        "succeeded",
        "Meta found 12 invalid entries among 1,000 received",
        id="invalid-entries",
    ),
    pytest.param(
        [_done(1, 500, 500, 500, 3), BatchOutcome(2, "failed", rows_read=500)],
        "partly_failed",
        "some files or batches failed; see errors; "
        "Meta found 3 invalid entries among 500 received",
        id="invalid-entries-and-a-failure",
    ),
]


@pytest.mark.parametrize(("outcomes", "status", "message"), ENDINGS)
def test_a_run_ends_by_what_was_sent(current, fake, outcomes, status, message):
    run_id = _run_with_outcomes(current, outcomes)

    assert runs.finish_if_complete(current, run_id, closer="test")

    run = runs.read(current, run_id)
    assert run["status"] == status
    assert run.get("message") == message


# --- 5. the rows of one request ------------------------------------------------------


def test_add_users_refuses_more_rows_than_meta_takes_in_one_request():
    with _canned(b'{"num_received": 1}') as graph:
        with pytest.raises(ValueError, match="at most 10,000 rows"):
            _upload(graph.url, rows=MAX_USERS_PER_REQUEST + 1)
        result = _upload(graph.url, rows=MAX_USERS_PER_REQUEST)

    assert len(graph.seen) == 1 and result.num_received == 1


def test_the_worker_logs_hold_no_count_value(caplog):
    # The warning names the path and field only; Meta's value stays out of logs.
    with _canned(b'{"num_received": "EAAGsecret"}') as graph:
        with caplog.at_level(logging.WARNING):
            _upload(graph.url)

    assert all("EAAGsecret" not in r.getMessage() for r in caplog.records)
