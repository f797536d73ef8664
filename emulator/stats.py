"""Counts of the Graph calls the emulator answered, for tests to assert on.

`by_path` keys are `METHOD /path` without the version prefix; `by_route` uses the route
template (`POST /{audience}/users`) so a test need not know ids. `recent` keeps the
last calls with their clock time and error code, so a test can check that a client
waited as long as it was told before calling again.
"""

from __future__ import annotations

import threading
from collections import Counter, deque

_RECENT = 10_000


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._by_path: Counter = Counter()
            self._by_route: Counter = Counter()
            self._by_code: Counter = Counter()
            self._recent: deque = deque(maxlen=_RECENT)
            self._delays = 0
            self._delay_seconds = 0.0
            self._total = 0

    def record(self, call: dict) -> None:
        with self._lock:
            self._total += 1
            self._by_path[(f"{call['method']} {call['path']}", call["status"])] += 1
            self._by_route[(f"{call['method']} {call['route']}", call["status"])] += 1
            if call.get("code") is not None:
                self._by_code[call["code"]] += 1
            self._recent.append(call)

    def record_delay(self, seconds: float) -> None:
        with self._lock:
            self._delays += 1
            self._delay_seconds += seconds

    def view(self) -> dict:
        with self._lock:
            return {
                "total": self._total,
                "by_path": _nest(self._by_path),
                "by_route": _nest(self._by_route),
                "by_code": {str(code): n for code, n in self._by_code.items()},
                "delays": {"count": self._delays, "seconds": self._delay_seconds},
                "recent": list(self._recent),
            }


def _nest(counter: Counter) -> dict:
    nested: dict[str, dict[str, int]] = {}
    for (name, status), count in sorted(counter.items()):
        nested.setdefault(name, {})[str(status)] = count
    return nested
