"""Where access tokens and the app secret come from.

In Azure they live in Key Vault (`KEY_VAULT_URL`), read with the app's managed
identity and cached for a bounded time, so a token refreshed in the vault is picked up
without a restart. For local development, with `KEY_VAULT_URL` empty, they come from
the settings `FACEBOOK_ACCESS_TOKEN` and `FACEBOOK_APP_SECRET`.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from shared import clock
from shared.errors import StopRun
from shared.settings import Settings

APP_SECRET_NAME = "facebook-app-secret"
CACHE_SECONDS = 300.0


def token_secret_name(destination) -> str:
    return destination.token_secret or f"fb-token-{destination.id}"


class SecretStore:
    """Reads secrets with a small time-bounded cache; never shows them in repr."""

    def __init__(self, settings: Settings, credential: Any = None, client: Any = None):
        self._settings = settings
        self._vault_url = settings["KEY_VAULT_URL"]
        self._credential = credential
        self._client = client
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretStore(vault={'yes' if self._vault_url else 'settings'})"

    def access_token(self, destination) -> str:
        if not self._vault_url:
            token = self._settings["FACEBOOK_ACCESS_TOKEN"]
        else:
            token = self._read(token_secret_name(destination))
        if not token:
            raise StopRun(
                f"destination {destination.id!r} has no Facebook access token: connect "
                "the Facebook account (README: Connecting a Facebook account)"
            )
        return token

    def app_secret(self) -> str | None:
        if not self._vault_url:
            return self._settings["FACEBOOK_APP_SECRET"] or None
        return self._read(APP_SECRET_NAME)

    def forget(self, destination) -> None:
        """Drop a cached token after Meta rejected it, so the next read is fresh."""
        with self._lock:
            self._cache.pop(token_secret_name(destination), None)

    def _read(self, name: str) -> str | None:
        now = clock.current().time()
        with self._lock:
            cached = self._cache.get(name)
            if cached and now - cached[0] < CACHE_SECONDS:
                return cached[1]
        value = self._fetch(name)
        with self._lock:
            self._cache[name] = (now, value)
        return value

    def _fetch(self, name: str) -> str | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self.client().get_secret(name).value
        except ResourceNotFoundError:
            return None

    def client(self):
        if self._client is None:
            from azure.keyvault.secrets import SecretClient

            credential = self._credential or _managed_identity()
            self._client = SecretClient(self._vault_url, credential)
        return self._client


def _managed_identity():
    from azure.identity import DefaultAzureCredential

    client_id = os.environ.get("AZURE_CLIENT_ID") or None
    return DefaultAzureCredential(managed_identity_client_id=client_id)


_stores: dict[tuple, SecretStore] = {}


def store(settings: Settings) -> SecretStore:
    """One store per process and settings, so the cache outlives an invocation."""
    key = (settings["KEY_VAULT_URL"], settings["FACEBOOK_ACCESS_TOKEN"])
    key += (settings["FACEBOOK_APP_SECRET"],)
    found = _stores.get(key)
    if found is None:
        found = _stores[key] = SecretStore(settings)
    return found
