"""Draw the README's ticket pictures: the built-in ticket, and one from a pretix layout with a background and a logo.

    .venv/bin/python docs/ticket_pictures.py        (writes docs/ticket-default.png and docs/ticket-layout.png)

Both go through the API of an app on the demo event, as a box office downloads them. The layout is
docs/example-layout.json, which can be uploaded to any event as it is.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from struct import pack

import pypdfium2
from fpdf import FPDF

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kiosk_tickets import create_app, demo  # noqa: E402
from kiosk_tickets.context import get_store  # noqa: E402

DOCS = Path(__file__).resolve().parent
EVENT = "/api/v1/organizers/demo/events/festival"


def data_url(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def logo() -> bytes:
    """A small two-colour PNG, written by hand so that the script needs no image library."""
    width, height = 120, 60
    rows = b"".join(
        b"\x00" + b"".join(bytes((230, 80, 40) if (x - 60) ** 2 + (y - 30) ** 2 < 700 else (255, 255, 255))
                           for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    header = pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def background() -> bytes:
    """Ticket stock artwork, 139.7 × 50.8 mm: a coloured band on the left and a stub on the right."""
    pdf = FPDF(unit="mm", format=(139.7, 50.8))
    pdf.add_page()
    pdf.set_fill_color(255, 236, 214)
    pdf.rect(0, 0, 139.7, 50.8, style="F")
    pdf.set_fill_color(230, 80, 40)
    pdf.rect(0, 0, 6, 50.8, style="F")
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.line(95, 3, 95, 47.8)
    return bytes(pdf.output())


def save_png(pdf: bytes, name: str, scale: float) -> None:
    page = pypdfium2.PdfDocument(pdf)[0]
    page.render(scale=scale).to_pil().save(DOCS / name)
    print(f"wrote docs/{name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        app = create_app({"DATA_DIR": directory, "CLOCK": lambda: datetime(2026, 7, 1, 10, tzinfo=UTC)})
        with app.app_context():
            _, token = demo.build(get_store(app), datetime(2026, 7, 1, 10, tzinfo=UTC))
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Token {token}"
        items = {item["name"]["en"]: item["id"] for item in client.get(f"{EVENT}/items/").get_json()["results"]}
        order = client.post(f"{EVENT}/orders/", json={
            "status": "p", "payment_provider": "cash",
            "positions": [
                {"positionid": 1, "item": items["Day ticket"], "attendee_name": "Zoë Łukasz-Weiß"},
                {"positionid": 2, "item": items["Workshop: Screen printing"], "addon_to": 1},
            ],
        }).get_json()
        download = f"{EVENT}/orders/{order['code']}/download/pdf/"

        client.patch(f"{EVENT}/settings/", json={"ticket_page_format": "A6"})
        save_png(client.get(download).data, "ticket-default.png", 1.5)

        client.patch(f"{EVENT}/settings/", json={
            "ticket_page_format": "ticket-2x5.5in", "logo_image": data_url("image/png", logo()),
        })
        layout = json.loads((DOCS / "example-layout.json").read_text(encoding="utf-8"))
        created = client.post(f"{EVENT}/ticketlayouts/", json={
            "name": "Festival stock", "default": True, "layout": layout,
            "background": data_url("application/pdf", background()),
        })
        assert created.status_code == 201, created.get_json()
        save_png(client.get(download).data, "ticket-layout.png", 2)


if __name__ == "__main__":
    main()
