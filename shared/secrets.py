"""Where access tokens and the app secret come from, and where new tokens go.

In Azure they live in Key Vault (`KEY_VAULT_URL`), read with the app's managed
identity and cached for a bounded time, so a token refreshed in the vault is picked up
without a restart. For local development, with `KEY_VAULT_URL` empty, they come from
the settings `FACEBOOK_ACCESS_TOKEN` and `FACEBOOK_APP_SECRET`, and nothing can be
stored.

Each connection of a destination stores its token under a new secret name,
`fb-token-{destination}-{n}`, recorded in the destination's `token_secret`: with soft
delete and purge protection on, a deleted secret keeps its name for the retention
period, so a name once used is never asked for again (design.md, "Platform facts").
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from shared import clock
from shared.errors import (
    DestinationError,
    InvalidInput,
    RetryLater,
    SettingError,
    StopRun,
)
from shared.settings import Settings

log = logging.getLogger(__name__)

APP_SECRET_NAME = "facebook-app-secret"
CACHE_SECONDS = 300.0
TOKEN_PREFIX = "fb-token-"
# Names skipped past when earlier ones are held by deleted secrets (a destination
# deleted and created again); more than this many means something else is wrong.
MAX_NAME_ATTEMPTS = 50
# Key Vault refuses secret values over 25 KiB; Meta's tokens are a few hundred bytes.
MAX_SECRET_BYTES = 25 * 1024
_NUMBERED = re.compile(r"-([0-9]{1,9})$")

LOCAL_SECRETS = (
    "is empty, so tokens cannot be stored: local development reads the access "
    "token from the FACEBOOK_ACCESS_TOKEN setting (see local.settings.sample.json); "
    "set KEY_VAULT_URL to store tokens in Key Vault"
)


def token_secret_name(destination) -> str:
    return destination.token_secret or f"{TOKEN_PREFIX}{destination.id}"


def next_token_secret_name(destination, skip: int = 0) -> str:
    """The name for the destination's next connection: one past the current one."""
    current = destination.token_secret or ""
    match = _NUMBERED.search(current)
    number = int(match.group(1)) if match and current.startswith(TOKEN_PREFIX) else 0
    return f"{TOKEN_PREFIX}{destination.id}-{number + 1 + skip}"


class SecretStore:
    """Reads and writes secrets with a small time-bounded cache; never shows them
    in repr. `client_kwargs` go to `SecretClient` (tests pass `connection_verify`
    and `verify_challenge_resource`); `client` replaces it altogether."""

    def __init__(
        self,
        settings: Settings,
        credential: Any = None,
        client: Any = None,
        client_kwargs: dict | None = None,
    ):
        self._settings = settings
        self._vault_url = settings["KEY_VAULT_URL"]
        self._credential = credential
        self._client = client
        self._client_kwargs = dict(client_kwargs or {})
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretStore(vault={'yes' if self._vault_url else 'settings'})"

    @property
    def writable(self) -> bool:
        return bool(self._vault_url)

    def access_token(self, destination) -> str:
        if not self._vault_url:
            token = self._settings["FACEBOOK_ACCESS_TOKEN"]
        else:
            token = self._read(token_secret_name(destination))
            if token is None and destination.token_secret:
                token = self._read_reconnected(destination)
        if not token:
            raise StopRun(
                f"destination {destination.id!r} has no Facebook access token: connect "
                "the Facebook account (README: Connecting a Facebook account)"
            )
        return token

    def _read_reconnected(self, destination) -> str | None:
        # A run keeps the destination as it was when planned; when the account was
        # connected again since, its old secret is gone and the new name is on the
        # stored destination.
        from shared import destinations

        try:
            current = destinations.load(self._settings, destination.id)
        except DestinationError:
            return None
        if current.token_secret in (None, destination.token_secret):
            return None
        return self._read(current.token_secret)

    def app_secret(self) -> str | None:
        if not self._vault_url:
            return self._settings["FACEBOOK_APP_SECRET"] or None
        return self._read(APP_SECRET_NAME)

    def forget(self, destination) -> None:
        """Drop a cached token after Meta rejected it, so the next read is fresh."""
        with self._lock:
            self._cache.pop(token_secret_name(destination), None)

    def write_token(self, destination, token: str) -> str:
        """Store a new token for the destination under a name never used before;
        answers that name, for the destination's `token_secret`."""
        self.require_vault()
        if not token or len(token.encode()) > MAX_SECRET_BYTES:
            raise InvalidInput("the access token must be 1 byte to 25 KiB of text")
        for skip in range(MAX_NAME_ATTEMPTS):
            name = next_token_secret_name(destination, skip)
            if self._set_new(name, token):
                self._remember(name, token)
                log.info("destination %s: token stored as a new secret", destination.id)
                return name
        raise StopRun(
            f"no free token secret name for destination {destination.id!r} after "
            f"{MAX_NAME_ATTEMPTS} tries: purge its deleted secrets in Key Vault"
        )

    def delete_secret(self, name: str) -> bool:
        """Delete a token secret (soft delete: its name stays taken); False when
        there was none. The app secret is never deleted here."""
        self.require_vault()
        if name == APP_SECRET_NAME:
            raise InvalidInput("a token secret must not be the app secret")
        with self._lock:
            self._cache.pop(name, None)
        try:
            self._call("delete", lambda: self.client().begin_delete_secret(name))
        except ResourceNotFoundError:
            return False
        return True

    def require_vault(self) -> None:
        """Refuse, naming the setting, when tokens cannot be stored here."""
        if not self._vault_url:
            raise SettingError("KEY_VAULT_URL", LOCAL_SECRETS)

    def _set_new(self, name: str, value: str) -> bool:
        """Write a secret under a name not held by a deleted secret; False if held.

        A live secret of that name gets a new version, which is what a second
        connection racing this one would want too."""
        try:
            self._call("write", lambda: self.client().set_secret(name, value))
        except ResourceExistsError:
            return False
        return True

    def _remember(self, name: str, value: str | None) -> None:
        with self._lock:
            self._cache[name] = (clock.current().time(), value)

    def _read(self, name: str) -> str | None:
        now = clock.current().time()
        with self._lock:
            cached = self._cache.get(name)
            if cached and 0 <= now - cached[0] < CACHE_SECONDS:
                return cached[1]
        value = self._fetch(name)
        self._remember(name, value)
        return value

    def _fetch(self, name: str) -> str | None:
        try:
            return self._call("read", lambda: self.client().get_secret(name).value)
        except ResourceNotFoundError:
            return None

    def _call(self, action: str, operation):
        """One Key Vault call, its SDK errors turned into the product's: the SDK's
        own messages are left out, as they may quote request URLs."""
        try:
            return operation()
        except (ResourceNotFoundError, ResourceExistsError):
            raise
        except ClientAuthenticationError:
            raise StopRun(
                f"Key Vault refused to {action} a secret: give the app's identity the "
                "Key Vault Secrets Officer role on the vault at KEY_VAULT_URL"
            ) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise RetryLater(
                f"Key Vault did not answer a {action} ({type(exc).__name__})"
            ) from None
        except HttpResponseError as exc:
            raise _vault_error(action, exc.status_code) from None

    def client(self):
        if self._client is None:
            from azure.keyvault.secrets import SecretClient

            credential = self._credential or _managed_identity()
            self._client = SecretClient(
                self._vault_url, credential, **self._client_kwargs
            )
        return self._client


def _vault_error(action: str, status: int | None) -> Exception:
    if status == 403:
        return StopRun(
            f"Key Vault forbade a secret {action} (HTTP 403): give the app's identity "
            "the Key Vault Secrets Officer role and check the vault's network rules"
        )
    if status is None or status == 429 or status >= 500:
        return RetryLater(f"Key Vault {action} failed (HTTP {status})")
    return StopRun(f"Key Vault {action} failed (HTTP {status})")


def _managed_identity():
    from azure.identity import DefaultAzureCredential

    client_id = os.environ.get("AZURE_CLIENT_ID") or None
    return DefaultAzureCredential(managed_identity_client_id=client_id)


_stores: dict[tuple, SecretStore] = {}


def _key(settings: Settings) -> tuple:
    return (
        settings["KEY_VAULT_URL"],
        settings["FACEBOOK_ACCESS_TOKEN"],
        settings["FACEBOOK_APP_SECRET"],
    )


def store(settings: Settings) -> SecretStore:
    """One store per process and settings, so the cache outlives an invocation."""
    key = _key(settings)
    found = _stores.get(key)
    if found is None:
        found = _stores[key] = SecretStore(settings)
    return found


def install(secret_store: SecretStore) -> None:
    """Use this store for its settings from now on (tests: a static credential and
    a local vault's certificate)."""
    _stores[_key(secret_store._settings)] = secret_store


def uninstall(secret_store: SecretStore) -> None:
    _stores.pop(_key(secret_store._settings), None)
