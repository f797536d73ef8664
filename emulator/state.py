"""What the emulator remembers: apps, tokens, ad accounts and audiences.

One registry lock guards the dictionaries and is held only for lookups and inserts;
each audience has its own lock for its members and sessions, so uploads to different
audiences never wait on each other and parsing happens outside every lock.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field

from emulator.clock import Clock
from emulator.errors import GraphError, invalid_parameter, not_found
from emulator.members import MemberSet

MAX_CUSTOMER_FILE_AUDIENCES = 500  # per ad account (graph-api.md, "Endpoints")
FILE_SOURCES = frozenset(
    {"USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"}
)
_FIRST_AUDIENCE_ID = 23_850_000_000_000_000


@dataclass
class Token:
    value: str = field(repr=False)
    app_id: str
    user_id: str = "10000000000001"
    scopes: list[str] = field(default_factory=lambda: ["ads_management"])
    expires_at: int = 0  # 0: never, as debug_token reports it
    type: str = "USER"
    revoked: bool = False

    def expired(self, now: float) -> bool:
        return self.revoked or (self.expires_at != 0 and now >= self.expires_at)


@dataclass
class AdAccount:
    account_id: str
    name: str = "Emulated ad account"
    tos_accepted: bool = True
    account_status: int = 1
    audience_ids: list[str] = field(default_factory=list)


@dataclass
class ReplaceRun:
    """The replace session running on an audience and the members it has sent."""

    session_id: int
    started_at: float
    schema: list[str]
    members: MemberSet = field(default_factory=MemberSet)


@dataclass
class SessionRecord:
    session_id: int
    kind: str
    start_time: int
    end_time: int = 0
    num_received: int = 0
    num_matched: int = 0
    num_invalid_entries: int = 0
    batches: int = 0
    batches_after_last: int = 0
    stage: str = "uploading"

    def view(self) -> dict:
        return {
            "session_id": str(self.session_id),
            "kind": self.kind,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "num_received": self.num_received,
            "num_matched": self.num_matched,
            "num_invalid_entries": self.num_invalid_entries,
            "stage": self.stage,
            "batches": self.batches,
            "batches_after_last": self.batches_after_last,
        }


@dataclass
class Audience:
    audience_id: str
    account_id: str
    name: str
    description: str
    customer_file_source: str
    created_at: int
    subtype: str = "CUSTOM"
    flagged: bool = False
    replace_failed: bool = False
    time_content_updated: int = 0
    members: MemberSet = field(default_factory=MemberSet, repr=False)
    replace: ReplaceRun | None = None
    ended_replaces: dict[int, str] = field(default_factory=dict)
    sessions: dict[int, SessionRecord] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def operation_status(self) -> dict:
        if self.flagged:
            return {"code": 471, "description": "Audience flagged: uploads blocked."}
        if self.replace is not None:
            return {"code": 414, "description": "Replacing audience members."}
        if self.replace_failed:
            return {"code": 415, "description": "Replacing audience members failed."}
        return {"code": 200, "description": "Normal"}


@dataclass
class Config:
    """Settings that `reset()` restores: what the server was started with."""

    tokens: list[Token] = field(default_factory=list)
    apps: dict[str, str | None] = field(default_factory=dict)
    ad_accounts: list[AdAccount] = field(default_factory=list)
    delay_seconds: float = 0.0
    dialog_mode: str = "page"


class Registry:
    """Apps, tokens, ad accounts and audiences, behind one short-held lock."""

    def __init__(self, config: Config, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(_FIRST_AUDIENCE_ID)
        self.apps = dict(config.apps)
        self.tokens = {t.value: _copy_token(t) for t in config.tokens}
        self.accounts = {a.account_id: _copy_account(a) for a in config.ad_accounts}
        self.audiences: dict[str, Audience] = {}
        self.codes: dict[str, dict] = {}

    def add_token(self, token: Token) -> None:
        with self._lock:
            self.tokens[token.value] = token

    def token(self, value: str) -> Token | None:
        with self._lock:
            return self.tokens.get(value)

    def add_account(self, account: AdAccount) -> None:
        with self._lock:
            self.accounts[account.account_id] = account

    def account(self, account_id: str) -> AdAccount:
        with self._lock:
            account = self.accounts.get(account_number(account_id))
        if account is None:
            raise not_found()
        return account

    def account_list(self) -> list[AdAccount]:
        with self._lock:
            return list(self.accounts.values())

    def audiences_of(self, account: AdAccount) -> list[Audience]:
        with self._lock:
            return [self.audiences[key] for key in account.audience_ids]

    def audience(self, audience_id: str) -> Audience:
        with self._lock:
            audience = self.audiences.get(audience_id)
        if audience is None:
            raise not_found()
        return audience

    def create_audience(self, account: AdAccount, fields: dict) -> Audience:
        with self._lock:
            if len(account.audience_ids) >= MAX_CUSTOMER_FILE_AUDIENCES:
                raise audience_limit_reached()
            audience = Audience(
                audience_id=str(next(self._ids)),
                account_id=account.account_id,
                created_at=int(self.clock.now()),
                **fields,
            )
            self.audiences[audience.audience_id] = audience
            account.audience_ids.append(audience.audience_id)
        return audience

    def delete_audience(self, audience_id: str) -> None:
        with self._lock:
            audience = self.audiences.pop(audience_id, None)
            if audience is not None:
                self.accounts[audience.account_id].audience_ids.remove(audience_id)

    def issue_code(self, grant: dict) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = grant
        return code

    def take_code(self, code: str) -> dict | None:
        with self._lock:
            return self.codes.pop(code, None)


def account_number(account_id: str) -> str:
    """`act_123` and `123` both name ad account 123."""
    return account_id.removeprefix("act_")


def audience_limit_reached() -> GraphError:
    return invalid_parameter(
        f"the ad account already holds {MAX_CUSTOMER_FILE_AUDIENCES} customer-file "
        "audiences, the most allowed; delete unused ones first"
    )


def _copy_token(token: Token) -> Token:
    return Token(**{**token.__dict__, "scopes": list(token.scopes)})


def _copy_account(account: AdAccount) -> AdAccount:
    return AdAccount(**{**account.__dict__, "audience_ids": []})
