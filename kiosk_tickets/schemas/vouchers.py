"""Voucher shapes: the voucher and its list filters."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import validate

from .base import InputSchema
from .fields import Boolean, Choice, DateTime, DecimalString, Integer, Money, Raw, String


class VoucherSchema(InputSchema):
    id = Integer(dump_only=True)
    created = Raw(dump_only=True)
    code = String(
        load_default=None,
        max_length=255,
        validate=validate.Regexp(r"[a-zA-Z0-9][a-zA-Z0-9_.\-]{4,}\Z", error="Voucher codes need at least 5 characters "
                                 "and may only contain letters, numbers, dots, dashes and underscores."),
    )
    max_usages = Integer(load_default=1, min_value=1)
    redeemed = Raw(dump_only=True)
    min_usages = Integer(load_default=1, min_value=1)
    valid_until = DateTime(load_default=None, allow_none=True)
    block_quota = Boolean(load_default=False)
    allow_ignore_quota = Boolean(load_default=False)
    price_mode = Choice(("none", "set", "subtract", "percent"), load_default="none")
    value = Money(load_default="0.00", min_value=Decimal(0))
    item = Integer(load_default=None, allow_none=True)
    variation = Integer(load_default=None, allow_none=True)
    quota = Integer(load_default=None, allow_none=True)
    seat = String(load_default=None, allow_none=True)
    tag = String(load_default="", allow_none=True)
    comment = String(load_default="", allow_none=True, max_length=10000)
    subevent = Integer(load_default=None, allow_none=True)
    show_hidden_items = Boolean(load_default=True)
    all_addons_included = Boolean(load_default=False)
    all_bundles_included = Boolean(load_default=False)
    budget = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    budget_used = Raw(dump_only=True)


class VoucherListQuery(InputSchema):
    code = String(max_length=255)
    max_usages = Integer()
    redeemed = Integer()
    block_quota = Boolean()
    allow_ignore_quota = Boolean()
    price_mode = String(max_length=20)
    value = DecimalString()
    item = Integer()
    variation = Integer()
    quota = Integer()
    tag = String(max_length=255)
    subevent = Integer()
    search = String(max_length=255)
