"""Organizers, events and event settings: input and output shapes."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from ..paper import PAGE_FORMATS
from .base import InputSchema, SalesChannelsMixin
from .fields import (
    Boolean,
    Choice,
    DateTime,
    ErrorMessages,
    I18nString,
    Integer,
    JSONObject,
    List,
    Raw,
    String,
    StringMap,
)


class OrganizerSchema(InputSchema):
    name = String(dump_only=True)
    slug = String(dump_only=True)
    public_url = Raw(dump_only=True)
    plugins = Raw(dump_only=True)


# Regexp validators match from the start; each pattern ends in \Z (not $, which passes a final newline).
SLUG = validate.Regexp(
    r"[a-zA-Z0-9][a-zA-Z0-9.-]*\Z",
    error="The slug may only contain letters, numbers, dots and dashes.",
)


@functools.cache
def _available_timezones() -> frozenset[str]:
    """The zone names, read once: listing them walks the whole tz database on disk."""
    return frozenset(zoneinfo.available_timezones())


_NUMBER_MESSAGES: ErrorMessages = {"invalid": "A valid number is required."}


class EventSchema(SalesChannelsMixin, InputSchema):
    name = I18nString(required=True, allow_empty=False)
    slug = String(required=True, max_length=50, validate=[SLUG])
    live = Boolean(load_default=False)
    testmode = Boolean(load_default=False)
    currency = String(
        load_default="EUR",
        max_length=3,
        validate=validate.Regexp(r"[A-Z]{3}\Z", error="Enter a valid ISO 4217 currency code."),
    )
    date_from = DateTime(required=True)
    date_to = DateTime(load_default=None, allow_none=True)
    date_admission = DateTime(load_default=None, allow_none=True)
    is_public = Boolean(load_default=True)
    presale_start = DateTime(load_default=None, allow_none=True)
    presale_end = DateTime(load_default=None, allow_none=True)
    location = I18nString(load_default=None, allow_none=True, max_length=1000)
    geo_lat = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(-90, 90), error_messages=_NUMBER_MESSAGES
    )
    geo_lon = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(-180, 180), error_messages=_NUMBER_MESSAGES
    )
    has_subevents = Boolean(load_default=False)
    meta_data = StringMap(load_default=dict)
    plugins = List(String(max_length=100), load_default=list, max_items=100)
    seating_plan = Integer(load_default=None, allow_none=True)
    seat_category_mapping = JSONObject(load_default=dict)
    timezone = String(load_default="UTC", max_length=100)
    item_meta_properties = StringMap(load_default=dict)
    valid_keys = Raw(dump_only=True)
    public_url = Raw(dump_only=True)

    @validates_schema
    def _check(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        if "timezone" in data and data["timezone"] not in _available_timezones():
            raise ValidationError({"timezone": [f'"{data["timezone"]}" is not a valid choice.']})


class EventSettingsSchema(InputSchema):
    """The event settings this server acts on; null resets one to the server's default."""

    reservation_time = Integer(
        allow_none=True, min_value=1, max_value=7 * 24 * 60,
        metadata={"label": "Reservation period", "help_text": "Minutes a cart position holds its quota."},
    )
    payment_term_days = Integer(
        allow_none=True, min_value=0, max_value=1000,
        metadata={
            "label": "Payment term in days",
            "help_text": "Days a pending order has to be paid before it expires.",
        },
    )
    # pretix's generator identifiers; the schema names them itself, as schemas import nothing of the services.
    ticket_secret_generator = Choice(
        ("random", "pretix_sig1"),
        allow_none=True,
        metadata={
            "label": "Ticket code generator",
            "help_text": "random: 32 random characters, checked against the orders a scanner holds. pretix_sig1: "
            "codes signed with the event's key (see valid_keys), which scanners verify offline; canceled or "
            "changed tickets get new codes and their old ones go on the revoked list.",
        },
    )
    ticket_page_format = String(
        allow_none=True, validate=validate.OneOf(PAGE_FORMATS, error='"{input}" is not a valid choice.'),
        metadata={
            "label": "Ticket paper",
            "help_text": "A4, A5, A6, letter, ticket-2x5.5in (thermal ticket stock, landscape) or roll-80mm.",
        },
    )
    logo_image = String(
        allow_none=True,
        max_length=None,  # the request's size bounds it
        metadata={
            "label": "Logo",
            "help_text": "A PNG or JPEG as a data URL; ticket layouts show it in an imagearea of content event_logo.",
        },
    )


class ExplainQuery(InputSchema):
    explain = Boolean()


class EventListQuery(InputSchema):
    is_public = Boolean()
    live = Boolean()
    testmode = Boolean()
    has_subevents = Boolean()
    is_future = Boolean()
    is_past = Boolean()
    date_from_after = DateTime()
    date_from_before = DateTime()
    date_to_after = DateTime()
    date_to_before = DateTime()
    ends_after = DateTime()
    search = String(max_length=200)
    sales_channel = String(max_length=100)
