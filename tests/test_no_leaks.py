"""No token, app secret, identifier or hash of one in any log record, error message,
run log or state blob, with every logger of the product at DEBUG.

A full export runs through the HTTP function and the queue functions (inline), once
with secrets from settings and once from the Key Vault fake; then every log record,
every HTTP answer and every blob of the runs, state and snapshots containers is
searched for each secret and for each identifier of the segment, raw, normalized and
as its SHA-256 (design.md, "Rules that hold everywhere").
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
import pytest
import requests
from conftest import AD_ACCOUNT, APP_ID, APP_SECRET, TOKEN
from keyvault_fake import serving_the_app

import function_app
from shared import clock, destinations, runs, settings, storage
from shared.graph import appsecret_proof
from shared.local_runner import LocalRunner
from shared.secrets import APP_SECRET_NAME
from tools.sample_segment import META_MAPPING, write_segment

HOST = "http://127.0.0.1:7071"
ROWS = 300
SEGMENT = "shop/customers.csv"
RAW_COLUMNS = (
    "CustomerId",
    "FirstName",
    "LastName",
    "EMail",
    "Telephone",
    "DateOfBirth",
    "City",
    "PostCode",
)
HASHED_KEYS = "EMAIL PHONE FN LN FI GEN DOBY DOBM DOBD CT ST ZIP COUNTRY".split()
DOCUMENT = {
    "display_name": "Shop newsletter",
    "ad_account": AD_ACCOUNT,
    "audience": {"name": "Newsletter (leak test)"},
    "key_identifier": "email",
    "mapping": dict(META_MAPPING),
    "default_country": "us",
    "segments": [SEGMENT],
    "consent": {"given_by": "dpo@example.com", "given_at": "2026-12-01T09:00:00Z"},
}
# The emulator stands in for Meta: what it logs is not the product's.
FOREIGN_LOGGERS = ("emulator",)


class InstantClock(clock.Clock):
    """Real time plus every pause asked for, so retries wait no real time."""

    def __init__(self):
        self.skipped = 0.0

    def time(self) -> float:
        return super().time() + self.skipped

    def sleep(self, seconds: float) -> None:
        self.skipped += max(seconds, 0.0)


class Everything(logging.Handler):
    """A root handler keeping each record as its full text, traceback included."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(FOREIGN_LOGGERS):
            self.texts.append(self.format(record))


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    handler = Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    yield (
        lambda: (
            handler.texts
            + [
                r.getMessage()
                for r in caplog.records
                if not r.name.startswith(FOREIGN_LOGGERS)
            ]
        )
    )
    root.removeHandler(handler)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def worth_searching(value: str) -> bool:
    # Short values ("CA", "m") and short numbers (postcodes) turn up by chance in
    # ports, counts and times; their hashes are searched instead.
    value = value.strip()
    return len(value) >= 6 and (not value.isdigit() or len(value) >= 10)


def identifiers(segment_path, expected_path) -> tuple[set[str], set[str]]:
    """(values to find nowhere, hashes to find nowhere but the snapshots)."""
    plain, hashes = set(), set()
    with open(segment_path, newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            for column in RAW_COLUMNS:
                value = (row[column] or "").strip()
                if value:
                    hashes.add(sha256(value))
                    if worth_searching(value):
                        plain.add(value)
    with open(expected_path, newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            for key, value in row.items():
                if value and worth_searching(value):
                    plain.add(value)
                if value and key in HASHED_KEYS:
                    hashes.add(sha256(value))
    return plain, hashes


def blobs(current, name: str) -> list[str]:
    container = storage.container(current[f"{name}_CONTAINER"])
    texts = []
    for blob in container.list_blobs(include=["metadata"]):
        data = container.download_blob(blob.name).readall()
        texts.append(f"{blob.name} {json.dumps(blob.metadata)} ")
        texts.append(data.decode("utf-8", errors="replace"))
    return texts


def leaks(needles: set[str], haystacks: list[str]) -> list[str]:
    text = "\n".join(haystacks).lower()
    return sorted(n for n in needles if n.lower() in text)


def call(name: str, method: str, path: str, body=None, params=None, **route):
    request = func.HttpRequest(
        method,
        HOST + path,
        params=params or {},
        route_params=route,
        body=b"" if body is None else json.dumps(body).encode(),
        headers={"Accept": "application/json"},
    )
    response = getattr(function_app, name).build().get_user_function()(request)
    return response.get_body().decode()


def export(current, segment_path) -> tuple[dict, list[str]]:
    """Upload the segment, start its export over HTTP, run it to its end."""
    with open(segment_path, "rb") as stream:
        storage.container(current["SEGMENTS_CONTAINER"]).upload_blob(SEGMENT, stream)
    started = call("start_export", "POST", "/api/exports", {"destination": "shop"})
    run_id = json.loads(started)["runs"][0]["run_id"]

    def ended() -> bool:
        return (runs.read(current, run_id) or {}).get("status") in runs.TERMINAL

    runner = LocalRunner(function_app.app, current, processes=0)
    assert runner.run(until=ended, timeout=300)
    status = call("export_status", "GET", f"/api/exports/{run_id}", run=run_id)
    return json.loads(status), [started, status]


@pytest.fixture
def segment(tmp_path):
    segment_path, expected_path = tmp_path / "customers.csv", tmp_path / "exp.csv"
    write_segment(segment_path, ROWS, seed=11, expected_path=expected_path)
    return segment_path, expected_path


@pytest.fixture(params=["secrets-from-settings", "secrets-from-key-vault"])
def export_settings(request, env, vault, monkeypatch):
    monkeypatch.setenv("BATCH_ROWS", "100")
    document = dict(DOCUMENT)
    if request.param == "secrets-from-key-vault":
        monkeypatch.setenv("KEY_VAULT_URL", vault.url)
        vault.put(APP_SECRET_NAME, APP_SECRET)
        vault.put("fb-token-shop-1", TOKEN)
        document["token_secret"] = "fb-token-shop-1"
    current = settings.load()
    destinations.save(current, destinations.parse("shop", document))
    with serving_the_app(vault, current):
        yield current


@pytest.fixture
def instant_clock():
    previous = clock.use(InstantClock())
    yield
    clock.use(previous)


def test_a_full_export_leaks_nothing(
    export_settings, segment, debug_logs, emulator, instant_clock
):
    current = export_settings
    secrets = {TOKEN, APP_SECRET, appsecret_proof(TOKEN, APP_SECRET)}
    plain, hashes = identifiers(*segment)
    # Two failed uploads, retried: the warning path is searched too.
    emulator.fail(count=1, mode="5xx", path_contains="/users")
    emulator.fail(count=1, mode="html", path_contains="/users")

    run, answers = export(current, segment[0])

    kept = blobs(current, "RUNS") + blobs(current, "STATE")
    snapshots = blobs(current, "SNAPSHOTS")
    logged = debug_logs()
    assert run["status"] == "succeeded" and run["rows_sent"] > 0
    assert any("retry" in text for text in logged)
    everywhere = logged + answers + kept + snapshots
    assert leaks(secrets | {sha256(s) for s in secrets}, everywhere) == []
    assert leaks(plain, everywhere) == []
    # Snapshots hold hashed rows by design (design.md, "Storage"); nothing else may.
    assert leaks(hashes, logged + answers + kept) == []


def test_connecting_and_inspecting_an_account_leaks_nothing(
    env, emulator, vault, monkeypatch, debug_logs
):
    monkeypatch.setenv("KEY_VAULT_URL", vault.url)
    monkeypatch.setenv("FACEBOOK_DIALOG_URL", emulator.url)
    current = settings.load()
    vault.put(APP_SECRET_NAME, APP_SECRET)
    destinations.save(current, destinations.parse("shop", DOCUMENT))
    emulator.set_dialog("approve")
    system_user = "EAAsystemuser0000000000000000001"
    emulator.register_token(system_user, app_id=APP_ID, type="SYSTEM_USER")

    with serving_the_app(vault, current):
        answers, code = _connect_and_inspect(emulator, system_user)

    issued = set(emulator.emulator.registry.tokens)
    secrets = issued | {APP_SECRET, code, f"{APP_ID}|{APP_SECRET}"}
    stored = blobs(current, "DESTINATIONS") + blobs(current, "STATE")
    assert len(issued) >= 3  # the configured, short-lived and long-lived tokens
    assert leaks(secrets, debug_logs() + answers + stored) == []


def _connect_and_inspect(emulator, system_user: str) -> tuple[list[str], str]:
    request = func.HttpRequest(
        "GET",
        f"{HOST}/api/facebook/connect",
        params={"destination": "shop"},
        body=b"",
    )
    connect = function_app.facebook_connect.build().get_user_function()(request)
    with requests.Session() as browser:
        browser.trust_env = False
        dialog = browser.get(
            connect.headers["Location"], allow_redirects=False, timeout=30
        )
    returned = dict(parse_qsl(urlsplit(dialog.headers["Location"]).query))
    answers = [
        call("facebook_callback", "GET", "/api/facebook/callback", params=returned),
        call("destination_status", "GET", "/api/destinations/shop/status", id="shop"),
        call(
            "facebook_ad_accounts",
            "GET",
            "/api/facebook/adaccounts",
            params={"destination": "shop"},
        ),
        call(
            "destination_token",
            "PUT",
            "/api/destinations/shop/token",
            {"access_token": system_user},
            id="shop",
        ),
        call("destination_item", "GET", "/api/destinations/shop", id="shop"),
    ]
    return answers, returned["code"]
