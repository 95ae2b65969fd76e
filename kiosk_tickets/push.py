"""`kiosk-tickets allot` and `kiosk-tickets push`: the box's writes to a central pretix, made outside the store's lock.

Each reads what it needs in one transaction, talks to the central, then records the answer in another. An
upload carries an idempotency key derived from what it uploads (and the attempt number, which changes only
after a refusal), so a push killed between the central's answer and the record of it, and run again, gets
the first answer replayed instead of a second order.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .central import Answer, Central, CentralError, TokenRefused
from .services import allotments, sync
from .services.allotments import CANCEL, CHECKIN, FAILED, ORDER, PUSHED, REFUSED
from .store import Store, Transaction

# The central's code alphabet for vouchers is free; these letters are unambiguous on a printed list.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class SyncFailed(Exception):
    """The central could not be written to, or the box's state forbids the write; one sentence says which."""


def _state(tx: Transaction, organizer: str, event: str) -> dict:
    state = sync.state_of(tx, organizer, event)
    if state is None:
        raise SyncFailed(f"the event {organizer}/{event} was never pulled from a central; run pull first.")
    return state


def _detail(answer: Answer) -> str:
    """The central's refusal, flattened into one line."""
    body = answer.body
    if isinstance(body, dict) and set(body) == {"detail"}:
        return str(body["detail"])
    return f"{answer.status} {json.dumps(body)}" if body is not None else str(answer.status)


@dataclass
class Allotted:
    """What `allot` did."""

    quota: int
    units: int
    voucher_code: str
    created: bool


def allot(store: Store, central: Central, event: str, quota_id: int, units: int, box: str,
          sales_channel: str, now: Callable[[], datetime]) -> Allotted:
    """Take `units` of the central's quota for this box (or change the box's allotment to `units`).

    The local quota is never larger than what the central's voucher holds: a new allotment is recorded with
    0 units (and its voucher code) before the voucher is created, a smaller one is made locally first, a
    larger one on the central first. An allot killed midway and run again reuses the recorded code, whose
    idempotency key replays the first answer, so it never makes a second voucher.

    Raises SyncFailed (never pulled, unknown quota, fewer units than the box has sold, the central refused).
    """
    if units < 0:
        raise SyncFailed("--units must be 0 or more.")
    try:
        with store.transaction() as tx:
            state = _state(tx, central.organizer, event)
            quota = allotments.central_quota(tx, state["event"], quota_id)
            allotments.check_units(tx, quota, units)
            existing = allotments.allotment_of(tx, state["event"], quota_id)
            if existing is None or existing["voucher"] is None:
                code = existing["voucher_code"] if existing else "BOX" + "".join(
                    secrets.choice(_CODE_ALPHABET) for _ in range(12)
                )
                existing = allotments.record(tx, quota, {"id": None, "code": code}, 0, box)
            elif units < existing["units"]:
                allotments.record(tx, quota, {"id": existing["voucher"], "code": existing["voucher_code"]}, units, box)
    except allotments.AllotmentRefused as error:
        raise SyncFailed(str(error.detail)) from None
    created = existing["voucher"] is None
    try:
        if created:
            code = existing["voucher_code"]
            body = {
                "code": code, "max_usages": units, "block_quota": True, "quota": quota_id,
                # Only the box uses it: it ignores no quota, and it is offered on no online channel.
                "allow_ignore_quota": False, "all_sales_channels": False, "limit_sales_channels": [sales_channel],
                "price_mode": "none", "tag": f"kiosk-box:{box}",
                "comment": f"Allotment of the offline box office {box}; its sales arrive with kiosk-tickets push.",
            }
            answer = central.write("POST", event, "vouchers/", body, f"kiosk-allot-{event}-{quota_id}-{code}")
        else:
            answer = central.write("PATCH", event, f"vouchers/{existing['voucher']}/", {"max_usages": units})
    except TokenRefused as error:
        _forget_refused(store, existing, created)
        raise SyncFailed(str(error)) from None
    except CentralError as error:
        # No answer: the voucher may exist there now, so the code stays recorded for the next allot.
        raise SyncFailed(str(error)) from None
    if answer.status not in (200, 201) or not isinstance(answer.body, dict):
        _forget_refused(store, existing, created)
        raise SyncFailed(f"the central refused the allotment voucher: {_detail(answer)}.")
    voucher = answer.body
    try:
        with store.transaction() as tx:
            quota = allotments.central_quota(tx, state["event"], quota_id)
            # The box may have sold since the check above; then the central holds more than the box's size
            # allows, which is safe, and the next allot with enough units settles it.
            allotments.check_units(tx, quota, units)
            allotments.record(tx, quota, voucher, units, box)
    except allotments.AllotmentRefused as error:
        raise SyncFailed(str(error.detail)) from None
    return Allotted(quota_id, units, str(voucher["code"]), created)


def _forget_refused(store: Store, allotment: dict, created: bool) -> None:
    """A new allotment the central answered with a refusal exists nowhere: the box forgets it again."""
    if created:
        with store.transaction() as tx:
            allotments.forget(tx, allotment)


@dataclass
class Pushed:
    """What `push` did: counts of uploads made now, and one line per upload still failing or refused."""

    orders: int = 0
    checkins: int = 0
    cancellations: int = 0
    problems: list[str] = field(default_factory=list)


def _order_body(tx: Transaction, event_id: int, order: dict, sales_channel: str,
                payment_provider: str | None = None) -> dict[str, Any]:
    positions = sorted(tx.find("orderpositions", order=order["id"]), key=lambda doc: doc["id"])
    numbers = {position["id"]: number for number, position in enumerate(positions, start=1)}
    payments = order.get("payments") or []
    body_positions = []
    for position in positions:
        entry: dict[str, Any] = {
            "positionid": numbers[position["id"]],
            "item": position["item"],
            "variation": position.get("variation"),
            "price": position["price"],
            "secret": position["secret"],
            "attendee_name_parts": position.get("attendee_name_parts") or {},
            "attendee_email": position.get("attendee_email"),
            "addon_to": numbers.get(position["addon_to"]) if position.get("addon_to") else None,
            "answers": position.get("answers") or [],
        }
        code = allotments.voucher_code_for(tx, event_id, position)
        if code is not None:
            entry["voucher"] = code
        body_positions.append(entry)
    body: dict[str, Any] = {
        "code": order["code"],
        "status": "p" if order["status"] == "p" else "n",
        "email": order.get("email"),
        "locale": order.get("locale") or "en",
        "sales_channel": sales_channel,
        "positions": body_positions,
        "comment": order.get("comment") or "",
    }
    if payments and payments[0].get("provider"):
        body["payment_provider"] = payments[0]["provider"]
        if payment_provider is not None and payments[0]["provider"] != "free":
            # pretix knows no "cash" or "card": it books box office sales under its own provider, and keeps
            # how they were paid in the payment's details. A free order stays free, as any central names it.
            body["payment_provider"] = payment_provider
            body["payment_info"] = {"payment_type": payments[0]["provider"]}
        if order["status"] == "p" and payments[0].get("payment_date"):
            body["payment_date"] = payments[0]["payment_date"]
    return body


def _key(kind: str, event: str, ref: str, attempt: int) -> str:
    # Stable for one thing to upload; the attempt counts refusals, after which the central must answer anew.
    return f"kiosk-push-{kind}-{event}-{ref}-{attempt}"


def _outcome(answer: Answer, ok: tuple[int, ...]) -> str:
    if answer.status in ok:
        return PUSHED
    # A 400 (or a 404 of something gone online) is the central's verdict on the data; anything else may pass.
    return REFUSED if answer.status in (400, 404) else FAILED


def push(store: Store, central: Central, event: str, sales_channel: str, now: Callable[[], datetime],
         payment_provider: str | None = None) -> Pushed:
    """Upload the box's orders, then its check-ins, then its cancellations; return what was done and what not.

    `payment_provider`, if given, replaces the provider of every order not free (the one recorded here goes
    into the payment's `payment_type`): a central that knows other providers than the box takes its sales so.

    Raises SyncFailed when the central cannot be reached at all (what was done before stays recorded).
    """
    report = Pushed()
    with store.transaction() as tx:
        state = _state(tx, central.organizer, event)
        event_id = state["event"]
        work = [
            (order["code"], allotments.attempt_of(tx, event_id, ORDER, order["code"]),
             _order_body(tx, event_id, order, sales_channel, payment_provider))
            for order in allotments.waiting_orders(tx, event_id)
        ]
    try:
        for code, attempt, body in work:
            answer = central.write("POST", event, "orders/", body, _key(ORDER, event, code, attempt))
            outcome = _outcome(answer, (201,))
            with store.transaction() as tx:
                error = None if outcome == PUSHED else _detail(answer)
                allotments.note(tx, event_id, ORDER, code, outcome, attempt, now(), error)
            report.orders += outcome == PUSHED

        with store.transaction() as tx:
            scans = [
                (str(checkin["id"]), allotments.attempt_of(tx, event_id, CHECKIN, str(checkin["id"])), {
                    "secret": position["secret"], "lists": [checkin["list"]], "force": True,
                    "datetime": checkin["datetime"], "type": checkin.get("type") or "entry",
                    "nonce": f"kiosk-{event}-checkin-{checkin['id']}", "ignore_unpaid": True,
                    "questions_supported": False,
                })
                for checkin, position in allotments.waiting_checkins(tx, event_id)
            ]
        for ref, attempt, body in scans:
            answer = central.write_organizer("POST", "checkinrpc/redeem/", body, _key(CHECKIN, event, ref, attempt))
            ok = answer.status in (200, 201) and isinstance(answer.body, dict) and answer.body.get("status") == "ok"
            outcome = PUSHED if ok else _outcome(answer, ())
            with store.transaction() as tx:
                allotments.note(tx, event_id, CHECKIN, ref, outcome, attempt, now(), None if ok else _detail(answer))
            report.checkins += ok

        with store.transaction() as tx:
            cancels = [
                (order["code"], allotments.attempt_of(tx, event_id, CANCEL, order["code"]))
                for order in allotments.waiting_cancellations(tx, event_id)
            ]
        for code, attempt in cancels:
            path = f"orders/{code}/mark_canceled/"
            answer = central.write("POST", event, path, {}, _key(CANCEL, event, code, attempt))
            outcome = _outcome(answer, (200,))
            with store.transaction() as tx:
                allotments.note(tx, event_id, CANCEL, code, outcome, attempt, now(),
                                None if outcome == PUSHED else _detail(answer))
            report.cancellations += outcome == PUSHED
    except CentralError as error:
        raise SyncFailed(str(error)) from None
    with store.transaction() as tx:
        for doc in allotments.problems(tx, event_id):
            verdict = "refused by the central" if doc["state"] == REFUSED else "failed, retried next push"
            report.problems.append(f"{doc['kind']} {doc['ref']}: {verdict}: {doc['error']}")
    return report

