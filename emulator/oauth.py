"""The login dialog, the token exchanges and debug_token (graph-api.md, "Auth").

The dialog has three modes set by tests: `page` (the default: an HTML page that waits
for a person, as Meta's does), `approve` (redirects at once with a code) and `deny`
(redirects with `error=access_denied`). Codes are single-use and last ten minutes.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from emulator import errors
from emulator.auth import app_token_matches, authenticate
from emulator.errors import GraphError, invalid_parameter
from emulator.forms import GraphRequest
from emulator.reply import Reply
from emulator.state import Token

if TYPE_CHECKING:
    from emulator.core import Emulator

DIALOG_MODES = ("page", "approve", "deny")
CODE_LIFETIME = 600
SHORT_LIVED = 2 * 3600  # a token from the code exchange lasts about two hours
LONG_LIVED = 60 * 86400  # about 60 days after fb_exchange_token
_DIALOG_PAGE = (
    b"<!DOCTYPE html><html><head><title>Log in</title></head>"
    b"<body><p>Emulated Facebook login: a person would approve here.</p></body></html>"
)


def dialog(emulator: Emulator, request: GraphRequest) -> Reply:
    client_id = request.param("client_id") or ""
    redirect_uri = request.param("redirect_uri") or ""
    if client_id not in emulator.registry.apps:
        raise _invalid_app()
    if not redirect_uri.startswith(("http://", "https://")):
        raise invalid_parameter("redirect_uri must be an absolute http(s) URL")
    if request.param("response_type", "code") != "code":
        raise invalid_parameter("response_type must be code")
    mode = emulator.dialog_mode
    if mode == "page":
        return Reply(raw=_DIALOG_PAGE, content_type="text/html; charset=utf-8")
    state = request.param("state") or ""
    if mode == "deny":
        answer = {
            "error": "access_denied",
            "error_code": "200",
            "error_description": "Permissions error",
            "error_reason": "user_denied",
        }
    else:
        answer = {"code": _issue_code(emulator, request, client_id, redirect_uri)}
    return _redirect(redirect_uri, {**answer, "state": state})


def _issue_code(emulator, request, client_id: str, redirect_uri: str) -> str:
    scopes = [s for s in (request.param("scope") or "").split(",") if s]
    grant = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scopes": scopes,
        "expires": emulator.clock.now() + CODE_LIFETIME,
    }
    return emulator.registry.issue_code(grant)


def _redirect(redirect_uri: str, query: dict) -> Reply:
    joiner = "&" if "?" in redirect_uri else "?"
    location = f"{redirect_uri}{joiner}{urlencode(query)}"
    return Reply(status=302, headers={"Location": location}, raw=b"")


def access_token(emulator: Emulator, request: GraphRequest) -> Reply:
    client_id = request.param("client_id") or ""
    _check_client(emulator, client_id, request.param("client_secret") or "")
    if request.param("grant_type") == "fb_exchange_token":
        token = _long_lived(emulator, request, client_id)
    else:
        token = _from_code(emulator, request, client_id)
    emulator.registry.add_token(token)
    expires_in = int(token.expires_at - emulator.clock.now())
    body = {
        "access_token": token.value,
        "token_type": "bearer",
        "expires_in": expires_in,
    }
    return Reply(body=body)


def _check_client(emulator, client_id: str, client_secret: str) -> None:
    if client_id not in emulator.registry.apps:
        raise _invalid_app()
    secret = emulator.registry.apps[client_id]
    if secret and not hmac.compare_digest(client_secret, secret):
        raise GraphError(1, "Error validating client secret.")


def _from_code(emulator, request: GraphRequest, client_id: str) -> Token:
    grant = emulator.registry.take_code(request.param("code") or "")
    now = emulator.clock.now()
    if grant is None or grant["expires"] < now or grant["client_id"] != client_id:
        raise invalid_parameter(
            "This authorization code is invalid, expired or already used.",
            subcode=36009,
        )
    if grant["redirect_uri"] != request.param("redirect_uri"):
        raise invalid_parameter(
            "Error validating verification code: redirect_uri must be identical to "
            "the one used in the OAuth dialog request",
            subcode=36008,
        )
    return _new_token(emulator, client_id, grant["scopes"], now + SHORT_LIVED)


def _long_lived(emulator, request: GraphRequest, client_id: str) -> Token:
    current = emulator.registry.token(request.param("fb_exchange_token") or "")
    now = emulator.clock.now()
    if current is None or current.app_id != client_id:
        raise errors.token_invalid()
    if current.expired(now):
        raise errors.token_expired()
    return _new_token(emulator, client_id, current.scopes, now + LONG_LIVED)


def _new_token(emulator, client_id: str, scopes: list[str], expires: float) -> Token:
    return Token(
        value="EAA" + secrets.token_urlsafe(48),
        app_id=client_id,
        user_id=emulator.user_id,
        scopes=list(scopes),
        expires_at=int(expires),
    )


def debug_token(emulator: Emulator, request: GraphRequest) -> Reply:
    caller = request.token() or ""
    if not app_token_matches(emulator.registry, caller):
        authenticate(emulator.registry, request)
    inspected = emulator.registry.token(request.param("input_token") or "")
    return Reply(body={"data": _token_facts(emulator, inspected)})


def _token_facts(emulator, token: Token | None) -> dict:
    if token is None:
        error = {"code": 190, "message": "Invalid OAuth access token.", "subcode": 467}
        return {"is_valid": False, "error": error, "scopes": []}
    facts = {
        "app_id": token.app_id,
        "type": token.type,
        "application": "Emulated app",
        "expires_at": token.expires_at,
        "data_access_expires_at": token.expires_at,
        "is_valid": not token.expired(emulator.clock.now()),
        "scopes": list(token.scopes),
        "user_id": token.user_id,
    }
    if not facts["is_valid"]:
        facts["error"] = {
            "code": 190,
            "message": "Error validating access token: Session has expired.",
            "subcode": 463,
        }
    return facts


def _invalid_app() -> GraphError:
    return GraphError(101, "Error validating application. Invalid application ID.")
