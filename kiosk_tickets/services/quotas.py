"""Quota accounting: how many units of a quota are used by orders, live carts and blocking vouchers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..store import Transaction


def _position_in_quota(quota: dict, item_has_variations: dict[int, bool], position: dict) -> bool:
    if position.get("item") not in quota["items"]:
        return False
    if item_has_variations.get(position["item"]):
        return position.get("variation") in quota["variations"]
    return True


def _voucher_blocks(quota: dict, voucher: dict, now: datetime) -> int:
    """Return how many units `voucher` holds in `quota` (0 if it does not block it)."""
    if not voucher.get("block_quota"):
        return 0
    valid_until = voucher.get("valid_until")
    if valid_until is not None and datetime.fromisoformat(valid_until) < now:
        return 0
    if voucher.get("quota") is not None:
        applies = voucher["quota"] == quota["id"]
    elif voucher.get("item") is not None:
        applies = voucher["item"] in quota["items"] and (
            voucher.get("variation") is None or voucher["variation"] in quota["variations"]
        )
    else:
        applies = False
    return max(0, voucher["max_usages"] - voucher.get("redeemed", 0)) if applies else 0


def quota_usage(tx: Transaction, quota: dict, now: datetime) -> dict[str, int]:
    """Return the units of `quota` used, by kind: paid and pending orders, live carts, blocking vouchers."""
    has_variations = {item_id: bool((tx.get("items", item_id) or {}).get("has_variations")) for item_id in quota["items"]}
    usage = {"paid_orders": 0, "pending_orders": 0, "exited_orders": 0, "cart_positions": 0, "blocking_vouchers": 0}
    for item_id in quota["items"]:
        for position in tx.find("orderpositions", item=item_id):
            if position.get("canceled") or not _position_in_quota(quota, has_variations, position):
                continue
            order = tx.get("orders", position["order"]) or {}
            if order.get("status") == "p":
                usage["paid_orders"] += 1
            elif order.get("status") == "n":
                usage["pending_orders"] += 1
        for position in tx.find("cartpositions", item=item_id):
            if datetime.fromisoformat(position["expires"]) > now and _position_in_quota(quota, has_variations, position):
                usage["cart_positions"] += 1
    for voucher in tx.find("vouchers", event=quota["event"], block_quota=True):
        usage["blocking_vouchers"] += _voucher_blocks(quota, voucher, now)
    return usage


def availability(tx: Transaction, quota: dict, now: datetime) -> dict[str, Any]:
    """Return the availability report of the quotas `availability/` endpoint."""
    usage = quota_usage(tx, quota, now)
    used = usage["paid_orders"] + usage["pending_orders"] + usage["cart_positions"] + usage["blocking_vouchers"]
    size = quota["size"]
    if quota.get("closed"):
        number: int | None = 0
    elif size is None:
        number = None
    else:
        number = max(0, size - used)
    return {
        "available": number is None or number > 0,
        "available_number": number,
        "total_size": size,
        "waiting_list": 0,
        **usage,
    }
