"""The orders screen: find an order (code, name, email, or a scanned ticket), see all of it, reprint its tickets
or receipt, take its payment at the counter, or cancel it after a confirmation.

Each page reads and changes the store through the services in one `get_store().transaction()`; PDFs are
drawn after that transaction, as the API draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..context import get_store, now, ticket_page_format
from ..errors import BadRequest, KioskError, NotFound
from ..isotime import parse_datetime
from ..services import order_search, orders
from ..services.auth import Principal
from ..services.common import OrderStatus, i18n_text
from ..services.positions import full_name
from ..services.resources import EventContext
from ..store import Transaction
from . import bp
from .auth import screen
from .events import choose_event, event_context, events_of
from .i18n import N_, day
from .printing import PAYMENT_NAMES, pdf_response, receipt_pdf

SCREEN = "orders.create"  # boxoffice and admin: check-in tokens may read orders, but this is a counter's screen
STATUS = "orders.status"
TICKETS = "tickets.download"

# The status in words, with a sign that tells it without colour.
STATUSES = {
    OrderStatus.PENDING: ("pending", N_("Pending: not paid yet"), "…"),
    OrderStatus.PAID: ("paid", N_("Paid"), "✓"),
    OrderStatus.CANCELED: ("canceled", N_("Canceled"), "✕"),
    OrderStatus.EXPIRED: ("expired", N_("Expired: not paid in time"), "⌛"),
}
# The status in one word, for a sentence: "Order ABC12 is paid and cannot be canceled."
STATUS_WORDS = (N_("pending"), N_("paid"), N_("canceled"), N_("expired"), N_("unknown"))
COUNTER_PAYMENTS = {"cash": N_("in cash"), "card": N_("by card")}
PAYMENT_STATES = {
    "created": N_("open"),
    "pending": N_("open"),
    "confirmed": N_("received"),
    "canceled": N_("canceled"),
    "failed": N_("failed"),
    "refunded": N_("refunded"),
}
MAX_RESULTS = 50
_MAX_QUERY = 200


def _zone(event: Mapping[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(event.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(moment: str | datetime | None, event: Mapping[str, Any]) -> str:
    """A moment in the event's time zone, short: `Sun 1 Nov 2026, 13:00`."""
    if not moment:
        return ""
    local = (parse_datetime(moment) if isinstance(moment, str) else moment).astimezone(_zone(event))
    return _("%(day)s, %(time)s", day=day(local), time=f"{local:%H:%M}")


def status_of(order: Mapping[str, Any]) -> dict[str, str]:
    key, words, sign = STATUSES.get(order["status"], ("unknown", order["status"], "?"))
    return {"key": key, "words": _(words), "sign": sign}


def _money(amount: str | Decimal, event: Mapping[str, Any]) -> str:
    return f"{amount} {event['currency']}"


@dataclass
class Row:
    """An order in the search results."""

    code: str
    status: dict[str, str]
    names: list[str]
    email: str
    total: str
    placed: str


@dataclass
class Line:
    """A position on the detail page, with its add-ons nested under it."""

    positionid: int
    product: str
    variation: str | None
    price: str
    attendee: str | None
    email: str | None
    answers: list[tuple[str, str]]
    checkins: list[str]
    canceled: bool
    ticket: bool
    addons: list[Line] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- lookups


def _order(tx: Transaction, scope: EventContext, code: str) -> dict:
    try:
        return orders.get(tx, scope, code, now())
    except NotFound:
        abort(404, _("This event has no order “%(code)s”.", code=code[:20]))


def _names(tx: Transaction, order: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    invoice = full_name((order.get("invoice_address") or {}).get("name_parts"))
    stored = sorted(tx.find("orderpositions", order=order["id"]), key=lambda p: p["positionid"])
    for name in [*(full_name(p["attendee_name_parts"]) for p in stored if not p["canceled"]), invoice]:
        if name and name not in found:
            found.append(name)
    return found


def _row(tx: Transaction, order: Mapping[str, Any], event: Mapping[str, Any]) -> Row:
    return Row(
        code=order["code"],
        status=status_of(order),
        names=_names(tx, order),
        email=order.get("email") or "",
        total=_money(order["total"], event),
        placed=when(order["datetime"], event),
    )


def _exact(tx: Transaction, scope: EventContext, query: str) -> str | None:
    """The code of the order that `query` names exactly: its code, or the secret of one of its tickets."""
    by_code = order_search.list_orders(tx, scope, {"code": query}, None, now())
    if by_code:
        return str(by_code[0]["code"])
    filters = {"secret": query, "include_canceled_positions": True}
    by_secret = order_search.list_positions(tx, scope, filters, None, now())
    if by_secret:
        return str(tx.peek_referenced("orders", by_secret[0]["order"])["code"])
    return None


def _checkins(tx: Transaction, checkins: list[dict], event: Mapping[str, Any]) -> list[str]:
    said = []
    for checkin in sorted(checkins, key=lambda c: (c["datetime"], c["id"])):
        checkin_list = tx.get("checkinlists", checkin["list"]) or {}
        moment = when(checkin["datetime"], event)
        exit_ = checkin.get("type") == "exit"
        if checkin_list.get("name"):
            said.append(
                _("Left %(when)s, list “%(list)s”", when=moment, list=checkin_list["name"])
                if exit_
                else _("Checked in %(when)s, list “%(list)s”", when=moment, list=checkin_list["name"])
            )
        else:
            said.append(_("Left %(when)s", when=moment) if exit_ else _("Checked in %(when)s", when=moment))
    return said


def _answers(tx: Transaction, position: Mapping[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for answer in position.get("answers") or []:
        question = tx.get("questions", answer["question"]) or {}
        asked = i18n_text(question.get("question")) or answer.get("question_identifier") or "?"
        shown.append((asked, answer["answer"]))
    return shown


def _lines(tx: Transaction, details: orders.OrderDetails, event: Mapping[str, Any]) -> list[Line]:
    lines: dict[int, Line] = {}
    mains: list[Line] = []
    for shown in details.positions:
        position = shown.position
        item = tx.get("items", position["item"]) or {}
        variation = tx.get("variations", position["variation"]) if position.get("variation") else None
        line = Line(
            positionid=position["positionid"],
            product=i18n_text(item.get("name")) or _("Product %(id)s", id=position["item"]),
            variation=i18n_text(variation["value"]) if variation else None,
            price=_money(position["price"], event),
            attendee=full_name(position.get("attendee_name_parts")),
            email=position.get("attendee_email"),
            answers=_answers(tx, position),
            checkins=_checkins(tx, shown.checkins, event),
            canceled=bool(position["canceled"]),
            ticket=orders.generates_ticket(tx, position),
        )
        lines[position["id"]] = line
        main = lines.get(position["addon_to"]) if position.get("addon_to") else None
        if main is not None:
            main.addons.append(line)
        else:
            mains.append(line)
    return mains


def _fees(details: orders.OrderDetails, event: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ((fee.get("description") or fee["fee_type"].replace("_", " ").capitalize()), _money(fee["value"], event))
        for fee in details.fees
    ]


def _payments(order: Mapping[str, Any], event: Mapping[str, Any]) -> list[str]:
    said = []
    for payment in order["payments"]:
        provider = _(PAYMENT_NAMES[payment["provider"]]) if payment["provider"] in PAYMENT_NAMES else None
        state = _(PAYMENT_STATES[payment["state"]]) if payment["state"] in PAYMENT_STATES else payment["state"]
        provider = provider or payment["provider"] or _("Unknown")
        moment = f", {when(payment['payment_date'], event)}" if payment.get("payment_date") else ""
        said.append(f"{provider}: {_money(payment['amount'], event)} {state}{moment}")
    return said


def _detail_page(
    tx: Transaction, principal: Principal, scope: EventContext, order: Mapping[str, Any]
) -> dict[str, Any]:
    """Everything the detail page and the cancel confirmation show of an order."""
    event = scope.event or {}
    details = orders.order_details(tx, order)
    lines = _lines(tx, details, event)
    status = status_of(order)
    return {
        "event": event,
        "event_name": i18n_text(event.get("name")),
        "order": order,
        "status": status,
        "placed": when(order["datetime"], event),
        "expires": when(order.get("expires"), event) if order["status"] == OrderStatus.PENDING else "",
        "lines": lines,
        "ticket_count": sum(1 for line in lines for x in [line, *line.addons] if x.ticket and not x.canceled),
        "fees": _fees(details, event),
        "payments": _payments(order, event),
        "total": _money(order["total"], event),
        "downloadable": details.downloadable,
        "may_change": principal.may(STATUS, principal.organizer),
        "may_print": principal.may(TICKETS, principal.organizer),
        "may_pay": order["status"] in (OrderStatus.PENDING, OrderStatus.EXPIRED),
        "may_cancel": order["status"] in (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED),
        "counter_payments": {key: _(words) for key, words in COUNTER_PAYMENTS.items()},
        "several_events": len(events_of(tx, principal.organizer)) > 1,
    }


# ---------------------------------------------------------------------------------------------- pages


@bp.get("/orders/", endpoint="orders")
@screen(SCREEN)
def orders_home(principal: Principal) -> Response | str:
    """Choose the event; with one event only, go straight to its search."""
    return choose_event(
        principal,
        "ui.orders_search",
        "ui/choose_event.html",
        lambda event: when(event["date_from"], event),
        title=_("Orders"),
        heading=_("Orders: choose the event"),
    )


@bp.get("/orders/<event>/")
@screen(SCREEN)
def orders_search(principal: Principal, event: str) -> Response | str:
    """The search field and the orders it finds, newest first; an order code or a ticket's secret opens its
    order at once."""
    query = request.args.get("q", "").strip()[:_MAX_QUERY]
    with get_store().transaction() as tx:
        scope = event_context(tx, principal, event)
        found = None if not query else _exact(tx, scope, query)
        if found is not None:
            return redirect(url_for("ui.orders_detail", event=event, code=found))
        filters = {"search": query} if query else {}
        matching = order_search.list_orders(tx, scope, filters, "-datetime", now())
        rows = [_row(tx, order, scope.event or {}) for order in matching[:MAX_RESULTS]]
        several = len(events_of(tx, principal.organizer)) > 1
        event_name = i18n_text((scope.event or {}).get("name"))
    return render_template(
        "ui/orders_search.html",
        event_slug=event,
        event_name=event_name,
        query=query,
        rows=rows,
        count=len(matching),
        shown=len(rows),
        several_events=several,
    )


@bp.get("/orders/<event>/<code>/")
@screen(SCREEN)
def orders_detail(principal: Principal, event: str, code: str) -> str:
    with get_store().transaction() as tx:
        scope = event_context(tx, principal, event)
        page = _detail_page(tx, principal, scope, _order(tx, scope, code))
    return render_template("ui/orders_detail.html", **page)


def _refused(principal: Principal, event: str, code: str, error: KioskError) -> tuple[str, int]:
    """The detail page again, with why the service refused (the order as it is now)."""
    with get_store().transaction() as tx:
        scope = event_context(tx, principal, event)
        page = _detail_page(tx, principal, scope, _order(tx, scope, code))
    return render_template("ui/orders_detail.html", error=_message(error.detail), **page), error.status_code


def _message(detail: Any) -> str:
    """A service's error detail (a text, a list of them, or per field) as one sentence to show."""
    if isinstance(detail, dict):
        return " ".join(_message(messages) for messages in detail.values())
    if isinstance(detail, list):
        return " ".join(_message(message) for message in detail)
    return str(detail)


def _require(principal: Principal, permission: str) -> None:
    if not principal.may(permission, principal.organizer):
        abort(403, _("The %(scope)s scope of your token does not allow this.", scope=principal.role))


@bp.post("/orders/<event>/<code>/paid")
@screen(SCREEN)
def orders_mark_paid(principal: Principal, event: str, code: str) -> Response | tuple[str, int]:
    """Take the payment at the counter: the order becomes paid, with a cash or card payment."""
    _require(principal, STATUS)
    provider = request.form.get("provider", "")
    if provider not in COUNTER_PAYMENTS:
        abort(400, _("Choose cash or card."))
    try:
        with get_store().transaction() as tx:
            scope = event_context(tx, principal, event)
            order = orders.mark_paid(tx, _order(tx, scope, code), now(), provider)
    except KioskError as error:
        return _refused(principal, event, code, error)
    flash(
        _(
            "Order %(code)s is paid %(how)s. Print its tickets now.",
            code=order["code"],
            how=_(COUNTER_PAYMENTS[provider]),
        )
    )
    return redirect(url_for("ui.orders_detail", event=event, code=order["code"]))


@bp.route("/orders/<event>/<code>/cancel", methods=["GET", "POST"])
@screen(SCREEN)
def orders_cancel(principal: Principal, event: str, code: str) -> Response | str | tuple[str, int]:
    """Say what canceling does; cancel only when that page's form is sent with `confirm`."""
    _require(principal, STATUS)
    if request.method == "POST" and request.form.get("confirm") == "yes":
        try:
            with get_store().transaction() as tx:
                scope = event_context(tx, principal, event)
                order = orders.mark_canceled(tx, _order(tx, scope, code), now())
        except KioskError as error:
            return _refused(principal, event, code, error)
        flash(
            _(
                "Order %(code)s is canceled: its tickets no longer work and its places are on sale again.",
                code=order["code"],
            )
        )
        return redirect(url_for("ui.orders_detail", event=event, code=order["code"]))
    with get_store().transaction() as tx:
        scope = event_context(tx, principal, event)
        page = _detail_page(tx, principal, scope, _order(tx, scope, code))
    if not page["may_cancel"]:
        flash(
            _(
                "Order %(code)s is %(status)s and cannot be canceled.",
                code=page["order"]["code"],
                status=_(page["status"]["key"]),
            )
        )
        return redirect(url_for("ui.orders_detail", event=event, code=page["order"]["code"]))
    return render_template("ui/orders_cancel.html", **page)


@bp.post("/orders/<event>/<code>/tickets.pdf")
@screen(SCREEN)
def orders_tickets(principal: Principal, event: str, code: str) -> Response | tuple[str, int]:
    """The order's tickets as the API's download gives them, shown in the browser to print."""
    _require(principal, TICKETS)
    try:
        with get_store().transaction() as tx:
            scope = event_context(tx, principal, event)
            order = _order(tx, scope, code)
            job = orders.ticket_print(tx, order)
    except KioskError as error:
        return _refused(principal, event, code, error)
    assert scope.event is not None
    return pdf_response(job.render(ticket_page_format(scope.event)), f"{event}-{order['code']}")


@bp.post("/orders/<event>/<code>/receipt.pdf")
@screen(SCREEN)
def orders_receipt(principal: Principal, event: str, code: str) -> Response | tuple[str, int]:
    """The order's receipt for an 80 mm printer."""
    with get_store().transaction() as tx:
        scope = event_context(tx, principal, event)
        order = _order(tx, scope, code)
        content = receipt_pdf(tx, order, principal) if order["status"] == OrderStatus.PAID else None
    if content is None:
        return _refused(principal, event, code, BadRequest(_("A receipt is printed for paid orders only.")))
    return pdf_response(content, f"{event}-{order['code']}-receipt")
