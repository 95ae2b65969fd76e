"""Check-in counts kept by the store agree with counting every ticket, through any mix of sales, payments,
cancellations, expiry, scans in and out, and after the store is read anew from disk."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest

from kiosk_tickets.services.checkin import list_counts
from kiosk_tickets.services.common import OrderStatus
from tests.helpers import EVENT_URL, created, open_store, store_of

ORDERS = f"{EVENT_URL}/orders/"


def counted_one_by_one(tx: Any, checkin_list: Mapping[str, Any]) -> dict[str, Any]:
    """The counts by reading every ticket of the event and its scans: slow, and plainly right."""
    totals = {"position_count": 0, "checkin_count": 0, "inside_count": 0}
    per_product: dict[tuple[int, int | None], dict[str, int]] = {}
    for position in tx.find("orderpositions", event=checkin_list["event"]):
        order = tx.get("orders", position["order"])
        pending = order["status"] == OrderStatus.PENDING
        if position["canceled"] or order["status"] not in (OrderStatus.PAID, OrderStatus.PENDING):
            continue
        if pending and not (checkin_list["include_pending"] or order.get("valid_if_pending")):
            continue
        if not checkin_list["all_products"] and position["item"] not in checkin_list["limit_products"]:
            continue
        scans = sorted(
            (c for c in tx.find("checkins", position=position["id"], list=checkin_list["id"]) if c["successful"]),
            key=lambda c: (c["datetime"], c["id"]),
        )
        came_in = any(scan["type"] == "entry" for scan in scans)
        key = (position["item"], position["variation"])
        product = per_product.setdefault(key, {"position_count": 0, "checkin_count": 0})
        product["position_count"] += 1
        product["checkin_count"] += came_in
        totals["position_count"] += 1
        totals["checkin_count"] += came_in
        totals["inside_count"] += bool(scans) and scans[-1]["type"] == "entry"
    return {**totals, "per_product": per_product}


def assert_counts_agree(store: Any) -> None:
    with store.transaction() as tx:
        for checkin_list in tx.all("checkinlists"):
            assert list_counts(tx, checkin_list) == counted_one_by_one(tx, checkin_list), checkin_list["name"]


@pytest.mark.parametrize("seed", range(3))
def test_kept_counts_agree_with_counting_every_ticket(app, api, clock, seed):
    rng = random.Random(seed)
    ticket = created(api, f"{EVENT_URL}/items/", {"name": "Ticket", "default_price": "10.00", "admission": True})
    shirt = created(
        api,
        f"{EVENT_URL}/items/",
        {"name": "Shirt", "default_price": "15.00", "variations": [{"value": "S"}, {"value": "M"}]},
    )
    everything = {"items": [ticket["id"], shirt["id"]], "variations": [v["id"] for v in shirt["variations"]]}
    created(api, f"{EVENT_URL}/quotas/", {"name": "All", "size": None, **everything})
    lists = [
        created(api, f"{EVENT_URL}/checkinlists/", {"name": "All"}),
        created(api, f"{EVENT_URL}/checkinlists/", {"name": "Pending too", "include_pending": True}),
        created(
            api,
            f"{EVENT_URL}/checkinlists/",
            {"name": "Tickets only", "all_products": False, "limit_products": [ticket["id"]]},
        ),
    ]
    products = [{"item": ticket["id"]}, *({"item": shirt["id"], "variation": v["id"]} for v in shirt["variations"])]
    orders: list[dict] = []
    for _ in range(60):
        action = rng.choice(["sell", "sell", "scan", "scan", "scan", "pay", "cancel", "cancel position", "time"])
        if action == "sell" or not orders:
            body = {
                "positions": [rng.choice(products) for _ in range(rng.randint(1, 3))],
                "valid_if_pending": rng.random() < 0.3,
            }
            if rng.random() < 0.5:
                body.update(status="p", payment_provider="cash")
            orders.append(created(api, ORDERS, body))
        elif action == "scan":
            order = rng.choice(orders)
            secret = rng.choice(order["positions"])["secret"]
            scan = {"secret": secret, "lists": [rng.choice(lists)["id"]], "type": rng.choice(["entry", "exit"])}
            scan["force"] = rng.random() < 0.2
            api.post("/api/v1/organizers/bigevents/checkinrpc/redeem/", json=scan)
        elif action == "pay":
            api.post(f"{ORDERS}{rng.choice(orders)['code']}/mark_paid/", json={})
        elif action == "cancel":
            api.post(f"{ORDERS}{rng.choice(orders)['code']}/mark_canceled/", json={})
        elif action == "cancel position":
            order = rng.choice(orders)
            api.delete(f"{EVENT_URL}/orderpositions/{rng.choice(order['positions'])['id']}/")
        else:
            clock.advance(days=rng.choice([1, 5, 10]))  # pending orders run past their deadline and expire
            api.get(ORDERS)
        assert_counts_agree(store_of(app))

    with store_of(app).transaction() as tx:
        came_in = sum(list_counts(tx, checkin_list)["checkin_count"] for checkin_list in tx.all("checkinlists"))
    assert came_in > 0  # scans did count
    # Read anew from disk, the counts are rebuilt from the tables and still agree.
    store_of(app).close()
    assert_counts_agree(open_store(app.config["DATA_DIR"]))
