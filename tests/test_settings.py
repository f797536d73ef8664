"""App settings: the table, its twin in the sample file, defaults and number checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.errors import InvalidInput, SettingError
from shared.settings import SETTINGS, STORAGE_SETTING, Settings, describe, load

SAMPLE = Path(__file__).resolve().parents[1] / "local.settings.sample.json"
SAMPLE_VALUES = json.loads(SAMPLE.read_text())["Values"]
# Settings that the Functions host reads itself, not the product.
HOST_SETTINGS = {"FUNCTIONS_WORKER_RUNTIME", STORAGE_SETTING}


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_in_the_sample_file(name):
    assert name in SAMPLE_VALUES


def test_the_sample_file_holds_no_unknown_setting():
    known = {s.name for s in SETTINGS} | HOST_SETTINGS

    assert set(SAMPLE_VALUES) <= known


def test_setting_names_are_unique():
    names = [s.name for s in SETTINGS]

    assert len(names) == len(set(names))


def test_secrets_are_marked_secret():
    secret = {s.name for s in SETTINGS if s.secret}

    assert secret == {"FACEBOOK_APP_SECRET", "FACEBOOK_ACCESS_TOKEN"}


def test_the_sample_file_holds_no_secret_value():
    assert all(SAMPLE_VALUES[s.name] == "" for s in SETTINGS if s.secret)


def test_load_falls_back_to_every_default():
    settings = load({})

    assert all(settings[s.name] == s.default for s in SETTINGS)


def test_an_empty_value_falls_back_to_the_default():
    settings = load({"BATCH_ROWS": "", "RUNS_CONTAINER": ""})

    assert settings["BATCH_ROWS"] == "10000"
    assert settings["RUNS_CONTAINER"] == "export-runs"


def test_a_given_value_wins_over_the_default():
    settings = load({"SEGMENTS_CONTAINER": "cdp-segments", "UNRELATED": "x"})

    assert settings["SEGMENTS_CONTAINER"] == "cdp-segments"


def test_load_reads_the_environment_by_default(monkeypatch):
    monkeypatch.setenv("GRAPH_API_VERSION", "v25.0")

    assert load()["GRAPH_API_VERSION"] == "v25.0"


def test_defaults_give_usable_numbers():
    settings = load({})

    assert (settings.batch_rows, settings.max_in_flight, settings.graph_timeout) == (
        10_000,
        8,
        120,
    )


@pytest.mark.parametrize(
    ("prop", "name", "raw", "expected"),
    [
        pytest.param("batch_rows", "BATCH_ROWS", "1", 1, id="batch-rows-lowest"),
        pytest.param(
            "batch_rows", "BATCH_ROWS", "1000000", 1_000_000, id="batch-rows-top"
        ),
        pytest.param("batch_rows", "BATCH_ROWS", " 5000 ", 5000, id="batch-spaces"),
        pytest.param(
            "max_in_flight", "MAX_REQUESTS_IN_FLIGHT", "1000", 1000, id="in-flight-top"
        ),
        pytest.param(
            "graph_timeout", "GRAPH_TIMEOUT_SECONDS", "600", 600, id="timeout-top"
        ),
    ],
)
def test_integer_settings_accept_their_range(prop, name, raw, expected):
    assert getattr(load({name: raw}), prop) == expected


@pytest.mark.parametrize(
    ("prop", "name", "raw"),
    [
        pytest.param("batch_rows", "BATCH_ROWS", "ten", id="batch-rows-word"),
        pytest.param("batch_rows", "BATCH_ROWS", "1.5", id="batch-rows-decimal"),
        pytest.param("batch_rows", "BATCH_ROWS", "10_000x", id="batch-rows-junk"),
        pytest.param("batch_rows", "BATCH_ROWS", "0", id="batch-rows-zero"),
        pytest.param("batch_rows", "BATCH_ROWS", "-5", id="batch-rows-negative"),
        pytest.param("batch_rows", "BATCH_ROWS", "1000001", id="batch-rows-too-many"),
        pytest.param(
            "max_in_flight", "MAX_REQUESTS_IN_FLIGHT", "eight", id="in-flight-word"
        ),
        pytest.param("max_in_flight", "MAX_REQUESTS_IN_FLIGHT", "0", id="in-flight-0"),
        pytest.param(
            "max_in_flight", "MAX_REQUESTS_IN_FLIGHT", "1001", id="in-flight-too-many"
        ),
        pytest.param("graph_timeout", "GRAPH_TIMEOUT_SECONDS", "2m", id="timeout-unit"),
        pytest.param("graph_timeout", "GRAPH_TIMEOUT_SECONDS", "0", id="timeout-zero"),
        pytest.param(
            "graph_timeout", "GRAPH_TIMEOUT_SECONDS", "601", id="timeout-long"
        ),
    ],
)
def test_integer_setting_errors_name_the_setting(prop, name, raw):
    settings = load({name: raw})

    with pytest.raises(SettingError) as caught:
        getattr(settings, prop)

    assert caught.value.name == name
    assert str(caught.value).startswith(f"setting {name} must be a whole number")
    assert isinstance(caught.value, InvalidInput)


def test_an_empty_number_built_directly_names_the_setting():
    with pytest.raises(SettingError, match="setting BATCH_ROWS must be a whole"):
        Settings({"BATCH_ROWS": ""}).integer("BATCH_ROWS")


def test_settings_repr_shows_no_secret_values():
    settings = load(
        {
            "FACEBOOK_APP_SECRET": "app-secret-value-0001",
            "FACEBOOK_ACCESS_TOKEN": "EAAGtest-token-value-0001",
        }
    )

    shown = f"{settings!r} {settings!s}"

    assert "app-secret-value-0001" not in shown
    assert "EAAGtest-token-value-0001" not in shown


def test_describe_gives_a_settings_default_and_help():
    setting = describe("EXPORT_SCHEDULE")

    assert setting.default == "0 0 2 * * *"
    assert "UTC" in setting.help
