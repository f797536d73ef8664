"""Graph API errors as the emulator answers them.

Meta's error body is `{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}`; `error_subcode` is left out when an error has none, as Meta does, so a
client must not count on it. Meta sends most errors, throttling included, with HTTP 400
(graph-api.md, "Errors and throttling"): clients classify by code, not by status.
Messages name the parameter, row and column at fault, never a value, token or URL.
"""

from __future__ import annotations

import secrets


class GraphError(Exception):
    """One error answer: code, optional subcode, HTTP status and message."""

    def __init__(
        self,
        code: int,
        message: str,
        subcode: int | None = None,
        status: int = 400,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.subcode = subcode
        self.status = status
        self.transient = transient
        self.message = message

    def body(self) -> dict:
        error = {
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "is_transient": self.transient,
            "fbtrace_id": secrets.token_urlsafe(12),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        return {"error": error}


def invalid_parameter(problem: str, subcode: int | None = None) -> GraphError:
    return GraphError(100, f"(#100) {problem}", subcode)


def token_missing() -> GraphError:
    return GraphError(
        190,
        "An active access token must be used to query information.",
        subcode=467,
        status=401,
    )


def token_invalid() -> GraphError:
    return GraphError(190, "Invalid OAuth access token.", subcode=467)


def token_expired() -> GraphError:
    return GraphError(
        190,
        "Error validating access token: Session has expired.",
        subcode=463,
    )


def proof_missing() -> GraphError:
    return invalid_parameter(
        "API calls from the server require an appsecret_proof argument"
    )


def proof_wrong() -> GraphError:
    return invalid_parameter("Invalid appsecret_proof provided in the API argument")


def permission_missing(scope: str) -> GraphError:
    return GraphError(200, f"(#200) Requires {scope} permission to manage the object")


def terms_not_accepted() -> GraphError:
    return GraphError(
        200,
        "(#200) The Custom Audience terms of service have not been accepted for "
        "this ad account; accept them in Ads Manager.",
        subcode=1870090,
    )


def audience_flagged() -> GraphError:
    return invalid_parameter(
        "This audience may suggest health or financial information and cannot be "
        "updated (operation_status 471).",
        subcode=1713230,
    )


def not_found() -> GraphError:
    return invalid_parameter(
        "Unsupported request: the object does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation",
        subcode=33,
    )


# Replace-session subcodes of code 2650 (graph-api.md, "Replace sessions").
REPLACE_TOO_LARGE = 1870144
REPLACE_BUSY = 1870145
REPLACE_FIRST_BATCH_MISSING = 1870147
REPLACE_GENERIC = 1870148
REPLACE_TIMED_OUT = 1870158
REPLACE_FINISHED = 1870159


def replace_error(subcode: int, problem: str) -> GraphError:
    transient = subcode in (REPLACE_BUSY, REPLACE_GENERIC)
    return GraphError(2650, f"(#2650) {problem}", subcode, transient=transient)


def throttled(code: int) -> GraphError:
    messages = {
        4: "(#4) Application request limit reached",
        17: "(#17) User request limit reached",
        32: "(#32) Page request limit reached",
        613: "(#613) Calls to this api have exceeded the rate limit.",
        80003: "(#80003) There have been too many calls to this ad account.",
    }
    message = messages.get(code, f"(#{code}) Request limit reached")
    return GraphError(code, message, transient=True)


def server_error(status: int) -> GraphError:
    return GraphError(
        2,
        "An unexpected error has occurred. Please retry your request later.",
        status=status,
        transient=True,
    )
