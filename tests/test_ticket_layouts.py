"""Ticket layouts as pretix has them: the resource, validation naming the element, the renderer placing each
element where the layout says, backgrounds under the drawing, and which product prints with which layout."""

from __future__ import annotations

import base64
import copy
import io
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pypdf
import pytest
from fpdf import FPDF

from kiosk_tickets import layouts
from kiosk_tickets.tickets import Layout, Ticket, render
from tests.helpers import EVENT_URL
from tests.shop import ORDERS, build_shop
from tests.test_tickets_text import CREATED, qr_codes, ticket

LAYOUTS = f"{EVENT_URL}/ticketlayouts/"
SETTINGS = f"{EVENT_URL}/settings/"
PT = 72 / 25.4
A4_HEIGHT = 297


def text(content: str, left: float, bottom: float, **more) -> dict:
    return {
        "type": "textarea", "left": left, "bottom": bottom, "width": 120, "fontsize": 14, "fontfamily": "Open Sans",
        "bold": False, "italic": False, "align": "left", "color": [0, 0, 0, 1], "content": content, **more,
    }


# Every element type, numbers as numbers and as strings, every textarea option.
EVERY_ELEMENT = [
    text("event_name", 20, 270, downward=True, bold=True, fontsize="20"),
    text("attendee_name", "20", "230", italic=True, color=[200, 0, 0]),
    text("other", 20, 200, text="Bring this ticket", align="center", lineheight=1.5, downward=True),
    text("other_i18n", 20, 180, text_i18n={"de": "Willkommen", "en": "Welcome"}, align="right", downward=True),
    text("order", 150, 120, rotation=90, downward=True, width=60),
    {"type": "barcodearea", "left": 130, "bottom": 20, "size": 50, "content": "secret"},
    {"type": "barcodearea", "left": 20, "bottom": 20, "size": 30, "content": "other", "text": "BOX-OFFICE-1",
     "nowhitespace": True, "page": 2},
    {"type": "imagearea", "left": 20, "bottom": 90, "width": 40, "height": 20, "content": "event_logo"},
    {"type": "poweredby", "left": 180, "bottom": 5, "size": 10, "content": "dark"},
    text("positionid", 20, 270, page=2, downward=True),
]


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def data_url(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def background_pdf(words: str = "Festival artwork") -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=30)
    pdf.text(30, 150, words)
    return bytes(pdf.output())


def words(data: bytes, tmp_path) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page, each word pdftotext finds with its box in mm from the page's top left."""
    path = tmp_path / "ticket.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages: list[list] = []
    for line in out.splitlines():
        if "<page " in line:
            pages.append([])
        elif "<word " in line:
            numbers = [float(line.split(f'{key}="')[1].split('"')[0]) / PT for key in ("xMin", "yMin", "xMax", "yMax")]
            pages[-1].append((line.split(">")[1].split("<")[0], *numbers))
    return pages


def find(page: list, word: str) -> tuple[float, float, float, float]:
    found = [box[1:] for box in page if box[0] == word]
    assert found, f"{word!r} not on the page: {[box[0] for box in page]}"
    return found[0]


requires_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


# ---------------------------------------------------------------------------------------- the renderer


@requires_pdftotext
def test_every_element_type_is_drawn_where_the_layout_puts_it(tmp_path):
    logo = png(40, 20, (0, 90, 200))
    data = render(
        [Ticket(ticket("Zoë Łukasz").variables, Layout(EVERY_ELEMENT), {"event_logo": logo})], CREATED
    )
    first, second = words(data, tmp_path)

    # Downward: the layout's bottom is the top of the first line.
    left, top, _, _ = find(first, "Sommerfest")
    assert (left, top) == (pytest.approx(20, abs=2), pytest.approx(A4_HEIGHT - 270, abs=2))
    # Upward (pretix's older default): the bottom of the last line.
    left, _, _, bottom = find(first, "Łukasz")
    assert (find(first, "Zoë")[0], bottom) == (pytest.approx(20, abs=2), pytest.approx(A4_HEIGHT - 230, abs=2))
    # Centred and right-aligned within the element's 120 mm.
    left, top, _, _ = find(first, "Bring")
    right = find(first, "ticket")[2]
    assert ((left + right) / 2, top) == (pytest.approx(80, abs=2), pytest.approx(A4_HEIGHT - 200, abs=2))
    _, top, right, _ = find(first, "Welcome")
    assert (right, top) == (pytest.approx(140, abs=2), pytest.approx(A4_HEIGHT - 180, abs=2))
    # Rotated a quarter turn clockwise about its anchor: the text runs down the page from there.
    left, top, right, bottom = find(first, "ABC12")
    assert (left, top) == (pytest.approx(150 - 14 * 0.353 * 1.2, abs=2), pytest.approx(A4_HEIGHT - 120, abs=2))
    assert bottom - top > right - left
    # The second page holds its own elements only.
    assert [box[0] for box in second] == ["1"]
    assert qr_codes(data) == ["k7x2m9q4w8e1r5t3y6u0i2o4p6a8s0d2", "BOX-OFFICE-1"]


def test_the_logo_is_drawn_in_its_box():
    data = render(
        [Ticket(ticket("Ann").variables, Layout(EVERY_ELEMENT), {"event_logo": png(40, 20, (0, 90, 200))})], CREATED
    )
    image = __import__("pypdfium2").PdfDocument(data)[0].render(scale=1).to_pil().convert("RGB")
    pixels_per_mm = image.width / 210

    inside = image.getpixel((int(40 * pixels_per_mm), int((A4_HEIGHT - 100) * pixels_per_mm)))
    outside = image.getpixel((int(70 * pixels_per_mm), int((A4_HEIGHT - 100) * pixels_per_mm)))

    assert (inside, outside) == ((0, 90, 200), (255, 255, 255))


@requires_pdftotext
def test_a_background_is_under_the_drawn_layout_and_sets_the_page_size(tmp_path):
    small = FPDF(format=(105, 148))
    small.add_page()
    small.set_font("helvetica", size=12)
    small.text(10, 100, "Festival artwork")
    layout = Layout([text("event_name", 10, 130, downward=True)], bytes(small.output()))

    data = render([Ticket(ticket("Ann").variables, layout)], CREATED)

    (page,) = words(data, tmp_path)
    assert sorted(box[0] for box in page) == ["Festival", "Sommerfest", "artwork"]
    # Under: the background's content comes first in the page, the layout is drawn over it.
    assert pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().splitlines() == ["Festival artwork", "Sommerfest"]
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width) / PT), round(float(box.height) / PT)) == (105, 148)


@pytest.mark.parametrize(
    "change, message",
    [
        pytest.param({"type": "circle"}, 'Element 1: "type" must be one of barcodearea, imagearea, poweredby, '
                     "textarea.", id="type"),
        pytest.param({"fontsize": 0}, 'Element 1 (textarea): "fontsize" must be a number above 0 and at most '
                     "2000.", id="fontsize"),
        pytest.param({"fontsize": None}, 'Element 1 (textarea): "fontsize" is required.', id="fontsize-missing"),
        pytest.param({"fontsize": "12pt"}, 'Element 1 (textarea): "fontsize" must be a number above 0 and at most '
                     "2000.", id="fontsize-text"),
        pytest.param({"align": "justify"}, 'Element 1 (textarea): "align" must be one of left, center, right.',
                     id="align"),
        pytest.param({"color": [0, 0]}, 'Element 1 (textarea): "color" must be three or four numbers from 0 to 255.',
                     id="color"),
        pytest.param({"left": "ten"}, 'Element 1 (textarea): "left" must be a number between -2000 and 2000.',
                     id="left"),
        pytest.param({"bold": "yes"}, 'Element 1 (textarea): "bold" must be true or false.', id="bold"),
        pytest.param({"page": 0}, 'Element 1 (textarea): "page" must be a whole number from 1 to 20.', id="page"),
        pytest.param({"shadow": True}, 'Element 1 (textarea): "shadow" is not a property of a textarea.',
                     id="unknown"),
        pytest.param({"width": -5}, 'Element 1 (textarea): "width" must be a number above 0 and at most 2000.',
                     id="width"),
    ],
)
def test_an_invalid_element_is_named(change, message):
    layout = copy.deepcopy(EVERY_ELEMENT)
    layout[1] = {key: value for key, value in {**layout[1], **change}.items() if value is not None}

    with pytest.raises(layouts.LayoutError) as refused:
        layouts.check(layout)

    assert str(refused.value) == message


def test_a_missing_required_property_is_named():
    layout = [{"type": "barcodearea", "left": 0, "bottom": 0}]

    with pytest.raises(layouts.LayoutError, match=r'^Element 0 \(barcodearea\): "size" is required\.$'):
        layouts.check(layout)


def test_every_element_layout_is_valid():
    assert layouts.check(copy.deepcopy(EVERY_ELEMENT)) == EVERY_ELEMENT


def test_the_example_layout_in_the_docs_is_valid():
    example = json.loads((Path(__file__).parent.parent / "docs" / "example-layout.json").read_text(encoding="utf-8"))

    assert [element["type"] for element in layouts.check(example)].count("textarea") == 9


# ---------------------------------------------------------------------------------------- the resource


@pytest.fixture
def shop(api) -> dict[str, int]:
    return build_shop(api)


def paid_order(api, shop, positions: list[dict]) -> str:
    response = api.post(ORDERS, json={"status": "p", "payment_provider": "cash", "positions": positions})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


def first_lines(api, code: str) -> list[str]:
    data = api.get(f"{ORDERS}{code}/download/pdf/").data
    return [page.extract_text().splitlines()[0] for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_layouts_are_created_listed_changed_and_deleted(api, shop):
    body = {"name": "Festival", "default": True, "layout": [text("other", 10, 280, text="FESTIVAL")],
            "background": None, "item_assignments": [{"item": shop["ticket"]}]}

    created = api.post(LAYOUTS, json=body)

    expected = {**body, "id": created.get_json()["id"],
                "item_assignments": [{"item": shop["ticket"], "sales_channel": "web"}]}
    assert (created.status_code, created.get_json()) == (201, expected)
    url = f"{LAYOUTS}{expected['id']}/"
    assert api.get(LAYOUTS).get_json()["results"] == [expected]
    assert api.get(url).get_json() == expected
    renamed = api.patch(url, json={"name": "Festival 2"})
    assert (renamed.status_code, renamed.get_json()) == (200, {**expected, "name": "Festival 2"})
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_an_invalid_layout_is_a_400_naming_the_element_and_stores_nothing(api, shop):
    layout = [text("event_name", 10, 280), {**text("order", 10, 250), "fontsize": "big"}]

    response = api.post(LAYOUTS, json={"name": "Broken", "layout": layout})

    assert (response.status_code, response.get_json()) == (
        400, {"layout": ['Element 1 (textarea): "fontsize" must be a number above 0 and at most 2000.']}
    )
    assert api.get(LAYOUTS).get_json()["count"] == 0


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"layout": {"type": "textarea"}}, {"layout": ["A layout is a list of elements."]}),
        ({"layout": ["textarea"]}, {"layout": ["Element 0: an element is an object."]}),
        ({"background": "https://example.org/bg.pdf"},
         {"background": ["Send the file as a data URL: data:application/pdf;base64,…"]}),
        ({"background": data_url("application/pdf", b"not a pdf")},
         {"background": ["The background is not a readable PDF."]}),
        ({"item_assignments": [{"item": 99999}]},
         {"item_assignments": [{"item": ['Invalid pk "99999" - object does not exist.']}]}),
    ],
)
def test_other_invalid_fields_are_refused(api, shop, body, errors):
    response = api.post(LAYOUTS, json={"name": "Broken", **body})

    assert (response.status_code, response.get_json()) == (400, errors)


def test_a_product_prints_with_its_layout_else_the_default_else_the_built_in_one(api, shop):
    code = paid_order(api, shop, [{"item": shop["ticket"]}, {"item": shop["free"]}])
    assert first_lines(api, code) == ["Sample Conference", "Sample Conference"]

    default = api.post(LAYOUTS, json={"name": "Default", "default": True,
                                      "layout": [text("other", 10, 280, text="DEFAULT")]}).get_json()
    assert first_lines(api, code) == ["DEFAULT", "DEFAULT"]

    api.post(LAYOUTS, json={"name": "Tickets", "layout": [text("other", 10, 280, text="TICKETS")],
                            "item_assignments": [{"item": shop["ticket"]}]})
    assert first_lines(api, code) == ["TICKETS", "DEFAULT"]

    # One default per event: the newest wins; deleting it leaves the built-in one.
    newer = api.post(LAYOUTS, json={"name": "Newer", "default": True,
                                    "layout": [text("other", 10, 280, text="NEWER")]}).get_json()
    assert api.get(f"{LAYOUTS}{default['id']}/").get_json()["default"] is False
    assert first_lines(api, code) == ["TICKETS", "NEWER"]
    api.delete(f"{LAYOUTS}{newer['id']}/")
    assert first_lines(api, code) == ["TICKETS", "Sample Conference"]


def test_a_box_office_sale_uses_the_layout_for_its_channel_else_the_web_shops(api, shop):
    online = paid_order(api, shop, [{"item": shop["ticket"]}])
    counter = api.post(ORDERS, json={"status": "p", "payment_provider": "cash", "sales_channel": "box_office",
                                     "positions": [{"item": shop["ticket"]}]}).get_json()["code"]
    api.post(LAYOUTS, json={"name": "Web", "layout": [text("other", 10, 280, text="WEB")],
                            "item_assignments": [{"item": shop["ticket"]}]})
    assert (first_lines(api, online), first_lines(api, counter)) == (["WEB"], ["WEB"])

    api.post(LAYOUTS, json={"name": "Counter", "layout": [text("other", 10, 280, text="COUNTER")],
                            "item_assignments": [{"item": shop["ticket"], "sales_channel": "box_office"}]})

    assert (first_lines(api, online), first_lines(api, counter)) == (["WEB"], ["COUNTER"])


def test_a_product_assigned_again_moves_to_the_newer_layout(api, shop):
    first = api.post(LAYOUTS, json={"name": "A", "item_assignments": [{"item": shop["ticket"]}]}).get_json()
    api.post(LAYOUTS, json={"name": "B", "item_assignments": [{"item": shop["ticket"]}]})

    assert api.get(f"{LAYOUTS}{first['id']}/").get_json()["item_assignments"] == []


@requires_pdftotext
def test_an_uploaded_background_and_logo_print_on_the_ticket(api, shop, tmp_path):
    logo = png(40, 20, (0, 90, 200))
    assert api.patch(SETTINGS, json={"logo_image": data_url("image/png", logo)}).status_code == 200
    layout = [
        text("event_name", 20, 250, downward=True),
        {"type": "imagearea", "left": 20, "bottom": 20, "width": 40, "height": 20, "content": "event_logo"},
    ]
    created = api.post(LAYOUTS, json={"name": "Art", "default": True, "layout": layout,
                                      "background": data_url("application/pdf", background_pdf())}).get_json()
    served = f"http://localhost{LAYOUTS}{created['id']}/background.pdf"
    assert created["background"] == served
    assert api.get(served.removeprefix("http://localhost")).data == background_pdf()
    # Writing back what was read keeps the background.
    assert api.put(f"{LAYOUTS}{created['id']}/", json=created).get_json()["background"] == served
    code = paid_order(api, shop, [{"item": shop["ticket"]}])

    data = api.get(f"{ORDERS}{code}/download/pdf/").data

    (page,) = words(data, tmp_path)
    assert sorted(box[0] for box in page) == ["Conference", "Festival", "Sample", "artwork"]
    assert pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().splitlines() == [
        "Festival artwork", "Sample Conference"
    ]
    assert pypdf.PdfReader(io.BytesIO(data)).pages[0].images[0].image.size == (40, 20)


def test_a_logo_that_is_not_an_image_is_refused(api):
    response = api.patch(SETTINGS, json={"logo_image": data_url("image/png", b"GIF89a")})

    assert (response.status_code, response.get_json()) == (
        400, {"logo_image": ["The image is not a readable PNG or JPEG."]}
    )


def test_deleting_a_product_takes_it_out_of_its_layout(api, shop):
    item = api.post(f"{EVENT_URL}/items/", json={"name": "Poster", "default_price": "3.00"}).get_json()
    layout = api.post(LAYOUTS, json={"name": "A", "item_assignments": [{"item": item["id"]}]}).get_json()

    assert api.delete(f"{EVENT_URL}/items/{item['id']}/").status_code == 204

    assert api.get(f"{LAYOUTS}{layout['id']}/").get_json()["item_assignments"] == []
