"""Ticket text in any script reads back exactly, with pypdf and with poppler's pdftotext; the QR code decodes."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime

import pypdf
import pypdfium2
import pytest
import zxingcpp
from fpdf import FPDF

from kiosk_tickets import fonts, pdftext
from kiosk_tickets.tickets import Ticket, render

CREATED = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)

NAMES = [
    pytest.param("Zoë Müller-Ångström", id="latin-diacritics"),
    pytest.param("Łukasz Żółć-Gęśla", id="polish"),
    pytest.param("Ελένη Παπαδοπούλου", id="greek"),
    pytest.param("Иван Петрович", id="cyrillic"),
    pytest.param("王芳", id="chinese"),
    pytest.param("山田 太郎", id="japanese"),
    pytest.param("김민준", id="korean"),
    pytest.param("דוד כהן", id="hebrew"),
    pytest.param("محمد علي", id="arabic"),
]


def ticket(attendee: str, secret: str = "k7x2m9q4w8e1r5t3y6u0i2o4p6a8s0d2", position: int = 1, **more: str) -> Ticket:
    return Ticket(
        {
            "event_name": "Sommerfest",
            "event_begin": "Sat, 01 Jun 2030, 10:00 (UTC)",
            "event_location": "Stadtpark",
            "itemvar": "Day pass",
            "attendee_name": attendee,
            "price": "23.00 EUR",
            "order": "ABC12",
            "positionid": str(position),
            "organizer": "Stadt Musterhausen",
            "secret": secret,
            **more,
        }
    )


def pdftotext(data: bytes, tmp_path) -> str:
    path = tmp_path / "ticket.pdf"
    path.write_bytes(data)
    command = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def pypdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def qr_codes(data: bytes) -> list[str]:
    return [
        code.text
        for page in pypdfium2.PdfDocument(data)
        for code in zxingcpp.read_barcodes(page.render(scale=3).to_pil())
    ]


requires_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


@pytest.mark.parametrize("name", NAMES)
def test_a_name_reads_back_exactly_with_pypdf(name):
    text = pypdf_text(render([ticket(name)], CREATED))

    assert name in text.splitlines()
    assert "\x00" not in text


@requires_pdftotext
@pytest.mark.parametrize("name", NAMES)
def test_a_name_reads_back_exactly_with_pdftotext(name, tmp_path):
    lines = pdftotext(render([ticket(name)], CREATED), tmp_path).splitlines()

    # poppler marks a right-to-left line with the embedding marks RLE ... PDF around it.
    assert name in [line.strip("\u202b\u202c") for line in lines]


def test_all_scripts_in_one_order_read_back_each_on_its_own_page(tmp_path):
    names = [param.values[0] for param in NAMES]
    data = render([ticket(name, position=number) for number, name in enumerate(names, 1)], CREATED)

    pages = [page.extract_text().splitlines() for page in pypdf.PdfReader(io.BytesIO(data)).pages]

    assert [name in lines for name, lines in zip(names, pages, strict=True)] == [True] * len(names)


def test_a_character_no_font_draws_is_replaced_visibly():
    text = pypdf_text(render([ticket("Ana \U0001f600 Lee \u0f00")], CREATED))

    assert "Ana \ufffd Lee \ufffd" in text.splitlines()


@pytest.mark.parametrize("name", [pytest.param("Zoë Łukasz", id="latin"), pytest.param("王芳", id="cjk")])
def test_the_qr_code_decodes_to_the_secret(name):
    assert qr_codes(render([ticket(name)], CREATED)) == ["k7x2m9q4w8e1r5t3y6u0i2o4p6a8s0d2"]


def test_the_same_tickets_give_the_same_bytes():
    tickets = [ticket("王芳"), ticket("Zoë", position=2)]

    assert render(tickets, CREATED) == render(tickets, CREATED)


def test_a_long_event_name_wraps_within_the_page():
    long = "The Thirty-Second International Conference on Very Long Event Names and Their Consequences"
    text = pypdf_text(render([ticket("Ann", event_name=long)], CREATED))

    assert " ".join(text.split()).count(long) == 1


@pytest.mark.parametrize(
    "logical, drawn",
    [
        pytest.param("Zoë", "Zoë", id="left-to-right-untouched"),
        pytest.param("דוד כהן", "ןהכ דוד", id="right-to-left-reversed"),
        pytest.param("Dana כהן", "Dana ןהכ", id="mixed-left-paragraph"),
        pytest.param("כהן 12", "12 ןהכ", id="digits-in-right-paragraph"),
    ],
)
def test_visual_order(logical, drawn):
    assert pdftext.visual(logical) == drawn


def test_a_right_to_left_name_is_one_run_in_its_own_font():
    assert pdftext.runs("דוד כהן", "") == [pdftext.Run("hebrew", "ןהכ דוד")]
    assert [run.family for run in pdftext.runs("Li 王芳 Wu", "B")] == [fonts.FAMILY, "cjk", fonts.FAMILY]


@pytest.mark.parametrize(
    "text, limit, lines",
    [
        pytest.param("The quick brown fox jumps over the lazy dog", 30,
                     ["The quick", "brown fox", "jumps over the", "lazy dog"], id="at-spaces"),
        pytest.param("The quick brown fox", None, ["The quick brown fox"], id="no-limit"),
        pytest.param("Wwwwwwwwwwwwwwwwwwww fox", 30, ["Wwwwwwwww", "wwwwwwwww", "ww fox"], id="inside-a-long-word"),
        pytest.param("a\n\nb", 30, ["a", "", "b"], id="line-breaks-kept"),
        pytest.param("W" * 500, 1, ["W"] * 100, id="at-most-100-lines"),
    ],
)
def test_wrapping(text, limit, lines):
    pdf = FPDF(unit="mm")
    fonts.embed(pdf, {"": text})

    assert pdftext.wrap(pdf, text, "", 12, limit) == lines
