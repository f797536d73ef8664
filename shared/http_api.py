"""HTTP routes: small request checks in front of `exports`, answers as JSON."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import azure.functions as func

from shared import exports, runs, settings
from shared.errors import DestinationError, InvalidInput

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
_EXPORT_FIELDS = frozenset({"destination", "segments"})


def answer(status: int, document: dict) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(document, ensure_ascii=False),
        status_code=status,
        mimetype="application/json",
    )


def problem(status: int, message: str) -> func.HttpResponse:
    return answer(status, {"error": message})


def json_body(req: func.HttpRequest) -> dict:
    """The request's JSON object; InvalidInput says what is wrong with it."""
    body = req.get_body() or b""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(f"the request body is over {MAX_BODY_BYTES} bytes")
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
