"""Creating orders: checking and pricing positions and fees, reserving quota, and pretix's dry run."""

from __future__ import annotations

import string
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..errors import ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Transaction
from . import positions, quotas, ticket_secrets
from .answers import check_answers
from .common import OUT_OF_RANGE, OrderStatus, event_object, invalid_pk, random_string, representable, unique_value
from .orders import OrderDetails, expire_overdue, invoice_address, order_details, tax_fields
from .resources import EventContext

# Order codes avoid characters people confuse when reading them out: no O/0, no I/1.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GIVEN_CODE_ALPHABET = set("ABCDEFGHIJKLMNPQRSTUVWXYZ023456789")
_SECRET_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class OrderSettings:
    """What order creation needs from the configuration, and what the one who asks may do."""

    payment_term: timedelta
    # Whether the order may ignore quota (`force`), choose ticket secrets and set prices the catalog does not list.
    may_override: bool = False
    # Who sells (the id of the API token behind a box-office screen): stored on the order as `sold_by` when
    # given. No answer of the pretix API shows it; OrderSchema lists the fields it dumps.
    sold_by: int | None = None


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
            days=(item.get("validity_dynamic_duration_days") or 0)
            + 30 * (item.get("validity_dynamic_duration_months") or 0),
        )
        try:
            end = start + length
        except OverflowError:
            end = None
        if end is None or not representable(end):
            field = "requested_valid_from" if data.get("requested_valid_from") else "item"
            raise ValidationFailed.field(field, OUT_OF_RANGE)
        return format_datetime(start), format_datetime(end)
    return None, None


# ---------------------------------------------------------------------------------------- creation


def _listed_prices(tx: Transaction, entries: list[dict], entry: dict, item: dict, variation: dict | None,
                   voucher: dict | None) -> list[Decimal]:
    """The prices the catalog lists for a position: its product's with the voucher applied and, for an add-on,
    nothing if the main product includes its price, or the designated price if it is bundled with it."""
    listed = [positions.listed_price(item, variation, voucher)]
    parent_number = entry.get("addon_to")
    if parent_number is not None:
        parent_item = event_object(tx, "items", entries[parent_number - 1]["item"], item["event"])
        if parent_item is not None:
            for alternative in (
                positions.addon_listed_price(tx, parent_item, item),
                positions.bundle_listed_price(tx, parent_item, item, variation),
            ):
                if alternative is not None:
                    listed.append(alternative)
    return listed


def _check_positions(
    tx: Transaction, scope: EventContext, entries: list[dict], now: datetime, may_override: bool
) -> list[dict]:
    """Check every position as pretix checks API orders; return them ready to store (without ids).

    Unless `may_override`, a position that sets its secret or a price other than the catalog lists raises
    OverrideRefused naming those fields, once all input is valid.
    """
    event_id = scope.event_id
    checked: list[dict] = []
    errors: list[dict] = []
    refused: list[dict] = []
    numbers = [entry.get("positionid") for entry in entries]
    explicit = any(number is not None for number in numbers)
    if explicit and numbers != list(range(1, len(entries) + 1)):
        raise ValidationFailed({"positions": ["If you set positionid, set it on every position, counting up from 1."]})
    taken_secrets: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        try:
            item, variation = positions.product(tx, event_id, entry)
            if entry.get("addon_to") is not None:
                if (
                    not explicit
                    or not 1 <= entry["addon_to"] < number
                    or entries[entry["addon_to"] - 1].get("addon_to")
                ):
                    raise ValidationFailed.field(
                        "addon_to", "Refer to the positionid of an earlier position that is not an add-on."
                    )
            secret = entry.get("secret")
            if secret:
                if secret in taken_secrets or tx.find_one("orderpositions", event=event_id, secret=secret):
                    raise ValidationFailed.field("secret", "This ticket secret is already in use.")
                taken_secrets.add(secret)
            if entry.get("discount") is not None:
                raise ValidationFailed.field("discount", invalid_pk(entry["discount"]))
            voucher = positions.voucher_for(tx, event_id, entry, item, variation, now)
            price = positions.price_for(entry, item, variation, voucher)
            overrides = ["secret"] if secret else []
            if positions.sets_own_price(
                entry.get("price"), _listed_prices(tx, entries, entry, item, variation, voucher), item
            ):
                overrides.insert(0, "price")
            refused.append(positions.refused_fields(overrides))
            valid_from, valid_until = _validity(item, entry, now)
            checked.append(
                {
                    "positionid": number,
                    "item": item["id"],
                    "variation": variation["id"] if variation else None,
                    "price": price,
                    "attendee_name_parts": positions.name_parts(entry),
                    "attendee_email": entry.get("attendee_email"),
                    **{
                        field: entry.get(field)
                        for field in ("company", "street", "zipcode", "city", "country", "state")
                    },
                    "voucher": voucher["id"] if voucher else None,
                    "voucher_budget_use": None,
                    **tax_fields(tx, event_id, item.get("tax_rule"), Decimal(price)),
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
    if not may_override and any(refused):
        raise positions.OverrideRefused({"positions": refused})
    return checked


def _quota_needs(
    tx: Transaction, event_id: int, item: dict, variation: dict | None, voucher: dict | None
) -> tuple[int, ...]:
    try:
        return positions.quota_needs(tx, event_id, item, variation, voucher)
    except ValidationFailed as failure:
        raise ValidationFailed.field("item", failure.detail[0]) from None


def _reserve(tx: Transaction, checked: list[dict], now: datetime) -> None:
    """Give each position its quota units in order; name every position that gets none, as pretix does."""
    free: dict[int, int | None] = {}
    errors: list[dict] = []
    for position in checked:
        error: dict[str, list[str]] = {}
        for quota_id in position["_quotas"]:
            if quota_id not in free:
                free[quota_id] = quotas.available_number(tx, tx.referenced("quotas", quota_id), now)
            remaining = free[quota_id]
            if remaining is not None:
                free[quota_id] = remaining - 1
                if remaining < 1 and not error:
                    error = {"item": [quotas.shortage_message(tx.referenced("quotas", quota_id))]}
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
                **tax_fields(tx, event_id, entry.get("tax_rule"), value),
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
        return unique_value(tx, "orders", "code", lambda: random_string(CODE_ALPHABET, 5))
    if not code or set(code) - GIVEN_CODE_ALPHABET:
        raise ValidationFailed.field("code", "Order codes may only contain A-Z and 0-9, without O and 1.")
    if tx.find_one("orders", code=code) is not None:
        raise ValidationFailed.field("code", "This order code is already in use.")
    return code


def create(tx: Transaction, scope: EventContext, data: dict, now: datetime, settings: OrderSettings) -> dict:
    """Create an order with its positions and fees in one transaction; return the stored order.

    Carts named in `consume_carts` are removed first, so the quota they held passes to the order without
    ever being free in between. Quota is checked as for carts unless `force`. Raises ValidationFailed, and
    OverrideRefused for `force`, a ticket secret, a price of the request's own or a negative fee unless
    `settings.may_override`.
    """
    event_id = scope.event_id
    event = scope.event
    assert event is not None  # event_id above raised otherwise
    if data.get("force") and not settings.may_override:
        raise positions.OverrideRefused(positions.refused_fields(["force"]))
    expire_overdue(tx, event_id, now)
    checked = _check_positions(tx, scope, data["positions"], now, settings.may_override)
    positions_total = sum((Decimal(p["price"]) for p in checked), Decimal(0))
    fees = _check_fees(tx, event_id, data.get("fees") or [], positions_total)
    if not settings.may_override and any(Decimal(fee["value"]) < 0 for fee in fees):
        # A negative fee is a discount the catalog does not give: it could bring any order down to nothing.
        raise positions.OverrideRefused(
            {"fees": [positions.refused_fields(["value"]) if Decimal(fee["value"]) < 0 else {} for fee in fees]}
        )
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
        stored = tx.referenced("vouchers", voucher)
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
            "invoice_address": invoice_address(data.get("invoice_address"), now),
            "require_approval": bool(data.get("require_approval")),
            "valid_if_pending": bool(data.get("valid_if_pending")),
            # As in pretix, a payment is made only for a provider given (or "free"): a pending order created
            # without one has none, and mark_paid makes a manual one.
            "payments": [
                {
                    "local_id": 1,
                    "state": "confirmed" if confirmed else "created",
                    "amount": positions.money(total),
                    "created": format_datetime(now),
                    "payment_date": payment_date if confirmed else None,
                    "provider": provider,
                    "payment_url": None,
                    "details": dict(data.get("payment_info") or {}),
                }
            ]
            if provider is not None
            else [],
            "refunds": [],
            "last_modified": format_datetime(now),
            "cancellation_date": None,
            **({"sold_by": settings.sold_by} if settings.sold_by is not None else {}),
        },
    )
    stored_ids: dict[int, int] = {}
    for position in checked:
        fields = {key: value for key, value in position.items() if not key.startswith("_")}
        addon_to = fields.pop("addon_to_positionid")
        fields["addon_to"] = stored_ids[addon_to] if addon_to else None
        # A secret an authorized client gave is kept as given; otherwise one is made as the event's setting says.
        fields["secret"] = fields["secret"] or ticket_secrets.new_secret(tx, event, fields, now)
        fields["pseudonymization_id"] = unique_value(
            tx,
            "orderpositions",
            "pseudonymization_id",
            lambda: random_string(string.ascii_uppercase + string.digits, 10),
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
