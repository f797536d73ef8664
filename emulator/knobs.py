"""Failure knobs for tests: throttle or break the next N Graph calls, and usage headers.

Meta sends throttling with HTTP 400 and codes 4, 17, 32, 613 or 80003, and reports its
quota use in `X-App-Usage`, `X-Ad-Account-Usage` and `X-Business-Use-Case-Usage`
(graph-api.md, "Errors and throttling"). The business use case header is keyed here by
the ad account id, as the emulator has no businesses.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

THROTTLE_CODES = frozenset({4, 17, 32, 613, 80003})
FAILURE_MODES = {"5xx": 500, "html": 502, "empty": 200, "drop": 0}
# Development tier: 5,000 custom-audience calls an hour (graph-api.md).
DEFAULT_HOURLY_QUOTA = 5000
_HOUR = 3600


@dataclass
class Throttle:
    remaining: int
    code: int = 17
    regain_minutes: int = 1
    path_contains: str | None = None


@dataclass
class Failure:
    """`mode`: 5xx (JSON error), html (an HTML page), empty (no body), drop (close
    the connection unanswered). With `apply_first` the call takes effect and only
    its answer is lost."""

    remaining: int
    mode: str = "5xx"
    status: int = 500
    path_contains: str | None = None
    apply_first: bool = False


class Knobs:
    """Pending throttles and failures, and the hour's call count for usage headers."""

    def __init__(self, clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._throttles: list[Throttle] = []
        self._failures: list[Failure] = []
        self._usage_override: dict[str, int] = {}
        self._hourly_quota = DEFAULT_HOURLY_QUOTA
        self._window_start = clock.now()
        self._calls = 0

    def add_throttle(self, throttle: Throttle) -> None:
        if throttle.code not in THROTTLE_CODES:
            raise ValueError(f"throttle code must be one of {sorted(THROTTLE_CODES)}")
        with self._lock:
            self._throttles.append(throttle)

    def add_failure(self, failure: Failure) -> None:
        if failure.mode not in FAILURE_MODES:
            raise ValueError(f"failure mode must be one of {sorted(FAILURE_MODES)}")
        with self._lock:
            self._failures.append(failure)

    def set_usage(self, percentages: dict[str, int], hourly_quota: int | None) -> None:
        with self._lock:
            self._usage_override = dict(percentages)
            if hourly_quota:
                self._hourly_quota = hourly_quota

    def take_throttle(self, path: str) -> Throttle | None:
        with self._lock:
            return _take(self._throttles, path)

    def take_failure(self, path: str) -> Failure | None:
        with self._lock:
            return _take(self._failures, path)

    def count_call(self) -> None:
        with self._lock:
            now = self._clock.now()
            if now - self._window_start >= _HOUR:
                self._window_start, self._calls = now, 0
            self._calls += 1

    def usage_headers(self, account_id: str, throttle: Throttle | None) -> dict:
        with self._lock:
            percent = min(100, self._calls * 100 // self._hourly_quota)
            reset_seconds = int(_HOUR - (self._clock.now() - self._window_start))
            usage = {
                "call_count": percent,
                "total_cputime": percent,
                "total_time": percent,
                **self._usage_override,
            }
        regain = 0
        if throttle is not None:
            usage = dict.fromkeys(usage, 100)
            regain = throttle.regain_minutes
        return _headers(account_id, usage, regain, max(reset_seconds, 0))


def _take(knobs: list, path: str):
    for knob in knobs:
        if knob.path_contains is None or knob.path_contains in path:
            knob.remaining -= 1
            if knob.remaining <= 0:
                knobs.remove(knob)
            return knob
    return None


def _headers(account_id: str, usage: dict, regain: int, reset_seconds: int) -> dict:
    case = {"type": "custom_audience", **usage}
    case["estimated_time_to_regain_access"] = regain
    account = {
        "acc_id_util_pct": usage["call_count"],
        "reset_time_duration": reset_seconds,
        "ads_api_access_tier": "development_access",
    }
    return {
        "X-App-Usage": json.dumps(usage),
        "X-Ad-Account-Usage": json.dumps(account),
        "X-Business-Use-Case-Usage": json.dumps({account_id: [case]}),
    }
