"""The main job end to end through the function app's own entry points.

Real Azurite and the Graph API emulator; the triggers are called with azure-functions'
own request, timer and message objects, and the queue functions run through the local
runner exactly as `make demo` runs them (inline here).
"""

from __future__ import annotations

import gzip
import json

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from conftest import AD_ACCOUNT

import function_app
from shared import destinations, runs, settings, storage
from shared.local_runner import LocalRunner, _functions
from tools.audience_check import expected_fingerprint
from tools.sample_segment import META_MAPPING, write_segment

MAPPING = dict(META_MAPPING)
CORE_FUNCTIONS = {
    "start_export",
    "export_status",
    "scheduled_refresh",
    "plan_export",
    "upload_batch",
    "record_poisoned_batch",
}


def destination_document(segment: str, **changes) -> dict:
    document = {
        "display_name": "Newsletter",
        "ad_account": AD_ACCOUNT,
        "audience": {"name": "Newsletter", "description": "test"},
        "key_identifier": "email",
        "mapping": MAPPING,
        "default_country": "us",
        "segments": [segment],
        "consent": {"given_by": "dpo@example.com", "given_at": "2026-11-30T10:00:00Z"},
    }
    document.update(changes)
    return document


def save_destination(current, destination_id: str, document: dict):
    destination = destinations.parse(destination_id, document)
    destinations.save(current, destination)
    return destination


def upload(current, name: str, data: bytes) -> None:
    container = storage.container(current["SEGMENTS_CONTAINER"])
    container.upload_blob(name, data, overwrite=True)


def http(name: str, method: str, url: str, body=None, route_params=None):
    request = func.HttpRequest(
        method=method,
        url=url,
        body=json.dumps(body).encode() if body is not None else b"",
        route_params=route_params or {},
    )
    response = getattr(function_app, name).build().get_user_function()(request)
    return response.status_code, json.loads(response.get_body())


def start(destination_id: str, segments=None):
    body = {"destination": destination_id}
    if segments is not None:
        body["segments"] = segments
    return http("start_export", "POST", "http://127.0.0.1:7071/api/exports", body)


def run_until_ended(current, run_ids: list[str]) -> list[dict]:
    def ended() -> bool:
        found = [runs.read(current, run_id) or {} for run_id in run_ids]
        return all(run.get("status") in runs.TERMINAL for run in found)

    assert LocalRunner(function_app.app, current, processes=0).run(ended, timeout=120)
    return [http_status(run_id) for run_id in run_ids]


def http_status(run_id: str) -> dict:
    url = f"http://127.0.0.1:7071/api/exports/{run_id}"
    status, answer = http("export_status", "GET", url, route_params={"run": run_id})
    assert status == 200
    return answer


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setenv("BATCH_ROWS", "700")


def test_every_function_is_indexed():
    names = {f.get_function_name() for f in _functions(function_app.app)}

    assert CORE_FUNCTIONS <= names


def test_http_export_makes_the_audience_equal_to_the_segment(
    env, emulator, small_batches, tmp_path
):
    current = settings.load()
    segment_file, expected_file = tmp_path / "s.csv", tmp_path / "e.csv"
    write_segment(segment_file, 3000, seed=11, expected_path=expected_file)
    upload(current, "crm/customers.csv", segment_file.read_bytes())
    save_destination(current, "newsletter", destination_document("crm/customers.csv"))

    status, answer = start("newsletter")
    (run,) = run_until_ended(current, [answer["runs"][0]["run_id"]])

    assert status == 202
    assert answer["runs"][0]["status_url"].endswith(f"/api/exports/{run['run_id']}")
    assert run["status"] == "succeeded"
    assert run["rows_read"] == 3000
    assert run["rows_sent"] + sum(run["rows_skipped"].values()) == 3000
    assert run["num_received"] == run["rows_sent"]
    assert run["batches"] == {"total": 5, "done": 5, "failed": 0, "cancelled": 0}
    assert run["consent"]["given_by"] == "dpo@example.com"
    wanted = expected_fingerprint(expected_file, MAPPING, "email")
    assert emulator.fingerprint(run["audience_id"]) == wanted


def test_the_created_audience_is_kept_on_the_destination(env, emulator, tmp_path):
    current = settings.load()
    upload(current, "a.csv", b"EMail,FirstName\nann@example.com,Ann\n")
    document = destination_document("a.csv", mapping={"EMAIL": "EMail"})
    save_destination(current, "kept", document)

    _, first = start("kept")
    (run,) = run_until_ended(current, [first["runs"][0]["run_id"]])
    _, second = start("kept")
    (again,) = run_until_ended(current, [second["runs"][0]["run_id"]])

    assert destinations.load(current, "kept").audience.id == run["audience_id"]
    assert again["audience_id"] == run["audience_id"]


def test_a_prefix_of_gzip_csv_and_json_lines_files_is_one_segment(
    env, emulator, tmp_path
):
    current = settings.load()
    upload(current, "vip/part-1.csv.gz", gzip.compress(b"EMail\r\na@example.com\r\n"))
    lines = [{"EMail": "B@Example.com"}, {"EMail": None}, {"EMail": "c@example.com"}]
    jsonl = "\n".join(json.dumps(line) for line in lines).encode()
    upload(current, "vip/part-2.jsonl", jsonl)
    save_destination(
        current, "vip", destination_document("vip/", mapping={"EMAIL": "EMail"})
    )

    _, answer = start("vip")
    (run,) = run_until_ended(current, [answer["runs"][0]["run_id"]])

    assert run["status"] == "succeeded"
    assert (run["rows_read"], run["rows_sent"]) == (4, 3)
    assert run["rows_skipped"] == {"no_email": 1}
    assert emulator.fingerprint(run["audience_id"])["count"] == 3
    names = storage.container(current["SEGMENTS_CONTAINER"]).list_blob_names()
    assert sorted(names) == ["vip/part-1.csv.gz", "vip/part-2.jsonl"]


def test_no_consent_exports_nothing_and_the_run_says_why(env, emulator):
    current = settings.load()
    upload(current, "a.csv", b"EMail\nann@example.com\n")
    document = destination_document("a.csv", mapping={"EMAIL": "EMail"}, consent=None)
    save_destination(current, "noconsent", document)

    status, answer = start("noconsent")
    run = http_status(answer["runs"][0]["run_id"])

    assert status == 409
    assert "consent" in answer["error"]
    assert run["status"] == "failed" and "consent" in run["message"]
    assert emulator.stats()["total"] == 0  # not even the audience was looked at


def test_an_existing_audience_id_is_used(env, emulator):
    current = settings.load()
    audience_id = emulator.create_audience(AD_ACCOUNT, "Existing")
    upload(current, "a.csv", b"EMail\nann@example.com\n")
    document = destination_document(
        "a.csv", mapping={"EMAIL": "EMail"}, audience={"id": audience_id}
    )
    save_destination(current, "existing", document)

    _, answer = start("existing")
    (run,) = run_until_ended(current, [answer["runs"][0]["run_id"]])

    assert run["audience_id"] == audience_id
    assert emulator.fingerprint(audience_id)["count"] == 1


def test_a_missing_segment_file_fails_the_run_naming_it(env, emulator):
    current = settings.load()
    save_destination(current, "ghost", destination_document("nowhere.csv"))

    _, answer = start("ghost")
    (run,) = run_until_ended(current, [answer["runs"][0]["run_id"]])

    assert run["status"] == "failed"
    assert "nowhere.csv" in run["message"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        pytest.param({"destination": "nobody"}, 404, "does not exist", id="unknown"),
        pytest.param(
            {"destination": "d", "segments": ["other.csv"]},
            400,
            "segments[0]",
            id="segment-not-on-destination",
        ),
        pytest.param({"destination": 5}, 400, "destination", id="wrong-type"),
        pytest.param({"destination": "d", "x": 1}, 400, "unknown field", id="extra"),
    ],
)
def test_bad_export_requests_are_refused(env, emulator, body, status, words):
    current = settings.load()
    save_destination(current, "d", destination_document("a.csv"))

    answer_status, answer = http(
        "start_export", "POST", "http://127.0.0.1:7071/api/exports", body
    )

    assert answer_status == status
    assert words in answer["error"]


@pytest.mark.parametrize(
    ("run_id", "status"),
    [
        pytest.param("20261204T101010Z-0123abcd", 404, id="unknown"),
        pytest.param("../etc", 400, id="not-a-run-id"),
    ],
)
def test_status_of_unknown_or_malformed_runs(env, run_id, status):
    url = f"http://127.0.0.1:7071/api/exports/{run_id}"
    answer_status, _ = http("export_status", "GET", url, route_params={"run": run_id})

    assert answer_status == status


def test_the_timer_queues_only_scheduled_destinations(env, emulator):
    current = settings.load()
    save_destination(current, "daily", destination_document("a.csv", schedule=True))
    save_destination(current, "manual", destination_document("b.csv"))

    function_app.scheduled_refresh.build().get_user_function()(
        TimerRequest(past_due=False)
    )

    queue = storage.queue(current["EXPORT_REQUESTS_QUEUE"])
    requests = [json.loads(m.content) for m in queue.peek_messages(max_messages=32)]
    assert [(r["destination"], r["trigger"]) for r in requests] == [("daily", "timer")]
    assert runs.read(current, requests[0]["run"])["status"] == "queued"


def test_a_second_request_while_the_first_is_queued_gets_its_run(env, emulator):
    current = settings.load()
    save_destination(current, "twice", destination_document("a.csv"))

    first_status, first = start("twice")
    second_status, second = start("twice")

    assert (first_status, second_status) == (202, 409)
    assert second["runs"][0]["status"] == "already_running"
    assert second["runs"][0]["run_id"] == first["runs"][0]["run_id"]
    assert "already running" in second["error"]


def test_an_oversized_export_request_is_refused_as_too_large(env):
    body = {"destination": "d", "segments": ["x" * 70_000]}

    status, answer = http("start_export", "POST", "http://127.0.0.1/api/exports", body)

    assert status == 413
    assert "65536 bytes" in answer["error"]
