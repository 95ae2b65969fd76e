"""Cart positions created through the API: validation, vouchers, nested add-ons and bundles, quota reservation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..errors import NotFound, ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Transaction
from . import positions, quotas
from .answers import check_answers
from .common import RANDOM
from .resources import EventContext

API_SUFFIX = "@api"


@dataclass(frozen=True)
class Position:
    """One checked position of a request, ready to be written."""

    fields: dict[str, Any]
    quota_ids: tuple[int, ...]
    voucher: dict | None
    # The fields of the request that depart from the catalog, which only an overriding principal may send.
    overrides: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------- checking one position


def _check_position(
    tx: Transaction,
    scope: EventContext,
    data: dict,
    now: datetime,
    sales_channel: str,
    parent_item: dict | None = None,
    bundled: bool = False,
) -> Position:
    """Check one position (top level, add-on or bundled); return what to write. Raises ValidationFailed."""
    event_id = scope.event_id
    item, variation = positions.product(tx, event_id, data)
    if not item.get("active", True):
        raise ValidationFailed.field("item", "The specified item is not active.")
    for product in (item, variation):
        if (
            product is not None
            and not product["all_sales_channels"]
            and sales_channel not in product["limit_sales_channels"]
        ):
            raise ValidationFailed.field(
                "item", f'This product is not available on the sales channel "{sales_channel}".'
            )
    if parent_item is not None:
        _check_nested(tx, parent_item, item, variation, bundled)
    voucher = positions.voucher_for(tx, event_id, data, item, variation, now)
    listed = _listed(tx, parent_item, item, variation, voucher, bundled)
    price = data["price"] if data.get("price") is not None else positions.money(listed)
    answers = check_answers(tx, event_id, item["id"], data.get("answers") or [])
    return Position(
        fields={
            "event": event_id,
            "item": item["id"],
            "variation": variation["id"] if variation else None,
            "price": price,
            "attendee_name_parts": positions.name_parts(data),
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
        quota_ids=positions.quota_needs(tx, event_id, item, variation, voucher),
        voucher=voucher,
        overrides=("price",) if positions.sets_own_price(data.get("price"), [listed], item) else (),
    )


def _listed(
    tx: Transaction, parent: dict | None, item: dict, variation: dict | None, voucher: dict | None, bundled: bool
) -> Decimal:
    """The price the catalog lists for the position: a bundle's designated price, nothing for an add-on whose
    price the main product includes, else the product's price with the voucher applied."""
    if parent is not None and bundled:
        designated = positions.bundle_listed_price(tx, parent, item, variation)
        if designated is not None:
            return designated
    if parent is not None and not bundled:
        included = positions.addon_listed_price(tx, parent, item)
        if included is not None:
            return included
    return positions.listed_price(item, variation, voucher)


def _check_nested(tx: Transaction, parent: dict, item: dict, variation: dict | None, bundled: bool) -> None:
    if bundled:
        if positions.bundle_listed_price(tx, parent, item, variation) is None:
            raise ValidationFailed.field("item", "This product is not part of a bundle of the main product.")
    else:
        categories = {addon["addon_category"] for addon in tx.find("addons", item=parent["id"])}
        if item.get("category") not in categories:
            raise ValidationFailed.field("item", "This product is not available as an add-on to the main product.")


def _check_nested_list(
    tx: Transaction, scope: EventContext, entries: list[dict], now: datetime, channel: str, parent: dict, bundled: bool
) -> list[Position]:
    checked: list[Position] = []
    errors: list[dict] = []
    for entry in entries:
        try:
            checked.append(_check_position(tx, scope, entry, now, channel, parent, bundled))
            errors.append({})
        except ValidationFailed as failure:
            errors.append(failure.as_fields())
    if any(errors):
        raise ValidationFailed({"bundled" if bundled else "addons": errors})
    return checked


def _refuse_overrides(main: Position, addons: list[Position], bundled: list[Position]) -> None:
    """Raise OverrideRefused naming every field, at any depth, that departs from the catalog."""
    refused: dict[str, Any] = positions.refused_fields(main.overrides)
    for key, nested in (("addons", addons), ("bundled", bundled)):
        if any(position.overrides for position in nested):
            refused[key] = [positions.refused_fields(position.overrides) for position in nested]
    if refused:
        raise positions.OverrideRefused(refused)


# ---------------------------------------------------------------------------------------- the operations


def purge_expired(tx: Transaction, event_id: int, now: datetime) -> None:
    """Delete the event's cart positions whose reservation has run out (they stopped counting already)."""
    for doc_id in quotas.ledger(tx).expired_carts(event_id, now.timestamp()):
        tx.delete("cartpositions", doc_id)


def new_cart_id() -> str:
    # From the batched random source: a system call for each id was a hand-over of the interpreter in the
    # middle of every sale's transaction.
    return RANDOM.token_hex(24) + API_SUFFIX


def create(
    tx: Transaction, scope: EventContext, data: dict, now: datetime, reservation: timedelta, *, may_override: bool
) -> dict:
    """Reserve quota for one position and its nested add-ons and bundled positions, all or nothing.

    Returns the stored position with `addons` and `bundled` lists. Raises ValidationFailed: a dict naming
    fields for bad input, or a list holding the message when quota or a catalog rule refuses. Unless
    `may_override`, a price other than the catalog lists, or an expiry later than the event's reservation time,
    raises OverrideRefused (checked after the input, before quota).
    """
    purge_expired(tx, scope.event_id, now)
    cart_id = data.get("cart_id") or new_cart_id()
    if not cart_id.endswith(API_SUFFIX):
        raise ValidationFailed.field("cart_id", f'Cart ID should end in "{API_SUFFIX}" or be empty.')
    channel = data.get("sales_channel") or "web"
    expires = data.get("expires") or format_datetime(now + reservation)
    main = _check_position(tx, scope, data, now, channel)
    addons: list[Position] = []
    bundled: list[Position] = []
    if data.get("addons") or data.get("bundled"):
        # The main product is read again only for the positions nested in it, which most sales have none of.
        item = tx.referenced("items", main.fields["item"])
        addons = _check_nested_list(tx, scope, data.get("addons") or [], now, channel, item, bundled=False)
        bundled = _check_nested_list(tx, scope, data.get("bundled") or [], now, channel, item, bundled=True)
    if not may_override:
        _refuse_overrides(main, addons, bundled)
        if parse_datetime(expires) > now + reservation:
            # A later expiry would hold the quota for longer than the event lets any cart hold it.
            raise positions.OverrideRefused(positions.refused_fields(["expires"]))
    checked = [main, *addons, *bundled]
    positions.check_voucher_usage(tx, (position.voucher for position in checked), now)
    quotas.reserve(tx, Counter(quota_id for position in checked for quota_id in position.quota_ids), now)
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
    tx: Transaction,
    scope: EventContext,
    entries: list[dict | ValidationFailed],
    now: datetime,
    reservation: timedelta,
    *,
    may_override: bool,
) -> list[dict | ValidationFailed]:
    """Create each entry on its own (deliberately not atomic); return per entry the position or its failure.

    An entry that already failed input validation is passed as its ValidationFailed. An entry refused for its
    overrides fails like one with bad input, its errors naming the fields, since the answer has one status.
    """
    results: list[dict | ValidationFailed] = []
    for entry in entries:
        try:
            if isinstance(entry, ValidationFailed):
                raise entry
            with tx.savepoint():
                results.append(create(tx, scope, entry, now, reservation, may_override=may_override))
        except ValidationFailed as failure:
            results.append(failure)
        except positions.OverrideRefused as refused:
            results.append(ValidationFailed(refused.detail))
    return results


def get(tx: Transaction, scope: EventContext, doc_id: Any) -> dict:
    """Return an API cart position of the event; raise NotFound otherwise."""
    position = tx.get("cartpositions", doc_id)
    if position is None or position["event"] != scope.event_id or not position["cart_id"].endswith(API_SUFFIX):
        raise NotFound()
    return position


def list_positions(tx: Transaction, scope: EventContext) -> list[Mapping[str, Any]]:
    """The event's API cart positions (read-only views: copy what you keep)."""
    return [p for p in tx.scan("cartpositions", event=scope.event_id) if p["cart_id"].endswith(API_SUFFIX)]


def delete(tx: Transaction, scope: EventContext, position: dict) -> None:
    """Delete the position and its add-ons and bundled positions, freeing their quota."""
    for child in tx.ids("cartpositions", addon_to=position["id"]):
        tx.delete("cartpositions", child)
    tx.delete("cartpositions", position["id"])
