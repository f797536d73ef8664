"""Blob and queue clients built from the app's storage settings.

Two kinds of settings reach the app. Locally a connection string in
`AzureWebJobsStorage` (or `UseDevelopmentStorage=true` for Azurite). In Azure the
deployment gives no connection string, only the identity-based settings
`AzureWebJobsStorage__blobServiceUri`, `__queueServiceUri`, `__credential` and
`__clientId`, which the Functions host reads too; the product then signs in with the
app's user-assigned managed identity.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient
from azure.storage.queue import (
    QueueClient,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from shared.errors import SettingError
from shared.settings import STORAGE_SETTING

_IDENTITY_PREFIX = STORAGE_SETTING + "__"


def _credential_for(environ: Mapping[str, str]):
    """The managed identity named by the settings (imported late: rarely needed)."""
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    kind = environ.get(_IDENTITY_PREFIX + "credential", "").lower()
    client_id = environ.get(_IDENTITY_PREFIX + "clientId") or None
    if kind == "managedidentity":
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential(managed_identity_client_id=client_id)


def _service_uri(environ: Mapping[str, str], service: str) -> str | None:
    uri = environ.get(f"{_IDENTITY_PREFIX}{service}ServiceUri")
    if uri:
        return uri
    account = environ.get(_IDENTITY_PREFIX + "accountName")
    if account:
        return f"https://{account}.{service}.core.windows.net"
    return None


def blob_service(
    environ: Mapping[str, str] | None = None, credential: Any = None
) -> BlobServiceClient:
    """A blob service client from a connection string or identity-based settings."""
    environ = os.environ if environ is None else environ
    connection = environ.get(STORAGE_SETTING)
    if connection:
        return BlobServiceClient.from_connection_string(connection)
    uri = _service_uri(environ, "blob")
    if not uri:
        raise _missing_storage_setting("blob")
    return BlobServiceClient(uri, credential=credential or _credential_for(environ))


def queue_service(
    environ: Mapping[str, str] | None = None, credential: Any = None
) -> QueueServiceClient:
    """A queue service client whose messages are base64 text, as the host expects."""
    environ = os.environ if environ is None else environ
    policies = {
        "message_encode_policy": TextBase64EncodePolicy(),
        "message_decode_policy": TextBase64DecodePolicy(),
    }
    connection = environ.get(STORAGE_SETTING)
    if connection:
        return QueueServiceClient.from_connection_string(connection, **policies)
    uri = _service_uri(environ, "queue")
    if not uri:
        raise _missing_storage_setting("queue")
    credential = credential or _credential_for(environ)
    return QueueServiceClient(uri, credential=credential, **policies)


def _missing_storage_setting(service: str) -> SettingError:
    return SettingError(
        STORAGE_SETTING,
        f"is not set: give a connection string, or {_IDENTITY_PREFIX}"
        f"{service}ServiceUri with the managed identity settings",
    )


@cache
def _cached_blob_service(key: tuple) -> BlobServiceClient:
    return blob_service(dict(key))


@cache
def _cached_queue_service(key: tuple) -> QueueServiceClient:
    return queue_service(dict(key))


def _storage_key() -> tuple:
    # Clients are reused across invocations in one process (pooled connections);
    # the key changes only when the storage settings do, as they do between tests.
    return tuple(
        sorted((k, v) for k, v in os.environ.items() if k.startswith(STORAGE_SETTING))
    )


def container(name: str) -> ContainerClient:
    return _cached_blob_service(_storage_key()).get_container_client(name)


def queue(name: str) -> QueueClient:
    return _cached_queue_service(_storage_key()).get_queue_client(name)


def ensure_container(name: str) -> ContainerClient:
    client = container(name)
    try:
        client.create_container()
    except ResourceExistsError:
        pass
    return client


def ensure_queue(name: str) -> QueueClient:
    client = queue(name)
    try:
        client.create_queue()
    except ResourceExistsError:
        pass
    return client


def read_json(client: ContainerClient, blob: str) -> dict | None:
    """A JSON blob, or None when it does not exist."""
    try:
        data = client.download_blob(blob).readall()
    except ResourceNotFoundError:
        return None
    return json.loads(data)


def write_json(
    client: ContainerClient, blob: str, document: Any, *, overwrite: bool = True, **kw
) -> bool:
    """Write a JSON blob; with overwrite=False, False when it already existed."""
    body = json_text(document)
    try:
        client.upload_blob(blob, body.encode(), overwrite=overwrite, **kw)
    except ResourceExistsError:
        return False
    return True


# A lone surrogate (from a JSON Lines key "\ud800") has no UTF-8 encoding.
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(document: Any) -> str:
    """Compact JSON whose other text stays readable UTF-8 in the blob, while each
    surrogate is written as its \\u escape: valid JSON for any Python text."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # Only string content can hold a surrogate, where an escape means the same.
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


_prepared: set[tuple] = set()


def prepare(settings) -> None:
    """Create the containers and queues the app uses, once per process; in Azure
    the deployment has created them already and this costs a few calls."""
    key = _storage_key() + tuple(settings.values.items())
    if key in _prepared:
        return
    for name in ("DESTINATIONS", "SEGMENTS", "RUNS", "SNAPSHOTS", "STATE"):
        ensure_container(settings[f"{name}_CONTAINER"])
    for name in ("EXPORT_REQUESTS_QUEUE", "EXPORT_BATCHES_QUEUE"):
        ensure_queue(settings[name])
        ensure_queue(settings[name] + "-poison")
    _prepared.add(key)


def reset_clients() -> None:
    """Forget cached clients, e.g. in a forked process that must not share sockets."""
    _cached_blob_service.cache_clear()
    _cached_queue_service.cache_clear()
