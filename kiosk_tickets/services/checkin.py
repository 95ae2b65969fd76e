"""Check-in: lists of who may enter, redeeming ticket secrets (once per list), search, and the history."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..errors import ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Doc, Transaction
from . import checkin_counts, order_search, orders, ticket_secrets
from .answers import check_answers
from .common import FieldErrors, OrderStatus, check_ref_list, i18n_text, invalid_pk, order_documents
from .resources import EventContext, Resource

log = logging.getLogger("kiosk_tickets.checkin")
# Enough of a secret for door staff to tell two scans apart in the log, too little to print a ticket from
# (and at most half of a short code).
SECRET_PREFIX = 4


class CheckinLists(Resource):
    table = "checkinlists"
    orderings = ("id", "name")
    default_ordering = "id"

    def validate(self, tx: Transaction, scope: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        check_ref_list(tx, scope.event_id, data, "limit_products", "items", errors)
        if data.get("subevent") is not None:
            errors.add("subevent", invalid_pk(data["subevent"]))
        errors.raise_if_any()

    def cascade_delete(self, tx: Transaction, scope: EventContext, doc: Doc) -> None:
        for checkin in tx.ids("checkins", list=doc["id"]):
            tx.delete("checkins", checkin)

    def present(
        self, tx: Transaction, scope: EventContext, doc: dict, now: datetime, options: Mapping[str, Any] = {}
    ) -> dict:
        counts = list_counts(tx, doc)
        return {**doc, "position_count": counts["position_count"], "checkin_count": counts["checkin_count"]}


CHECKIN_LISTS = CheckinLists()


def on_list(
    tx: Transaction, checkin_list: Mapping[str, Any], position: Mapping[str, Any], order: Mapping[str, Any]
) -> bool:
    """Whether the ticket belongs on the list: its product, and a paid (or, if the list says so, pending) order."""
    if position["canceled"] or order["status"] not in (OrderStatus.PAID, OrderStatus.PENDING):
        return False
    if order["status"] == OrderStatus.PENDING and not (
        checkin_list["include_pending"] or order.get("valid_if_pending")
    ):
        return False
    return checkin_list["all_products"] or position["item"] in checkin_list["limit_products"]


def _successful(tx: Transaction, position_id: int, list_id: int) -> list[dict]:
    found = [c for c in tx.find("checkins", position=position_id) if c["successful"] and c["list"] == list_id]
    return sorted(found, key=lambda c: (c["datetime"], c["id"]))


def list_counts(tx: Transaction, checkin_list: Mapping[str, Any]) -> dict[str, Any]:
    """Tickets on the list, those checked in, those inside now, by item and variation (the `status/` report).

    Read from a view the store keeps current (see `checkin_counts`), so a door asking after every scan
    costs the same with any number of tickets.
    """
    return checkin_counts.counts_of(tx).counts(checkin_list)


def status(tx: Transaction, checkin_list: dict, now: datetime) -> dict[str, Any]:
    """pretix's check-in list status: totals, and per item (with its variations) of the list."""
    orders.expire_overdue(tx, checkin_list["event"], now)
    counts = list_counts(tx, checkin_list)
    event = tx.referenced("events", checkin_list["event"])
    items = []
    for item in tx.find("items", event=event["id"]):
        if not checkin_list["all_products"] and item["id"] not in checkin_list["limit_products"]:
            continue
        variations = [
            {
                "value": i18n_text(v["value"]),
                "id": v["id"],
                **counts["per_product"].get((item["id"], v["id"]), {"position_count": 0, "checkin_count": 0}),
            }
            for v in tx.find("variations", item=item["id"])
        ]
        mine = [c for (item_id, _), c in counts["per_product"].items() if item_id == item["id"]]
        items.append(
            {
                "name": i18n_text(item["name"]),
                "id": item["id"],
                "admission": item["admission"],
                "checkin_count": sum(c["checkin_count"] for c in mine),
                "position_count": sum(c["position_count"] for c in mine),
                "variations": variations,
            }
        )
    return {
        "checkin_count": counts["checkin_count"],
        "position_count": counts["position_count"],
        "inside_count": counts["inside_count"],
        "event": {"name": i18n_text(event["name"])},
        "items": items,
    }


# ---------------------------------------------------------------------------------------- redeeming


@dataclass
class Scan:
    """One redeem request, as the device sent it."""

    lists: list[int]
    secret: str
    type: str = "entry"
    force: bool = False
    ignore_unpaid: bool = False
    questions_supported: bool = True
    nonce: str | None = None
    datetime: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    # Where the scan was made: the device (and its gate) that sent it, None for an API token.
    device: int | None = None
    gate: int | None = None


class ScanResult(StrEnum):
    """What became of a scan."""

    OK = "ok"  # in (or out); recorded
    REFUSED = "refused"  # the ticket exists but may not pass, for `reason`; recorded
    UNKNOWN = "unknown"  # no ticket of the scanned events has this secret; recorded as such
    AMBIGUOUS = "ambiguous"  # tickets of two scanned events have this secret; nobody may pass on it
    INCOMPLETE = "incomplete"  # required questions are unanswered (`questions`); nothing recorded


@dataclass
class Outcome:
    """The answer to a scan, as facts: what became of it, the ticket and list it concerned, what to show."""

    result: ScanResult
    reason: str | None = None  # pretix's reason code for a refusal ("already_redeemed", "unpaid", …)
    reason_explanation: str | None = None
    position: orders.PositionDetails | None = None
    order: dict | None = None
    checkin_list: dict | None = None
    event: Mapping[str, Any] | None = None
    questions: list[dict] | None = None
    require_attention: bool = False
    checkin_texts: list[str] = field(default_factory=list)
    # A refusal of a scan that already happened (`force`, an offline scan uploaded): sending it again can
    # never change the answer, so a device must drop it from its upload queue rather than retry it forever.
    final: bool = False


def lists_for_scan(
    tx: Transaction, organizer: Doc, list_ids: list[int], visible: Callable[[str], bool] = lambda slug: True
) -> list[dict]:
    """The organizer's check-in lists a scan names, at most one per event; raise ValidationFailed otherwise.

    `visible` tells the events whose lists the asker may use (a device limited to some events): a list of
    any other event is as unknown to it as one that does not exist.
    """
    found: list[dict] = []
    for list_id in list_ids:
        checkin_list = tx.get("checkinlists", list_id)
        if checkin_list is None:
            raise ValidationFailed.field("lists", invalid_pk(list_id))
        event = tx.peek_referenced("events", checkin_list["event"])
        if event["organizer"] != organizer["slug"] or not visible(event["slug"]):
            raise ValidationFailed.field("lists", invalid_pk(list_id))
        found.append(checkin_list)
    if not found:
        raise ValidationFailed.field("lists", "This list may not be empty.")
    if len({checkin_list["event"] for checkin_list in found}) != len(found):
        raise ValidationFailed.field("lists", "Each check-in list of a scan must belong to another event.")
    return found


def redeem(tx: Transaction, lists: list[dict], scan: Scan, now: datetime) -> Outcome:
    """Check a scanned secret in (or out) on the list of its event, once; record the attempt either way.

    The lookup and the write happen in the caller's transaction, so two scanners redeeming the same
    ticket at the same moment get exactly one "ok". A nonce seen before with a successful check-in is
    answered as that check-in was, and nothing is written again.
    """
    by_event = {checkin_list["event"]: checkin_list for checkin_list in lists}
    for event_id in by_event:
        orders.expire_overdue(tx, event_id, now)
    matches = [p for p in tx.find("orderpositions", secret=scan.secret) if p["event"] in by_event]
    if not matches:
        # A signed secret its ticket no longer has (canceled or changed): refused, unless the scan already
        # happened offline (`force`), when the ticket it belonged to is checked as any other.
        matches = ticket_secrets.revoked_positions(tx, scan.secret, by_event)
        if len(matches) == 1 and not scan.force:
            return _revoked(tx, by_event[matches[0]["event"]], matches[0], scan, now)
    if not matches:
        # Recorded on the first list, as pretix does: the door's history shows the codes it could not place.
        _record(tx, lists[0], None, scan, scan.datetime or format_datetime(now), now, error="invalid")
        return Outcome(ScanResult.UNKNOWN, "invalid")
    if len(matches) > 1:
        # The same secret in two of the scanned events: letting either in could be the wrong one.
        lists_named = ", ".join(str(by_event[p["event"]]["id"]) for p in matches)
        log.info(
            "check-in refused: ambiguous on lists %s, whose events each have a ticket with secret %s...",
            lists_named, secret_prefix(scan.secret),
        )
        return Outcome(ScanResult.AMBIGUOUS, "ambiguous")
    position = matches[0]
    checkin_list = by_event[position["event"]]
    order = tx.referenced("orders", position["order"])
    moment = scan.datetime or format_datetime(now)

    if scan.nonce:
        for previous in tx.find("checkins", nonce=scan.nonce):
            if (
                previous["successful"]
                and previous["position"] == position["id"]
                and previous["list"] == checkin_list["id"]
            ):
                return _outcome(tx, ScanResult.OK, None, position, order, checkin_list)

    reason, explanation = refusal(tx, checkin_list, position, order, scan, now)
    if reason is None and scan.type == "entry" and scan.questions_supported and not scan.force:
        asked = _unanswered_questions(tx, position, scan.answers)
        if asked:
            outcome = _outcome(tx, ScanResult.INCOMPLETE, None, position, order, checkin_list)
            outcome.questions = asked
            return outcome
    if reason is not None:
        _record(tx, checkin_list, position, scan, moment, now, error=reason)
        outcome = _outcome(tx, ScanResult.REFUSED, reason, position, order, checkin_list)
        outcome.reason_explanation = explanation
        outcome.final = scan.force
        return outcome
    if scan.answers and scan.questions_supported:
        _store_answers(tx, position, scan.answers)
    _record(tx, checkin_list, position, scan, moment, now)
    return _outcome(tx, ScanResult.OK, None, tx.referenced("orderpositions", position["id"]), order, checkin_list)


def _revoked(tx: Transaction, checkin_list: dict, position: dict, scan: Scan, now: datetime) -> Outcome:
    """A revoked secret is refused and the attempt recorded on the ticket it belonged to, as pretix does."""
    _record(tx, checkin_list, position, scan, scan.datetime or format_datetime(now), now, error="revoked")
    order = tx.referenced("orders", position["order"])
    return _outcome(tx, ScanResult.REFUSED, "revoked", position, order, checkin_list)


def refusal(
    tx: Transaction, checkin_list: dict, position: dict, order: dict, scan: Scan, now: datetime
) -> tuple[str | None, str | None]:
    """The reason this scan may not pass (None if it may), in pretix's order of checks.

    `force` is for scans that already happened offline: it passes a pending order, a blocked or
    out-of-time ticket, a second entry and missing answers, but never a canceled ticket or the wrong product.
    """
    if position["canceled"] or order["status"] in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
        return "canceled", None
    if order["status"] == OrderStatus.PENDING:
        if order.get("require_approval"):
            return "unapproved", None
        allowed = order.get("valid_if_pending") or (checkin_list["include_pending"] and scan.ignore_unpaid)
        if not allowed and not scan.force:
            return "unpaid", None
    if not checkin_list["all_products"] and position["item"] not in checkin_list["limit_products"]:
        return "product", None
    if scan.force:
        return None, None
    if position.get("blocked"):
        return "blocked", None
    moment = parse_datetime(scan.datetime) if scan.datetime else now
    if position.get("valid_from") and moment < parse_datetime(position["valid_from"]):
        return "invalid_time", f"This ticket is only valid from {position['valid_from']}."
    if position.get("valid_until") and moment > parse_datetime(position["valid_until"]):
        return "invalid_time", f"This ticket was only valid until {position['valid_until']}."
    if scan.type == "entry" and not checkin_list["allow_multiple_entries"]:
        scans = _successful(tx, position["id"], checkin_list["id"])
        if any(s["type"] == "entry" for s in scans):
            left = scans[-1]["type"] == "exit"
            if not (left and checkin_list["allow_entry_after_exit"]):
                return "already_redeemed", None
    return None, None


def _unanswered_questions(tx: Transaction, position: dict, answers: dict[str, str]) -> list[dict]:
    """Required check-in questions of the product that neither the ticket nor this scan answers."""
    answered = {a["question"] for a in position.get("answers") or []} | {int(k) for k in answers if k.isdigit()}
    asked = []
    for question in tx.find("questions", event=position["event"], items=position["item"]):
        if question["ask_during_checkin"] and question["required"] and question["id"] not in answered:
            options = tx.find("question_options", question=question["id"])
            asked.append({**question, "options": options, "dependency_value": None})
    return asked


def _store_answers(tx: Transaction, position: dict, answers: dict[str, str]) -> None:
    entries = []
    for key, text in answers.items():
        if not key.isdigit():
            raise ValidationFailed.field("answers", f'"{key}" is not a question id.')
        question = tx.get("questions", int(key))
        choice = question is not None and question["type"] in ("C", "M")
        options = [int(part) for part in str(text).split(",") if part.strip().isdigit()] if choice else []
        entries.append({"question": int(key), "answer": "" if choice else str(text), "options": options})
    checked = check_answers(tx, position["event"], position["item"], entries)
    kept = [a for a in position.get("answers") or [] if a["question"] not in {c["question"] for c in checked}]
    tx.update("orderpositions", position["id"], {"answers": kept + checked})


def record_failed(
    tx: Transaction, checkin_list: dict, data: Mapping[str, Any], device: int | None, now: datetime
) -> dict:
    """Keep a scan a device refused while offline, for the list's history, on the ticket it names if any."""
    position = tx.get("orderpositions", data["position"]) if data.get("position") is not None else None
    if position is not None and position["event"] != checkin_list["event"]:
        position = None
    scan = Scan(lists=[checkin_list["id"]], secret=data["raw_barcode"], type=data["type"], device=device)
    moment = data.get("datetime") or format_datetime(now)
    return _record(tx, checkin_list, position, scan, moment, now, error=data["error_reason"], reported=True)


def _record(
    tx: Transaction,
    checkin_list: dict,
    position: dict | None,
    scan: Scan,
    moment: str,
    now: datetime,
    error: str | None = None,
    reported: bool = False,
) -> dict:
    recorded = tx.insert(
        "checkins",
        {
            "event": checkin_list["event"],
            "position": position["id"] if position else None,
            "list": checkin_list["id"],
            "datetime": moment,
            "created": format_datetime(now),
            "type": scan.type,
            "nonce": scan.nonce if error is None else None,
            "successful": error is None,
            "error_reason": error,
            "error_explanation": None,
            "gate": scan.gate,
            "device": scan.device,
            "device_id": None,
            "auto_checked_in": False,
            "forced": scan.force,
            # What was scanned, where no ticket was found to keep it by.
            "raw_barcode": scan.secret if position is None else None,
        },
    )
    if error is not None:
        _log_refusal(tx, checkin_list, position, scan, error, reported)
    if position is not None and error is None:
        # Devices fetch orders changed since their last sync: a check-in changes the order they hold (its
        # position's `checkins`). A refused scan shows in no order, so it changes none.
        tx.update("orders", position["order"], {"last_modified": format_datetime(now)})
    return recorded


def secret_prefix(secret: str) -> str:
    """What a log line shows of a scanned secret: its first few characters, never more than half of it."""
    return secret[: min(SECRET_PREFIX, len(secret) // 2)]


def _log_refusal(
    tx: Transaction, checkin_list: dict, position: dict | None, scan: Scan, reason: str, reported: bool
) -> None:
    event = tx.peek_referenced("events", checkin_list["event"])
    ticket = "no ticket"
    if position is not None:
        order = tx.peek_referenced("orders", position["order"])
        ticket = f"ticket {order['code']}-{position['positionid']}"
    # A device that refused a scan while offline reports it later (failed_checkins): nobody is waiting at the door.
    what = "check-in refused offline, reported later" if reported else "check-in refused"
    by = f", device {scan.device}" if scan.device is not None else ""
    log.info(
        "%s: %s on list %d (%s) of %s/%s; %s, secret %s...%s",
        what, reason, checkin_list["id"], checkin_list["name"], event["organizer"], event["slug"], ticket,
        secret_prefix(scan.secret), by,
    )


def needs_attention(tx: Transaction, position: Mapping[str, Any], order: Mapping[str, Any]) -> bool:
    """Whether the door should look twice at this ticket: its product, variation or order says so."""
    item = tx.peek_referenced("items", position["item"])
    variation = tx.peek("variations", position["variation"]) if position.get("variation") else None
    return bool(
        item.get("checkin_attention") or (variation or {}).get("checkin_attention") or order.get("checkin_attention")
    )


def _outcome(
    tx: Transaction, result: ScanResult, reason: str | None, position: dict, order: dict, checkin_list: dict
) -> Outcome:
    item = tx.referenced("items", position["item"]) or {}
    variation = tx.get("variations", position["variation"]) if position.get("variation") else None
    attention = needs_attention(tx, position, order)
    texts = [
        text
        for text in (order.get("checkin_text"), item.get("checkin_text"), (variation or {}).get("checkin_text"))
        if text
    ]
    return Outcome(
        result,
        reason,
        position=orders.position_details(tx, position, order),
        order=order,
        checkin_list=checkin_list,
        event=tx.peek_referenced("events", checkin_list["event"]),
        require_attention=attention,
        checkin_texts=texts,
    )


# ---------------------------------------------------------------------------------------- search and history


def search(
    tx: Transaction,
    lists: list[dict],
    filters: Mapping[str, Any],
    ordering: str | None,
    ignore_status: bool,
    now: datetime,
) -> list[Mapping[str, Any]]:
    """Positions on the lists matching the filters (by default only those that may enter)."""
    found: list[Mapping[str, Any]] = []
    for checkin_list in lists:
        scope = EventContext({}, tx.referenced("events", checkin_list["event"]))
        for position in order_search.list_positions(tx, scope, filters, ordering, now):
            order = tx.peek_referenced("orders", position["order"])
            if ignore_status or on_list(tx, checkin_list, position, order):
                found.append(position)
    return found


def get_list(tx: Transaction, scope: EventContext, list_id: Any) -> dict:
    return CHECKIN_LISTS.get(tx, scope, list_id)


def legacy_secret(tx: Transaction, scope: EventContext, lookup: str, untrusted: bool) -> str:
    """The secret a legacy redeem URL names: the lookup itself, or unless the input is untrusted, the secret
    of the event's position whose id it is. A secret no ticket has is redeemed as the unknown scan it is."""
    by_secret = tx.find_one("orderpositions", event=scope.event_id, secret=lookup)
    if by_secret is None and not untrusted and lookup.isdigit():
        found = tx.get("orderpositions", lookup)
        if found is not None and found["event"] == scope.event_id:
            return found["secret"]
    return lookup


def history(tx: Transaction, scope: EventContext, filters: Mapping[str, Any], ordering: str | None) -> list[dict]:
    """The event's check-in attempts, successful and failed, filtered as pretix's `checkins/` list."""
    found = tx.find("checkins", event=scope.event_id)
    for key in ("successful", "error_reason", "list", "type", "gate", "device", "auto_checked_in"):
        if key in filters:
            found = [c for c in found if c.get(key) == filters[key]]
    for key, field_name, after in (
        ("created_since", "created", True),
        ("created_before", "created", False),
        ("datetime_since", "datetime", True),
        ("datetime_before", "datetime", False),
    ):
        if key in filters:
            bound = filters[key]
            found = [c for c in found if (parse_datetime(c[field_name]) >= bound) == after]
    return order_documents(found, ordering, ("datetime", "created", "id"), "id")
