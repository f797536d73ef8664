"""The destinations API: create, read, update and delete destinations, store a
system-user token for one, and show its status.

    GET    /api/destinations               every destination
    POST   /api/destinations               create one (its `id` in the body)
    GET    /api/destinations/{id}          one destination
    PUT    /api/destinations/{id}          replace it (its token stays)
    DELETE /api/destinations/{id}          delete it, its token secret and, with
                                           ?delete_runs=true, its run logs
    PUT    /api/destinations/{id}/token    store a system-user token
    GET    /api/destinations/{id}/status   token health and consent

Reading never returns a secret, nor the name of the vault secret holding the token:
`token_secret` is written only here and by Connect with Facebook (`oauth`).
Validation errors answer 400 naming the field (`destinations.parse`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import azure.functions as func

from shared import destinations, http_api, locks, runs, settings, storage
from shared.errors import DestinationError, InvalidInput, RetryLater, StopRun
from shared.http_api import Conflict
from shared.secrets import store
from shared.settings import Settings
from shared.token_health import REQUIRED_SCOPE, describe, health, inspect

log = logging.getLogger(__name__)

_TOKEN_FIELDS = frozenset({"access_token"})
# Meta's tokens are a few hundred printable ASCII characters without spaces.
_TOKEN = re.compile(r"^[\x21-\x7e]{16,2048}$")
_SET_BY_CONNECTING = "is set by connecting the Facebook account, not by this API"


@http_api.answers_errors
def collection(req: func.HttpRequest) -> func.HttpResponse:
    current = settings.load()
    if req.method == "POST":
        created = create(current, http_api.json_body(req))
        return http_api.answer(201, view(created), http_api.NO_STORE)
    return http_api.answer(200, {"destinations": list_all(current)}, http_api.NO_STORE)


@http_api.answers_errors
def item(req: func.HttpRequest) -> func.HttpResponse:
    current = settings.load()
    destination_id = _route_id(req)
    if req.method == "PUT":
        updated = update(current, destination_id, http_api.json_body(req))
        return http_api.answer(200, view(updated), http_api.NO_STORE)
    if req.method == "DELETE":
        report = delete(current, destination_id, _delete_runs_asked(req))
        return http_api.answer(200, report, http_api.NO_STORE)
    found = destinations.load(current, destination_id)
    return http_api.answer(200, view(found), http_api.NO_STORE)


@http_api.answers_errors
def token(req: func.HttpRequest) -> func.HttpResponse:
    current = settings.load()
    destination = destinations.load(current, _route_id(req))
    value = _token_from(http_api.json_body(req))
    facts = check_token(current, value)
    store_token(current, destination, value)
    answer = {"destination": destination.id, "token": describe(current, facts)}
    return http_api.answer(200, answer, http_api.NO_STORE)


@http_api.answers_errors
def status(req: func.HttpRequest) -> func.HttpResponse:
    current = settings.load()
    destination = destinations.load(current, _route_id(req))
    answer = {
        "destination": destination.id,
        "display_name": destination.display_name,
        "consent_recorded": destination.consent is not None,
        "schedule": destination.schedule,
        "token": health(current, destination),
    }
    return http_api.answer(200, answer, http_api.NO_STORE)


def _route_id(req: func.HttpRequest) -> str:
    destination_id = req.route_params.get("id", "")
    if not destinations.ID_PATTERN.fullmatch(destination_id):
        raise DestinationError(
            destination_id[:80], "id", "must be 1-63 lowercase letters, digits or -"
        )
    return destination_id


def _delete_runs_asked(req: func.HttpRequest) -> bool:
    value = req.params.get("delete_runs", "false").lower()
    if value not in ("true", "false"):
        raise InvalidInput("query parameter 'delete_runs' must be true or false")
    return value == "true"


# --- reading ---------------------------------------------------------------------


def view(destination: destinations.Destination) -> dict:
    """The destination as the API shows it: what PUT takes back, without the
    name of its token secret."""
    document = destination.to_document()
    document.pop("token_secret")
    return document


def list_all(current: Settings) -> list[dict]:
    """Every destination; one that no longer validates shows its error instead."""
    found = []
    for destination_id in destinations.list_ids(current):
        try:
            found.append(view(destinations.load(current, destination_id)))
        except DestinationError as exc:
            found.append({"id": destination_id, "error": str(exc)})
    return found


# --- writing ---------------------------------------------------------------------


def create(current: Settings, document: dict) -> destinations.Destination:
    destination_id = document.get("id")
    if not isinstance(destination_id, str):
        raise DestinationError("?", "id", "is required, as text")
    destination = _parse_new(destination_id, document, token_secret=None)
    if not destinations.create(current, destination):
        raise Conflict(f"destination {destination_id!r} exists already: use PUT")
    log.info("destination %s created", destination_id)
    return destination


def update(
    current: Settings, destination_id: str, document: dict
) -> destinations.Destination:
    stored = destinations.load(current, destination_id)
    if document.get("id", destination_id) != destination_id:
        raise DestinationError(destination_id, "id", "must match the id in the path")
    updated = _parse_new(destination_id, document, token_secret=stored.token_secret)
    destinations.save(current, updated)
    log.info("destination %s updated", destination_id)
    return updated


def _parse_new(destination_id: str, document: dict, token_secret: str | None):
    if document.get("token_secret") not in (None, token_secret):
        raise DestinationError(destination_id, "token_secret", _SET_BY_CONNECTING)
    fields = {k: v for k, v in document.items() if k not in ("id", "token_secret")}
    if token_secret:
        fields["token_secret"] = token_secret
    return destinations.parse(destination_id, fields)


def delete(current: Settings, destination_id: str, delete_runs: bool) -> dict:
    """Delete a destination, in steps that can each be repeated: end its scheduled
    refresh, delete its token secret and, when asked, its run logs, and only then
    its document. A failure half-way leaves a destination that DELETE finishes."""
    destination = destinations.load(current, destination_id)
    _refuse_while_running(current, destination)
    if destination.schedule:
        destinations.save(current, replace(destination, schedule=False))
    report = {"deleted": destination_id, "token_secret_deleted": False}
    if destination.token_secret and store(current).writable:
        report["token_secret_deleted"] = store(current).delete_secret(
            destination.token_secret
        )
    if delete_runs:
        report["runs_deleted"] = _delete_runs(current, destination_id)
    destinations.delete(current, destination_id)
    log.info("destination %s deleted", destination_id)
    return report


def _refuse_while_running(current: Settings, destination) -> None:
    for segment in destination.segments:
        running = locks.holder(current, destination.id, segment)
        if running:
            raise Conflict(
                f"run {running} of destination {destination.id!r} is still going: "
                "delete the destination after it ends"
            )


def _delete_runs(current: Settings, destination_id: str) -> int:
    """Delete the run logs of the destination: one listing of run folders, then
    each run log read to see whose it is."""
    client = storage.container(current["RUNS_CONTAINER"])
    deleted = 0
    for folder in client.walk_blobs(delimiter="/"):
        run_id = folder.name.rstrip("/")
        if not runs.RUN_ID.fullmatch(run_id):
            continue
        run = runs.read(current, run_id) or {}
        if run.get("destination") == destination_id:
            runs.delete(current, run_id)
            deleted += 1
    return deleted


# --- tokens ----------------------------------------------------------------------


def _token_from(document: dict) -> str:
    unknown = sorted(set(document) - _TOKEN_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}")
    value = document.get("access_token")
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise InvalidInput(
            "field 'access_token' must be a Meta access token: 16 to 2048 printable "
            "characters without spaces"
        )
    return value


def check_token(current: Settings, value: str) -> dict:
    """Meta's facts about a token to be stored; refuses one that cannot export."""
    store(current).require_vault()
    facts = inspect(current, value)
    described = describe(current, facts)
    if not described["valid"]:
        raise InvalidInput("Meta says the access token is not valid: nothing stored")
    if not described["has_ads_management"]:
        raise InvalidInput(
            f"the access token lacks the {REQUIRED_SCOPE} permission: nothing stored"
        )
    return facts


def store_token(current: Settings, destination, value: str):
    """Store a token under a new secret name, point the destination at it, then
    delete the secret of the previous connection."""
    secrets = store(current)
    name = secrets.write_token(destination, value)
    try:
        latest = destinations.load(current, destination.id)
    except DestinationError:
        secrets.delete_secret(name)  # deleted meanwhile: keep no token for it
        raise
    destinations.save(current, replace(latest, token_secret=name))
    previous = latest.token_secret
    if previous and previous != name:
        try:
            secrets.delete_secret(previous)
        except (RetryLater, StopRun) as exc:
            log.warning(
                "destination %s: the previous token secret stays: %s",
                destination.id,
                exc,
            )
    log.info("destination %s connected with a new token", destination.id)
    return name
