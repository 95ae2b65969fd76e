"""The overview for organizers: a day's and the whole event's figures, two bar charts drawn as SVG on the
server, and the close-the-day report as a PDF (A4) and as CSV.

The figures come from `services.reports`, read in one store transaction; the PDF is drawn after it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import abort, current_app, render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from ..context import get_store, now, system_time
from ..fonts import LATIN_BOLD, LATIN_REGULAR
from ..services import allotments, clock_guard, reports, sync
from ..services.auth import Principal
from ..services.common import i18n_text
from ..store import Transaction
from . import bp
from .auth import screen
from .events import choose_event, event_context, events_of
from .i18n import day as short_day
from .i18n import long_day
from .printing import PAYMENT_NAMES

SCREEN = "reports.read"


def _day(event: dict) -> date:
    """The day asked for (`?day=YYYY-MM-DD`), else today in the event's time zone."""
    asked = request.args.get("day", "").strip()
    if not asked:
        return reports.local_day(event, now())
    try:
        return date.fromisoformat(asked)
    except ValueError:
        abort(400, "The day must be written as YYYY-MM-DD, for example 2026-11-01.")


def method_name(provider: str) -> str:
    return PAYMENT_NAMES.get(provider, provider.title() or "Unknown")


def day_words(day: date | None) -> str:
    return "Whole event" if day is None else f"{day:%A} {day.day} {day:%B %Y}"


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str  # the tick under the bar ("" for none)
    title: str  # what a pointer hovering over it reads


@dataclass
class Chart:
    """A bar chart in SVG units: bars, the largest count (the top of the axis) and the chart's size."""

    bars: list[Bar]
    top: int
    width: int = 640
    height: int = 220
    left: int = 36
    bottom: int = 28
    top_margin: int = 20

    @property
    def plot_height(self) -> int:
        return self.height - self.bottom - self.top_margin


def chart(buckets: list[reports.Bucket], label: str, every: int) -> Chart | None:
    """Bars for `buckets`, a tick under every `every`-th one (label: a strftime format)."""
    if not buckets:
        return None
    drawn = Chart([], top=max(max(b.count for b in buckets), 1))
    span = (drawn.width - drawn.left - 6) / len(buckets)
    for index, bucket in enumerate(buckets):
        height = drawn.plot_height * bucket.count / drawn.top
        drawn.bars.append(
            Bar(
                x=round(drawn.left + index * span + 1, 1),
                y=round(drawn.top_margin + drawn.plot_height - height, 1),
                width=round(max(span - 2, 1), 1),
                height=round(height, 1),
                count=bucket.count,
                label=f"{bucket.start:{label}}" if index % every == 0 else "",
                title=f"{bucket.start:%H:%M}: {bucket.count}",
            )
        )
    return drawn


def _page(tx: Transaction, event: dict, day: date) -> dict[str, Any]:
    moment = now()
    checkins = reports.checkins_per_quarter_hour(tx, event, day)
    hours = reports.orders_per_hour(tx, event, day)
    return {
        "event": event,
        "event_name": i18n_text(event.get("name")),
        "day": day,
        "today": day == reports.local_day(event, moment),
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "day_figures": reports.figures(tx, event, day),
        "all_figures": reports.figures(tx, event, None),
        "quotas": reports.quotas_left(tx, event, moment),
        "checkin_chart": chart(checkins, "%H:%M", 4),
        "checkins_total": sum(b.count for b in checkins),
        "orders_chart": chart(hours, "%H", 1),
        "orders_total": sum(b.count for b in hours),
        "as_of": f"{moment.astimezone(reports.zone_of(event)):%H:%M}",
        "sync": _sync_status(tx, event),
        "clock_behind": _clock_behind(tx, event),
    }


@dataclass
class ClockBehind:
    """The banner's two times, in words of the event's time zone."""

    clock: str
    newest: str


def _clock_behind(tx: Transaction, event: dict) -> ClockBehind | None:
    """The system clock and the newest recorded time, if the clock is behind (see services.clock_guard)."""
    lag = clock_guard.behind(tx, system_time())
    if lag is None:
        return None
    zone = reports.zone_of(event)

    def words(moment: datetime) -> str:
        local = moment.astimezone(zone)
        return f"{short_day(local)}, {local:%H:%M}"

    return ClockBehind(clock=words(lag.system), newest=words(lag.newest))


def _sync_status(tx: Transaction, event: dict) -> allotments.SyncStatus | None:
    """Where an event pulled from a central stands with it; None for an event of this box's own."""
    state = sync.state_of(tx, event["organizer"], event["slug"])
    return allotments.status(tx, state) if state is not None else None


# ---------------------------------------------------------------------------------------------- pages


def _event(tx: Transaction, principal: Principal, slug: str) -> dict:
    return dict(event_context(tx, principal, slug).event or {})


@bp.get("/overview/", endpoint="overview")
@screen(SCREEN)
def overview_home(principal: Principal) -> Response | str:
    """Choose the event; with one event only, go straight to its overview."""
    return choose_event(
        principal,
        "ui.overview_event",
        "ui/choose_event.html",
        lambda event: (event["date_from"] or "")[:10],
        title=gettext("Overview"),
        heading=gettext("Overview: choose the event"),
    )


@bp.get("/overview/<event>/")
@screen(SCREEN)
def overview_event(principal: Principal, event: str) -> str:
    with get_store().transaction() as tx:
        found = _event(tx, principal, event)
        page = _page(tx, found, _day(found))
        several = len(events_of(tx, principal.organizer)) > 1
    return render_template(
        "ui/overview.html",
        **page,
        several_events=several,
        money=reports.amount,
        method_name=method_name,
        day_words=lambda day: gettext("Whole event") if day is None else long_day(day),
    )


# ---------------------------------------------------------------------------------------------- report


def _rows(figures: reports.Figures) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's sections: a title, the column headers, the rows (totals last)."""
    money = reports.amount
    products = [[p.product, str(p.count), money(p.amount)] for p in figures.products]
    products.append(["Total", str(figures.tickets_sold), money(sum((p.amount for p in figures.products), Decimal(0)))])
    methods = [[method_name(m.provider), str(m.count), money(m.amount)] for m in figures.methods]
    methods.append(["Total received", str(sum(m.count for m in figures.methods)), money(figures.received_total)])
    cashiers = [
        [c.name, str(c.orders), money(c.sold), money(c.card_in), money(c.cash_in), money(c.cash_back),
         money(c.expected_cash)]
        for c in figures.cashiers
    ]
    cashiers.append(["All", str(figures.orders_placed), money(figures.sales_total),
                     money(sum((c.card_in for c in figures.cashiers), Decimal(0))),
                     money(sum((c.cash_in for c in figures.cashiers), Decimal(0))),
                     money(sum((c.cash_back for c in figures.cashiers), Decimal(0))),
                     money(figures.expected_cash)])
    cancellations = [
        [c.order, c.what, money(c.amount), money(c.paid),
         ", ".join(method_name(p) for p in c.provider.split(", ") if p), c.cashier, f"{c.when:%H:%M}" if c.when else ""]
        for c in figures.cancellations
    ]
    cancellations.append(["Total", "", money(figures.canceled_total), "", "", "", ""])
    return [
        ("Sales per product (paid orders placed this day)", ["Product", "Sold", "Amount"], products),
        ("Payments received per method", ["Method", "Payments", "Amount"], methods),
        ("Per cashier", ["Cashier", "Orders", "Sold", "Card", "Cash in", "Cash back", "Expected cash"], cashiers),
        ("Cancellations", ["Order", "What", "Amount", "Was paid", "Paid by", "Cashier", "At"], cancellations),
    ]


def _report_data(principal: Principal, event: str) -> tuple[dict, reports.Figures, datetime]:
    with get_store().transaction() as tx:
        found = _event(tx, principal, event)
        figures = reports.figures(tx, found, _day(found))
    return found, figures, now().astimezone(reports.zone_of(found))


@bp.get("/overview/<event>/report.csv")
@screen(SCREEN)
def overview_report_csv(principal: Principal, event: str) -> Response:
    """The close-the-day report as CSV: sections, each a title row, a header row and its rows; UTF-8 with a BOM
    so spreadsheet programs read the characters right."""
    found, figures, printed = _report_data(principal, event)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Close of day", figures.event, f"{figures.day:%Y-%m-%d}" if figures.day else "", figures.currency])
    writer.writerow(["Printed", f"{printed:%Y-%m-%d %H:%M} ({figures.zone})"])
    writer.writerow(["Sales total", reports.amount(figures.sales_total)])
    writer.writerow(["Received total", reports.amount(figures.received_total)])
    writer.writerow(["Expected cash", reports.amount(figures.expected_cash)])
    for title, headers, rows in _rows(figures):
        writer.writerow([])
        writer.writerow([title])
        writer.writerow(headers)
        writer.writerows(rows)
    body = "\ufeff" + out.getvalue()
    response = current_app.response_class(body.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"{found['slug']}-{figures.day:%Y-%m-%d}" if figures.day else found["slug"]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-report.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _pdf(figures: reports.Figures, printed: datetime) -> bytes:
    from fpdf import FPDF  # here, not at the top: importing it costs start-up some 0.25 s

    pdf = FPDF(format="A4")
    pdf.set_creation_date(printed)
    pdf.set_producer("kiosk-tickets")
    pdf.add_font("report", "", LATIN_REGULAR)
    pdf.add_font("report", "B", LATIN_BOLD)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, 15)
    pdf.add_page()
    width = pdf.w - 30
    pdf.set_font("report", "B", 18)
    pdf.multi_cell(width, 9, f"Close of day: {figures.event}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("report", "", 12)
    pdf.cell(width, 7, f"Day: {day_words(figures.day)}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(width, 7, f"Printed: {printed:%Y-%m-%d %H:%M} ({figures.zone})", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("report", "B", 12)
    for label, value in (
        ("Sales total", figures.sales_total),
        ("Received total", figures.received_total),
        ("Expected cash", figures.expected_cash),
    ):
        pdf.cell(60, 7, label)
        pdf.cell(40, 7, f"{reports.amount(value)} {figures.currency}", align="R", new_x="LMARGIN", new_y="NEXT")
    for title, headers, rows in _rows(figures):
        pdf.ln(5)
        pdf.set_font("report", "B", 13)
        pdf.cell(width, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("report", "", 9.5)
        with pdf.table(
            text_align=["LEFT", *(["RIGHT"] * (len(headers) - 1))] if len(headers) <= 3 else "LEFT",
            line_height=5.5,
            first_row_as_headings=True,
        ) as table:
            table.row(headers)
            for row in rows:
                table.row(row)
    return bytes(pdf.output())


@bp.get("/overview/<event>/report.pdf")
@screen(SCREEN)
def overview_report_pdf(principal: Principal, event: str) -> Response:
    """The close-the-day report on A4, shown in the browser to print."""
    found, figures, printed = _report_data(principal, event)
    response = current_app.response_class(_pdf(figures, printed), mimetype="application/pdf")
    name = f"{found['slug']}-{figures.day:%Y-%m-%d}" if figures.day else found["slug"]
    response.headers["Content-Disposition"] = f'inline; filename="{name}-report.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
