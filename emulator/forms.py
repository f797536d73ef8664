"""Reading Graph API requests: query, form bodies and the access token.

Bodies come as multipart/form-data (Meta's own examples, `curl -F`) or as
application/x-www-form-urlencoded. A 10,000-row payload is several MB, so multipart is
split with `bytes.split` on the boundary: no loop over bytes in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from emulator.errors import invalid_parameter

_VERSION_PREFIX = re.compile(r"^/v\d+\.\d+(?=/|$)")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_FIELD_NAME = re.compile(rb'\bname="([^"]*)"', re.IGNORECASE)


@dataclass
class GraphRequest:
    """One request as the routes see it: path without version, query and form."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    authorization: str = ""
    versioned_path: str = ""

    def param(self, name: str, default: str | None = None) -> str | None:
        """A parameter from the body, else from the query string."""
        if name in self.form:
            return self.form[name]
        return self.query.get(name, default)

    def token(self) -> str | None:
        scheme, _, credentials = self.authorization.strip().partition(" ")
        if scheme.lower() in ("bearer", "oauth") and credentials.strip():
            return credentials.strip()
        return self.param("access_token") or None


def split_target(target: str) -> tuple[str, str, dict[str, str]]:
    """Path as sent, path without the `/vNN.N` prefix, and the query parameters."""
    path, _, query = target.partition("?")
    bare = _VERSION_PREFIX.sub("", path).rstrip("/") or "/"
    return path, bare, dict(parse_qsl(query, keep_blank_values=True))


def parse_body(content_type: str, body: bytes) -> dict[str, str]:
    if not body:
        return {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        return _parse_multipart(content_type, body)
    if media_type in ("application/x-www-form-urlencoded", ""):
        return _parse_urlencoded(body)
    raise invalid_parameter(f"unsupported request body type {media_type}")


def _parse_urlencoded(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise invalid_parameter("form body is not URL-encoded text") from exc
    return dict(parse_qsl(text, keep_blank_values=True))


def _parse_multipart(content_type: str, body: bytes) -> dict[str, str]:
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise invalid_parameter("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        name, value = _parse_part(part)
        fields[name] = value
    return fields


def _parse_part(part: bytes) -> tuple[str, str]:
    headers, separator, value = part.partition(b"\r\n\r\n")
    name = _FIELD_NAME.search(headers)
    if not separator or name is None:
        raise invalid_parameter("malformed multipart part")
    if value.endswith(b"\r\n"):
        value = value[:-2]
    try:
        return name.group(1).decode(), value.decode()
    except UnicodeDecodeError as exc:
        raise invalid_parameter("multipart field is not UTF-8 text") from exc
