"""The emulator served over HTTP on 127.0.0.1, in-process for tests or from the CLI.

    server = EmulatorServer(tokens=["T"], app_secret="S", ad_accounts=["act_123"])
    server.start()          # binds port 0 unless told otherwise
    requests.get(server.url + "/v26.0/me/adaccounts", headers=...)
    server.reset()          # between tests
    server.stop()

A thread per connection (ThreadingHTTPServer) with HTTP/1.1 keep-alive. Nothing is
logged but method, path and status: the request line's query may hold a token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from emulator.clock import Clock
from emulator.control import DEFAULT_APP_ID, Controls, handle_control
from emulator.core import Emulator
from emulator.reply import Reply
from emulator.state import AdAccount, Config, Token, account_number

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
MAX_BODY_BYTES = 64 * 1024 * 1024
# Requests read and processed at once (delays are waited outside the slots).
# Processing is CPU work that the GIL runs one thread at a time anyway, while each
# 10,000-row request holds about 70 MB of text and parsed rows: 2 slots and 4 gave
# the same throughput with 16 clients, and unbounded ones only add memory.
PROCESSING_SLOTS = 4


class EmulatorServer(Controls):
    """The Graph API emulator on a local port, with the test controls as methods."""

    def __init__(
        self,
        port: int = 0,
        *,
        tokens: Iterable[str] = (),
        app_id: str = DEFAULT_APP_ID,
        app_secret: str | None = None,
        ad_accounts: Iterable[str] = ("act_123",),
        delay_seconds: float = 0.0,
        dialog_mode: str = "page",
        processing_slots: int = PROCESSING_SLOTS,
        clock: Clock | None = None,
        sleep=time.sleep,
    ) -> None:
        config = Config(
            tokens=[Token(value=value, app_id=app_id) for value in tokens],
            apps={app_id: app_secret},
            ad_accounts=[AdAccount(account_number(a)) for a in ad_accounts],
            delay_seconds=delay_seconds,
            dialog_mode=dialog_mode,
        )
        self.emulator = Emulator(config, clock or Clock(), sleep)
        self._port = port
        self._slots = processing_slots
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self.url!r})"

    @property
    def port(self) -> int:
        return self._httpd.server_address[1] if self._httpd else self._port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> EmulatorServer:
        self._httpd = _HTTPServer((LOOPBACK, self._port), _Handler)
        self._httpd.emulator = self.emulator
        self._httpd.controls = self
        self._httpd.slots = threading.BoundedSemaphore(self._slots)
        self.emulator.base_url = self.url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="graph-emulator", daemon=True
        )
        self._thread.start()
        logger.info("graph emulator listening on port %s", self.port)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = None
        logger.info("graph emulator stopped")

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Hundreds of requests may be in flight from 2-16 clients at once.
    request_queue_size = 1024
    emulator: Emulator
    controls: Controls
    slots: threading.BoundedSemaphore


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GraphEmulator/1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_DELETE = do_GET

    def _serve(self) -> None:
        with self.server.slots:
            reply = self._process()
        if reply.drop:
            self.close_connection = True
            return
        self.server.emulator.pause(reply.delay)
        self._send(reply)

    def _process(self) -> Reply:
        try:
            body = self._read_body()
        except ValueError as error:
            self.close_connection = True
            return Reply(status=400, body={"error": str(error)})
        if self.path.startswith("/_emulator/"):
            return handle_control(self.server.controls, self.command, self.path, body)
        return self.server.emulator.handle(self.command, self.path, self.headers, body)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY_BYTES:
            raise ValueError("request body too large")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise ValueError("request body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, reply: Reply) -> None:
        payload = reply.payload()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if payload or reply.raw is None:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code="-", size="-") -> None:
        pass  # core.Emulator logs method, path and status; the request line may not

    def log_message(self, format, *args) -> None:
        logger.debug("emulator connection note from the HTTP server")
