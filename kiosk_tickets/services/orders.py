"""Orders and their positions: creation from scratch or from carts, status changes, lazy expiry, lists."""

from __future__ import annotations

import string
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

from ..errors import BadRequest, NotFound, PermissionDenied, ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Transaction
from . import positions, quotas
from .answers import check_answers
from .common import OrderStatus, event_object, i18n_text, invalid_pk, order_documents, random_string, text_matches
from .resources import EventContext

# Order codes avoid characters people confuse when reading them out: no O/0, no I/1.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GIVEN_CODE_ALPHABET = set("ABCDEFGHIJKLMNPQRSTUVWXYZ023456789")
_SECRET_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class OrderSettings:
    """What order creation needs from the configuration."""

    payment_term: timedelta


def _unique(tx: Transaction, table: str, field: str, make: Callable[[], str]) -> str:
    while True:
        value = make()
        if tx.find_one(table, **{field: value}) is None:
            return value


def _tax(tx: Transaction, event_id: int, rule_id: int | None, gross: Decimal) -> dict[str, Any]:
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


def _validity(item: dict, data: dict, now: datetime) -> tuple[str | None, str | None]:
    """valid_from/valid_until as given, else as the item's validity mode sets them."""
    if "valid_from" in data or "valid_until" in data:
        return data.get("valid_from"), data.get("valid_until")
    if item.get("validity_mode") == "fixed":
        return item.get("validity_fixed_from"), item.get("validity_fixed_until")
    if item.get("validity_mode") == "dynamic":
        start = parse_datetime(data["requested_valid_from"]) if data.get("requested_valid_from") else now
        length = timedelta(
            minutes=item.get("validity_dynamic_duration_minutes") or 0,
            hours=item.get("validity_dynamic_duration_hours") or 0,
            days=(item.get("validity_dynamic_duration_days") or 0) + 30 * (item.get("validity_dynamic_duration_months") or 0),
        )
        return format_datetime(start), format_datetime(start + length)
    return None, None


# ---------------------------------------------------------------------------------------- creation


def _check_positions(tx: Transaction, scope: EventContext, entries: list[dict], now: datetime) -> list[dict]:
    """Check every position as pretix checks API orders; return them ready to store (without ids)."""
    event_id = scope.event["id"]
    checked: list[dict] = []
    errors: list[dict] = []
    numbers = [entry.get("positionid") for entry in entries]
    explicit = any(number is not None for number in numbers)
    if explicit and numbers != list(range(1, len(entries) + 1)):
        raise ValidationFailed({"positions": ["If you set positionid, set it on every position, counting up from 1."]})
    taken_secrets: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        try:
            item, variation = positions.product(tx, event_id, entry)
            if entry.get("addon_to") is not None:
                if not explicit or not 1 <= entry["addon_to"] < number or entries[entry["addon_to"] - 1].get("addon_to"):
                    raise ValidationFailed.field("addon_to", "Refer to the positionid of an earlier position that is not an add-on.")
            secret = entry.get("secret")
            if secret:
                if secret in taken_secrets or tx.find_one("orderpositions", event=event_id, secret=secret):
                    raise ValidationFailed.field("secret", "This ticket secret is already in use.")
                taken_secrets.add(secret)
            if entry.get("discount") is not None:
                raise ValidationFailed.field("discount", invalid_pk(entry["discount"]))
            voucher = positions.voucher_for(tx, event_id, entry, item, variation, now)
            price = positions.price_for(entry, item, variation, voucher)
            valid_from, valid_until = _validity(item, entry, now)
            checked.append(
                {
                    "positionid": number,
                    "item": item["id"],
                    "variation": variation["id"] if variation else None,
                    "price": price,
                    "attendee_name_parts": positions.name_parts(entry),
                    "attendee_email": entry.get("attendee_email"),
                    **{field: entry.get(field) for field in ("company", "street", "zipcode", "city", "country", "state")},
                    "voucher": voucher["id"] if voucher else None,
                    "voucher_budget_use": None,
                    **_tax(tx, event_id, item.get("tax_rule"), Decimal(price)),
                    "secret": secret,
                    "addon_to_positionid": entry.get("addon_to"),
                    "subevent": None,
                    "discount": None,
                    "blocked": None,
                    "valid_from": valid_from,
                    "valid_until": valid_until,
                    "canceled": False,
                    "seat": None,
                    "answers": check_answers(tx, event_id, item["id"], entry.get("answers") or []),
                    "print_logs": [],
                    "_quotas": _quota_needs(tx, event_id, item, variation, voucher),
                    "_voucher": voucher,
                }
            )
            errors.append({})
        except ValidationFailed as failure:
            errors.append(failure.as_fields())
    if any(errors):
        raise ValidationFailed({"positions": errors})
    return checked


def _quota_needs(tx: Transaction, event_id: int, item: dict, variation: dict | None, voucher: dict | None) -> tuple[int, ...]:
    try:
        return positions.quota_needs(tx, event_id, item, variation, voucher)
    except ValidationFailed as failure:
        raise ValidationFailed.field("item", failure.detail[0]) from None


def _reserve(tx: Transaction, checked: list[dict], now: datetime) -> None:
    """Give each position its quota units in order; name every position that gets none, as pretix does."""
    free: dict[int, int | None] = {}
    errors: list[dict] = []
    for position in checked:
        error = {}
        for quota_id in position["_quotas"]:
            if quota_id not in free:
                free[quota_id] = quotas.available_number(tx, tx.get("quotas", quota_id), now)
            if free[quota_id] is not None:
                free[quota_id] -= 1
                if free[quota_id] < 0 and not error:
                    error = {"item": [quotas.shortage_message(tx.get("quotas", quota_id))]}
        errors.append(error)
    if any(errors):
        raise ValidationFailed({"positions": errors})


def _check_voucher_usage(tx: Transaction, checked: list[dict], now: datetime) -> None:
    # As pretix counts: positions use a voucher in order, and only those past its remaining uses are refused.
    used: Counter[int] = Counter()
    errors: list[dict] = []
    for p in checked:
        if p["voucher"]:
            used[p["voucher"]] += 1
        fits = not p["voucher"] or positions.voucher_fits(tx, p["voucher"], used[p["voucher"]], now)
        errors.append({} if fits else {"voucher": [positions.VOUCHER_EXHAUSTED]})
    if any(errors):
        raise ValidationFailed({"positions": errors})


def _check_fees(tx: Transaction, event_id: int, entries: list[dict], positions_total: Decimal) -> list[dict]:
    fees, errors = [], []
    for entry in entries:
        if entry.get("tax_rule") is not None and event_object(tx, "taxrules", entry["tax_rule"], event_id) is None:
            errors.append({"tax_rule": [invalid_pk(entry["tax_rule"])]})
            continue
        value = Decimal(entry["value"])
        if entry.get("_treat_value_as_percentage"):
            value = positions_total * value / Decimal(100)
        value = value.quantize(positions.CENT, rounding=ROUND_HALF_UP)
        fees.append(
            {
                "fee_type": entry["fee_type"],
                "value": positions.money(value),
                "description": entry.get("description") or "",
                "internal_type": entry.get("internal_type") or "",
                **_tax(tx, event_id, entry.get("tax_rule"), value),
                "canceled": False,
            }
        )
        errors.append({})
    if any(errors):
        raise ValidationFailed({"fees": errors})
    return fees


def _order_code(tx: Transaction, data: dict) -> str:
    code = data.get("code")
    if code is None:
        return _unique(tx, "orders", "code", lambda: random_string(CODE_ALPHABET, 5))
    if not code or set(code) - GIVEN_CODE_ALPHABET:
        raise ValidationFailed.field("code", "Order codes may only contain A-Z and 0-9, without O and 1.")
    if tx.find_one("orders", code=code) is not None:
        raise ValidationFailed.field("code", "This order code is already in use.")
    return code


def create(tx: Transaction, scope: EventContext, data: dict, now: datetime, settings: OrderSettings) -> dict:
    """Create an order with its positions and fees in one transaction; return the stored order.

    Carts named in `consume_carts` are removed first, so the quota they held passes to the order without
    ever being free in between. Quota is checked as for carts unless `force`. Raises ValidationFailed.
    """
    event_id = scope.event["id"]
    expire_overdue(tx, event_id, now)
    checked = _check_positions(tx, scope, data["positions"], now)
    positions_total = sum((Decimal(p["price"]) for p in checked), Decimal(0))
    fees = _check_fees(tx, event_id, data.get("fees") or [], positions_total)
    total = positions_total + sum((Decimal(fee["value"]) for fee in fees), Decimal(0))
    status = data.get("status") or (OrderStatus.PAID if total == 0 else OrderStatus.PENDING)
    provider = data.get("payment_provider") or ("free" if total == 0 else None)
    if status == OrderStatus.PAID and provider is None:
        raise ValidationFailed.field("payment_provider", "A payment provider is required for a paid order.")
    code = _order_code(tx, data)
    for cart_id in data.get("consume_carts") or []:
        for cart_position in tx.find("cartpositions", event=event_id, cart_id=cart_id):
            tx.delete("cartpositions", cart_position["id"])
    _check_voucher_usage(tx, checked, now)
    if not data.get("force"):
        _reserve(tx, checked, now)
    for voucher, count in Counter(p["voucher"] for p in checked if p["voucher"]).items():
        stored = tx.get("vouchers", voucher)
        tx.update("vouchers", voucher, {"redeemed": stored["redeemed"] + count})
    confirmed = status == OrderStatus.PAID
    payment_date = data.get("payment_date") or format_datetime(now)
    order = tx.insert(
        "orders",
        {
            "event": event_id,
            "code": code,
            "status": status,
            "testmode": bool(data.get("testmode")),
            "secret": random_string(_SECRET_ALPHABET, 16),
            "email": data.get("email"),
            "phone": data.get("phone"),
            "customer": None,
            "locale": data.get("locale") or "en",
            "sales_channel": data.get("sales_channel") or "web",
            "datetime": format_datetime(now),
            "expires": data.get("expires") or format_datetime(now + settings.payment_term),
            "total": positions.money(total),
            "tax_rounding_mode": data.get("tax_rounding_mode") or "line",
            "comment": data.get("comment") or "",
            "api_meta": data.get("api_meta") or {},
            "custom_followup_at": data.get("custom_followup_at"),
            "checkin_attention": bool(data.get("checkin_attention")),
            "checkin_text": data.get("checkin_text"),
            "invoice_address": _invoice_address(data.get("invoice_address"), now),
            "require_approval": bool(data.get("require_approval")),
            "valid_if_pending": bool(data.get("valid_if_pending")),
            "payments": [
                {
                    "local_id": 1,
                    "state": "confirmed" if confirmed else "created",
                    "amount": positions.money(total),
                    "created": format_datetime(now),
                    "payment_date": payment_date if confirmed else None,
                    "provider": provider or "manual",
                    "payment_url": None,
                    "details": dict(data.get("payment_info") or {}),
                }
            ],
            "refunds": [],
            "last_modified": format_datetime(now),
            "cancellation_date": None,
        },
    )
    stored_ids: dict[int, int] = {}
    for position in checked:
        fields = {key: value for key, value in position.items() if not key.startswith("_")}
        addon_to = fields.pop("addon_to_positionid")
        fields["addon_to"] = stored_ids[addon_to] if addon_to else None
        fields["secret"] = fields["secret"] or _unique(tx, "orderpositions", "secret", lambda: random_string(_SECRET_ALPHABET, 32))
        fields["pseudonymization_id"] = _unique(
            tx, "orderpositions", "pseudonymization_id", lambda: random_string(string.ascii_uppercase + string.digits, 10)
        )
        stored = tx.insert("orderpositions", {**fields, "order": order["id"], "event": event_id})
        stored_ids[position["positionid"]] = stored["id"]
    for fee in fees:
        tx.insert("orderfees", {**fee, "order": order["id"]})
    return order


def simulate(tx: Transaction, scope: EventContext, data: dict, now: datetime, settings: OrderSettings) -> OrderDetails:
    """Check and price an order as `create` would, and leave nothing behind: pretix's dry run.

    Returns the details of the order as it would have been created. Raises ValidationFailed.
    """
    with tx.trial():
        return order_details(tx, create(tx, scope, data, now, settings))


def _invoice_address(data: dict | None, now: datetime) -> dict | None:
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
    expire_overdue(tx, scope.event["id"], now)
    order = tx.find_one("orders", event=scope.event["id"], code=code.upper())
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


ORDER_ORDERINGS = ("datetime", "code", "status", "last_modified", "cancellation_date")


def list_orders(
    tx: Transaction, scope: EventContext, filters: Mapping[str, Any], ordering: str | None, now: datetime
) -> list[Mapping[str, Any]]:
    """Return the event's orders that pass pretix's order filters, ordered."""
    expire_overdue(tx, scope.event["id"], now)
    orders = tx.scan("orders", event=scope.event["id"])
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for field in ("testmode", "sales_channel", "require_approval"):
        if field in filters:
            checks.append(lambda order, f=field: order.get(f) == filters[f])
    for field in ("code", "status", "email", "locale"):
        if field in filters:
            wanted = filters[field].lower()
            checks.append(lambda order, f=field, w=wanted: (order.get(f) or "").lower() == w)
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
            for p in tx.scan("orderpositions", event=scope.event["id"], **{k: filters[k] for k in ("item", "variation") if k in filters})
        }
        checks.append(lambda order: order["id"] in wanted_ids)
    if "search" in filters:
        checks.append(lambda order: _order_matches(tx, order, filters["search"]))
    orders = [order for order in orders if all(check(order) for check in checks)]
    return order_documents(orders, ordering, ORDER_ORDERINGS, "datetime")


def _order_matches(tx: Transaction, order: dict, needle: str) -> bool:
    address = order.get("invoice_address") or {}
    names = [positions.full_name(p["attendee_name_parts"]) for p in tx.scan("orderpositions", order=order["id"])]
    return text_matches(needle, order["code"], order.get("email"), address.get("company"),
                        positions.full_name(address.get("name_parts")), *names)


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
    event_id = scope.event["id"]
    expire_overdue(tx, event_id, now)
    criteria = {key: filters[key] for key in ("item", "variation", "addon_to", "voucher") if key in filters}
    if "secret" in filters:
        criteria["secret"] = filters["secret"]
    if "order" in filters:
        order = tx.find_one("orders", event=event_id, code=filters["order"].upper())
        criteria["order"] = order["id"] if order else -1
    found = tx.scan("orderpositions", event=event_id, **criteria)
    orders = {order_id: tx.peek("orders", order_id) for order_id in {p["order"] for p in found}}
    checks: list[Callable[[dict], bool]] = []
    if not filters.get("include_canceled_positions"):
        checks.append(lambda p: not p["canceled"])
    for name, field in (("item__in", "item"), ("variation__in", "variation"), ("addon_to__in", "addon_to")):
        if name in filters:
            checks.append(lambda p, f=field, n=name: p[f] in filters[n])
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
            lambda p: any(c.get("successful", True) for c in tx.scan("checkins", position=p["id"])) == filters["has_checkin"]
        )
    if "attendee_name" in filters:
        wanted = filters["attendee_name"].lower()
        by_id = {p["id"]: p for p in found}

        def named(p: dict) -> bool:
            # An add-on has no attendee of its own in most shops: it matches through its main position.
            main = by_id.get(p["addon_to"]) or tx.get("orderpositions", p["addon_to"]) if p["addon_to"] else None
            return any((positions.full_name(x["attendee_name_parts"]) or "").lower() == wanted for x in (p, main) if x)

        checks.append(named)
    if "search" in filters:
        needle = filters["search"].lower()
        checks.append(
            lambda p: p["secret"].lower().startswith(needle)
            or text_matches(needle, orders[p["order"]]["code"], positions.full_name(p["attendee_name_parts"]), p.get("attendee_email"),
                            positions.full_name((orders[p["order"]].get("invoice_address") or {}).get("name_parts")))
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


def get_position(tx: Transaction, scope: EventContext, doc_id: Any, now: datetime) -> dict:
    """Return the event's order position with this id; raise NotFound otherwise."""
    expire_overdue(tx, scope.event["id"], now)
    position = tx.get("orderpositions", doc_id)
    if position is None or position["event"] != scope.event["id"]:
        raise NotFound()
    return position


# ---------------------------------------------------------------------------------------- tickets and details


def generates_ticket(tx: Transaction, position: Mapping[str, Any]) -> bool:
    """A ticket is made for admission products, unless the product says otherwise either way."""
    item = tx.get("items", position["item"]) or {}
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
    downloadable = downloads_allowed(order) and bool(_ticket_positions(tx, stored))
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
        item, variation = tx.get("items", position["item"]), tx.get("variations", position["variation"])
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


def mark_paid(tx: Transaction, order: dict, now: datetime) -> dict:
    """Pending or expired → paid (an expired order needs its quota back). Raises BadRequest."""
    _require(order, (OrderStatus.PENDING, OrderStatus.EXPIRED), "Only pending or expired orders can be marked as paid.")
    if order["require_approval"] and order["status"] == OrderStatus.PENDING:
        raise BadRequest("This order needs to be approved before it can be paid.")
    if order["status"] == OrderStatus.EXPIRED:
        _reserve_again(tx, order, now, force=False)
    payments = [dict(p) for p in order["payments"]]
    open_payment = next((p for p in payments if p["state"] in ("created", "pending")), None)
    if open_payment is None:
        open_payment = {"local_id": len(payments) + 1, "amount": order["total"], "created": format_datetime(now),
                        "provider": "manual", "payment_url": None, "details": {}}
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
    """
    _require(
        order, (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED), "Only pending, paid or expired orders can be canceled."
    )
    held = _holding_positions(tx, order)
    for voucher, count in Counter(p["voucher"] for p in held if p.get("voucher")).items():
        stored = tx.get("vouchers", voucher)
        if stored is not None:
            tx.update("vouchers", voucher, {"redeemed": max(0, stored["redeemed"] - count)})
    if cancellation_fee is not None and order["status"] == OrderStatus.PAID:
        fee = Decimal(cancellation_fee)
        if fee > Decimal(order["total"]):
            raise BadRequest("The cancellation fee cannot be higher than the total of the order.")
        for position in held:
            tx.update("orderpositions", position["id"], {"canceled": True})
        for existing in tx.find("orderfees", order=order["id"]):
            tx.update("orderfees", existing["id"], {"canceled": True})
        tx.insert("orderfees", {
            "order": order["id"], "fee_type": "cancellation", "value": positions.money(fee), "description": "",
            "internal_type": "", **_tax(tx, order["event"], None, fee), "canceled": False,
        })
        return _change(tx, order, now, total=positions.money(fee), cancellation_date=format_datetime(now))
    return _change(tx, order, now, status=OrderStatus.CANCELED, cancellation_date=format_datetime(now))


def reactivate(tx: Transaction, order: dict, now: datetime) -> dict:
    """Canceled → pending, or paid when its confirmed payments cover it; needs quota again."""
    _require(order, (OrderStatus.CANCELED,), "Only canceled orders can be reactivated.")
    _reserve_again(tx, order, now, force=False)
    paid = sum((Decimal(p["amount"]) for p in order["payments"] if p["state"] == "confirmed"), Decimal(0))
    held = _holding_positions(tx, order)
    for voucher, count in Counter(p["voucher"] for p in held if p.get("voucher")).items():
        stored = tx.get("vouchers", voucher)
        tx.update("vouchers", voucher, {"redeemed": stored["redeemed"] + count})
    status = OrderStatus.PAID if paid >= Decimal(order["total"]) and paid > 0 else OrderStatus.PENDING
    return _change(tx, order, now, status=status, cancellation_date=None)


def extend(tx: Transaction, order: dict, now: datetime, until: date, force: bool, timezone: str) -> dict:
    """Move the payment deadline to the end of `until` in the event's time zone; revives an expired order."""
    _require(order, (OrderStatus.PENDING, OrderStatus.EXPIRED), "Only pending or expired orders can be extended.")
    deadline = datetime.combine(until, time(23, 59, 59), tzinfo=ZoneInfo(timezone))
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


PATCHABLE = ("email", "phone", "locale", "comment", "custom_followup_at", "checkin_attention", "checkin_text",
             "valid_if_pending", "api_meta")


def update(tx: Transaction, order: dict, changes: dict, now: datetime) -> dict:
    """Change the order's contact data, comment, check-in hints or invoice address."""
    fields = {key: changes[key] for key in PATCHABLE if key in changes}
    if "invoice_address" in changes:
        fields["invoice_address"] = _invoice_address(changes["invoice_address"], now)
    return _change(tx, order, now, **fields)


def delete(tx: Transaction, order: dict) -> None:
    """Delete a test-mode order and all of it; raise PermissionDenied for real orders."""
    if not order["testmode"]:
        raise PermissionDenied("Only orders created in test mode can be deleted.")
    for position in tx.find("orderpositions", order=order["id"]):
        for checkin in tx.ids("checkins", position=position["id"]):
            tx.delete("checkins", checkin)
        tx.delete("orderpositions", position["id"])
    for fee in tx.ids("orderfees", order=order["id"]):
        tx.delete("orderfees", fee)
    tx.delete("orders", order["id"])


def ticket_fields(tx: Transaction, order: dict, position: dict) -> dict[str, Any]:
    """What the ticket of `position` shows, as plain fields (the ticket renderer's input)."""
    event = tx.get("events", order["event"])
    item, variation = tx.get("items", position["item"]), tx.get("variations", position["variation"])
    start = parse_datetime(event["date_from"]).astimezone(ZoneInfo(event.get("timezone") or "UTC"))
    location = event.get("location")
    return {
        "event_name": i18n_text(event["name"]),
        "event_date": f"{start:%a, %d %b %Y, %H:%M} ({start.tzname()})",
        "location": i18n_text(location) if location else None,
        "product": positions.product_name(item, variation),
        "attendee": positions.full_name(position["attendee_name_parts"]),
        "price": f"{position['price']} {event['currency']}",
        "order_code": order["code"],
        "position": position["positionid"],
        "secret": position["secret"],
    }


def tickets_of(tx: Transaction, order: dict, position: dict | None = None) -> list[dict]:
    """The positions whose tickets may be downloaded; raise PermissionDenied with the reason otherwise."""
    if not downloads_allowed(order):
        raise PermissionDenied("Tickets can only be downloaded for paid orders.")
    chosen = [position] if position is not None else _holding_positions(tx, order)
    tickets = _ticket_positions(tx, chosen)
    if not tickets:
        raise PermissionDenied("There is no ticket to download for this order or position.")
    return sorted(tickets, key=lambda p: p["positionid"])
