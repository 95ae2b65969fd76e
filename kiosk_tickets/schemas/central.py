"""A central pretix's JSON read as this server's documents: the input schemas name and normalise each field.

The central answers with output shapes (ids, computed fields, nested lists); documents hold only what
this server stores. Each function returns the document without its owner fields (event, item, order),
which the importer sets, and keeps the central's `id` where the object has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from .. import layouts
from .base import SALES_CHANNELS, instance
from .catalog import (
    AddOnSchema,
    BundleSchema,
    CategorySchema,
    ItemSchema,
    QuestionOptionSchema,
    QuestionSchema,
    QuotaSchema,
    TaxRuleSchema,
    VariationSchema,
)
from .checkin import CheckinListSchema
from .events import EventSchema, EventSettingsSchema
from .orders import CheckinSchema, FeeSchema, OrderPositionSchema, OrderSchema
from .ticketlayouts import TicketLayoutSchema


class UnreadableObject(Exception):
    """An object the central sent does not fit this server's rules; the message names it and the field."""


def _loaded(schema_class: type[Schema], data: Mapping[str, Any], what: str) -> dict[str, Any]:
    try:
        return instance(schema_class).load(dict(data))
    except ValidationError as error:
        field, messages = next(iter(error.normalized_messages().items()))
        detail = messages[0] if isinstance(messages, list) and messages else messages
        raise UnreadableObject(f"{what} cannot be read ({field}: {detail})") from None


def _with_id(doc: dict[str, Any], data: Mapping[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(data.get("id"), int) or isinstance(data.get("id"), bool):
        raise UnreadableObject(f"{what} has no id")
    doc["id"] = data["id"]
    return doc


def event(data: Mapping[str, Any]) -> dict[str, Any]:
    """The event's own fields (events have no id in the API: they are known by slug)."""
    return _loaded(EventSchema, data, f"event {data.get('slug')!r}")


def signing_keys(data: Mapping[str, Any]) -> list[str]:
    """The public keys the central signs the event's tickets with (its `valid_keys`), as it publishes them."""
    keys = (data.get("valid_keys") or {}).get("pretix_sig1") or []
    return [key for key in keys if isinstance(key, str)]


def revoked_secret(data: Mapping[str, Any]) -> dict[str, Any]:
    """A secret the central revoked (its ticket was canceled or changed); the ticket it belonged to is not named."""
    what = f"revoked secret {data.get('id')}"
    if not isinstance(data.get("secret"), str):
        raise UnreadableObject(f"{what} has no secret")
    return _with_id({"secret": data["secret"], "created": data.get("created"), "position": None}, data, what)


def event_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings this server acts on, of those the central sent; values it cannot act on are left out."""
    settings: dict[str, Any] = {}
    schema = instance(EventSettingsSchema)
    for name in schema.fields:
        if data.get(name) is None:
            continue
        try:
            settings.update(schema.load({name: data[name]}, partial=True))
        except ValidationError:
            # A generator or term this server does not know: it keeps its own default for that setting.
            continue
    return settings


def category(data: Mapping[str, Any]) -> dict[str, Any]:
    what = f"category {data.get('id')}"
    return _with_id(_loaded(CategorySchema, data, what), data, what)


def taxrule(data: Mapping[str, Any]) -> dict[str, Any]:
    what = f"tax rule {data.get('id')}"
    return _with_id(_loaded(TaxRuleSchema, data, what), data, what)


# The nested lists of an item, each stored in a table of its own.
ITEM_PARTS: dict[str, tuple[str, type[Schema]]] = {
    "variations": ("variations", VariationSchema),
    "addons": ("addons", AddOnSchema),
    "bundles": ("bundles", BundleSchema),
}


def item(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The item, and its variations, add-ons and bundles by table."""
    what = f"item {data.get('id')}"
    own = {key: value for key, value in data.items() if key not in ITEM_PARTS and key != "program_times"}
    doc = _with_id(_loaded(ItemSchema, own, what), data, what)
    doc["has_variations"] = bool(data.get("has_variations"))
    # Kept as sent: program times carry ids of their own, which the input schema does not read.
    doc["program_times"] = [dict(entry) for entry in data.get("program_times") or []]
    parts: dict[str, list[dict[str, Any]]] = {}
    for field, (table, schema_class) in ITEM_PARTS.items():
        parts[table] = []
        for entry in data.get(field) or []:
            part_what = f"{what}, {field} {entry.get('id')}"
            parts[table].append(_with_id(_loaded(schema_class, entry, part_what), entry, part_what))
    return doc, parts


def quota(data: Mapping[str, Any]) -> dict[str, Any]:
    what = f"quota {data.get('id')}"
    return _with_id(_loaded(QuotaSchema, data, what), data, what)


def question(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The question, and its options."""
    what = f"question {data.get('id')}"
    doc = _with_id(_loaded(QuestionSchema, {k: v for k, v in data.items() if k != "options"}, what), data, what)
    # Stored as the list; the single value is derived from it when shown (as the questions service stores it).
    single = doc.pop("dependency_value", None)
    if single and not doc.get("dependency_values"):
        doc["dependency_values"] = [single]
    doc.pop("options", None)
    options = []
    for entry in data.get("options") or []:
        option_what = f"{what}, option {entry.get('id')}"
        options.append(_with_id(_loaded(QuestionOptionSchema, entry, option_what), entry, option_what))
    return doc, options


def checkin_list(data: Mapping[str, Any]) -> dict[str, Any]:
    what = f"check-in list {data.get('id')}"
    return _with_id(_loaded(CheckinListSchema, data, what), data, what)


# Fields of the order answer that are computed from other data, never stored with the order.
_ORDER_DERIVED = frozenset({
    "event", "positions", "fees", "downloads", "url", "payment_fee", "payment_fee_tax_rate",
    "payment_fee_tax_value", "payment_date", "payment_provider", "plugin_data", "use_gift_cards",
})
_POSITION_DERIVED = frozenset({"order", "code", "attendee_name", "checkins", "downloads", "plugin_data"})
# What an order needs where the central leaves a field out (an older pretix answers fewer of them).
_ORDER_DEFAULTS: dict[str, Any] = {"payments": [], "refunds": [], "api_meta": {}, "customer": None}


def order(data: Mapping[str, Any]) -> dict[str, Any]:
    """The order's own fields (orders are known by code; the API shows no id)."""
    if not isinstance(data.get("code"), str) or not data["code"]:
        raise UnreadableObject("an order has no code")
    names = [name for name in instance(OrderSchema).fields if name not in _ORDER_DERIVED]
    doc = {name: data.get(name, _ORDER_DEFAULTS.get(name)) for name in names}
    for name, default in _ORDER_DEFAULTS.items():
        if doc.get(name) is None:
            doc[name] = default
    return doc


def position(data: Mapping[str, Any], order_code: str) -> dict[str, Any]:
    what = f"order {order_code}, position {data.get('id')}"
    doc = {name: data.get(name) for name in instance(OrderPositionSchema).fields if name not in _POSITION_DERIVED}
    doc["answers"] = list(data.get("answers") or [])
    doc["print_logs"] = list(data.get("print_logs") or [])
    doc["canceled"] = bool(data.get("canceled"))
    if not doc.get("attendee_name_parts"):
        doc["attendee_name_parts"] = {}
    return _with_id(doc, data, what)


def fee(data: Mapping[str, Any]) -> dict[str, Any]:
    """An order fee; with the central's id where it sends one (older pretix versions do not)."""
    doc = {name: data.get(name) for name in instance(FeeSchema).fields if name != "id"}
    doc["canceled"] = bool(data.get("canceled"))
    if isinstance(data.get("id"), int):
        doc["id"] = data["id"]
    return doc


def checkin(data: Mapping[str, Any], order_code: str) -> dict[str, Any]:
    """A successful check-in of a position, as the position's `checkins` list shows it."""
    what = f"order {order_code}, check-in {data.get('id')}"
    shown = {name: data.get(name) for name in instance(CheckinSchema).fields}
    doc = {
        "list": shown["list"],
        "datetime": shown["datetime"],
        # When this server recorded it: set by the importer (the scan's `datetime` may be a phone's claim).
        "created": None,
        "type": shown["type"] or "entry",
        "nonce": None,
        "successful": True,
        "error_reason": None,
        "error_explanation": None,
        "gate": shown["gate"],
        # The central's device ids name devices of the central; this server's `device` names its own.
        "device": None,
        "device_id": shown["device_id"],
        "auto_checked_in": bool(shown["auto_checked_in"]),
        "forced": False,
        "raw_barcode": None,
    }
    return _with_id(doc, data, what)


def ticket_layout(data: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The ticket layout, and the link to its background PDF (None without one).

    Assignments to sales channels this server does not sell on (a central's own, such as `api.…`) are left
    out: no order here is of those channels. Raises UnreadableObject for a layout this server cannot draw.
    """
    what = f"ticket layout {data.get('id')}"
    assignments = [
        entry for entry in data.get("item_assignments") or []
        if isinstance(entry, Mapping) and entry.get("sales_channel", "web") in SALES_CHANNELS
    ]
    fields = {key: value for key, value in data.items() if key not in ("background", "item_assignments")}
    doc = _with_id(_loaded(TicketLayoutSchema, {**fields, "item_assignments": assignments}, what), data, what)
    try:
        layouts.check(doc["layout"])
    except layouts.LayoutError as error:
        raise UnreadableObject(f"{what} cannot be drawn here ({error})") from None
    doc["items"] = sorted({assignment["item"] for assignment in doc["item_assignments"]})
    doc.pop("background", None)  # the link is returned; the document holds the file itself once it is read
    background = data.get("background")
    return doc, background if isinstance(background, str) and background else None
