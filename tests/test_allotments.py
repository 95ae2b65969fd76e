"""The allotment and push records in the store: quota sizes, what waits for a push, idempotency attempts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk_tickets.schemas import central as central_json
from kiosk_tickets.services import allotments, sync
from kiosk_tickets.services.allotments import CANCEL, CHECKIN, FAILED, ORDER, PUSHED, REFUSED
from kiosk_tickets.store import Store, Transaction

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ORGANIZER = {"slug": "acme", "name": "ACME"}
EVENT = central_json.event({"name": {"en": "Fair"}, "slug": "fair", "date_from": "2027-01-01T10:00:00Z"})
VOUCHER = {"id": 12, "code": "BOXABC"}


def setup_event(tx: Transaction) -> tuple[int, dict]:
    """A pulled event with one item in one central quota of size 10; return the event id and the quota."""
    event = sync.begin(tx, ORGANIZER, "http://central.example/", EVENT, {}, NOW)["event"]
    sync.put(tx, "items", {"id": 1, "event": event, "has_variations": False}, event)
    quota = sync.put(tx, "quotas", {"id": 1, "event": event, "size": 10, "items": [1], "variations": []}, event)
    return event, quota


def sale(tx: Transaction, event: int, code: str, status: str = "p", own: bool = True) -> dict:
    """An order of one ticket: the box's own (ids of its range) or one pulled from the central."""
    order = tx.insert("orders", {"event": event, "code": code, "status": status})
    position = {
        "order": order["id"],
        "event": event,
        "item": 1,
        "variation": None,
        "canceled": False,
        "secret": f"s-{code}",
    }
    if own:
        tx.insert("orderpositions", position)
    else:
        tx.put("orderpositions", len(tx.all("orderpositions")) + 1, position)
    return order


@pytest.fixture
def store(data_dir) -> Store:
    return Store(data_dir)


def test_the_local_quota_holds_the_allotment_beside_the_central_orders_and_follows_them(store):
    with store.transaction() as tx:
        event, quota = setup_event(tx)
        sale(tx, event, "ONL01", own=False)
        sale(tx, event, "ONL02", own=False)
        sale(tx, event, "ONL03", status="c", own=False)
        allotments.record(tx, quota, VOUCHER, 3, "gate-1")
        assert tx.get("quotas", 1)["size"] == 5
        sale(tx, event, "ONL04", own=False)
        allotments.apply_sizes(tx, event)
        assert tx.get("quotas", 1)["size"] == 6
        # The box's own sales are inside the allotment: they do not grow the quota.
        sale(tx, event, "BOX01")
        allotments.apply_sizes(tx, event)
        assert (tx.get("quotas", 1)["size"], allotments.box_units(tx, quota)) == (6, 1)
        assert allotments.allotment_of(tx, event, 1) == {
            "id": 1,
            "event": event,
            "quota": 1,
            "voucher": 12,
            "voucher_code": "BOXABC",
            "units": 3,
            "box": "gate-1",
        }
        assert allotments.voucher_code_for(tx, event, {"item": 1, "variation": None}) == "BOXABC"
        assert allotments.voucher_code_for(tx, event, {"item": 2, "variation": None}) is None
        # Refused by the central after all: no allotment, no room at the box beside the central's 3 orders.
        allotments.forget(tx, allotments.allotment_of(tx, event, 1))
        assert (tx.get("quotas", 1)["size"], allotments.allotment_of(tx, event, 1)) == (3, None)
        assert tx.get("quotas", 1)["central_size"] == 10


def test_a_pulled_quota_without_an_allotment_has_no_room_at_the_box_and_one_without_a_size_stays_without(store):
    with store.transaction() as tx:
        event, _ = setup_event(tx)
        sync.put(tx, "quotas", {"id": 2, "event": event, "size": None, "items": [1], "variations": []}, event)
        own = tx.insert("quotas", {"event": event, "size": 4, "items": [1], "variations": []})
        sale(tx, event, "ONL01", own=False)
        allotments.apply_sizes(tx, event)
        assert [(quota["id"], quota["size"], quota.get("central_size")) for quota in tx.all("quotas")] == [
            (1, 1, 10),
            (2, None, None),
            (own["id"], 4, None),
        ]
        # A pull writes the quota as the central has it again; the next sizing takes the central's new figure.
        sync.put(tx, "quotas", {"id": 1, "event": event, "size": 12, "items": [1], "variations": []}, event)
        allotments.record(tx, tx.get("quotas", 1), VOUCHER, 2, "gate-1")
        assert (tx.get("quotas", 1)["size"], tx.get("quotas", 1)["central_size"]) == (3, 12)


def test_a_page_of_changed_central_orders_shifts_the_sizes_as_a_full_count_would(store):
    with store.transaction() as tx:
        event, quota = setup_event(tx)
        sync.put(tx, "quotas", {"id": 2, "event": event, "size": None, "items": [1], "variations": []}, event)
        kept, canceled = sale(tx, event, "ONL01", own=False), sale(tx, event, "ONL02", own=False)
        allotments.record(tx, quota, VOUCHER, 3, "gate-1")
        assert tx.get("quotas", 1)["size"] == 5
        codes = [kept["code"], canceled["code"], "ONL03"]
        before = allotments.central_units(tx, codes)
        tx.update("orders", canceled["id"], {"status": "c"})
        sale(tx, event, "ONL03", own=False)
        sale(tx, event, "ONL04", status="n", own=False)  # not among the changed orders: not shifted
        after = allotments.central_units(tx, codes)
        assert (before, after) == ({(1, None): 2}, {(1, None): 2})
        tx.update("orders", kept["id"], {"status": "c"})
        after = allotments.central_units(tx, codes)
        allotments.shift_sizes(tx, event, before, after)
        assert [(doc["size"], doc.get("central_size")) for doc in tx.all("quotas")] == [(4, 10), (None, None)]
        allotments.apply_sizes(tx, event)
        assert tx.get("quotas", 1)["size"] == 5  # the full count takes ONL04 in too


@pytest.mark.parametrize(("units", "refused"), [(1, True), (2, False), (0, True)])
def test_an_allotment_below_what_the_box_sold_is_refused(store, units, refused):
    with store.transaction() as tx:
        event, quota = setup_event(tx)
        sale(tx, event, "BOX01")
        sale(tx, event, "BOX02")
        sale(tx, event, "BOX03", status="c")
        sale(tx, event, "ONL01", own=False)
        if refused:
            with pytest.raises(allotments.AllotmentRefused) as error:
                allotments.check_units(tx, quota, units)
            assert error.value.detail == (
                f"the box has already sold 2 unit(s) of quota 1, so its allotment cannot be {units}."
            )
        else:
            allotments.check_units(tx, quota, units)


def test_a_quota_not_pulled_from_the_central_cannot_be_allotted(store):
    with store.transaction() as tx:
        event, _ = setup_event(tx)
        own = tx.insert("quotas", {"event": event, "size": 5, "items": [1], "variations": []})
        for quota_id in (own["id"], 99):
            with pytest.raises(allotments.AllotmentRefused) as error:
                allotments.central_quota(tx, event, quota_id)
            assert error.value.detail == f"the event has no quota {quota_id} pulled from the central; pull first."


def test_what_waits_for_a_push_and_the_attempt_its_key_carries(store):
    with store.transaction() as tx:
        event, _ = setup_event(tx)
        first, second = sale(tx, event, "BOX01"), sale(tx, event, "BOX02")
        sale(tx, event, "BOX03", status="c")  # canceled before any push: nothing for the central
        sale(tx, event, "ONL01", own=False)
        assert [o["code"] for o in allotments.waiting_orders(tx, event)] == ["BOX01", "BOX02"]
        assert allotments.attempt_of(tx, event, ORDER, "BOX01") == 1

        # A failure (no answer, 409, 5xx) keeps the key; a refusal (400) takes a new one next time.
        allotments.note(tx, event, ORDER, "BOX01", FAILED, 1, NOW, "503")
        assert allotments.attempt_of(tx, event, ORDER, "BOX01") == 1
        # An order whose upload failed without an answer is sent again even once canceled: the central may
        # hold it, and must then learn of the cancellation.
        third = tx.find_one("orders", code="BOX03")
        allotments.note(tx, event, ORDER, "BOX03", FAILED, 1, NOW, "no answer")
        assert [o["code"] for o in allotments.waiting_orders(tx, event)] == ["BOX01", "BOX02", "BOX03"]
        allotments.note(tx, event, ORDER, "BOX03", PUSHED, 1, NOW)
        assert [o["code"] for o in allotments.waiting_cancellations(tx, event)] == ["BOX03"]
        allotments.note(tx, event, CANCEL, "BOX03", PUSHED, 1, NOW)
        assert third["status"] == "c"
        allotments.note(tx, event, ORDER, "BOX02", REFUSED, 1, NOW, "{'code': ['taken']}")
        assert allotments.attempt_of(tx, event, ORDER, "BOX02") == 2
        assert [(d["kind"], d["ref"], d["state"], d["error"]) for d in allotments.problems(tx, event)] == [
            (ORDER, "BOX01", FAILED, "503"),
            (ORDER, "BOX02", REFUSED, "{'code': ['taken']}"),
        ]

        allotments.note(tx, event, ORDER, "BOX01", PUSHED, 1, NOW)
        assert [o["code"] for o in allotments.waiting_orders(tx, event)] == ["BOX02"]
        assert allotments.pushed_order_codes(tx, event) == {"BOX01", "BOX03"}
        assert [d["ref"] for d in allotments.problems(tx, event)] == ["BOX02"]

        # Scans of the box's own tickets wait for their order; scans of the central's tickets go at once.
        positions = {o["code"]: tx.find_one("orderpositions", order=o["id"]) for o in (first, second)}
        online = tx.find_one("orders", code="ONL01")
        online_position = tx.find_one("orderpositions", order=online["id"])
        scans = [
            tx.insert(
                "checkins",
                {
                    "event": event,
                    "position": pos["id"],
                    "list": 1,
                    "successful": ok,
                    "datetime": "2026-11-30T12:00:00Z",
                },
            )
            for pos, ok in (
                (positions["BOX01"], True),
                (positions["BOX02"], True),
                (online_position, True),
                (online_position, False),
            )
        ]
        waiting = allotments.waiting_checkins(tx, event)
        assert [checkin["id"] for checkin, _ in waiting] == [scans[0]["id"], scans[2]["id"]]
        allotments.note(tx, event, CHECKIN, str(scans[0]["id"]), PUSHED, 1, NOW)
        assert [checkin["id"] for checkin, _ in allotments.waiting_checkins(tx, event)] == [scans[2]["id"]]

        # A cancellation goes once its order is in the central, and only once.
        tx.update("orders", first["id"], {"status": "c"})
        tx.update("orders", second["id"], {"status": "c"})
        assert [o["code"] for o in allotments.waiting_cancellations(tx, event)] == ["BOX01"]
        allotments.note(tx, event, CANCEL, "BOX01", PUSHED, 1, NOW)
        assert allotments.waiting_cancellations(tx, event) == []


def test_a_pull_keeps_the_box_copy_of_a_pushed_order_and_refuses_an_unpushed_one_with_that_code(store):
    with store.transaction() as tx:
        event, _ = setup_event(tx)
        own = sale(tx, event, "BOX01")
        central_order = {"code": "BOX01", "status": "p"}
        central_position = {"id": 40, "item": 1, "variation": None, "secret": "s-BOX01", "voucher": None}
        with pytest.raises(sync.PullRefused):
            sync.import_order(tx, event, central_order, [central_position], [], {}, NOW)
        kept = sync.import_order(tx, event, central_order, [central_position], [], {}, NOW, pushed={"BOX01"})
        assert kept == own
        assert tx.get("orderpositions", 40) is None
