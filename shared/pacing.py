"""Pacing shared by every instance: Meta's limits are per app and ad account.

When Meta says to wait, the time until which an ad account is blocked is written to
a small blob (`pacing/{ad_account}.json` in the state container), so every worker, in
any instance, sees it before its next call; calls made while blocked would extend
the block (graph-api.md, "Errors and throttling"). The blob is only ever lengthened,
by a write conditional on what was read, so two workers throttled at once cannot
shorten each other's wait. Requests in flight per ad account are capped across
instances by leasing one of `MAX_REQUESTS_IN_FLIGHT` slot blobs for one request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)

from shared import clock, storage
from shared.errors import RetryLater
from shared.settings import Settings

log = logging.getLogger(__name__)

# A slot lease outlives one request: Meta answers a 10,000-row request in seconds.
# A request slower than the lease (GRAPH_TIMEOUT_SECONDS allows 120 s) loses its
# slot to another request while it is still in flight; the lease is not renewed.
SLOT_LEASE_SECONDS = 60
SLOT_ATTEMPTS = 40
SLOT_RETRY_SECONDS = 0.25
# Conditional writes of the pacing blob lost to other workers before giving up.
BLOCK_WRITE_ATTEMPTS = 5


def _state(settings: Settings):
    return storage.container(settings["STATE_CONTAINER"])


def _pacing_blob(settings: Settings, ad_account: str):
    return _state(settings).get_blob_client(f"pacing/{ad_account}.json")


def blocked_for(settings: Settings, ad_account: str) -> float:
    """Seconds until calls to this ad account may resume (0 when free)."""
    document, _ = _read_block(_pacing_blob(settings, ad_account))
    if not document:
        return 0.0
    return max(0.0, document["blocked_until"] - clock.current().time())


def block(settings: Settings, ad_account: str, seconds: float, code: int | None):
    """Record that Meta asked us to wait; a longer block already recorded stays."""
    until = clock.current().time() + seconds
    blob = _pacing_blob(settings, ad_account)
    for _attempt in range(BLOCK_WRITE_ATTEMPTS):
        document, etag = _read_block(blob)
        if document and document["blocked_until"] >= until:
            return
        if _write_block(blob, {"blocked_until": until, "code": code}, etag):
            log.warning(
                "ad account %s rate limited (code %s): pausing %.0f s",
                ad_account,
                code,
                seconds,
            )
            return
    raise RetryLater(f"the pacing state of {ad_account} kept changing under us")


def _read_block(blob) -> tuple[dict | None, str | None]:
    try:
        download = blob.download_blob()
    except ResourceNotFoundError:
        return None, None
    return json.loads(download.readall()), download.properties.etag


def _write_block(blob, document: dict, etag: str | None) -> bool:
    """Write unless another worker changed (or created) the blob since it was read."""
    body = json.dumps(document).encode()
    try:
        if etag is None:
            blob.upload_blob(body, overwrite=False)
        else:
            blob.upload_blob(
                body,
                overwrite=True,
                etag=etag,
                match_condition=MatchConditions.IfNotModified,
            )
    except (ResourceExistsError, ResourceModifiedError):
        return False
    return True


@contextlib.contextmanager
def request_slot(settings: Settings, ad_account: str):
    """Hold one of the ad account's in-flight slots while the body runs."""
    slots = settings.max_in_flight
    client = _state(settings)
    for _attempt in range(SLOT_ATTEMPTS):
        for index in random.sample(range(slots), slots):
            lease = _try_lease(client, f"slots/{ad_account}/{index}")
            if lease is not None:
                try:
                    yield lease
                finally:
                    _release(lease)
                return
        clock.current().sleep(SLOT_RETRY_SECONDS * (1 + random.random()))
    raise RetryLater(f"all {slots} request slots of {ad_account} stayed busy")


def _try_lease(client, name: str):
    blob = client.get_blob_client(name)
    try:
        return blob.acquire_lease(lease_duration=SLOT_LEASE_SECONDS)
    except ResourceExistsError:
        return None  # leased by another request
    except HttpResponseError as exc:
        if exc.status_code == 404:
            with contextlib.suppress(ResourceExistsError):
                blob.upload_blob(b"", overwrite=False)
            return _try_lease_existing(blob)
        if exc.status_code == 409:
            return None
        raise


def _try_lease_existing(blob):
    try:
        return blob.acquire_lease(lease_duration=SLOT_LEASE_SECONDS)
    except HttpResponseError:
        return None


def _release(lease) -> None:
    with contextlib.suppress(HttpResponseError):
        lease.release()
