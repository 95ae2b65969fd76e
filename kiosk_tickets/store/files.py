"""The store's files: their names, the snapshot and journal record formats, and writes that survive a crash.

A journal record is ``MAGIC | length | crc32 | payload`` where the payload is the JSON list of one
transaction's changes ``[[table, doc_id, document or null], …]``. A snapshot is one JSON object holding
every table, the next id of each, and the generation whose journal continues it.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import StoreCorrupt

SCHEMA_VERSION = 1
SNAPSHOT_NAME = "snapshot.json"
LOCK_NAME = ".lock"
SECRET_KEY_NAME = "secret_key"
_RECORD_MAGIC = b"KTJ1"
_HEADER = struct.Struct(">4sII")
HEADER_SIZE = _HEADER.size


def fsync_dir(path: Path) -> None:
    """Make the entries of directory `path` (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old or the new file, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def encode_snapshot(generation: int, tables: dict, next_ids: dict) -> bytes:
    """Return the snapshot file holding `tables` and `next_ids`, continued by journal `generation`."""
    return json.dumps(
        {
            "format": "kiosk-tickets",
            "schema_version": SCHEMA_VERSION,
            "generation": generation,
            "next_ids": next_ids,
            "tables": tables,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def decode_snapshot(raw: bytes, path: Path) -> dict[str, Any]:
    """Return the snapshot read from `path` as it was written; raise StoreCorrupt if this program cannot read it."""
    try:
        snapshot = json.loads(raw)
    except ValueError as exc:
        raise StoreCorrupt(f"{path} is not valid JSON: {exc}") from exc
    version = snapshot.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise StoreCorrupt(f"{path} has schema version {version!r}; this program reads up to {SCHEMA_VERSION}")
    return snapshot


def encode_record(changes: list[list[Any]]) -> bytes:
    """Return one journal record holding `changes`."""
    payload = json.dumps(changes, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return _HEADER.pack(_RECORD_MAGIC, len(payload), zlib.crc32(payload)) + payload


def decode_records(data: bytes) -> tuple[list[list[list[Any]]], int]:
    """Return the complete, intact records at the start of `data` and the offset just past them."""
    records = []
    offset = 0
    while offset + _HEADER.size <= len(data):
        magic, length, checksum = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        payload = data[start : start + length]
        if magic != _RECORD_MAGIC or len(payload) != length or zlib.crc32(payload) != checksum:
            break
        try:
            records.append(json.loads(payload))
        except ValueError:
            break
        offset = start + length
    return records, offset


def holds_intact_record(data: bytes, start: int) -> bool:
    """Return True if a complete, checksummed record begins anywhere in `data` at or after `start`."""
    position = data.find(_RECORD_MAGIC, start)
    while position != -1:
        if decode_records(data[position:])[0]:
            return True
        position = data.find(_RECORD_MAGIC, position + 1)
    return False


def read_or_create_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret kept in `path` (readable by its owner only), made and stored durably if there is none.

    Creating it exclusively means two processes starting at once agree on one secret.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(make() + "\n")
        file.flush()
        os.fsync(file.fileno())
    fsync_dir(path.parent)
    return path.read_text(encoding="ascii").strip()
