"""Every HTTP route needs a function key, except the callback from Meta's login
dialog, whose redirect carries none (its signed, single-use state stands in)."""

from __future__ import annotations

import azure.functions as func
import pytest

import function_app
from shared.local_runner import _functions

ANONYMOUS = {"facebook_callback"}
ROUTES = {
    "start_export": ("exports", {"POST"}),
    "export_status": ("exports/{run}", {"GET"}),
    "facebook_connect": ("facebook/connect", {"GET"}),
    "facebook_callback": ("facebook/callback", {"GET"}),
    "facebook_ad_accounts": ("facebook/adaccounts", {"GET"}),
    "facebook_audiences": ("facebook/audiences", {"GET"}),
    "destinations_collection": ("destinations", {"GET", "POST"}),
    "destination_item": ("destinations/{id}", {"GET", "PUT", "DELETE"}),
    "destination_token": ("destinations/{id}/token", {"PUT"}),
    "destination_status": ("destinations/{id}/status", {"GET"}),
}


def http_triggers() -> dict:
    """Function name -> its HTTP trigger, from the app's one index of functions."""
    found = {}
    for function in _functions(function_app.app):
        trigger = function.get_trigger()
        if type(trigger).__name__ == "HttpTrigger":
            found[function.get_function_name()] = trigger
    return found


def test_the_app_declares_exactly_the_routes_of_the_api():
    triggers = http_triggers()

    declared = {
        name: (t.route, {str(m.value) for m in t.methods})
        for name, t in triggers.items()
    }
    assert declared == ROUTES


@pytest.mark.parametrize("name", sorted(ROUTES), ids=str)
def test_auth_level(name):
    trigger = http_triggers()[name]

    expected = (
        func.AuthLevel.ANONYMOUS if name in ANONYMOUS else func.AuthLevel.FUNCTION
    )
    assert trigger.auth_level == expected
