"""Time, in one place, so tests control it instead of sleeping through it."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)


_current = Clock()


def use(clock: Clock) -> Clock:
    """Install another clock (tests); returns the previous one."""
    global _current
    previous, _current = _current, clock
    return previous


def current() -> Clock:
    return _current


def now_iso() -> str:
    return _current.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
