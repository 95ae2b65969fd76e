"""PDF tickets with fpdf2: each ticket drawn from a pretix layout, the organizer's or the built-in one.

The built-in layout is made for each ticket in the same JSON an organizer uploads (textareas and a barcodearea),
fitted to the paper and to the ticket's texts, and one renderer draws both. A layout's background PDF is put
under the drawn pages with pypdf.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import TYPE_CHECKING, Any

from . import fonts, pdftext
from .layouts import Element
from .paper import PAGE_FORMATS, PAPERS, Paper

if TYPE_CHECKING:  # fpdf is imported where a PDF is made: it costs start-up some 0.25 s
    from fpdf import FPDF

__all__ = ["PAGE_FORMATS", "Layout", "Ticket", "default_layout", "render", "warm_up"]

# fpdf2 sizes text in points; positions and lengths here are millimetres.
PT = 25.4 / 72
# Roboto's ascent and descent as a share of the font size: where a line's box sits around its baseline.
ASCENT = 0.93
DESCENT = 0.24
LEADING = 1.2  # a line's height as a multiple of the font size, at a layout's lineheight 1


@dataclass(frozen=True)
class Layout:
    """A pretix ticket layout: its elements (checked by layouts.check) and the PDF its pages are drawn over."""

    elements: Sequence[Mapping[str, Any]]
    background: bytes | None = None


@dataclass(frozen=True)
class Ticket:
    """What one ticket shows: texts by the variable names of pretix's layouts (`event_name`, `itemvar`,
    `attendee_name`, `secret`, …; see services.ticket_content), a missing or empty one not shown; the images an
    imagearea may name (`event_logo`); and its layout, None for the built-in one."""

    variables: Mapping[str, str]
    layout: Layout | None = None
    images: Mapping[str, bytes] = field(default_factory=dict)
    locale: str = "en"

    @property
    def secret(self) -> str:
        return self.variables["secret"]

    def __getitem__(self, name: str) -> str:
        return self.variables.get(name) or ""


# ---------------------------------------------------------------------------------------- drawing an element


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float, quiet_zone: int = 4) -> None:
    """Draw the QR code as filled squares from its top left: sharp at any print resolution."""
    # A fixed mask pattern: choosing the best of the eight scores each one and costs five times the encoding, for
    # a code that scanners read either way.
    import segno  # here, not at the top: its writers cost start-up some 10 ms

    code = segno.make(data, error="m", micro=False, mask=0)
    modules = list(code.matrix)
    count = len(modules) + 2 * quiet_zone
    unit = size / count
    pdf.set_fill_color(0, 0, 0)
    for row_number, row in enumerate(modules):
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                left = x + (start + quiet_zone) * unit
                pdf.rect(left, y + (row_number + quiet_zone) * unit, (column - start) * unit, unit, style="F")
            else:
                column += 1


def _style(element: Element) -> str:
    return ("B" if element.flag("bold") else "") + ("I" if element.flag("italic") else "")


def _text_of(element: Element, ticket: Ticket) -> str:
    return fonts.printable(element.content(ticket.variables, ticket.locale))


def _textarea(pdf: FPDF, element: Element, ticket: Ticket) -> None:
    """Text wrapped to the element's width. Downward, `bottom` is the top of its first line and the text grows
    down; otherwise `bottom` is the bottom of its last line and it grows up (pretix's older layouts)."""
    text = _text_of(element, ticket)
    if not text:
        return
    size = element.number("fontsize", 12)
    style = _style(element)
    width = element.number("width", 100)
    line_height = size * PT * LEADING * element.number("lineheight", 1)
    lines = pdftext.wrap(pdf, text, style, size, width)
    anchor_x, anchor_y = element.left, pdf.h - element.bottom
    top = anchor_y if element.flag("downward") else anchor_y - len(lines) * line_height
    color = [int(float(part)) for part in element.raw.get("color", [0, 0, 0])[:3]]
    pdf.set_text_color(*color)
    align = element.raw.get("align", "left")
    # Rotation turns the element about its anchor, clockwise as pretix's editor shows it.
    with pdf.rotation(-element.number("rotation", 0), anchor_x, anchor_y):
        for number, line in enumerate(lines):
            x = element.left
            if align != "left":
                spare = width - pdftext.width(pdf, line, style, size)
                x += spare / 2 if align == "center" else spare
            baseline = top + number * line_height + (line_height - size * PT * (ASCENT + DESCENT)) / 2
            pdftext.draw(pdf, x, baseline + size * PT * ASCENT, line, style, size)
    pdf.set_text_color(0, 0, 0)


def _barcodearea(pdf: FPDF, element: Element, ticket: Ticket) -> None:
    """A QR code of the secret (or of the variable or text named), its bottom left at the element's position."""
    data = element.content(ticket.variables, ticket.locale)
    if not data:
        return
    size = element.number("size", 40)
    _qr(pdf, data, element.left, pdf.h - element.bottom - size, size, 0 if element.flag("nowhitespace") else 4)


def _imagearea(pdf: FPDF, element: Element, ticket: Ticket) -> None:
    """The image the element names, fitted into its box and centred there."""
    image = ticket.images.get(str(element.raw.get("content")))
    if not image:
        return
    width, height = element.number("width", 10), element.number("height", 10)
    pdf.image(BytesIO(image), element.left, pdf.h - element.bottom - height, width, height, keep_aspect_ratio=True)


_DRAW = {"textarea": _textarea, "barcodearea": _barcodearea, "imagearea": _imagearea}


# ---------------------------------------------------------------------------------------- the built-in layout


@dataclass(frozen=True)
class _Line:
    text: str
    size: float  # points, at A4 width
    style: str = ""
    gap: float = 2  # millimetres after the line, at A4 width


def _lines(ticket: Ticket) -> list[_Line]:
    """The built-in ticket's texts from the top: the event and when and where, what was bought (add-ons under
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


def _text_element(line: _Line, left: float, top: float, width: float, size: float, align: str = "left") -> dict:
    return {
        "type": "textarea", "left": round(left, 2), "bottom": round(top, 2), "width": round(width, 2),
        "fontsize": round(size, 2), "fontfamily": "Roboto", "bold": "B" in line.style, "italic": False,
        "align": align, "color": [0, 0, 0, 1], "downward": True, "content": "other", "text": line.text,
    }


def _height(pdf: FPDF, text: str, style: str, size: float, width: float) -> float:
    return len(pdftext.wrap(pdf, text, style, size, width)) * size * PT * LEADING


def _column(pdf: FPDF, lines: list[_Line], left: float, top: float, width: float, scale: float) -> tuple[list, float]:
    """Text elements one under another from `top` (measured from the page's top); return them and where they end."""
    elements, y = [], top
    for line in lines:
        size = line.size * scale
        elements.append(_text_element(line, left, y, width, size))
        y += _height(pdf, line.text, line.style, size, width) + line.gap * scale
    return elements, y


def default_layout(pdf: FPDF, ticket: Ticket, paper: Paper) -> tuple[list[dict], float]:
    """The built-in layout for `ticket` on `paper`, positions measured from the page's top (`_from_bottom`
    turns them round), and the page's height. Portrait paper and rolls have the text above a centred QR code, a
    roll cut to the ticket's length; landscape ticket stock has the text left of the QR code, shrunk to fit."""
    lines = _lines(ticket)
    secret = _Line(fonts.printable(ticket.secret), 8)
    width = paper.width
    if paper.landscape:
        assert paper.height is not None
        margin, secret_size = 4.0, 6.0
        qr_size = paper.height - 2 * margin - secret_size * PT * LEADING * 1.2
        text_width = width - qr_size - 3 * margin
        scale = 0.5
        while scale > 0.2 and _column(pdf, lines, margin, margin, text_width, scale)[1] > paper.height - margin:
            scale -= 0.05
        elements, _ = _column(pdf, lines, margin, margin, text_width, scale)
        qr_left = width - margin - qr_size
        elements.append({"type": "barcodearea", "left": qr_left, "bottom": margin + qr_size, "size": qr_size})
        elements.append(
            _text_element(secret, qr_left - margin, margin + qr_size, qr_size + 2 * margin, secret_size, "center")
        )
        return elements, paper.height
    margin = max(width * 0.08, 4)
    scale = max(width / 210, 0.45)  # sizes are designed for A4, scaled down to the paper but kept readable
    text_width = width - 2 * margin
    elements, y = _column(pdf, lines, margin, margin, text_width, scale)
    secret_size = max(8 * scale, 6)
    secret_height = _height(pdf, secret.text, "", secret_size, text_width)
    if paper.height is None:
        qr_size = max(width * 0.5, 30)
    else:
        qr_size = min(width * 0.5, paper.height - y - margin - secret_height)
    elements.append({"type": "barcodearea", "left": (width - qr_size) / 2, "bottom": y + qr_size, "size": qr_size})
    elements.append(_text_element(secret, margin, y + qr_size, text_width, secret_size, "center"))
    height = paper.height if paper.height is not None else y + qr_size + secret_height + margin
    return elements, height


def _from_bottom(elements: list[dict], height: float) -> list[dict]:
    """Turn positions measured from the page's top into pretix's, measured from its bottom."""
    return [{**element, "bottom": round(height - element["bottom"], 2)} for element in elements]


# ---------------------------------------------------------------------------------------- documents


def _page_size(layout: Layout, paper: Paper) -> tuple[float, float]:
    """A layout with a background takes the background's page size, as pretix does; else the paper's (a roll,
    which has no length, half as long again as it is wide)."""
    if layout.background:
        import pypdf  # only for backgrounds: importing it takes some 90 ms that no other ticket needs

        box = pypdf.PdfReader(BytesIO(layout.background)).pages[0].mediabox
        return float(box.width) * PT, float(box.height) * PT
    return paper.width, paper.height if paper.height is not None else paper.width * 1.5


def render(tickets: Sequence[Ticket], created: datetime, page_format: str = "A4") -> bytes:
    """Return a PDF with the pages of each ticket on `page_format` (a name in paper.PAPERS); the same tickets and
    `created` give the same bytes. Raise ValueError for an unknown paper."""
    if page_format not in PAPERS:
        raise ValueError(f"unknown paper {page_format!r}")
    paper = PAPERS[page_format]
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(paper.width, paper.height or paper.width))
    pdf.set_creation_date(created)
    pdf.set_producer("kiosk-tickets")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    # Every text is known before any page is drawn: the document's fonts hold exactly its characters.
    texts: dict[str, str] = {"": ""}
    for ticket in tickets:
        if ticket.layout is None:
            for line in _lines(ticket):
                texts[line.style] = texts.get(line.style, "") + line.text
            texts[""] += fonts.printable(ticket.secret)
        else:
            for raw in ticket.layout.elements:
                element = Element.read(raw)
                if element.kind == "textarea":
                    style = _style(element)
                    texts[style] = texts.get(style, "") + _text_of(element, ticket)
    fonts.embed(pdf, texts)
    backgrounds: list[tuple[bytes, int] | None] = []  # per page drawn: the background and its page to put under
    sizes: dict[int, tuple[float, float]] = {}  # by layout: a background is read once per document
    for ticket in tickets:
        if ticket.layout is None:
            measured, height = default_layout(pdf, ticket, paper)
            elements = [Element.read(raw) for raw in _from_bottom(measured, height)]
            size = (paper.width, height)
        else:
            elements = [Element.read(raw) for raw in ticket.layout.elements]
            if id(ticket.layout) not in sizes:
                sizes[id(ticket.layout)] = _page_size(ticket.layout, paper)
            size = sizes[id(ticket.layout)]
        pages = max([1, *(element.page for element in elements)])
        for page in range(1, pages + 1):
            pdf.add_page(format=size)
            for element in elements:
                if element.page == page and element.kind in _DRAW:
                    _DRAW[element.kind](pdf, element, ticket)
            background = ticket.layout.background if ticket.layout else None
            backgrounds.append((background, page - 1) if background else None)
    drawn = bytes(pdf.output())
    if not any(backgrounds):
        return drawn
    return _under(drawn, backgrounds)


def _under(drawn: bytes, backgrounds: list[tuple[bytes, int] | None]) -> bytes:
    """Put each page drawn over its background's page (the background's last page where it has fewer)."""
    import pypdf

    readers: dict[int, pypdf.PdfReader] = {}
    writer = pypdf.PdfWriter()
    for page, background in zip(pypdf.PdfReader(BytesIO(drawn)).pages, backgrounds, strict=True):
        if background is None:
            writer.add_page(page)
            continue
        data, number = background
        reader = readers.setdefault(id(data), pypdf.PdfReader(BytesIO(data)))
        under = writer.add_page(reader.pages[min(number, len(reader.pages) - 1)])
        under.merge_page(page)
    writer.add_metadata({"/Producer": "kiosk-tickets"})
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def warm_up() -> None:
    """Draw a throwaway ticket, so that the first one sold after start-up does not wait for the Latin fonts to be
    read and for fontTools and the PDF writer to be loaded (about 0.3 s). Chinese, Japanese, Korean, Hebrew and
    Arabic fonts are still read on first use: the CJK font holds some 60 MiB once read, which a box office that
    never prints such a name should not pay."""
    sample = Ticket({"event_name": "Warm-up", "itemvar": "Ticket", "attendee_name": "Zoë", "secret": "warm-up"})
    render([sample], datetime(2000, 1, 1, tzinfo=UTC))
