"""Connect with Facebook: Meta's login dialog, then the code and token exchanges.

    GET /api/facebook/connect?destination=ID   302 to Meta's dialog (function key)
    GET /api/facebook/callback?code=&state=    where the dialog returns (anonymous:
                                               Meta's redirect carries no key)

The `state` ties the return to the destination that asked and proves that this app
sent the person to Meta: `{destination}.{expires}.{nonce}.{signature}`, signed with
HMAC-SHA256 under a key derived from the app secret, valid for `STATE_SECONDS`, and
single-use: the callback claims its nonce with a create-once blob in the state
container before exchanging the code, so a replayed state is refused.

The callback exchanges the code for a short-lived token, that for a long-lived one
(about 60 days), checks that it grants ads_management, and stores it in Key Vault
under a new secret name (graph-api.md, "Auth"). The exchanges take the app secret in
the query string, as Meta defines them: those URLs are never logged, and no answer
or message names a token, a code or the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import os
import re
from urllib.parse import urlencode

import azure.functions as func
import requests

from shared import clock, destinations, http_api, settings, storage
from shared.destinations_api import store_token
from shared.errors import ExportError, InvalidInput, RetryLater, SettingError
from shared.http_api import Conflict
from shared.secrets import store
from shared.settings import Settings
from shared.token_health import REQUIRED_SCOPE, describe, inspect

log = logging.getLogger(__name__)

STATE_SECONDS = 600
SCOPE = REQUIRED_SCOPE
CALLBACK_PATH = "/api/facebook/callback"
STATE_PREFIX = "oauth-states/"
_KEY_LABEL = b"facebook-oauth-state-v1"
_STATE = re.compile(
    r"^(?P<destination>[a-z0-9][a-z0-9-]{0,62})\.(?P<expires>[0-9]{1,12})"
    r"\.(?P<nonce>[0-9a-f]{32})\.(?P<signature>[A-Za-z0-9_-]{43})$"
)
# Meta's codes are a few hundred URL-safe characters.
_CODE = re.compile(r"^[A-Za-z0-9_\-.#=]{1,2048}$")
# The callback's page is shown to a person: nothing cached, nothing sent onward
# (the address holds the code), nothing loaded from elsewhere.
PAGE_HEADERS = {
    **http_api.NO_STORE,
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Frame-Options": "DENY",
}
NOT_VALID = (
    "This sign-in link is not valid, has expired or was used already: start again "
    "with Connect with Facebook. Nothing was changed."
)


class StateRefused(InvalidInput):
    """The `state` is forged, expired or replayed."""


class ExchangeRefused(InvalidInput):
    """Meta refused the code or the token exchange."""


# --- the routes ------------------------------------------------------------------


@http_api.answers_errors
def connect(req: func.HttpRequest) -> func.HttpResponse:
    current = settings.load()
    destination_id = http_api.query_text(req, "destination", limit=63)
    destination = destinations.load(current, destination_id)
    app_id, app_secret = _app_credentials(current)
    store(current).require_vault()
    state = sign_state(app_secret, destination.id, clock.current().time())
    location = dialog_url(current, app_id, redirect_uri(current, req), state)
    log.info("destination %s: sent to Meta's login dialog", destination.id)
    headers = {**PAGE_HEADERS, "Location": location}
    return func.HttpResponse(status_code=302, headers=headers)


def callback(req: func.HttpRequest) -> func.HttpResponse:
    """Meta's redirect back: answers a small page (JSON when asked) naming no
    token; every refusal leaves the destination and the vault as they were."""
    wants_json = "application/json" in (req.headers.get("Accept") or "")
    try:
        destination_id, expires = _connect_from(settings.load(), req)
    except ExportError as exc:
        log.info("facebook callback refused (%s)", http_api.status_of(exc))
        return _page(http_api.status_of(exc), _refusal_title(exc), str(exc), wants_json)
    message = (
        f"Destination {destination_id} now exports with this Facebook account. "
        f"The connection lasts until {expires or 'it is revoked'}; "
        "you can close this window."
    )
    return _page(200, "Facebook account connected", message, wants_json)


def _connect_from(current: Settings, req: func.HttpRequest) -> tuple[str, str]:
    app_id, app_secret = _app_credentials(current)
    destination_id, nonce = check_state(
        app_secret, req.params.get("state") or "", clock.current().time()
    )
    if req.params.get("error"):
        _claim(current, destination_id, nonce)
        raise ExchangeRefused("Facebook sign-in was cancelled: nothing was changed")
    code = req.params.get("code") or ""
    if not _CODE.fullmatch(code):
        raise InvalidInput("the sign-in answer holds no valid code: start again")
    store(current).require_vault()
    destination = destinations.load(current, destination_id)
    _claim(current, destination_id, nonce)
    token = _long_lived_token(current, app_id, app_secret, req, code)
    facts = _granted(current, token)
    store_token(current, destination, token)
    return destination.id, describe(current, facts)["expires_at"]


def _app_credentials(current: Settings) -> tuple[str, str]:
    app_id = current["FACEBOOK_APP_ID"]
    if not app_id:
        raise SettingError("FACEBOOK_APP_ID", "is empty: set the Meta app's id")
    app_secret = store(current).app_secret()
    if not app_secret:
        raise SettingError(
            "FACEBOOK_APP_SECRET",
            "is not available: store the app secret in Key Vault as "
            "facebook-app-secret (or, locally, in the setting)",
        )
    return app_id, app_secret


def redirect_uri(current: Settings, req: func.HttpRequest) -> str:
    """The setting, else this app's own callback address (connect and callback
    must send Meta the very same one)."""
    return current["FACEBOOK_OAUTH_REDIRECT_URI"] or (
        http_api.base_url(req) + CALLBACK_PATH
    )


def dialog_url(current: Settings, app_id: str, redirect: str, state: str) -> str:
    query = urlencode(
        {
            "client_id": app_id,
            "redirect_uri": redirect,
            "state": state,
            "scope": SCOPE,
            "response_type": "code",
        }
    )
    root = current["FACEBOOK_DIALOG_URL"].rstrip("/")
    return f"{root}/{current['GRAPH_API_VERSION']}/dialog/oauth?{query}"


# --- the state -------------------------------------------------------------------


def _state_key(app_secret: str) -> bytes:
    # A key of its own, so a signed state can never serve as an appsecret_proof.
    return hmac.new(app_secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _signature(app_secret: str, signed: str) -> str:
    digest = hmac.new(_state_key(app_secret), signed.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def sign_state(app_secret: str, destination_id: str, now: float) -> str:
    signed = f"{destination_id}.{int(now) + STATE_SECONDS}.{os.urandom(16).hex()}"
    return f"{signed}.{_signature(app_secret, signed)}"


def check_state(app_secret: str, state: str, now: float) -> tuple[str, str]:
    """(destination id, nonce) of a state this app signed that has not expired;
    whether it was used already is up to `_claim`."""
    match = _STATE.fullmatch(state)
    if match is None:
        raise _refused("malformed")
    signed = state.rsplit(".", 1)[0]
    expected = _signature(app_secret, signed)
    if not hmac.compare_digest(expected, match["signature"]):
        raise _refused("not signed by this app")
    expires = int(match["expires"])
    if not now < expires <= now + STATE_SECONDS:
        raise _refused("expired")
    return match["destination"], match["nonce"]


def _refused(reason: str) -> StateRefused:
    # The reason is for the operator's log; the person sees one message for all.
    log.info("sign-in state refused: %s", reason)
    return StateRefused(NOT_VALID)


def _claim(current: Settings, destination_id: str, nonce: str) -> None:
    container = storage.container(current["STATE_CONTAINER"])
    record = {"destination": destination_id, "used_at": clock.now_iso()}
    if not storage.write_json(
        container, f"{STATE_PREFIX}{nonce}", record, overwrite=False
    ):
        log.warning("destination %s: a used sign-in state came back", destination_id)
        raise _refused("used already")


# --- the exchanges ---------------------------------------------------------------


def _long_lived_token(
    current: Settings, app_id: str, app_secret: str, req, code: str
) -> str:
    short = _exchange(
        current,
        {
            "client_id": app_id,
            "redirect_uri": redirect_uri(current, req),
            "client_secret": app_secret,
            "code": code,
        },
    )
    return _exchange(
        current,
        {
            "grant_type": "fb_exchange_token",
            "client_id": app_id,
            "client_secret": app_secret,
            "fb_exchange_token": short,
        },
    )


def _exchange(current: Settings, params: dict) -> str:
    url = (
        f"{current['GRAPH_API_BASE_URL'].rstrip('/')}/"
        f"{current['GRAPH_API_VERSION']}/oauth/access_token"
    )
    with requests.Session() as session:
        session.trust_env = False  # no proxy from the environment sees the secret
        try:
            response = session.get(url, params=params, timeout=current.graph_timeout)
        except requests.RequestException as exc:
            raise RetryLater(
                f"Meta's token exchange did not answer ({type(exc).__name__}): "
                "try connecting again"
            ) from None
    return _token_in(response)


def _token_in(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if response.status_code == 200 and isinstance(token, str) and token:
        return token
    if response.status_code >= 500 or not isinstance(answer, dict):
        raise RetryLater(
            f"Meta's token exchange failed (HTTP {response.status_code}): try again"
        )
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    code = error.get("code")
    told = f" (Meta error {code})" if isinstance(code, int) else ""
    raise ExchangeRefused(
        f"Meta refused the sign-in{told}: start again with Connect with Facebook"
    )


def _granted(current: Settings, token: str) -> dict:
    facts = inspect(current, token)
    described = describe(current, facts)
    if not described["valid"] or not described["has_ads_management"]:
        raise ExchangeRefused(
            f"the sign-in did not grant {SCOPE}: connect again and allow the app to "
            "manage ads. Nothing was stored."
        )
    return facts


# --- the page --------------------------------------------------------------------


def _refusal_title(exc: ExportError) -> str:
    if isinstance(exc, StateRefused):
        return "Sign-in link not valid"
    if isinstance(exc, Conflict | SettingError):
        return "Tokens cannot be stored here"
    return "Facebook account not connected"


def _page(status: int, title: str, message: str, wants_json: bool):
    if wants_json:
        document = {"connected": status == 200, "message": message}
        return http_api.answer(status, document, PAGE_HEADERS)
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>"
    )
    return func.HttpResponse(
        body,
        status_code=status,
        mimetype="text/html",
        charset="utf-8",
        headers=PAGE_HEADERS,
    )
