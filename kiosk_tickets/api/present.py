"""pretix's JSON for what the services return: orders, positions, carts, scans, and the absolute URLs in them.

Services answer with documents and facts; only this module knows the shape pretix gives them on the wire
(derived fields, download links, the redeem answer) before the output schemas pick the fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import request

from ..services.checkin import Outcome, ScanResult
from ..services.orders import OrderDetails, PositionDetails
from ..services.positions import full_name, money


@dataclass(frozen=True)
class Links:
    """Absolute URLs of one event's objects, on the host this request came to."""

    organizer: str
    event: str

    @property
    def _api(self) -> str:
        return f"{request.host_url}api/v1/organizers/{self.organizer}/events/{self.event}"

    def order_pdf(self, code: str) -> str:
        return f"{self._api}/orders/{code}/download/pdf/"

    def position_pdf(self, position_id: int) -> str:
        return f"{self._api}/orderpositions/{position_id}/download/pdf/"

    def order_page(self, code: str, secret: str) -> str:
        return f"{request.host_url}{self.organizer}/{self.event}/order/{code}/{secret}/"


def organizer(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {**doc, "public_url": f"{request.host_url}{doc['slug']}/"}


def event(doc: Mapping[str, Any], organizer_slug: str) -> dict[str, Any]:
    return {**doc, "public_url": f"{request.host_url}{organizer_slug}/{doc['slug']}/"}


def cart(position: Mapping[str, Any]) -> dict[str, Any]:
    """A cart position, with its add-ons and bundled positions where it was just created with them."""
    presented = {**position, "attendee_name": full_name(position.get("attendee_name_parts"))}
    for nested in ("addons", "bundled"):
        if nested in position:
            presented[nested] = [cart(child) for child in position[nested]]
    return presented


def position(details: PositionDetails, links: Links) -> dict[str, Any]:
    stored = details.position
    return {
        **stored,
        "order": details.order_code,
        "code": details.order_code,
        "attendee_name": full_name(stored["attendee_name_parts"]),
        "checkins": details.checkins,
        "downloads": [{"output": "pdf", "url": links.position_pdf(stored["id"])}] if details.downloadable else [],
        "plugin_data": {},
    }


def _total(fees: list[dict], field: str) -> str:
    return money(sum((Decimal(fee[field]) for fee in fees), Decimal(0)))


def order(details: OrderDetails, links: Links) -> dict[str, Any]:
    """The order with positions, fees, downloads and the fields pretix derives from them."""
    stored = details.order
    payment_fees = [fee for fee in details.fees if fee["fee_type"] == "payment" and not fee["canceled"]]
    confirmed = [p for p in stored["payments"] if p["state"] == "confirmed"]
    address = stored.get("invoice_address")
    return {
        **stored,
        "event": details.event_slug,
        "positions": [position(p, links) for p in details.positions],
        "fees": details.fees,
        "payment_fee": _total(payment_fees, "value"),
        "payment_fee_tax_rate": payment_fees[0]["tax_rate"] if payment_fees else "0.00",
        "payment_fee_tax_value": _total(payment_fees, "tax_value"),
        "payment_date": confirmed[-1]["payment_date"][:10] if confirmed and confirmed[-1]["payment_date"] else None,
        "payment_provider": stored["payments"][-1]["provider"] if stored["payments"] else None,
        "invoice_address": {**address, "name": full_name(address.get("name_parts"))} if address else None,
        "downloads": [{"output": "pdf", "url": links.order_pdf(stored["code"])}] if details.downloadable else [],
        "url": links.order_page(stored["code"], stored["secret"]),
        "plugin_data": {},
        "use_gift_cards": [],
    }


def order_preview(details: OrderDetails, links: Links) -> dict[str, Any]:
    """A simulated order: code "PREVIEW", no ids, secrets or links (nothing of it exists)."""
    presented = order(details, links)
    preview_positions = [
        {**p, "id": 0, "order": "PREVIEW", "code": "PREVIEW", "secret": "", "addon_to": None, "downloads": []}
        for p in presented["positions"]
    ]
    return {**presented, "code": "PREVIEW", "secret": "", "url": None, "downloads": [], "positions": preview_positions}


# The answer to a scan: pretix's HTTP status and `status` word for each result.
SCAN_STATUS: dict[ScanResult, tuple[int, str]] = {
    ScanResult.OK: (201, "ok"),
    ScanResult.REFUSED: (200, "error"),
    ScanResult.UNKNOWN: (404, "error"),
    ScanResult.AMBIGUOUS: (400, "error"),
    ScanResult.INCOMPLETE: (400, "incomplete"),
}


def checkin_position(
    details: PositionDetails, links: Links, order_doc: Mapping[str, Any], require_attention: bool
) -> dict[str, Any]:
    """A position as check-in shows it: with its order's state, which a scanner decides on."""
    return {
        **position(details, links),
        "require_attention": require_attention,
        "order__status": order_doc["status"],
        "order__valid_if_pending": order_doc["valid_if_pending"],
        "order__require_approval": order_doc["require_approval"],
        "order__locale": order_doc["locale"],
    }


def scan(outcome: Outcome, organizer_slug: str) -> tuple[dict[str, Any], int]:
    """The redeem answer's body and status: the position (with the check-ins of this list only), the list."""
    status, word = SCAN_STATUS[outcome.result]
    if outcome.final or outcome.reason == "revoked":
        # As pretix answers a revoked secret, and any refusal of a forced scan: the one answer a device's
        # upload queue takes as settled, instead of sending that scan again forever.
        status = 400
    body: dict[str, Any] = {"status": word}
    if word == "error":
        body.update(reason=outcome.reason, reason_explanation=outcome.reason_explanation)
    if outcome.position is None:
        found = {"detail": "Not found."} if outcome.result is ScanResult.UNKNOWN else {}
        return {**found, **body, "require_attention": False, "checkin_texts": []}, status
    assert outcome.order is not None and outcome.checkin_list is not None and outcome.event is not None
    checkin_list, order_doc = outcome.checkin_list, outcome.order
    links = Links(organizer_slug, outcome.event["slug"])
    shown = checkin_position(outcome.position, links, order_doc, outcome.require_attention)
    shown["checkins"] = [c for c in shown["checkins"] if c["list"] == checkin_list["id"]]
    body.update(
        position=shown,
        require_attention=outcome.require_attention,
        checkin_texts=outcome.checkin_texts,
        list={
            "id": checkin_list["id"],
            "name": checkin_list["name"],
            "event": outcome.event["slug"],
            "subevent": None,
            "include_pending": checkin_list["include_pending"],
        },
    )
    if outcome.questions is not None:
        body["questions"] = outcome.questions
    return body, status
