"""Allotments of a central's quotas held by this box, and the record of what a push has uploaded.

An allotment is a voucher on the central that blocks `units` of one of its quotas for this box. The box's
copy of that quota then has room for exactly those units beside what the central's own orders (pulled
here) already take: size = units + units of the central's orders in it. Online sales on the central can
never take the voucher's units, and the box can never sell more than them. A quota of the central that
the box holds no allotment of has no room here at all (size = the central's orders in it): whatever the
box sold of it, the central could sell online at the same time. A quota without a size stays without.

The push record (table `push_records`) holds one document per thing to upload (an order, a check-in, a
cancellation) once a push has tried it: pushed, failed (retried next time, with the same idempotency key)
or refused (the central answered 400; reported on every push, and retried under a new key, since the
central replays the first answer for a key it has seen).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import Conflict
from ..isotime import format_datetime
from ..store import Transaction
from . import quotas, sync
from .quotas import Key
from .sync import LOCAL_IDS_FROM

ALLOTMENTS_TABLE = "allotments"
PUSH_TABLE = "push_records"

# What a push uploads, in the order it uploads them: check-ins need their order, cancellations come last.
ORDER, CHECKIN, CANCEL = "order", "checkin", "cancel"
PUSHED, FAILED, REFUSED = "pushed", "failed", "refused"


class AllotmentRefused(Conflict):
    """The allotment cannot be made or changed as asked; nothing was changed."""


def made_here(tx: Transaction, order: Mapping[str, Any]) -> bool:
    """Whether the order is one of this box's own sales (its tickets have ids of this box's range)."""
    return any(doc_id >= LOCAL_IDS_FROM for doc_id in tx.ids("orderpositions", order=order["id"]))


def central_quota(tx: Transaction, event_id: int, quota_id: int) -> dict:
    """Return the pulled quota `quota_id` of the event; raise AllotmentRefused if the central has none such."""
    quota = tx.get("quotas", quota_id)
    if quota is None or quota["event"] != event_id or quota_id >= LOCAL_IDS_FROM:
        raise AllotmentRefused(f"the event has no quota {quota_id} pulled from the central; pull first.")
    return quota


def _live_units(tx: Transaction, orders: Iterable[Mapping[str, Any]], own: bool) -> Counter[Key]:
    """Units the live ones of `orders` take, by (item, variation): those sold here (`own`) or the central's."""
    units: Counter[Key] = Counter()
    for order in orders:
        if order["status"] not in ("n", "p"):
            continue
        for position in tx.find("orderpositions", order=order["id"]):
            if not position.get("canceled") and (position["id"] >= LOCAL_IDS_FROM) == own:
                units[(position["item"], position.get("variation"))] += 1
    return units


def _in_quota(tx: Transaction, quota: Mapping[str, Any], units: Counter[Key]) -> int:
    """The part of `units` (by product) that draws from `quota`."""
    return sum(units[key] for key in set(quotas.quota_keys(tx, quota)))


def _units_in(tx: Transaction, quota: Mapping[str, Any], own: bool) -> int:
    """Units of the quota that live orders take: those sold here (`own`) or those that came from the central."""
    return _in_quota(tx, quota, _live_units(tx, tx.find("orders", event=quota["event"]), own))


def central_units(tx: Transaction, codes: Iterable[str]) -> Counter[Key]:
    """The central's live units, by product, of the orders with these codes as the store holds them now."""
    return _live_units(tx, [order for code in codes if (order := tx.find_one("orders", code=code))], own=False)


def box_units(tx: Transaction, quota: Mapping[str, Any]) -> int:
    """Units of the quota this box has sold (pushed or not) and not canceled: the least an allotment may be."""
    return _units_in(tx, quota, own=True)


def allotment_of(tx: Transaction, event_id: int, quota_id: int) -> dict | None:
    """Return the box's allotment of the quota, or None."""
    return tx.find_one(ALLOTMENTS_TABLE, event=event_id, quota=quota_id)


def check_units(tx: Transaction, quota: Mapping[str, Any], units: int) -> None:
    """Raise AllotmentRefused if `units` is less than what the box has already sold of the quota."""
    sold = box_units(tx, quota)
    if units < sold:
        raise AllotmentRefused(
            f"the box has already sold {sold} unit(s) of quota {quota['id']}, so its allotment cannot be {units}."
        )


def record(tx: Transaction, quota: Mapping[str, Any], voucher: Mapping[str, Any], units: int, box: str) -> dict:
    """Keep the allotment (the central's voucher id and code) and make the local quota's size follow it."""
    existing = allotment_of(tx, quota["event"], quota["id"])
    fields = {
        "event": quota["event"],
        "quota": quota["id"],
        "voucher": voucher["id"],
        "voucher_code": voucher["code"],
        "units": units,
        "box": box,
    }
    if existing is None:
        stored = tx.insert(ALLOTMENTS_TABLE, fields)
    else:
        stored = tx.put(ALLOTMENTS_TABLE, existing["id"], {**existing, **fields})
    apply_sizes(tx, quota["event"])
    return stored


def forget(tx: Transaction, allotment: Mapping[str, Any]) -> None:
    """Remove an allotment whose voucher the central refused to create: the quota has no room here again."""
    tx.delete(ALLOTMENTS_TABLE, allotment["id"])
    apply_sizes(tx, allotment["event"])


def apply_sizes(tx: Transaction, event_id: int) -> None:
    """Size each quota pulled from the central as its allotment (none: 0) plus what the central's orders take of it.

    Called after every write that changes either: an allotment, and each pull (which brings the central's
    size and orders back). The central's own size is kept beside it (`central_size`): a pull writes the
    quota as the central has it, and the first sizing after that remembers the central's figure.
    """
    units = {doc["quota"]: doc["units"] for doc in tx.find(ALLOTMENTS_TABLE, event=event_id)}
    central = _live_units(tx, tx.find("orders", event=event_id), own=False)
    for quota_id in tx.ids("quotas", event=event_id):
        quota = tx.get("quotas", quota_id)
        if quota is None or quota_id >= LOCAL_IDS_FROM:
            continue
        central_size = quota.get("central_size", quota["size"])
        size = None if central_size is None else units.get(quota_id, 0) + _in_quota(tx, quota, central)
        if (quota["size"], quota.get("central_size", ...)) != (size, central_size):
            tx.update("quotas", quota_id, {"size": size, "central_size": central_size})


def shift_sizes(tx: Transaction, event_id: int, before: Counter[Key], after: Counter[Key]) -> None:
    """Move the size of each quota `apply_sizes` sized by what a write of some of the central's orders changed:
    their `central_units` before and after it. What `apply_sizes` would give, at the cost of those orders
    alone, so a pull's pages of orders do not each count every order of the event."""
    gained = Counter(after)
    gained.subtract(before)  # keeps the losses, which `after - before` would drop
    for quota_id in tx.ids("quotas", event=event_id):
        quota = tx.get("quotas", quota_id)
        if quota is None or quota_id >= LOCAL_IDS_FROM or quota["size"] is None or "central_size" not in quota:
            continue
        shift = _in_quota(tx, quota, gained)
        if shift:
            tx.update("quotas", quota_id, {"size": quota["size"] + shift})


def voucher_code_for(tx: Transaction, event_id: int, position: Mapping[str, Any]) -> str | None:
    """The allotment voucher's code for a position of an allotted quota, or None."""
    for allotment in tx.find(ALLOTMENTS_TABLE, event=event_id):
        quota = tx.get("quotas", allotment["quota"])
        if quota is not None and (position["item"], position.get("variation")) in quotas.quota_keys(tx, quota):
            return str(allotment["voucher_code"])
    return None


def record_of(tx: Transaction, event_id: int, kind: str, ref: str) -> dict | None:
    """Return the push record of one thing to upload, or None if no push has tried it."""
    return tx.find_one(PUSH_TABLE, event=event_id, kind=kind, ref=ref)


def attempt_of(tx: Transaction, event_id: int, kind: str, ref: str) -> int:
    """The attempt number the next upload uses in its idempotency key: a new one only after a refusal."""
    found = record_of(tx, event_id, kind, ref)
    if found is None:
        return 1
    return int(found["attempt"]) + (1 if found["state"] == REFUSED else 0)


def note(
    tx: Transaction,
    event_id: int,
    kind: str,
    ref: str,
    state: str,
    attempt: int,
    now: datetime,
    error: str | None = None,
    central: Any = None,
) -> dict:
    """Record the outcome of one upload; return the record."""
    existing = record_of(tx, event_id, kind, ref)
    fields = {
        "event": event_id,
        "kind": kind,
        "ref": ref,
        "state": state,
        "attempt": attempt,
        "error": error,
        "central": central if central is not None else (existing or {}).get("central"),
        "at": format_datetime(now),
    }
    return tx.insert(PUSH_TABLE, fields) if existing is None else tx.put(PUSH_TABLE, existing["id"], fields)


def is_pushed(tx: Transaction, event_id: int, kind: str, ref: str) -> bool:
    found = record_of(tx, event_id, kind, ref)
    return found is not None and found["state"] == PUSHED


def pushed_order_codes(tx: Transaction, event_id: int) -> set[str]:
    """Codes of the box's orders the central now holds: a pull keeps the box's own copy of them."""
    return {doc["ref"] for doc in tx.find(PUSH_TABLE, event=event_id, kind=ORDER) if doc["state"] == PUSHED}


def waiting_orders(tx: Transaction, event_id: int) -> list[dict]:
    """The box's own orders not yet in the central, oldest first.

    An order canceled here before any upload holds nothing the central must know, and is skipped; unless an
    upload of it failed without an answer: the central may hold it then, so it is sent again under the same
    key (which creates nothing new if it does) and canceled after.
    """
    waiting = []
    for order in tx.find("orders", event=event_id):
        found = record_of(tx, event_id, ORDER, order["code"])
        if not made_here(tx, order) or (found is not None and found["state"] == PUSHED):
            continue
        if order["status"] == "c" and (found is None or found["state"] != FAILED):
            continue
        waiting.append(order)
    return sorted(waiting, key=lambda order: order["id"])


def waiting_checkins(tx: Transaction, event_id: int, ready_only: bool = True) -> list[tuple[dict, dict]]:
    """The successful scans made here (with their ticket) not uploaded yet, oldest first: by default those whose
    ticket the central holds (a scan is uploaded after its order); all of them with `ready_only` False."""
    pushed = pushed_order_codes(tx, event_id)
    waiting = []
    for checkin in sorted(tx.find("checkins", event=event_id), key=lambda doc: doc["id"]):
        if checkin["id"] < LOCAL_IDS_FROM or not checkin.get("successful") or checkin.get("position") is None:
            continue
        if is_pushed(tx, event_id, CHECKIN, str(checkin["id"])):
            continue
        position = tx.get("orderpositions", checkin["position"])
        if position is None:
            continue
        order = tx.referenced("orders", position["order"])
        if ready_only and made_here(tx, order) and order["code"] not in pushed:
            continue
        waiting.append((checkin, position))
    return waiting


def waiting_cancellations(tx: Transaction, event_id: int) -> list[dict]:
    """Orders canceled here that the central holds as not canceled, as far as the box knows: the box's own
    sales it pushed before, and the central's orders (sold online) canceled at the box."""
    pushed = pushed_order_codes(tx, event_id)
    return [
        order
        for order in tx.find("orders", event=event_id)
        if order["status"] == "c"
        and (order["code"] in pushed or sync.canceled_here(order))
        and not is_pushed(tx, event_id, CANCEL, order["code"])
    ]


def problems(tx: Transaction, event_id: int) -> list[dict]:
    """The records of uploads that failed or were refused, for the push's report."""
    return [doc for doc in tx.find(PUSH_TABLE, event=event_id) if doc["state"] != PUSHED]


@dataclass(frozen=True)
class AllotmentUse:
    quota: int
    name: str
    units: int
    used: int

    @property
    def left(self) -> int:
        return max(self.units - self.used, 0)


@dataclass(frozen=True)
class SyncStatus:
    """Where an event stands with its central: what was pulled and pushed, what waits, what each allotment has left."""

    central: str
    last_pull: str | None
    last_push: str | None
    waiting_orders: int
    waiting_checkins: int
    waiting_cancellations: int
    failed: int
    refused: int
    last_error: str | None
    allotments: list[AllotmentUse]


def status(tx: Transaction, state: Mapping[str, Any]) -> SyncStatus:
    """The sync status of the event of `state` (its `sync_state` record)."""
    event_id = state["event"]
    records = tx.find(PUSH_TABLE, event=event_id)
    pushed = [doc["at"] for doc in records if doc["state"] == PUSHED]
    troubles = sorted((doc for doc in records if doc["state"] != PUSHED), key=lambda doc: doc["at"])
    uses = []
    for allotment in sorted(tx.find(ALLOTMENTS_TABLE, event=event_id), key=lambda doc: doc["quota"]):
        quota = tx.get("quotas", allotment["quota"])
        if quota is not None:
            uses.append(AllotmentUse(quota["id"], quota["name"], allotment["units"], box_units(tx, quota)))
    return SyncStatus(
        central=state["central"],
        last_pull=state.get("last_pull"),
        last_push=max(pushed) if pushed else None,
        waiting_orders=len(waiting_orders(tx, event_id)),
        waiting_checkins=len(waiting_checkins(tx, event_id, ready_only=False)),
        waiting_cancellations=len(waiting_cancellations(tx, event_id)),
        failed=sum(1 for doc in troubles if doc["state"] == FAILED),
        refused=sum(1 for doc in troubles if doc["state"] == REFUSED),
        last_error=troubles[-1]["error"] if troubles else None,
        allotments=uses,
    )
