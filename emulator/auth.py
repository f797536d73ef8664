"""Access checks made on every Graph call: a known, live token and its proof.

`appsecret_proof` is the hex HMAC-SHA256 of the access token keyed with the app secret
(graph-api.md, "Auth"); it is required whenever the token's app has a secret configured.
"""

from __future__ import annotations

import hashlib
import hmac

from emulator import errors
from emulator.forms import GraphRequest
from emulator.state import Registry, Token

ADS_MANAGEMENT = "ads_management"


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def authenticate(registry: Registry, request: GraphRequest) -> Token:
    value = request.token()
    if not value:
        raise errors.token_missing()
    token = registry.token(value)
    if token is None:
        raise errors.token_invalid()
    if token.expired(registry.clock.now()):
        raise errors.token_expired()
    check_proof(registry, request, token)
    return token


def check_proof(registry: Registry, request: GraphRequest, token: Token) -> None:
    secret = registry.apps.get(token.app_id)
    if not secret:
        return
    proof = request.param("appsecret_proof")
    if not proof:
        raise errors.proof_missing()
    expected = appsecret_proof(token.value, secret)
    if not hmac.compare_digest(proof.lower(), expected):
        raise errors.proof_wrong()


def require_scope(token: Token, scope: str = ADS_MANAGEMENT) -> None:
    if scope not in token.scopes:
        raise errors.permission_missing(scope)


def app_token_matches(registry: Registry, value: str) -> bool:
    """An app access token `APP_ID|APP_SECRET`, as debug_token accepts."""
    app_id, separator, secret = value.partition("|")
    known = registry.apps.get(app_id)
    return bool(separator and known and hmac.compare_digest(secret, known))
