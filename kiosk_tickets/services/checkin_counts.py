"""Check-in counts that cost the same with 20 tickets as with 20,000: a view the store keeps current.

A ticket counts on a list by its event, product and order status; tickets alike in those are counted
together, so a list's counts add up a few groups instead of reading every ticket. Each ticket's successful
scans per list say whether it has come in and whether it is inside now.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from ..store import Doc, Transaction
from .common import OrderStatus

# How an order lets its tickets count: paid ones on every list, pending ones trusted to pay on every list,
# other pending ones only on lists that include pending orders; None: not at all (canceled, expired).
PAID, TRUSTED, PENDING = "paid", "trusted", "pending"
Group = tuple[int, int, int | None, str]  # event, item, variation, how the order lets it count
Scan = tuple[str, int, str]  # datetime, id, type


def _standing(order: Mapping[str, Any] | None) -> str | None:
    if order is None:
        return None
    if order["status"] == OrderStatus.PAID:
        return PAID
    if order["status"] == OrderStatus.PENDING:
        return TRUSTED if order.get("valid_if_pending") else PENDING
    return None


class CheckinCounts:
    """Tickets per group, and per list and group those that came in and those inside now."""

    def reset(self, tables: Mapping[str, Mapping[int, Doc]]) -> None:
        self.orders: dict[int, str | None] = {}
        self.positions: dict[int, tuple[int, int, int | None, int, bool]] = {}  # event, item, variation, order
        self.order_positions: dict[int, set[int]] = defaultdict(set)
        self.groups: Counter[Group] = Counter()
        self.event_groups: dict[int, set[Group]] = defaultdict(set)
        self.scans: dict[tuple[int, int], list[Scan]] = {}  # (list, position) → successful scans, in order
        self.position_lists: dict[int, set[int]] = defaultdict(set)
        self.came_in: Counter[tuple[int, Group]] = Counter()
        self.inside: Counter[tuple[int, Group]] = Counter()
        for table in ("orders", "orderpositions", "checkins"):
            for key, doc in tables.get(table, {}).items():
                self.changed(table, int(key), None, doc)

    # ------------------------------------------------------------------ following the store

    def changed(self, table: str, doc_id: int, old: Doc | None, new: Doc | None) -> None:
        if table == "orders":
            self._order(doc_id, new)
        elif table == "orderpositions":
            self._position(doc_id, new)
        elif table == "checkins":
            for doc, sign in ((old, -1), (new, 1)):
                if doc is not None and doc.get("successful") and doc.get("position") is not None:
                    self._scan(doc_id, doc, sign)

    def _group(self, position_id: int) -> Group | None:
        found = self.positions.get(position_id)
        if found is None:
            return None
        event, item, variation, order, canceled = found
        standing = None if canceled else self.orders.get(order)
        return None if standing is None else (event, item, variation, standing)

    def _count(self, position_id: int, sign: int) -> None:
        """Add (1) or take away (-1) the ticket's share of every count, under its current group."""
        group = self._group(position_id)
        if group is None:
            return
        self.groups[group] += sign
        self.event_groups[group[0]].add(group)
        for list_id in self.position_lists.get(position_id, ()):
            scans = self.scans.get((list_id, position_id)) or []
            if any(scan[2] == "entry" for scan in scans):
                self.came_in[(list_id, group)] += sign
            if scans and scans[-1][2] == "entry":
                self.inside[(list_id, group)] += sign

    def _order(self, order_id: int, new: Doc | None) -> None:
        held = list(self.order_positions.get(order_id, ()))
        for position_id in held:
            self._count(position_id, -1)
        if new is None:
            self.orders.pop(order_id, None)
        else:
            self.orders[order_id] = _standing(new)
        for position_id in held:
            self._count(position_id, 1)

    def _position(self, position_id: int, new: Doc | None) -> None:
        self._count(position_id, -1)
        previous = self.positions.pop(position_id, None)
        if previous is not None:
            self.order_positions[previous[3]].discard(position_id)
        if new is not None:
            self.positions[position_id] = (
                new["event"], new["item"], new.get("variation"), new["order"], bool(new.get("canceled"))
            )
            self.order_positions[new["order"]].add(position_id)
        self._count(position_id, 1)

    def _scan(self, scan_id: int, doc: Mapping[str, Any], sign: int) -> None:
        position_id, list_id = doc["position"], doc["list"]
        self._count(position_id, -1)
        scans = self.scans.setdefault((list_id, position_id), [])
        scan = (doc["datetime"], scan_id, doc["type"])
        if sign > 0:
            bisect.insort(scans, scan)
            self.position_lists[position_id].add(list_id)
        elif scan in scans:
            scans.remove(scan)
        self._count(position_id, 1)

    # ------------------------------------------------------------------ reading

    def counts(self, checkin_list: Mapping[str, Any]) -> dict[str, Any]:
        """Tickets on the list, those checked in, those inside now, by item and variation."""
        totals = {"position_count": 0, "checkin_count": 0, "inside_count": 0}
        per_product: dict[tuple[int, int | None], dict[str, int]] = {}
        for group in self.event_groups.get(checkin_list["event"], ()):
            _, item, variation, standing = group
            if not self.groups[group]:
                continue
            if standing == PENDING and not checkin_list["include_pending"]:
                continue
            if not checkin_list["all_products"] and item not in checkin_list["limit_products"]:
                continue
            came_in = self.came_in[(checkin_list["id"], group)]
            counts = per_product.setdefault((item, variation), {"position_count": 0, "checkin_count": 0})
            counts["position_count"] += self.groups[group]
            counts["checkin_count"] += came_in
            totals["position_count"] += self.groups[group]
            totals["checkin_count"] += came_in
            totals["inside_count"] += self.inside[(checkin_list["id"], group)]
        return {**totals, "per_product": per_product}


def counts_of(tx: Transaction) -> CheckinCounts:
    return tx.derived("checkin_counts", CheckinCounts)
