"""Field selection and cursor paging shared by the list edges."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from emulator.errors import invalid_parameter
from emulator.forms import GraphRequest

DEFAULT_LIMIT = 25
MAX_LIMIT = 500
# Secrets never go into a `next` link: Meta's links carry the token, these do not,
# so a client following them must send its token another way (graph-api.md, "Upload
# payload": tokens stay out of URLs).
_NOT_IN_LINKS = frozenset({"access_token", "appsecret_proof", "after", "before"})


def requested_fields(request: GraphRequest, default: tuple[str, ...]) -> list[str]:
    text = request.param("fields")
    if not text:
        return list(default)
    return [name.strip() for name in text.split(",") if name.strip()]


def select(record: dict, fields: list[str]) -> dict:
    """The requested fields that the record has, always with its id."""
    chosen = {"id": record["id"]}
    chosen.update({name: record[name] for name in fields if name in record})
    return chosen


def page(items: list[dict], request: GraphRequest, base_url: str) -> dict:
    limit = _limit(request)
    start = _cursor_position(request.param("after"))
    chunk = items[start : start + limit]
    answer: dict = {"data": chunk}
    if not chunk:
        return answer
    cursors = {"before": _cursor(start), "after": _cursor(start + len(chunk) - 1)}
    answer["paging"] = {"cursors": cursors}
    if start + limit < len(items):
        answer["paging"]["next"] = _next_link(request, base_url, cursors["after"])
    return answer


def _limit(request: GraphRequest) -> int:
    text = request.param("limit") or str(DEFAULT_LIMIT)
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise invalid_parameter(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(text)


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode()


def _cursor_position(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        return int(text.removeprefix("pos:")) + 1
    except ValueError as exc:
        raise invalid_parameter("the paging cursor is not valid") from exc


def _next_link(request: GraphRequest, base_url: str, after: str) -> str:
    query = {k: v for k, v in request.query.items() if k not in _NOT_IN_LINKS}
    query["after"] = after
    return f"{base_url}{request.versioned_path}?{urlencode(query)}"
