"""What only the admin scope may set when selling: `force` past quota, ticket secrets, and prices the catalog
does not list (on cart positions, their add-ons and bundled positions, bulk creation and orders).

A box-office token that sends one gets 403 with the fields named as in a validation error."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL, created, fill
from tests.messages import EMPTY_LIST

CARTS = f"{EVENT_URL}/cartpositions/"
BULK = f"{CARTS}bulk_create/"
ORDERS = f"{EVENT_URL}/orders/"
ITEMS = f"{EVENT_URL}/items/"
QUOTAS = f"{EVENT_URL}/quotas/"

REFUSED = ["You may not set this field."]
SOLD_OUT = ['There is not enough quota available on quota "Tickets" to perform the operation.']


@pytest.fixture
def ids(api) -> dict[str, int]:
    """A ticket (23.00) in a quota of 1 with a workshop add-on (12.00), a free add-on (price included), a
    bundled parking (designated 5.00), a pay-what-you-want donation (at least 5.00) and a shirt with a
    variation of its own price (18.00); vouchers SETTEN (price 10.00) and HALFOFF (50 %)."""
    found = {"extras": created(api, f"{EVENT_URL}/categories/", {"name": "Extras", "is_addon": True})["id"]}
    found["included"] = created(api, f"{EVENT_URL}/categories/", {"name": "Included", "is_addon": True})["id"]
    found["workshop"] = created(
        api, ITEMS, {"name": "Workshop", "default_price": "12.00", "category": found["extras"]}
    )["id"]
    found["badge"] = created(api, ITEMS, {"name": "Badge", "default_price": "4.00", "category": found["included"]})[
        "id"
    ]
    found["parking"] = created(api, ITEMS, {"name": "Parking", "default_price": "8.00"})["id"]
    ticket = {
        "name": "Ticket",
        "default_price": "23.00",
        "admission": True,
        "addons": [
            {"addon_category": found["extras"]},
            {"addon_category": found["included"], "price_included": True},
        ],
        "bundles": [{"bundled_item": found["parking"], "designated_price": "5.00"}],
    }
    found["ticket"] = created(api, ITEMS, ticket)["id"]
    found["donation"] = created(api, ITEMS, {"name": "Donation", "default_price": "5.00", "free_price": True})["id"]
    shirt = created(
        api,
        ITEMS,
        {
            "name": "Shirt",
            "default_price": "15.00",
            "variations": [{"value": "S"}, {"value": "M", "default_price": "18.00"}],
        },
    )
    found["shirt"], found["M"] = shirt["id"], shirt["variations"][1]["id"]
    created(api, QUOTAS, {"name": "Tickets", "size": 1, "items": [found["ticket"]]})
    others = [found[name] for name in ("workshop", "badge", "parking", "donation", "shirt")]
    created(
        api,
        QUOTAS,
        {"name": "Others", "size": 100, "items": others, "variations": [shirt["variations"][0]["id"], found["M"]]},
    )
    for voucher in (
        {"code": "SETTEN", "max_usages": 100, "price_mode": "set", "value": "10.00"},
        {"code": "HALFOFF", "max_usages": 100, "price_mode": "percent", "value": "50.00"},
    ):
        created(api, f"{EVENT_URL}/vouchers/", voucher)
    return found


@pytest.fixture
def boxoffice(client_for):
    return client_for("boxoffice")


def answer(response) -> tuple[int, object]:
    return response.status_code, response.get_json()


# ---------------------------------------------------------------------------------------- cart positions

LISTED_CART_PRICES = [
    pytest.param({"item": "$ticket", "price": "23.00"}, "23.00", id="catalog"),
    pytest.param({"item": "$ticket", "price": 23}, "23.00", id="catalog-as-number"),
    pytest.param({"item": "$ticket", "price": "10.00", "voucher": "SETTEN"}, "10.00", id="voucher-set"),
    pytest.param({"item": "$ticket", "price": "11.50", "voucher": "halfoff"}, "11.50", id="voucher-percent"),
    pytest.param({"item": "$shirt", "variation": "$M", "price": "18.00"}, "18.00", id="variation"),
    pytest.param({"item": "$donation", "price": "5.00"}, "5.00", id="free-price-minimum"),
    pytest.param({"item": "$donation", "price": "50.00"}, "50.00", id="free-price-more"),
]


@pytest.mark.parametrize("payload, price", LISTED_CART_PRICES)
def test_boxoffice_may_send_the_price_the_catalog_lists(boxoffice, ids, payload, price):
    response = boxoffice.post(CARTS, json=fill(payload, ids))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["price"] == price


OWN_CART_PRICES = [
    pytest.param({"item": "$ticket", "price": "0.00"}, {"price": REFUSED}, id="free"),
    pytest.param({"item": "$ticket", "price": "23.01"}, {"price": REFUSED}, id="more"),
    pytest.param({"item": "$ticket", "price": "23.00", "voucher": "SETTEN"}, {"price": REFUSED}, id="voucher-ignored"),
    pytest.param({"item": "$shirt", "variation": "$M", "price": "15.00"}, {"price": REFUSED}, id="item-price"),
    pytest.param({"item": "$donation", "price": "4.99"}, {"price": REFUSED}, id="free-price-below-minimum"),
    pytest.param(
        {
            "item": "$ticket",
            "price": "23.00",
            "addons": [{"item": "$workshop"}, {"item": "$workshop", "price": "0.00"}],
        },
        {"addons": [{}, {"price": REFUSED}]},
        id="addon",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "bundled": [{"item": "$parking", "price": "8.00"}]},
        {"bundled": [{"price": REFUSED}]},
        id="bundled",
    ),
    pytest.param(
        {
            "item": "$ticket",
            "price": "1.00",
            "addons": [{"item": "$badge", "price": "4.00"}],
            "bundled": [{"item": "$parking", "price": "0.00"}],
        },
        {"price": REFUSED, "addons": [{"price": REFUSED}], "bundled": [{"price": REFUSED}]},
        id="every-level",
    ),
]


@pytest.mark.parametrize("payload, body", OWN_CART_PRICES)
def test_boxoffice_may_not_set_its_own_cart_price(api, boxoffice, ids, payload, body):
    assert answer(boxoffice.post(CARTS, json=fill(payload, ids))) == (403, body)
    assert api.get(CARTS).get_json() == EMPTY_LIST


def test_nested_positions_at_their_listed_prices_pass(boxoffice, ids):
    payload = {
        "item": "$ticket",
        "price": "23.00",
        "addons": [{"item": "$workshop", "price": "12.00"}, {"item": "$badge", "price": "0.00"}],
        "bundled": [{"item": "$parking", "price": "5.00"}],
    }
    response = boxoffice.post(CARTS, json=fill(payload, ids))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [p["price"] for p in body["addons"]] == ["12.00", "0.00"]
    assert [p["price"] for p in body["bundled"]] == ["5.00"]


def test_nested_positions_without_a_price_get_their_listed_price(boxoffice, ids):
    payload = {"item": "$ticket", "price": "23.00", "addons": [{"item": "$badge"}], "bundled": [{"item": "$parking"}]}
    body = boxoffice.post(CARTS, json=fill(payload, ids)).get_json()
    assert (body["addons"][0]["price"], body["bundled"][0]["price"]) == ("0.00", "5.00")


def test_validation_comes_before_the_override_check(boxoffice, ids):
    payload = {"item": "$ticket", "price": "0.00", "voucher": "NOSUCH"}
    assert answer(boxoffice.post(CARTS, json=fill(payload, ids))) == (
        400,
        {"voucher": ['The voucher code "NOSUCH" is not known.']},
    )


def test_the_override_check_comes_before_quota(api, boxoffice, ids):
    assert api.post(CARTS, json={"item": ids["ticket"], "price": "23.00"}).status_code == 201
    assert answer(boxoffice.post(CARTS, json={"item": ids["ticket"], "price": "0.00"})) == (403, {"price": REFUSED})
    assert answer(boxoffice.post(CARTS, json={"item": ids["ticket"], "price": "23.00"})) == (400, SOLD_OUT)


def test_admin_may_set_any_cart_price(api, ids):
    payload = {"item": "$ticket", "price": "0.00", "addons": [{"item": "$workshop", "price": "1.00"}]}
    response = api.post(CARTS, json=fill(payload, ids))
    assert response.status_code == 201
    assert (response.get_json()["price"], response.get_json()["addons"][0]["price"]) == ("0.00", "1.00")


def test_bulk_create_refuses_each_entry_with_its_own_price(api, boxoffice, ids):
    entries = [
        {"item": ids["workshop"], "price": "0.00"},
        {"item": ids["workshop"], "price": "12.00"},
        {"item": ids["ticket"], "price": "23.00", "bundled": [{"item": ids["parking"], "price": "0.50"}]},
    ]
    response = boxoffice.post(BULK, json=entries)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert results[0] == {"success": False, "errors": {"price": REFUSED}, "data": None}
    assert results[1]["success"] is True and results[1]["data"]["price"] == "12.00"
    assert results[2] == {"success": False, "errors": {"bundled": [{"price": REFUSED}]}, "data": None}
    assert api.get(CARTS).get_json()["count"] == 1


# ---------------------------------------------------------------------------------------- orders


def test_boxoffice_may_not_force_an_order_past_quota(api, boxoffice, ids):
    payload = {"positions": [{"item": ids["ticket"]}, {"item": ids["ticket"]}], "force": True}
    assert answer(boxoffice.post(ORDERS, json=payload)) == (403, {"force": REFUSED})
    assert answer(boxoffice.post(ORDERS, json={**payload, "simulate": True})) == (403, {"force": REFUSED})
    assert api.get(ORDERS).get_json() == EMPTY_LIST


def test_force_false_is_allowed(boxoffice, ids):
    response = boxoffice.post(ORDERS, json={"positions": [{"item": ids["ticket"]}], "force": False})
    assert response.status_code == 201, response.get_json()


def test_boxoffice_may_not_choose_a_ticket_secret(api, boxoffice, ids):
    payload = {"positions": [{"item": ids["workshop"]}, {"item": ids["workshop"], "secret": "mysecret"}]}
    assert answer(boxoffice.post(ORDERS, json=payload)) == (403, {"positions": [{}, {"secret": REFUSED}]})
    assert api.get(ORDERS).get_json() == EMPTY_LIST


ORDER_PRICES = [
    pytest.param({"item": "$ticket", "price": "0.00"}, {"price": REFUSED}, id="free"),
    pytest.param({"item": "$ticket", "price": "23.00", "voucher": "SETTEN"}, {"price": REFUSED}, id="voucher-ignored"),
    pytest.param({"item": "$donation", "price": "1.00"}, {"price": REFUSED}, id="free-price-below-minimum"),
    pytest.param(
        {"item": "$ticket", "price": "0.00", "secret": "abc"}, {"price": REFUSED, "secret": REFUSED}, id="both"
    ),
]


@pytest.mark.parametrize("position, errors", ORDER_PRICES)
def test_boxoffice_may_not_set_its_own_order_price(api, boxoffice, ids, position, errors):
    payload = {"positions": [{"item": ids["workshop"]}, fill(position, ids)]}
    assert answer(boxoffice.post(ORDERS, json=payload)) == (403, {"positions": [{}, errors]})
    assert api.get(ORDERS).get_json() == EMPTY_LIST


def test_order_addons_may_have_the_price_the_main_product_gives_them(boxoffice, ids):
    positions = [
        {"positionid": 1, "item": ids["ticket"], "price": "23.00"},
        {"positionid": 2, "item": ids["badge"], "addon_to": 1, "price": "0.00"},
        {"positionid": 3, "item": ids["parking"], "addon_to": 1, "price": "5.00"},
        {"positionid": 4, "item": ids["workshop"], "addon_to": 1, "price": "12.00"},
        {"positionid": 5, "item": ids["donation"], "price": "7.00"},
        {"positionid": 6, "item": ids["workshop"], "price": "10.00", "voucher": "SETTEN"},
    ]
    payload = {"positions": positions, "force": False}
    response = boxoffice.post(ORDERS, json={**payload, "simulate": True})
    assert response.status_code == 201, response.get_json()
    assert [p["price"] for p in response.get_json()["positions"]] == ["23.00", "0.00", "5.00", "12.00", "7.00", "10.00"]


def test_order_addons_at_another_price_are_refused(boxoffice, ids):
    positions = [
        {"positionid": 1, "item": ids["ticket"], "price": "23.00"},
        {"positionid": 2, "item": ids["workshop"], "addon_to": 1, "price": "0.00"},
    ]
    assert answer(boxoffice.post(ORDERS, json={"positions": positions})) == (
        403,
        {"positions": [{}, {"price": REFUSED}]},
    )


def test_admin_may_force_choose_secrets_and_set_prices(api, ids):
    payload = {
        "positions": [{"item": ids["ticket"], "price": "0.00", "secret": "given1"}, {"item": ids["ticket"]}],
        "force": True,
    }
    response = api.post(ORDERS, json=payload)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [(p["price"], p["secret"]) for p in body["positions"]][0] == ("0.00", "given1")
    assert body["total"] == "23.00"


def test_boxoffice_may_not_give_a_discount_as_a_negative_fee(api, boxoffice, ids):
    fees = [{"fee_type": "service", "value": "1.50"}, {"fee_type": "other", "value": "-12.00"}]
    payload = {"positions": [{"item": ids["workshop"]}], "fees": fees}

    assert answer(boxoffice.post(ORDERS, json=payload)) == (403, {"fees": [{}, {"value": REFUSED}]})
    assert api.get(ORDERS).get_json() == EMPTY_LIST
    assert boxoffice.post(ORDERS, json={**payload, "fees": fees[:1]}).status_code == 201
    assert api.post(ORDERS, json=payload).get_json()["total"] == "1.50"


# ---------------------------------------------------------------------------------------- cart expiry


@pytest.mark.parametrize(
    ("expires", "status"),
    [("2026-11-01T12:30:00Z", 201), ("2026-11-01T12:10:00Z", 201), ("2026-11-01T12:30:01Z", 403)],
    ids=["the reservation time", "sooner", "later"],
)
def test_boxoffice_may_not_hold_quota_longer_than_the_reservation_time(boxoffice, ids, expires, status):
    response = boxoffice.post(CARTS, json={"item": ids["workshop"], "price": "12.00", "expires": expires})

    assert response.status_code == status
    if status == 403:
        assert response.get_json() == {"expires": REFUSED}


def test_admin_may_set_any_cart_expiry(api, ids):
    response = api.post(CARTS, json={"item": ids["workshop"], "price": "12.00", "expires": "2027-01-01T00:00:00Z"})

    assert (response.status_code, response.get_json()["expires"]) == (201, "2027-01-01T00:00:00Z")
