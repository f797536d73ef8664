"""Peak memory of process trees, read from /proc, and stopping what the bench started.

VmHWM in /proc/<pid>/status is the kernel's high-water mark of a process's resident
set, so sampling it every 0.2 s loses nothing of a process that is still alive at the
next sample; a child that grows and exits between two samples is the one blind spot.
Children are found through /proc/<pid>/task/<tid>/children (Linux 3.5+). Each process
is remembered with its start time, so a pid the kernel reuses is never taken for it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.2
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:  # the process ended between listing and reading
        return None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3 onwards of /proc/<pid>/stat (the command name, field 2, may hold
    spaces and parentheses, so the split starts after its last ")")."""
    stat = _read(PROC / str(pid) / "stat")
    return None if stat is None else stat.rpartition(")")[2].split()


def start_time(pid: int) -> int | None:
    """Clock ticks after boot at which the process started (field 22 of stat)."""
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])


def cpu_ticks(pid: int) -> int:
    """User and system time of the process itself (fields 14 and 15 of stat)."""
    fields = _stat_fields(pid)
    return 0 if fields is None else int(fields[11]) + int(fields[12])


def machine_busy_seconds() -> float:
    """CPU time every core of the machine has spent busy since boot (/proc/stat:
    user, nice, system, irq, softirq and steal)."""
    first = (_read(PROC / "stat") or "cpu 0 0 0 0 0 0 0 0").splitlines()[0]
    ticks = [int(value) for value in first.split()[1:9]]
    busy = ticks[0] + ticks[1] + ticks[2] + sum(ticks[5:8])
    return busy / TICKS_PER_SECOND


def high_water_kib(pid: int) -> int | None:
    status = _read(PROC / str(pid) / "status")
    if status is None:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def children(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(PROC / str(pid) / "task")
    except OSError:
        return found
    for task in tasks:
        listed = _read(PROC / str(pid) / "task" / task / "children") or ""
        found += [int(child) for child in listed.split()]
    return found


def descendants(pid: int) -> list[int]:
    found, waiting = [], [pid]
    while waiting:
        for child in children(waiting.pop()):
            found.append(child)
            waiting.append(child)
    return found


@dataclass
class Tracked:
    """One process seen in a tree: its start time, highest VmHWM and CPU time."""

    pid: int
    started: int
    root: bool
    peak_kib: int = 0
    cpu_ticks: int = 0

    def alive(self) -> bool:
        return start_time(self.pid) == self.started


@dataclass
class Tree:
    """A named process tree whose processes' peaks are sampled."""

    name: str
    root_pid: int
    seen: dict[tuple[int, int], Tracked] = field(default_factory=dict)

    def sample(self) -> None:
        for pid in [self.root_pid, *descendants(self.root_pid)]:
            started = start_time(pid)
            kib = high_water_kib(pid)
            if started is None or kib is None:
                continue
            key = (pid, started)
            if key not in self.seen:
                self.seen[key] = Tracked(pid, started, pid == self.root_pid)
            tracked = self.seen[key]
            tracked.peak_kib = max(tracked.peak_kib, kib)
            tracked.cpu_ticks = max(tracked.cpu_ticks, cpu_ticks(pid))

    def largest(self) -> Tracked | None:
        return max(self.seen.values(), key=lambda t: t.peak_kib, default=None)

    def peak_mib(self) -> float:
        largest = self.largest()
        return largest.peak_kib / 1024 if largest else 0.0

    def cpu_seconds(self, root: bool | None = None) -> float:
        """CPU time of the tree's processes (only the root's, or only the others'),
        as last sampled: up to 0.2 s of a process's last moments is missed."""
        ticks = sum(
            t.cpu_ticks for t in self.seen.values() if root is None or t.root == root
        )
        return ticks / TICKS_PER_SECOND

    def stop_leftovers(self, signal_number: int = signal.SIGTERM) -> list[int]:
        """Signal each descendant still alive (the root is stopped by its owner);
        its pid and start time must match what was sampled. Returns the pids."""
        stopped = []
        for tracked in self.seen.values():
            if not tracked.root and tracked.alive():
                try:
                    os.kill(tracked.pid, signal_number)
                    stopped.append(tracked.pid)
                except ProcessLookupError:
                    pass
        return stopped


class Sampler:
    """Samples trees every 0.2 s on a thread; use as a context manager."""

    def __init__(self, *trees: Tree) -> None:
        self.trees = list(trees)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._lock = threading.Lock()

    def add(self, tree: Tree) -> Tree:
        with self._lock:
            self.trees.append(tree)
        return tree

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        with self._lock:
            trees = list(self.trees)
        for tree in trees:
            tree.sample()

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()  # last figures of the processes still alive


def wait_gone(pids: list[int], seconds: float = 10.0) -> None:
    """Wait briefly for processes that were asked to stop (they are not ours to
    reap, so only /proc tells when they are gone)."""
    deadline = time.monotonic() + seconds
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if (PROC / str(pid)).exists()]
        time.sleep(0.1)
