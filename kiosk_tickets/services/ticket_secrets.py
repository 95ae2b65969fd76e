"""Ticket secrets: random ones, or pretix_sig1 ones a scanner verifies offline; the event's key; revoked secrets.

A pretix_sig1 secret carries the ticket's facts (product, variation, validity) signed with the event's Ed25519
key, so a scanner that synced only the event's public key (`valid_keys`) can admit a ticket sold after its last
sync. In return, a signed secret cannot be taken back by forgetting it: when its ticket is canceled or changed,
the secret goes on the event's revoked list, which scanners download, and the ticket gets a new one.

The text form, as pretix writes it and pretixSCAN (libpretixsync) reads it:

    0x01 | payload length (uint16 BE) | signature length (uint16 BE, 64) | payload | Ed25519(payload)

where the payload is a protobuf `Ticket` message; the bytes in standard base64 with padding, then reversed
(so that secrets do not all start alike). libpretixsync reads the two lengths as `(b[1] << 2) + b[2]`, which
is only right while the high byte is 0: payloads stay under 256 bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..isotime import format_datetime, parse_datetime
from ..store import Doc, Transaction
from .common import order_documents, random_string

# cryptography is imported where a key is made, read or used: loading its OpenSSL bindings adds some 7 MiB of
# resident memory, which a server whose events keep random secrets never needs.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# The event setting that chooses how new secrets are made, and its values (pretix's generator identifiers).
SETTING = "ticket_secret_generator"
RANDOM = "random"
SIG1 = "pretix_sig1"
GENERATORS = (RANDOM, SIG1)
DEFAULT_GENERATOR = RANDOM

# The tables: the events' signing keys (private keys never leave this module), and revoked secrets.
KEYS_TABLE = "ticket_signing_keys"
REVOKED_TABLE = "revoked_secrets"

_RANDOM_ALPHABET = string.ascii_lowercase + string.digits
_RANDOM_LENGTH = 32
# pretix seeds each signed ticket with 9 letters and digits: the only part of the payload two tickets of the
# same product never share, so every secret is unique.
_SEED_ALPHABET = string.ascii_letters + string.digits
_SEED_LENGTH = 9
_VERSION = 0x01
_HEADER = 5  # version byte, two uint16 lengths
_SIGNATURE_LENGTH = 64
_MAX_PAYLOAD = 255  # see the module docstring: libpretixsync misreads longer lengths


class MalformedSecret(ValueError):
    """The text is not a pretix_sig1 secret (wrong characters, version, lengths or protobuf)."""


@dataclass(frozen=True)
class SignedTicket:
    """The facts a pretix_sig1 secret carries. 0 means "none" for every number, as in protobuf."""

    seed: str
    item: int = 0
    variation: int = 0
    subevent: int = 0
    valid_from: int = 0  # Unix seconds
    valid_until: int = 0  # Unix seconds


# ---------------------------------------------------------------------------------------- the protobuf message
# proto3 `Ticket` (pretix's pretix_sig1.proto): seed = 1 (string), item = 2, variation = 3, subevent = 4,
# validFromUnixTime = 5, validUntilUnixTime = 6 (all int64). Only the two wire types these need are written:
# varint (0) and length-delimited (2). proto3 leaves out fields holding their default (0, ""); pretix marks
# 5 and 6 `optional`, and libpretixsync treats an absent one like 0, so they are left out when not set too.

_WIRE_VARINT = 0
_WIRE_64BIT = 1
_WIRE_LENGTH = 2
_WIRE_32BIT = 5
_INT64_FIELDS = {2: "item", 3: "variation", 4: "subevent", 5: "valid_from", 6: "valid_until"}
_UINT64 = 1 << 64


def _varint(value: int) -> bytes:
    """Base-128 varint, low groups first; a negative int64 is sent as its 64-bit two's complement (10 bytes)."""
    value %= _UINT64
    out = bytearray()
    while True:
        group = value & 0x7F
        value >>= 7
        if value:
            out.append(group | 0x80)
        else:
            out.append(group)
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    """The varint starting at `at`, and where the next field starts."""
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise MalformedSecret("truncated or overlong varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        shift += 7
        if not byte & 0x80:
            return value % _UINT64, at


def encode_ticket(ticket: SignedTicket) -> bytes:
    """The protobuf payload of `ticket`."""
    seed = ticket.seed.encode("utf-8")
    out = bytearray()
    if seed:
        out += bytes([1 << 3 | _WIRE_LENGTH]) + _varint(len(seed)) + seed
    for number, name in _INT64_FIELDS.items():
        value = getattr(ticket, name)
        if value:
            out += bytes([number << 3 | _WIRE_VARINT]) + _varint(value)
    return bytes(out)


def decode_ticket(payload: bytes) -> SignedTicket:
    """The ticket a protobuf payload holds; fields this server does not know are skipped, as protobuf does.

    Raises MalformedSecret.
    """
    values: dict[str, Any] = {"seed": ""}
    at = 0
    while at < len(payload):
        key, at = _read_varint(payload, at)
        number, wire = key >> 3, key & 0x07
        if wire == _WIRE_VARINT:
            value, at = _read_varint(payload, at)
            if number in _INT64_FIELDS:
                values[_INT64_FIELDS[number]] = value - _UINT64 if value >= 1 << 63 else value
        elif wire == _WIRE_LENGTH:
            length, at = _read_varint(payload, at)
            if at + length > len(payload):
                raise MalformedSecret("truncated field")
            if number == 1:
                try:
                    values["seed"] = payload[at : at + length].decode("utf-8")
                except UnicodeDecodeError:
                    raise MalformedSecret("seed is not UTF-8") from None
            at += length
        elif wire in (_WIRE_64BIT, _WIRE_32BIT):
            at += 8 if wire == _WIRE_64BIT else 4
        else:
            raise MalformedSecret(f"unsupported wire type {wire}")
    if at != len(payload):
        raise MalformedSecret("truncated field")
    return SignedTicket(**values)


# ---------------------------------------------------------------------------------------- the secret's text form


def _pack(payload: bytes, signature: bytes) -> str:
    blob = bytes([_VERSION]) + len(payload).to_bytes(2, "big") + len(signature).to_bytes(2, "big") + payload + signature
    return base64.b64encode(blob).decode("ascii")[::-1]


def _unpack(secret: str) -> tuple[bytes, bytes]:
    """(payload, signature) of a secret's text; raises MalformedSecret."""
    try:
        blob = base64.b64decode(secret[::-1].encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise MalformedSecret("not base64") from None
    if len(blob) < _HEADER or blob[0] != _VERSION:
        raise MalformedSecret("not version 1")
    payload_length = int.from_bytes(blob[1:3], "big")
    signature_length = int.from_bytes(blob[3:5], "big")
    if len(blob) != _HEADER + payload_length + signature_length:
        raise MalformedSecret("lengths do not match")
    return blob[_HEADER : _HEADER + payload_length], blob[_HEADER + payload_length :]


def decode(secret: str) -> SignedTicket:
    """The ticket facts of a pretix_sig1 secret, without checking its signature (see `verify` for that).

    Raises MalformedSecret (a ValueError) for text that is not a pretix_sig1 secret.
    """
    payload, _ = _unpack(secret)
    return decode_ticket(payload)


def verify(secret: str, public_keys: Iterable[str]) -> SignedTicket | None:
    """The ticket facts of `secret` if it is a pretix_sig1 secret signed by one of `public_keys` (each as
    `valid_keys` lists it: base64 of the PEM), else None."""
    try:
        payload, signature = _unpack(secret)
        ticket = decode_ticket(payload)
    except MalformedSecret:
        return None
    keys = tuple(public_keys)
    if not keys:
        return None  # an event that never signed: no cause to load cryptography
    from cryptography.exceptions import InvalidSignature

    for key in keys:
        try:
            _public_key(key).verify(signature, payload)
        except InvalidSignature:
            continue
        return ticket
    return None


def sign(ticket: SignedTicket, private_key: str) -> str:
    """The pretix_sig1 secret of `ticket`, signed with `private_key` (base64 of the PEM PKCS#8, as stored).

    Raises ValueError if the payload would be 256 bytes or more (it is at most about 70 for real tickets).
    """
    payload = encode_ticket(ticket)
    if len(payload) > _MAX_PAYLOAD:
        raise ValueError(f"a pretix_sig1 payload must stay under 256 bytes, this one has {len(payload)}")
    return _pack(payload, _private_key(private_key).sign(payload))


@functools.lru_cache(maxsize=64)
def _private_key(stored: str) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    # Parsing the PEM costs more than signing; the key objects are immutable, so parsed ones are kept.
    key = load_pem_private_key(base64.b64decode(stored), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


@functools.lru_cache(maxsize=64)
def _public_key(published: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(base64.b64decode(published))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


# ---------------------------------------------------------------------------------------- the event's keys


def generator(event: Mapping[str, Any]) -> str:
    """How the event makes new secrets: RANDOM or SIG1 (its setting, else the default)."""
    chosen = (event.get("settings") or {}).get(SETTING)
    return chosen if chosen in GENERATORS else DEFAULT_GENERATOR


def ensure_key(tx: Transaction, event_id: int, now: datetime) -> None:
    """Give the event its signing key pair, unless it has one."""
    _signing_key(tx, event_id, now)


def adopt_public_keys(tx: Transaction, event_id: int, keys: Iterable[str], now: datetime) -> None:
    """Publish and verify with `keys` too (base64 of the PEM), keys another server signs the event's tickets
    with (a central pretix the event was pulled from); this server never signs with them."""
    known = set(public_keys(tx, event_id))
    for key in keys:
        if key not in known:
            adopted = {"event": event_id, "scheme": SIG1, "private_key": None, "public_key": key}
            tx.insert(KEYS_TABLE, {**adopted, "created": format_datetime(now)})
            known.add(key)


def _signing_key(tx: Transaction, event_id: int, now: datetime) -> Doc:
    # A key adopted from another server has no private half: this server signs with its own.
    existing = next((key for key in tx.find(KEYS_TABLE, event=event_id, scheme=SIG1) if key["private_key"]), None)
    if existing is not None:
        return existing
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    private = Ed25519PrivateKey.generate()
    # Stored as pretix stores them (base64 of the PEM), so the public one is published as it is.
    return tx.insert(
        KEYS_TABLE,
        {
            "event": event_id,
            "scheme": SIG1,
            "private_key": base64.b64encode(
                private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            ).decode("ascii"),
            "public_key": base64.b64encode(
                private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
            ).decode("ascii"),
            "created": format_datetime(now),
        },
    )


def public_keys(tx: Transaction, event_id: int) -> list[str]:
    """The event's pretix_sig1 public keys (base64 of the PEM), oldest first."""
    return [key["public_key"] for key in tx.scan(KEYS_TABLE, event=event_id, scheme=SIG1)]


def valid_keys(tx: Transaction, event_id: int) -> dict[str, list[str]]:
    """The event resource's `valid_keys`: the public keys scanners verify signed secrets with.

    Published whenever the event has a key, also after it went back to random secrets: the signed tickets
    sold before stay valid.
    """
    keys = public_keys(tx, event_id)
    return {SIG1: keys} if keys else {}


# ---------------------------------------------------------------------------------------- making secrets


def _unix_seconds(moment: str | None) -> int:
    return int(parse_datetime(moment).timestamp()) if moment else 0


def _taken(tx: Transaction, event_id: int, secret: str) -> bool:
    return (
        tx.find_one("orderpositions", secret=secret) is not None
        or tx.find_one(REVOKED_TABLE, event=event_id, secret=secret) is not None
    )


def new_secret(tx: Transaction, event: Mapping[str, Any], position: Mapping[str, Any], now: datetime) -> str:
    """A new, unused secret for a ticket of `event` with the product and validity of `position` (its `item`,
    `variation`, `valid_from` and `valid_until`), made as the event's setting says; the key is made if needed."""
    event_id = event["id"]
    if generator(event) == RANDOM:
        make = lambda: random_string(_RANDOM_ALPHABET, _RANDOM_LENGTH)  # noqa: E731
    else:
        private_key = _signing_key(tx, event_id, now)["private_key"]
        facts = {
            "item": position["item"],
            "variation": position.get("variation") or 0,
            "subevent": 0,  # this server has no event series
            "valid_from": _unix_seconds(position.get("valid_from")),
            "valid_until": _unix_seconds(position.get("valid_until")),
        }
        make = lambda: sign(SignedTicket(random_string(_SEED_ALPHABET, _SEED_LENGTH), **facts), private_key)  # noqa: E731
    while True:
        secret = make()
        if not _taken(tx, event_id, secret):
            return secret


def signed_ticket(tx: Transaction, event_id: int, secret: str) -> SignedTicket | None:
    """The facts of `secret` if the event's key signed it, else None (a random or given secret)."""
    return verify(secret, public_keys(tx, event_id))


def _revoke(tx: Transaction, event_id: int, position_id: int | None, secret: str, now: datetime) -> None:
    fields = {"event": event_id, "position": position_id, "secret": secret, "created": format_datetime(now)}
    tx.insert(REVOKED_TABLE, fields)


def _replace(tx: Transaction, position: Mapping[str, Any], now: datetime) -> dict:
    """Revoke the position's signed secret and give it a new one, as the event's setting makes them."""
    event = tx.referenced("events", position["event"])
    _revoke(tx, event["id"], position["id"], position["secret"], now)
    return tx.update("orderpositions", position["id"], {"secret": new_secret(tx, event, position, now)})


def invalidate(tx: Transaction, position: Mapping[str, Any], now: datetime) -> dict:
    """The ticket is canceled (its order or itself): a signed secret goes on the revoked list and the
    position gets a new secret, so that a scanner without the order data refuses the old one; it gets the
    ticket back with the new secret if the order is reactivated. A random (or given) secret is left alone:
    scanners check those against the orders they hold. Returns the position as stored now."""
    if signed_ticket(tx, position["event"], position["secret"]) is None:
        return tx.referenced("orderpositions", position["id"])
    return _replace(tx, position, now)


def refresh(tx: Transaction, position: Mapping[str, Any], now: datetime) -> dict:
    """Call after the position's product, variation or validity changed (`position` as stored now).

    A signed secret that no longer tells the ticket's facts is revoked and replaced; a random secret is
    replaced by a signed one when the event signs its secrets, and kept otherwise (as pretix does).
    Returns the position as stored now.
    """
    current = signed_ticket(tx, position["event"], position["secret"])
    if current is not None:
        facts = (
            position["item"],
            position.get("variation") or 0,
            _unix_seconds(position.get("valid_from")),
            _unix_seconds(position.get("valid_until")),
        )
        if facts != (current.item, current.variation, current.valid_from, current.valid_until):
            return _replace(tx, position, now)
        return tx.referenced("orderpositions", position["id"])
    event = tx.referenced("events", position["event"])
    if generator(event) == SIG1:
        return tx.update("orderpositions", position["id"], {"secret": new_secret(tx, event, position, now)})
    return tx.referenced("orderpositions", position["id"])


def forget_position(tx: Transaction, position: Mapping[str, Any], now: datetime) -> None:
    """The position is about to be deleted (a test-mode order): its signed secret is revoked for good, and no
    revocation refers to it any longer."""
    for revoked in tx.find(REVOKED_TABLE, position=position["id"]):
        tx.update(REVOKED_TABLE, revoked["id"], {"position": None})
    if signed_ticket(tx, position["event"], position["secret"]) is not None:
        _revoke(tx, position["event"], None, position["secret"], now)


@dataclass(frozen=True)
class SecretFacts:
    """What an event knows of a secret: whether its key signed it, when it was revoked, who has it now."""

    signed: bool
    revoked: str | None  # when it went on the revoked list
    position: dict | None  # the position that has it now


def inspect(tx: Transaction, event_id: int, secret: str) -> SecretFacts:
    """What the event knows of `secret` (for people looking into a scan)."""
    revoked = tx.find_one(REVOKED_TABLE, event=event_id, secret=secret)
    return SecretFacts(
        signed=signed_ticket(tx, event_id, secret) is not None,
        revoked=revoked["created"] if revoked else None,
        position=tx.find_one("orderpositions", event=event_id, secret=secret),
    )


# ---------------------------------------------------------------------------------------- the revoked list


def revoked_positions(tx: Transaction, secret: str, event_ids: Iterable[int]) -> list[dict]:
    """The positions of these events that once had `secret`, now revoked (deleted positions are left out)."""
    wanted = set(event_ids)
    found = []
    for revoked in tx.scan(REVOKED_TABLE, secret=secret):
        if revoked["event"] in wanted and revoked["position"] is not None:
            position = tx.get("orderpositions", revoked["position"])
            if position is not None:
                found.append(position)
    return found


REVOKED_ORDERINGS = ("created", "id", "secret")


def list_revoked(
    tx: Transaction, event_id: int, filters: Mapping[str, Any], ordering: str | None
) -> list[dict[str, Any]]:
    """The event's revoked secrets as pretix lists them (`id`, `secret`, `created`), newest first by default.

    `created_since` keeps those created at or after it, the cursor a scanner sends back on its next sync.
    """
    found = tx.find(REVOKED_TABLE, event=event_id)
    if "secret" in filters:
        found = [doc for doc in found if doc["secret"] == filters["secret"]]
    if "created_since" in filters:
        found = [doc for doc in found if parse_datetime(doc["created"]) >= filters["created_since"]]
    shown = [{"id": doc["id"], "secret": doc["secret"], "created": doc["created"]} for doc in found]
    return order_documents(shown, ordering, REVOKED_ORDERINGS, "-created")


def get_revoked(tx: Transaction, event_id: int, revoked_id: Any) -> dict[str, Any]:
    """One revoked secret of the event; raises NotFound."""
    doc = tx.get(REVOKED_TABLE, revoked_id)
    if doc is None or doc["event"] != event_id:
        raise NotFound()
    return {"id": doc["id"], "secret": doc["secret"], "created": doc["created"]}
