"""An answer before it is written to the socket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

JSON = "application/json; charset=UTF-8"


@dataclass
class Reply:
    status: int = 200
    body: dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = JSON
    drop: bool = False
    # The ad account the call concerned, for the usage headers.
    account_id: str | None = None
    # Seconds to wait before answering, standing for Meta's processing time.
    delay: float = 0.0

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode()
