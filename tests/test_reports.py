"""The figures of services.reports on sales made at the till and through the API (see tests/overview_sales.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kiosk_tickets.services import reports
from tests.helpers import EVENT, EVENT_URL, created
from tests.overview_sales import a_day_of_sales

FIRST = date(2026, 11, 1)


@pytest.fixture
def sales(app, store, api, clock):
    return a_day_of_sales(app, store, api, clock)


def event_of(tx):
    return tx.find_one("events", slug=EVENT)


def test_the_first_day_by_product_method_and_cashier(store, sales):
    with store.transaction() as tx:
        figures = reports.figures(tx, event_of(tx), FIRST)
    assert [(p.product, p.count, p.amount) for p in figures.products] == [
        ("Day ticket", 2, Decimal("30.00")),
        ("T-shirt", 1, Decimal("20.00")),
    ]
    assert (figures.orders_placed, figures.tickets_sold, figures.sales_total) == (2, 3, Decimal("50.00"))
    # The canceled cash sale was received that day too; its cash goes back from Counter 2's drawer.
    assert [(m.provider, m.count, m.amount) for m in figures.methods] == [
        ("cash", 2, Decimal("45.00")),
        ("card", 1, Decimal("20.00")),
    ]
    assert figures.received_total == Decimal("65.00")
    counted = [(c.name, c.orders, c.sold, c.card_in, c.cash_in, c.cash_back, c.expected_cash) for c in figures.cashiers]
    assert counted == [
        ("Counter 1", 2, Decimal("50.00"), Decimal("20.00"), Decimal("30.00"), Decimal(0), Decimal("30.00")),
        ("Counter 2", 0, Decimal(0), Decimal(0), Decimal("15.00"), Decimal("15.00"), Decimal(0)),
    ]
    assert figures.expected_cash == Decimal("30.00")
    [canceled] = figures.cancellations
    assert (canceled.order, canceled.what, canceled.amount, canceled.paid, canceled.provider, canceled.cashier) == (
        sales.codes["C"], "Whole order", Decimal("15.00"), Decimal("15.00"), "cash", "Counter 2"
    )
    assert canceled.when is not None and f"{canceled.when:%H:%M}" == "14:10"  # Berlin time
    assert figures.canceled_total == Decimal("15.00")


def test_the_next_day_and_the_whole_event(store, sales):
    with store.transaction() as tx:
        event = event_of(tx)
        second = reports.figures(tx, event, date(2026, 11, 2))
        whole = reports.figures(tx, event, None)
    assert [(p.product, p.count, p.amount) for p in second.products] == [("Day ticket", 1, Decimal("15.00"))]
    assert [(c.name, c.expected_cash) for c in second.cashiers] == [("Counter 1", Decimal("15.00"))]
    assert second.cancellations == []
    assert [(p.product, p.count, p.amount) for p in whole.products] == [
        ("Day ticket", 3, Decimal("45.00")),
        ("T-shirt", 1, Decimal("20.00")),
    ]
    assert [(m.provider, m.amount) for m in whole.methods] == [("cash", Decimal("60.00")), ("card", Decimal("20.00"))]
    assert [(c.name, c.expected_cash) for c in whole.cashiers] == [
        ("Counter 1", Decimal("45.00")),
        ("Counter 2", Decimal(0)),
    ]
    assert whole.sales_total == Decimal("65.00") and whole.expected_cash == Decimal("45.00")


def test_an_order_paid_through_the_api_counts_as_not_sold_at_the_till(store, api, sales, clock):
    paid = {"status": "p", "payment_provider": "cash", "positions": [{"item": sales.items["day"]}]}
    created(api, f"{EVENT_URL}/orders/", paid)
    with store.transaction() as tx:
        figures = reports.figures(tx, event_of(tx), date(2026, 11, 2))
    assert [(c.name, c.orders, c.cash_in) for c in figures.cashiers] == [
        ("Counter 1", 1, Decimal("15.00")),
        ("Not sold at the till", 1, Decimal("15.00")),
    ]


def test_quotas_left_now(store, sales, clock):
    with store.transaction() as tx:
        left = reports.quotas_left(tx, event_of(tx), clock())
    # A and E hold 3 day tickets, the pending D one; the canceled C gave its place back. The shirt is sold.
    assert [(q.name, q.size, q.left) for q in left] == [("Day tickets", 50, 46), ("Shirts", 1, 0)]


def test_check_ins_per_quarter_hour_and_orders_per_hour(store, sales):
    with store.transaction() as tx:
        event = event_of(tx)
        quarters = reports.checkins_per_quarter_hour(tx, event, FIRST)
        hours = reports.orders_per_hour(tx, event, FIRST)
        nothing = reports.checkins_per_quarter_hour(tx, event, date(2026, 11, 2))
    assert [(f"{b.start:%H:%M}", b.count) for b in quarters[:3]] == [("13:00", 1), ("13:15", 1), ("13:30", 0)]
    assert len(quarters) == 8 and sum(b.count for b in quarters) == 2  # the refused scan does not count
    assert [(f"{b.start:%H}", b.count) for b in hours] == [
        ("13", 3), ("14", 1), ("15", 0), ("16", 0), ("17", 0), ("18", 0)
    ]
    assert nothing == []


def test_a_day_is_the_event_s_local_day(store, sales):
    """23:30 UTC on 1 November is already 2 November in Berlin."""
    with store.transaction() as tx:
        event = event_of(tx)
        assert reports.local_day(event, datetime(2026, 11, 1, 23, 30, tzinfo=UTC)) == date(2026, 11, 2)
        assert reports.local_day(event, datetime(2026, 11, 1, 22, 59, tzinfo=UTC)) == FIRST
