"""Starts and stops the local services of the demo, tests and benchmark, by pid.

Everything listens on 127.0.0.1 on ports chosen free at start, so two runs (a test
session and a demo) never collide.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AZURITE = ROOT / ".tools" / "node_modules" / ".bin" / "azurite"
# Azurite's well-known development account (public, documented by Microsoft).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw=="
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"process {process.pid} exited with {process.returncode}"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {seconds} s")


def stop(process: subprocess.Popen | None) -> None:
    """Stop a process started here, by its pid: SIGTERM, then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class Azurite:
    """An Azurite blob and queue service on 127.0.0.1."""

    location: Path | None = None  # None keeps data in memory
    process: subprocess.Popen | None = None
    blob_port: int = 0
    queue_port: int = 0
    _scratch: str | None = field(default=None, repr=False)

    def start(self) -> Azurite:
        if not AZURITE.exists():
            raise RuntimeError(f"{AZURITE} is missing: run `make setup` first")
        self.blob_port = self.blob_port or free_port()
        self.queue_port = self.queue_port or free_port()
        command = [
            str(AZURITE),
            "--silent",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
            "--blobHost=127.0.0.1",
            f"--blobPort={self.blob_port}",
            "--queueHost=127.0.0.1",
            f"--queuePort={self.queue_port}",
            "--tableHost=127.0.0.1",
            f"--tablePort={free_port()}",
        ]
        if self.location is None:
            command.append("--inMemoryPersistence")
            self._scratch = tempfile.mkdtemp(prefix="azurite-")
            workdir = self._scratch
        else:
            self.location.mkdir(parents=True, exist_ok=True)
            command.append(f"--location={self.location}")
            workdir = str(self.location)
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.blob_port, self.process)
        _wait_for_port(self.queue_port, self.process)
        return self

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};"
            f"AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{self.blob_port}/{ACCOUNT};"
            f"QueueEndpoint=http://127.0.0.1:{self.queue_port}/{ACCOUNT};"
        )

    def stop(self) -> None:
        stop(self.process)
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)


@dataclass
class EmulatorProcess:
    """The Graph API emulator in a process of its own (demo and benchmark)."""

    token: str
    app_secret: str | None = None
    delay_seconds: float = 0.0
    ad_account: str = "act_1000000001"
    process: subprocess.Popen | None = None
    port: int = 0

    def start(self) -> EmulatorProcess:
        self.port = self.port or free_port()
        command = [sys.executable, "-m", "emulator", "--port", str(self.port)]
        command += ["--token", self.token]
        for account in self.ad_account.split(","):
            command += ["--ad-account", account]
        command += ["--delay-seconds", str(self.delay_seconds)]
        if self.app_secret:
            command += ["--app-secret", self.app_secret]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, env={**os.environ}
        )
        _wait_for_port(self.port, self.process)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop(self.process)
