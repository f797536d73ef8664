"""The destination's Custom Audience: checked before a run, created on first use."""

from __future__ import annotations

import json
import logging

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceModifiedError,
    ResourceNotFoundError,
)

from shared import clock, destinations, storage
from shared.errors import BatchRejected, StopRun
from shared.graph import GraphClient
from shared.secrets import store
from shared.settings import Settings

log = logging.getLogger(__name__)

# operation_status codes that refuse uploads (graph-api.md): 471 flagged by Meta.
BLOCKED_STATUS = {471: "Meta flagged the audience and blocks uploads to it"}
CREATE_LOCK_SECONDS = 60
# Edits of the destination that land between reading it and saving the new id;
# more than this in a row is not an edit but a loop.
MAX_SAVE_CONFLICTS = 10


def graph_client(settings: Settings, token: str) -> GraphClient:
    return GraphClient(
        settings["GRAPH_API_BASE_URL"],
        settings["GRAPH_API_VERSION"],
        token,
        store(settings).app_secret(),
        timeout=settings.graph_timeout,
    )


def ensure_audience(settings: Settings, destination, token: str) -> str:
    """The audience id to upload into; creates a new customer-list audience when
    the destination names one that does not exist yet."""
    client = graph_client(settings, token)
    if destination.audience.id:
        _check_usable(client, destination.audience.id)
        return destination.audience.id
    return _create_once(settings, client, destination)


def _check_usable(client: GraphClient, audience_id: str) -> None:
    try:
        audience = client.audience(audience_id)
    except BatchRejected as exc:
        raise StopRun(
            f"audience {audience_id} cannot be read ({exc}); it may have been deleted: "
            "pick another audience or clear audience.id to create a new one"
        ) from None
    status = (audience.get("operation_status") or {}).get("code")
    if status in BLOCKED_STATUS:
        raise StopRun(f"audience {audience_id}: {BLOCKED_STATUS[status]}", status)


def _create_once(settings: Settings, client: GraphClient, destination) -> str:
    """Create the audience under a lease, so runs of two segments starting together
    create one audience, not two."""
    state = storage.container(settings["STATE_CONTAINER"])
    lock = state.get_blob_client(f"locks/{destination.id}/create-audience")
    if not lock.exists():
        lock.upload_blob(b"", overwrite=True)
    lease = _lease_when_free(lock)
    try:
        current = destinations.load(settings, destination.id)
        if current.audience.id:
            return current.audience.id
        audience = current.audience
        audience_id = client.create_audience(
            current.ad_account,
            audience.name,
            audience.description,
            audience.customer_file_source,
        )
        log.info("destination %s: created audience %s", destination.id, audience_id)
        return _keep_audience_id(settings, destination.id, audience_id)
    finally:
        lease.release()


def _keep_audience_id(settings: Settings, destination_id: str, audience_id: str):
    """Write the new audience's id into the destination as it is now, not as it
    was read before creating it: an edit saved meanwhile is kept (etag check), and
    a destination deleted meanwhile is not brought back. Returns the id to use."""
    blob = _destination_blob(settings, destination_id)
    for _ in range(MAX_SAVE_CONFLICTS):
        try:
            download = blob.download_blob()
        except ResourceNotFoundError:
            raise StopRun(_deleted(destination_id, audience_id)) from None
        document = json.loads(download.readall())
        audience = document.get("audience") or {}
        if audience.get("id"):  # an edit named an audience meanwhile: it wins
            return audience["id"]
        document["audience"] = {**audience, "id": audience_id}
        if _save_if_unchanged(blob, document, download.properties.etag):
            return audience_id
    raise StopRun(
        f"destination {destination_id} kept changing while audience {audience_id} "
        "was created; set audience.id to it and start the export again"
    )


def _destination_blob(settings: Settings, destination_id: str):
    container = storage.container(settings["DESTINATIONS_CONTAINER"])
    return container.get_blob_client(f"{destination_id}.json")


def _save_if_unchanged(blob, document: dict, etag: str) -> bool:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    try:
        blob.upload_blob(
            body.encode(),
            overwrite=True,
            etag=etag,
            match_condition=MatchConditions.IfNotModified,
        )
    except (ResourceModifiedError, ResourceNotFoundError):
        return False  # changed or deleted since read: look again
    return True


def _deleted(destination_id: str, audience_id: str) -> str:
    return (
        f"destination {destination_id} was deleted while its audience was created; "
        f"nothing was exported (audience {audience_id} was created in Meta and "
        "is not used)"
    )


def _lease_when_free(lock):
    for _ in range(CREATE_LOCK_SECONDS * 2):
        try:
            return lock.acquire_lease(lease_duration=CREATE_LOCK_SECONDS)
        except HttpResponseError as exc:
            if exc.status_code != 409:
                raise
        clock.current().sleep(0.5)
    return lock.acquire_lease(lease_duration=CREATE_LOCK_SECONDS)
