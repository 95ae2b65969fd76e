"""What the default ticket shows, line by line: event, times, place, product, add-ons, attendee, price and tax,
order, organizer, and the secret under its QR code."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.helpers import EVENT_URL
from tests.shop import ORDERS, build_shop
from tests.test_tickets_text import qr_codes


@pytest.fixture
def shop(api) -> dict[str, int]:
    ids = build_shop(api)
    changed = api.patch(
        f"{EVENT_URL}/",
        json={
            "timezone": "Europe/Berlin",
            "date_admission": "2017-12-27T09:30:00Z",
            "location": {"en": "Stadthalle, Saal 2"},
        },
    )
    assert changed.status_code == 200, changed.get_json()
    return ids


def page_lines(data: bytes) -> list[list[str]]:
    return [page.extract_text().splitlines() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_add_ons_are_printed_on_the_ticket_they_were_bought_with(api, shop):
    order = api.post(
        ORDERS,
        json={
            "status": "p",
            "payment_provider": "cash",
            "positions": [
                {"positionid": 1, "item": shop["ticket"], "attendee_name": "Peter Miller", "secret": "peter-secret"},
                {"positionid": 2, "item": shop["workshop"], "addon_to": 1},
                {"positionid": 3, "item": shop["shirt"], "variation": shop["M"], "addon_to": 1},
                {"positionid": 4, "item": shop["free"], "attendee_name": "Anna Smith", "secret": "anna-secret"},
            ],
        },
    ).get_json()
    code = order["code"]

    data = api.get(f"{ORDERS}{code}/download/pdf/").data

    assert page_lines(data) == [
        [
            "Sample Conference",
            "Wed, 27 Dec 2017, 11:00 (CET)",
            "Admission 10:30",
            "Stadthalle, Saal 2",
            "Ticket",
            "+ Workshop",
            "+ Shirt – M",
            "Peter Miller",
            "23.00 EUR, incl. 19% tax",
            f"Order {code}-1",
            "Bigevents",
            "peter-secret",
        ],
        [
            "Sample Conference",
            "Wed, 27 Dec 2017, 11:00 (CET)",
            "Admission 10:30",
            "Stadthalle, Saal 2",
            "Free pass",
            "Anna Smith",
            "0.00 EUR",
            f"Order {code}-4",
            "Bigevents",
            "anna-secret",
        ],
    ]
    assert qr_codes(data) == ["peter-secret", "anna-secret"]


def test_a_canceled_add_on_is_not_printed(api, shop, store):
    order = api.post(
        ORDERS,
        json={
            "status": "p",
            "payment_provider": "cash",
            "positions": [
                {"positionid": 1, "item": shop["ticket"], "attendee_name": "Peter Miller"},
                {"positionid": 2, "item": shop["workshop"], "addon_to": 1},
            ],
        },
    ).get_json()
    with store.transaction() as tx:
        tx.update("orderpositions", order["positions"][1]["id"], {"canceled": True})

    lines = page_lines(api.get(f"{ORDERS}{order['code']}/download/pdf/").data)[0]

    assert ("Ticket" in lines, "+ Workshop" in lines) == (True, False)
