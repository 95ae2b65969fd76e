"""What cart and order positions share: the product, its price, the attendee's name, vouchers, quota needs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..errors import PermissionDenied, ValidationFailed
from ..isotime import parse_datetime
from ..store import Transaction
from . import quotas
from .common import i18n_text, invalid_pk
from .vouchers import voucher_code_key

CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def product(tx: Transaction, event_id: int, data: dict) -> tuple[dict, dict | None]:
    """Return the item and variation a position names; raise ValidationFailed naming the field."""
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
        raise ValidationFailed.field(
            "attendee_name", "Do not specify attendee_name if you specified attendee_name_parts."
        )
    return item, variation


def product_name(item: dict, variation: dict | None = None) -> str:
    """The product's name in English (or its first language), with the variation's value."""
    name = i18n_text(item["name"])
    return f"{name} – {i18n_text(variation['value'])}" if variation else name


def catalog_price(item: dict, variation: dict | None) -> Decimal:
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
    return max(Decimal(0), price).quantize(CENT, rounding=ROUND_HALF_UP)


def listed_price(item: dict, variation: dict | None, voucher: dict | None) -> Decimal:
    """The price the catalog sets for the product, with the voucher's price mode applied."""
    listed = catalog_price(item, variation)
    return voucher_price(voucher, listed) if voucher else listed


def price_for(data: dict, item: dict, variation: dict | None, voucher: dict | None) -> str:
    """The position's price: as sent (believed, as pretix does), else the catalog's with the voucher applied."""
    if data.get("price") is not None:
        return data["price"]
    return money(listed_price(item, variation, voucher))


def addon_listed_price(tx: Transaction, parent_item: dict, item: dict) -> Decimal | None:
    """The price a product costs as an add-on to `parent_item`: nothing if its add-on configuration includes the
    price in the main product's; None if that configuration sets no price of its own."""
    for addon in tx.find("addons", item=parent_item["id"]):
        if addon["addon_category"] == item.get("category") and addon.get("price_included"):
            return Decimal(0)
    return None


def bundle_listed_price(tx: Transaction, parent_item: dict, item: dict, variation: dict | None) -> Decimal | None:
    """The designated price of the product as bundled with `parent_item`; None if it is no bundle of it."""
    variation_id = variation["id"] if variation else None
    for bundle in tx.find("bundles", item=parent_item["id"], bundled_item=item["id"]):
        if bundle["bundled_variation"] in (None, variation_id):
            return Decimal(bundle["designated_price"])
    return None


def sets_own_price(price: str | None, listed: Iterable[Decimal], item: dict) -> bool:
    """Whether a sent price departs from what the catalog lists: a price none of `listed` is, except, for a
    product of free price, one at least the lowest listed."""
    if price is None:
        return False
    given, prices = Decimal(price), list(listed)
    if given in prices:
        return False
    return not (item.get("free_price") and given >= min(prices))


# ---------------------------------------------------------------------------------------- overrides

NOT_YOURS_TO_SET = "You may not set this field."


class OverrideRefused(PermissionDenied):
    """Fields of a request that only a principal allowed to override the catalog and quota may set.

    Answered with 403 and the fields named as in a validation error, nested as the request is:
    {"price": ["You may not set this field."]}, {"positions": [{}, {"secret": [...]}]}.
    """

    def body(self) -> Any:
        return self.detail


def refused_fields(names: Iterable[str]) -> dict[str, list[str]]:
    return {name: [NOT_YOURS_TO_SET] for name in names}


def name_parts(data: dict) -> dict[str, str]:
    """The stored name parts: given parts, or a plain name kept as pretix keeps legacy names."""
    if data.get("attendee_name"):
        return {"_legacy": data["attendee_name"]}
    return dict(data.get("attendee_name_parts") or {})


# How pretix's name schemes put parts together; a salutation is not part of the name itself.
_NAME_ORDER = ("title", "given_name", "middle_name", "family_name")
_NOT_SHOWN = ("salutation",)


def full_name(parts: dict[str, str] | None) -> str | None:
    """The name as one string (title, given, middle, family, then any other parts); None without a name."""
    parts = parts or {}
    if parts.get("_legacy"):
        return parts["_legacy"]
    if parts.get("full_name"):
        return parts["full_name"]
    others = sorted(
        key for key in parts if key not in _NAME_ORDER and key not in _NOT_SHOWN and not key.startswith("_")
    )
    words = [parts[key] for key in (*_NAME_ORDER, *others) if parts.get(key)]
    return " ".join(words) or None


def find_voucher(tx: Transaction, event_id: int, code: str, now: datetime) -> dict:
    """Return the usable voucher with this code (any case); raise ValidationFailed naming `voucher`."""
    voucher = tx.find_one("vouchers", event=event_id, code_key=voucher_code_key(code))
    if voucher is None:
        raise ValidationFailed.field("voucher", f'The voucher code "{code}" is not known.')
    if voucher.get("valid_until") and parse_datetime(voucher["valid_until"]) < now:
        raise ValidationFailed.field("voucher", "This voucher has expired.")
    return voucher


def voucher_for(
    tx: Transaction, event_id: int, data: dict, item: dict, variation: dict | None, now: datetime
) -> dict | None:
    """Return the voucher a position names, checked against its product; None if it names none."""
    if not data.get("voucher"):
        return None
    voucher = find_voucher(tx, event_id, data["voucher"], now)
    variation_id = variation["id"] if variation else None
    if voucher.get("quota") is not None:
        applies = any(q["id"] == voucher["quota"] for q in quotas.quotas_for(tx, event_id, item["id"], variation_id))
    elif voucher.get("item") is not None:
        applies = voucher["item"] == item["id"] and voucher.get("variation") in (None, variation_id)
    else:
        applies = True
    if not applies:
        raise ValidationFailed.field("voucher", "This voucher is not valid for this product.")
    return voucher


VOUCHER_EXHAUSTED = "This voucher has already been used the maximum number of times."


def voucher_fits(tx: Transaction, voucher_id: int, count: int, now: datetime) -> bool:
    """Whether `count` more uses fit the voucher's max_usages, counting its redemptions and live carts."""
    voucher = tx.peek_referenced("vouchers", voucher_id)
    in_carts = quotas.ledger(tx).live_voucher_carts(voucher_id, now.timestamp())
    return voucher.get("redeemed", 0) + in_carts + count <= voucher["max_usages"]


def check_voucher_usage(tx: Transaction, vouchers: Iterable[dict | None], now: datetime) -> None:
    """Raise ValidationFailed naming `voucher` if a voucher would be used more often than it may be."""
    used = [voucher["id"] for voucher in vouchers if voucher is not None]
    if not used:
        return  # most sales use no voucher
    wanted = Counter(used)
    if any(not voucher_fits(tx, voucher_id, count, now) for voucher_id, count in wanted.items()):
        raise ValidationFailed.field("voucher", VOUCHER_EXHAUSTED)


def quota_needs(
    tx: Transaction, event_id: int, item: dict, variation: dict | None, voucher: dict | None
) -> tuple[int, ...]:
    """The quotas a position needs a unit of: none if its voucher holds or waives its unit.

    Raises ValidationFailed (a list holding the message) for a product that is in no quota.
    """
    if voucher is not None and (voucher.get("block_quota") or voucher.get("allow_ignore_quota")):
        return ()
    needed = quotas.quota_ids_for(tx, event_id, item["id"], variation["id"] if variation else None)
    if not needed:
        raise ValidationFailed(f'The product "{product_name(item)}" is not assigned to a quota.')
    return needed
