"""`make services`: Azurite and the Graph API emulator where the sample settings
expect them, for trying the command line and the function code by hand.

Azurite listens on 127.0.0.1:10000 (blob) and :10001 (queue), which is what
`UseDevelopmentStorage=true` means, keeping its data in `.data/azurite`; the emulator
listens on 127.0.0.1:8765. When `local.settings.json` does not exist yet it is written
from `local.settings.sample.json` with the emulator's fake token and app secret. Both
services stop on Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import threading

from tools.services import ROOT, Azurite, EmulatorProcess

EMULATOR_PORT = 8765
# Static fakes the local emulator accepts; they open nothing anywhere else.
LOCAL_TOKEN = "local-emulator-token"
LOCAL_APP_SECRET = "local-emulator-app-secret"
# The ad accounts of the README's example and of the demo.
AD_ACCOUNTS = "act_1234567890,act_1000000001"


def write_local_settings() -> dict:
    target = ROOT / "local.settings.json"
    if target.exists():
        return json.loads(target.read_text())["Values"]
    document = json.loads((ROOT / "local.settings.sample.json").read_text())
    document["Values"]["FACEBOOK_ACCESS_TOKEN"] = LOCAL_TOKEN
    document["Values"]["FACEBOOK_APP_SECRET"] = LOCAL_APP_SECRET
    target.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {target.name} for the local services (fake token and app secret)")
    return document["Values"]


def main() -> int:
    values = write_local_settings()
    azurite = Azurite(location=ROOT / ".data" / "azurite", blob_port=10000)
    azurite.queue_port = 10001
    emulator = EmulatorProcess(
        token=values.get("FACEBOOK_ACCESS_TOKEN") or LOCAL_TOKEN,
        app_secret=values.get("FACEBOOK_APP_SECRET") or None,
        ad_account=AD_ACCOUNTS,
        port=EMULATOR_PORT,
    )
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopping.set())
    try:
        azurite.start()
        emulator.start()
        print("Azurite on 127.0.0.1:10000-10001, Graph API emulator on " + emulator.url)
        print("Ctrl-C stops both.", flush=True)
        stopping.wait()
    finally:
        emulator.stop()
        azurite.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
