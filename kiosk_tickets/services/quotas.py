"""Quota accounting: units used by orders, live carts and blocking vouchers, and reserving units safely.

Counting is done by `QuotaLedger`, a view the store keeps current as documents change, so a quota check
costs as much as the quota's list of products, not as much as the number of tickets sold.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sortedcontainers import SortedList

from ..errors import ValidationFailed
from ..isotime import parse_datetime
from ..store import Doc, FrozenTable, Transaction
from .common import OrderStatus

# Order statuses whose positions hold quota: pending and paid.
HOLDING_STATUSES = (OrderStatus.PENDING, OrderStatus.PAID)

Key = tuple[int, int | None]  # (item, variation)


def _timestamp(text: str) -> float:
    return parse_datetime(text).timestamp()


def _key(position: Mapping[str, Any]) -> Key:
    return (position["item"], position.get("variation"))


# The fields of orders and order positions the counts depend on.
_ORDER_FIELDS = ("status", "expires", "require_approval", "event")
_POSITION_FIELDS = ("order", "item", "variation", "canceled")


def _fields(doc: Doc | None, names: tuple[str, ...]) -> list[Any] | None:
    return None if doc is None else [doc.get(name) for name in names]


def _deadline(expires: str | None, require_approval: bool | None) -> float:
    """When a pending order stops holding quota; an order waiting for approval does not expire."""
    if expires and not require_approval:
        return _timestamp(expires)
    return math.inf


class QuotaLedger:
    """Units per (item, variation): paid positions, pending ones by payment deadline, live carts by expiry,
    vouchers that block. Deadlines are kept sorted, so what ran out stops counting at its time, unwritten.
    Sorted lists of their own (not a list kept sorted) make an insert cost the same with 100,000 carts."""

    def reset(self, tables: Mapping[str, FrozenTable]) -> None:
        # Per order, one flat tuple: its state, then the id and key of each position that can hold quota
        # (`state, id, key, id, key, ...`). The state is (status, deadline), the deadline being when a pending
        # order no longer holds quota, or None while only positions of the order are known. With 100,000
        # positions this is most of the ledger's memory: one tuple per order and one key object per product
        # (`_keys`) take 7 MiB where a state, a list of positions per order and a dict of keys per position
        # took 15, and a dict per order holding a key per position 19.
        self.orders: dict[int, tuple[Any, ...]] = {}
        self._keys: dict[Key, Key] = {}
        self._states: dict[str, tuple[str, float]] = {}
        self.paid: Counter[Key] = Counter()
        self.pending: dict[Key, SortedList] = defaultdict(SortedList)
        # Pending orders per event by deadline, so overdue ones are found without a scan.
        self.pending_orders: dict[int, SortedList] = defaultdict(SortedList)
        # Carts without a voucher: sorted (expires, id) per key. Carts with one are few and checked one by one.
        self.carts: dict[Key, SortedList] = defaultdict(SortedList)
        self.voucher_carts: dict[int, dict[int, tuple[Key, float]]] = defaultdict(dict)
        self.event_carts: dict[int, SortedList] = defaultdict(SortedList)
        self.blocking_vouchers: dict[int, Doc] = {}
        # What `changed` does for each document as it arrives, with the fields of orders and positions read
        # a table at a time: a start-up with 100,000 order positions spends this once.
        if "orders" in tables:
            for order_id, *fields in tables["orders"].rows(*_ORDER_FIELDS):
                self._order(order_id, None, fields)
        if "orderpositions" in tables:
            for position_id, *fields in tables["orderpositions"].rows(*_POSITION_FIELDS):
                self._order_position(position_id, fields, remove=False)
        for cart_id, cart in tables.get("cartpositions", {}).items():
            self._cart(cart_id, cart, remove=False)
        for voucher_id, voucher in tables.get("vouchers", {}).items():
            self.changed("vouchers", voucher_id, None, voucher)

    def changed(self, table: str, doc_id: int, old: Doc | None, new: Doc | None) -> None:
        if table == "orderpositions":
            self._order_position(doc_id, _fields(old, _POSITION_FIELDS), remove=True)
            self._order_position(doc_id, _fields(new, _POSITION_FIELDS), remove=False)
        elif table == "orders":
            self._order(doc_id, _fields(old, _ORDER_FIELDS), _fields(new, _ORDER_FIELDS))
        elif table == "cartpositions":
            self._cart(doc_id, old, remove=True)
            self._cart(doc_id, new, remove=False)
        elif table == "vouchers":
            self.blocking_vouchers.pop(doc_id, None)
            if new is not None and new.get("block_quota"):
                self.blocking_vouchers[doc_id] = new

    def _hold(self, state: tuple[str, float] | None, position_id: int, key: Key, remove: bool) -> None:
        """Add or take away one position's unit under its order's state (None: the order is not known)."""
        if state is None:
            return
        status, deadline = state
        if status == OrderStatus.PAID:
            self.paid[key] += -1 if remove else 1
        elif status == OrderStatus.PENDING:
            _sorted_change(self.pending[key], (deadline, position_id), remove)

    def _order_position(self, doc_id: int, fields: list[Any] | None, remove: bool) -> None:
        """Follow a position given by its `_POSITION_FIELDS` (None: there is none)."""
        if fields is None:
            return
        order_id, item, variation, canceled = fields
        if canceled:
            return
        key = self._keys.setdefault((item, variation), (item, variation))
        entry = self.orders.get(order_id)
        state = entry[0] if entry is not None else None
        if remove:
            if entry is not None:
                held = entry[1::2]
                if doc_id in held:
                    at = 1 + 2 * held.index(doc_id)
                    rest = entry[:at] + entry[at + 2 :]
                    if len(rest) > 1 or state is not None:
                        self.orders[order_id] = rest
                    else:
                        del self.orders[order_id]
        else:
            # A change takes the position out under its old fields first, so it is never in the entry twice.
            self.orders[order_id] = (None, doc_id, key) if entry is None else entry + (doc_id, key)
        self._hold(state, doc_id, key, remove)

    def _order(self, order_id: int, old: list[Any] | None, order: list[Any] | None) -> None:
        """Follow an order given by its `_ORDER_FIELDS` (None: there is none), before and after a change."""
        entry = self.orders.get(order_id)
        held: tuple[Any, ...] = ()  # position id, key, position id, key, ...
        if entry is not None:
            held = entry[1:]
            self._hold_all(entry[0], held, remove=True)
        state = None  # the order's (status, deadline) after the change
        for fields, remove in ((old, True), (order, False)):
            if fields is not None:
                status, expires, require_approval, event = fields
                # Only a pending order's deadline counts; the states without one are shared.
                deadline = _deadline(expires, require_approval) if status == OrderStatus.PENDING else math.inf
                if deadline < math.inf:
                    state = (status, deadline)
                    _sorted_change(self.pending_orders[event], (deadline, order_id), remove)
                else:
                    state = self._states.setdefault(status, (status, deadline))
        if order is None or state is None:
            # Its positions are still followed, for when they go or the order comes back.
            if held:
                self.orders[order_id] = (None, *held)
            else:
                self.orders.pop(order_id, None)
            return
        self.orders[order_id] = (state, *held)
        self._hold_all(state, held, remove=False)

    def _hold_all(self, state: tuple[str, float] | None, held: tuple[Any, ...], remove: bool) -> None:
        """`_hold` for each of an order's positions, given as `position id, key, position id, key, ...`."""
        for at in range(0, len(held), 2):
            self._hold(state, held[at], held[at + 1], remove)

    def _cart(self, doc_id: int, cart: Doc | None, remove: bool) -> None:
        if cart is None:
            return
        entry = (_timestamp(cart["expires"]), doc_id)
        by_event = self.event_carts[cart["event"]]
        if cart.get("voucher") is not None:
            holder = self.voucher_carts[cart["voucher"]]
            if remove:
                holder.pop(doc_id, None)
            else:
                holder[doc_id] = (_key(cart), entry[0])
        else:
            _sorted_change(self.carts[_key(cart)], entry, remove)
        _sorted_change(by_event, entry, remove)

    # ------------------------------------------------------------------ queries

    def pending_units(self, key: Key, now: float) -> int:
        """Pending positions whose order's deadline has not passed (at the deadline itself it still holds)."""
        entries = self.pending.get(key)
        return len(entries) - entries.bisect_left((now, -math.inf)) if entries else 0

    def live_carts(self, key: Key, now: float) -> int:
        entries = self.carts.get(key)
        return len(entries) - entries.bisect_right((now, math.inf)) if entries else 0

    def live_voucher_carts(self, voucher_id: int, now: float) -> int:
        return sum(1 for _, expires in self.voucher_carts.get(voucher_id, {}).values() if expires > now)

    def overdue_orders(self, event_id: int, now: float) -> list[int]:
        """Pending orders whose deadline has passed."""
        entries = self.pending_orders.get(event_id)
        if not entries:
            return []
        return [doc_id for _, doc_id in entries.irange(maximum=(now, -math.inf), inclusive=(True, False))]

    def expired_carts(self, event_id: int, now: float) -> list[int]:
        entries = self.event_carts.get(event_id)
        # The earliest expiry first: at nearly every sale nothing has run out, which it tells without a range.
        if not entries or entries[0][0] > now:
            return []
        return [doc_id for _, doc_id in entries.irange(maximum=(now, math.inf))]


def _sorted_change(entries: SortedList, entry: tuple[float, int], remove: bool) -> None:
    if remove:
        entries.discard(entry)
    else:
        entries.add(entry)


def ledger(tx: Transaction) -> QuotaLedger:
    return tx.derived("quota_ledger", QuotaLedger)


def quota_keys(tx: Transaction, quota: Doc) -> list[Key]:
    """The (item, variation) pairs whose positions draw from `quota`."""
    keys: list[Key] = []
    variations = set(quota["variations"])
    for item_id in quota["items"]:
        item = tx.peek("items", item_id)
        if item is None:
            continue
        if item.get("has_variations"):
            keys.extend((item_id, v) for v in tx.ids("variations", item=item_id) if v in variations)
        else:
            keys.append((item_id, None))
    return keys


def _voucher_expired(voucher: Doc, now: datetime) -> bool:
    valid_until = voucher.get("valid_until")
    return valid_until is not None and parse_datetime(valid_until) < now


def voucher_blocks(quota: Doc, keys: Iterable[Key], voucher: Doc, now: datetime) -> int:
    """Return how many units of `quota` a voucher that blocks quota holds (0 if it holds none there)."""
    if _voucher_expired(voucher, now):
        return 0
    if voucher.get("quota") is not None:
        applies = voucher["quota"] == quota["id"]
    elif voucher.get("item") is not None:
        applies = any(
            item == voucher["item"] and (voucher.get("variation") is None or variation == voucher["variation"])
            for item, variation in keys
        )
    else:
        applies = False
    return max(0, voucher["max_usages"] - voucher.get("redeemed", 0)) if applies else 0


def quota_usage(tx: Transaction, quota: Doc, now: datetime, exclude_voucher: int | None = None) -> dict[str, int]:
    """Return the units of `quota` in use, by kind: paid and pending orders, live carts, blocking vouchers.

    Carts holding a voucher that blocks quota are not counted while it is valid: the voucher holds their unit.
    """
    book = ledger(tx)
    moment = now.timestamp()
    keys = quota_keys(tx, quota)
    key_set = set(keys)
    usage = {"paid_orders": 0, "pending_orders": 0, "exited_orders": 0, "cart_positions": 0, "blocking_vouchers": 0}
    for key in keys:
        usage["paid_orders"] += book.paid[key]
        usage["pending_orders"] += book.pending_units(key, moment)
        usage["cart_positions"] += book.live_carts(key, moment)
    for voucher_id, carts in book.voucher_carts.items():
        blocking = book.blocking_vouchers.get(voucher_id)
        # A blocking voucher holds its carts' units only while it is valid; after that they count as carts.
        if blocking is not None and not _voucher_expired(blocking, now):
            continue
        usage["cart_positions"] += sum(1 for key, expires in carts.values() if key in key_set and expires > moment)
    for voucher_id, voucher in book.blocking_vouchers.items():
        if voucher_id != exclude_voucher and voucher.get("event") == quota["event"]:
            usage["blocking_vouchers"] += voucher_blocks(quota, keys, voucher, now)
    return usage


def available_number(tx: Transaction, quota: Doc, now: datetime, exclude_voucher: int | None = None) -> int | None:
    """Return how many more units `quota` can give (None: unlimited)."""
    if quota.get("closed"):
        return 0
    if quota["size"] is None:
        return None
    usage = quota_usage(tx, quota, now, exclude_voucher)
    used = usage["paid_orders"] + usage["pending_orders"] + usage["cart_positions"] + usage["blocking_vouchers"]
    return max(0, quota["size"] - used)


def availability(tx: Transaction, quota: dict, now: datetime) -> dict[str, Any]:
    """Return the availability report of the quotas `availability/` endpoint."""
    number = available_number(tx, quota, now)
    return {
        "available": number is None or number > 0,
        "available_number": number,
        "total_size": quota["size"],
        "waiting_list": 0,
        **quota_usage(tx, quota, now),
    }


def shortage_message(quota: Doc) -> str:
    return f'There is not enough quota available on quota "{quota["name"]}" to perform the operation.'


def _holds_variation(quota: Doc, variation_id: int | None) -> bool:
    """Whether a position of one of the quota's items, in this variation (or none), needs a unit of it."""
    return variation_id is None or variation_id in quota["variations"]


def quotas_for(tx: Transaction, event_id: int, item_id: int, variation_id: int | None) -> list[dict]:
    """Return the quotas a position of this item (and variation) needs a unit of."""
    found = tx.find("quotas", event=event_id, items=item_id)
    return [quota for quota in found if _holds_variation(quota, variation_id)]


def quota_ids_for(tx: Transaction, event_id: int, item_id: int, variation_id: int | None) -> tuple[int, ...]:
    """The ids of the quotas `quotas_for` returns, read from the stored quotas without copying them."""
    return tuple(
        quota["id"]
        for quota in tx.scan("quotas", event=event_id, items=item_id)
        if _holds_variation(quota, variation_id)
    )


def reserve(tx: Transaction, needs: Mapping[int, int], now: datetime) -> None:
    """Raise ValidationFailed (a list holding pretix's message) unless every quota (id → units needed)
    has that many units free. Call it in the transaction that then writes the positions, so the check and
    the write are one step.
    """
    for quota_id, units in sorted(needs.items()):
        quota = tx.peek_referenced("quotas", quota_id)
        number = available_number(tx, quota, now)
        if number is not None and number < units:
            raise ValidationFailed(shortage_message(quota))
