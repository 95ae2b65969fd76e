"""Ticket papers: office sizes, thermal ticket stock and an 80 mm roll, chosen per event over the server's default;
the QR code decodes on every one."""

from __future__ import annotations

import io

import pypdf
import pytest

from kiosk_tickets.paper import PAGE_FORMATS
from kiosk_tickets.tickets import render
from tests.helpers import EVENT_URL
from tests.test_tickets_text import CREATED, qr_codes, ticket

SETTINGS = f"{EVENT_URL}/settings/"
MM = 72 / 25.4


def page_sizes_mm(data: bytes) -> list[tuple[float, float]]:
    return [
        (round(float(page.mediabox.width) / MM, 1), round(float(page.mediabox.height) / MM, 1))
        for page in pypdf.PdfReader(io.BytesIO(data)).pages
    ]


@pytest.mark.parametrize("page_format", PAGE_FORMATS)
@pytest.mark.parametrize("name", [pytest.param("Zoë Łukasz", id="latin"), pytest.param("王芳", id="cjk")])
def test_the_qr_code_decodes_on_every_paper(page_format, name):
    second = ticket("Ann", secret="second-ticket-secret-000000000", position=2)
    data = render([ticket(name), second], CREATED, page_format)

    assert qr_codes(data) == ["k7x2m9q4w8e1r5t3y6u0i2o4p6a8s0d2", "second-ticket-secret-000000000"]


@pytest.mark.parametrize(
    "page_format, size",
    [
        ("A4", (210.0, 297.0)),
        ("A6", (105.0, 148.0)),
        ("letter", (215.9, 279.4)),
        ("ticket-2x5.5in", (139.7, 50.8)),
    ],
)
def test_a_sheet_has_its_size(page_format, size):
    assert page_sizes_mm(render([ticket("Ann")], CREATED, page_format)) == [size]


def test_a_roll_ticket_is_80_mm_wide_and_as_long_as_its_text():
    short = page_sizes_mm(render([ticket("Ann")], CREATED, "roll-80mm"))
    long_name = "Sommerfest " * 12
    long = page_sizes_mm(render([ticket("Ann", event_name=long_name)], CREATED, "roll-80mm"))

    assert short[0][0] == long[0][0] == 80.0
    assert 80 < short[0][1] < long[0][1]


def test_an_unknown_paper_is_refused():
    with pytest.raises(ValueError, match="unknown paper 'A3'"):
        render([ticket("Ann")], CREATED, "A3")


@pytest.fixture
def paid_order(api) -> str:
    item = api.post(f"{EVENT_URL}/items/", json={"name": "Ticket", "default_price": "10.00", "admission": True})
    item_id = item.get_json()["id"]
    assert api.post(f"{EVENT_URL}/quotas/", json={"name": "All", "size": 10, "items": [item_id]}).status_code == 201
    order = api.post(
        f"{EVENT_URL}/orders/",
        json={"status": "p", "payment_provider": "cash", "positions": [{"item": item_id, "secret": "paper-secret"}]},
    )
    return order.get_json()["code"]


def test_the_event_chooses_its_paper_over_the_server_default(api, app, paid_order, monkeypatch):
    download = f"{EVENT_URL}/orders/{paid_order}/download/pdf/"
    assert page_sizes_mm(api.get(download).data) == [(210.0, 297.0)]

    monkeypatch.setitem(app.config, "TICKET_PAGE_FORMAT", "A6")
    assert api.get(SETTINGS).get_json()["ticket_page_format"] == "A6"
    assert page_sizes_mm(api.get(download).data) == [(105.0, 148.0)]

    changed = api.patch(SETTINGS, json={"ticket_page_format": "ticket-2x5.5in"})
    assert (changed.status_code, changed.get_json()["ticket_page_format"]) == (200, "ticket-2x5.5in")
    data = api.get(download).data
    assert (page_sizes_mm(data), qr_codes(data)) == ([(139.7, 50.8)], ["paper-secret"])

    assert api.patch(SETTINGS, json={"ticket_page_format": None}).get_json()["ticket_page_format"] == "A6"


def test_an_unknown_paper_setting_is_refused(api):
    response = api.patch(SETTINGS, json={"ticket_page_format": "A3"})

    assert (response.status_code, response.get_json()) == (400, {"ticket_page_format": ['"A3" is not a valid choice.']})
