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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ..context import get_store, now, payment_term, reservation_time
from ..errors import KioskError, ValidationFailed
from ..isotime import parse_datetime
from ..services import carts, idempotency, orders, positions, quotas
from ..services import order_create as creation
from ..services.auth import Principal
from ..services.common import OrderStatus, i18n_text
from ..services.resources import EventContext
from ..store import Transaction
from . import bp
from .auth import screen
from .door import local_time
from .printing import PAYMENT_NAMES, pdf_response, receipt_pdf

PERMISSION = "orders.create"
CHANNEL = "box_office"
# How the till takes payment (the order records it as its payment provider).
TILL_PAYMENTS = ("cash", "card", "free")
_SESSION = "sell"
_LAST_SALE = "sell_last"
# The session is a cookie of at most 4 kB: a cart of more lines is sold in two sales.
MAX_LINES = 12
_MAX_TEXT = 200
# A form sent twice (a double tap without JS) is answered with the first sale, not a second one.
_REPLAY_KEEP = timedelta(hours=2)
CENT = Decimal("0.01")


# ---------------------------------------------------------------------------------------- the catalog on tiles


@dataclass
class Choice:
    """Something a tap adds: a product, or one variation of it."""

    key: str  # "item" or "item:variation", the value of the button
    label: str
    price: Decimal
    left: int | None  # None: no limit

    @property
    def sold_out(self) -> bool:
        return self.left is not None and self.left <= 0


@dataclass
class AddonOffer:
    """An add-on rule of a product: the category's products, how many to choose, and whether they cost extra."""

    category: str
    min_count: int
    max_count: int
    price_included: bool
    choices: list[Choice]


@dataclass
class Tile:
    item_id: int
    name: str
    choices: list[Choice]  # one without variations, else one per variation
    addons: list[AddonOffer] = field(default_factory=list)
    has_variations: bool = False

    @property
    def sold_out(self) -> bool:
        return all(choice.sold_out for choice in self.choices)

    @property
    def price_text(self) -> str:
        prices = sorted({choice.price for choice in self.choices})
        return money(prices[0]) if len(prices) == 1 else f"from {money(prices[0])}"

    @property
    def left_text(self) -> str:
        if self.sold_out:
            return "Sold out"
        known = [choice.left for choice in self.choices if not choice.sold_out]
        if any(left is None for left in known):
            return "Available"
        return f"{max(left for left in known if left is not None)} left"


def money(value: Decimal | str) -> str:
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)}"


def _left(tx: Transaction, event_id: int, item_id: int, variation_id: int | None, moment: datetime) -> int | None:
    """How many more a tap may hold: the smallest of the product's quotas (0 in no quota: not for sale)."""
    found = quotas.quotas_for(tx, event_id, item_id, variation_id)
    if not found:
        return 0
    numbers = [quotas.available_number(tx, quota, moment) for quota in found]
    limited = [number for number in numbers if number is not None]
    return min(limited) if limited else None


def _on_sale(item: Mapping[str, Any]) -> bool:
    return (
        bool(item.get("active", True))
        and (item.get("all_sales_channels", True) or CHANNEL in (item.get("limit_sales_channels") or []))
        and not item.get("hide_without_voucher")
    )


def _choices(tx: Transaction, item: Mapping[str, Any], moment: datetime, price: Decimal | None = None) -> list[Choice]:
    event_id = item["event"]
    if not item.get("has_variations"):
        listed = price if price is not None else positions.catalog_price(dict(item), None)
        return [Choice(str(item["id"]), i18n_text(item["name"]), listed, _left(tx, event_id, item["id"], None, moment))]
    found = []
    variations = sorted(tx.find("variations", item=item["id"]), key=lambda v: (v.get("position") or 0, v["id"]))
    for variation in variations:
        if not variation.get("active", True) or not (
            variation.get("all_sales_channels", True) or CHANNEL in (variation.get("limit_sales_channels") or [])
        ):
            continue
        listed = price if price is not None else positions.catalog_price(dict(item), variation)
        found.append(
            Choice(
                f"{item['id']}:{variation['id']}",
                i18n_text(variation["value"]),
                listed,
                _left(tx, event_id, item["id"], variation["id"], moment),
            )
        )
    return found


def _by_position(docs: list[dict]) -> list[dict]:
    return sorted(docs, key=lambda doc: (doc.get("position") or 0, doc["id"]))


def tiles(tx: Transaction, event: Mapping[str, Any], moment: datetime) -> list[Tile]:
    """The products a cashier may sell at the box office, in the catalog's order, add-on products aside."""
    addon_categories = {c["id"] for c in tx.find("categories", event=event["id"]) if c.get("is_addon")}
    categories = {c["id"]: c for c in tx.find("categories", event=event["id"])}
    items = [i for i in tx.find("items", event=event["id"]) if _on_sale(i)]
    # As the catalog orders them: by category, products of no category last, then by position.
    items.sort(
        key=lambda i: (
            i.get("category") not in categories,
            (categories.get(i.get("category")) or {}).get("position") or 0,
            i.get("position") or 0,
            i["id"],
        )
    )
    found = []
    for item in items:
        if item.get("category") in addon_categories:
            continue
        tile = Tile(
            item["id"],
            i18n_text(item["name"]),
            _choices(tx, item, moment),
            has_variations=bool(item.get("has_variations")),
        )
        for rule in _by_position(tx.find("addons", item=item["id"])):
            category = categories.get(rule["addon_category"]) or {}
            products = _by_position([i for i in items if i.get("category") == rule["addon_category"]])
            included = bool(rule.get("price_included"))
            offered = [
                choice
                for product in products
                for choice in _choices(tx, product, moment, Decimal(0) if included else None)
            ]
            for choice in offered:
                product = tx.get("items", int(choice.key.split(":")[0])) or {}
                if ":" in choice.key:
                    choice.label = f"{i18n_text(product.get('name'))} – {choice.label}"
                else:
                    choice.label = i18n_text(product.get("name"))
            if offered:
                tile.addons.append(
                    AddonOffer(
                        i18n_text(category.get("name")) or "Add-ons",
                        int(rule.get("min_count") or 0),
                        int(rule.get("max_count") or 1),
                        included,
                        offered,
                    )
                )
        if tile.choices:
            found.append(tile)
    return found


# ---------------------------------------------------------------------------------------- the cart in the session


def _cart(event: Mapping[str, Any]) -> dict:
    """This browser's cart for the event: its cart id, the lines added, and what was typed for them."""
    cart = session.get(_SESSION)
    if not isinstance(cart, dict) or cart.get("event") != event["id"]:
        cart = {"event": event["id"], "cart_id": carts.new_cart_id(), "lines": [], "drafts": {}, "given": ""}
    return cart


def _save(cart: dict) -> None:
    session[_SESSION] = cart
    session.modified = True


def _line_of(position: Mapping[str, Any]) -> dict:
    """What the session keeps of a cart position: enough to sell it even after its hold ran out."""
    return {
        "id": position["id"],
        "item": position["item"],
        "variation": position["variation"],
        "price": position["price"],
    }


def _parse_key(key: str) -> tuple[int, int | None]:
    match = re.fullmatch(r"(\d{1,12})(?::(\d{1,12}))?", key or "")
    if match is None:
        abort(400, "The form named no product.")
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def _name(tx: Transaction, item_id: int, variation_id: int | None) -> str:
    item = tx.get("items", item_id) or {"name": {"en": f"Product {item_id}"}}
    variation = tx.get("variations", variation_id) if variation_id else None
    return positions.product_name(dict(item), variation)


def _refusal(failure: KioskError) -> str:
    """A refusal of the services as one sentence."""
    detail = failure.detail if isinstance(failure, ValidationFailed) else [str(failure)]
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(detail)
    return " ".join(dict.fromkeys(texts)) or "The sale was refused."


def _shortage(text: str) -> bool:
    return "not enough quota" in text or "not assigned to a quota" in text


# ---------------------------------------------------------------------------------------- what the page shows


@dataclass
class Question:
    id: int
    text: str
    type: str
    options: list[tuple[int, str]]


@dataclass
class Person:
    """One position of a line that asks something: its name field and the required questions of its product."""

    id: int
    product: str
    ask_name: bool
    name: str
    questions: list[Question]
    answers: dict[str, Any]


@dataclass
class Line:
    id: int
    product: str
    price: Decimal
    addons: list[tuple[str, Decimal]]
    held: bool
    people: list[Person]

    @property
    def total(self) -> Decimal:
        return self.price + sum((price for _, price in self.addons), Decimal(0))


def _questions(tx: Transaction, event_id: int, item_id: int) -> list[Question]:
    found = [q for q in tx.find("questions", event=event_id) if item_id in q["items"] and q.get("required")]
    result = []
    for question in _by_position(found):
        options = _by_position(tx.find("question_options", question=question["id"]))
        result.append(
            Question(
                question["id"],
                i18n_text(question["question"]),
                question["type"],
                [(o["id"], i18n_text(o["answer"])) for o in options],
            )
        )
    return result


def _person(tx: Transaction, cart: dict, event_id: int, position: Mapping[str, Any]) -> Person | None:
    item = tx.get("items", position["item"]) or {}
    questions = _questions(tx, event_id, position["item"])
    ask_name = bool(item.get("personalized", item.get("admission")))
    if not ask_name and not questions:
        return None
    draft = cart["drafts"].get(str(position["id"]), {})
    return Person(
        position["id"],
        _name(tx, position["item"], position["variation"]),
        ask_name,
        draft.get("name", ""),
        questions,
        draft,
    )


def cart_lines(tx: Transaction, cart: dict, moment: datetime) -> tuple[list[Line], datetime | None]:
    """The lines with whether their hold still stands, and when the first hold runs out."""
    held: dict[int, datetime] = {}
    for position in tx.find("cartpositions", event=cart["event"], cart_id=cart["cart_id"]):
        expires = parse_datetime(position["expires"])
        if expires > moment:
            held[position["id"]] = expires
    lines = []
    for line in cart["lines"]:
        people = [_person(tx, cart, cart["event"], p) for p in [line, *line["addons"]]]
        lines.append(
            Line(
                line["id"],
                _name(tx, line["item"], line["variation"]),
                Decimal(line["price"]),
                [(_name(tx, a["item"], a["variation"]), Decimal(a["price"])) for a in line["addons"]],
                line["id"] in held,
                [person for person in people if person is not None],
            )
        )
    return lines, min(held.values()) if held else None


def _tax_included(tx: Transaction, event_id: int, cart: dict) -> list[tuple[str, Decimal]]:
    """The tax the total includes, per rate, as the order will reckon it."""
    taxes: dict[str, Decimal] = {}
    for line in cart["lines"]:
        for entry in [line, *line["addons"]]:
            item = tx.get("items", entry["item"]) or {}
            fields = orders.tax_fields(tx, event_id, item.get("tax_rule"), Decimal(entry["price"]))
            if Decimal(fields["tax_rate"]):
                rate = fields["tax_rate"]
                taxes[rate] = taxes.get(rate, Decimal(0)) + Decimal(fields["tax_value"])
    return sorted(taxes.items())


def parse_amount(text: str) -> Decimal | None:
    cleaned = (text or "").strip().replace(",", ".")
    if not cleaned or len(cleaned) > 12:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount.quantize(CENT) if amount.is_finite() and amount >= 0 else None


# ---------------------------------------------------------------------------------------- routes


def _events(tx: Transaction, organizer: str) -> list[dict]:
    return sorted(tx.find("events", organizer=organizer), key=lambda e: (e["date_from"] or "", e["id"]))


def _event(tx: Transaction, principal: Principal, slug: str) -> tuple[dict, EventContext]:
    event = tx.find_one("events", organizer=principal.organizer, slug=slug)
    organizer = tx.find_one("organizers", slug=principal.organizer)
    if event is None or organizer is None:
        abort(404, "There is no such event.")
    return event, EventContext(organizer, event)


@bp.get("/sell/")
@screen(PERMISSION)
def sell(principal: Principal) -> Response | str:
    """Choose the event to sell for; with one event only, go straight to it."""
    with get_store().transaction() as tx:
        events = _events(tx, principal.organizer)
    if len(events) == 1:
        return redirect(url_for("ui.sell_event", event=events[0]["slug"]))
    return render_template(
        "ui/sell_choose.html",
        events=[
            (e["slug"], i18n_text(e["name"]), local_time(e["date_from"], e) if e.get("date_from") else "")
            for e in events
        ],
    )


@bp.get("/sell/<event>/")
@screen(PERMISSION)
def sell_event(principal: Principal, event: str) -> str:
    moment = now()
    with get_store().transaction() as tx:
        event_doc, _ = _event(tx, principal, event)
        cart = _cart(event_doc)
        shown_tiles = tiles(tx, event_doc, moment)
        lines, expires = cart_lines(tx, cart, moment)
        taxes = _tax_included(tx, event_doc["id"], cart)
        several = len(_events(tx, principal.organizer)) > 1
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
        flash(f"A sale holds at most {MAX_LINES} lines: take the payment for these first.", "error")
        return
    addons = [_parse_key(key) for key in request.form.getlist(f"addon-{item_id}")]
    problem = _addon_counts(tx, item_id, addons)
    if problem:
        flash(f"{name}: {problem}", "error")
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
            flash(f"Sold out: {name}. Nothing was added.", "error")
        else:
            flash(f"{name} was not added: {text}", "error")
        return
    cart["lines"].append({**_line_of(position), "addons": [_line_of(child) for child in position["addons"]]})


def _addon_counts(tx: Transaction, item_id: int, chosen: list[tuple[int, int | None]]) -> str | None:
    """Whether the chosen add-ons fit the product's rules: how many of each category, at least and at most."""
    for rule in tx.find("addons", item=item_id):
        count = sum(
            1 for addon, _ in chosen if (tx.get("items", addon) or {}).get("category") == rule["addon_category"]
        )
        category = i18n_text((tx.get("categories", rule["addon_category"]) or {}).get("name")) or "add-ons"
        if count < int(rule.get("min_count") or 0):
            return f"choose at least {rule['min_count']} of {category}."
        if count > int(rule.get("max_count") or 1):
            return f"choose at most {rule['max_count']} of {category}."
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
        abort(400, "Choose cash, card or free.")
    if not cart["lines"]:
        flash("The cart is empty: tap a product first.", "error")
        return None
    entries, missing = _order_positions(tx, cart)
    if missing:
        flash("Answer the required questions first: " + "; ".join(missing) + ".", "error")
        return None
    total = sum((Decimal(entry["price"]) for entry in entries), Decimal(0))
    given: Decimal | None = None
    if method == "free" and total != 0:
        flash(f"This sale costs {money(total)}: take cash or card.", "error")
        return None
    if method != "free" and total == 0:
        method = "free"
    if method == "cash":
        given = parse_amount(cart.get("given", "")) if cart.get("given") else total
        if given is None:
            flash("The amount given is not a number: type it as 50 or 50.00.", "error")
            return None
        if given < total:
            flash(f"Not enough: {money(given)} given for {money(total)}; {money(total - given)} missing.", "error")
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
            return (
                f"Sold out meanwhile: {names}. Another till sold the last ones while this cart's hold had run out. "
                "Nothing was sold and no money is due: remove it and take payment for the rest."
            )
        if other:
            return "Nothing was sold: " + "; ".join(other)
    if isinstance(failure, positions.OverrideRefused):
        return (
            "Nothing was sold: a price in the catalog changed since the products were added. Remove and add them again."
        )
    return f"Nothing was sold: {_refusal(failure)}"


# ---------------------------------------------------------------------------------------- after the sale


def _sold_order(tx: Transaction, principal: Principal, event: str, code: str) -> tuple[dict, dict]:
    """A paid order this token sold at this event; 404 for anything else (the orders screen shows the rest)."""
    event_doc, scope = _event(tx, principal, event)
    order = tx.find_one("orders", event=event_doc["id"], code=code.upper())
    if order is None or order.get("sold_by") != principal.id:
        abort(404, "This till sold no order with that code.")
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
        payment=PAYMENT_NAMES.get(provider or "", provider or ""),
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
    return pdf_response(job.render(current_app.config["TICKET_PAGE_FORMAT"]), f"{event_doc['slug']}-{order['code']}")


@bp.get("/sell/<event>/sold/<code>/receipt.pdf")
@screen(PERMISSION)
def sell_receipt(principal: Principal, event: str, code: str) -> Response:
    """The 80 mm receipt, with the cash given and the change when this browser took them."""
    with get_store().transaction() as tx:
        event_doc, order = _sold_order(tx, principal, event, code)
        last = _last_sale(order["code"])
        content = receipt_pdf(tx, order, principal, last.get("given"), last.get("change"))
    return pdf_response(content, f"{event_doc['slug']}-{order['code']}-receipt")
