"""Shared fixtures: a real Azurite and the Graph API emulator, both on 127.0.0.1.

Each test gets its own containers and queues (fresh names) and a clean emulator, so
tests never see each other's runs. Credentials are static fakes.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
from keyvault_fake import KeyVaultFake

from shared import settings as settings_module
from shared import storage
from tools.services import AZURITE, Azurite

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token-0001"
APP_SECRET = "test-app-secret"
APP_ID = "1234567890"
AD_ACCOUNT = "act_1000000001"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def azurite():
    if not AZURITE.exists():
        pytest.fail("Azurite is not installed: run `make setup` (make test does it)")
    service = Azurite().start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def emulator_server():
    from emulator.server import EmulatorServer

    server = EmulatorServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server):
    emulator_server.reset()
    emulator_server.configure(
        app_id=APP_ID,
        app_secret=APP_SECRET,
        tokens=[{"value": TOKEN, "app_id": APP_ID, "scopes": ["ads_management"]}],
        ad_accounts=[{"id": AD_ACCOUNT, "name": "Test account", "tos_accepted": True}],
    )
    return emulator_server


@pytest.fixture
def env(azurite, emulator, monkeypatch):
    """App settings for one test: fresh storage names, emulator and fake secrets."""
    values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    prefix = f"t{next(_names)}-{os.getpid()}"
    for name in ("DESTINATIONS", "SEGMENTS", "RUNS", "SNAPSHOTS", "STATE"):
        values[f"{name}_CONTAINER"] = f"{prefix}-{name.lower()}"
    values["EXPORT_REQUESTS_QUEUE"] = f"{prefix}-requests"
    values["EXPORT_BATCHES_QUEUE"] = f"{prefix}-batches"
    values.update(
        AzureWebJobsStorage=azurite.connection_string,
        GRAPH_API_BASE_URL=emulator.url,
        FACEBOOK_ACCESS_TOKEN=TOKEN,
        FACEBOOK_APP_SECRET=APP_SECRET,
        FACEBOOK_APP_ID=APP_ID,
    )
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    current = settings_module.load()
    storage.prepare(current)
    return current


@pytest.fixture
def vault():
    """A local HTTPS fake of Key Vault's secrets API (tests/keyvault_fake.py)."""
    with KeyVaultFake() as server:
        yield server


@pytest.fixture
def fake():
    """The product's clock replaced by one whose sleep advances time at once."""
    from test_export_helpers import fake_time  # it imports this module's constants

    with fake_time() as fake_clock:
        yield fake_clock
