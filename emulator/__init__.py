"""A Graph API emulator for tests, the demo and the benchmark (never deployed).

It serves, on 127.0.0.1, the Marketing API calls the product makes, under `/vNN.N/` or
with no version: ad accounts, customer-list audiences, /users (add, remove),
/usersreplace, /sessions, the login dialog, the token exchanges and debug_token. It
enforces graph-api.md and keeps each audience's members as 64-bit keys
(`member_key`), so a test can compare an audience with the segment exactly
(`fingerprint`, or `GET /_emulator/audiences/{id}/fingerprint`).

In-process: `EmulatorServer(tokens=[...], app_secret=..., clock=ManualClock())`,
`start()`, `url`, `reset()`, `stop()`; the test controls are its methods (see
`emulator.control.Controls`) and `POST /_emulator/control` actions of the same
names. From a shell: `python -m emulator --port 8765 --token T`.

Choices where Meta is silent: `delay_seconds` is a fixed time per accepted upload
request, whatever its rows; `error_subcode` is absent when an error has none; a
missing token answers HTTP 401, every other error HTTP 400 unless a knob says
otherwise; approximate counts are the exact count plus or minus 5%.
"""

from emulator.clock import Clock, ManualClock
from emulator.members import fingerprint, member_key
from emulator.server import EmulatorServer

__all__ = ["Clock", "EmulatorServer", "ManualClock", "fingerprint", "member_key"]
