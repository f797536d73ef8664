"""What a destination's token can export into: its ad accounts and, in one of them,
its customer-list audiences (the drop-downs of a set-up page).

Both lists follow Meta's cursor paging with the `after` cursor rather than the
`next` link, so the token never rides in a URL and no link from an answer is
followed blindly; a list stops at `MAX_ITEMS`.
"""

from __future__ import annotations

import logging
import re

import azure.functions as func

from shared import destinations, http_api, settings
from shared.audiences import graph_client
from shared.errors import InvalidInput
from shared.graph import GraphClient
from shared.secrets import store

log = logging.getLogger(__name__)

MAX_ITEMS = 1000
ACCOUNT_PAGE = 100
# Meta's audience listing is heavy; its guide suggests pages of about 20.
AUDIENCE_PAGE = 25
ACCOUNT_FIELDS = "id,account_id,name,account_status,tos_accepted"
AUDIENCE_FIELDS = (
    "id,name,subtype,customer_file_source,operation_status,"
    "approximate_count_lower_bound,approximate_count_upper_bound"
)
_AD_ACCOUNT = re.compile(r"^act_[0-9]{1,20}$")


@http_api.answers_errors
def ad_accounts(req: func.HttpRequest) -> func.HttpResponse:
    current = settings.load()
    client = _client_for(current, req)
    found = list_ad_accounts(client)
    return http_api.answer(200, {"ad_accounts": found}, http_api.NO_STORE)


@http_api.answers_errors
def audiences(req: func.HttpRequest) -> func.HttpResponse:
    current = settings.load()
    ad_account = http_api.query_text(req, "ad_account", limit=40)
    if not _AD_ACCOUNT.fullmatch(ad_account):
        raise InvalidInput("query parameter 'ad_account' must look like act_1234567890")
    client = _client_for(current, req)
    found = list_audiences(client, ad_account)
    answer = {"ad_account": ad_account, "audiences": found}
    return http_api.answer(200, answer, http_api.NO_STORE)


def _client_for(current, req: func.HttpRequest) -> GraphClient:
    destination_id = http_api.query_text(req, "destination", limit=63)
    destination = destinations.load(current, destination_id)
    return graph_client(current, store(current).access_token(destination))


def list_ad_accounts(client: GraphClient) -> list[dict]:
    params = {"fields": ACCOUNT_FIELDS, "limit": str(ACCOUNT_PAGE)}
    return [_account_view(a) for a in _all_pages(client, "/me/adaccounts", params)]


def list_audiences(client: GraphClient, ad_account: str) -> list[dict]:
    """The ad account's customer-list audiences (subtype CUSTOM): the only kind
    the export can upload into."""
    params = {"fields": AUDIENCE_FIELDS, "limit": str(AUDIENCE_PAGE)}
    found = _all_pages(client, f"/{ad_account}/customaudiences", params)
    return [_audience_view(a) for a in found if a.get("subtype") == "CUSTOM"]


def _all_pages(client: GraphClient, path: str, params: dict) -> list[dict]:
    items: list[dict] = []
    after = None
    while len(items) < MAX_ITEMS:
        page = client.get(path, {**params, **({"after": after} if after else {})})
        items += [item for item in page.get("data") or [] if isinstance(item, dict)]
        paging = page.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            break
    if len(items) >= MAX_ITEMS:
        log.warning("%s listing stopped at %s items", path.split("/")[-1], MAX_ITEMS)
    return items[:MAX_ITEMS]


def _account_view(account: dict) -> dict:
    terms = account.get("tos_accepted")
    return {
        "id": account.get("id"),
        "account_id": account.get("account_id"),
        "name": account.get("name"),
        "account_status": account.get("account_status"),
        # Meta lists the terms a person accepted; customer lists need this one.
        "custom_audience_terms_accepted": bool(
            isinstance(terms, dict) and terms.get("custom_audience_tos")
        ),
    }


def _audience_view(audience: dict) -> dict:
    status = audience.get("operation_status")
    return {
        "id": audience.get("id"),
        "name": audience.get("name"),
        "customer_file_source": audience.get("customer_file_source"),
        "operation_status": status if isinstance(status, dict) else None,
        "approximate_count_lower_bound": audience.get("approximate_count_lower_bound"),
        "approximate_count_upper_bound": audience.get("approximate_count_upper_bound"),
    }
