"""The product's exceptions, grouped by what the caller does next.

    ExportError
    ├── RetryLater          transient: back off and try the same work again
    │   └── Throttled       Meta asked us to wait (carries how long)
    ├── StopRun             the run cannot go on; the operator must act
    │   ├── TokenRejected   reconnect the Facebook account (code 190)
    │   ├── PermissionDenied  missing permission or terms not accepted
    │   └── ConsentMissing  no data-privacy consent on the destination
    ├── BatchRejected       Meta refused this request's data (code 100): report
    │                       and go on with the other batches
    └── InvalidInput        bad configuration or input: names what and where
        ├── SettingError
        └── DestinationError

Errors from HTTP and storage libraries are translated into these at one boundary
(`shared.graph` and `shared.storage`); anything else is a bug and is not retried.
Messages never carry a token, a secret, an identifier or a full URL.
"""

from __future__ import annotations


class ExportError(Exception):
    """Root of the product's errors."""


class RetryLater(ExportError):
    """Transient failure: safe to retry the same work after a pause."""


class Throttled(RetryLater):
    """Meta's rate limit was reached; wait `wait_seconds` before the next call."""

    def __init__(self, message: str, wait_seconds: float, code: int | None = None):
        super().__init__(message)
        self.wait_seconds = wait_seconds
        self.code = code


class StopRun(ExportError):
    """The run cannot continue; the message tells the operator what to do."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class TokenRejected(StopRun):
    """The access token is invalid or expired."""


class PermissionDenied(StopRun):
    """The token lacks a permission, or the Custom Audience terms are not accepted."""


class ConsentMissing(StopRun):
    """The destination has no data-privacy consent recorded."""


class BatchRejected(ExportError):
    """Meta refused one request's data; the other batches go on."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class InvalidInput(ExportError):
    """Configuration or input that cannot be used as it is."""


class SettingError(InvalidInput):
    def __init__(self, name: str, problem: str):
        super().__init__(f"setting {name} {problem}")
        self.name = name


class DestinationError(InvalidInput):
    """A destination document is missing or invalid; names the field."""

    def __init__(self, destination: str, field: str | None, problem: str):
        where = f"destination {destination!r}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}")
        self.destination = destination
        self.field = field
