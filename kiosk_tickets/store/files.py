"""The store's files: their names, the snapshot and journal record formats, and writes that survive a crash.

A journal record is ``MAGIC | length | crc32 | payload`` where the payload is the JSON list of one
transaction's changes: ``[table, doc_id, document or null]`` for a document written whole or deleted,
``[table, doc_id, {field: value}, [field]]`` for one changed in part (the fields set, then those removed).
A snapshot holds every table, the next id of each, and the generation whose journal continues it: since
schema version 2 as lines, one per document holding its values only (see `SnapshotWriter`), written and
read a chunk at a time; version 1 wrote one JSON object, which is still read.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import StoreCorrupt
from .documents import Record, Shape, as_record, freeze, is_compact, is_short_string, shape_of, thaw

# 2: the snapshot is written line by line (see SnapshotWriter), and journal records may hold patches.
SCHEMA_VERSION = 2
SNAPSHOT_NAME = "snapshot.json"
LOCK_NAME = ".lock"
SECRET_KEY_NAME = "secret_key"
_RECORD_MAGIC = b"KTJ1"
_HEADER = struct.Struct(">4sII")
HEADER_SIZE = _HEADER.size
# A snapshot is written and read in chunks of about this many lines or bytes: few calls, little memory.
_CHUNK_LINES = 2000
_CHUNK_BYTES = 1024 * 1024


def fsync_dir(path: Path) -> None:
    """Make the entries of directory `path` (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_atomically(path: Path, data: bytes | Callable[[BinaryIO], None]) -> int:
    """Write `data` (bytes, or a function writing to a file) to `path` so that a crash leaves either the old
    or the new file, never a mix; return the size written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                data(handle)
            handle.flush()
            os.fsync(handle.fileno())
            size = handle.tell()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return size


class SnapshotWriter:
    """Writes a snapshot (format 2) line by line, so that writing one never holds more than a chunk of it.

    The lines: a header object (format, schema version, generation, next ids); for each table an object
    naming it; each document as ``[id, shape number, value, …]``, after an object declaring that shape
    (``{"shape": [field names], "constants": [[position in the names, None, true or false], …],
    "nested": [positions of nested objects and lists], "short": [positions of short strings]}``, the
    positions of the last two among the document's values; numbered from 0 in the order declared); last
    ``{"documents": count}``, whose absence marks a snapshot cut short.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._shapes: dict[tuple[Shape, tuple[int, ...], tuple[int, ...]], int] = {}
        self._lines: list[str] = []
        self.documents = 0

    def _line(self, value: Any) -> None:
        self._lines.append(_dumps(value))
        if len(self._lines) >= _CHUNK_LINES:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._lines.append("")
            self._handle.write("\n".join(self._lines).encode("utf-8"))
            self._lines = []

    def header(self, generation: int, next_ids: Mapping[str, int]) -> None:
        self._line(
            {
                "format": "kiosk-tickets",
                "schema_version": SCHEMA_VERSION,
                "generation": generation,
                "next_ids": dict(next_ids),
            }
        )

    def table(self, name: str, records: Mapping[int, Any]) -> None:
        self._line({"table": name})
        for key, doc in records.items():
            record = as_record(doc)
            values = list(record)
            shape = values.pop()
            nested = tuple([index for index, value in enumerate(values) if is_compact(value)])
            short = tuple([index for index, value in enumerate(values) if is_short_string(value)])
            for index in nested:
                values[index] = thaw(values[index])
            number = self._shapes.get((shape, nested, short))
            if number is None:
                number = self._shapes[(shape, nested, short)] = len(self._shapes)
                constants = [list(constant) for constant in shape.declaration]
                self._line(
                    {"shape": shape.fields, "constants": constants, "nested": list(nested), "short": list(short)}
                )
            self._line([int(key), number, *values])
            self.documents += 1

    def end(self) -> None:
        self._line({"documents": self.documents})
        self.flush()


def write_snapshot(
    path: Path, generation: int, tables: Mapping[str, Mapping[int, Any]], next_ids: Mapping[str, int]
) -> int:
    """Write the snapshot of `tables` and `next_ids`, continued by journal `generation`, atomically; return its size."""

    def write(handle: BinaryIO) -> None:
        writer = SnapshotWriter(handle)
        writer.header(generation, next_ids)
        for name, records in tables.items():
            writer.table(name, records)
        writer.end()

    return write_file_atomically(path, write)


@dataclass
class Snapshot:
    """A snapshot as read: its tables in compact form (id -> `Record`) and what it says of itself."""

    schema_version: int
    generation: int
    next_ids: dict[str, int]
    tables: dict[str, dict[int, Record]]
    size: int


def read_snapshot(path: Path) -> Snapshot:
    """Read the snapshot at `path` (format 2, or the single JSON object of format 1).

    Raises StoreCorrupt if it is damaged or written by a newer version of this program.
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        first = handle.readline()
        header = _loads_object(first, path, 1)
        version = header.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise StoreCorrupt(f"{path} has schema version {version!r}; this program reads up to {SCHEMA_VERSION}")
        if version < 2:
            # Format 1: one JSON object holding everything (it has no line breaks).
            tables = {
                name: {int(key): freeze(doc) for key, doc in docs.items()} for name, docs in header["tables"].items()
            }
            return Snapshot(version, header["generation"], _ids(header), tables, size)
        return Snapshot(version, header["generation"], _ids(header), _read_tables(handle, path), size)


def _ids(header: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(value) for name, value in header.get("next_ids", {}).items()}


def _loads_object(line: bytes, path: Path, number: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise StoreCorrupt(f"{path} is not valid JSON: line {number}: {exc}") from exc
    if not isinstance(value, dict):
        raise StoreCorrupt(f"{path} is not a snapshot: line {number} is not an object")
    return value


def _read_tables(handle: BinaryIO, path: Path) -> dict[str, dict[int, Record]]:
    tables: dict[str, dict[int, Record]] = {}
    shapes: list[tuple[Shape, tuple[int, ...], tuple[int, ...]]] = []
    table: dict[int, Record] | None = None
    number = 1  # the line the chunk begins after
    # Documents are most of the lines: their loop is kept to the few operations each needs.
    intern = sys.intern
    while True:
        lines = handle.readlines(_CHUNK_BYTES)
        if not lines:
            raise StoreCorrupt(f"{path} is cut short after line {number}")
        try:
            # One parse per chunk: far fewer calls, and the parser shares the keys of a chunk's objects.
            entries = json.loads(b"[" + b",".join(lines) + b"]")
        except ValueError as exc:
            raise StoreCorrupt(f"{path} is not valid JSON: after line {number}: {exc}") from exc
        for entry in entries:
            if type(entry) is list:
                shape, nested, short = shapes[entry[1]]
                values = entry[2:]
                for index in nested:
                    values[index] = freeze(values[index])
                for index in short:
                    values[index] = intern(values[index])
                values.append(shape)
                table[entry[0]] = Record(values)  # type: ignore[index]
            elif "shape" in entry:
                constants = tuple((index, value) for index, value in entry.get("constants", ()))
                shape = shape_of(tuple(entry["shape"]), constants)
                shapes.append((shape, tuple(entry["nested"]), tuple(entry["short"])))
            elif "table" in entry:
                table = tables.setdefault(entry["table"], {})
            elif "documents" in entry:
                documents = sum(len(docs) for docs in tables.values())
                if entry["documents"] != documents:
                    raise StoreCorrupt(f"{path} is damaged: it holds {documents} of {entry['documents']} documents")
                return tables
            else:
                raise StoreCorrupt(f"{path} is damaged after line {number}")
        number += len(lines)


# One encoder for every record and snapshot line: json.dumps with these options builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def encode_record(changes: list[list[Any]]) -> bytes:
    """Return one journal record holding `changes`."""
    payload = _ENCODER.encode(changes).encode("utf-8")
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
