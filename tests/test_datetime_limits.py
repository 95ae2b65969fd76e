"""Input at the edges: datetimes near year 1 or 9999 (which no time zone could show) are a 400 naming the
field, on writes and on filters; and patterns match the whole value, so a trailing newline does not pass."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL, EVENTS_URL, created
from tests.messages import SECRET_CHARACTERS

CARTS = f"{EVENT_URL}/cartpositions/"
ORDERS = f"{EVENT_URL}/orders/"
ITEMS = f"{EVENT_URL}/items/"
OUT_OF_RANGE = ["Datetime value out of range."]
EDGES = [
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T00:00:00Z",
    "0001-01-01T23:00:00Z",
    "9999-12-31T23:59:59",
]


@pytest.fixture
def ticket(api) -> int:
    item = created(api, ITEMS, {"name": "Ticket", "default_price": "23.00", "admission": True})["id"]
    created(api, f"{EVENT_URL}/quotas/", {"name": "Tickets", "size": 10, "items": [item]})
    return item


@pytest.mark.parametrize("moment", EDGES)
@pytest.mark.parametrize("field", ["date_from", "date_to", "presale_end"])
def test_event_dates_at_the_edges_are_refused(api, field, moment):
    event = {"name": "Edge", "slug": "edge", "date_from": "2030-01-01T10:00:00Z", field: moment}
    response = api.post(EVENTS_URL, json=event)
    assert (response.status_code, response.get_json()) == (400, {field: OUT_OF_RANGE})
    assert api.get(f"{EVENTS_URL}edge/").status_code == 403  # unknown event, as pretix answers


@pytest.mark.parametrize("moment", ["9999-12-30T00:00:00+01:00", "0001-01-02T00:00:00Z"])
def test_dates_within_a_day_of_the_edges_are_kept(api, moment):
    response = api.post(EVENTS_URL, json={"name": "Far", "slug": "far", "date_from": moment})
    assert response.status_code == 201, response.get_json()


def test_a_changed_event_date_at_the_edge_is_refused(api):
    response = api.patch(f"{EVENT_URL}/", json={"date_from": "0001-01-01T00:00:00+01:00"})
    assert (response.status_code, response.get_json()) == (400, {"date_from": OUT_OF_RANGE})


@pytest.mark.parametrize("moment", EDGES)
@pytest.mark.parametrize("name", ["date_from_after", "date_from_before", "date_to_after", "ends_after"])
def test_event_filters_at_the_edges_are_refused(api, name, moment):
    response = api.get(EVENTS_URL, query_string={name: moment})
    assert (response.status_code, response.get_json()) == (400, {name: OUT_OF_RANGE})


def test_cart_expiry_at_the_edge_is_refused(api, ticket):
    payload = {"item": ticket, "price": "23.00", "expires": "9999-12-31T23:59:59-01:00"}
    response = api.post(CARTS, json=payload)
    assert (response.status_code, response.get_json()) == (400, {"expires": OUT_OF_RANGE})


@pytest.mark.parametrize("field", ["expires", "payment_date"])
def test_order_datetimes_at_the_edge_are_refused(api, ticket, field):
    response = api.post(ORDERS, json={"positions": [{"item": ticket}], field: "0001-01-01T00:00:00+01:00"})
    assert (response.status_code, response.get_json()) == (400, {field: OUT_OF_RANGE})


@pytest.mark.parametrize("field", ["valid_from", "valid_until", "requested_valid_from"])
def test_position_validity_at_the_edge_is_refused(api, ticket, field):
    response = api.post(ORDERS, json={"positions": [{"item": ticket, field: "9999-12-31T23:59:59-01:00"}]})
    assert (response.status_code, response.get_json()) == (400, {"positions": [{field: OUT_OF_RANGE}]})


def test_a_dynamic_validity_that_would_end_past_the_edge_is_refused(api):
    item = {
        "name": "Pass",
        "default_price": "5.00",
        "validity_mode": "dynamic",
        "validity_dynamic_duration_days": 30,
    }
    pass_id = created(api, ITEMS, item)["id"]
    created(api, f"{EVENT_URL}/quotas/", {"name": "Passes", "size": 10, "items": [pass_id]})
    position = {"item": pass_id, "requested_valid_from": "9999-12-20T00:00:00Z"}
    response = api.post(ORDERS, json={"positions": [position]})
    assert (response.status_code, response.get_json()) == (
        400,
        {"positions": [{"requested_valid_from": OUT_OF_RANGE}]},
    )


def test_extending_an_order_to_the_last_day_is_refused(api, ticket):
    order = created(api, ORDERS, {"positions": [{"item": ticket}]})
    response = api.post(f"{ORDERS}{order['code']}/extend/", json={"expires": "9999-12-31"})
    assert (response.status_code, response.get_json()) == (400, {"expires": OUT_OF_RANGE})


def test_a_datetime_answer_at_the_edge_is_refused(api, ticket):
    question = {"question": "Departure", "type": "W", "items": [ticket]}
    question_id = created(api, f"{EVENT_URL}/questions/", question)["id"]
    answer = {"question": question_id, "answer": "9999-12-31T23:59:59-01:00"}
    response = api.post(CARTS, json={"item": ticket, "price": "23.00", "answers": [answer]})
    assert (response.status_code, response.get_json()) == (400, {"answers": [{"answer": OUT_OF_RANGE}]})


def test_voucher_validity_at_the_edge_is_refused(api):
    voucher = {"code": "EDGE12", "valid_until": "9999-12-31T23:59:59-01:00"}
    response = api.post(f"{EVENT_URL}/vouchers/", json=voucher)
    assert (response.status_code, response.get_json()) == (400, {"valid_until": OUT_OF_RANGE})


def test_pdfs_of_an_event_far_in_the_future_still_render(api, ticket):
    far = {"name": "Far", "slug": "far", "date_from": "9999-12-30T23:00:00Z", "timezone": "Pacific/Kiritimati"}
    created(api, EVENTS_URL, far)
    url = f"{EVENTS_URL}far"
    item = created(api, f"{url}/items/", {"name": "Ticket", "default_price": "0.00", "admission": True})["id"]
    created(api, f"{url}/quotas/", {"name": "All", "size": 1, "items": [item]})
    order = created(api, f"{url}/orders/", {"positions": [{"item": item}]})
    response = api.get(f"{url}/orders/{order['code']}/download/pdf/")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"


# ---------------------------------------------------------------------------------------- whole-value patterns

SLUG = ["The slug may only contain letters, numbers, dots and dashes."]


@pytest.mark.parametrize("slug", ["nl\n", "nl\r\n", "\nnl", "n l"])
def test_a_slug_must_be_the_whole_value(api, slug):
    response = api.post(EVENTS_URL, json={"name": "Newline", "slug": slug, "date_from": "2030-01-01T10:00:00Z"})
    assert (response.status_code, response.get_json()) == (400, {"slug": SLUG})


def test_a_currency_must_be_the_whole_value(api):
    event = {"name": "Money", "slug": "money", "date_from": "2030-01-01T10:00:00Z", "currency": "EU\n"}
    response = api.post(EVENTS_URL, json=event)
    assert (response.status_code, response.get_json()) == (400, {"currency": ["Enter a valid ISO 4217 currency code."]})


def test_a_ticket_secret_must_be_the_whole_value(api, ticket):
    response = api.post(ORDERS, json={"positions": [{"item": ticket, "secret": "abc\n"}]})
    assert (response.status_code, response.get_json()) == (
        400,
        {"positions": [{"secret": [SECRET_CHARACTERS]}]},
    )


def test_a_voucher_code_must_be_the_whole_value(api):
    response = api.post(f"{EVENT_URL}/vouchers/", json={"code": "ABCDE\n"})
    assert (response.status_code, response.get_json()) == (
        400,
        {
            "code": [
                "Voucher codes need at least 5 characters and may only contain letters, numbers, dots, dashes "
                "and underscores."
            ]
        },
    )
