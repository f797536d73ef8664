"""Runs the queue-triggered functions outside the Functions host.

It does what the host does with storage queues, as host.json configures it: takes
messages with a visibility timeout, hands each to its function as an
`azure.functions.QueueMessage` with its dequeue count, deletes it on success, makes it
visible again after `visibilityTimeout` on failure, and moves it to `<queue>-poison`
once it has failed `maxDequeueCount` times. Functions run in a pool of processes (one
per core by default) or, with `processes=0`, inline in this process (tests).
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import logging
import multiprocessing
import os
import re
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
_SETTING_REFERENCE = re.compile(r"%([A-Za-z0-9_]+)%")


@dataclass(frozen=True)
class HostQueueSettings:
    max_dequeue_count: int = 5
    visibility_timeout: int = 0

    @classmethod
    def from_host_json(cls, path: Path) -> HostQueueSettings:
        queues = json.loads(path.read_text()).get("extensions", {}).get("queues", {})
        return cls(
            max_dequeue_count=int(queues.get("maxDequeueCount", 5)),
            visibility_timeout=_seconds(queues.get("visibilityTimeout", "00:00:00")),
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


def invoke(function_name: str, message_id: str, body: str, dequeue_count: int):
    """Call one queue function; returns an error text instead of raising, so the
    outcome crosses the process boundary whatever the exception was."""
    import function_app

    message = QueueMessage(
        id=message_id, body=body.encode(), dequeue_count=dequeue_count
    )
    try:
        _user_function(function_app.app, function_name)(message)
    except Exception as exc:  # the host too catches every failure of a function
        log.debug("function %s failed: %s", function_name, traceback.format_exc())
        return f"{type(exc).__name__}: {exc}"
    return None


def _child_start() -> None:
    storage.reset_clients()  # sockets opened before the fork belong to the parent


class LocalRunner:
    def __init__(
        self,
        app: func.FunctionApp,
        settings: Settings,
        *,
        processes: int | None = None,
        host: HostQueueSettings | None = None,
    ):
        self.settings = settings
        self.routes = queue_functions(app, settings)
        self.host = host or HostQueueSettings.from_host_json(Path("host.json"))
        self.processes = (os.cpu_count() or 1) if processes is None else processes
        self.failures: list[str] = []

    def run(self, until: Callable[[], bool], timeout: float | None = None) -> bool:
        """Deliver messages until `until()` holds (True) or the timeout passes."""
        storage.prepare(self.settings)
        deadline = None if timeout is None else time.monotonic() + timeout
        pool = self._pool()
        try:
            return self._loop(pool, until, deadline)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)

    def _pool(self):
        if self.processes == 0:
            return None
        context = multiprocessing.get_context("fork")
        return futures.ProcessPoolExecutor(
            self.processes, mp_context=context, initializer=_child_start
        )

    def _loop(self, pool, until, deadline) -> bool:
        pending: dict = {}
        capacity = max(1, self.processes * 2)
        while True:
            if not pending and until():
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            taken = self._take(pool, pending, capacity - len(pending))
            if pending:
                done, _ = futures.wait(
                    list(pending), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED"
                )
                for future in done:
                    self._settle(*pending.pop(future), future.result())
            elif not taken:
                time.sleep(POLL_SECONDS)

    def _take(self, pool, pending: dict, room: int) -> int:
        taken = 0
        for queue_name, function_name in self.routes.items():
            if room - taken <= 0:
                break
            queue = storage.queue(queue_name)
            messages = queue.receive_messages(
                max_messages=min(32, room - taken),
                visibility_timeout=PROCESSING_VISIBILITY_SECONDS,
            )
            for message in messages:
                args = (
                    function_name,
                    message.id,
                    message.content,
                    message.dequeue_count,
                )
                if pool is None:
                    future = futures.Future()
                    future.set_result(invoke(*args))
                else:
                    future = pool.submit(invoke, *args)
                pending[future] = (queue, message)
                taken += 1
        return taken

    def _settle(self, queue, message, error: str | None) -> None:
        if error is None:
            queue.delete_message(message)
            return
        self.failures.append(error)
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
