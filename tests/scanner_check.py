"""A scanner's own check of a signed ticket secret (pretix_sig1), written from the format alone as
libpretixsync reads a secret offline; it shares nothing with the server's code."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if byte < 0x80:
            return value, at


def parse_ticket(payload: bytes) -> dict[str, Any]:
    """The fields of a protobuf `Ticket`: 1 seed (string), 2 item … 6 validUntilUnixTime (varints)."""
    names = {1: "seed", 2: "item", 3: "variation", 4: "subevent", 5: "valid_from", 6: "valid_until"}
    fields: dict[str, Any] = {}
    at = 0
    while at < len(payload):
        key, at = _varint(payload, at)
        number, wire = key >> 3, key & 7
        if wire == 2:
            length, at = _varint(payload, at)
            fields[names[number]] = payload[at : at + length].decode()
            at += length
        else:
            assert wire == 0, wire
            fields[names[number]], at = _varint(payload, at)
    return fields


def split(secret: str) -> tuple[bytes, bytes, bytes]:
    """(header, payload, signature) of a secret: reversed, base64; version 1; two big-endian lengths."""
    blob = base64.b64decode(secret[::-1], validate=True)
    assert blob[0] == 0x01
    payload_length = int.from_bytes(blob[1:3], "big")
    signature_length = int.from_bytes(blob[3:5], "big")
    # libpretixsync reads each length as (b[1] shl 2) + b[2]: the same number while it is under 256.
    assert (blob[1] << 2) + blob[2] == payload_length < 256
    assert (blob[3] << 2) + blob[4] == signature_length == 64
    assert len(blob) == 5 + payload_length + signature_length
    return blob[:5], blob[5 : 5 + payload_length], blob[5 + payload_length :]


def scanner_key(entry: str) -> Ed25519PublicKey:
    """A `valid_keys` entry read as libpretixsync reads it: base64 of a PEM; the lines between BEGIN and END
    decoded; bytes 12..43 taken as the raw Ed25519 key."""
    pem = base64.b64decode(entry).decode()
    lines = pem.strip().splitlines()
    assert (lines[0], lines[-1]) == ("-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----")
    der = base64.b64decode("".join(lines[1:-1]))
    assert der[:12].hex() == "302a300506032b6570032100"  # the standard SubjectPublicKeyInfo of Ed25519
    return Ed25519PublicKey.from_public_bytes(der[12:44])


def scanner_check(secret: str, keys: list[str]) -> dict[str, Any]:
    """The ticket's fields if one of `keys` signed `secret`; fails the test otherwise."""
    _, payload, signature = split(secret)
    for entry in keys:
        try:
            scanner_key(entry).verify(signature, payload)
        except InvalidSignature:
            continue
        return parse_ticket(payload)
    raise AssertionError(f"no key verifies {secret}")
