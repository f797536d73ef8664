"""Runs the queue-triggered functions outside the Functions host.

It does what the host does with storage queues, as host.json configures it: takes
messages with a visibility timeout, hands each to its function as an
`azure.functions.QueueMessage` with its dequeue count, deletes it on success, makes it
visible again after `visibilityTimeout` on failure, and moves it to `<queue>-poison`
once it has failed `maxDequeueCount` times. Like a host instance, each worker process
runs up to `batchSize + newBatchThreshold` invocations at once, on threads; there is
one process per core by default. With `processes=0` everything runs inline in the
calling thread, one message at a time (tests).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import azure.functions as func
from azure.functions.queue import QueueMessage

from shared import storage
from shared.settings import Settings

log = logging.getLogger(__name__)

# How long a taken message stays hidden from other consumers while it is processed.
PROCESSING_VISIBILITY_SECONDS = 600
POLL_SECONDS = 0.2
STOP_GRACE_SECONDS = 60
_SETTING_REFERENCE = re.compile(r"%([A-Za-z0-9_]+)%")


@dataclass(frozen=True)
class HostQueueSettings:
    max_dequeue_count: int = 5
    visibility_timeout: int = 0
    concurrency: int = 6  # batchSize + newBatchThreshold

    @classmethod
    def from_host_json(cls, path: Path) -> HostQueueSettings:
        queues = json.loads(path.read_text()).get("extensions", {}).get("queues", {})
        batch = int(queues.get("batchSize", 16))
        return cls(
            max_dequeue_count=int(queues.get("maxDequeueCount", 5)),
            visibility_timeout=_seconds(queues.get("visibilityTimeout", "00:00:00")),
            concurrency=batch + int(queues.get("newBatchThreshold", batch // 2)),
        )


def _seconds(span: str) -> int:
    hours, minutes, seconds = (float(part) for part in span.split(":"))
    return int(hours * 3600 + minutes * 60 + seconds)


_indexed: dict[int, list] = {}


def _functions(app: func.FunctionApp) -> list:
    # The app indexes its functions once: a second get_functions() call refuses the
    # names it has already seen.
    if id(app) not in _indexed:
        _indexed[id(app)] = app.get_functions()
    return _indexed[id(app)]


def queue_functions(app: func.FunctionApp, settings: Settings) -> dict[str, str]:
    """Queue name -> function name, with `%SETTING%` references resolved."""
    found = {}
    for function in _functions(app):
        trigger = function.get_trigger()
        if type(trigger).__name__ != "QueueTrigger":
            continue
        name = _SETTING_REFERENCE.sub(
            lambda m: settings[m.group(1)], trigger.queue_name
        )
        found[name] = function.get_function_name()
    return found


def _user_function(app: func.FunctionApp, name: str):
    for function in _functions(app):
        if function.get_function_name() == name:
            return function.get_user_function()
    raise KeyError(name)


def invoke(app, function_name: str, message_id: str, body: str, dequeue_count: int):
    """Call one queue function; the error text, or None when it succeeded."""
    message = QueueMessage(
        id=message_id, body=body.encode(), dequeue_count=dequeue_count
    )
    try:
        _user_function(app, function_name)(message)
    except Exception as exc:  # the host too catches every failure of a function
        log.debug("function %s failed: %s", function_name, traceback.format_exc())
        return f"{type(exc).__name__}: {exc}"
    return None


class _Consumer:
    """Takes messages from the app's queues and settles them as the host does."""

    def __init__(self, app, routes: dict[str, str], host: HostQueueSettings):
        self.app = app
        self.routes = routes
        self.host = host

    def take_one(self) -> bool:
        """Process at most one message from the first queue that has one."""
        for queue_name, function_name in self.routes.items():
            queue = storage.queue(queue_name)
            messages = queue.receive_messages(
                max_messages=1, visibility_timeout=PROCESSING_VISIBILITY_SECONDS
            )
            for message in messages:
                error = invoke(
                    self.app,
                    function_name,
                    message.id,
                    message.content,
                    message.dequeue_count,
                )
                self.settle(queue, message, error)
                return True
        return False

    def settle(self, queue, message, error: str | None) -> None:
        if error is None:
            queue.delete_message(message)
            return
        log.warning(
            "message %s on %s failed (delivery %s): %s",
            message.id,
            queue.queue_name,
            message.dequeue_count,
            error,
        )
        if message.dequeue_count >= self.host.max_dequeue_count:
            poison = storage.queue(queue.queue_name + "-poison")
            poison.send_message(message.content)
            queue.delete_message(message)
            log.error("message %s moved to %s-poison", message.id, queue.queue_name)
            return
        queue.update_message(message, visibility_timeout=self.host.visibility_timeout)


def _take_safely(consumer: _Consumer) -> bool:
    try:
        return consumer.take_one()
    except Exception:  # a storage hiccup: the message becomes visible again by itself
        log.exception("taking a message failed")
        return False


def _serve(routes, host: HostQueueSettings, stop) -> None:
    """A worker process: `host.concurrency` threads consuming until told to stop."""
    import function_app

    storage.reset_clients()  # sockets opened before the fork belong to the parent
    consumer = _Consumer(function_app.app, routes, host)

    def loop() -> None:
        while not stop.is_set():
            if not _take_safely(consumer):
                stop.wait(POLL_SECONDS)

    threads = [threading.Thread(target=loop) for _ in range(host.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class LocalRunner:
    def __init__(
        self,
        app: func.FunctionApp,
        settings: Settings,
        *,
        processes: int | None = None,
        host: HostQueueSettings | None = None,
    ):
        self.app = app
        self.settings = settings
        self.routes = queue_functions(app, settings)
        self.host = host or HostQueueSettings.from_host_json(Path("host.json"))
        self.processes = (os.cpu_count() or 1) if processes is None else processes

    def run(self, until: Callable[[], bool], timeout: float | None = None) -> bool:
        """Deliver messages until `until()` holds (True) or the timeout passes."""
        storage.prepare(self.settings)
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.processes == 0:
            return self._run_inline(until, deadline)
        return self._run_pool(until, deadline)

    def _run_inline(self, until, deadline) -> bool:
        consumer = _Consumer(self.app, self.routes, self.host)
        while not until():
            if deadline is not None and time.monotonic() > deadline:
                return False
            if not _take_safely(consumer):
                time.sleep(POLL_SECONDS)
        return True

    def _run_pool(self, until, deadline) -> bool:
        context = multiprocessing.get_context("fork")
        stop = context.Event()
        workers = [
            context.Process(target=_serve, args=(self.routes, self.host, stop))
            for _ in range(self.processes)
        ]
        for worker in workers:
            worker.start()
        try:
            while not until():
                if deadline is not None and time.monotonic() > deadline:
                    return False
                time.sleep(POLL_SECONDS * 2)
            return True
        finally:
            stop.set()
            for worker in workers:
                worker.join(STOP_GRACE_SECONDS)
                if worker.is_alive():
                    worker.terminate()
                    worker.join()
