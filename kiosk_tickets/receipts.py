"""Receipts for 80 mm thermal printers: plain data in, a PDF one strip long out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .fonts import LATIN_BOLD, LATIN_REGULAR

# A thermal roll is 80 mm wide and prints about 72 mm of it.
WIDTH_MM = 80.0
MARGIN_MM = 4.0
LINE_MM = 4.2


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    quantity: int
    amount: str  # the line's total, e.g. "46.00"


@dataclass(frozen=True)
class TaxLine:
    rate: str  # "19.00"
    gross: str
    tax: str


@dataclass(frozen=True)
class Receipt:
    """What a receipt says; amounts are strings with two decimals, in `currency`."""

    organizer: str
    event: str
    order_code: str
    date: str  # already in the event's time zone, as the receipt prints it
    currency: str
    lines: tuple[ReceiptLine, ...]
    taxes: tuple[TaxLine, ...]
    total: str
    payment: str  # "Cash", "Card", "Free"
    given: str | None = None  # cash handed over
    change: str | None = None
    cashier: str | None = None


def _height(receipt: Receipt) -> float:
    rows = 8 + 2 * len(receipt.lines) + len(receipt.taxes) + (2 if receipt.given else 0) + (1 if receipt.cashier else 0)
    return 2 * MARGIN_MM + rows * LINE_MM + 12


def render_receipt(receipt: Receipt, created: datetime) -> bytes:
    """Return the receipt as a PDF 80 mm wide and as long as its lines; the same input gives the same bytes."""
    from fpdf import FPDF  # here, not at the top: importing it costs start-up some 0.25 s

    pdf = FPDF(unit="mm", format=(WIDTH_MM, _height(receipt)))
    pdf.set_creation_date(created)
    pdf.set_producer("kiosk-tickets")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.add_font("receipt", "", LATIN_REGULAR)
    pdf.add_font("receipt", "B", LATIN_BOLD)
    pdf.add_page()
    width = WIDTH_MM - 2 * MARGIN_MM

    def row(left: str, right: str = "", style: str = "", size: float = 9) -> None:
        pdf.set_font("receipt", style, size)
        pdf.cell(width * 0.7, LINE_MM, left)
        pdf.cell(width * 0.3, LINE_MM, right, align="R", new_x="LMARGIN", new_y="NEXT")

    def rule() -> None:
        pdf.line(MARGIN_MM, pdf.get_y() + 1, WIDTH_MM - MARGIN_MM, pdf.get_y() + 1)
        pdf.ln(2)

    pdf.set_font("receipt", "B", 11)
    pdf.multi_cell(width, LINE_MM + 1, receipt.organizer, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("receipt", "", 9)
    pdf.multi_cell(width, LINE_MM, receipt.event, align="C", new_x="LMARGIN", new_y="NEXT")
    row(f"Order {receipt.order_code}", receipt.date)
    rule()
    for line in receipt.lines:
        pdf.set_font("receipt", "", 9)
        pdf.multi_cell(width, LINE_MM, line.description, new_x="LMARGIN", new_y="NEXT")
        row(f"  {line.quantity} ×", f"{line.amount}")
    rule()
    row("Total", f"{receipt.total} {receipt.currency}", "B", 11)
    for tax in receipt.taxes:
        row(f"  incl. {tax.rate} % tax on {tax.gross}", tax.tax, size=8)
    rule()
    row(receipt.payment, receipt.total)
    if receipt.given is not None and receipt.change is not None:
        row("Given", receipt.given)
        row("Change", receipt.change, "B")
    if receipt.cashier:
        row(f"Cashier: {receipt.cashier}", size=8)
    return bytes(pdf.output())
