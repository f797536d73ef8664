"""`make demo`: the main job end to end on 127.0.0.1.

Starts Azurite and the Graph API emulator, generates a sample segment, uploads it,
saves a destination, calls the HTTP function to export it, runs the queue-triggered
functions until the run ends, prints the run summary and whether the emulator's
audience holds exactly the expected members, then stops what it started.
Exit status 0 only if the run succeeded and the audience is exact.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

import azure.functions as func
import requests

from tools.audience_check import expected_fingerprint
from tools.sample_segment import META_MAPPING
from tools.services import ROOT, Azurite, EmulatorProcess

DEMO_DIR = ROOT / ".demo"
DESTINATION_ID = "demo-newsletter"
SEGMENT = "demo/customers.csv"
# Static fakes: the emulator accepts them; nothing here is a real credential.
TOKEN = "demo-token-not-a-secret"
APP_SECRET = "demo-app-secret-not-a-secret"

DESTINATION = {
    "display_name": "Demo newsletter audience",
    "ad_account": "act_1000000001",
    "audience": {
        "name": "Newsletter subscribers (demo)",
        "description": "Created by make demo",
        "customer_file_source": "USER_PROVIDED_ONLY",
    },
    "key_identifier": "email",
    "mapping": META_MAPPING,
    "default_country": "us",
    "segments": [SEGMENT],
    "consent": {"given_by": "demo@example.com", "given_at": "2026-12-01T09:00:00Z"},
    "schedule": False,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    azurite = Azurite()
    emulator = EmulatorProcess(token=TOKEN, app_secret=APP_SECRET)
    try:
        azurite.start()
        emulator.start()
        _configure(azurite, emulator)
        return _demo(args, emulator)
    finally:
        emulator.stop()
        azurite.stop()


def _configure(azurite: Azurite, emulator: EmulatorProcess) -> None:
    values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    os.environ.update(values)
    os.environ.update(
        {
            "AzureWebJobsStorage": azurite.connection_string,
            "GRAPH_API_BASE_URL": emulator.url,
            "FACEBOOK_ACCESS_TOKEN": TOKEN,
            "FACEBOOK_APP_SECRET": APP_SECRET,
        }
    )


def _demo(args, emulator: EmulatorProcess) -> int:
    from shared import destinations, settings, storage
    from shared.local_runner_cli import drive
    from tools.sample_segment import write_segment

    DEMO_DIR.mkdir(exist_ok=True)
    segment_file, expected_file = DEMO_DIR / "customers.csv", DEMO_DIR / "expected.csv"
    began = time.monotonic()
    write_segment(segment_file, args.rows, seed=7, expected_path=expected_file)
    print(f"generated {args.rows} profiles in {time.monotonic() - began:.1f} s")
    current = settings.load()
    storage.prepare(current)
    with open(segment_file, "rb") as stream:
        storage.container(current["SEGMENTS_CONTAINER"]).upload_blob(
            SEGMENT, stream, overwrite=True
        )
    destinations.save(current, destinations.parse(DESTINATION_ID, DESTINATION))
    run_ids = _start_over_http()
    drive(current, run_ids, processes=args.processes, timeout=1800)
    return _report(current, run_ids[0], emulator, expected_file)


def _start_over_http() -> list[str]:
    import function_app

    request = func.HttpRequest(
        method="POST",
        url="http://127.0.0.1:7071/api/exports",
        body=json.dumps({"destination": DESTINATION_ID}).encode(),
        headers={"Content-Type": "application/json"},
    )
    response = function_app.start_export.build().get_user_function()(request)
    answer = json.loads(response.get_body())
    print(f"POST /api/exports -> {response.status_code}: {answer}")
    if response.status_code != 202:
        raise SystemExit(1)
    return [entry["run_id"] for entry in answer["runs"]]


def _report(current, run_id: str, emulator: EmulatorProcess, expected_file) -> int:
    from shared import exports
    from shared.local_runner_cli import format_summary

    run = exports.status(current, run_id)
    print(format_summary(run))
    audience = run.get("audience_id")
    actual = requests.get(
        f"{emulator.url}/_emulator/audiences/{audience}/fingerprint", timeout=60
    ).json()
    wanted = expected_fingerprint(
        expected_file, DESTINATION["mapping"], DESTINATION["key_identifier"]
    )
    exact = actual == wanted
    print(
        f"audience {audience}: {actual.get('count')} members, "
        f"expected {wanted['count']}: {'EXACT' if exact else 'DIFFERENT'}"
    )
    return 0 if run["status"] == "succeeded" and exact else 1


if __name__ == "__main__":
    sys.exit(main())
