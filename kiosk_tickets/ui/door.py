"""The door: choose a check-in list and entry or exit, then scan ticket after ticket into one field.

Each scan is one `services.checkin.redeem` in one store transaction, with a nonce made for the form it was
typed into, so a form sent twice counts once. The answer is told as a page (or, with JS, a panel of it).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..context import get_store, now
from ..isotime import parse_datetime
from ..services import checkin
from ..services.auth import Principal
from ..services.common import i18n_text
from ..services.positions import full_name, product_name
from ..store import Transaction
from . import bp
from .auth import screen
from .i18n import N_, day

MODES = {"entry": N_("Entry"), "exit": N_("Exit")}
# Sent by the door's script with a scan: answer with the scan's result only, without the list's counts.
ANSWER_ONLY = "X-Door-Answer-Only"
_MAX_NONCE = 64
_MAX_SHOWN_CODE = 64


@dataclass
class Answer:
    """What the door shows for one scan."""

    kind: str  # a ScanResult value: ok, refused, unknown, ambiguous, incomplete
    headline: str
    detail: str = ""
    attendee: str | None = None
    product: str | None = None
    addons: list[str] = field(default_factory=list)
    order_code: str | None = None
    questions: list[str] = field(default_factory=list)
    attention: bool = False
    texts: list[str] = field(default_factory=list)

    @property
    def icon(self) -> str:
        return {"ok": "✓", "incomplete": "!"}.get(self.kind, "✕")


REFUSALS = {
    "already_redeemed": N_("Already checked in"),
    "unpaid": N_("Not paid"),
    "unapproved": N_("Order not approved"),
    "canceled": N_("Canceled"),
    "product": N_("Wrong product"),
    "blocked": N_("Blocked"),
    "invalid_time": N_("Not valid at this time"),
    "rules": N_("Not allowed by this list's rules"),
    "revoked": N_("Ticket revoked"),
}


def _zone(event: Mapping[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(event.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime | str, event: Mapping[str, Any]) -> str:
    """A moment as the door reads it: in the event's time zone, with that zone named."""
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    zone = _zone(event)
    local = moment.astimezone(zone)
    return _("%(time)s on %(day)s (%(zone)s)", time=f"{local:%H:%M}", day=day(local), zone=zone.key)


def _product(tx: Transaction, position: Mapping[str, Any]) -> str:
    variation = tx.get("variations", position["variation"]) if position.get("variation") else None
    return product_name(tx.referenced("items", position["item"]), variation)


def _addons(tx: Transaction, position: Mapping[str, Any]) -> list[str]:
    siblings = tx.find("orderpositions", order=position["order"])
    found = [p for p in siblings if p.get("addon_to") == position["id"] and not p["canceled"]]
    return [_product(tx, p) for p in sorted(found, key=lambda p: p["positionid"])]


def _refusal_detail(outcome: checkin.Outcome, event: Mapping[str, Any], checkin_list: Mapping[str, Any]) -> str:
    assert outcome.position is not None
    position = outcome.position.position
    if outcome.reason == "already_redeemed":
        entries = [c for c in outcome.position.checkins if c["list"] == checkin_list["id"] and c["type"] == "entry"]
        if entries:
            last = max(entries, key=lambda c: (c["datetime"], c["id"]))
            return _(
                "Checked in at %(when)s, list “%(list)s”.",
                when=local_time(last["datetime"], event),
                list=checkin_list["name"],
            )
        return _("Checked in before on list “%(list)s”.", list=checkin_list["name"])
    if outcome.reason == "unpaid":
        return _("The order has not been paid.")
    if outcome.reason == "unapproved":
        return _("The order is waiting for approval.")
    if outcome.reason == "canceled":
        return _("The ticket or its order is canceled.")
    if outcome.reason == "product":
        return _("The list “%(list)s” does not admit this product.", list=checkin_list["name"])
    if outcome.reason == "blocked":
        return _("This ticket is blocked.")
    if outcome.reason == "invalid_time":
        if position.get("valid_from") and now() < parse_datetime(position["valid_from"]):
            return _("Valid from %(when)s.", when=local_time(position["valid_from"], event))
        if position.get("valid_until"):
            return _("Valid until %(when)s.", when=local_time(position["valid_until"], event))
    return outcome.reason_explanation or ""


def describe(
    tx: Transaction, outcome: checkin.Outcome, code: str, event: Mapping[str, Any], checkin_list: Mapping[str, Any]
) -> Answer:
    """The scan's outcome in words, with the ticket it concerned."""
    kind = outcome.result.value
    if outcome.result == checkin.ScanResult.UNKNOWN:
        shown = code if len(code) <= _MAX_SHOWN_CODE else code[:_MAX_SHOWN_CODE] + "…"
        return Answer(kind, _("Unknown ticket"), _("No ticket of this event has the code “%(code)s”.", code=shown))
    if outcome.result == checkin.ScanResult.AMBIGUOUS or outcome.position is None:
        return Answer(
            kind,
            _("Ambiguous code"),
            _("Tickets of more than one event have this code; nobody may pass on it."),
        )
    position = outcome.position.position
    answer = Answer(
        kind,
        _("Valid"),
        attendee=full_name(position.get("attendee_name_parts")),
        product=_product(tx, position),
        addons=_addons(tx, position),
        order_code=outcome.position.order_code,
        attention=outcome.require_attention,
        texts=list(outcome.checkin_texts),
    )
    if outcome.result == checkin.ScanResult.OK:
        answer.detail = _("Exit recorded.") if request.view_args and request.view_args.get("mode") == "exit" else ""
    elif outcome.result == checkin.ScanResult.INCOMPLETE:
        answer.headline = _("Questions unanswered")
        answer.detail = _("This ticket needs answers before entry; check in at the box office.")
        answer.questions = [i18n_text(q.get("question")) for q in outcome.questions or []]
    else:
        answer.headline = _(REFUSALS.get(outcome.reason or "", N_("Refused")))
        answer.detail = _refusal_detail(outcome, event, checkin_list)
    return answer


def _lists(tx: Transaction, organizer: str) -> list[tuple[dict, list[dict]]]:
    """The organizer's events that have check-in lists, each with its lists."""
    found = []
    for event in sorted(tx.find("events", organizer=organizer), key=lambda e: (e["date_from"] or "", e["id"])):
        lists = sorted(tx.find("checkinlists", event=event["id"]), key=lambda c: c["id"])
        if lists:
            found.append((event, lists))
    return found


@bp.get("/door/")
@screen("checkin")
def door(principal: Principal) -> Response | str:
    """Choose the list and the mode; with one list only, go straight to its entry scanning."""
    with get_store().transaction() as tx:
        events = _lists(tx, principal.organizer)
    if len(events) == 1 and len(events[0][1]) == 1:
        return redirect(url_for("ui.door_scan", list_id=events[0][1][0]["id"], mode="entry"))
    return render_template("ui/door_choose.html", events=[(i18n_text(e["name"]), lists) for e, lists in events])


def _list_of(tx: Transaction, principal: Principal, list_id: int) -> tuple[dict, dict]:
    checkin_list = tx.get("checkinlists", list_id)
    event = tx.get("events", checkin_list["event"]) if checkin_list else None
    if checkin_list is None or event is None or event["organizer"] != principal.organizer:
        abort(404, _("There is no such check-in list."))
    return checkin_list, event


@bp.route("/door/<int:list_id>/<mode>/", methods=["GET", "POST"])
@screen("checkin")
def door_scan(principal: Principal, list_id: int, mode: str) -> str:
    """The scanning screen; a POST redeems the code it carries and shows the answer."""
    if mode not in MODES:
        abort(404, _("The door scans in entry or exit mode."))
    answer = None
    with get_store().transaction() as tx:
        checkin_list, event = _list_of(tx, principal, list_id)
        code = request.form.get("code", "").strip() if request.method == "POST" else ""
        if code:
            nonce = request.form.get("nonce", "")
            scan = checkin.Scan(
                lists=[checkin_list["id"]],
                secret=code,
                type=mode,
                nonce=nonce if 0 < len(nonce) <= _MAX_NONCE else None,
                device=None,
            )
            outcome = checkin.redeem(tx, [checkin_list], scan, now())
            answer = describe(tx, outcome, code, event, checkin_list)
        # Counting goes through every ticket of the event: the door's script asks for the counts in a request
        # of their own once the answer is painted, so a scan's answer never waits for them.
        counts = None if request.headers.get(ANSWER_ONLY) else checkin.list_counts(tx, checkin_list)
        several = sum(len(lists) for _event, lists in _lists(tx, principal.organizer)) > 1
    return render_template(
        "ui/door_scan.html",
        checkin_list=checkin_list,
        event_name=i18n_text(event["name"]),
        mode=mode,
        modes=MODES,
        answer=answer,
        counts=counts,
        nonce=secrets.token_urlsafe(16),
        several_lists=several,
    )
