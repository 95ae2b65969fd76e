"""Check-in shapes: lists, scans, search and the history of scans."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields

from .base import InputSchema
from .fields import Boolean, Choice, DateTime, Integer, JSONObject, List, Raw, String, StringMap
from .orders import OrderPositionListQuery


class CheckinListSchema(InputSchema):
    id = Integer(dump_only=True)
    name = String(required=True, max_length=190, allow_blank=False)
    all_products = Boolean(load_default=True)
    limit_products = List(Integer(), load_default=list)
    subevent = Integer(load_default=None, allow_none=True)
    position_count = Raw(dump_only=True)
    checkin_count = Raw(dump_only=True)
    include_pending = Boolean(load_default=False)
    allow_multiple_entries = Boolean(load_default=False)
    allow_entry_after_exit = Boolean(load_default=True)
    rules = JSONObject(load_default=dict)
    exit_all_at = DateTime(load_default=None, allow_none=True)
    addon_match = Boolean(load_default=False)
    ignore_in_statistics = Boolean(load_default=False)
    consider_tickets_used = Boolean(load_default=True)


class RedeemSchema(InputSchema):
    """A scan sent to the check-in RPC (`lists`) or to a list's legacy redeem URL (no `lists`)."""

    secret = String(max_length=2000)
    lists = List(Integer(), max_items=50)
    source_type = Choice(("barcode", "nfc_uid"), load_default="barcode")
    type = Choice(("entry", "exit"), load_default="entry")
    datetime = DateTime(load_default=None, allow_none=True)
    force = Boolean(load_default=False)
    ignore_unpaid = Boolean(load_default=False)
    questions_supported = Boolean(load_default=True)
    canceled_supported = Boolean(load_default=True)
    nonce = String(load_default=None, allow_none=True, max_length=190)
    answers = StringMap(load_default=dict)
    use_order_locale = Boolean(load_default=False)


class RedeemRpcSchema(RedeemSchema):
    """A scan sent to the check-in RPC: it names the secret and the lists to search."""

    secret = String(required=True, max_length=2000)
    lists = List(Integer(), required=True, max_items=50)


class UntrustedInputQuery(InputSchema):
    untrusted_input = Boolean()


class CheckinSearchQuery(OrderPositionListQuery):
    ignore_status = Boolean()


class CheckinSearchBodySchema(CheckinSearchQuery):
    """The check-in search's parameters sent as a JSON body."""

    lists = List(Integer(), required=True, max_items=50)
    ordering = String(max_length=100)


class CheckinHistorySchema(Schema):
    id = Raw()
    successful = Raw()
    error_reason = Raw()
    error_explanation = Raw()
    position = Raw()
    datetime = Raw()
    created = Raw()
    list = Raw()
    auto_checked_in = Raw()
    gate = Raw()
    device = Raw()
    device_id = Raw()
    type = Raw()


class CheckinHistoryQuery(InputSchema):
    created_since = fields.AwareDateTime(default_timezone=UTC)
    created_before = fields.AwareDateTime(default_timezone=UTC)
    datetime_since = fields.AwareDateTime(default_timezone=UTC)
    datetime_before = fields.AwareDateTime(default_timezone=UTC)
    successful = Boolean()
    error_reason = String(max_length=64)
    list = Integer()
    type = Choice(("entry", "exit"))
    gate = Integer()
    device = Integer()
    auto_checked_in = Boolean()


class RevokedSecretSchema(Schema):
    """A ticket secret scanners must refuse: its ticket was canceled or changed and has a new secret."""

    id = Raw()
    secret = Raw()
    created = Raw()


class RevokedSecretListQuery(InputSchema):
    # The cursor of an incremental sync: the newest `created` a scanner has seen; those at or after it come.
    created_since = fields.AwareDateTime(default_timezone=UTC)
    secret = String(max_length=2000)


class BlockedSecretSchema(Schema):
    """A ticket secret blocked (or unblocked again, `blocked` false) for scanners that check offline."""

    id = Raw()
    secret = Raw()
    updated = Raw()
    blocked = Raw()


class BlockedSecretListQuery(InputSchema):
    updated_since = fields.AwareDateTime(default_timezone=UTC)
    blocked = Boolean()
