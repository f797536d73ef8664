"""Helpers for tests that run whole exports: time, destination, segment, run, audience.

An end-to-end test arranges a destination and a segment in Azurite, starts a run as
the HTTP function does, lets the local runner deliver the queue messages inline (one
at a time, in this process) and then checks the run log and the emulator's audience
against the sample generator's expected file. Time is a `FakeClock`: the product's
waits advance it at once, so nothing sleeps through a backoff or a rate limit.

    with fake_time():
        save_destination(env, SEGMENT)
        expected = upload_sample(env, tmp_path, SEGMENT, rows=2_000)
        run_id = start_run(env, SEGMENT)
        run_until_ended(env, run_id)
        assert audience_matches(emulator, env, run_id, expected)

The module holds no tests itself; the helpers are shared by the fault tests and any
other end-to-end test.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from conftest import AD_ACCOUNT

from emulator import clock as emulator_clock
from shared import clock, destinations, exports, runs, storage
from shared.local_runner import HostQueueSettings, LocalRunner
from shared.settings import Settings
from tools.audience_check import expected_fingerprint
from tools.sample_segment import write_segment

DESTINATION_ID = "fault-tests"
# The keys of the benchmark destination: hashed identifiers and address.
MAPPING = {
    "EMAIL": "EMail",
    "PHONE": "Telephone",
    "FN": "FirstName",
    "LN": "LastName",
    "CT": "City",
    "ST": "State",
    "ZIP": "PostCode",
    "COUNTRY": "Country",
}
KEY_IDENTIFIER = "email"
# Generous for a few thousand rows inline; a run that needs longer is stuck.
RUN_TIMEOUT_SECONDS = 120
# The host's queue behaviour in tests: a failed message comes back at once.
QUICK_HOST = HostQueueSettings(max_dequeue_count=5, visibility_timeout=0)


class FakeClock(clock.Clock):
    """Time that moves only when the product sleeps, and at once: the waits asked
    for are recorded in `slept`, never spent."""

    def __init__(self, start: float | None = None):
        self.now_seconds = time.time() if start is None else start
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now_seconds

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.slept.append(seconds)
            self.now_seconds += seconds


@contextlib.contextmanager
def fake_time(start: float | None = None) -> Iterator[FakeClock]:
    """Install a FakeClock as the product's clock for the block."""
    fake = FakeClock(start)
    previous = clock.use(fake)
    try:
        yield fake
    finally:
        clock.use(previous)


class _ProductTime(emulator_clock.Clock):
    """The emulator's clock read from the product's, so the times of the calls in
    its stats are on the same (fake) time line as the product's waits."""

    def now(self) -> float:
        return clock.current().time()


@contextlib.contextmanager
def emulator_on_product_time(server) -> Iterator[None]:
    """Stamp the emulator's calls with the product's clock for the block; its
    configuration (tokens, ad accounts) is kept, its audiences and stats reset."""
    original = server.emulator.clock
    server.emulator.clock = _ProductTime()
    server.reset()
    try:
        yield
    finally:
        server.emulator.clock = original
        server.reset()


def save_destination(
    settings: Settings,
    segment: str,
    *,
    destination_id: str = DESTINATION_ID,
    mapping: dict[str, str] | None = None,
) -> destinations.Destination:
    document = {
        "display_name": "Fault tests",
        "ad_account": AD_ACCOUNT,
        "audience": {"name": "Fault tests audience"},
        "key_identifier": KEY_IDENTIFIER,
        "mapping": dict(mapping or MAPPING),
        "default_country": "us",
        "segments": [segment],
        "consent": {"given_by": "tests@example.com", "given_at": "2026-12-01T09:00Z"},
    }
    destination = destinations.parse(destination_id, document)
    destinations.save(settings, destination)
    return destination


def write_sample(
    folder: Path, rows: int, *, fmt: str = "csv", gzipped: bool = False, seed: int = 5
) -> tuple[Path, Path]:
    """A sample segment file and the generator's expected file for it."""
    suffix = ".csv" if fmt == "csv" else ".jsonl"
    segment = folder / f"segment-{seed}{suffix}"
    expected = folder / f"expected-{seed}.csv"
    write_segment(segment, rows, seed=seed, fmt=fmt, expected_path=expected, workers=1)
    if gzipped:
        packed = segment.with_name(segment.name + ".gz")
        with open(segment, "rb") as source, gzip.open(packed, "wb") as target:
            shutil.copyfileobj(source, target)
        segment = packed
    return segment, expected


def upload_segment(settings: Settings, name: str, data: bytes | Path) -> None:
    container = storage.container(settings["SEGMENTS_CONTAINER"])
    body = data.read_bytes() if isinstance(data, Path) else data
    container.upload_blob(name, body, overwrite=True)


def upload_sample(
    settings: Settings, folder: Path, name: str, rows: int, **options
) -> Path:
    """Write a sample segment, upload it as `name`; returns its expected file."""
    segment, expected = write_sample(folder, rows, **options)
    upload_segment(settings, name, segment)
    return expected


def segment_blobs(settings: Settings) -> list[str]:
    container = storage.container(settings["SEGMENTS_CONTAINER"])
    return sorted(container.list_blob_names())


def start_run(
    settings: Settings, segment: str, destination_id: str = DESTINATION_ID
) -> str:
    """Start a run as the HTTP function does; returns its id."""
    (started,) = exports.start_exports(settings, destination_id, [segment], "http")
    return started["run_id"]


def runner(settings: Settings, host: HostQueueSettings | None = None) -> LocalRunner:
    import function_app

    return LocalRunner(function_app.app, settings, processes=0, host=host or QUICK_HOST)


def run_until(
    settings: Settings,
    until: Callable[[], bool],
    *,
    host: HostQueueSettings | None = None,
) -> LocalRunner:
    """Deliver messages inline, one at a time, until `until()` holds."""
    local = runner(settings, host)
    assert local.run(until, timeout=RUN_TIMEOUT_SECONDS), "the runner timed out"
    return local


def run_ended(settings: Settings, run_id: str) -> Callable[[], bool]:
    def ended() -> bool:
        run = runs.read(settings, run_id) or {}
        return run.get("status") in runs.TERMINAL

    return ended


def run_until_ended(
    settings: Settings, run_id: str, *, host: HostQueueSettings | None = None
) -> LocalRunner:
    return run_until(settings, run_ended(settings, run_id), host=host)


def batches_recorded(settings: Settings, run_id: str, count: int):
    return lambda: runs.count_outcomes(settings, run_id) >= count


def run_planned(settings: Settings, run_id: str) -> Callable[[], bool]:
    def planned() -> bool:
        run = runs.read(settings, run_id) or {}
        return run.get("batches_total") is not None or run.get("status") == "failed"

    return planned


def queue_idle(name: str) -> Callable[[], bool]:
    """True once the queue holds no message at all, visible or not."""
    queue = storage.queue(name)
    return lambda: queue.get_queue_properties().approximate_message_count == 0


def status(settings: Settings, run_id: str) -> dict:
    """The run log as the status API shows it."""
    return exports.status(settings, run_id)


def expected_members(expected: Path) -> dict:
    return expected_fingerprint(expected, MAPPING, KEY_IDENTIFIER)


def audience_fingerprint(server, settings: Settings, run_id: str) -> dict:
    audience_id = runs.read(settings, run_id)["audience_id"]
    return server.fingerprint(audience_id)


def upload_calls(server) -> list[dict]:
    """The emulator's recent POST /{audience}/users calls, oldest first."""
    recent = server.stats()["recent"]
    return [
        c for c in recent if c["method"] == "POST" and c["route"] == "/{audience}/users"
    ]


def batch_statuses(settings: Settings, run_id: str) -> dict[int, str]:
    return {o["seq"]: o["status"] for o in runs.outcomes(settings, run_id)}
