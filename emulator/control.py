"""Test controls: the Python methods of EmulatorServer and their HTTP form.

`POST /_emulator/control` takes `{"action": NAME, ...arguments}` or
`{"actions": [...]}`, where NAME is one of `ACTIONS` and the arguments are those of the
method of that name. Reads: `GET /_emulator/stats`,
`GET /_emulator/audiences/{id}/fingerprint` and `.../members?limit=N`.
"""

from __future__ import annotations

import json
import re

from emulator import uploads
from emulator.core import Emulator
from emulator.errors import GraphError
from emulator.forms import split_target
from emulator.knobs import FAILURE_MODES, Failure, Throttle
from emulator.oauth import DIALOG_MODES
from emulator.reply import Reply
from emulator.state import FILE_SOURCES, AdAccount, Token, account_number

DEFAULT_APP_ID = "100000000000001"
MAX_MEMBER_LISTING = 100_000
ACTIONS = frozenset(
    {
        "configure",
        "register_token",
        "register_app",
        "add_ad_account",
        "set_terms_accepted",
        "set_delay",
        "throttle",
        "fail",
        "expire_token",
        "flag_audience",
        "fail_replace",
        "delete_audience",
        "create_audience",
        "set_usage",
        "set_dialog",
        "advance_clock",
        "reset_stats",
        "reset",
    }
)
_AUDIENCE_READ = re.compile(r"/_emulator/audiences/(\d+)/(fingerprint|members)")


class Controls:
    """Methods to arrange a test's world; each is also an HTTP control action."""

    emulator: Emulator

    def configure(
        self,
        app_id: str | None = None,
        app_secret: str | None = None,
        tokens: list[dict] | None = None,
        ad_accounts: list[dict] | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        """Replace the given parts of the start configuration, then `reset()`.

        Tokens are dicts with `value` and optionally `app_id`, `user_id`, `scopes`,
        `expires_at`, `type`; ad accounts are dicts with `id` (`act_123` or `123`)
        and optionally `name`, `tos_accepted`. Everything else made since is gone.
        """
        config = self.emulator.config
        if app_id is not None:
            config.apps = {app_id: app_secret}
        elif app_secret is not None:
            config.apps = dict.fromkeys(
                config.apps or {DEFAULT_APP_ID: None}, app_secret
            )
        if tokens is not None:
            default_app = next(iter(config.apps), DEFAULT_APP_ID)
            config.tokens = [_token_from(spec, default_app) for spec in tokens]
        if ad_accounts is not None:
            config.ad_accounts = [_account_from(spec) for spec in ad_accounts]
        if delay_seconds is not None:
            config.delay_seconds = float(delay_seconds)
        self.emulator.reset()

    def register_token(
        self,
        value: str,
        app_id: str | None = None,
        user_id: str | None = None,
        scopes: list[str] | tuple[str, ...] = ("ads_management",),
        expires_at: int = 0,
        type: str = "USER",
    ) -> None:
        token = Token(
            value=value,
            app_id=app_id or self.emulator.config_app_id(),
            user_id=user_id or self.emulator.user_id,
            scopes=list(scopes),
            expires_at=int(expires_at),
            type=type,
        )
        self.emulator.registry.add_token(token)

    def register_app(self, app_id: str, app_secret: str | None = None) -> None:
        self.emulator.registry.apps[app_id] = app_secret

    def add_ad_account(
        self,
        account_id: str,
        name: str = "Emulated ad account",
        tos_accepted: bool = True,
    ) -> None:
        account = AdAccount(account_number(account_id), name, tos_accepted)
        self.emulator.registry.add_account(account)

    def set_terms_accepted(self, account_id: str, accepted: bool) -> None:
        self.emulator.registry.account(account_id).tos_accepted = accepted

    def set_delay(self, seconds: float) -> None:
        """Sleep this long in every accepted /users or /usersreplace request (a fixed
        time per request, whatever its row count)."""
        self.emulator.delay_seconds = float(seconds)

    def throttle(
        self,
        count: int = 1,
        code: int = 17,
        regain_minutes: int = 1,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next `count` Graph calls (matching the path filter) with a
        rate-limit error and usage headers at 100%."""
        knob = Throttle(count, code, regain_minutes, path_contains)
        self.emulator.knobs.add_throttle(knob)

    def fail(
        self,
        count: int = 1,
        mode: str = "5xx",
        status: int | None = None,
        path_contains: str | None = None,
        apply_first: bool = False,
    ) -> None:
        """Break the next `count` Graph calls: see `knobs.Failure` for the modes."""
        if mode not in FAILURE_MODES:
            raise ValueError(f"mode must be one of {sorted(FAILURE_MODES)}")
        status = status if status is not None else FAILURE_MODES[mode]
        knob = Failure(count, mode, status, path_contains, apply_first)
        self.emulator.knobs.add_failure(knob)

    def expire_token(self, value: str) -> None:
        token = self.emulator.registry.token(value)
        if token is None:
            raise ValueError("unknown token")
        token.revoked = True

    def flag_audience(self, audience_id: str, flagged: bool = True) -> None:
        self.emulator.registry.audience(audience_id).flagged = flagged

    def fail_replace(self, audience_id: str) -> None:
        audience = self.emulator.registry.audience(audience_id)
        with audience.lock:
            uploads.fail_replace(audience, self.emulator.clock.now())

    def delete_audience(self, audience_id: str) -> None:
        self.emulator.registry.delete_audience(audience_id)

    def create_audience(
        self,
        account_id: str,
        name: str,
        description: str = "",
        customer_file_source: str = "USER_PROVIDED_ONLY",
    ) -> str:
        if customer_file_source not in FILE_SOURCES:
            raise ValueError("unknown customer_file_source")
        account = self.emulator.registry.account(account_id)
        fields = {
            "name": name,
            "description": description,
            "customer_file_source": customer_file_source,
        }
        return self.emulator.registry.create_audience(account, fields).audience_id

    def set_usage(
        self,
        call_count: int | None = None,
        total_cputime: int | None = None,
        total_time: int | None = None,
        hourly_quota: int | None = None,
    ) -> None:
        """Force usage percentages in the headers (None: computed from the calls)."""
        given = {
            "call_count": call_count,
            "total_cputime": total_cputime,
            "total_time": total_time,
        }
        forced = {name: value for name, value in given.items() if value is not None}
        self.emulator.knobs.set_usage(forced, hourly_quota)

    def set_dialog(self, mode: str) -> None:
        if mode not in DIALOG_MODES:
            raise ValueError(f"dialog mode must be one of {DIALOG_MODES}")
        self.emulator.dialog_mode = mode

    def advance_clock(self, seconds: float) -> None:
        self.emulator.clock.advance(float(seconds))

    def members(self, audience_id: str, limit: int = 1000) -> list[int]:
        """The smallest `limit` member keys of an audience, ascending."""
        audience = self.emulator.registry.audience(audience_id)
        with audience.lock:
            return audience.members.first(limit)

    def fingerprint(self, audience_id: str) -> dict:
        audience = self.emulator.registry.audience(audience_id)
        with audience.lock:
            return audience.members.fingerprint()

    def stats(self) -> dict:
        return self.emulator.stats.view()

    def reset_stats(self) -> None:
        self.emulator.stats.reset()

    def reset(self) -> None:
        """Forget audiences, knobs, issued tokens and stats; keep the start config."""
        self.emulator.reset()


def _token_from(spec: dict, default_app: str) -> Token:
    spec = dict(spec)
    spec.setdefault("app_id", default_app)
    spec["scopes"] = list(spec.get("scopes", ["ads_management"]))
    return Token(**spec)


def _account_from(spec: dict) -> AdAccount:
    account_id = spec.get("id") or spec.get("account_id")
    if not account_id:
        raise ValueError("an ad account needs an id")
    return AdAccount(
        account_number(str(account_id)),
        spec.get("name", "Emulated ad account"),
        bool(spec.get("tos_accepted", True)),
    )


def handle_control(controls: Controls, method: str, target: str, body: bytes):
    _, path, query = split_target(target)
    try:
        if method == "POST" and path == "/_emulator/control":
            return Reply(body={"result": _run_actions(controls, body)})
        if method == "GET" and path == "/_emulator/stats":
            return Reply(body=controls.stats())
        match = _AUDIENCE_READ.fullmatch(path)
        if method == "GET" and match:
            return Reply(body=_audience_read(controls, match, query))
    except (ValueError, TypeError, GraphError) as error:
        return Reply(status=400, body={"error": str(error)})
    return Reply(status=404, body={"error": "unknown emulator control path"})


def _run_actions(controls: Controls, body: bytes) -> list:
    request = json.loads(body or b"{}")
    actions = request.get("actions", [request])
    return [_run_action(controls, dict(action)) for action in actions]


def _run_action(controls: Controls, arguments: dict):
    name = arguments.pop("action", None)
    if name not in ACTIONS:
        raise ValueError(f"unknown action; known: {', '.join(sorted(ACTIONS))}")
    return getattr(controls, name)(**arguments)


def _audience_read(controls: Controls, match: re.Match, query: dict) -> dict:
    audience_id, what = match.groups()
    if what == "fingerprint":
        return controls.fingerprint(audience_id)
    limit = int(query.get("limit", "1000"))
    if not 1 <= limit <= MAX_MEMBER_LISTING:
        raise ValueError(f"limit must be from 1 to {MAX_MEMBER_LISTING}")
    keys = controls.members(audience_id, limit)
    total = controls.fingerprint(audience_id)["count"]
    return {"total": total, "members": [f"{key:016x}" for key in keys]}
