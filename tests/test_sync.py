"""Writing a central's objects into the store: ids kept, conflicts refused, repeated imports idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk_tickets.schemas import central as central_json
from kiosk_tickets.services import clock_guard, sync
from kiosk_tickets.store import Store

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CENTRAL = "http://central.example/"
ORGANIZER = {"slug": "acme", "name": "ACME"}
EVENT = central_json.event({"name": {"en": "Fair"}, "slug": "fair", "date_from": "2027-01-01T10:00:00Z"})


def category(doc_id: int, name: str = "Tickets") -> dict:
    return central_json.category({"id": doc_id, "name": {"en": name}})


def begin(tx) -> dict:
    return sync.begin(tx, ORGANIZER, CENTRAL, EVENT, {}, NOW)


def test_objects_keep_the_central_ids_and_the_store_makes_its_own_from_the_local_range(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        state = begin(tx)
        sync.import_catalog_list(tx, state["event"], "categories", [category(7), category(3)], NOW)
        assert tx.ids("categories", event=state["event"]) == [3, 7]
        assert tx.insert("categories", {"event": state["event"], "name": {"en": "Own"}})["id"] == sync.LOCAL_IDS_FROM
        for table in sync.CENTRAL_ID_TABLES:
            assert tx.next_id(table) >= sync.LOCAL_IDS_FROM, table


def test_an_import_repeated_changes_nothing_and_a_list_without_an_object_removes_only_the_central_one(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        state = begin(tx)
        event = state["event"]
        sync.import_catalog_list(tx, event, "categories", [category(3), category(7)], NOW)
        own = tx.insert("categories", {"event": event, "name": {"en": "Own"}})
        first = tx.all("categories")
        sync.import_catalog_list(tx, event, "categories", [category(3), category(7)], NOW)
        assert tx.all("categories") == first
        sync.import_catalog_list(tx, event, "categories", [category(7, "Renamed")], NOW)
        assert [(doc["id"], doc["name"]) for doc in tx.all("categories")] == [
            (7, {"en": "Renamed"}),
            (own["id"], {"en": "Own"}),
        ]


def test_an_id_held_by_an_object_of_another_event_is_refused(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.insert("categories", {"event": 99, "name": {"en": "Local"}})
    with pytest.raises(sync.PullRefused) as refused:
        with store.transaction() as tx:
            state = begin(tx)
            sync.import_catalog_list(tx, state["event"], "categories", [category(1)], NOW)
    assert refused.value.detail == (
        "this store already uses categories id 1 for an object of its own; pull into a fresh data directory."
    )
    with store.transaction() as tx:
        assert tx.all("categories") == [{"id": 1, "event": 99, "name": {"en": "Local"}}]
        assert tx.all("events") == [] and tx.all(sync.SYNC_TABLE) == []


def test_an_id_in_the_local_range_is_refused(data_dir):
    with pytest.raises(sync.PullRefused) as refused:
        with Store(data_dir).transaction() as tx:
            state = begin(tx)
            sync.import_catalog_list(tx, state["event"], "categories", [category(sync.LOCAL_IDS_FROM)], NOW)
    assert refused.value.detail == (
        "the central's categories id 1000000000 lies outside the ids this server keeps for the central's objects."
    )


def test_an_event_of_the_store_own_is_not_taken_over(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.insert("events", {**EVENT, "organizer": "acme"})
    with pytest.raises(sync.PullRefused) as refused:
        with store.transaction() as tx:
            begin(tx)
    assert refused.value.detail == (
        "this store already has an event acme/fair of its own; pull into a fresh data directory."
    )


def test_an_event_series_is_refused(data_dir):
    with pytest.raises(sync.PullRefused) as refused:
        with Store(data_dir).transaction() as tx:
            sync.begin(tx, ORGANIZER, CENTRAL, {**EVENT, "has_subevents": True}, {}, NOW)
    assert refused.value.detail == "the event fair is an event series, which this server does not support."


def test_an_event_pulled_from_one_central_is_not_pulled_from_another(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        begin(tx)
    with pytest.raises(sync.PullRefused) as refused:
        with store.transaction() as tx:
            sync.begin(tx, ORGANIZER, "http://other.example/", EVENT, {}, NOW)
    assert refused.value.detail == (
        "the event acme/fair was pulled from http://central.example/, not http://other.example/; "
        "pull into a fresh data directory."
    )


def order_json(canceled: bool = False) -> dict:
    return {
        "code": "ABC12", "status": "c" if canceled else "p", "secret": "s", "email": None, "locale": "en",
        "datetime": "2026-11-30T10:00:00Z", "last_modified": "2026-11-30T10:00:00Z", "total": "10.00",
        "positions": [{"id": 5, "positionid": 1, "item": 1, "variation": None, "price": "10.00", "secret": "T1",
                       "canceled": canceled, "voucher": 4, "answers": [], "addon_to": None,
                       "checkins": [{"id": 9, "list": 1, "datetime": "2026-11-30T11:00:00Z", "type": "entry"}]}],
        "fees": [],
    }


def read_order(data: dict) -> tuple:
    order = central_json.order(data)
    positions = [central_json.position(p, order["code"]) for p in data["positions"]]
    checkins = {p["id"]: [central_json.checkin(c, order["code"]) for c in p["checkins"]] for p in data["positions"]}
    return order, positions, [], checkins


def test_an_order_pulled_again_is_updated_in_place_and_the_box_check_ins_stay(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        state = begin(tx)
        first = sync.import_order(tx, state["event"], *read_order(order_json()), NOW)
        box_scan = tx.insert("checkins", {"event": state["event"], "position": 5, "list": 1, "successful": True})
        again = sync.import_order(tx, state["event"], *read_order(order_json(canceled=True)), NOW)
        assert again["id"] == first["id"] and again["status"] == "c"
        assert tx.count("orders") == 1
        (position,) = tx.all("orderpositions")
        # The voucher is not copied, so the position points at none.
        assert (position["id"], position["canceled"], position["voucher"]) == (5, True, None)
        assert tx.ids("checkins", position=5) == [9, box_scan["id"]]


def test_a_pulled_check_in_is_created_when_first_stored_here_and_a_phone_clock_ahead_moves_no_clock(data_dir):
    ahead = order_json()
    # Scanned offline by a phone whose clock ran a year ahead, uploaded to the central with that claim.
    ahead["positions"][0]["checkins"][0]["datetime"] = "2027-11-30T11:00:00Z"
    store = Store(data_dir)
    with store.transaction() as tx:
        state = begin(tx)
        sync.import_order(tx, state["event"], *read_order(ahead), NOW)
        sync.import_order(tx, state["event"], *read_order(ahead), NOW + timedelta(hours=1))
        scan = tx.get("checkins", 9)
        assert (scan["datetime"], scan["created"]) == ("2027-11-30T11:00:00Z", "2026-11-30T12:00:00Z")
        assert clock_guard.newest_recorded(tx) == NOW


def test_an_order_of_the_central_never_replaces_a_sale_of_the_box_with_the_same_code(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        state = begin(tx)
        own = tx.insert("orders", {"event": state["event"], "code": "ABC12", "status": "p"})
        tx.insert("orderpositions", {"event": state["event"], "order": own["id"], "secret": "OWN"})
    with pytest.raises(sync.PullRefused) as refused:
        with store.transaction() as tx:
            sync.import_order(tx, state["event"], *read_order(order_json()), NOW)
    assert refused.value.detail == (
        "the central has an order ABC12, a code this server gave one of its own sales; "
        "the two orders cannot both be kept."
    )


def test_a_central_layout_keeps_the_channels_sold_here_and_one_that_cannot_be_drawn_is_named():
    element = {"type": "barcodearea", "left": 10, "bottom": 10, "size": 40, "content": "secret"}
    doc, background = central_json.ticket_layout({
        "id": 7, "name": "Pass", "default": True, "layout": [element], "background": "https://central.example/bg.pdf",
        "item_assignments": [{"item": 3, "sales_channel": "web"}, {"item": 4, "sales_channel": "api.kiosk"}],
    })
    assert (doc, background) == (
        {"id": 7, "name": "Pass", "default": True, "layout": [element],
         "item_assignments": [{"item": 3, "sales_channel": "web"}], "items": [3]},
        "https://central.example/bg.pdf",
    )
    with pytest.raises(central_json.UnreadableObject) as error:
        central_json.ticket_layout({"id": 8, "name": "Odd", "layout": [{"type": "hologram", "left": 1, "bottom": 1}]})
    assert str(error.value).startswith("ticket layout 8 cannot be drawn here (Element 0: \"type\" must be one of ")
