"""The quota ledger without HTTP: carts count until their expiry, pending orders until their payment deadline,
paid orders always, and blocking vouchers hold their unused units."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk_tickets.services.quotas import QuotaLedger, ledger, quota_usage
from kiosk_tickets.store import FrozenTable, freeze
from tests.helpers import open_store

EVENT = 1
TICKET = (10, None)
SHIRT_M = (11, 2)
DEADLINE = "2026-11-01T13:00:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def moment(text: str) -> float:
    return at(text).timestamp()


def book(**tables: dict) -> QuotaLedger:
    ledger_ = QuotaLedger()
    ledger_.reset({name: FrozenTable({key: freeze(doc) for key, doc in docs.items()}) for name, docs in tables.items()})
    return ledger_


def cart(expires: str, key: tuple = TICKET, **fields) -> dict:
    return {"event": EVENT, "item": key[0], "variation": key[1], "expires": expires, **fields}


def order(status: str, expires: str | None = DEADLINE, **fields) -> dict:
    return {"event": EVENT, "status": status, "expires": expires, **fields}


def position(order_id: int, key: tuple = TICKET, **fields) -> dict:
    return {"order": order_id, "item": key[0], "variation": key[1], **fields}


# ---------------------------------------------------------------------------------------- carts


@pytest.mark.parametrize(
    ("now", "live"),
    [
        ("2026-11-01T12:00:00Z", 2),
        ("2026-11-01T12:29:59Z", 2),
        ("2026-11-01T12:30:00Z", 1),
        ("2026-11-01T12:59:59Z", 1),
        ("2026-11-01T13:00:00Z", 0),
        ("2026-11-02T00:00:00Z", 0),
    ],
)
def test_a_cart_stops_counting_at_its_expiry(now, live):
    ledger_ = book(cartpositions={1: cart("2026-11-01T12:30:00Z"), 2: cart("2026-11-01T13:00:00Z")})

    assert ledger_.live_carts(TICKET, moment(now)) == live
    assert ledger_.live_carts(SHIRT_M, moment(now)) == 0


def test_expired_carts_are_listed_per_event_up_to_now():
    ledger_ = book(
        cartpositions={
            1: cart("2026-11-01T12:30:00Z"),
            2: cart("2026-11-01T13:00:00Z"),
            3: {**cart("2026-11-01T12:00:00Z"), "event": 2},
        }
    )

    assert ledger_.expired_carts(EVENT, moment("2026-11-01T12:29:59Z")) == []
    assert ledger_.expired_carts(EVENT, moment("2026-11-01T12:30:00Z")) == [1]
    assert ledger_.expired_carts(EVENT, moment("2026-11-01T13:00:00Z")) == [1, 2]
    assert ledger_.expired_carts(2, moment("2026-11-01T13:00:00Z")) == [3]


def test_a_cart_with_a_voucher_is_counted_by_its_voucher():
    ledger_ = book(cartpositions={1: cart("2026-11-01T12:30:00Z", voucher=7)})

    assert ledger_.live_carts(TICKET, moment("2026-11-01T12:00:00Z")) == 0
    assert ledger_.live_voucher_carts(7, moment("2026-11-01T12:29:59Z")) == 1
    assert ledger_.live_voucher_carts(7, moment("2026-11-01T12:30:00Z")) == 0


def test_a_deleted_cart_stops_counting_at_once():
    ledger_ = book(cartpositions={1: cart("2026-11-01T13:00:00Z")})

    ledger_.changed("cartpositions", 1, cart("2026-11-01T13:00:00Z"), None)

    assert ledger_.live_carts(TICKET, moment("2026-11-01T12:00:00Z")) == 0
    assert ledger_.expired_carts(EVENT, moment("2026-11-02T00:00:00Z")) == []


# ---------------------------------------------------------------------------------------- orders


@pytest.mark.parametrize(
    ("now", "pending"),
    [("2026-11-01T12:00:00Z", 2), ("2026-11-01T13:00:00Z", 2), ("2026-11-01T13:00:01Z", 0)],
)
def test_a_pending_order_holds_until_its_payment_deadline_inclusive(now, pending):
    ledger_ = book(orders={1: order("n")}, orderpositions={1: position(1), 2: position(1)})

    assert ledger_.pending_units(TICKET, moment(now)) == pending
    assert ledger_.paid[TICKET] == 0


def test_overdue_orders_are_those_past_their_deadline():
    ledger_ = book(orders={1: order("n"), 2: order("n", "2026-11-01T14:00:00Z"), 3: order("p")})

    assert ledger_.overdue_orders(EVENT, moment("2026-11-01T13:00:00Z")) == []
    assert ledger_.overdue_orders(EVENT, moment("2026-11-01T13:00:01Z")) == [1]
    assert ledger_.overdue_orders(EVENT, moment("2026-11-02T00:00:00Z")) == [1, 2]


def test_a_pending_order_waiting_for_approval_never_runs_out():
    ledger_ = book(orders={1: order("n", require_approval=True)}, orderpositions={1: position(1)})

    assert ledger_.pending_units(TICKET, moment("2030-01-01T00:00:00Z")) == 1
    assert ledger_.overdue_orders(EVENT, moment("2030-01-01T00:00:00Z")) == []


def test_paid_orders_hold_whatever_the_time():
    ledger_ = book(orders={1: order("p")}, orderpositions={1: position(1), 2: position(1, SHIRT_M)})

    assert ledger_.paid == {TICKET: 1, SHIRT_M: 1}
    assert ledger_.pending_units(TICKET, moment("2030-01-01T00:00:00Z")) == 0


@pytest.mark.parametrize("status", ["e", "c"])
def test_expired_and_canceled_orders_hold_nothing(status):
    ledger_ = book(orders={1: order(status)}, orderpositions={1: position(1)})

    assert ledger_.paid[TICKET] == 0
    assert ledger_.pending_units(TICKET, moment("2026-11-01T12:00:00Z")) == 0


def test_a_canceled_position_holds_nothing():
    ledger_ = book(orders={1: order("p")}, orderpositions={1: position(1, canceled=True), 2: position(1)})

    assert ledger_.paid[TICKET] == 1


def test_paying_moves_the_units_from_pending_to_paid():
    ledger_ = book(orders={1: order("n")}, orderpositions={1: position(1)})

    ledger_.changed("orders", 1, order("n"), order("p"))

    assert ledger_.paid[TICKET] == 1
    assert ledger_.pending_units(TICKET, moment("2026-11-01T12:00:00Z")) == 0
    assert ledger_.overdue_orders(EVENT, moment("2030-01-01T00:00:00Z")) == []


def test_a_new_deadline_moves_the_pending_units_with_it():
    ledger_ = book(orders={1: order("n")}, orderpositions={1: position(1)})

    ledger_.changed("orders", 1, order("n"), order("n", "2026-11-01T15:00:00Z"))

    assert ledger_.pending_units(TICKET, moment("2026-11-01T14:00:00Z")) == 1
    assert ledger_.overdue_orders(EVENT, moment("2026-11-01T14:00:00Z")) == []


# ---------------------------------------------------------------------------------------- vouchers


def test_only_vouchers_that_block_are_kept():
    ledger_ = book(vouchers={1: {"event": EVENT, "block_quota": True}, 2: {"event": EVENT, "block_quota": False}})

    assert set(ledger_.blocking_vouchers) == {1}

    ledger_.changed("vouchers", 1, {"block_quota": True}, {"event": EVENT, "block_quota": False})

    assert ledger_.blocking_vouchers == {}


# ---------------------------------------------------------------------------------------- counting all at once


def counts(ledger_: QuotaLedger) -> dict:
    """Everything the ledger holds, as plain values."""
    return {
        "orders": ledger_.orders,
        "paid": +ledger_.paid,
        **{
            name: {key: list(entries) for key, entries in getattr(ledger_, name).items() if entries}
            for name in ("pending", "pending_orders", "carts", "event_carts")
        },
        "voucher_carts": {key: value for key, value in ledger_.voucher_carts.items() if value},
        "blocking_vouchers": {key: dict(value) for key, value in ledger_.blocking_vouchers.items()},
    }


def test_counting_a_whole_store_at_once_gives_what_following_each_document_gives():
    tables = {
        "orders": {
            1: order("p"),
            2: order("n"),
            3: order("n", "2026-11-01T14:00:00Z", require_approval=True),
            4: order("n", None),
            5: order("c"),
            6: order("e"),
            7: {**order("n", "2026-11-02T09:00:00Z"), "event": 2},
        },
        "orderpositions": {
            1: position(1),
            2: position(1, SHIRT_M),
            3: position(1, canceled=True),
            4: position(2),
            5: position(2, SHIRT_M),
            6: position(3),
            7: position(4),
            8: position(5),
            9: position(6),
            10: position(7),
            11: position(99),  # its order is gone
        },
        "cartpositions": {1: cart("2026-11-01T12:30:00Z"), 2: cart("2026-11-01T12:40:00Z", SHIRT_M, voucher=3)},
        "vouchers": {3: {"event": EVENT, "block_quota": True}, 4: {"event": EVENT}},
    }
    followed = book()
    for table, docs in tables.items():
        for doc_id, doc in docs.items():
            followed.changed(table, doc_id, None, doc)

    assert counts(book(**tables)) == counts(followed)
    assert counts(followed)["paid"] == {TICKET: 1, SHIRT_M: 1}
    assert sum(len(entries) for entries in counts(followed)["pending"].values()) == 5


def test_changes_in_any_order_leave_what_counting_the_end_result_gives():
    """Positions before their order, an order gone and back, a position moved, canceled and deleted."""
    followed = book()
    changes = [
        ("orderpositions", 1, None, position(1)),
        ("orderpositions", 2, None, position(1, SHIRT_M)),
        ("orders", 1, None, order("n")),
        ("orders", 2, None, order("p")),
        ("orderpositions", 3, None, position(2)),
        ("orders", 1, order("n"), None),
        ("orderpositions", 2, position(1, SHIRT_M), position(2, SHIRT_M)),
        ("orders", 1, None, order("p")),
        ("orderpositions", 3, position(2), position(2, canceled=True)),
        ("orderpositions", 1, position(1), None),
        ("orderpositions", 4, None, position(3)),
        ("orderpositions", 4, position(3), None),
    ]
    for table, doc_id, old, new in changes:
        followed.changed(table, doc_id, old, new)
    ended = book(
        orders={1: order("p"), 2: order("p")},
        orderpositions={2: position(2, SHIRT_M), 3: position(2, canceled=True)},
    )

    assert counts(followed) == counts(ended)
    assert counts(followed)["paid"] == {SHIRT_M: 1}
    assert 3 not in followed.orders  # nothing is kept of an order without a document or positions


# ---------------------------------------------------------------------------------------- usage of a quota, on a store


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path / "data")
    yield store
    store.close()


def test_usage_of_a_quota_by_kind_and_time(store):
    with store.transaction() as tx:
        item = tx.insert("items", {"event": EVENT, "has_variations": False})["id"]
        quota = tx.insert("quotas", {"event": EVENT, "size": 20, "items": [item], "variations": []})
        paid = tx.insert("orders", order("p"))["id"]
        pending = tx.insert("orders", order("n"))["id"]
        for order_id in (paid, paid, pending):
            tx.insert("orderpositions", position(order_id, (item, None), event=EVENT))
        tx.insert("cartpositions", cart("2026-11-01T12:30:00Z", (item, None)))
        tx.insert(
            "vouchers",
            {
                "event": EVENT,
                "block_quota": True,
                "item": item,
                "max_usages": 5,
                "redeemed": 2,
                "valid_until": "2026-11-01T14:00:00Z",
            },
        )
        tx.insert("vouchers", {"event": EVENT, "block_quota": False, "item": item, "max_usages": 9})

    with store.transaction() as tx:
        usage = {
            now: quota_usage(tx, quota, at(now))
            for now in ("2026-11-01T12:00:00Z", "2026-11-01T12:30:00Z", "2026-11-01T13:00:01Z", "2026-11-01T14:00:01Z")
        }
        overdue = ledger(tx).overdue_orders(EVENT, moment("2026-11-01T13:00:01Z"))

    def counts(paid_, pending_, carts, blocking):
        return {
            "paid_orders": paid_,
            "pending_orders": pending_,
            "exited_orders": 0,
            "cart_positions": carts,
            "blocking_vouchers": blocking,
        }

    assert usage == {
        "2026-11-01T12:00:00Z": counts(2, 1, 1, 3),
        "2026-11-01T12:30:00Z": counts(2, 1, 0, 3),
        "2026-11-01T13:00:01Z": counts(2, 0, 0, 3),
        "2026-11-01T14:00:01Z": counts(2, 0, 0, 0),
    }
    assert overdue == [pending]
