"""App settings: every setting the product reads, with its default and meaning.

This table is the single list of settings. `local.settings.sample.json`, the README and
the infrastructure templates are checked against it by the tests, so a setting added
here without its twin there fails the build.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.errors import SettingError

STORAGE_SETTING = "AzureWebJobsStorage"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    secret: bool = False


SETTINGS = (
    Setting(
        "DESTINATIONS_CONTAINER", "destinations", "Blob container of destinations."
    ),
    Setting(
        "SEGMENTS_CONTAINER", "segments", "Blob container the segments are read from."
    ),
    Setting("RUNS_CONTAINER", "export-runs", "Blob container of run logs."),
    Setting("SNAPSHOTS_CONTAINER", "snapshots", "Blob container of hashed snapshots."),
    Setting(
        "STATE_CONTAINER",
        "export-state",
        "Blob container of run locks, batch markers and pacing state.",
    ),
    Setting("EXPORT_REQUESTS_QUEUE", "export-requests", "Queue of export requests."),
    Setting("EXPORT_BATCHES_QUEUE", "export-batches", "Queue of batch messages."),
    Setting(
        "EXPORT_SCHEDULE",
        "0 0 2 * * *",
        "NCRONTAB schedule (UTC) of the scheduled refresh.",
    ),
    Setting(
        "GRAPH_API_BASE_URL",
        "https://graph.facebook.com",
        "Graph API root; the local emulator's address in development.",
    ),
    Setting("GRAPH_API_VERSION", "v26.0", "Graph API version called."),
    Setting(
        "GRAPH_TIMEOUT_SECONDS", "120", "Timeout of one call to the Graph API, seconds."
    ),
    Setting("FACEBOOK_APP_ID", "", "Meta app id (used by Connect with Facebook)."),
    Setting(
        "FACEBOOK_DIALOG_URL",
        "https://www.facebook.com",
        "Root of Meta's login dialog; the local emulator's address in development.",
    ),
    Setting(
        "FACEBOOK_OAUTH_REDIRECT_URI",
        "",
        "Where Meta's login dialog returns (the infra outputs it); empty derives it "
        "from the request's host and /api/facebook/callback.",
    ),
    Setting(
        "KEY_VAULT_URL",
        "",
        "Key Vault holding tokens and the app secret; empty reads them from settings.",
    ),
    Setting(
        "FACEBOOK_APP_SECRET",
        "",
        "App secret, only when KEY_VAULT_URL is empty (local development).",
        secret=True,
    ),
    Setting(
        "FACEBOOK_ACCESS_TOKEN",
        "",
        "Access token for every destination, only when KEY_VAULT_URL is empty.",
        secret=True,
    ),
    Setting(
        "BATCH_ROWS",
        "10000",
        "Rows per batch message (a multiple of requests of at most 10,000 rows).",
    ),
    Setting(
        "MAX_REQUESTS_IN_FLIGHT",
        "8",
        "Upload requests in flight per ad account, across all instances.",
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}

# Meta refuses more than 10,000 rows in one /users request (graph-api.md).
MAX_ROWS_PER_REQUEST = 10_000


@dataclass(frozen=True)
class Settings:
    """Settings read once per invocation; secrets are hidden from repr."""

    values: Mapping[str, str] = field(repr=False)

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def integer(
        self, name: str, *, minimum: int = 1, maximum: int | None = None
    ) -> int:
        raw = self.values[name]
        try:
            number = int(raw)
        except ValueError:
            raise SettingError(name, "must be a whole number") from None
        if number < minimum or (maximum is not None and number > maximum):
            bound = f"from {minimum}" + (f" to {maximum}" if maximum else "")
            raise SettingError(name, f"must be a whole number {bound}")
        return number

    @property
    def batch_rows(self) -> int:
        return self.integer("BATCH_ROWS", maximum=1_000_000)

    @property
    def max_in_flight(self) -> int:
        return self.integer("MAX_REQUESTS_IN_FLIGHT", maximum=1000)

    @property
    def graph_timeout(self) -> int:
        return self.integer("GRAPH_TIMEOUT_SECONDS", maximum=600)


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from the environment, falling back to its default."""
    environ = os.environ if environ is None else environ
    values = {s.name: environ.get(s.name, s.default) or s.default for s in SETTINGS}
    return Settings(values)


def describe(name: str) -> Setting:
    return _BY_NAME[name]
