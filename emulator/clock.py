"""Clocks for the emulator: real time, or time a test moves by hand.

Replace sessions expire 90 minutes after their first batch (graph-api.md), and tokens
expire at a given second: tests move a clock forward instead of waiting for that.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """Wall-clock seconds plus an offset that `advance` grows."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


class ManualClock(Clock):
    """A clock that stands still until a test advances it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        super().__init__()
        self._start = start

    def now(self) -> float:
        return self._start + self._offset
