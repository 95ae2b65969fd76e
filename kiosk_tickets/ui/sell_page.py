"""What the sell screen shows: the catalog as tiles with what is left, the cart the browser keeps in its
session (the lines it holds and what was typed for them), and the lines with names, questions and tax."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import abort, session
from flask_babel import gettext as _
from flask_babel import ngettext

from ..errors import KioskError, ValidationFailed
from ..isotime import parse_datetime
from ..services import carts, orders, positions, quotas
from ..services.common import i18n_text
from ..store import Transaction

CHANNEL = "box_office"
_SESSION = "sell"
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
        return money(prices[0]) if len(prices) == 1 else _("from %(price)s", price=money(prices[0]))

    @property
    def left_text(self) -> str:
        if self.sold_out:
            return _("Sold out")
        known = [choice.left for choice in self.choices if not choice.sold_out]
        if any(left is None for left in known):
            return _("Available")
        most = max(left for left in known if left is not None)
        return ngettext("%(count)s left", "%(count)s left", most, count=most)


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
                        i18n_text(category.get("name")) or _("Add-ons"),
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
        abort(400, _("The form named no product."))
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def _name(tx: Transaction, item_id: int, variation_id: int | None) -> str:
    item = tx.get("items", item_id) or {"name": {"en": _("Product %(id)s", id=item_id)}}
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
    return " ".join(dict.fromkeys(texts)) or _("The sale was refused.")


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
