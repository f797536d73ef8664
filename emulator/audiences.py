"""Routes for ad accounts and audiences: list accounts; create, list, read audiences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator import errors
from emulator.auth import authenticate, require_scope
from emulator.errors import invalid_parameter
from emulator.forms import GraphRequest
from emulator.paging import page, requested_fields, select
from emulator.reply import Reply
from emulator.state import FILE_SOURCES, AdAccount, Audience

if TYPE_CHECKING:
    from emulator.core import Emulator

# Meta starts reporting a customer list as usable at about 1,000 matched people.
_SMALLEST_USABLE = 1000


def list_ad_accounts(emulator: Emulator, request: GraphRequest) -> Reply:
    authenticate(emulator.registry, request)
    fields = requested_fields(request, ("id",))
    accounts = emulator.registry.account_list()
    items = [select(account_view(account), fields) for account in accounts]
    return Reply(body=page(items, request, emulator.base_url))


def account_view(account: AdAccount) -> dict:
    terms = {"custom_audience_tos": 1} if account.tos_accepted else {}
    return {
        "id": f"act_{account.account_id}",
        "account_id": account.account_id,
        "name": account.name,
        "account_status": account.account_status,
        "tos_accepted": terms,
    }


def create_audience(emulator: Emulator, request: GraphRequest, account_id: str):
    token = authenticate(emulator.registry, request)
    require_scope(token)
    account = emulator.registry.account(account_id)
    if not account.tos_accepted:
        raise errors.terms_not_accepted()
    fields = _audience_fields(request)
    audience = emulator.registry.create_audience(account, fields)
    return Reply(body={"id": audience.audience_id}, account_id=account.account_id)


def _audience_fields(request: GraphRequest) -> dict:
    name = request.param("name")
    if not name:
        raise invalid_parameter("name is required")
    subtype = request.param("subtype")
    if subtype != "CUSTOM":
        raise invalid_parameter("subtype must be CUSTOM for a customer-list audience")
    source = request.param("customer_file_source")
    if source not in FILE_SOURCES:
        raise invalid_parameter(
            "customer_file_source is required, one of "
            + ", ".join(sorted(FILE_SOURCES))
        )
    return {
        "name": name,
        "description": request.param("description") or "",
        "customer_file_source": source,
    }


def list_audiences(emulator: Emulator, request: GraphRequest, account_id: str):
    token = authenticate(emulator.registry, request)
    require_scope(token)
    account = emulator.registry.account(account_id)
    fields = requested_fields(request, ("id",))
    items = []
    for audience in emulator.registry.audiences_of(account):
        with audience.lock:
            items.append(select(audience_view(audience), fields))
    body = page(items, request, emulator.base_url)
    return Reply(body=body, account_id=account.account_id)


def get_audience(emulator: Emulator, request: GraphRequest, audience_id: str):
    token = authenticate(emulator.registry, request)
    require_scope(token)
    audience = emulator.registry.audience(audience_id)
    fields = requested_fields(request, ("id",))
    with audience.lock:
        emulator.end_overdue_replace(audience)
        view = audience_view(audience)
    return Reply(body=select(view, fields), account_id=audience.account_id)


def audience_view(audience: Audience) -> dict:
    """The audience's fields; sizes are a band around the exact count, as Meta
    reports them approximately (use the fingerprint for exact checks)."""
    count = len(audience.members)
    usable = count >= _SMALLEST_USABLE
    return {
        "id": audience.audience_id,
        "account_id": audience.account_id,
        "name": audience.name,
        "description": audience.description,
        "subtype": audience.subtype,
        "customer_file_source": audience.customer_file_source,
        "approximate_count_lower_bound": count - count // 20,
        "approximate_count_upper_bound": count + count // 20,
        "operation_status": audience.operation_status(),
        "delivery_status": {
            "code": 200 if usable else 300,
            "description": "This audience is ready for use."
            if usable
            else "This audience is too small to be used.",
        },
        "time_created": audience.created_at,
        "time_content_updated": audience.time_content_updated,
    }
