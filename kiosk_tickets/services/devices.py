"""Devices: scanners and box-office apps paired with the organizer (pretix's device protocol).

A device is created with a single-use initialization token, which the app trades for its own API token
(`initialize`). From then on it authenticates as a principal that may read what a scanner reads and check
tickets in, for its organizer and the events it is limited to, and nothing else. Revoking it ends that at
once; rolling gives it a new API token and kills the old one.
"""

from __future__ import annotations

import hmac
import string
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import NotAuthenticated, NotFound, ValidationFailed
from ..isotime import format_datetime
from ..store import Doc, Transaction
from .auth import Principal, PrincipalKind, hash_token
from .common import random_string, unique_value

TABLE = "devices"

# What a paired device may do: read the event and its catalog, download the orders a scanner keeps for
# offline scans, and check in. Never sell, change the catalog or manage anything.
DEVICE_PERMISSIONS = frozenset({"organizer.read", "catalog.read", "orders.read", "checkin"})

# pretix's security profiles. The two "online" profiles keep no orders on the device, so they may not download them.
SECURITY_PROFILES: dict[str, frozenset[str]] = {
    "full": DEVICE_PERMISSIONS,
    "pretixscan": DEVICE_PERMISSIONS,
    "pretixscan_online_noorders": DEVICE_PERMISSIONS - {"orders.read"},
    "pretixscan_online_kiosk": DEVICE_PERMISSIONS - {"orders.read"},
}
DEFAULT_SECURITY_PROFILE = "full"

# The fields an app reports about itself at initialization and on every update.
HARDWARE_FIELDS = ("hardware_brand", "hardware_model", "os_name", "os_version", "software_brand", "software_version")

REVOKED = "Device access has been revoked."
_SERIAL_ALPHABET = string.ascii_uppercase + string.digits
_INIT_TOKEN_ALPHABET = string.ascii_lowercase + string.digits
_API_TOKEN_LENGTH = 64


def create_device(
    tx: Transaction,
    organizer: Doc,
    data: Mapping[str, Any],
    now: datetime,
) -> dict:
    """A new, not yet initialized device of `organizer`, with its initialization token.

    `data` holds `name` and optionally `all_events`, `limit_events` (event slugs of the organizer) and
    `security_profile`; each is checked here.
    """
    limit_events = list(data.get("limit_events") or [])
    all_events = bool(data.get("all_events", not limit_events))
    _check_events(tx, organizer, limit_events)
    profile = data.get("security_profile") or DEFAULT_SECURITY_PROFILE
    _check_profile(profile)
    existing = tx.find(TABLE, organizer=organizer["slug"])
    return tx.insert(
        TABLE,
        {
            "organizer": organizer["slug"],
            "device_id": max((d["device_id"] for d in existing), default=0) + 1,
            "unique_serial": unique_value(tx, TABLE, "unique_serial", lambda: random_string(_SERIAL_ALPHABET, 16)),
            # Never "proxy=…": an app reads such a token as the pairing of its proxy mode.
            "initialization_token": unique_value(
                tx, TABLE, "initialization_token", lambda: random_string(_INIT_TOKEN_ALPHABET, 16)
            ),
            "api_token_hash": None,
            "name": data["name"],
            "all_events": all_events,
            "limit_events": [] if all_events else limit_events,
            "security_profile": profile,
            "revoked": False,
            "created": format_datetime(now),
            "initialized": None,
            "rsa_pubkey": None,
            "info": None,
            **{name: None for name in HARDWARE_FIELDS},
        },
    )


def update_device(tx: Transaction, organizer: Doc, device: Doc, changes: Mapping[str, Any]) -> dict:
    """Change what the organizer may change of a device: its name, events, security profile; or revoke it."""
    fields = dict(changes)
    if "limit_events" in fields:
        _check_events(tx, organizer, fields["limit_events"])
    if "security_profile" in fields:
        _check_profile(fields["security_profile"])
    if fields.get("revoked") is False and device["revoked"]:
        raise ValidationFailed.field("revoked", "A revoked device cannot be restored; create a new one.")
    all_events = fields.get("all_events", device["all_events"])
    if all_events:
        fields["limit_events"] = []
    return tx.update(TABLE, device["id"], fields)


def devices_of(tx: Transaction, organizer: Doc) -> list[dict]:
    return sorted(tx.find(TABLE, organizer=organizer["slug"]), key=lambda d: d["device_id"])


def get_device(tx: Transaction, organizer: Doc, device_id: Any) -> dict:
    """The organizer's device with this `device_id` (its number within the organizer); NotFound otherwise."""
    try:
        number = int(device_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = tx.find_one(TABLE, organizer=organizer["slug"], device_id=number)
    if found is None:
        raise NotFound()
    return found


def initialize(tx: Transaction, data: Mapping[str, Any], now: datetime) -> tuple[dict, str]:
    """Trade a device's initialization token for its API token; return the device and the token (shown once).

    Every refusal names the `token` field with a 400, which is what the apps show to the person pairing.
    """
    device = tx.find_one(TABLE, initialization_token=data["token"])
    if device is None:
        raise ValidationFailed.field("token", "Unknown initialization token.")
    if device["initialized"] is not None:
        raise ValidationFailed.field("token", "This initialization token has already been used.")
    if device["revoked"]:
        raise ValidationFailed.field("token", "This initialization token has been revoked.")
    api_token = random_string(_INIT_TOKEN_ALPHABET, _API_TOKEN_LENGTH)
    updated = tx.update(
        TABLE,
        device["id"],
        {
            "initialized": format_datetime(now),
            "api_token_hash": hash_token(api_token),
            "info": data.get("info"),
            "rsa_pubkey": data.get("rsa_pubkey"),
            **{name: data.get(name) for name in HARDWARE_FIELDS},
        },
    )
    return updated, api_token


def report(tx: Transaction, device: Doc, data: Mapping[str, Any]) -> dict:
    """Store what the app reports about itself (`device/update`): its hardware, software and info.

    The app's RSA key is kept the first time it is sent; a later, different one is refused, as a key
    that changes under a paired device is not the device that was paired.
    """
    fields: dict[str, Any] = {name: data.get(name) for name in HARDWARE_FIELDS if name in data}
    if "info" in data:
        fields["info"] = data["info"]
    pubkey = data.get("rsa_pubkey")
    if pubkey:
        if device["rsa_pubkey"] and device["rsa_pubkey"] != pubkey:
            raise ValidationFailed.field("rsa_pubkey", "You cannot change the rsa_pubkey of the device once it is set.")
        fields["rsa_pubkey"] = pubkey
    return tx.update(TABLE, device["id"], fields)


def roll(tx: Transaction, device: Doc) -> tuple[dict, str]:
    """A new API token for the device; the old one stops working at once."""
    api_token = random_string(_INIT_TOKEN_ALPHABET, _API_TOKEN_LENGTH)
    return tx.update(TABLE, device["id"], {"api_token_hash": hash_token(api_token)}), api_token


def revoke(tx: Transaction, device: Doc) -> dict:
    return tx.update(TABLE, device["id"], {"revoked": True})


def device_principal(tx: Transaction, credential: str) -> Principal:
    """The principal of a device's API token; NotAuthenticated with pretix's exact detail otherwise.

    The apps compare the revoked detail verbatim: it is what makes them forget their data.
    """
    presented = hash_token(credential)
    device = tx.find_one(TABLE, api_token_hash=presented)
    if device is None or not hmac.compare_digest(device["api_token_hash"], presented):
        raise NotAuthenticated("Invalid token.")
    if device["revoked"]:
        raise NotAuthenticated(REVOKED)
    return Principal(
        PrincipalKind.DEVICE,
        device["id"],
        device["organizer"],
        SECURITY_PROFILES.get(device["security_profile"], frozenset()),
        device["name"],
        "device",
        events=None if device["all_events"] else frozenset(device["limit_events"]),
    )


def device_of(tx: Transaction, principal: Principal) -> dict:
    """The device that is `principal`."""
    return tx.referenced(TABLE, principal.id)


def is_scanner_app(tx: Transaction, principal: Principal) -> bool:
    """Whether `principal` is a pretixSCAN app, which sends what it scanned as it is."""
    if principal.device is None:
        return False
    return "pretixscan" in (device_of(tx, principal)["software_brand"] or "").lower()


def _check_events(tx: Transaction, organizer: Doc, slugs: list[str]) -> None:
    known = {event["slug"] for event in tx.find("events", organizer=organizer["slug"])}
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise ValidationFailed.field("limit_events", f"Object with slug={unknown[0]} does not exist.")


def _check_profile(profile: str) -> None:
    if profile not in SECURITY_PROFILES:
        raise ValidationFailed.field("security_profile", f'"{profile}" is not a valid choice.')
