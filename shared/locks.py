"""One run at a time per destination and segment, with a blob lease.

A trigger first claims the segment for its run (`claim`), so a second request while a
run is queued or running is answered with that run. The lock proper is a blob in the
state container, leased by the planner for as long as its run lasts; its metadata
names the run. A lease whose run has ended (or never got going within
`STALE_SECONDS`) is broken so that a crashed run cannot block its segment forever.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobLeaseClient

from shared import clock, runs, storage
from shared.settings import Settings

STALE_SECONDS = 6 * 3600


def _blob(settings: Settings, destination_id: str, segment: str, kind: str = "locks"):
    digest = hashlib.sha256(segment.encode()).hexdigest()[:32]
    client = storage.container(settings["STATE_CONTAINER"])
    return client.get_blob_client(f"{kind}/{destination_id}/{digest}")


def claim(settings: Settings, destination_id: str, segment: str, run_id: str):
    """Name `run_id` as the segment's run unless another run is queued or running;
    returns that other run's id, or None when the claim is ours."""
    blob = _blob(settings, destination_id, segment, "claims")
    try:
        properties = blob.get_blob_properties()
    except ResourceNotFoundError:
        try:
            blob.upload_blob(b"", overwrite=False, metadata={"run": run_id})
            return None
        except ResourceExistsError:
            properties = blob.get_blob_properties()
    other = (properties.metadata or {}).get("run")
    if other and other != run_id and not _finished_or_stale(settings, other):
        return other
    try:
        blob.upload_blob(
            b"",
            overwrite=True,
            metadata={"run": run_id},
            etag=properties.etag,
            match_condition=MatchConditions.IfNotModified,
        )
    except (ResourceModifiedError, ResourceExistsError):
        # Another request claimed it between our read and our write.
        return (blob.get_blob_properties().metadata or {}).get("run")
    return None


def acquire(settings: Settings, destination_id: str, segment: str, run_id: str):
    """(lease id, None) when taken for this run, or (None, id of the run holding it)."""
    blob = _blob(settings, destination_id, segment)
    try:
        blob.upload_blob(b"", overwrite=False)
    except ResourceExistsError:
        pass
    lease = _try_lease(blob)
    if lease is None:
        holder = (blob.get_blob_properties().metadata or {}).get("run")
        if holder == run_id:
            return None, holder  # our own earlier delivery holds it; keep going
        if holder and not _finished_or_stale(settings, holder):
            return None, holder
        BlobLeaseClient(blob).break_lease(lease_break_period=0)
        lease = _try_lease(blob)
        if lease is None:
            return None, holder
    blob.set_blob_metadata({"run": run_id}, lease=lease)
    return lease.id, None


def holder(settings: Settings, destination_id: str, segment: str) -> str | None:
    """The run now holding the segment, if it is still going."""
    blob = _blob(settings, destination_id, segment)
    if not blob.exists():
        return None
    properties = blob.get_blob_properties()
    run_id = (properties.metadata or {}).get("run")
    if properties.lease.state != "leased" or not run_id:
        return None
    return None if _finished_or_stale(settings, run_id) else run_id


def release(settings: Settings, destination_id: str, segment: str, lease_id: str):
    blob = _blob(settings, destination_id, segment)
    try:
        BlobLeaseClient(blob, lease_id).release()
    except HttpResponseError:
        pass  # already broken by a later run


def _try_lease(blob):
    try:
        return blob.acquire_lease(lease_duration=-1)
    except HttpResponseError as exc:
        if exc.status_code == 409:
            return None
        raise


def _finished_or_stale(settings: Settings, run_id: str) -> bool:
    run = runs.read(settings, run_id)
    if run is None or run.get("status") in runs.TERMINAL:
        return True
    started = run.get("started_at") or run.get("queued_at")
    if not started:
        return False
    began = datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp()
    return clock.current().time() - began > STALE_SECONDS
