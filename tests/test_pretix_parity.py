"""Answers that follow pretix where this server used to differ: cart input, payment providers, downloads of
orders without tickets, variations of items without variations, and the length of name parts."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.helpers import EVENT_URL, created

CARTS = f"{EVENT_URL}/cartpositions/"
ORDERS = f"{EVENT_URL}/orders/"
ITEMS = f"{EVENT_URL}/items/"
ABSOLUTE = f"http://localhost{EVENT_URL}"
TOO_LONG = ["Ensure this field has no more than 255 characters."]


@pytest.fixture
def ids(api) -> dict[str, int]:
    found = {
        "ticket": created(api, ITEMS, {"name": "Ticket", "default_price": "23.00", "admission": True})["id"],
        "shirt": created(api, ITEMS, {"name": "Shirt", "default_price": "15.00"})["id"],
        "old": created(api, ITEMS, {"name": "Old", "default_price": "5.00", "active": False})["id"],
    }
    created(api, f"{EVENT_URL}/quotas/", {"name": "All", "size": 10, "items": list(found.values())})
    return found


def answer(response) -> tuple[int, object]:
    return response.status_code, response.get_json()


def test_a_cart_position_needs_a_price(api, ids):
    assert answer(api.post(CARTS, json={"item": ids["ticket"]})) == (400, {"price": ["This field is required."]})
    assert answer(api.post(CARTS, json={})) == (
        400,
        {"item": ["This field is required."], "price": ["This field is required."]},
    )


def test_an_inactive_item_cannot_be_put_in_a_cart(api, ids):
    response = api.post(CARTS, json={"item": ids["old"], "price": "5.00"})
    assert answer(response) == (400, {"item": ["The specified item is not active."]})
    assert api.get(CARTS).get_json()["count"] == 0


def test_a_name_and_its_parts_together_name_attendee_name(api, ids):
    both = {"attendee_name": "Peter", "attendee_name_parts": {"given_name": "Peter"}}
    message = ["Do not specify attendee_name if you specified attendee_name_parts."]
    assert answer(api.post(CARTS, json={"item": ids["ticket"], "price": "23.00", **both})) == (
        400,
        {"attendee_name": message},
    )
    assert answer(api.post(ORDERS, json={"positions": [{"item": ids["ticket"], **both}]})) == (
        400,
        {"positions": [{"attendee_name": message}]},
    )


def test_a_pending_order_without_a_provider_has_no_payment(api, ids):
    order = created(api, ORDERS, {"positions": [{"item": ids["ticket"]}]})
    assert (order["status"], order["payment_provider"], order["payments"]) == ("n", None, [])
    paid = api.post(f"{ORDERS}{order['code']}/mark_paid/").get_json()
    assert paid["payment_provider"] == "manual"
    assert [(p["provider"], p["state"]) for p in paid["payments"]] == [("manual", "confirmed")]


def test_an_order_of_products_without_tickets_downloads_a_document_without_tickets(api, ids):
    order = created(api, ORDERS, {"positions": [{"item": ids["shirt"]}], "status": "p", "payment_provider": "cash"})
    url = f"{ORDERS}{order['code']}/download/pdf/"
    assert order["downloads"] == [{"output": "pdf", "url": f"{ABSOLUTE}/orders/{order['code']}/download/pdf/"}]
    assert order["positions"][0]["downloads"] == []

    response = api.get(url)

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(response.data)).pages
    assert [page.extract_text().strip() for page in pages] == [""]  # a blank page: no ticket on it
    position = order["positions"][0]["id"]
    assert answer(api.get(f"{EVENT_URL}/orderpositions/{position}/download/pdf/")) == (
        403,
        {"detail": "There is no ticket to download for this order or position."},
    )


def test_an_item_without_variations_gets_none_later(api, ids):
    response = api.post(f"{ITEMS}{ids['shirt']}/variations/", json={"value": "M"})
    assert answer(response) == (
        403,
        {
            "detail": "This variation cannot be created because the item does not have variations. "
            "Changing a product without variations to a product with variations is not allowed."
        },
    )
    invalid = api.post(f"{ITEMS}{ids['shirt']}/variations/", json={"value": "M", "active": "maybe"})
    assert answer(invalid) == (400, {"active": ["Must be a valid boolean."]})


@pytest.mark.parametrize("length, accepted", [(255, True), (256, False)])
def test_name_parts_are_at_most_255_characters(api, ids, length, accepted):
    parts = {"given_name": "A" * length, "family_name": "Lee"}
    cart = api.post(CARTS, json={"item": ids["ticket"], "price": "23.00", "attendee_name_parts": parts})
    order = api.post(
        ORDERS,
        json={
            "positions": [{"item": ids["ticket"], "attendee_name_parts": parts}],
            "invoice_address": {"name_parts": parts},
        },
    )
    if accepted:
        assert (cart.status_code, order.status_code) == (201, 201)
        assert order.get_json()["positions"][0]["attendee_name_parts"] == parts
    else:
        assert answer(cart) == (400, {"attendee_name_parts": {"given_name": TOO_LONG}})
        assert answer(order) == (
            400,
            {
                "positions": [{"attendee_name_parts": {"given_name": TOO_LONG}}],
                "invoice_address": {"name_parts": {"given_name": TOO_LONG}},
            },
        )


@pytest.mark.parametrize("field", ["attendee_name", "company", "street", "city", "state"])
def test_free_texts_of_a_position_are_at_most_255_characters(api, ids, field):
    response = api.post(ORDERS, json={"positions": [{"item": ids["ticket"], field: "x" * 256}]})
    assert answer(response) == (400, {"positions": [{field: TOO_LONG}]})
