"""The box office: product tiles, a cart that holds its quota from the first tap, and payment in one step.

Each tap on a tile is one `services.carts.create` with the browser's own cart id (in the session) and the
`box_office` sales channel, so the unit is held while the customer decides. Paying is one
`services.order_create.create` in one store transaction: it consumes the cart, checks quota again and writes
the paid order, or leaves everything as it was. The page is one plain form (each button says what it does), so
the screen works without JS; `sell.js` sends the same form with fetch and adds a countdown and live change.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..context import get_store, now, payment_term, reservation_time, ticket_page_format
from ..errors import KioskError, ValidationFailed
from ..services import carts, idempotency, orders, positions
from ..services import order_create as creation
from ..services.auth import Principal
from ..services.common import OrderStatus, i18n_text
from ..services.resources import EventContext
from ..store import Transaction
from . import bp
from .auth import screen
from .door import local_time
from .events import choose_event, event_context, events_of
from .printing import PAYMENT_NAMES, pdf_response, receipt_pdf
from .sell_page import (
    CHANNEL,
    Question,
    _cart,
    _line_of,
    _name,
    _parse_key,
    _questions,
    _refusal,
    _save,
    _shortage,
    _tax_included,
    cart_lines,
    money,
    parse_amount,
    tiles,
)

PERMISSION = "orders.create"
# How the till takes payment (the order records it as its payment provider).
TILL_PAYMENTS = ("cash", "card", "free")
_LAST_SALE = "sell_last"
# The session is a cookie of at most 4 kB: a cart of more lines is sold in two sales.
MAX_LINES = 12
_MAX_TEXT = 200
# A form sent twice (a double tap without JS) is answered with the first sale, not a second one.
_REPLAY_KEEP = timedelta(hours=2)


# ---------------------------------------------------------------------------------------- routes


def _event(tx: Transaction, principal: Principal, slug: str) -> tuple[dict, EventContext]:
    target = event_context(tx, principal, slug)
    assert target.event is not None
    return dict(target.event), target


@bp.get("/sell/")
@screen(PERMISSION)
def sell(principal: Principal) -> Response | str:
    """Choose the event to sell for; with one event only, go straight to it."""
    return choose_event(
        principal,
        "ui.sell_event",
        "ui/sell_choose.html",
        lambda event: local_time(event["date_from"], event) if event.get("date_from") else "",
    )


@bp.get("/sell/<event>/")
@screen(PERMISSION)
def sell_event(principal: Principal, event: str) -> str:
    moment = now()
    with get_store().transaction() as tx:
        event_doc, _scope = _event(tx, principal, event)
        cart = _cart(event_doc)
        shown_tiles = tiles(tx, event_doc, moment)
        lines, expires = cart_lines(tx, cart, moment)
        taxes = _tax_included(tx, event_doc["id"], cart)
        several = len(events_of(tx, principal.organizer)) > 1
    _save(cart)
    total = sum((line.total for line in lines), Decimal(0))
    given = parse_amount(cart.get("given", ""))
    return render_template(
        "ui/sell.html",
        event=event_doc,
        event_name=i18n_text(event_doc["name"]),
        currency=event_doc["currency"],
        tiles=shown_tiles,
        lines=lines,
        expires=expires,
        now=moment,
        total=total,
        taxes=taxes,
        given=cart.get("given", ""),
        change=given - total if given is not None and given >= total else None,
        several_events=several,
        money=money,
        max_lines=MAX_LINES,
    )


def _keep_drafts(cart: dict) -> None:
    """Keep what was typed for each position of the cart, so that no tap loses a name."""
    ids = {str(entry["id"]) for line in cart["lines"] for entry in [line, *line["addons"]]}
    drafts: dict[str, dict] = {key: value for key, value in cart["drafts"].items() if key in ids}
    for key, value in request.form.items(multi=True):
        match = re.fullmatch(r"(name|q)-(\d+)(?:-(\d+))?", key)
        if match is None or match.group(2) not in ids:
            continue
        draft = drafts.setdefault(match.group(2), {})
        if match.group(1) == "name":
            draft["name"] = value.strip()[:_MAX_TEXT]
        elif match.group(3):
            question = match.group(3)
            if question in draft and isinstance(draft[question], list):
                draft[question].append(value[:_MAX_TEXT])
            else:
                draft[question] = [value[:_MAX_TEXT]]
    cart["drafts"] = drafts
    if "given" in request.form:
        cart["given"] = request.form["given"].strip()[:12]


@bp.post("/sell/<event>/")
@screen(PERMISSION)
def sell_post(principal: Principal, event: str) -> Response:
    """One form, several buttons: add a product, remove a line, pay, or (Enter) keep what was typed."""
    moment = now()
    back = redirect(url_for("ui.sell_event", event=event), code=303)
    with get_store().transaction() as tx:
        event_doc, scope = _event(tx, principal, event)
        cart = _cart(event_doc)
        _keep_drafts(cart)
        if request.form.get("add"):
            _add(tx, scope, cart, moment)
        elif request.form.get("remove"):
            _remove(tx, scope, cart, request.form["remove"])
        elif request.form.get("pay"):
            sold = _pay(tx, principal, scope, cart, request.form["pay"], moment)
            if sold is not None:
                _save(cart)
                return redirect(url_for("ui.sell_done", event=event, code=sold), code=303)
    _save(cart)
    return back


def _add(tx: Transaction, scope: EventContext, cart: dict, moment: datetime) -> None:
    item_id, variation_id = _parse_key(request.form["add"])
    name = _name(tx, item_id, variation_id)
    if len(cart["lines"]) >= MAX_LINES:
        flash(_("A sale holds at most %(count)s lines: take the payment for these first.", count=MAX_LINES), "error")
        return
    addons = [_parse_key(key) for key in request.form.getlist(f"addon-{item_id}")]
    problem = _addon_counts(tx, item_id, addons)
    if problem:
        flash(_("%(product)s: %(problem)s", product=name, problem=problem), "error")
        return
    data = {
        "item": item_id,
        "variation": variation_id,
        "cart_id": cart["cart_id"],
        "sales_channel": CHANNEL,
        "addons": [{"item": addon, "variation": variation} for addon, variation in addons],
    }
    try:
        with tx.savepoint():
            position = carts.create(tx, scope, data, moment, reservation_time(scope.event or {}), may_override=False)
    except KioskError as failure:
        text = _refusal(failure)
        if _shortage(text):
            flash(_("Sold out: %(product)s. Nothing was added.", product=name), "error")
        else:
            flash(_("%(product)s was not added: %(reason)s", product=name, reason=text), "error")
        return
    cart["lines"].append({**_line_of(position), "addons": [_line_of(child) for child in position["addons"]]})


def _addon_counts(tx: Transaction, item_id: int, chosen: list[tuple[int, int | None]]) -> str | None:
    """Whether the chosen add-ons fit the product's rules: how many of each category, at least and at most."""
    for rule in tx.find("addons", item=item_id):
        count = sum(
            1 for addon, _v in chosen if (tx.get("items", addon) or {}).get("category") == rule["addon_category"]
        )
        category = i18n_text((tx.get("categories", rule["addon_category"]) or {}).get("name")) or _("add-ons")
        if count < int(rule.get("min_count") or 0):
            return _("choose at least %(count)s of %(category)s.", count=rule["min_count"], category=category)
        if count > int(rule.get("max_count") or 1):
            return _("choose at most %(count)s of %(category)s.", count=rule["max_count"], category=category)
    return None


def _remove(tx: Transaction, scope: EventContext, cart: dict, line_id: str) -> None:
    """Drop the line and free its units (they may already be free if its hold ran out)."""
    kept = [line for line in cart["lines"] if str(line["id"]) != line_id]
    if len(kept) == len(cart["lines"]):
        return
    position = tx.get("cartpositions", int(line_id)) if line_id.isdigit() else None
    if position is not None and position["cart_id"] == cart["cart_id"]:
        carts.delete(tx, scope, position)
    cart["lines"] = kept


def _answers(person_draft: dict, questions: list[Question]) -> tuple[list[dict], list[str]]:
    """The answers typed for a position as the order takes them, and the required ones left out."""
    answers, missing = [], []
    for question in questions:
        values = [v.strip() for v in person_draft.get(str(question.id), []) if v.strip()]
        if question.type == "B":
            values = ["True"] if values else []
        if not values:
            missing.append(question.text)
        elif question.type in ("C", "M"):
            answers.append({"question": question.id, "options": [int(v) for v in values if v.isdigit()]})
        else:
            answers.append({"question": question.id, "answer": values[0]})
    return answers, missing


def _order_positions(tx: Transaction, cart: dict) -> tuple[list[dict], list[str]]:
    """The order's positions (each line, then its add-ons), with names and answers; and what is missing."""
    entries: list[dict] = []
    missing: list[str] = []
    for line in cart["lines"]:
        parent = len(entries) + 1
        for entry in [line, *line["addons"]]:
            draft = cart["drafts"].get(str(entry["id"]), {})
            answers, left_out = _answers(draft, _questions(tx, cart["event"], entry["item"]))
            product = _name(tx, entry["item"], entry["variation"])
            missing.extend(f"{question} ({product})" for question in left_out)
            position: dict[str, Any] = {
                "positionid": len(entries) + 1,
                "item": entry["item"],
                "variation": entry["variation"],
                "price": entry["price"],
                "answers": answers,
            }
            if draft.get("name"):
                position["attendee_name"] = draft["name"]
            if entry is not line:
                position["addon_to"] = parent
            entries.append(position)
    return entries, missing


def _pay(
    tx: Transaction, principal: Principal, scope: EventContext, cart: dict, method: str, moment: datetime
) -> str | None:
    """Turn the cart into a paid order; return its code, or None with the reason flashed."""
    identity = f"sell:{principal.id}"
    done = idempotency.recall(tx, identity, cart["cart_id"], moment, _REPLAY_KEEP)
    if done is not None:
        sale = json.loads(done["body"])
        session[_LAST_SALE] = sale
        _forget(cart)
        return str(sale["code"])
    if method not in TILL_PAYMENTS:
        abort(400, _("Choose cash, card or free."))
    if not cart["lines"]:
        flash(_("The cart is empty: tap a product first."), "error")
        return None
    entries, missing = _order_positions(tx, cart)
    if missing:
        flash(_("Answer the required questions first: %(questions)s.", questions="; ".join(missing)), "error")
        return None
    total = sum((Decimal(entry["price"]) for entry in entries), Decimal(0))
    given: Decimal | None = None
    if method == "free" and total != 0:
        flash(_("This sale costs %(total)s: take cash or card.", total=money(total)), "error")
        return None
    if method != "free" and total == 0:
        method = "free"
    if method == "cash":
        given = parse_amount(cart.get("given", "")) if cart.get("given") else total
        if given is None:
            flash(_("The amount given is not a number: type it as 50 or 50.00."), "error")
            return None
        if given < total:
            flash(
                _(
                    "Not enough: %(given)s given for %(total)s; %(missing)s missing.",
                    given=money(given),
                    total=money(total),
                    missing=money(total - given),
                ),
                "error",
            )
            return None
    event = scope.event or {}
    data = {
        "positions": entries,
        "consume_carts": [cart["cart_id"]],
        "sales_channel": CHANNEL,
        "payment_provider": method,
        "status": OrderStatus.PAID,
        "locale": "en",
    }
    settings = creation.OrderSettings(payment_term=payment_term(event), may_override=False, sold_by=principal.id)
    try:
        with tx.savepoint():
            order = creation.create(tx, scope, data, moment, settings)
    except KioskError as failure:
        flash(_sale_refused(tx, cart, entries, failure), "error")
        return None
    change = given - total if given is not None else None
    sale = {
        "code": order["code"],
        "payment": method,
        "given": money(given) if given is not None else None,
        "change": money(change) if change is not None else None,
    }
    idempotency.remember(
        tx,
        identity,
        cart["cart_id"],
        {"status": 303, "body": json.dumps(sale), "mimetype": "application/json", "headers": {}},
        moment,
        _REPLAY_KEEP,
    )
    session[_LAST_SALE] = sale
    _forget(cart)
    return str(order["code"])


def _forget(cart: dict) -> None:
    """Start the next sale with an empty cart of its own."""
    cart.update(cart_id=carts.new_cart_id(), lines=[], drafts={}, given="")


def _sale_refused(tx: Transaction, cart: dict, entries: list[dict], failure: KioskError) -> str:
    """Why nothing was sold, naming the products the services refused."""
    detail = failure.detail if isinstance(failure, ValidationFailed) else None
    per_position = detail.get("positions") if isinstance(detail, dict) else None
    if isinstance(per_position, list):
        short: list[str] = []
        other: list[str] = []
        for entry, error in zip(entries, per_position, strict=False):
            if not error:
                continue
            name = _name(tx, entry["item"], entry["variation"])
            text = _refusal(ValidationFailed(error))
            (short if _shortage(text) else other).append(name if _shortage(text) else f"{name}: {text}")
        if short:
            names = ", ".join(dict.fromkeys(short))
            return _(
                "Sold out meanwhile: %(products)s. Another till sold the last ones while this cart's hold had run "
                "out. Nothing was sold and no money is due: remove it and take payment for the rest.",
                products=names,
            )
        if other:
            return _("Nothing was sold: %(reasons)s", reasons="; ".join(other))
    if isinstance(failure, positions.OverrideRefused):
        return _(
            "Nothing was sold: a price in the catalog changed since the products were added. Remove and add them again."
        )
    return _("Nothing was sold: %(reasons)s", reasons=_refusal(failure))


# ---------------------------------------------------------------------------------------- after the sale


def _sold_order(tx: Transaction, principal: Principal, event: str, code: str) -> tuple[dict, dict]:
    """A paid order this token sold at this event; 404 for anything else (the orders screen shows the rest)."""
    event_doc, scope = _event(tx, principal, event)
    order = tx.find_one("orders", event=event_doc["id"], code=code.upper())
    if order is None or order.get("sold_by") != principal.id:
        abort(404, _("This till sold no order with that code."))
    return event_doc, order


def _last_sale(code: str) -> dict:
    last = session.get(_LAST_SALE)
    return last if isinstance(last, dict) and last.get("code") == code else {}


@bp.get("/sell/<event>/sold/<code>/")
@screen(PERMISSION)
def sell_done(principal: Principal, event: str, code: str) -> str:
    with get_store().transaction() as tx:
        event_doc, order = _sold_order(tx, principal, event, code)
        details = orders.order_details(tx, order)
        names = [
            (
                positions.product_name(
                    dict(tx.get("items", p.position["item"]) or {}),
                    tx.get("variations", p.position["variation"]) if p.position["variation"] else None,
                ),
                positions.full_name(p.position.get("attendee_name_parts")),
                bool(p.position.get("addon_to")),
            )
            for p in details.positions
        ]
    last = _last_sale(order["code"])
    payments = [p for p in order["payments"] if p["state"] == "confirmed"]
    provider = payments[-1]["provider"] if payments else last.get("payment")
    return render_template(
        "ui/sell_done.html",
        event=event_doc,
        order=order,
        currency=event_doc["currency"],
        payment=_(PAYMENT_NAMES[provider]) if provider in PAYMENT_NAMES else provider or "",
        given=last.get("given"),
        change=last.get("change"),
        positions=names,
    )


@bp.get("/sell/<event>/sold/<code>/tickets.pdf")
@screen(PERMISSION)
def sell_tickets(principal: Principal, event: str, code: str) -> Response:
    """The order's tickets, the same the API's download gives, to print from the browser."""
    with get_store().transaction() as tx:
        event_doc, order = _sold_order(tx, principal, event, code)
        try:
            job = orders.ticket_print(tx, order)
        except KioskError as refused:
            abort(403, str(refused))
    return pdf_response(job.render(ticket_page_format(event_doc)), f"{event_doc['slug']}-{order['code']}")


@bp.get("/sell/<event>/sold/<code>/receipt.pdf")
@screen(PERMISSION)
def sell_receipt(principal: Principal, event: str, code: str) -> Response:
    """The 80 mm receipt, with the cash given and the change when this browser took them."""
    with get_store().transaction() as tx:
        event_doc, order = _sold_order(tx, principal, event, code)
        last = _last_sale(order["code"])
        content = receipt_pdf(tx, order, principal, last.get("given"), last.get("change"))
    return pdf_response(content, f"{event_doc['slug']}-{order['code']}-receipt")
