"""The official `facebook_business` SDK uploading a segment as a user would.

    BENCH_SDK_TOKEN=... BENCH_SDK_APP_SECRET=... python -m bench.sdk_upload \
        --graph-url http://127.0.0.1:PORT --ad-account act_1 --segment seg.csv

Reads the eight keys' columns with the csv module, passes the raw values to
`CustomAudience.add_users(schema, users, is_raw=True)` in calls of 10,000 rows one
after another (the SDK hashes and does its own light clean-up), against the base URL
given, which must be the local emulator. Prints one JSON line of figures on stdout.

Two settings keep the SDK on 127.0.0.1: `crash_log=False` (its crash reporter would
otherwise post tracebacks to graph.facebook.com from the excepthook), and the class
attribute `FacebookSession.GRAPH` set to the emulator as well as the session's, so no
session the SDK makes on its own points anywhere else.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from urllib.parse import urlsplit

from bench.keys import EIGHT_KEYS

ROWS_PER_CALL = 10_000
API_VERSION = "v26.0"


def _loopback_only(url: str) -> str:
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit("the SDK benchmark only talks to 127.0.0.1")
    return url.rstrip("/")


def _connect(graph_url: str, app_id: str):
    from facebook_business.api import FacebookAdsApi
    from facebook_business.session import FacebookSession

    FacebookSession.GRAPH = graph_url
    api = FacebookAdsApi.init(
        app_id,
        os.environ["BENCH_SDK_APP_SECRET"],
        os.environ["BENCH_SDK_TOKEN"],
        api_version=API_VERSION,
        crash_log=False,
    )
    api._session.GRAPH = graph_url
    return api


def _create_audience(ad_account: str):
    from facebook_business.adobjects.adaccount import AdAccount
    from facebook_business.adobjects.customaudience import CustomAudience

    created = AdAccount(ad_account).create_custom_audience(
        params={
            "name": "SDK benchmark audience",
            "subtype": "CUSTOM",
            "customer_file_source": "USER_PROVIDED_ONLY",
        }
    )
    return CustomAudience(created["id"])


def _batches(path: str, columns: list[str]):
    with open(path, newline="", encoding="utf-8") as stream:
        batch = []
        for row in csv.DictReader(stream):
            batch.append([row[column] for column in columns])
            if len(batch) == ROWS_PER_CALL:
                yield batch
                batch = []
        if batch:
            yield batch


def upload(audience, path: str) -> dict:
    from facebook_business.exceptions import FacebookError

    schema, columns = list(EIGHT_KEYS), list(EIGHT_KEYS.values())
    figures = {"rows": 0, "calls": 0, "failed_calls": 0}
    figures.update(num_received=0, num_invalid_entries=0)
    began = time.monotonic()
    for users in _batches(path, columns):
        figures["rows"] += len(users)
        figures["calls"] += 1
        try:
            answer = audience.add_users(schema, users, is_raw=True).json()
        except FacebookError:  # a user's script would stop here; we count and go on
            figures["failed_calls"] += 1
            continue
        figures["num_received"] += int(answer.get("num_received", 0))
        figures["num_invalid_entries"] += int(answer.get("num_invalid_entries", 0))
    figures["seconds"] = time.monotonic() - began
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sdk_upload")
    parser.add_argument("--graph-url", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--ad-account", required=True)
    parser.add_argument("--segment", required=True)
    args = parser.parse_args(argv)
    _connect(_loopback_only(args.graph_url), args.app_id)
    audience = _create_audience(args.ad_account)
    figures = upload(audience, args.segment)
    figures["audience_id"] = audience["id"]
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
