"""Device shapes: pretix's devices resource, the pairing handshake and what an app reports about itself."""

from __future__ import annotations

from marshmallow import Schema

from .base import InputSchema
from .fields import Boolean, Choice, DateTime, Integer, JSONObject, List, Raw, String

SECURITY_PROFILES = ("full", "pretixscan", "pretixscan_online_noorders", "pretixscan_online_kiosk")


class DeviceSchema(InputSchema):
    """A device as the organizer sees and manages it."""

    device_id = Integer(dump_only=True)
    unique_serial = String(dump_only=True)
    initialization_token = String(dump_only=True)
    all_events = Boolean(load_default=False)
    limit_events = List(String(max_length=50), load_default=list)
    revoked = Boolean(dump_only=True)
    name = String(required=True, max_length=190, allow_blank=False)
    created = Raw(dump_only=True)
    initialized = Raw(dump_only=True)
    hardware_brand = Raw(dump_only=True)
    hardware_model = Raw(dump_only=True)
    os_name = Raw(dump_only=True)
    os_version = Raw(dump_only=True)
    software_brand = Raw(dump_only=True)
    software_version = Raw(dump_only=True)
    security_profile = Choice(SECURITY_PROFILES, load_default="full")


class DeviceUpdateSchema(DeviceSchema):
    """What the organizer may change of a device; `revoked` may be set, never unset."""

    revoked = Boolean()


class DeviceSelfSchema(Schema):
    """A device as it sees itself (pretix's answer to initialize, update and roll)."""

    organizer = Raw()
    device_id = Raw()
    unique_serial = Raw()
    api_token = Raw()
    name = Raw()
    security_profile = Raw()
    gate = Raw()


class InitializationRequestSchema(InputSchema):
    """What an app sends to trade its initialization token for an API token."""

    token = String(required=True, max_length=190)
    hardware_brand = String(required=True, max_length=190)
    hardware_model = String(required=True, max_length=190)
    os_name = String(load_default=None, allow_none=True, max_length=190)
    os_version = String(load_default=None, allow_none=True, max_length=190)
    software_brand = String(required=True, max_length=190)
    software_version = String(required=True, max_length=190)
    info = JSONObject(load_default=None, allow_none=True)
    rsa_pubkey = String(load_default=None, allow_none=True, max_length=2000)


class DeviceReportSchema(InputSchema):
    """What an app reports about itself after an update (`device/update`)."""

    hardware_brand = String(max_length=190)
    hardware_model = String(max_length=190)
    os_name = String(allow_none=True, max_length=190)
    os_version = String(allow_none=True, max_length=190)
    software_brand = String(max_length=190)
    software_version = String(max_length=190)
    info = JSONObject(allow_none=True)
    rsa_pubkey = String(allow_none=True, max_length=2000)


class NoOptionsSchema(InputSchema):
    """The body of a device call that takes no options (`{}`)."""


class EventSelectionQuery(InputSchema):
    current_event = String(max_length=50)
    current_subevent = Integer(allow_none=True)
    current_checkinlist = Integer(allow_none=True)


class FailedCheckinSchema(InputSchema):
    """A scan a device refused offline, uploaded for the history."""

    raw_barcode = String(required=True, max_length=2000)
    error_reason = Choice(
        (
            "invalid",
            "unpaid",
            "blocked",
            "invalid_time",
            "canceled",
            "already_redeemed",
            "product",
            "rules",
            "ambiguous",
            "revoked",
            "unapproved",
            "error",
        ),
        required=True,
    )
    datetime = DateTime(load_default=None, allow_none=True)
    type = Choice(("entry", "exit"), load_default="entry")
    nonce = String(load_default=None, allow_none=True, max_length=190)
    position = Integer(load_default=None, allow_none=True)
    item = Integer(load_default=None, allow_none=True)
    variation = Integer(load_default=None, allow_none=True)
    subevent = Integer(load_default=None, allow_none=True)
    raw_item = Integer(load_default=None, allow_none=True)
    raw_variation = Integer(load_default=None, allow_none=True)
    raw_subevent = Integer(load_default=None, allow_none=True)


class PrintLogSchema(InputSchema):
    """A print a device made of a ticket or badge."""

    id = Integer(dump_only=True)
    source = String(required=True, max_length=190)
    type = Choice(("badge", "ticket", "certificate", "other"), required=True)
    datetime = DateTime(load_default=None, allow_none=True)
    info = JSONObject(load_default=dict)
