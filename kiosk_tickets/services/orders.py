"""Orders and their positions once they exist: lookup, lazy expiry, details, status changes, tickets.

Creating orders is in `order_create`, the filtered lists of orders and positions in `order_search`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .. import tickets as ticket_pdf
from ..errors import BadRequest, NotFound, PermissionDenied, ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Doc, Transaction
from . import positions, quotas, ticket_layouts, ticket_secrets
from .common import OUT_OF_RANGE, OrderStatus, event_object, i18n_text, representable
from .resources import EventContext
from .ticket_content import ticket_variables


def tax_fields(tx: Transaction, event_id: int, rule_id: int | None, gross: Decimal) -> dict[str, Any]:
    """Tax fields for a gross amount under a tax rule of the event (none: 0 %)."""
    rule = event_object(tx, "taxrules", rule_id, event_id)
    rate = Decimal(rule["rate"]) if rule else Decimal(0)
    value = (gross * rate / (Decimal(100) + rate)).quantize(positions.CENT, rounding=ROUND_HALF_UP)
    return {
        "tax_rate": positions.money(rate),
        "tax_value": positions.money(value),
        "tax_rule": rule["id"] if rule else None,
        "tax_code": rule.get("code") if rule else None,
    }


def invoice_address(data: dict | None, now: datetime) -> dict | None:
    if data is None:
        return None
    if data.get("name") and data.get("name_parts"):
        raise ValidationFailed({"invoice_address": {"non_field_errors": ["Specify name or name_parts, not both."]}})
    parts = {"_legacy": data["name"]} if data.get("name") else dict(data.get("name_parts") or {})
    address = {key: value for key, value in data.items() if key != "name"}
    return {**address, "name_parts": parts, "last_modified": format_datetime(now)}


# ---------------------------------------------------------------------------------------- finding and listing


def get(tx: Transaction, scope: EventContext, code: str, now: datetime) -> dict:
    """Return the event's order with this code (any case); raise NotFound otherwise."""
    expire_overdue(tx, scope.event_id, now)
    order = tx.find_one("orders", event=scope.event_id, code=code.upper())
    if order is None:
        raise NotFound()
    return order


def expire_overdue(tx: Transaction, event_id: int, now: datetime) -> None:
    """Mark pending orders past their payment deadline as expired.

    Their quota stopped counting at the deadline already (see QuotaLedger); this makes the status say
    so, and runs before anything reads orders, so no background job is needed.
    """
    for order_id in quotas.ledger(tx).overdue_orders(event_id, now.timestamp()):
        tx.update("orders", order_id, {"status": OrderStatus.EXPIRED, "last_modified": format_datetime(now)})


def get_position(tx: Transaction, scope: EventContext, doc_id: Any, now: datetime) -> dict:
    """Return the event's order position with this id; raise NotFound otherwise."""
    expire_overdue(tx, scope.event_id, now)
    position = tx.get("orderpositions", doc_id)
    if position is None or position["event"] != scope.event_id:
        raise NotFound()
    return position


def record_print(tx: Transaction, position: Doc, data: Mapping[str, Any], device: int | None, now: datetime) -> dict:
    """Keep that a ticket or badge of `position` was printed, and by which device."""
    return tx.insert(
        "printlogs",
        {
            "position": position["id"],
            "device": device,
            "source": data["source"],
            "type": data["type"],
            "datetime": data.get("datetime") or format_datetime(now),
            "info": data.get("info") or {},
            "created": format_datetime(now),
        },
    )


# ---------------------------------------------------------------------------------------- tickets and details


def generates_ticket(tx: Transaction, position: Mapping[str, Any]) -> bool:
    """A ticket is made for admission products, unless the product says otherwise either way."""
    item = tx.referenced("items", position["item"]) or {}
    if item.get("generate_tickets") is not None:
        return bool(item["generate_tickets"])
    return bool(item.get("admission"))


def _ticket_positions(tx: Transaction, candidates: list[Any]) -> list[Any]:
    """The positions among `candidates` that have a ticket: not canceled, of a product that makes one."""
    return [p for p in candidates if not p["canceled"] and generates_ticket(tx, p)]


def downloads_allowed(order: Mapping[str, Any]) -> bool:
    """Tickets are for paid orders, and for pending ones trusted to pay later once they need no approval."""
    if order["status"] == OrderStatus.PENDING:
        return bool(order.get("valid_if_pending")) and not order.get("require_approval")
    return order["status"] == OrderStatus.PAID


@dataclass(frozen=True)
class PositionDetails:
    """An order position with what the rest of the store says about it."""

    position: Mapping[str, Any]
    order_code: str
    checkins: list[dict]  # the successful ones
    downloadable: bool  # its ticket may be downloaded now


@dataclass(frozen=True)
class OrderDetails:
    """An order with its positions (by position id) and fees, and whether its tickets may be downloaded."""

    order: Mapping[str, Any]
    event_slug: str
    positions: list[PositionDetails]
    fees: list[dict]
    downloadable: bool


def position_details(tx: Transaction, position: Mapping[str, Any], order: Mapping[str, Any]) -> PositionDetails:
    checkins = [c for c in tx.find("checkins", position=position["id"]) if c.get("successful", True)]
    downloadable = downloads_allowed(order) and bool(_ticket_positions(tx, [position]))
    return PositionDetails(position, order["code"], checkins, downloadable)


def order_details(tx: Transaction, order: Mapping[str, Any], include_canceled: bool = False) -> OrderDetails:
    """The order as pretix shows it: canceled positions and fees only if asked for."""
    stored = sorted(tx.find("orderpositions", order=order["id"]), key=lambda p: p["positionid"])
    shown = [position_details(tx, p, order) for p in stored if include_canceled or not p["canceled"]]
    fees = [fee for fee in tx.find("orderfees", order=order["id"]) if include_canceled or not fee["canceled"]]
    event = tx.peek_referenced("events", order["event"])
    # As pretix, the order's download is offered whenever tickets may be downloaded, even if it holds none.
    downloadable = downloads_allowed(order)
    return OrderDetails(order, event["slug"], shown, fees, downloadable)


# ---------------------------------------------------------------------------------------- status changes


def _holding_positions(tx: Transaction, order: dict) -> list[dict]:
    return [p for p in tx.find("orderpositions", order=order["id"]) if not p["canceled"]]


def _reserve_again(tx: Transaction, order: dict, now: datetime, force: bool) -> None:
    """An expired or canceled order that comes back needs its quota again (unless forced)."""
    if force:
        return
    needs: Counter[int] = Counter()
    for position in _holding_positions(tx, order):
        item, variation = tx.referenced("items", position["item"]), tx.get("variations", position["variation"])
        voucher = tx.get("vouchers", position["voucher"]) if position.get("voucher") else None
        needs.update(positions.quota_needs(tx, order["event"], item, variation, voucher))
    try:
        quotas.reserve(tx, needs, now)
    except ValidationFailed as failure:
        raise BadRequest(failure.detail[0]) from None


def _change(tx: Transaction, order: dict, now: datetime, **fields: Any) -> dict:
    return tx.update("orders", order["id"], {**fields, "last_modified": format_datetime(now)})


def _require(order: dict, allowed: tuple[str, ...], message: str) -> None:
    if order["status"] not in allowed:
        raise BadRequest(message)


def mark_paid(tx: Transaction, order: dict, now: datetime, provider: str | None = None) -> dict:
    """Pending or expired → paid (an expired order needs its quota back). Raises BadRequest.

    The open payment is confirmed, or a manual one made. With `provider` (money taken at the counter: cash,
    card) the payment is one of that provider: an open payment of another provider is canceled instead.
    """
    _require(order, (OrderStatus.PENDING, OrderStatus.EXPIRED), "Only pending or expired orders can be marked as paid.")
    if order["require_approval"] and order["status"] == OrderStatus.PENDING:
        raise BadRequest("This order needs to be approved before it can be paid.")
    if order["status"] == OrderStatus.EXPIRED:
        _reserve_again(tx, order, now, force=False)
    payments = [dict(p) for p in order["payments"]]
    open_payment = next((p for p in payments if p["state"] in ("created", "pending")), None)
    if open_payment is not None and provider is not None and open_payment["provider"] != provider:
        open_payment["state"] = "canceled"
        open_payment = None
    if open_payment is None:
        open_payment = {"local_id": len(payments) + 1, "amount": order["total"], "created": format_datetime(now),
                        "provider": provider or "manual", "payment_url": None, "details": {}}
        payments.append(open_payment)
    open_payment.update(state="confirmed", payment_date=format_datetime(now), amount=order["total"])
    return _change(tx, order, now, status=OrderStatus.PAID, payments=payments)


def mark_pending(tx: Transaction, order: dict, now: datetime) -> dict:
    """Paid → pending: the confirmed payments are canceled. Raises BadRequest."""
    _require(order, (OrderStatus.PAID,), "Only paid orders can be marked as unpaid.")
    payments = [{**p, "state": "canceled"} if p["state"] == "confirmed" else p for p in order["payments"]]
    return _change(tx, order, now, status=OrderStatus.PENDING, payments=payments)


def mark_expired(tx: Transaction, order: dict, now: datetime) -> dict:
    _require(order, (OrderStatus.PENDING,), "Only pending orders can be marked as expired.")
    return _change(tx, order, now, status=OrderStatus.EXPIRED)


def mark_canceled(tx: Transaction, order: dict, now: datetime, cancellation_fee: str | None = None) -> dict:
    """Pending, paid or expired → canceled, freeing quota and voucher uses.

    With a cancellation fee a paid order stays paid, its positions and fees canceled, the fee its only part.
    Signed ticket secrets are revoked and replaced (see `ticket_secrets.invalidate`).
    """
    _require(
        order,
        (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED),
        "Only pending, paid or expired orders can be canceled.",
    )
    with_fee = cancellation_fee is not None and order["status"] == OrderStatus.PAID
    if with_fee and Decimal(cancellation_fee or 0) > Decimal(order["total"]):
        raise BadRequest("The cancellation fee cannot be higher than the total of the order.")
    held = _holding_positions(tx, order)
    for position in held:
        ticket_secrets.invalidate(tx, position, now)
    for voucher, count in Counter(p["voucher"] for p in held if p.get("voucher")).items():
        stored = tx.referenced("vouchers", voucher)
        if stored is not None:
            tx.update("vouchers", voucher, {"redeemed": max(0, stored["redeemed"] - count)})
    if with_fee:
        fee = Decimal(cancellation_fee or 0)
        for position in held:
            tx.update("orderpositions", position["id"], {"canceled": True})
        for existing in tx.find("orderfees", order=order["id"]):
            tx.update("orderfees", existing["id"], {"canceled": True})
        tx.insert(
            "orderfees",
            {
                "order": order["id"],
                "fee_type": "cancellation",
                "value": positions.money(fee),
                "description": "",
                "internal_type": "",
                **tax_fields(tx, order["event"], None, fee),
                "canceled": False,
            },
        )
        return _change(tx, order, now, total=positions.money(fee), cancellation_date=format_datetime(now))
    return _change(tx, order, now, status=OrderStatus.CANCELED, cancellation_date=format_datetime(now))


def reactivate(tx: Transaction, order: dict, now: datetime) -> dict:
    """Canceled → pending, or paid when its confirmed payments cover it; needs quota again."""
    _require(order, (OrderStatus.CANCELED,), "Only canceled orders can be reactivated.")
    _reserve_again(tx, order, now, force=False)
    paid = sum((Decimal(p["amount"]) for p in order["payments"] if p["state"] == "confirmed"), Decimal(0))
    held = _holding_positions(tx, order)
    for voucher, count in Counter(p["voucher"] for p in held if p.get("voucher")).items():
        stored = tx.referenced("vouchers", voucher)
        tx.update("vouchers", voucher, {"redeemed": stored["redeemed"] + count})
    status = OrderStatus.PAID if paid >= Decimal(order["total"]) and paid > 0 else OrderStatus.PENDING
    return _change(tx, order, now, status=status, cancellation_date=None)


def extend(tx: Transaction, order: dict, now: datetime, until: date, force: bool, timezone: str) -> dict:
    """Move the payment deadline to the end of `until` in the event's time zone; revives an expired order."""
    _require(order, (OrderStatus.PENDING, OrderStatus.EXPIRED), "Only pending or expired orders can be extended.")
    deadline = datetime.combine(until, time(23, 59, 59), tzinfo=ZoneInfo(timezone))
    if not representable(deadline):
        raise ValidationFailed.field("expires", OUT_OF_RANGE)
    if deadline <= now:
        raise BadRequest("The new expiry date needs to be in the future.")
    if order["status"] == OrderStatus.EXPIRED:
        _reserve_again(tx, order, now, force)
    return _change(tx, order, now, status=OrderStatus.PENDING, expires=format_datetime(deadline))


def approve(tx: Transaction, order: dict, now: datetime) -> dict:
    if order["status"] != OrderStatus.PENDING or not order["require_approval"]:
        raise BadRequest("This order is not waiting for approval.")
    return _change(tx, order, now, require_approval=False)


def deny(tx: Transaction, order: dict, now: datetime) -> dict:
    if order["status"] != OrderStatus.PENDING or not order["require_approval"]:
        raise BadRequest("This order is not waiting for approval.")
    return mark_canceled(tx, order, now)


PATCHABLE = (
    "email",
    "phone",
    "locale",
    "comment",
    "custom_followup_at",
    "checkin_attention",
    "checkin_text",
    "valid_if_pending",
    "api_meta",
)


def update(tx: Transaction, order: dict, changes: dict, now: datetime) -> dict:
    """Change the order's contact data, comment, check-in hints or invoice address."""
    fields = {key: changes[key] for key in PATCHABLE if key in changes}
    if "invoice_address" in changes:
        fields["invoice_address"] = invoice_address(changes["invoice_address"], now)
    return _change(tx, order, now, **fields)


def delete(tx: Transaction, order: dict, now: datetime) -> None:
    """Delete a test-mode order and all of it; raise PermissionDenied for real orders."""
    if not order["testmode"]:
        raise PermissionDenied("Only orders created in test mode can be deleted.")
    for position in tx.find("orderpositions", order=order["id"]):
        ticket_secrets.forget_position(tx, position, now)
        for table in ("checkins", "printlogs"):
            for doc_id in tx.ids(table, position=position["id"]):
                tx.delete(table, doc_id)
        tx.delete("orderpositions", position["id"])
    for fee in tx.ids("orderfees", order=order["id"]):
        tx.delete("orderfees", fee)
    tx.delete("orders", order["id"])


def receipt_fields(tx: Transaction, order: Mapping[str, Any]) -> dict[str, Any]:
    """What the order's receipt shows, as plain fields: each product once with its count, the fees, the tax
    in each rate, the total and how it was paid (the receipt renderer's input, but for cash given and change,
    which only the counter knows)."""
    event = tx.referenced("events", order["event"])
    organizer = tx.find_one("organizers", slug=event["organizer"]) or {"name": event["organizer"]}
    lines: dict[tuple[str, str], int] = Counter()
    taxes: dict[str, list[Decimal]] = {}
    charged = [p for p in tx.find("orderpositions", order=order["id"]) if not p["canceled"]]
    fees = [fee for fee in tx.find("orderfees", order=order["id"]) if not fee["canceled"]]
    for position in sorted(charged, key=lambda p: p["positionid"]):
        item = tx.referenced("items", position["item"])
        variation = tx.get("variations", position["variation"]) if position["variation"] else None
        lines[(positions.product_name(item, variation), position["price"])] += 1
    for fee in fees:
        lines[(fee.get("description") or fee["fee_type"].title(), fee["value"])] += 1
    for charge, amount in [*((p, p["price"]) for p in charged), *((fee, fee["value"]) for fee in fees)]:
        gross, tax = taxes.setdefault(charge["tax_rate"], [Decimal(0), Decimal(0)])
        taxes[charge["tax_rate"]] = [gross + Decimal(amount), tax + Decimal(charge["tax_value"])]
    placed = parse_datetime(order["datetime"]).astimezone(ZoneInfo(event.get("timezone") or "UTC"))
    payments = [p for p in order["payments"] if p["state"] == "confirmed"] or order["payments"]
    return {
        "organizer": organizer["name"],
        "event": i18n_text(event["name"]),
        "order_code": order["code"],
        "date": f"{placed:%d %b %Y, %H:%M}",
        "currency": event["currency"],
        "lines": [
            {"description": name, "quantity": count, "amount": positions.money(Decimal(price) * count)}
            for (name, price), count in lines.items()
        ],
        "taxes": [
            {"rate": rate, "gross": positions.money(gross), "tax": positions.money(tax)}
            for rate, (gross, tax) in sorted(taxes.items())
            if Decimal(rate)
        ],
        "total": order["total"],
        "payment_provider": payments[-1]["provider"] if payments else None,
    }


def tickets_of(tx: Transaction, order: dict, position: dict | None = None) -> list[dict]:
    """The positions whose tickets may be downloaded; raise PermissionDenied with the reason otherwise.

    An order's tickets may be none (it holds only products that make no ticket): pretix then still answers
    the order's download, with a document of no tickets. A position without a ticket is refused.
    """
    if not downloads_allowed(order):
        raise PermissionDenied("Tickets can only be downloaded for paid orders.")
    chosen = [position] if position is not None else _holding_positions(tx, order)
    tickets = _ticket_positions(tx, chosen)
    if not tickets and position is not None:
        raise PermissionDenied("There is no ticket to download for this order or position.")
    return sorted(tickets, key=lambda p: p["positionid"])


@dataclass(frozen=True)
class TicketPrint:
    """The tickets of an order (or one position) to print, read inside the transaction; `render` draws the PDF
    after it, so a large order's rendering never holds up a sale. The API's downloads and the screens share it."""

    tickets: tuple[ticket_pdf.Ticket, ...]
    created: datetime

    def render(self, page_format: str) -> bytes:
        return ticket_pdf.render(list(self.tickets), created=self.created, page_format=page_format)


def ticket_print(tx: Transaction, order: dict, position: dict | None = None) -> TicketPrint:
    """What the tickets of `order` (or of `position` alone) print; raise PermissionDenied as `tickets_of` does."""
    chosen = tickets_of(tx, order, position)
    event = tx.referenced("events", order["event"])
    images = ticket_layouts.images_of(event)
    read: dict[int, ticket_pdf.Layout] = {}
    tickets = []
    channel = order.get("sales_channel") or "web"
    for chosen_position in chosen:
        stored = ticket_layouts.layout_for(tx, event["id"], chosen_position["item"], channel)
        layout = None
        if stored is not None:
            if stored["id"] not in read:
                read[stored["id"]] = ticket_pdf.Layout(stored["layout"], ticket_layouts.background_of(stored))
            layout = read[stored["id"]]
        variables = ticket_variables(tx, order, chosen_position)
        tickets.append(ticket_pdf.Ticket(variables, layout, images, order.get("locale") or "en"))
    return TicketPrint(tuple(tickets), parse_datetime(order["datetime"]))
