"""Figures of an event for its organizer: sales, payments, cashiers, cancellations, quotas, check-ins and orders
over time, for one day (in the event's time zone) or the whole event.

A day holds what happened on it: the orders placed that day (sales), the payments received that day, the
cancellations made that day, the check-ins of that day. Money is counted in Decimal and handed out as
strings with two decimals.

The cashier of an order is the token that sold it at the till (`sold_by`); orders made otherwise (through the
API) are counted under "not sold at the till". A cashier's expected cash is the cash received that day for
the orders they sold, less the cash of those orders canceled that day (canceling does not pay anything back
by itself: the staff hand the money back from the drawer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..isotime import parse_datetime
from ..store import Transaction
from .common import OrderStatus, i18n_text
from .positions import money, product_name
from .quotas import availability

ZERO = Decimal(0)
QUARTER_HOUR = timedelta(minutes=15)


@dataclass(frozen=True)
class Period:
    """What the figures cover: one day of the event's time zone, or everything (`day` None)."""

    day: date | None
    zone: ZoneInfo

    def holds(self, moment: str | datetime | None) -> bool:
        if not moment:
            return False
        if self.day is None:
            return True
        return _local(moment, self.zone).date() == self.day


@dataclass
class ProductSales:
    product: str
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class MethodTotal:
    provider: str
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class CashierTotal:
    """What one cashier (a token; None for orders not sold at the till) sold and took in."""

    token: int | None
    name: str
    orders: int = 0
    sold: Decimal = ZERO
    cash_in: Decimal = ZERO
    card_in: Decimal = ZERO
    cash_back: Decimal = ZERO

    @property
    def expected_cash(self) -> Decimal:
        return self.cash_in - self.cash_back


@dataclass
class Cancellation:
    """A canceled order, or a canceled position of an order that stays."""

    order: str
    what: str  # "order" or the product of the canceled position
    amount: Decimal
    paid: Decimal  # what had been received for it (an order only)
    provider: str
    cashier: str
    when: datetime | None


@dataclass
class QuotaLeft:
    name: str
    size: int | None
    left: int | None


@dataclass
class Bucket:
    """A count in a span of time starting at `start` (in the event's time zone)."""

    start: datetime
    count: int


@dataclass
class Figures:
    """Everything the overview and the close-the-day report show for one period."""

    event: str
    currency: str
    day: date | None
    zone: str
    products: list[ProductSales] = field(default_factory=list)
    methods: list[MethodTotal] = field(default_factory=list)
    cashiers: list[CashierTotal] = field(default_factory=list)
    cancellations: list[Cancellation] = field(default_factory=list)
    orders_placed: int = 0
    tickets_sold: int = 0
    sales_total: Decimal = ZERO
    received_total: Decimal = ZERO
    canceled_total: Decimal = ZERO

    @property
    def expected_cash(self) -> Decimal:
        return sum((c.expected_cash for c in self.cashiers), ZERO)


# ---------------------------------------------------------------------------------------------- time


def zone_of(event: Mapping[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(event.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(moment: str | datetime, zone: ZoneInfo) -> datetime:
    return (parse_datetime(moment) if isinstance(moment, str) else moment).astimezone(zone)


def local_day(event: Mapping[str, Any], now: datetime) -> date:
    """The day `now` falls on in the event's time zone."""
    return now.astimezone(zone_of(event)).date()


def period(event: Mapping[str, Any], day: date | None) -> Period:
    return Period(day, zone_of(event))


# ---------------------------------------------------------------------------------------------- lookups


def _orders(tx: Transaction, event: Mapping[str, Any]) -> list[dict]:
    return sorted(tx.find("orders", event=event["id"]), key=lambda o: (o["datetime"], o["id"]))


def _names(tx: Transaction, table: str, render: Callable[[dict], str]) -> Callable[[int], str]:
    cache: dict[int, str] = {}

    def name(doc_id: int) -> str:
        if doc_id not in cache:
            doc = tx.get(table, doc_id)
            cache[doc_id] = render(doc) if doc is not None else f"#{doc_id}"
        return cache[doc_id]

    return name


def cashier_name(tx: Transaction, token: int | None) -> str:
    if token is None:
        return "Not sold at the till"
    record = tx.get("api_tokens", token)
    if record is None:
        return f"Token {token}"
    return record.get("name") or f"Token {token}"


def _product_of(tx: Transaction) -> Callable[[Mapping[str, Any]], str]:
    items = _names(tx, "items", lambda item: product_name(item))
    variations = _names(tx, "variations", lambda variation: i18n_text(variation["value"]))

    def product(position: Mapping[str, Any]) -> str:
        name = items(position["item"])
        return f"{name} – {variations(position['variation'])}" if position.get("variation") else name

    return product


def _confirmed(order: Mapping[str, Any], provider: str | None = None) -> list[dict]:
    return [
        p for p in order["payments"]
        if p["state"] in ("confirmed", "refunded") and (provider is None or p["provider"] == provider)
    ]


def _sum(values: Any) -> Decimal:
    return sum((Decimal(v) for v in values), ZERO)


# ---------------------------------------------------------------------------------------------- figures


def figures(tx: Transaction, event: Mapping[str, Any], day: date | None) -> Figures:
    """Sales, payments, cashiers and cancellations of `event` on `day` (None: the whole event)."""
    span = period(event, day)
    product_of = _product_of(tx)
    result = Figures(event=i18n_text(event.get("name")), currency=event["currency"], day=day, zone=span.zone.key)
    products: dict[str, ProductSales] = {}
    methods: dict[str, MethodTotal] = {}
    cashiers: dict[int | None, CashierTotal] = {}

    def cashier(token: int | None) -> CashierTotal:
        if token not in cashiers:
            cashiers[token] = CashierTotal(token, cashier_name(tx, token))
        return cashiers[token]

    for order in _orders(tx, event):
        positions = sorted(tx.find("orderpositions", order=order["id"]), key=lambda p: p["positionid"])
        seller = order.get("sold_by")
        # Sales: orders placed in the period that are paid (canceled positions of a paid order do not count).
        if span.holds(order["datetime"]) and order["status"] == OrderStatus.PAID:
            result.orders_placed += 1
            counted = cashier(seller)
            counted.orders += 1
            counted.sold += Decimal(order["total"])
            result.sales_total += Decimal(order["total"])
            for position in positions:
                if position["canceled"]:
                    continue
                line = products.setdefault(product_of(position), ProductSales(product_of(position)))
                line.count += 1
                line.amount += Decimal(position["price"])
                result.tickets_sold += 1
        # Payments received in the period, by provider and by cashier.
        for payment in _confirmed(order):
            if not span.holds(payment.get("payment_date")):
                continue
            amount = Decimal(payment["amount"])
            method = methods.setdefault(payment["provider"], MethodTotal(payment["provider"]))
            method.count += 1
            method.amount += amount
            result.received_total += amount
            if payment["provider"] == "cash":
                cashier(seller).cash_in += amount
            elif payment["provider"] == "card":
                cashier(seller).card_in += amount
        # Cancellations made in the period.
        canceled_at = order.get("cancellation_date")
        if order["status"] == OrderStatus.CANCELED and span.holds(canceled_at):
            paid = _sum(p["amount"] for p in _confirmed(order))
            cash = _sum(p["amount"] for p in _confirmed(order, "cash"))
            if cash:
                cashier(seller).cash_back += cash
            result.cancellations.append(
                Cancellation(
                    order=order["code"],
                    what="Whole order",
                    amount=_sum(p["price"] for p in positions),
                    paid=paid,
                    provider=", ".join(sorted({p["provider"] for p in _confirmed(order)})),
                    cashier=cashier_name(tx, seller),
                    when=_local(str(canceled_at), span.zone),
                )
            )
        elif order["status"] != OrderStatus.CANCELED:
            moment = canceled_at or order.get("last_modified")
            if span.holds(moment):
                for position in positions:
                    if position["canceled"]:
                        result.cancellations.append(
                            Cancellation(
                                order=order["code"],
                                what=product_of(position),
                                amount=Decimal(position["price"]),
                                paid=ZERO,
                                provider="",
                                cashier=cashier_name(tx, seller),
                                when=_local(str(moment), span.zone) if moment else None,
                            )
                        )
    result.canceled_total = sum((c.amount for c in result.cancellations), ZERO)
    result.products = sorted(products.values(), key=lambda p: (-p.amount, p.product))
    result.methods = sorted(methods.values(), key=lambda m: (-m.amount, m.provider))
    result.cashiers = sorted(cashiers.values(), key=lambda c: (c.token is None, c.name.lower(), c.token or 0))
    return result


def quotas_left(tx: Transaction, event: Mapping[str, Any], now: datetime) -> list[QuotaLeft]:
    """Each quota of the event with its size and what is still for sale at `now` (None: no limit)."""
    found = sorted(tx.find("quotas", event=event["id"]), key=lambda q: (q["name"], q["id"]))
    shown = []
    for quota in found:
        report = availability(tx, quota, now)
        shown.append(QuotaLeft(quota["name"], quota["size"], report["available_number"]))
    return shown


def _counts(moments: list[datetime], start: datetime, step: timedelta, steps: int) -> list[Bucket]:
    counts = [0] * steps
    for moment in moments:
        index = int((moment - start) / step)
        if 0 <= index < steps:
            counts[index] += 1
    return [Bucket(start + step * index, count) for index, count in enumerate(counts)]


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _trim(buckets: list[Bucket], keep: int) -> list[Bucket]:
    """The buckets from the first to the last that holds anything, widened (later first) to at least `keep`."""
    used = [i for i, bucket in enumerate(buckets) if bucket.count]
    if not used:
        return []
    first, last = used[0], used[-1]
    last = min(max(last, first + keep - 1), len(buckets) - 1)
    first = max(min(first, last - keep + 1), 0)
    return buckets[first : last + 1]


def checkins_per_quarter_hour(tx: Transaction, event: Mapping[str, Any], day: date) -> list[Bucket]:
    """Successful entries of `day` per 15 minutes (local time), from the first busy quarter to the last."""
    zone = zone_of(event)
    lists = {c["id"] for c in tx.find("checkinlists", event=event["id"])}
    moments = [
        _local(c["datetime"], zone)
        for checkin_list in lists
        for c in tx.find("checkins", list=checkin_list)
        if c.get("successful", True) and c.get("type", "entry") == "entry"
    ]
    return _trim(_counts(moments, _day_start(day, zone), QUARTER_HOUR, 96), keep=8)


def orders_per_hour(tx: Transaction, event: Mapping[str, Any], day: date) -> list[Bucket]:
    """Orders placed on `day` per hour (local time), every status counted, from the first busy hour to the
    last."""
    zone = zone_of(event)
    moments = [_local(o["datetime"], zone) for o in _orders(tx, event)]
    return _trim(_counts(moments, _day_start(day, zone), timedelta(hours=1), 24), keep=6)


def amount(value: Decimal) -> str:
    """Money as the reports print it: two decimals."""
    return money(value)
