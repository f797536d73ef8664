"""The emulator without its socket: routes a request and returns a Reply.

Every Graph call goes through the same steps: read the body, apply a pending failure
knob, apply a pending throttle, answer, then add the usage headers and count it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator import audiences, oauth, uploads
from emulator.clock import Clock
from emulator.errors import GraphError, server_error, throttled
from emulator.forms import GraphRequest, parse_body, split_target
from emulator.knobs import Failure, Knobs, Throttle
from emulator.reply import Reply
from emulator.state import Audience, Config, Registry
from emulator.stats import Stats

logger = logging.getLogger(__name__)

_HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Error</title></head>"
    b"<body><h1>Sorry, something went wrong.</h1></body></html>"
)
DEFAULT_USER_ID = "10000000000001"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    name: str
    handler: Callable[..., Reply]


def _route(method: str, pattern: str, name: str, handler) -> Route:
    return Route(method, re.compile(pattern), name, handler)


ROUTES = (
    _route("GET", r"/dialog/oauth", "/dialog/oauth", oauth.dialog),
    _route("GET", r"/oauth/access_token", "/oauth/access_token", oauth.access_token),
    _route("GET", r"/debug_token", "/debug_token", oauth.debug_token),
    _route("GET", r"/me/adaccounts", "/me/adaccounts", audiences.list_ad_accounts),
    _route(
        "GET",
        r"/act_(\d+)/customaudiences",
        "/{account}/customaudiences",
        audiences.list_audiences,
    ),
    _route(
        "POST",
        r"/act_(\d+)/customaudiences",
        "/{account}/customaudiences",
        audiences.create_audience,
    ),
    _route("GET", r"/(\d+)", "/{audience}", audiences.get_audience),
    _route("POST", r"/(\d+)/users", "/{audience}/users", uploads.post_users),
    _route("DELETE", r"/(\d+)/users", "/{audience}/users", uploads.delete_users),
    _route(
        "POST",
        r"/(\d+)/usersreplace",
        "/{audience}/usersreplace",
        uploads.replace_users,
    ),
    _route("GET", r"/(\d+)/sessions", "/{audience}/sessions", uploads.list_sessions),
)


class Emulator:
    """State and routing; `reset()` returns to the configuration it was built with."""

    def __init__(self, config: Config, clock: Clock, sleep=time.sleep) -> None:
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.base_url = ""
        self.reset()

    def reset(self) -> None:
        self.registry = Registry(self.config, self.clock)
        self.knobs = Knobs(self.clock)
        self.stats = Stats()
        self.delay_seconds = self.config.delay_seconds
        self.dialog_mode = self.config.dialog_mode
        self.user_id = DEFAULT_USER_ID

    def config_app_id(self) -> str:
        """The app that tokens belong to unless they name another."""
        return next(iter(self.config.apps), "")

    def pause(self, seconds: float) -> None:
        """Stand for Meta's processing time of one upload request."""
        if seconds > 0:
            self.stats.record_delay(seconds)
            self.sleep(seconds)

    def end_overdue_replace(self, audience: Audience) -> None:
        uploads.end_overdue_replace(audience, self.clock.now())

    def handle(self, method: str, target: str, headers, body: bytes) -> Reply:
        versioned, path, query = split_target(target)
        route, groups = _match(method, path)
        failure = self.knobs.take_failure(path)
        reply = None
        if failure is None or failure.apply_first:
            request = GraphRequest(
                method,
                path,
                query,
                authorization=headers.get("Authorization", ""),
                versioned_path=versioned,
            )
            reply = self._answer(route, groups, request, headers, body)
        if failure is not None:
            reply = _failure_reply(failure)
            reply.headers.update(
                self.knobs.usage_headers(self._default_account(), None)
            )
        self._record(method, path, route, reply)
        return reply

    def _answer(self, route, groups, request, headers, body) -> Reply:
        throttle = None
        account_id = None
        try:
            request.form = parse_body(headers.get("Content-Type", ""), body)
            throttle = self.knobs.take_throttle(request.path)
            self.knobs.count_call()
            if throttle is not None:
                raise throttled(throttle.code)
            if route is None:
                raise _unknown_path()
            reply = route.handler(self, request, *groups)
            account_id = reply.account_id
        except GraphError as error:
            reply = Reply(status=error.status, body=error.body())
        except Exception as error:  # a bug in the emulator: log it, answer code 1
            reply = _unexpected(request, error)
        account_id = account_id or self._default_account()
        reply.headers.update(self.knobs.usage_headers(account_id, throttle))
        return reply

    def _default_account(self) -> str:
        accounts = self.registry.account_list()
        return accounts[0].account_id if accounts else "0"

    def _record(self, method: str, path: str, route, reply: Reply) -> None:
        code = None
        if isinstance(reply.body, dict) and "error" in reply.body:
            code = reply.body["error"].get("code")
        status = 0 if reply.drop else reply.status
        call = {
            "method": method,
            "path": path,
            "route": route.name if route else path,
            "status": status,
            "code": code,
            "at": self.clock.now(),
        }
        self.stats.record(call)
        logger.debug("graph call %s %s answered %s", method, path, status)


def _match(method: str, path: str) -> tuple[Route | None, tuple]:
    for route in ROUTES:
        if route.method != method:
            continue
        match = route.pattern.fullmatch(path)
        if match:
            return route, match.groups()
    return None, ()


def _unexpected(request: GraphRequest, error: Exception) -> Reply:
    # The type only: an exception's text may quote a value from the request.
    logger.error(
        "emulator failed on %s %s: %s",
        request.method,
        request.path,
        type(error).__name__,
    )
    unknown = GraphError(1, "An unknown error occurred.", status=500)
    return Reply(status=500, body=unknown.body())


def _unknown_path() -> GraphError:
    return GraphError(2500, "Unknown path components or unsupported method")


def _failure_reply(failure: Failure) -> Reply:
    if failure.mode == "drop":
        return Reply(status=0, drop=True)
    if failure.mode == "html":
        html = "text/html; charset=utf-8"
        return Reply(status=failure.status, raw=_HTML_ERROR, content_type=html)
    if failure.mode == "empty":
        return Reply(status=failure.status, raw=b"")
    error = server_error(failure.status)
    return Reply(status=failure.status, body=error.body())


__all__ = ["Emulator", "Failure", "Throttle", "ROUTES"]
