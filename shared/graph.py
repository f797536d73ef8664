"""The Graph API client: the one boundary where HTTP answers become product errors.

Meta signals errors by `error.code` in a JSON body, not by HTTP status (throttling
comes back as HTTP 400), so answers are classified by code, following graph-api.md:

- retry later: 1, 2, 803 and any 5xx, HTML or empty answer, or a dropped connection;
- wait, then retry: 4, 17, 32, 613, 80003 (rate limits), 341, 368 (temporary blocks);
- stop the run: 190 (token), 10 and 200-299 (permissions), 2655, 2663 and 200/1870090
  (Custom Audience terms), 2654, 100/1713230 (audience flagged);
- reject the request's data: any other 100, and 2650 (audience update failed).

The access token travels in the Authorization header, never in a URL, and no message
here carries a token, a payload or a full URL: only the path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from shared.errors import (
    BatchRejected,
    PermissionDenied,
    RetryLater,
    StopRun,
    Throttled,
    TokenRejected,
)

log = logging.getLogger(__name__)

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80003})
BLOCKED_CODES = frozenset({341, 368})
TRANSIENT_CODES = frozenset({1, 2, 803})
TERMS_CODES = frozenset({2655, 2663})
TERMS_SUBCODE = 1870090
FLAGGED_SUBCODE = 1713230
# 2650 subcodes Meta's guide says to retry: audience busy, generic failure.
RETRYABLE_2650 = frozenset({1870145, 1870148})
# Without `estimated_time_to_regain_access`, wait this long after a limit (seconds).
DEFAULT_THROTTLE_WAIT = 60.0
BLOCKED_WAIT = 300.0
USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Ad-Account-Usage")
# Meta's limit on rows in one /users request (graph-api.md).
MAX_USERS_PER_REQUEST = 10_000

RECONNECT = (
    "the Facebook access token was rejected (code 190): reconnect the Facebook "
    "account for this destination, then start the export again"
)


@dataclass(frozen=True)
class Usage:
    """What Meta's usage headers say: the highest percentage and any wait asked for."""

    percent: float = 0.0
    regain_seconds: float = 0.0


@dataclass(frozen=True)
class UploadResult:
    num_received: int
    num_invalid_entries: int
    usage: Usage = field(default_factory=Usage)


def appsecret_proof(token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the token keyed with the app secret, as Meta defines it."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


_sessions = threading.local()


def _session() -> requests.Session:
    """One pooled session per thread and process: connections are reused."""
    session = getattr(_sessions, "session", None)
    if session is None or getattr(_sessions, "pid", None) != os.getpid():
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment sees our calls
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        _sessions.session, _sessions.pid = session, os.getpid()
    return session


class GraphClient:
    """Calls the Graph API with one destination's token."""

    def __init__(
        self,
        base_url: str,
        version: str,
        access_token: str,
        app_secret: str | None = None,
        timeout: float = 120.0,
    ):
        self._root = f"{base_url.rstrip('/')}/{version}"
        self._token = access_token
        self._proof = appsecret_proof(access_token, app_secret) if app_secret else None
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"GraphClient({self._root!r})"

    def add_users(
        self, audience_id: str, schema: list[str], rows: list[list[str]], session: dict
    ) -> UploadResult:
        """Add up to 10,000 rows to an audience in one request."""
        if len(rows) > MAX_USERS_PER_REQUEST:
            # A bug guard: the worker splits batches; Meta would refuse the request.
            raise ValueError(
                f"add_users takes at most {MAX_USERS_PER_REQUEST:,} rows, "
                f"not {len(rows):,}"
            )
        payload = {"schema": schema, "data": rows, "is_raw": True}
        fields = {"payload": json.dumps(payload, separators=(",", ":"))}
        fields["session"] = json.dumps(session, separators=(",", ":"))
        path = f"/{audience_id}/users"
        answer, usage = self._call("POST", path, form=fields)
        return UploadResult(
            num_received=_count(answer, "num_received", path),
            num_invalid_entries=_count(answer, "num_invalid_entries", path),
            usage=usage,
        )

    def create_audience(
        self, ad_account: str, name: str, description: str, source: str
    ) -> str:
        fields = {
            "name": name,
            "description": description,
            "subtype": "CUSTOM",
            "customer_file_source": source,
        }
        answer, _ = self._call("POST", f"/{ad_account}/customaudiences", form=fields)
        return str(answer["id"])

    def audience(self, audience_id: str) -> dict:
        fields = "name,subtype,operation_status,customer_file_source"
        answer, _ = self._call("GET", f"/{audience_id}", params={"fields": fields})
        return answer

    def get(self, path: str, params: dict | None = None) -> dict:
        answer, _ = self._call("GET", path, params=params or {})
        return answer

    def _call(self, method: str, path: str, *, form=None, params=None):
        headers = {"Authorization": f"Bearer {self._token}"}
        body = None
        if form is not None:
            if self._proof:
                form = {**form, "appsecret_proof": self._proof}
            body, content_type = multipart_body(form)
            headers["Content-Type"] = content_type
        elif self._proof:
            params = {**params, "appsecret_proof": self._proof}
        try:
            response = _session().request(
                method,
                self._root + path,
                params=params,
                data=body,
                headers=headers,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise RetryLater(
                f"{method} {path}: no answer from the Graph API ({type(exc).__name__})"
            ) from None
        return _read_answer(method, path, response, self._redact)

    def _redact(self, text: str) -> str:
        """Meta's text without this client's token or proof, should it quote them."""
        for secret in (self._token, self._proof):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


def multipart_body(fields: dict[str, str]) -> tuple[bytes, str]:
    """multipart/form-data, as Meta's examples send it: no URL-encoding of payloads."""
    boundary = os.urandom(16).hex()
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n".encode())
        parts.append(value.encode())
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _read_answer(method: str, path: str, response: requests.Response, redact):
    usage = read_usage(response.headers)
    where = f"{method} {urlsplit(path).path}"
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise RetryLater(f"{where}: HTTP {response.status_code} without a JSON answer")
    error = answer.get("error")
    if error is None and response.status_code < 400:
        return answer, usage
    if not isinstance(error, dict):
        raise RetryLater(f"{where}: HTTP {response.status_code}")
    error = {**error, "message": redact(str(error.get("message", "")))}
    raise classify_error(where, response.status_code, error, usage)


def classify_error(where: str, status: int, error: dict, usage: Usage) -> Exception:
    """The product error for one of Meta's error objects."""
    code = _as_int(error.get("code"))
    subcode = _as_int(error.get("error_subcode"))
    label = f"{where}: Meta error {code}" + (f"/{subcode}" if subcode else "")
    if code in RATE_LIMIT_CODES:
        wait = usage.regain_seconds or DEFAULT_THROTTLE_WAIT
        return Throttled(f"{label} (rate limited)", wait, code)
    if code in BLOCKED_CODES:
        return Throttled(f"{label} (temporarily blocked)", BLOCKED_WAIT, code)
    if code == 190:
        return TokenRejected(f"{label}: {RECONNECT}", code)
    if code in TERMS_CODES or subcode == TERMS_SUBCODE:
        return PermissionDenied(
            f"{label}: accept the Custom Audience terms for this ad account in Meta's "
            "Ads Manager, then start the export again",
            code,
        )
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PermissionDenied(
            f"{label}: the token lacks a permission (ads_management) for this ad "
            "account or audience",
            code,
        )
    if code == 100 and subcode == FLAGGED_SUBCODE:
        return StopRun(f"{label}: Meta has blocked uploads to this audience", code)
    if code == 2650 and subcode in RETRYABLE_2650:
        return RetryLater(f"{label} (audience busy)")
    if code == 2654:
        return StopRun(f"{label}: the source audience is too small", code)
    if code in TRANSIENT_CODES or status >= 500 or error.get("is_transient"):
        return RetryLater(f"{label} (transient)")
    return BatchRejected(f"{label}: {_safe_message(error)}", code)


def _safe_message(error: dict) -> str:
    # Meta's messages describe the parameter at fault, never echo values back; cap
    # the length anyway so a surprise cannot flood the run log.
    return str(error.get("message", "request refused"))[:200]


def _count(answer: dict, key: str, path: str) -> int:
    """A count in an accepted upload's answer. The rows were taken by then, so a
    count that is not a whole number must not fail the batch: it reads as 0."""
    value = answer.get(key, 0)
    if isinstance(value, bool):
        value = None  # int(True) would be 1: not a count Meta sent
    elif isinstance(value, float) and math.isfinite(value):
        return max(int(value), 0)
    count = _as_int(value) if isinstance(value, int | str) else None
    if count is None:
        log.warning(
            "POST %s: %s in Meta's answer is not a number; read as 0", path, key
        )
        return 0
    return max(count, 0)


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def read_usage(headers) -> Usage:
    """The highest usage percentage and the longest wait in Meta's usage headers."""
    percent, regain = 0.0, 0.0
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            document = json.loads(raw)
        except ValueError:
            continue
        for entry in _usage_entries(document):
            percent = max(percent, *_percentages(entry))
            regain = max(
                regain, 60.0 * _number(entry.get("estimated_time_to_regain_access"))
            )
    return Usage(percent, regain)


def _usage_entries(document) -> list[dict]:
    if isinstance(document, dict) and all(
        isinstance(v, list) for v in document.values()
    ):
        return [
            e for entries in document.values() for e in entries if isinstance(e, dict)
        ]
    return [document] if isinstance(document, dict) else []


def _percentages(entry: dict) -> list[float]:
    keys = ("call_count", "total_cputime", "total_time", "acc_id_util_pct")
    return [0.0] + [_number(entry.get(key)) for key in keys]


def _number(value) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0
