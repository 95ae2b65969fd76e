"""Quotas: CRUD, filters, validation, permissions and the availability report."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL, ORGANIZER, ApiClient, one_page
from tests.messages import FORBIDDEN

QUOTAS = f"{EVENT_URL}/quotas/"
ITEMS = f"{EVENT_URL}/items/"
VOUCHERS = f"{EVENT_URL}/vouchers/"

TICKET = {"name": {"en": "Ticket"}, "default_price": "23.00", "admission": True}
WORKSHOP = {"name": {"en": "Workshop"}, "default_price": "50.00"}
SHIRT = {
    "name": {"en": "Shirt"},
    "default_price": "15.00",
    "variations": [{"value": {"en": "S"}}, {"value": {"en": "M"}}],
}

QUOTA_DEFAULTS = {
    "size": None,
    "items": [],
    "variations": [],
    "subevent": None,
    "close_when_sold_out": False,
    "closed": False,
    "release_after_exit": False,
    "ignore_for_event_availability": False,
}

EMPTY_REPORT = {
    "available": True,
    "available_number": 10,
    "total_size": 10,
    "pending_orders": 0,
    "paid_orders": 0,
    "exited_orders": 0,
    "cart_positions": 0,
    "blocking_vouchers": 0,
    "waiting_list": 0,
}


def quota_body(quota_id: int, name: str, **fields) -> dict:
    return {"id": quota_id, "name": name, **QUOTA_DEFAULTS, **fields}


def make_catalog(api) -> dict:
    """Ticket (no variations), workshop (no variations) and shirt (variations S and M)."""
    ticket = api.post(ITEMS, json=TICKET).get_json()
    workshop = api.post(ITEMS, json=WORKSHOP).get_json()
    shirt = api.post(ITEMS, json=SHIRT).get_json()
    small, medium = (variation["id"] for variation in shirt["variations"])
    return {"ticket": ticket["id"], "workshop": workshop["id"], "shirt": shirt["id"], "S": small, "M": medium}


@pytest.fixture
def catalog(api) -> dict:
    return make_catalog(api)


@pytest.fixture(scope="module")
def rejecting(rejecting_api) -> tuple[ApiClient, dict]:
    return rejecting_api, make_catalog(rejecting_api)


def create_quota(api, **fields) -> dict:
    response = api.post(QUOTAS, json={"name": "Quota", **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def report_of(api, quota_id: int) -> dict:
    response = api.get(f"{QUOTAS}{quota_id}/availability/")
    assert response.status_code == 200
    return response.get_json()


# ---------------------------------------------------------------------------------------- CRUD


def test_create_returns_every_field(api, catalog):
    payload = {
        "name": "Ticket Quota",
        "size": 200,
        "items": [catalog["ticket"], catalog["shirt"]],
        "variations": [catalog["S"], catalog["M"]],
        "subevent": None,
        "close_when_sold_out": True,
        "closed": False,
        "release_after_exit": True,
        "ignore_for_event_availability": True,
    }
    response = api.post(QUOTAS, json=payload)
    assert response.status_code == 201
    expected = {"id": 1, **payload}
    assert response.get_json() == expected
    assert api.get(f"{QUOTAS}1/").get_json() == expected


def test_create_with_only_a_name_uses_defaults(api):
    response = api.post(QUOTAS, json={"name": "Anything"})
    assert response.status_code == 201
    assert response.get_json() == quota_body(1, "Anything")


def test_list_uses_the_pagination_envelope(api, catalog):
    create_quota(api, name="A", size=5, items=[catalog["ticket"]])
    create_quota(api, name="B")
    response = api.get(QUOTAS)
    assert response.status_code == 200
    assert response.get_json() == one_page(quota_body(1, "A", size=5, items=[catalog["ticket"]]), quota_body(2, "B"))


def test_patch_changes_only_given_fields(api, catalog):
    create_quota(api, name="Ticket Quota", size=200, items=[catalog["ticket"]], closed=True)
    response = api.patch(f"{QUOTAS}1/", json={"name": "New Ticket Quota", "size": 100})
    assert response.status_code == 200
    expected = quota_body(1, "New Ticket Quota", size=100, items=[catalog["ticket"]], closed=True)
    assert response.get_json() == expected
    assert api.get(f"{QUOTAS}1/").get_json() == expected


def test_put_resets_fields_not_sent(api, catalog):
    create_quota(api, name="Q", size=200, items=[catalog["ticket"]], closed=True, close_when_sold_out=True)
    response = api.put(f"{QUOTAS}1/", json={"name": "Fresh"})
    assert response.status_code == 200
    assert response.get_json() == quota_body(1, "Fresh")


def test_put_without_name_is_rejected(api):
    create_quota(api, name="Q")
    response = api.put(f"{QUOTAS}1/", json={"size": 3})
    assert response.status_code == 400
    assert response.get_json() == {"name": ["This field is required."]}


def test_invalid_patch_leaves_quota_unchanged(api, catalog):
    create_quota(api, name="Q", size=5, items=[catalog["ticket"]])
    response = api.patch(f"{QUOTAS}1/", json={"size": 7, "items": [999]})
    assert response.status_code == 400
    assert response.get_json() == {"items": ['Invalid pk "999" - object does not exist.']}
    assert api.get(f"{QUOTAS}1/").get_json() == quota_body(1, "Q", size=5, items=[catalog["ticket"]])


def test_patch_adding_a_variation_item_without_its_variations_is_rejected(api, catalog):
    create_quota(api, name="Q", items=[catalog["ticket"]])
    response = api.patch(f"{QUOTAS}1/", json={"items": [catalog["ticket"], catalog["shirt"]]})
    assert response.status_code == 400
    assert response.get_json() == {
        "variations": ["One or more items has variations but none of these are in the variations list."]
    }


def test_delete(api):
    create_quota(api, name="Q")
    response = api.delete(f"{QUOTAS}1/")
    assert response.status_code == 204
    assert response.data == b""
    assert api.get(f"{QUOTAS}1/").status_code == 404
    assert api.get(QUOTAS).get_json()["count"] == 0


def test_deleting_an_item_removes_it_and_its_variations_from_quotas(api, catalog):
    create_quota(api, name="Q", items=[catalog["ticket"], catalog["shirt"]], variations=[catalog["S"]])
    assert api.delete(f"{ITEMS}{catalog['shirt']}/").status_code == 204
    assert api.get(f"{QUOTAS}1/").get_json() == quota_body(1, "Q", items=[catalog["ticket"]])


# ---------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        ({"name": "x" * 201}, {"name": ["Ensure this field has no more than 200 characters."]}),
        ({"name": "Q", "size": -1}, {"size": ["Ensure this value is greater than or equal to 0."]}),
        ({"name": "Q", "size": "many"}, {"size": ["A valid integer is required."]}),
        ({"name": "Q", "items": 1}, {"items": ['Expected a list of items but got type "int".']}),
        ({"name": "Q", "items": [999]}, {"items": ['Invalid pk "999" - object does not exist.']}),
        ({"name": "Q", "variations": [999]}, {"variations": ['Invalid pk "999" - object does not exist.']}),
        ({"name": "Q", "subevent": 1}, {"subevent": ['Invalid pk "1" - object does not exist.']}),
        ({"name": "Q", "closed": "maybe"}, {"closed": ["Must be a valid boolean."]}),
        (
            {"name": "Q", "items": ["SHIRT"]},
            {"variations": ["One or more items has variations but none of these are in the variations list."]},
        ),
        (
            {"name": "Q", "items": ["TICKET"], "variations": ["S"]},
            {"variations": ["All variations must belong to an item contained in the items list."]},
        ),
        (
            {"name": "Q", "size": -5, "subevent": 3},
            {"size": ["Ensure this value is greater than or equal to 0."]},
        ),
    ],
    ids=[
        "name-missing",
        "name-blank",
        "name-null",
        "name-too-long",
        "size-negative",
        "size-not-integer",
        "items-not-list",
        "items-unknown",
        "variations-unknown",
        "subevent-given",
        "closed-not-boolean",
        "variation-item-without-variations",
        "variation-of-unlisted-item",
        "schema-errors-first",
    ],
)
def test_create_rejects_invalid_input(rejecting, payload, errors):
    api, catalog = rejecting
    names = {"TICKET": catalog["ticket"], "SHIRT": catalog["shirt"], "S": catalog["S"]}
    payload = {
        key: [names.get(value, value) for value in entry] if isinstance(entry, list) else entry
        for key, entry in payload.items()
    }
    response = api.post(QUOTAS, json=payload)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(QUOTAS).get_json()["count"] == 0


def test_items_of_another_event_are_rejected(api):
    other = api.post(
        f"/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2017-12-27T10:00:00Z"},
    )
    assert other.status_code == 201
    foreign = api.post(f"/api/v1/organizers/{ORGANIZER}/events/otherconf/items/", json=SHIRT).get_json()
    variation = foreign["variations"][0]["id"]
    response = api.post(QUOTAS, json={"name": "Q", "items": [foreign["id"]], "variations": [variation]})
    assert response.status_code == 400
    assert response.get_json() == {
        "items": [f'Invalid pk "{foreign["id"]}" - object does not exist.'],
        "variations": [f'Invalid pk "{variation}" - object does not exist.'],
    }


def test_one_variation_per_item_is_enough(api, catalog):
    quota = create_quota(api, items=[catalog["shirt"]], variations=[catalog["M"]])
    assert quota["variations"] == [catalog["M"]]


# ---------------------------------------------------------------------------------------- list options


def test_availability_fields_only_on_request(api, catalog):
    create_quota(api, name="Q", size=10, items=[catalog["ticket"]])
    plain = quota_body(1, "Q", size=10, items=[catalog["ticket"]])
    with_numbers = {**plain, "available": True, "available_number": 10}
    assert api.get(f"{QUOTAS}1/").get_json() == plain
    assert api.get(f"{QUOTAS}1/?with_availability=false").get_json() == plain
    assert api.get(f"{QUOTAS}1/?with_availability=true").get_json() == with_numbers
    assert api.get(f"{QUOTAS}?with_availability=true").get_json()["results"] == [with_numbers]
    assert api.get(QUOTAS).get_json()["results"] == [plain]


def test_availability_fields_reflect_usage(api, catalog):
    create_quota(api, name="Q", size=3, items=[catalog["ticket"]])
    create_quota(api, name="Unlimited", items=[catalog["ticket"]])
    api.post(VOUCHERS, json={"item": catalog["ticket"], "block_quota": True, "max_usages": 3})
    results = api.get(f"{QUOTAS}?with_availability=true").get_json()["results"]
    assert [(q["name"], q["available"], q["available_number"]) for q in results] == [
        ("Q", False, 0),
        ("Unlimited", True, None),
    ]


# Each filter or ordering (with placeholders for item ids) and the quota names it gives, in order.
FILTER_CASES = [
    ("", ["tickets", "workshops", "both", "none"]),
    ("?items__in=TICKET", ["tickets", "both"]),
    ("?items__in=WORKSHOP", ["workshops", "both"]),
    ("?items__in=TICKET,WORKSHOP", ["tickets", "workshops", "both"]),
    ("?items__in=999", []),
    ("?subevent=1", []),
    ("?subevent__in=1,2", []),
    ("?ordering=id", ["tickets", "workshops", "both", "none"]),
    ("?ordering=-id", ["none", "both", "workshops", "tickets"]),
    ("?ordering=position", ["tickets", "workshops", "both", "none"]),
    ("?ordering=-position", ["none", "both", "workshops", "tickets"]),
    ("?ordering=name", ["tickets", "workshops", "both", "none"]),
]

BAD_FILTERS = [
    ("?items__in=a,b", {"items__in": ["Enter a comma-separated list of whole numbers."]}),
    ("?subevent__in=x", {"subevent__in": ["Enter a comma-separated list of whole numbers."]}),
    ("?subevent=x", {"subevent": ["A valid integer is required."]}),
    ("?with_availability=perhaps", {"with_availability": ["Must be a valid boolean."]}),
]


def test_filters_and_ordering(api, catalog):
    create_quota(api, name="tickets", items=[catalog["ticket"]])
    create_quota(api, name="workshops", items=[catalog["workshop"]])
    create_quota(api, name="both", items=[catalog["ticket"], catalog["workshop"]])
    create_quota(api, name="none")
    for query, expected_names in FILTER_CASES:
        url = QUOTAS + query.replace("TICKET", str(catalog["ticket"])).replace("WORKSHOP", str(catalog["workshop"]))
        response = api.get(url)
        body = response.get_json()
        assert (query, response.status_code, [q["name"] for q in body["results"]]) == (query, 200, expected_names)
        assert body["count"] == len(expected_names)


def test_bad_filter_values_are_rejected(api):
    for query, errors in BAD_FILTERS:
        response = api.get(QUOTAS + query)
        assert (query, response.status_code, response.get_json()) == (query, 400, errors)


# ---------------------------------------------------------------------------------------- availability


def test_availability_of_an_unused_quota(api, catalog):
    create_quota(api, size=10, items=[catalog["ticket"]])
    response = api.get(f"{QUOTAS}1/availability/")
    assert response.status_code == 200
    assert response.get_json() == EMPTY_REPORT


def test_availability_of_an_unlimited_quota(api, catalog):
    create_quota(api, size=None, items=[catalog["ticket"]])
    assert report_of(api, 1) == {**EMPTY_REPORT, "available_number": None, "total_size": None}


@pytest.mark.parametrize("size", [10, None])
def test_closed_quota_is_not_available(api, catalog, size):
    create_quota(api, size=size, items=[catalog["ticket"]], closed=True)
    assert report_of(api, 1) == {**EMPTY_REPORT, "available": False, "available_number": 0, "total_size": size}


def test_zero_sized_quota_is_not_available(api, catalog):
    create_quota(api, size=0, items=[catalog["ticket"]])
    assert report_of(api, 1) == {**EMPTY_REPORT, "available": False, "available_number": 0, "total_size": 0}


def test_blocking_vouchers_are_counted(api, store, catalog):
    create_quota(api, size=10, items=[catalog["ticket"]])
    create_quota(api, name="Other", size=10, items=[catalog["workshop"]])
    assert api.post(VOUCHERS, json={"item": catalog["ticket"], "block_quota": True, "max_usages": 3}).status_code == 201
    assert api.post(VOUCHERS, json={"quota": 1, "block_quota": True, "max_usages": 2}).status_code == 201
    assert api.post(VOUCHERS, json={"quota": 2, "block_quota": True, "max_usages": 4}).status_code == 201
    assert api.post(VOUCHERS, json={"item": catalog["ticket"], "max_usages": 5}).status_code == 201
    assert report_of(api, 1) == {**EMPTY_REPORT, "available_number": 5, "blocking_vouchers": 5}
    with store.transaction() as tx:
        tx.update("vouchers", 1, {"redeemed": 2})
    assert report_of(api, 1) == {**EMPTY_REPORT, "available_number": 7, "blocking_vouchers": 3}


def test_blocking_voucher_stops_counting_after_valid_until(api, clock, catalog):
    create_quota(api, size=10, items=[catalog["ticket"]])
    voucher = {"item": catalog["ticket"], "block_quota": True, "max_usages": 4, "valid_until": "2026-11-01T13:00:00Z"}
    assert api.post(VOUCHERS, json=voucher).status_code == 201
    assert report_of(api, 1)["blocking_vouchers"] == 4
    clock.advance(minutes=59)
    assert report_of(api, 1)["blocking_vouchers"] == 4
    clock.advance(minutes=2)
    assert report_of(api, 1) == EMPTY_REPORT


def test_voucher_for_a_variation_blocks_only_quotas_holding_it(api, catalog):
    create_quota(api, name="Small", size=10, items=[catalog["shirt"]], variations=[catalog["S"]])
    create_quota(api, name="Medium", size=10, items=[catalog["shirt"]], variations=[catalog["M"]])
    voucher = {"item": catalog["shirt"], "variation": catalog["M"], "block_quota": True, "max_usages": 2}
    assert api.post(VOUCHERS, json=voucher).status_code == 201
    assert report_of(api, 1) == EMPTY_REPORT
    assert report_of(api, 2) == {**EMPTY_REPORT, "available_number": 8, "blocking_vouchers": 2}


def test_cart_positions_count_until_they_expire(api, store, clock, catalog):
    create_quota(api, size=10, items=[catalog["ticket"]])
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug="sampleconf")["id"]
        for expires in ("2026-11-01T12:30:00Z", "2026-11-01T12:30:00Z", "2026-11-01T13:00:00Z"):
            tx.insert(
                "cartpositions", {"event": event_id, "item": catalog["ticket"], "variation": None, "expires": expires}
            )
        tx.insert(
            "cartpositions",
            {"event": event_id, "item": catalog["workshop"], "variation": None, "expires": "2026-11-01T13:00:00Z"},
        )
    assert report_of(api, 1) == {**EMPTY_REPORT, "available_number": 7, "cart_positions": 3}
    clock.advance(minutes=31)
    assert report_of(api, 1) == {**EMPTY_REPORT, "available_number": 9, "cart_positions": 1}
    clock.advance(minutes=30)
    assert report_of(api, 1) == EMPTY_REPORT


def test_cart_positions_of_variations(api, store, catalog):
    create_quota(api, size=10, items=[catalog["shirt"]], variations=[catalog["S"]])
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug="sampleconf")["id"]
        for variation in (catalog["S"], catalog["M"], catalog["M"]):
            tx.insert(
                "cartpositions",
                {
                    "event": event_id,
                    "item": catalog["shirt"],
                    "variation": variation,
                    "expires": "2026-11-01T13:00:00Z",
                },
            )
    assert report_of(api, 1) == {**EMPTY_REPORT, "available_number": 9, "cart_positions": 1}


def test_orders_are_counted_by_status(api, store, catalog):
    create_quota(api, size=10, items=[catalog["ticket"]])
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug="sampleconf")["id"]
        pending = tx.insert("orders", {"event": event_id, "status": "n"})
        paid = tx.insert("orders", {"event": event_id, "status": "p"})
        canceled = tx.insert("orders", {"event": event_id, "status": "c"})
        expired = tx.insert("orders", {"event": event_id, "status": "e"})
        positions = [
            (pending, catalog["ticket"], {}),
            (pending, catalog["ticket"], {}),
            (pending, catalog["ticket"], {"canceled": True}),
            (paid, catalog["ticket"], {}),
            (paid, catalog["ticket"], {}),
            (paid, catalog["ticket"], {}),
            (paid, catalog["ticket"], {"canceled": True}),
            (paid, catalog["workshop"], {}),
            (canceled, catalog["ticket"], {}),
            (expired, catalog["ticket"], {}),
        ]
        for order, item, extra in positions:
            tx.insert(
                "orderpositions", {"order": order["id"], "item": item, "variation": None, "event": event_id, **extra}
            )
    assert report_of(api, 1) == {**EMPTY_REPORT, "available_number": 5, "pending_orders": 2, "paid_orders": 3}


def test_all_kinds_of_usage_add_up_and_never_go_below_zero(api, store, catalog):
    create_quota(api, size=4, items=[catalog["ticket"]])
    assert api.post(VOUCHERS, json={"item": catalog["ticket"], "block_quota": True, "max_usages": 2}).status_code == 201
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug="sampleconf")["id"]
        paid = tx.insert("orders", {"event": event_id, "status": "p"})
        pending = tx.insert("orders", {"event": event_id, "status": "n"})
        for order in (paid, pending, pending):
            tx.insert(
                "orderpositions",
                {"order": order["id"], "item": catalog["ticket"], "variation": None, "event": event_id},
            )
        tx.insert(
            "cartpositions",
            {"event": event_id, "item": catalog["ticket"], "variation": None, "expires": "2026-11-01T13:00:00Z"},
        )
    assert report_of(api, 1) == {
        "available": False,
        "available_number": 0,
        "total_size": 4,
        "pending_orders": 2,
        "paid_orders": 1,
        "exited_orders": 0,
        "cart_positions": 1,
        "blocking_vouchers": 2,
        "waiting_list": 0,
    }


# ---------------------------------------------------------------------------------------- access


# Every route of the resource, with a body for writes.


def test_boxoffice_token_reads_but_cannot_write(api, client_for, catalog):
    create_quota(api, name="Q", size=5, items=[catalog["ticket"]])
    boxoffice = client_for("boxoffice")
    assert boxoffice.get(QUOTAS).status_code == 200
    assert boxoffice.get(f"{QUOTAS}1/?with_availability=true").status_code == 200
    assert boxoffice.get(f"{QUOTAS}1/availability/").status_code == 200
    for method, url, body in (
        ("POST", QUOTAS, {"name": "New"}),
        ("PATCH", f"{QUOTAS}1/", {"size": 50}),
        ("PUT", f"{QUOTAS}1/", {"name": "New"}),
        ("DELETE", f"{QUOTAS}1/", None),
    ):
        response = boxoffice.request(method, url, json=body)
        assert (method, response.status_code, response.get_json()) == (method, 403, FORBIDDEN)
    assert api.get(QUOTAS).get_json()["results"] == [quota_body(1, "Q", size=5, items=[catalog["ticket"]])]


@pytest.mark.parametrize("scope,organizer", [("checkin", ORGANIZER), ("admin", "otherorg")])
def test_other_tokens_cannot_read(api, client_for, scope, organizer):
    create_quota(api, name="Q")
    response = client_for(scope, organizer).get(QUOTAS)
    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN
