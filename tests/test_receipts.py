"""Receipts: what an order's receipt says, and the 80 mm PDF a thermal printer takes."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf

from kiosk_tickets.receipts import Receipt, ReceiptLine, TaxLine, render_receipt
from kiosk_tickets.services.orders import receipt_fields
from tests.helpers import EVENT_URL, created, store_of

CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_an_order_s_receipt_counts_each_product_once_and_the_tax_per_rate(app, api):
    vat = created(api, f"{EVENT_URL}/taxrules/", {"name": "VAT", "rate": "19.00"})
    ticket = created(api, f"{EVENT_URL}/items/", {"name": "Ticket", "default_price": "23.00", "tax_rule": vat["id"]})
    shirt = created(api, f"{EVENT_URL}/items/", {"name": "Shirt", "default_price": "15.00"})
    created(api, f"{EVENT_URL}/quotas/", {"name": "All", "size": 10, "items": [ticket["id"], shirt["id"]]})
    order = created(
        api,
        f"{EVENT_URL}/orders/",
        {
            "status": "p",
            "payment_provider": "cash",
            "positions": [{"item": ticket["id"]}, {"item": ticket["id"]}, {"item": shirt["id"]}],
            "fees": [{"fee_type": "service", "value": "1.19", "tax_rule": vat["id"]}],
        },
    )

    with store_of(app).transaction() as tx:
        fields = receipt_fields(tx, tx.find_one("orders", code=order["code"]))

    assert fields == {
        "organizer": "Bigevents",
        "event": "Sample Conference",
        "order_code": order["code"],
        "date": "01 Nov 2026, 12:00",
        "currency": "EUR",
        "lines": [
            {"description": "Ticket", "quantity": 2, "amount": "46.00"},
            {"description": "Shirt", "quantity": 1, "amount": "15.00"},
            {"description": "Service", "quantity": 1, "amount": "1.19"},
        ],
        "taxes": [{"rate": "19.00", "gross": "47.19", "tax": "7.53"}],
        "total": "62.19",
        "payment_provider": "cash",
    }


def test_the_receipt_is_80_mm_wide_and_says_total_change_and_order():
    receipt = Receipt(
        organizer="Demo Box Office",
        event="Kiosk Demo Festival",
        order_code="ABC12",
        date="01 Nov 2026, 13:00",
        currency="EUR",
        lines=(ReceiptLine("Day ticket", 2, "50.00"),),
        taxes=(TaxLine("19.00", "50.00", "7.98"),),
        total="50.00",
        payment="Cash",
        given="60.00",
        change="10.00",
        cashier="Counter 1",
    )

    pdf = render_receipt(receipt, CREATED)

    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 80
    text = page.extract_text()
    for expected in ("Demo Box Office", "Order ABC12", "Day ticket", "50.00 EUR", "Given", "60.00", "Change", "10.00",
                     "Cashier: Counter 1"):
        assert expected in text, expected
    assert render_receipt(receipt, CREATED) == pdf
