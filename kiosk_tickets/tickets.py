"""PDF tickets with fpdf2: one page per admission, a QR code of the ticket secret, names in any script."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cvttf_NotoSansCJK_Regular
import font_roboto
import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF

# Roboto covers Latin, Greek and Cyrillic; Noto Sans CJK fills in Chinese, Japanese and Korean. The CJK
# font is large (16 MB) and slow to embed, so it is added only to documents whose text needs it.
LATIN_REGULAR = Path(font_roboto.font_directory) / "Roboto-Regular.ttf"
LATIN_BOLD = Path(font_roboto.font_directory) / "Roboto-Bold.ttf"
CJK = Path(cvttf_NotoSansCJK_Regular.get_TTF_path())
PAGE_FORMATS = ("A4", "A5", "A6", "letter")


@dataclass(frozen=True)
class Ticket:
    """What one ticket page shows."""

    event_name: str
    event_date: str
    location: str | None
    product: str
    attendee: str | None
    price: str
    order_code: str
    position: int
    secret: str


@functools.cache
def _latin_code_points() -> frozenset[int]:
    with TTFont(LATIN_REGULAR, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _needs_fallback(tickets: list[Ticket]) -> bool:
    covered = _latin_code_points()
    text = "".join(f"{t.event_name}{t.event_date}{t.location or ''}{t.product}{t.attendee or ''}" for t in tickets)
    return any(ord(character) not in covered for character in text if not character.isspace())


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as filled squares: sharp at any print resolution, readable by phones and scanners."""
    code = segno.make(data, error="m", micro=False)
    modules = list(code.matrix)
    count = len(modules) + 8  # four modules of quiet zone on each side
    unit = size / count
    pdf.set_fill_color(0, 0, 0)
    for row_number, row in enumerate(modules):
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                pdf.rect(x + (start + 4) * unit, y + (row_number + 4) * unit, (column - start) * unit, unit, style="F")
            else:
                column += 1


def render(tickets: list[Ticket], created: datetime, page_format: str = "A4") -> bytes:
    """Return a PDF with one page per ticket; the same tickets and `created` give the same bytes."""
    pdf = FPDF(format=page_format)
    pdf.set_creation_date(created)
    pdf.set_producer("kiosk-tickets")
    pdf.set_auto_page_break(False)
    pdf.add_font("ticket", "", LATIN_REGULAR)
    pdf.add_font("ticket", "B", LATIN_BOLD)
    if _needs_fallback(tickets):
        pdf.add_font("cjk", "", CJK)
        pdf.set_fallback_fonts(["cjk"], exact_match=False)
    for ticket in tickets:
        _page(pdf, ticket)
    return bytes(pdf.output())


def _page(pdf: FPDF, ticket: Ticket) -> None:
    pdf.add_page()
    width = pdf.w
    margin = width * 0.08
    scale = width / 210  # sizes are designed for A4 and scaled to the page
    text_width = width - 2 * margin
    pdf.set_xy(margin, margin)

    def line(text: str, size: float, style: str = "", gap: float = 2) -> None:
        pdf.set_font("ticket", style, size * scale)
        pdf.multi_cell(text_width, size * scale * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(margin)
        pdf.ln(gap * scale)

    pdf.set_left_margin(margin)
    line(ticket.event_name, 24, "B")
    line(ticket.event_date, 13)
    if ticket.location:
        line(ticket.location, 13, gap=6)
    line(ticket.product, 18, "B")
    if ticket.attendee:
        line(ticket.attendee, 16)
    line(ticket.price, 13, gap=6)
    line(f"Order {ticket.order_code}-{ticket.position}", 11, gap=8)
    qr_size = min(width * 0.5, pdf.h - pdf.get_y() - margin - 12 * scale)
    qr_x = (width - qr_size) / 2
    _qr(pdf, ticket.secret, qr_x, pdf.get_y(), qr_size)
    pdf.set_xy(margin, pdf.get_y() + qr_size)
    pdf.set_font("ticket", "", 8 * scale)
    pdf.cell(text_width, 5 * scale, ticket.secret, align="C")
