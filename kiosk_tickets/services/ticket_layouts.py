"""Ticket layouts of an event (pretix's ticketlayouts): the organizer's designs, which product uses which, and
their background PDFs.

A layout's JSON is checked when it is written, so a download never meets a broken one. A product prints with the
layout assigned to it for the order's sales channel, else with the event's default layout, else with the built-in
one. A background or logo comes as a data URL (`data:application/pdf;base64,…`); pretix takes the id of a file
uploaded beforehand, an upload endpoint this server does not have.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime
from io import BytesIO
from typing import Any

from .. import layouts
from ..store import Doc, Transaction
from .common import FieldErrors, invalid_pk
from .resources import EventContext, Resource

_DATA_URL = re.compile(r"^data:(?P<type>[a-z]+/[a-z0-9.+-]+);base64,(?P<data>[A-Za-z0-9+/=\s]*)$")
# What a client sends back unchanged when it writes a layout it read: the URL the background is served at.
_SERVED = re.compile(r"/ticketlayouts/(?P<id>[0-9]+)/background\.pdf$")
IMAGE_TYPES = ("image/png", "image/jpeg")


def data_url(value: str, types: tuple[str, ...]) -> tuple[str, bytes]:
    """Return the type and bytes of a base64 data URL of one of `types`; raise ValueError naming what is wrong."""
    match = _DATA_URL.match(value)
    if match is None or match["type"] not in types:
        raise ValueError(f"Send the file as a data URL: data:{types[0]};base64,…")
    try:
        data = base64.b64decode(match["data"], validate=False)
    except binascii.Error:
        raise ValueError("The data URL's content is not valid base64.") from None
    if not data:
        raise ValueError("The file is empty.")
    return match["type"], data


def readable_pdf(data: bytes) -> None:
    """Raise ValueError unless tickets can be drawn over `data`: a PDF whose pages pypdf reads and merges."""
    import pypdf  # only here and when rendering over a background

    try:
        reader = pypdf.PdfReader(BytesIO(data))
        pages = len(reader.pages)
        if pages:
            # What rendering does, once: a page drawn over the background's first page, written out.
            box = reader.pages[0].mediabox
            width, height = float(box.width), float(box.height)
            writer = pypdf.PdfWriter()
            writer.add_page(reader.pages[0]).merge_page(pypdf.PageObject.create_blank_page(None, width, height))
            writer.write(BytesIO())
    except Exception:  # pypdf raises many kinds on broken files; any of them means "not a PDF we can use"
        raise ValueError("The background is not a readable PDF.") from None
    if not pages:
        raise ValueError("The background PDF has no page.")
    if not (0 < width <= 6000 and 0 < height <= 6000):  # points: up to about two metres a side
        raise ValueError("The background's page size is not a paper size.")


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class TicketLayouts(Resource):
    table = "ticketlayouts"

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        try:
            layouts.check(data.get("layout", []))
        except layouts.LayoutError as error:
            errors.add("layout", str(error))
        background = data.get("background")
        if isinstance(background, str) and not self._keeps_background(background, existing):
            try:
                _, pdf = data_url(background, ("application/pdf",))
                readable_pdf(pdf)
            except ValueError as error:
                errors.add("background", str(error))
        # DRF's shape for a list: one entry per assignment, empty where it is fine.
        per_assignment: list[dict[str, list[str]]] = []
        for assignment in data.get("item_assignments") or []:
            item = tx.get("items", assignment["item"])
            wrong = item is None or item.get("event") != ctx.event_id
            per_assignment.append({"item": [invalid_pk(assignment["item"])]} if wrong else {})
        if any(per_assignment):
            errors.fields["item_assignments"] = per_assignment
        errors.raise_if_any()

    @staticmethod
    def _keeps_background(value: str, existing: Doc | None) -> bool:
        served = _SERVED.search(value)
        return existing is not None and served is not None and int(served["id"]) == existing["id"]

    def prepare(self, tx: Transaction, ctx: EventContext, fields: dict, existing: Doc | None, now: datetime) -> dict:
        if "background" in fields:
            background = fields.pop("background")
            if background is None:
                fields["background_pdf"] = None
            elif not self._keeps_background(background, existing):
                fields["background_pdf"] = encoded(data_url(background, ("application/pdf",))[1])
        elif existing is None:
            fields["background_pdf"] = None
        if "item_assignments" in fields:
            # The item ids alone, indexed, find a product's layout and the layouts to update when it goes.
            fields["items"] = sorted({assignment["item"] for assignment in fields["item_assignments"]})
        return fields

    def after_write(self, tx: Transaction, ctx: EventContext, doc: dict, previous: Doc | None, now: datetime) -> None:
        others = [other for other in tx.find(self.table, event=doc["event"]) if other["id"] != doc["id"]]
        if doc.get("default"):
            # One default layout per event: the newest one set wins.
            for other in others:
                if other.get("default"):
                    tx.update(self.table, other["id"], {"default": False})
        # A product prints with one layout per sales channel: the newest assignment wins, as with the default.
        claimed = {(a["item"], a["sales_channel"]) for a in doc.get("item_assignments") or []}
        for other in others:
            kept = [a for a in other.get("item_assignments") or [] if (a["item"], a["sales_channel"]) not in claimed]
            if len(kept) != len(other.get("item_assignments") or []):
                _assign(tx, other["id"], kept)

    def changed(self, tx: Transaction, ctx: EventContext, now: datetime) -> None:
        """Layouts are not part of the catalog whose lists answer If-Modified-Since."""

    def present(
        self, tx: Transaction, ctx: EventContext, doc: dict, now: datetime, options: Mapping[str, Any] = {}
    ) -> dict:
        return {**doc, "background": bool(doc.get("background_pdf"))}


TICKET_LAYOUTS = TicketLayouts()


def _assign(tx: Transaction, layout_id: int, assignments: list[dict]) -> None:
    tx.update(
        "ticketlayouts", layout_id, {"item_assignments": assignments, "items": sorted({a["item"] for a in assignments})}
    )


def remove_item(tx: Transaction, item_id: int) -> None:
    """Take a deleted product out of every layout's assignments."""
    for layout in tx.find("ticketlayouts", items=item_id):
        _assign(tx, layout["id"], [a for a in layout["item_assignments"] if a["item"] != item_id])


def layout_for(tx: Transaction, event_id: int, item_id: int, sales_channel: str) -> Doc | None:
    """The layout a product prints with on an order of `sales_channel`: the one assigned to it for that channel,
    else the one assigned for the web shop, else the event's default; None for the built-in one.

    The web shop's assignment stands in because layouts made in pretix are mostly assigned for the web shop
    only, and a ticket sold at this box office (channel box_office) should look like the one bought online.
    """
    candidates = tx.find("ticketlayouts", items=item_id)
    for channel in (sales_channel, "web"):
        for layout in candidates:
            if any(a["item"] == item_id and a["sales_channel"] == channel for a in layout["item_assignments"]):
                return layout
    return next((layout for layout in tx.find("ticketlayouts", event=event_id) if layout.get("default")), None)


def background_of(layout: Doc) -> bytes | None:
    stored = layout.get("background_pdf")
    return base64.b64decode(stored) if stored else None


def images_of(event: Doc) -> dict[str, bytes]:
    """The images a layout's imagearea can name: `event_logo`, the event's `logo_image` setting."""
    logo = (event.get("settings") or {}).get("logo_image")
    return {"event_logo": data_url(logo, IMAGE_TYPES)[1]} if logo else {}


def check_image(value: str) -> None:
    """Raise ValueError unless `value` is a data URL of a PNG or JPEG image that can be decoded."""
    from PIL import Image  # fpdf2's own dependency, which draws the image later

    _, data = data_url(value, IMAGE_TYPES)
    try:
        with Image.open(BytesIO(data)) as image:
            image.verify()
    except Exception:  # Pillow raises many kinds on broken files; any of them means "not an image we can draw"
        raise ValueError("The image is not a readable PNG or JPEG.") from None
