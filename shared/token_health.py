"""How healthy a destination's access token is, as Meta's `debug_token` tells it.

User tokens last about 60 days after the long-lived exchange; system-user tokens may
never expire (graph-api.md, "Auth"). The status warns from `WARNING_DAYS` before the
token or its data access expires, so the account is reconnected before runs fail.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from shared import clock
from shared.errors import StopRun
from shared.graph import GraphClient
from shared.secrets import store
from shared.settings import Settings

log = logging.getLogger(__name__)

WARNING_DAYS = 7
REQUIRED_SCOPE = "ads_management"
_DAY = 86400.0


def inspect(settings: Settings, token: str) -> dict:
    """Meta's facts about a token (`data` of `debug_token`); the token goes in the
    query, as the call takes it only there, and is never logged."""
    client = _inspector(settings, token)
    answer = client.get("/debug_token", {"input_token": token})
    data = answer.get("data")
    return data if isinstance(data, dict) else {"is_valid": False}


def _inspector(settings: Settings, token: str) -> GraphClient:
    # An app token (`app id|app secret`) may inspect any token of the app; without
    # the app's id and secret a token inspects itself.
    app_id = settings["FACEBOOK_APP_ID"]
    app_secret = store(settings).app_secret()
    if app_id and app_secret:
        caller, proof_key = f"{app_id}|{app_secret}", None
    else:
        caller, proof_key = token, app_secret
    return GraphClient(
        settings["GRAPH_API_BASE_URL"],
        settings["GRAPH_API_VERSION"],
        caller,
        proof_key,
        timeout=settings.graph_timeout,
    )


def health(settings: Settings, destination) -> dict:
    """The status API's view of the destination's token: never the token itself."""
    try:
        token = store(settings).access_token(destination)
    except StopRun as exc:
        return {"connected": False, "valid": False, "warning": str(exc)}
    return describe(settings, inspect(settings, token))


def describe(settings: Settings, facts: dict) -> dict:
    """Validity, scopes, expiry and the warning that applies, from Meta's facts."""
    now = clock.current().time()
    scopes = [s for s in facts.get("scopes") or [] if isinstance(s, str)]
    expires = _timestamp(facts.get("expires_at"))
    data_expires = _timestamp(facts.get("data_access_expires_at"))
    view = {
        "connected": True,
        "valid": facts.get("is_valid") is True,
        "type": facts.get("type"),
        "scopes": scopes,
        "has_ads_management": REQUIRED_SCOPE in scopes,
        "expires_at": _iso(expires),
        "never_expires": expires is None,
        "days_left": None if expires is None else round((expires - now) / _DAY, 1),
        "data_access_expires_at": _iso(data_expires),
    }
    view["warning"] = _warning(settings, facts, view, now, expires, data_expires)
    return view


def _warning(settings, facts, view, now, expires, data_expires) -> str | None:
    app_id = settings["FACEBOOK_APP_ID"]
    if not view["valid"]:
        error = facts.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        told = f" (Meta error {code})" if isinstance(code, int) else ""
        return f"Meta says the token is not valid{told}: reconnect the Facebook account"
    if app_id and facts.get("app_id") and str(facts["app_id"]) != app_id:
        return "the token belongs to another Meta app: reconnect the Facebook account"
    if not view["has_ads_management"]:
        return (
            f"the token lacks the {REQUIRED_SCOPE} permission: reconnect the Facebook "
            "account and grant it"
        )
    soonest = min((t for t in (expires, data_expires) if t is not None), default=None)
    if soonest is not None and soonest - now <= WARNING_DAYS * _DAY:
        what = "the token" if soonest == expires else "the token's data access"
        return (
            f"{what} expires on {_iso(soonest)}: reconnect the Facebook account "
            "before then"
        )
    return None


def _timestamp(value) -> float | None:
    """Meta's Unix time; 0 or nothing means it never expires."""
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
