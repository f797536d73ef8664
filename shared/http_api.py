"""HTTP routes: small request checks in front of `exports`, answers as JSON."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import azure.functions as func

from shared import exports, runs, settings, storage
from shared.errors import (
    BatchRejected,
    DestinationError,
    ExportError,
    InvalidInput,
    RetryLater,
    SettingError,
    StopRun,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
_EXPORT_FIELDS = frozenset({"destination", "segments"})
# Answers name no secret, but some carry a destination's configuration: no caches.
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
RETRY_AFTER_SECONDS = 30


class BodyTooLarge(InvalidInput):
    """The request body is over MAX_BODY_BYTES (answered 413)."""


class Conflict(ExportError):
    """The request cannot be done in the resource's present state (answered 409)."""


class NotFound(ExportError):
    """The thing the request names does not exist (answered 404)."""


def answer(
    status: int, document: dict | list, headers: dict | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        storage.json_text(document),
        status_code=status,
        mimetype="application/json",
        headers=headers,
    )


def problem(status: int, message: str) -> func.HttpResponse:
    return answer(status, {"error": message})


def json_body(req: func.HttpRequest) -> dict:
    """The request's JSON object; InvalidInput says what is wrong with it."""
    body = req.get_body() or b""
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"the request body is over {MAX_BODY_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise InvalidInput("the request body is not JSON") from None
    if not isinstance(document, dict):
        raise InvalidInput("the request body must be a JSON object")
    return document


def start_export(req: func.HttpRequest) -> func.HttpResponse:
    try:
        destination_id, segments = _export_request(json_body(req))
        current = settings.load()
        started = exports.start_exports(current, destination_id, segments, "http")
    except DestinationError as exc:
        missing = exc.field is None and str(exc).endswith("does not exist")
        return problem(404 if missing else 400, str(exc))
    except BodyTooLarge as exc:
        return problem(413, str(exc))
    except InvalidInput as exc:
        return problem(400, str(exc))
    base = _base_url(req)
    for entry in started:
        entry["status_url"] = f"{base}/api/exports/{entry['run_id']}"
    queued = [entry for entry in started if entry["status"] == "queued"]
    if queued:
        return answer(202, {"runs": started})
    return answer(
        409, {"error": _why_nothing_started(current, started), "runs": started}
    )


def _why_nothing_started(current, started: list[dict]) -> str:
    if all(entry["status"] == "already_running" for entry in started):
        return "an export of this destination and segment is already running"
    failed = runs.read(current, started[0]["run_id"]) or {}
    return failed.get("message") or "no export could start"


def _export_request(document: dict) -> tuple[str, list[str] | None]:
    unknown = sorted(set(document) - _EXPORT_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}")
    destination_id = document.get("destination")
    if not isinstance(destination_id, str) or not destination_id:
        raise InvalidInput("field 'destination' must be a destination id")
    segments = document.get("segments")
    if segments is not None and (
        not isinstance(segments, list)
        or not segments
        or not all(isinstance(s, str) for s in segments)
    ):
        raise InvalidInput("field 'segments' must be a list of segment names")
    return destination_id, segments


def export_status(req: func.HttpRequest) -> func.HttpResponse:
    run_id = req.route_params.get("run", "")
    if not runs.RUN_ID.fullmatch(run_id):
        return problem(400, "not a run id")
    found = exports.status(settings.load(), run_id)
    if found is None:
        return problem(404, f"run {run_id} not found")
    return answer(200, found)


def _base_url(req: func.HttpRequest) -> str:
    parts = urlsplit(req.url)
    return f"{parts.scheme}://{parts.netloc}"


def base_url(req: func.HttpRequest) -> str:
    """Scheme and host the request came to, e.g. `https://app.azurewebsites.net`."""
    return _base_url(req)


def status_of(exc: ExportError) -> int:
    """The HTTP status that tells a caller what to do about a product error."""
    if isinstance(exc, BodyTooLarge):
        return 413
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, DestinationError):
        missing = exc.field is None and str(exc).endswith("does not exist")
        return 404 if missing else 400
    if isinstance(exc, Conflict | SettingError | StopRun):
        # The request is fine but the app's configuration or the connected
        # account is not: an operator must act (connect, grant, set a setting).
        return 409
    if isinstance(exc, RetryLater):
        return 503
    if isinstance(exc, InvalidInput | BatchRejected):
        return 400
    return 500


def problem_for(exc: ExportError) -> func.HttpResponse:
    status = status_of(exc)
    headers = dict(NO_STORE)
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer(status, {"error": str(exc)}, headers)


def answers_errors(
    handler: Callable[[func.HttpRequest], func.HttpResponse],
) -> Callable[[func.HttpRequest], func.HttpResponse]:
    """Turn the product's errors raised by a route into their JSON answers; any
    other exception is a bug and reaches the host, which answers 500."""

    @functools.wraps(handler)
    def guarded(req: func.HttpRequest) -> func.HttpResponse:
        try:
            return handler(req)
        except ExportError as exc:
            log.info("%s answered %s", handler.__name__, status_of(exc))
            return problem_for(exc)

    return guarded


def query_text(req: func.HttpRequest, name: str, limit: int = 200) -> str:
    """A required query parameter, as text of at most `limit` characters."""
    value = req.params.get(name)
    if not value:
        raise InvalidInput(f"query parameter {name!r} is required")
    if len(value) > limit:
        raise InvalidInput(f"query parameter {name!r} is over {limit} characters")
    return value
