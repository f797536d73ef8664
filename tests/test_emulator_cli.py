"""`python -m emulator`: the demo's and the benchmark's way to run the emulator."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.testing import GraphClient, sha256

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def process():
    command = [
        sys.executable,
        "-m",
        "emulator",
        "--port",
        "0",
        "--token",
        "cli-token",
        "--app-secret",
        "cli-secret",
        "--ad-account",
        "act_77",
        "--delay-seconds",
        "0",
    ]
    child = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    yield child
    if child.poll() is None:
        child.kill()
        child.wait()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_signalled_then_exits_zero(process, stop_signal):
    line = process.stdout.readline().strip()
    url = line.removeprefix("emulator listening on ")
    graph = GraphClient(url, "cli-token", "cli-secret")

    audience = graph.create_audience("act_77")
    upload = graph.upload(audience, ["EMAIL"], [[sha256("a@example.com")]])
    process.send_signal(stop_signal)
    code = process.wait(timeout=30)

    assert line.startswith("emulator listening on http://127.0.0.1:")
    assert upload.status_code == 200
    assert code == 0
    assert "cli-token" not in process.stderr.read()
