"""What a ticket shows: the texts of an order position under the variable names of pretix's ticket layouts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..isotime import parse_datetime
from ..store import Transaction
from . import positions
from .common import i18n_text


def _moment(value: str | None, zone: ZoneInfo) -> datetime | None:
    return parse_datetime(value).astimezone(zone) if value else None


def _date(moment: datetime) -> str:
    return f"{moment:%a, %d %b %Y}"


def _time(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _date_time(moment: datetime) -> str:
    return f"{_date(moment)}, {_time(moment)} ({moment.tzname()})"


def _rate(rate: str) -> str:
    """'19.00' -> '19', '7.50' -> '7.5'."""
    return f"{Decimal(rate).normalize():f}"


def _admission_line(admission: datetime | None, begin: datetime) -> str:
    if admission is None:
        return ""
    return f"Admission {_time(admission) if admission.date() == begin.date() else _date_time(admission)}"


def _name_variables(prefix: str, parts: Mapping[str, str] | None) -> dict[str, str]:
    shown = {f"{prefix}_{key}": value for key, value in (parts or {}).items() if not key.startswith("_") and value}
    return {prefix: positions.full_name(dict(parts or {})) or "", **shown}


def ticket_variables(tx: Transaction, order: Mapping[str, Any], position: Mapping[str, Any]) -> dict[str, str]:
    """The texts of `position`'s ticket by variable name (pretix's `event_name`, `itemvar`, `attendee_name`, …, and
    `question_<identifier>` for answers); a value the order does not have is an empty string. Besides pretix's:
    `tax_note` ("incl. 19% tax" under a tax rule) and `admission_line` ("Admission 09:00", or the date too when
    admission opens on another day)."""
    event = tx.referenced("events", order["event"])
    zone = ZoneInfo(event.get("timezone") or "UTC")
    organizer = tx.find_one("organizers", slug=event["organizer"]) or {"name": event["organizer"]}
    item = tx.referenced("items", position["item"])
    variation = tx.get("variations", position["variation"]) if position["variation"] else None
    category = tx.get("categories", item["category"]) if item.get("category") else None
    begin = _moment(event["date_from"], zone)
    assert begin is not None
    admission = _moment(event.get("date_admission"), zone)
    end = _moment(event.get("date_to"), zone)
    addons = sorted(
        (p for p in tx.find("orderpositions", addon_to=position["id"]) if not p["canceled"]),
        key=lambda p: p["positionid"],
    )
    addon_names = []
    for addon in addons:
        addon_item = tx.referenced("items", addon["item"])
        addon_variation = tx.get("variations", addon["variation"]) if addon["variation"] else None
        addon_names.append(positions.product_name(addon_item, addon_variation))
    currency = event["currency"]
    with_addons = Decimal(position["price"]) + sum((Decimal(a["price"]) for a in addons), Decimal(0))
    taxed = position.get("tax_rule") is not None and Decimal(position.get("tax_rate") or 0) > 0
    invoice = order.get("invoice_address") or {}
    location = event.get("location")
    variables = {
        "event_name": i18n_text(event["name"]),
        "event_date": _date(begin),
        "event_begin": _date_time(begin),
        "event_begin_date": _date(begin),
        "event_begin_time": _time(begin),
        "event_admission": _date_time(admission) if admission else "",
        "event_admission_time": _time(admission) if admission else "",
        "admission_line": _admission_line(admission, begin),
        "event_end": _date_time(end) if end else "",
        "event_end_date": _date(end) if end else "",
        "event_end_time": _time(end) if end else "",
        "event_location": i18n_text(location) if location else "",
        "organizer": organizer["name"],
        "item": i18n_text(item["name"]),
        "variation": i18n_text(variation["value"]) if variation else "",
        "itemvar": positions.product_name(item, variation),
        "item_category": i18n_text(category["name"]) if category else "",
        "addons": "\n".join(addon_names),
        "itemvar_with_addons": "\n".join([positions.product_name(item, variation), *(f"+ {n}" for n in addon_names)]),
        "price": f"{position['price']} {currency}",
        "price_with_addons": f"{positions.money(with_addons)} {currency}",
        "tax_note": f"incl. {_rate(position['tax_rate'])}% tax" if taxed else "",
        "order": order["code"],
        "positionid": str(position["positionid"]),
        "secret": position["secret"],
        "attendee_email": position.get("attendee_email") or "",
        "attendee_company": position.get("company") or "",
        "invoice_company": invoice.get("company") or "",
        **_name_variables("attendee_name", position.get("attendee_name_parts")),
        **_name_variables("invoice_name", invoice.get("name_parts")),
    }
    for answer in position.get("answers") or []:
        if answer.get("question_identifier"):
            variables[f"question_{answer['question_identifier']}"] = answer["answer"]
    return variables
