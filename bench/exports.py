"""The benchmark's services and subprocesses: Azurite, emulator, export and SDK.

Every process is started here with its pid kept and stopped in `finally` by that pid
(tools.services.stop: SIGTERM, then SIGKILL); the export's own children, forked by the
local runner, are stopped by the pids sampled for their memory if they outlive it.
Ctrl-C and SIGTERM are held while stopping, so neither cuts the clean-up short.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import procs
from bench.report import ExportOutcome, SdkOutcome
from bench.segments import Segment
from emulator.control import DEFAULT_APP_ID
from tools.services import ROOT, Azurite, EmulatorProcess, stop

# Static fakes that the emulator accepts; nothing here is a real credential.
TOKEN = "bench-token-not-a-secret"
APP_SECRET = "bench-app-secret-not-a-secret"
AD_ACCOUNT = "act_1000000001"
SEGMENTS_CONTAINER = "segments"
PROGRESS_EVERY_SECONDS = 30.0
_RUN_ID = re.compile(r"^run (\S+)  destination", re.MULTILINE)
_PROGRESS = re.compile(r"^run \S+: .*$", re.MULTILINE)


@dataclass(frozen=True)
class Options:
    processes: int
    in_flight: int | None
    timeout: float


@contextlib.contextmanager
def _uninterrupted():
    """Hold Ctrl-C and SIGTERM while stopping processes, then act on them."""
    caught = []
    previous = {
        number: signal.signal(number, lambda got, frame: caught.append(got))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if caught:
            raise KeyboardInterrupt


def in_flight_setting(given: int | None) -> int:
    from shared.settings import describe

    return given or int(describe("MAX_REQUESTS_IN_FLIGHT").default)


def runner_threads() -> int | None:
    """Invocations each runner process runs at once, as host.json sets them; None
    from a runner that has no such setting."""
    from shared.local_runner import HostQueueSettings

    host = HostQueueSettings.from_host_json(ROOT / "host.json")
    return getattr(host, "concurrency", None)


class Services:
    """Azurite on disk for one size, and a fresh emulator for each measured run."""

    def __init__(self, directory: Path, delay_seconds: float) -> None:
        self.storage_dir = directory / "azurite"
        self.logs = directory / "logs"
        self.delay_seconds = delay_seconds
        self.azurite: Azurite | None = None
        self.emulator: EmulatorProcess | None = None

    def __enter__(self) -> Services:
        shutil.rmtree(self.storage_dir, ignore_errors=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.azurite = Azurite(location=self.storage_dir)
        try:
            self.azurite.start()
        except BaseException:  # __exit__ is not called when __enter__ fails
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        with _uninterrupted():
            if self.emulator:
                self.emulator.stop()
            if self.azurite:
                self.azurite.stop()
            shutil.rmtree(self.storage_dir, ignore_errors=True)

    def fresh_emulator(self) -> EmulatorProcess:
        """A new emulator, so that each run's emulator peak memory is its own."""
        if self.emulator:
            with _uninterrupted():
                self.emulator.stop()
        self.emulator = EmulatorProcess(
            token=TOKEN,
            app_secret=APP_SECRET,
            delay_seconds=self.delay_seconds,
            ad_account=AD_ACCOUNT,
        )
        return self.emulator.start()

    def upload(self, segment: Segment) -> None:
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(
            self.azurite.connection_string
        )
        container = service.get_container_client(SEGMENTS_CONTAINER)
        if not container.exists():
            container.create_container()
        began = time.monotonic()
        with open(segment.csv, "rb") as stream:
            container.upload_blob(
                segment.blob_name, stream, overwrite=True, max_concurrency=4
            )
        seconds = time.monotonic() - began
        print(f"segment {segment.label}: uploaded to Azurite in {seconds:.1f} s")

    def environment(self, in_flight: int | None) -> dict[str, str]:
        values = json.loads((ROOT / "local.settings.sample.json").read_text())
        environment = {**_base_environment(), **values["Values"]}
        environment.update(
            AzureWebJobsStorage=self.azurite.connection_string,
            GRAPH_API_BASE_URL=self.emulator.url,
            FACEBOOK_ACCESS_TOKEN=TOKEN,
            FACEBOOK_APP_SECRET=APP_SECRET,
        )
        if in_flight:
            environment["MAX_REQUESTS_IN_FLIGHT"] = str(in_flight)
        return environment

    def trees(self) -> list[procs.Tree]:
        return [
            procs.Tree("azurite", self.azurite.process.pid),
            procs.Tree("emulator", self.emulator.process.pid),
        ]


def _base_environment() -> dict[str, str]:
    # Only 127.0.0.1 is called; a proxy from the shell must not be asked for it.
    return {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}


def destination_file(services: Services, segment: Segment, variant: str, mapping):
    name = f"bench-{segment.label.lower()}-{variant.replace(' ', '-')}"
    document = {
        "display_name": f"Benchmark {segment.label} {variant}",
        "ad_account": AD_ACCOUNT,
        "audience": {"name": f"Benchmark {segment.label} {variant}"},
        "key_identifier": "email",
        "mapping": mapping,
        "default_country": "us",
        "segments": [segment.blob_name],
        "consent": {"given_by": "bench@example.com", "given_at": "2026-12-01T09:00Z"},
        "schedule": False,
    }
    path = services.logs / f"{name}.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def export_command(destination: Path, segment: Segment, options: Options):
    return [
        sys.executable,
        "-m",
        "shared",
        "export",
        "--destination-file",
        str(destination),
        "--segment",
        segment.blob_name,
        "--processes",
        str(options.processes),
        "--timeout",
        str(options.timeout),
    ]


def _last_progress(log: Path) -> str:
    with open(log, "rb") as stream:
        stream.seek(max(0, log.stat().st_size - 8192))
        tail = stream.read().decode("utf-8", "replace")
    found = _PROGRESS.findall(tail)
    return found[-1] if found else "starting"


def _wait(process, tree: procs.Tree, log: Path, began: float) -> None:
    while True:
        try:
            process.wait(timeout=PROGRESS_EVERY_SECONDS)
            return
        except subprocess.TimeoutExpired:
            print(
                f"    ... {time.monotonic() - began:.0f} s: {_last_progress(log)}; "
                f"product peak so far {tree.peak_mib():,.0f} MB",
                flush=True,
            )


def _stop_tree(process, tree: procs.Tree) -> None:
    with _uninterrupted():
        stop(process)
        leftovers = tree.stop_leftovers()
        procs.wait_gone(leftovers)
        tree.stop_leftovers(signal.SIGKILL)


def _run_export(command, environment, logs: tuple[Path, Path], sampler):
    """(wall seconds, stdout text, product tree) of one export subprocess."""
    out_path, err_path = logs
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        began = time.monotonic()
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=out, stderr=err
        )
        tree = sampler.add(procs.Tree("product", process.pid))
        try:
            _wait(process, tree, err_path, began)
        finally:
            _stop_tree(process, tree)
        wall = time.monotonic() - began
    return wall, out_path.read_text(), tree


def _run_status(run_id: str, environment) -> dict:
    answer = subprocess.run(
        [sys.executable, "-m", "shared", "status", run_id],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(answer.stdout) if answer.returncode == 0 else {}


def _emulator_get(emulator: EmulatorProcess, path: str) -> dict:
    with requests.Session() as session:
        session.trust_env = False  # no proxy from the shell for 127.0.0.1
        answer = session.get(f"{emulator.url}{path}", timeout=300)
    return answer.json() if answer.ok else {}


def _uploads(stats: dict) -> tuple[int, int]:
    """(upload requests, those not answered 200) from the emulator's stats."""
    by_status = stats.get("by_route", {}).get("POST /{audience}/users", {})
    total = sum(by_status.values())
    return total, total - by_status.get("200", 0)


def _run_seconds(run: dict) -> float | None:
    from datetime import datetime

    if not run.get("queued_at") or not run.get("finished_at"):
        return None
    begin = datetime.fromisoformat(run["queued_at"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(run["finished_at"].replace("Z", "+00:00"))
    return (end - begin).total_seconds()


def _role(tree: procs.Tree) -> str:
    largest = tree.largest()
    if largest is None:
        return "none"
    return "runner" if largest.root else "worker"


@dataclass
class _Measured:
    """What one export subprocess cost: wall time, and CPU time by process tree."""

    wall: float
    product: procs.Tree
    azurite: procs.Tree
    emulator: procs.Tree
    azurite_before: float
    machine_busy: float

    def cpu_seconds(self) -> dict[str, float]:
        spent = {
            "runner": self.product.cpu_seconds(root=True),
            "workers": self.product.cpu_seconds(root=False),
            "Azurite": self.azurite.cpu_seconds() - self.azurite_before,
            "emulator": self.emulator.cpu_seconds(),
        }
        # Other users of the machine (and this script) slow the run down too.
        spent["rest of machine"] = max(0.0, self.machine_busy - sum(spent.values()))
        return spent


def _measure(services: Services, command, environment, logs):
    """(_Measured, the export's standard output)."""
    azurite_pid = services.azurite.process.pid
    # Azurite lives for the whole size: count only what it spends on this run.
    azurite_before = procs.cpu_ticks(azurite_pid) / procs.TICKS_PER_SECOND
    busy_before = procs.machine_busy_seconds()
    with procs.Sampler(*services.trees()) as sampler:
        wall, output, tree = _run_export(command, environment, logs, sampler)
    busy = procs.machine_busy_seconds() - busy_before
    azurite, emulator = sampler.trees[:2]
    measured = _Measured(wall, tree, azurite, emulator, azurite_before, busy)
    return measured, output


def run(services, segment: Segment, variant: str, mapping, options: Options):
    """Export the segment through `python -m shared export`; an ExportOutcome."""
    emulator = services.fresh_emulator()
    environment = services.environment(options.in_flight)
    destination = destination_file(services, segment, variant, mapping)
    stem = destination.with_suffix("")
    logs = (stem.with_suffix(".out"), stem.with_suffix(".log"))
    command = export_command(destination, segment, options)
    measured, output = _measure(services, command, environment, logs)
    found = _RUN_ID.search(output)
    run_log = _run_status(found.group(1), environment) if found else {}
    stats = _emulator_get(emulator, "/_emulator/stats")
    requests_made, failed = _uploads(stats)
    return ExportOutcome(
        size=segment.label,
        rows=segment.rows,
        variant=variant,
        wall_seconds=measured.wall,
        run_seconds=_run_seconds(run_log),
        status=run_log.get("status", "unknown (see the log)"),
        rows_sent=int(run_log.get("rows_sent", 0)),
        processes=options.processes,
        threads=runner_threads(),
        in_flight=in_flight_setting(options.in_flight),
        upload_requests=requests_made,
        failed_requests=failed,
        delay_seconds=float(stats.get("delays", {}).get("seconds", 0.0)),
        product_peak_mib=measured.product.peak_mib(),
        product_peak_role=_role(measured.product),
        azurite_peak_mib=measured.azurite.peak_mib(),
        emulator_peak_mib=measured.emulator.peak_mib(),
        cpu_seconds=measured.cpu_seconds(),
        cores=os.cpu_count() or 1,
        audience=_fingerprint(emulator, run_log.get("audience_id")),
        log=str(logs[1].relative_to(ROOT)),
    )


def _fingerprint(emulator: EmulatorProcess, audience_id: str | None) -> dict:
    if not audience_id:
        return {}
    return _emulator_get(emulator, f"/_emulator/audiences/{audience_id}/fingerprint")


def _sdk_command(emulator: EmulatorProcess, segment: Segment) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.sdk_upload",
        "--graph-url",
        emulator.url,
        "--app-id",
        DEFAULT_APP_ID,
        "--ad-account",
        AD_ACCOUNT,
        "--segment",
        str(segment.csv),
    ]


def _run_sdk(command, environment, log: Path, sampler: procs.Sampler):
    """(the SDK run's JSON line, its process tree), sampled as it runs."""
    with open(log, "wb") as err:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=err
        )
        tree = sampler.add(procs.Tree("sdk", process.pid))
        try:
            output, _ = process.communicate()
        finally:
            _stop_tree(process, tree)
    lines = output.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"the SDK upload failed: see {log}")
    return lines[-1], tree


def run_sdk(services: Services, segment: Segment, expected: dict) -> SdkOutcome:
    """The official SDK uploading the segment one call after another."""
    emulator = services.fresh_emulator()
    environment = {
        **_base_environment(),
        "BENCH_SDK_TOKEN": TOKEN,
        "BENCH_SDK_APP_SECRET": APP_SECRET,
    }
    log = services.logs / "sdk.log"
    busy_before = procs.machine_busy_seconds()
    emulator_tree = services.trees()[1]
    with procs.Sampler(emulator_tree) as sampler:
        began = time.monotonic()
        command = _sdk_command(emulator, segment)
        output, tree = _run_sdk(command, environment, log, sampler)
        wall = time.monotonic() - began
    busy = procs.machine_busy_seconds() - busy_before
    figures = json.loads(output)
    audience_id = figures.pop("audience_id")
    cpu = {"SDK": tree.cpu_seconds(), "emulator": emulator_tree.cpu_seconds()}
    cpu["rest of machine"] = max(0.0, busy - sum(cpu.values()))
    return SdkOutcome(
        peak_mib=tree.peak_mib(),
        cpu_seconds=cpu,
        wall_seconds=wall,
        audience=_fingerprint(emulator, audience_id),
        expected=expected,
        **figures,
    )


def run_normalize_bench() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.normalize_bench"], cwd=ROOT
    )
    try:
        process.wait()
    finally:
        with _uninterrupted():
            stop(process)
