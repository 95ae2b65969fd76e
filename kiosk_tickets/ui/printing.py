"""What the screens print besides tickets: an order's 80 mm receipt, and PDFs shown in the browser to print."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from werkzeug.wrappers import Response

from ..isotime import parse_datetime
from ..receipts import Receipt, ReceiptLine, TaxLine, render_receipt
from ..services import orders
from ..services.auth import Principal
from ..store import Transaction
from .i18n import N_

# How the screens name the payment providers an order may carry (translated where shown; receipts stay English).
PAYMENT_NAMES = {
    "cash": N_("Cash"),
    "card": N_("Card"),
    "free": N_("Free"),
    "manual": N_("Paid (manual)"),
    "banktransfer": N_("Bank transfer"),
}


def receipt_pdf(
    tx: Transaction,
    order: Mapping[str, Any],
    principal: Principal,
    given: str | None = None,
    change: str | None = None,
) -> bytes:
    """The order's receipt, with the cash given and the change where the counter knows them."""
    fields = orders.receipt_fields(tx, order)
    provider = fields.pop("payment_provider") or ""
    receipt = Receipt(
        **{
            **fields,
            "lines": tuple(ReceiptLine(**line) for line in fields["lines"]),
            "taxes": tuple(TaxLine(**tax) for tax in fields["taxes"]),
        },
        payment=PAYMENT_NAMES.get(provider, provider.title() or "Paid"),
        given=given,
        change=change,
        cashier=principal.name or f"token {principal.id}",
    )
    return render_receipt(receipt, parse_datetime(order["datetime"]))


def pdf_response(content: bytes, filename: str) -> Response:
    """A PDF the browser shows (to print it), not one it saves."""
    response = current_app.response_class(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
