"""Ticket PDFs in a warm process: ms per order of 1, 3 and 20 tickets, Latin and CJK, and the memory fonts take.

    python bench/tickets_bench.py [--rounds 30] [--alternatives]

Orders are seeded in a temporary store and downloaded through the API's route in this process, as a warm server
process serves them. `--alternatives` also times the ways of embedding fonts that were measured against it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from common import (
    EVENT,
    ORGANIZER,
    day_ticket_document,
    environment_line,
    order_position_document,
    paid_order_document,
    seed_store,
)

from kiosk_tickets import create_app, tickets
from kiosk_tickets.store import Store

ORDERS = {"latin-1": (1, False), "latin-3": (3, False), "cjk-1": (1, True), "cjk-3": (3, True), "latin-20": (20, False)}


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(data_dir: Path) -> str:
    """One paid order per entry of ORDERS, named by its key; a CJK order has one attendee named in Chinese."""
    token = seed_store(data_dir, 0)
    store = Store(data_dir)
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug=EVENT)["id"]
        item = tx.insert("items", day_ticket_document(event_id))
        for number, (key, (positions, cjk)) in enumerate(ORDERS.items()):
            order = tx.insert("orders", paid_order_document(event_id, key.upper().replace("-", ""), number, "23.00"))
            for index in range(positions):
                document = order_position_document(order["id"], number * 100 + index, event_id, item["id"])
                name = "王芳" if cjk and index == 0 else f"Zoë Łukasz {index}"
                tx.insert("orderpositions", {
                    **document, "positionid": index + 1, "attendee_name": name,
                    "attendee_name_parts": {"full_name": name},
                })
    store.compact()
    store.close()
    return token


def alternatives(rounds: int) -> None:
    """The ways of embedding fonts with fpdf2 that were measured: ms to embed one name, warm."""
    from fpdf import FPDF

    from kiosk_tickets import fonts, pdftext

    cjk_path = fonts._CJK.path
    now = datetime(2030, 1, 1, tzinfo=UTC)

    def per_document(name: str) -> None:
        # fpdf2's own way: add_font parses the file for each document, output subsets it.
        pdf = FPDF()
        pdf.set_creation_date(now)
        pdf.add_font("sans", "", fonts.LATIN_REGULAR)
        if name != "Zoë":
            pdf.add_font("cjk", "", cjk_path)
            pdf.set_fallback_fonts(["cjk"])
        pdf.add_page()
        pdf.set_font("sans", "", 12)
        pdf.cell(text=name)
        pdf.output()

    kept = {path: Path(path).read_bytes() for path in (fonts.LATIN_REGULAR, cjk_path)}

    def kept_in_memory(name: str) -> None:
        # The files' bytes kept, fpdf2's font object made from them for each document: fontTools still parses
        # and fpdf2 still subsets the whole font, because the subsetting changes the font object in place.
        from fpdf.fonts import TTFFont

        pdf = FPDF()
        pdf.set_creation_date(now)
        pdf.fonts["sans"] = TTFFont(pdf, BytesIO(kept[fonts.LATIN_REGULAR]), "sans", "")  # type: ignore[arg-type]
        if name != "Zoë":
            pdf.fonts["cjk"] = TTFFont(pdf, BytesIO(kept[cjk_path]), "cjk", "")  # type: ignore[arg-type]
            pdf.set_fallback_fonts(["cjk"])
        pdf.add_page()
        pdf.set_font("sans", "", 12)
        pdf.cell(text=name)
        pdf.output()

    def built(name: str) -> None:
        # This module's way: fonts parsed once, each document gets a font of its characters.
        pdf = FPDF()
        pdf.set_creation_date(now)
        fonts.embed(pdf, {"": name})
        pdf.add_page()
        pdftext.draw(pdf, 10, 10, name, "", 12)
        pdf.output()

    for label, function in (
        ("fpdf2 add_font per document", per_document),
        ("font files kept in memory, parsed per document", kept_in_memory),
        ("fonts read once, a font of the document's characters built", built),
    ):
        for name in ("Zoë", "王芳"):
            function(name)
            rounds_here = rounds if function is built else max(3, rounds // 5)
            started = time.perf_counter()
            for _ in range(rounds_here):
                function(name)
            print(f"  {label}, {name}: {(time.perf_counter() - started) / rounds_here * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--alternatives", action="store_true")
    args = parser.parse_args()
    print(f"ticket PDFs, {environment_line()}")
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        token = seed(data_dir)
        client = create_app({"DATA_DIR": str(data_dir)}).test_client()
        headers = {"Authorization": f"Token {token}"}
        base = f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}/orders"

        def download(key: str) -> bytes:
            response = client.get(f"{base}/{key.upper().replace('-', '')}/download/pdf/", headers=headers)
            assert response.status_code == 200, response.data
            return response.data

        client.get(f"{base}/", headers=headers)  # the app and the store, warm before any ticket
        before = rss_mib()
        started = time.perf_counter()
        tickets.warm_up()  # what `serve` does before it accepts requests
        warm_up = (time.perf_counter() - started) * 1000
        after_warm_up = rss_mib()
        started = time.perf_counter()
        download("latin-1")
        first_latin = (time.perf_counter() - started) * 1000
        after_latin = rss_mib()
        started = time.perf_counter()
        download("cjk-1")
        first_cjk = (time.perf_counter() - started) * 1000
        after_cjk = rss_mib()
        print(f"  resident before any ticket: {before:.1f} MiB")
        print(f"  serve's warm-up (Latin fonts, fontTools, the PDF writer): {warm_up:.0f} ms, "
              f"resident after: {after_warm_up:.1f} MiB (+{after_warm_up - before:.1f})")
        print(f"  first Latin order after it: {first_latin:.0f} ms, resident after: {after_latin:.1f} MiB")
        print(f"  first order with a CJK name: {first_cjk:.0f} ms, resident after: {after_cjk:.1f} MiB "
              f"(+{after_cjk - after_latin:.1f})")

        medians: dict[str, float] = {}
        for key in ORDERS:
            download(key)
            timings = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                download(key)
                timings.append((time.perf_counter() - started) * 1000)
            medians[key] = statistics.median(timings)
            print(f"  {key:>9}: p50 {medians[key]:.1f} ms, min {min(timings):.1f} ms, max {max(timings):.1f} ms")
        per_page = (medians["latin-20"] - medians["latin-1"]) / 19
        print(f"  per additional page (20-ticket order against 1): {per_page:.2f} ms")
        print(f"  resident after all: {rss_mib():.1f} MiB; 20-ticket PDF {len(download('latin-20')) / 1024:.0f} KiB")
    if args.alternatives:
        print("font embedding alternatives, one name per document:")
        alternatives(args.rounds)


if __name__ == "__main__":
    main()
