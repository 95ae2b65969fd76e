"""Ticket layouts (pretix's ticketoutputpdf plugin): the layout resource and its product assignments."""

from __future__ import annotations

from .base import SALES_CHANNELS, InputSchema
from .fields import Boolean, Choice, Integer, Nested, Raw, String


class ItemAssignmentSchema(InputSchema):
    item = Integer(required=True)
    sales_channel = Choice(SALES_CHANNELS, load_default="web")


class TicketLayoutSchema(InputSchema):
    id = Integer(dump_only=True)
    name = String(required=True, max_length=190)
    default = Boolean(load_default=False)
    # Checked against pretix's pdf-layout schema by the service, which names the element at fault.
    layout = Raw(load_default=list)
    # In: a PDF as a data URL, or null; out: the URL the PDF is served at, or null.
    background = String(load_default=None, allow_none=True, max_length=None)  # the request's size bounds it
    item_assignments = Nested(ItemAssignmentSchema, many=True, load_default=list)
