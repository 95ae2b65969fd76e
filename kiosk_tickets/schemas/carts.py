"""Cart position shapes, and the position input that carts and orders share."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields

from .base import SALES_CHANNELS, InputSchema
from .fields import Boolean, Choice, DateTime, Email, Integer, List, Money, NameParts, Nested, Raw, String


class AnswerSchema(InputSchema):
    question = Integer(required=True)
    answer = String(load_default="", allow_none=True, max_length=10000)
    question_identifier = Raw(dump_only=True)
    options = List(Integer(), load_default=list, max_items=100)
    option_identifiers = Raw(dump_only=True)


class PositionInputSchema(InputSchema):
    """What a position in a request may say: the fields shared by carts and orders, and by nested positions."""

    item = Integer(required=True)
    variation = Integer(load_default=None, allow_none=True)
    price = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    seat = String(load_default=None, allow_none=True, max_length=190)
    attendee_name = String(load_default=None, allow_none=True)
    attendee_name_parts = NameParts(load_default=dict, allow_none=True)
    attendee_email = Email(load_default=None, allow_none=True)
    subevent = Integer(load_default=None, allow_none=True)
    voucher = String(load_default=None, allow_none=True)
    answers = Nested(AnswerSchema, many=True, load_default=list)


class CartPositionCreateSchema(PositionInputSchema):
    # Required, as in pretix. Nested add-ons and bundled positions may leave it out (the example of pretix's
    # documentation does) and get the price the catalog lists for them.
    price = Money(required=True, min_value=Decimal(0))
    cart_id = String(load_default=None, allow_none=True)
    expires = DateTime(load_default=None, allow_none=True)
    # Deprecated in pretix and without effect: prices are always gross here.
    includes_tax = Boolean(load_default=True)
    sales_channel = Choice(SALES_CHANNELS, load_default="web")
    addons = Nested(PositionInputSchema, many=True, load_default=list)
    bundled = Nested(PositionInputSchema, many=True, load_default=list)


class CartPositionSchema(Schema):
    id = Raw()
    cart_id = Raw()
    datetime = Raw()
    expires = Raw()
    item = Raw()
    variation = Raw()
    price = Raw()
    attendee_name = Raw()
    attendee_name_parts = Raw()
    attendee_email = Raw()
    voucher = Raw()
    addon_to = Raw()
    is_bundled = Raw()
    subevent = Raw()
    answers = Raw()
    seat = Raw()
    includes_tax = Raw()


class CartPositionCreatedSchema(CartPositionSchema):
    addons = fields.List(fields.Nested(CartPositionSchema))
    bundled = fields.List(fields.Nested(CartPositionSchema))
