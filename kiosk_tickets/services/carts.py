"""Cart positions created through the API: validation, vouchers, nested add-ons and bundles, quota reservation."""

from __future__ import annotations

import secrets
import string
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..errors import NotFound, ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Transaction
from . import quotas
from .answers import check_answers
from .catalog import Scope, invalid_pk, voucher_code_key

API_SUFFIX = "@api"
_CART_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Position:
    """One checked position of a request, ready to be written."""

    fields: dict[str, Any]
    quota_ids: tuple[int, ...]
    voucher: dict | None


# ---------------------------------------------------------------------------------------- prices and names


def catalog_price(tx: Transaction, item: dict, variation: dict | None) -> Decimal:
    """The price the catalog sets: the variation's own price, else the item's."""
    if variation is not None and variation.get("default_price") is not None:
        return Decimal(variation["default_price"])
    return Decimal(item["default_price"])


def voucher_price(voucher: dict, price: Decimal) -> Decimal:
    """Apply a voucher's price mode to a catalog price."""
    value = Decimal(voucher.get("value") or "0")
    mode = voucher.get("price_mode", "none")
    if mode == "set":
        price = value
    elif mode == "subtract":
        price = price - value
    elif mode == "percent":
        price = price * (Decimal(100) - value) / Decimal(100)
    return max(Decimal(0), price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def name_parts(data: dict) -> dict[str, str]:
    """The stored name parts: given parts, or a plain name kept as pretix keeps legacy names."""
    if data.get("attendee_name"):
        return {"_legacy": data["attendee_name"]}
    return dict(data.get("attendee_name_parts") or {})


# How pretix's name schemes put parts together; a salutation is not part of the name itself.
_NAME_ORDER = ("title", "given_name", "middle_name", "family_name")
_NOT_SHOWN = ("salutation",)


def full_name(parts: dict[str, str]) -> str | None:
    """The name as one string (title, given, middle, family, then any other parts); None without a name."""
    if parts.get("_legacy"):
        return parts["_legacy"]
    if parts.get("full_name"):
        return parts["full_name"]
    others = sorted(key for key in parts if key not in _NAME_ORDER and key not in _NOT_SHOWN and not key.startswith("_"))
    words = [parts[key] for key in (*_NAME_ORDER, *others) if parts.get(key)]
    return " ".join(words) or None


# ---------------------------------------------------------------------------------------- vouchers


def find_voucher(tx: Transaction, event_id: int, code: str, now: datetime) -> dict:
    """Return the usable voucher with this code (any case); raise ValidationFailed naming `voucher`."""
    voucher = tx.find_one("vouchers", event=event_id, code_key=voucher_code_key(code))
    if voucher is None:
        raise ValidationFailed.field("voucher", f'The voucher code "{code}" is not known.')
    if voucher.get("valid_until") and parse_datetime(voucher["valid_until"]) < now:
        raise ValidationFailed.field("voucher", "This voucher has expired.")
    return voucher


def _voucher_applies(tx: Transaction, voucher: dict, item_id: int, variation_id: int | None, event_id: int) -> bool:
    if voucher.get("quota") is not None:
        return any(quota["id"] == voucher["quota"] for quota in quotas.quotas_for(tx, event_id, item_id, variation_id))
    if voucher.get("item") is not None:
        return voucher["item"] == item_id and voucher.get("variation") in (None, variation_id)
    return True


def _check_voucher_usage(tx: Transaction, positions: list[Position], now: datetime) -> None:
    """Every voucher may be used no more often than its max_usages, counting live carts and this request."""
    wanted = Counter(position.voucher["id"] for position in positions if position.voucher is not None)
    book = quotas.ledger(tx)
    for voucher_id, count in wanted.items():
        voucher = tx.get("vouchers", voucher_id)
        in_carts = book.live_voucher_carts(voucher_id, now.timestamp())
        if voucher.get("redeemed", 0) + in_carts + count > voucher["max_usages"]:
            raise ValidationFailed.field("voucher", "This voucher has already been used the maximum number of times.")


# ---------------------------------------------------------------------------------------- checking one position


def _check_position(
    tx: Transaction,
    scope: Scope,
    data: dict,
    now: datetime,
    sales_channel: str,
    parent_item: dict | None = None,
    bundled: bool = False,
) -> Position:
    """Check one position (top level, add-on or bundled); return what to write. Raises ValidationFailed."""
    event_id = scope.event["id"]
    item = tx.get("items", data["item"])
    if item is None or item["event"] != event_id:
        raise ValidationFailed.field("item", invalid_pk(data["item"]))
    variation = None
    if data.get("variation") is not None:
        variation = tx.get("variations", data["variation"])
        if variation is None or variation["item"] != item["id"]:
            raise ValidationFailed.field("variation", "The specified variation does not belong to the specified item.")
    elif item.get("has_variations"):
        raise ValidationFailed.field("variation", "You should specify a variation for this item.")
    if data.get("seat") is not None:
        raise ValidationFailed.field("seat", "The specified seat does not exist: this event has no seating plan.")
    if data.get("subevent") is not None:
        raise ValidationFailed.field("subevent", "You can not specify a subevent if your event is not an event series.")
    if data.get("attendee_name") and data.get("attendee_name_parts"):
        raise ValidationFailed.non_field("Specify attendee_name or attendee_name_parts, not both.")
    for product in (item, variation):
        if product is not None and not product["all_sales_channels"] and sales_channel not in product["limit_sales_channels"]:
            raise ValidationFailed.field("item", f'This product is not available on the sales channel "{sales_channel}".')
    if parent_item is not None:
        _check_nested(tx, parent_item, item, variation, bundled)
    voucher = None
    if data.get("voucher"):
        voucher = find_voucher(tx, event_id, data["voucher"], now)
        if not _voucher_applies(tx, voucher, item["id"], variation["id"] if variation else None, event_id):
            raise ValidationFailed.field("voucher", "This voucher is not valid for this product.")
    price = data.get("price")
    if price is None:
        if bundled:
            price = _designated_price(tx, parent_item, item, variation)
        else:
            listed = catalog_price(tx, item, variation)
            price = str(voucher_price(voucher, listed) if voucher else listed)
    answers = check_answers(tx, event_id, item["id"], data.get("answers") or [])
    variation_id = variation["id"] if variation else None
    holds_own_unit = voucher is not None and (voucher.get("block_quota") or voucher.get("allow_ignore_quota"))
    needed: tuple[int, ...] = ()
    if not holds_own_unit:
        needed = tuple(quota["id"] for quota in quotas.quotas_for(tx, event_id, item["id"], variation_id))
        if not needed:
            raise ValidationFailed(f'The product "{_name(item)}" is not assigned to a quota.')
    parts = name_parts(data)
    return Position(
        fields={
            "event": event_id,
            "item": item["id"],
            "variation": variation_id,
            "price": price,
            "attendee_name_parts": parts,
            "attendee_email": data.get("attendee_email"),
            "voucher": voucher["id"] if voucher else None,
            "addon_to": None,
            "is_bundled": bundled,
            "subevent": None,
            "seat": None,
            "answers": answers,
            "includes_tax": True,
            "sales_channel": sales_channel,
        },
        quota_ids=needed,
        voucher=voucher,
    )


def _name(item: dict) -> str:
    name = item["name"]
    return name.get("en") or next(iter(name.values()), "") if isinstance(name, dict) else str(name)


def _check_nested(tx: Transaction, parent: dict, item: dict, variation: dict | None, bundled: bool) -> None:
    if bundled:
        configured = tx.find("bundles", item=parent["id"], bundled_item=item["id"])
        if not any(b["bundled_variation"] in (None, variation["id"] if variation else None) for b in configured):
            raise ValidationFailed.field("item", "This product is not part of a bundle of the main product.")
    else:
        categories = {addon["addon_category"] for addon in tx.find("addons", item=parent["id"])}
        if item.get("category") not in categories:
            raise ValidationFailed.field("item", "This product is not available as an add-on to the main product.")


def _designated_price(tx: Transaction, parent: dict, item: dict, variation: dict | None) -> str:
    for bundle in tx.find("bundles", item=parent["id"], bundled_item=item["id"]):
        if bundle["bundled_variation"] in (None, variation["id"] if variation else None):
            return bundle["designated_price"]
    return "0.00"


def _check_nested_list(
    tx: Transaction, scope: Scope, entries: list[dict], now: datetime, channel: str, parent: dict, bundled: bool
) -> list[Position]:
    checked, errors = [], []
    for entry in entries:
        try:
            checked.append(_check_position(tx, scope, entry, now, channel, parent, bundled))
            errors.append({})
        except ValidationFailed as failure:
            errors.append(failure.detail if isinstance(failure.detail, dict) else {"non_field_errors": failure.detail})
    if any(errors):
        raise ValidationFailed({"bundled" if bundled else "addons": errors})
    return checked


# ---------------------------------------------------------------------------------------- the operations


def purge_expired(tx: Transaction, event_id: int, now: datetime) -> None:
    """Delete the event's cart positions whose reservation has run out (they stopped counting already)."""
    for doc_id in quotas.ledger(tx).expired_carts(event_id, now.timestamp()):
        tx.delete("cartpositions", doc_id)


def new_cart_id() -> str:
    return "".join(secrets.choice(_CART_ID_ALPHABET) for _ in range(48)) + API_SUFFIX


def create(tx: Transaction, scope: Scope, data: dict, now: datetime, reservation: timedelta) -> dict:
    """Reserve quota for one position and its nested add-ons and bundled positions, all or nothing.

    Returns the stored position with `addons` and `bundled` lists. Raises ValidationFailed: a dict naming
    fields for bad input, or a list holding the message when quota or a catalog rule refuses.
    """
    purge_expired(tx, scope.event["id"], now)
    cart_id = data.get("cart_id") or new_cart_id()
    if not cart_id.endswith(API_SUFFIX):
        raise ValidationFailed.field("cart_id", f'Cart ID should end in "{API_SUFFIX}" or be empty.')
    channel = data.get("sales_channel") or "web"
    expires = data.get("expires") or format_datetime(now + reservation)
    main = _check_position(tx, scope, data, now, channel)
    item = tx.get("items", main.fields["item"])
    addons = _check_nested_list(tx, scope, data.get("addons") or [], now, channel, item, bundled=False)
    bundled = _check_nested_list(tx, scope, data.get("bundled") or [], now, channel, item, bundled=True)
    positions = [main, *addons, *bundled]
    _check_voucher_usage(tx, positions, now)
    quotas.reserve(tx, Counter(quota_id for p in positions for quota_id in p.quota_ids), now)
    common = {"cart_id": cart_id, "datetime": format_datetime(now), "expires": expires}
    parent = tx.insert("cartpositions", {**main.fields, **common})
    children = [
        tx.insert("cartpositions", {**position.fields, **common, "addon_to": parent["id"]})
        for position in [*addons, *bundled]
    ]
    return {
        **parent,
        "addons": [child for child in children if not child["is_bundled"]],
        "bundled": [child for child in children if child["is_bundled"]],
    }


def bulk_create(
    tx: Transaction, scope: Scope, entries: list[dict | ValidationFailed], now: datetime, reservation: timedelta
) -> list[dict]:
    """Create each entry on its own (deliberately not atomic); return pretix's result object per entry.

    An entry that already failed input validation is passed as its ValidationFailed.
    """
    results = []
    for entry in entries:
        try:
            if isinstance(entry, ValidationFailed):
                raise entry
            with tx.savepoint():
                created = create(tx, scope, entry, now, reservation)
            results.append({"success": True, "errors": None, "data": created})
        except ValidationFailed as failure:
            errors = failure.detail if isinstance(failure.detail, dict) else {"non_field_errors": failure.detail}
            results.append({"success": False, "errors": errors, "data": None})
    return results


def get(tx: Transaction, scope: Scope, doc_id: Any) -> dict:
    """Return an API cart position of the event; raise NotFound otherwise."""
    position = tx.get("cartpositions", doc_id)
    if position is None or position["event"] != scope.event["id"] or not position["cart_id"].endswith(API_SUFFIX):
        raise NotFound()
    return position


def list_positions(tx: Transaction, scope: Scope) -> list[dict]:
    return [p for p in tx.find("cartpositions", event=scope.event["id"]) if p["cart_id"].endswith(API_SUFFIX)]


def delete(tx: Transaction, scope: Scope, position: dict) -> None:
    """Delete the position and its add-ons and bundled positions, freeing their quota."""
    for child in tx.ids("cartpositions", addon_to=position["id"]):
        tx.delete("cartpositions", child)
    tx.delete("cartpositions", position["id"])


def present(position: dict) -> dict:
    """The position with its computed fields (the attendee name from its parts)."""
    return {**position, "attendee_name": full_name(position.get("attendee_name_parts") or {})}
