"""The filtered, ordered lists of an event's orders and order positions, as pretix's list filters select them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..isotime import parse_datetime
from ..store import Doc, Transaction
from . import positions
from .common import order_documents, text_matches
from .orders import expire_overdue
from .resources import EventContext

ORDER_ORDERINGS = ("datetime", "code", "status", "last_modified", "cancellation_date")


def list_orders(
    tx: Transaction, scope: EventContext, filters: Mapping[str, Any], ordering: str | None, now: datetime
) -> list[Mapping[str, Any]]:
    """Return the event's orders that pass pretix's order filters, ordered."""
    expire_overdue(tx, scope.event_id, now)
    orders = tx.scan("orders", event=scope.event_id)
    checks: list[Callable[[Doc], bool]] = []
    for field in ("testmode", "sales_channel", "require_approval"):
        if field in filters:
            checks.append(_field_is(field, filters[field]))
    for field in ("code", "status", "email", "locale"):
        if field in filters:
            checks.append(_text_field_is(field, filters[field].lower()))
    if "created_since" in filters:
        checks.append(lambda order: parse_datetime(order["datetime"]) >= filters["created_since"])
    if "created_before" in filters:
        checks.append(lambda order: parse_datetime(order["datetime"]) < filters["created_before"])
    if "modified_since" in filters:
        checks.append(lambda order: parse_datetime(order["last_modified"]) >= filters["modified_since"])
    if "payment_provider" in filters:
        checks.append(lambda order: any(p["provider"] == filters["payment_provider"] for p in order["payments"]))
    if "item" in filters or "variation" in filters:
        wanted_ids = {
            p["order"]
            for p in tx.scan(
                "orderpositions", event=scope.event_id, **{k: filters[k] for k in ("item", "variation") if k in filters}
            )
        }
        checks.append(lambda order: order["id"] in wanted_ids)
    if "search" in filters:
        checks.append(lambda order: _order_matches(tx, order, filters["search"]))
    orders = [order for order in orders if all(check(order) for check in checks)]
    return order_documents(orders, ordering, ORDER_ORDERINGS, "datetime")


def _field_is(field: str, wanted: Any) -> Callable[[Doc], bool]:
    return lambda doc: doc.get(field) == wanted


def _text_field_is(field: str, wanted: str) -> Callable[[Doc], bool]:
    """Case-insensitive equality, as pretix filters codes, statuses, emails and locales."""
    return lambda doc: (doc.get(field) or "").lower() == wanted


def _field_in(field: str, wanted: Any) -> Callable[[Doc], bool]:
    return lambda doc: doc[field] in wanted


def _order_matches(tx: Transaction, order: Doc, needle: str) -> bool:
    address = order.get("invoice_address") or {}
    names = [positions.full_name(p["attendee_name_parts"]) for p in tx.scan("orderpositions", order=order["id"])]
    return text_matches(
        needle,
        order["code"],
        order.get("email"),
        address.get("company"),
        positions.full_name(address.get("name_parts")),
        *names,
    )


POSITION_ORDERINGS = {
    "order__code": lambda p, o: o["code"],
    "order__datetime": lambda p, o: o["datetime"],
    "positionid": lambda p, o: p["positionid"],
    "attendee_name": lambda p, o: (positions.full_name(p["attendee_name_parts"]) or "").lower(),
    "order__status": lambda p, o: o["status"],
}


def list_positions(
    tx: Transaction, scope: EventContext, filters: Mapping[str, Any], ordering: str | None, now: datetime
) -> list[Mapping[str, Any]]:
    """Return the event's order positions that pass pretix's position filters, ordered.

    Canceled positions are left out unless `include_canceled_positions`.
    """
    event_id = scope.event_id
    expire_overdue(tx, event_id, now)
    criteria = {key: filters[key] for key in ("item", "variation", "addon_to", "voucher") if key in filters}
    if "secret" in filters:
        criteria["secret"] = filters["secret"]
    if "order" in filters:
        order = tx.find_one("orders", event=event_id, code=filters["order"].upper())
        criteria["order"] = order["id"] if order else -1
    found = tx.scan("orderpositions", event=event_id, **criteria)
    orders = {order_id: tx.peek_referenced("orders", order_id) for order_id in {p["order"] for p in found}}
    checks: list[Callable[[Doc], bool]] = []
    if not filters.get("include_canceled_positions"):
        checks.append(lambda p: not p["canceled"])
    for name, field in (("item__in", "item"), ("variation__in", "variation"), ("addon_to__in", "addon_to")):
        if name in filters:
            checks.append(_field_in(field, filters[name]))
    if "order__status" in filters:
        checks.append(lambda p: orders[p["order"]]["status"] == filters["order__status"])
    if "order__status__in" in filters:
        checks.append(lambda p: orders[p["order"]]["status"] in filters["order__status__in"])
    if "pseudonymization_id" in filters:
        checks.append(lambda p: p["pseudonymization_id"] == filters["pseudonymization_id"])
    if "voucher__code" in filters:
        voucher = tx.find_one("vouchers", event=event_id, code_key=filters["voucher__code"].upper())
        checks.append(lambda p: voucher is not None and p["voucher"] == voucher["id"])
    if "has_checkin" in filters:
        checks.append(
            lambda p: (
                any(c.get("successful", True) for c in tx.scan("checkins", position=p["id"])) == filters["has_checkin"]
            )
        )
    if "attendee_name" in filters:
        wanted = filters["attendee_name"].lower()
        by_id = {p["id"]: p for p in found}

        def named(p: Doc) -> bool:
            # An add-on has no attendee of its own in most shops: it matches through its main position.
            main = by_id.get(p["addon_to"]) or tx.get("orderpositions", p["addon_to"]) if p["addon_to"] else None
            return any((positions.full_name(x["attendee_name_parts"]) or "").lower() == wanted for x in (p, main) if x)

        checks.append(named)
    if "search" in filters:
        needle = filters["search"].lower()
        checks.append(
            lambda p: (
                p["secret"].lower().startswith(needle)
                or text_matches(
                    needle,
                    orders[p["order"]]["code"],
                    positions.full_name(p["attendee_name_parts"]),
                    p.get("attendee_email"),
                    positions.full_name((orders[p["order"]].get("invoice_address") or {}).get("name_parts")),
                )
            )
        )
    result = found
    for check in checks:
        result = [p for p in result if check(p)]
    chosen = ordering if ordering and ordering.lstrip("-") in POSITION_ORDERINGS else None
    if chosen is None:
        placed = {order_id: order["datetime"] for order_id, order in orders.items()}

        def by_order(p: Mapping[str, Any]) -> tuple:
            order_id = p["order"]
            return (placed[order_id], order_id, p["positionid"])

        return sorted(result, key=by_order)
    key = POSITION_ORDERINGS[chosen.lstrip("-")]
    return sorted(result, key=lambda p: (key(p, orders[p["order"]]), p["id"]), reverse=chosen.startswith("-"))
