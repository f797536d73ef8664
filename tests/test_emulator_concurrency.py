"""Concurrent uploads and what the emulator writes to its log."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from emulator import EmulatorServer, fingerprint, member_key
from emulator.testing import GraphClient, sha256

TOKEN = "concurrency-test-token"
SECRET = "concurrency-test-secret"
CLIENTS = 8


def test_uploads_wait_out_their_delay_side_by_side():
    # Every upload's delay waits on one barrier: it only opens if all CLIENTS
    # requests are inside their delay at once, i.e. nothing serializes them.
    barrier = threading.Barrier(CLIENTS, timeout=60)
    server = EmulatorServer(
        tokens=[TOKEN], delay_seconds=1.0, sleep=lambda _seconds: barrier.wait()
    )
    batches = [
        [[sha256(f"c{client}-{n}@example.com")] for n in range(2000)]
        for client in range(CLIENTS)
    ]
    with server:
        audience = server.create_audience("act_123", "parallel")

        def upload(rows):
            return GraphClient(server.url, TOKEN).upload(audience, ["EMAIL"], rows)

        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = [answer.status_code for answer in pool.map(upload, batches)]
        result = server.fingerprint(audience)

    expected = [member_key(["EMAIL"], row) for rows in batches for row in rows]
    assert statuses == [200] * CLIENTS
    assert not barrier.broken
    assert result == fingerprint(expected)


@pytest.fixture
def debug_log(caplog):
    caplog.set_level(logging.DEBUG, logger="emulator")
    return caplog


def test_log_holds_no_token_secret_or_payload(debug_log):
    digest = sha256("mary@example.com")
    with EmulatorServer(tokens=[TOKEN], app_secret=SECRET) as server:
        graph = GraphClient(server.url, TOKEN, SECRET)
        audience = graph.create_audience()
        graph.upload(audience, ["EMAIL"], [[digest]])
        graph.get("/debug_token", input_token=TOKEN, access_token=TOKEN)
        GraphClient(server.url, "wrong-token").get("/me/adaccounts")

    assert f"/{audience}/users" in debug_log.text
    for secret in (TOKEN, SECRET, digest, "wrong-token", "input_token"):
        assert secret not in debug_log.text
