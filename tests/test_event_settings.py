"""Event settings: the reservation time, payment term and ticket secret generator an event uses, over the
server's defaults."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL

SETTINGS = f"{EVENT_URL}/settings/"
DEFAULTS = {
    "reservation_time": 30,
    "payment_term_days": 14,
    "ticket_secret_generator": "random",
    "ticket_page_format": "A4",
    "logo_image": None,
}


@pytest.fixture
def ticket(api) -> int:
    item = api.post(
        f"{EVENT_URL}/items/", json={"name": "Ticket", "default_price": "10.00", "admission": True}
    ).get_json()
    assert api.post(f"{EVENT_URL}/quotas/", json={"name": "All", "size": 10, "items": [item["id"]]}).status_code == 201
    return item["id"]


def test_an_event_starts_with_the_server_defaults(api):
    assert (api.get(SETTINGS).status_code, api.get(SETTINGS).get_json()) == (200, DEFAULTS)


def test_explain_gives_value_label_and_help(api):
    explained = api.get(SETTINGS + "?explain=true").get_json()
    assert explained["reservation_time"] == {
        "value": 30,
        "label": "Reservation period",
        "readonly": False,
        "help_text": "Minutes a cart position holds its quota.",
    }
    assert set(explained) == set(DEFAULTS)


def test_the_reservation_time_sets_when_new_carts_expire(api, ticket):
    changed = api.patch(SETTINGS, json={"reservation_time": 10})
    assert (changed.status_code, changed.get_json()) == (200, {**DEFAULTS, "reservation_time": 10})
    cart = api.post(f"{EVENT_URL}/cartpositions/", json={"item": ticket, "price": "10.00"}).get_json()
    assert (cart["datetime"], cart["expires"]) == ("2026-11-01T12:00:00Z", "2026-11-01T12:10:00Z")


def test_the_payment_term_sets_when_new_pending_orders_expire(api, ticket):
    assert api.patch(SETTINGS, json={"payment_term_days": 3}).status_code == 200
    order = api.post(f"{EVENT_URL}/orders/", json={"positions": [{"item": ticket}]}).get_json()
    assert (order["status"], order["expires"]) == ("n", "2026-11-04T12:00:00Z")


def test_null_returns_a_setting_to_the_default_and_patch_leaves_the_others(api):
    api.patch(SETTINGS, json={"reservation_time": 5, "payment_term_days": 2})
    assert api.patch(SETTINGS, json={"reservation_time": None}).get_json() == {**DEFAULTS, "payment_term_days": 2}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"reservation_time": 0}, {"reservation_time": ["Ensure this value is greater than or equal to 1."]}),
        ({"reservation_time": "soon"}, {"reservation_time": ["A valid integer is required."]}),
        ({"payment_term_days": -1}, {"payment_term_days": ["Ensure this value is greater than or equal to 0."]}),
    ],
)
def test_bad_values_are_refused_and_change_nothing(api, body, errors):
    response = api.patch(SETTINGS, json=body)
    assert (response.status_code, response.get_json()) == (400, errors)
    assert api.get(SETTINGS).get_json() == DEFAULTS


def test_unknown_settings_are_ignored_as_pretix_ignores_unknown_fields(api):
    assert api.patch(SETTINGS, json={"imprint_url": "https://example.org"}).get_json() == DEFAULTS


def test_only_patch_writes_and_only_admins_may(api, client_for):
    put = api.put(SETTINGS, json=DEFAULTS)
    assert (put.status_code, put.get_json()) == (405, {"detail": 'Method "PUT" not allowed.'})
    box = client_for("boxoffice")
    assert box.get(SETTINGS).status_code == 200
    assert box.patch(SETTINGS, json={"reservation_time": 5}).status_code == 403
    assert client_for("checkin").get(SETTINGS).status_code == 403
