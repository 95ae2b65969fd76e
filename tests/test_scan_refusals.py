"""Why a scan may not pass, checked on the check-in service directly: each reason, and which comes first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk_tickets.services.checkin import Scan, refusal
from kiosk_tickets.services.common import OrderStatus
from kiosk_tickets.store import Store

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LIST = {
    "id": 1,
    "event": 1,
    "all_products": True,
    "limit_products": [],
    "include_pending": False,
    "allow_multiple_entries": False,
    "allow_entry_after_exit": True,
}
POSITION = {"id": 7, "event": 1, "item": 3, "canceled": False, "blocked": None, "valid_from": None, "valid_until": None}
ORDER = {"status": OrderStatus.PAID, "require_approval": False, "valid_if_pending": False}


@pytest.fixture
def tx(tmp_path):
    store = Store(tmp_path / "data")
    with store.transaction() as transaction:
        yield transaction
    store.close()


def scan(**changes) -> Scan:
    return Scan(lists=[1], secret="abc", **changes)


def entered(tx, kind: str = "entry") -> None:
    checkin = {"position": 7, "list": 1, "successful": True, "type": kind, "datetime": "2026-11-01T11:00:00Z"}
    tx.insert("checkins", checkin)


CASES = [
    # (what is different, the scan's changes, expected reason)
    ({}, {}, None),
    ({"position": {"canceled": True}}, {}, "canceled"),
    ({"order": {"status": OrderStatus.CANCELED}}, {}, "canceled"),
    ({"order": {"status": OrderStatus.EXPIRED}}, {}, "canceled"),
    ({"order": {"status": OrderStatus.PENDING}}, {}, "unpaid"),
    ({"order": {"status": OrderStatus.PENDING, "require_approval": True}}, {}, "unapproved"),
    ({"order": {"status": OrderStatus.PENDING, "valid_if_pending": True}}, {}, None),
    ({"order": {"status": OrderStatus.PENDING}, "list": {"include_pending": True}}, {"ignore_unpaid": True}, None),
    ({"order": {"status": OrderStatus.PENDING}, "list": {"include_pending": True}}, {}, "unpaid"),
    ({"list": {"all_products": False, "limit_products": [4]}}, {}, "product"),
    ({"position": {"blocked": ["admin"]}}, {}, "blocked"),
    ({"position": {"valid_from": "2026-11-02T00:00:00Z"}}, {}, "invalid_time"),
    ({"position": {"valid_until": "2026-10-31T00:00:00Z"}}, {}, "invalid_time"),
    ({"position": {"valid_until": "2026-10-31T00:00:00Z"}}, {"datetime": "2026-10-30T00:00:00Z"}, None),
    # Which reason wins when several hold: pretix's order of checks.
    ({"position": {"canceled": True}, "order": {"status": OrderStatus.PENDING}}, {}, "canceled"),
    ({"order": {"status": OrderStatus.PENDING}, "list": {"all_products": False}}, {}, "unpaid"),
    ({"list": {"all_products": False}, "position": {"blocked": ["admin"]}}, {}, "product"),
    ({"position": {"blocked": ["admin"], "valid_from": "2026-11-02T00:00:00Z"}}, {}, "blocked"),
    # force passes what already happened offline, never a canceled ticket or the wrong product.
    ({"order": {"status": OrderStatus.PENDING}}, {"force": True}, None),
    ({"position": {"blocked": ["admin"], "valid_from": "2026-11-02T00:00:00Z"}}, {"force": True}, None),
    ({"position": {"canceled": True}}, {"force": True}, "canceled"),
    ({"list": {"all_products": False}}, {"force": True}, "product"),
    ({"order": {"status": OrderStatus.PENDING, "require_approval": True}}, {"force": True}, "unapproved"),
]


@pytest.mark.parametrize(("different", "scan_changes", "reason"), CASES)
def test_the_first_reason_that_holds_refuses_the_scan(tx, different, scan_changes, reason):
    checkin_list = {**LIST, **different.get("list", {})}
    position = {**POSITION, **different.get("position", {})}
    order = {**ORDER, **different.get("order", {})}

    assert refusal(tx, checkin_list, position, order, scan(**scan_changes), NOW)[0] == reason


def test_an_explanation_names_the_time_a_ticket_is_valid_from(tx):
    position = {**POSITION, "valid_from": "2026-11-02T00:00:00Z"}

    assert refusal(tx, LIST, position, ORDER, scan(), NOW) == (
        "invalid_time",
        "This ticket is only valid from 2026-11-02T00:00:00Z.",
    )


@pytest.mark.parametrize(
    ("history", "list_changes", "scan_changes", "reason"),
    [
        (["entry"], {}, {}, "already_redeemed"),
        (["entry"], {"allow_multiple_entries": True}, {}, None),
        (["entry", "exit"], {}, {}, None),
        (["entry", "exit"], {"allow_entry_after_exit": False}, {}, "already_redeemed"),
        (["entry"], {}, {"type": "exit"}, None),
        (["entry"], {}, {"force": True}, None),
    ],
)
def test_a_second_entry(tx, history, list_changes, scan_changes, reason):
    for kind in history:
        entered(tx, kind)

    assert refusal(tx, {**LIST, **list_changes}, POSITION, ORDER, scan(**scan_changes), NOW)[0] == reason
