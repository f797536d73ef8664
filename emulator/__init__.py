"""A Graph API emulator for tests, the demo and the benchmark (never deployed).

It serves the Marketing API calls the product makes on 127.0.0.1, enforces the rules
of graph-api.md and keeps each audience's members so a test can check who is in it.
"""

from emulator.clock import Clock, ManualClock
from emulator.members import fingerprint, member_key
from emulator.server import EmulatorServer

__all__ = ["Clock", "EmulatorServer", "ManualClock", "fingerprint", "member_key"]
