"""A day of sales for the overview's tests: two cashiers sell at the till (cash and card), the API places a pending
order, one till sale is canceled, two tickets are checked in, and one more sale happens the next morning.

The event runs in Europe/Berlin (UTC+1 in November): the first day is 2026-11-01, sales from 13:00 local time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kiosk_tickets.services import auth
from tests.helpers import EVENT, EVENT_URL, ORGANIZER, START, created
from tests.ui_pages import form_field, sign_in

SELL = f"/sell/{EVENT}/"
REDEEM = f"/api/v1/organizers/{ORGANIZER}/checkinrpc/redeem/"


@dataclass
class Sales:
    items: dict[str, int]
    codes: dict[str, str] = field(default_factory=dict)


def named_token(store, name: str, scope: str = "boxoffice") -> str:
    with store.transaction() as tx:
        token, _ = auth.create_token(tx, ORGANIZER, scope, START, name=name)
    return token


def till(app, token: str):
    """A browser signed in at the till with `token` (a session lasts 12 hours: sign in again each day)."""
    browser = app.test_client()
    sign_in(browser, token)
    return browser


def sell(browser, item: int, count: int, method: str, given: str | None = None) -> str:
    """Tap `item` `count` times and pay; return the order code."""
    for _ in range(count):
        page = browser.get(SELL)
        browser.post(SELL, data={"csrf_token": form_field(page, "csrf_token"), "add": str(item)})
    page = browser.get(SELL)
    data = {"csrf_token": form_field(page, "csrf_token"), "pay": method}
    if given:
        data["given"] = given
    done = browser.post(SELL, data=data, follow_redirects=True)
    found = re.search(r'id="order-code">([A-Z0-9]+)<', done.get_data(as_text=True))
    assert found, done.get_data(as_text=True)
    return found.group(1)


def a_day_of_sales(app, store, api, clock) -> Sales:
    assert api.patch(EVENT_URL + "/", json={"timezone": "Europe/Berlin"}).status_code == 200
    day = created(
        api, f"{EVENT_URL}/items/", {"name": {"en": "Day ticket"}, "default_price": "15.00", "admission": True}
    )
    shirt = created(api, f"{EVENT_URL}/items/", {"name": {"en": "T-shirt"}, "default_price": "20.00"})
    created(api, f"{EVENT_URL}/quotas/", {"name": "Day tickets", "size": 50, "items": [day["id"]]})
    created(api, f"{EVENT_URL}/quotas/", {"name": "Shirts", "size": 1, "items": [shirt["id"]]})
    lists = created(api, f"{EVENT_URL}/checkinlists/", {"name": "Gate", "all_products": True})
    sales = Sales({"day": day["id"], "shirt": shirt["id"]})
    counter_1, counter_2 = named_token(store, "Counter 1"), named_token(store, "Counter 2")
    first, second = till(app, counter_1), till(app, counter_2)

    # The clock only moves forward: the server never dates anything before what it already recorded.
    clock.moment = START  # 13:00 in Berlin
    sales.codes["A"] = sell(first, day["id"], 2, "cash", "50.00")
    secrets = [
        position["secret"] for position in api.get(f"{EVENT_URL}/orders/{sales.codes['A']}/").get_json()["positions"]
    ]

    def scan(position: int) -> None:
        api.post(REDEEM, json={"secret": secrets[position], "lists": [lists["id"]]})

    clock.advance(minutes=5)
    scan(0)  # checked in at 13:05
    clock.advance(minutes=15)
    sales.codes["B"] = sell(first, shirt["id"], 1, "card")
    scan(1)  # checked in at 13:20
    clock.advance(minutes=5)
    scan(1)  # refused at 13:25: already checked in
    clock.advance(minutes=15)
    sales.codes["C"] = sell(second, day["id"], 1, "cash")
    clock.advance(minutes=20)  # 14:00: an order placed through the API, not paid
    pending = created(api, f"{EVENT_URL}/orders/", {"positions": [{"item": day["id"]}]})
    sales.codes["D"] = pending["code"]
    clock.advance(minutes=10)
    assert api.post(f"{EVENT_URL}/orders/{sales.codes['C']}/mark_canceled/").status_code == 200

    clock.moment = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 10:00 the next morning
    sales.codes["E"] = sell(till(app, counter_1), day["id"], 1, "cash", "20.00")
    return sales
