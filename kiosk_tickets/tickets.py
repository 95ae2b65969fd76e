"""PDF tickets with fpdf2: one page per admission, a QR code of the ticket secret, names in any script."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import segno
from fpdf import FPDF

from . import fonts, pdftext
from .paper import PAGE_FORMATS, PAPERS

__all__ = ["PAGE_FORMATS", "Ticket", "render", "text_block", "warm_up"]


# Sizes in points for fpdf2's text; positions and lengths in millimetres.
PT = 25.4 / 72


@dataclass(frozen=True)
class Ticket:
    """What one ticket page shows: texts by the variable names of pretix's layouts (`event_name`, `itemvar`,
    `attendee_name`, `secret`, …; see services.ticket_content), a missing or empty one not shown."""

    variables: Mapping[str, str]

    @property
    def secret(self) -> str:
        return self.variables["secret"]

    def __getitem__(self, name: str) -> str:
        return self.variables.get(name) or ""


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as filled squares: sharp at any print resolution, readable by phones and scanners."""
    # A fixed mask pattern: choosing the best of the eight scores each one and costs five times the encoding, for
    # a code that scanners read either way.
    code = segno.make(data, error="m", micro=False, mask=0)
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


@dataclass(frozen=True)
class _Line:
    text: str
    size: float  # points, at A4 width
    style: str = ""
    gap: float = 2  # millimetres after the line, at A4 width


def _lines(ticket: Ticket) -> list[_Line]:
    """The default ticket's texts from the top: the event and when and where, what was bought (add-ons under
    their ticket), for whom and for how much, then which order and whose event it is."""
    lines = [_Line(ticket["event_name"], 24, "B"), _Line(ticket["event_begin"], 13)]
    for name in ("admission_line", "event_location"):
        if ticket[name]:
            lines.append(_Line(ticket[name], 13))
    lines[-1] = _Line(lines[-1].text, lines[-1].size, lines[-1].style, 6)
    lines.append(_Line(ticket["itemvar"], 18, "B"))
    lines.extend(_Line(f"+ {addon}", 13) for addon in ticket["addons"].splitlines())
    if ticket["attendee_name"]:
        lines.append(_Line(ticket["attendee_name"], 16))
    price = ", ".join(text for text in (ticket["price"], ticket["tax_note"]) if text)
    lines.append(_Line(price, 13, gap=6))
    lines.append(_Line(f"Order {ticket['order']}-{ticket['positionid']}", 11))
    lines.append(_Line(ticket["organizer"], 11, gap=8))
    return [_Line(fonts.printable(line.text), line.size, line.style, line.gap) for line in lines if line.text]


def text_block(
    pdf: FPDF,
    left: float,
    top: float,
    width: float,
    text: str,
    size: float,
    style: str = "",
    align: str = "L",
    draw: bool = True,
) -> float:
    """Draw `text` wrapped to `width` from `top` down, aligned left, centre ("C") or right ("R"); return the
    height it takes. With `draw` false only measure."""
    line_height = size * PT * 1.2
    lines = pdftext.wrap(pdf, text, style, size, width)
    for number, line in enumerate(lines if draw else ()):
        x = left
        if align != "L":
            spare = width - pdftext.width(pdf, line, style, size)
            x += spare / 2 if align == "C" else spare
        # The baseline sits about four fifths of the font size below the top of its line.
        pdftext.draw(pdf, x, top + number * line_height + size * PT * 0.95, line, style, size)
    return len(lines) * line_height


def render(tickets: Sequence[Ticket], created: datetime, page_format: str = "A4") -> bytes:
    """Return a PDF with one page per ticket on `page_format` (a name in paper.PAPERS); the same tickets and
    `created` give the same bytes. Raise ValueError for an unknown paper."""
    if page_format not in PAPERS:
        raise ValueError(f"unknown paper {page_format!r}")
    paper = PAPERS[page_format]
    pdf = FPDF(unit="mm", format=(paper.width, paper.height or paper.width))
    pdf.set_creation_date(created)
    pdf.set_producer("kiosk-tickets")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pages = [_lines(ticket) for ticket in tickets]
    texts: dict[str, str] = {"": ""}
    for ticket, lines in zip(tickets, pages, strict=True):
        for line in lines:
            texts[line.style] = texts.get(line.style, "") + line.text
        texts[""] += ticket.secret
    fonts.embed(pdf, texts)
    for ticket, lines in zip(tickets, pages, strict=True):
        if paper.landscape:
            assert paper.height is not None
            pdf.add_page(format=(paper.width, paper.height))
            _side_by_side(pdf, ticket, lines, paper.width, paper.height)
        elif paper.height is None:
            # A roll: measure the ticket first, then cut the page to its length.
            length = _stacked(pdf, ticket, lines, paper.width, None, draw=False)
            pdf.add_page(format=(paper.width, length))
            _stacked(pdf, ticket, lines, paper.width, None, draw=True)
        else:
            pdf.add_page(format=(paper.width, paper.height))
            _stacked(pdf, ticket, lines, paper.width, paper.height, draw=True)
    return bytes(pdf.output())


def warm_up() -> None:
    """Draw a throwaway ticket, so that the first one sold after start-up does not wait for the Latin fonts to be
    read and for fontTools and the PDF writer to be loaded (about 0.3 s). Chinese, Japanese, Korean, Hebrew and
    Arabic fonts are still read on first use: the CJK font holds some 60 MiB once read, which a box office that
    never prints such a name should not pay."""
    sample = Ticket({"event_name": "Warm-up", "itemvar": "Ticket", "attendee_name": "Zoë", "secret": "warm-up"})
    render([sample], datetime(2000, 1, 1, tzinfo=UTC))


def _text_lines(
    pdf: FPDF, lines: list[_Line], left: float, top: float, width: float, scale: float, draw: bool
) -> float:
    """Draw (or only measure) the ticket's lines from `top` down; return where they end."""
    y = top
    for line in lines:
        height = text_block(pdf, left, y, width, line.text, line.size * scale, line.style, draw=draw)
        y += height + line.gap * scale
    return y


def _stacked(pdf: FPDF, ticket: Ticket, lines: list[_Line], width: float, height: float | None, draw: bool) -> float:
    """Text above, the QR code centred below it: portrait paper and rolls. Return the length used."""
    margin = max(width * 0.08, 4)
    scale = max(width / 210, 0.45)  # sizes are designed for A4, scaled down to the paper but kept readable
    text_width = width - 2 * margin
    y = _text_lines(pdf, lines, margin, margin, text_width, scale, draw)
    secret_size = max(8 * scale, 6)
    qr_size = width * 0.5 if height is None else min(width * 0.5, height - y - margin - secret_size * PT * 1.5)
    qr_size = max(qr_size, 30) if height is None else qr_size
    if draw:
        _qr(pdf, ticket.secret, (width - qr_size) / 2, y, qr_size)
    y += qr_size
    y += text_block(pdf, margin, y, text_width, ticket.secret, secret_size, align="C", draw=draw)
    return y + margin


def _side_by_side(pdf: FPDF, ticket: Ticket, lines: list[_Line], width: float, height: float) -> None:
    """Text on the left, the QR code on the right: landscape ticket stock, read like a concert ticket."""
    margin = 4.0
    secret_size = 6.0
    qr_size = height - 2 * margin - secret_size * PT * 1.4
    text_width = width - qr_size - 3 * margin
    # Shrink the text until it fits the stock's height; a long event name wraps rather than overflowing.
    scale = 0.5
    while scale > 0.2 and _text_lines(pdf, lines, margin, margin, text_width, scale, draw=False) > height - margin:
        scale -= 0.05
    _text_lines(pdf, lines, margin, margin, text_width, scale, draw=True)
    qr_left = width - margin - qr_size
    _qr(pdf, ticket.secret, qr_left, margin, qr_size)
    text_block(pdf, qr_left - margin, margin + qr_size, qr_size + 2 * margin, ticket.secret, secret_size, align="C")
