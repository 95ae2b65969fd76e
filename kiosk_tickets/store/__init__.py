"""Persistence: TinyDB over an fsynced journal plus atomic snapshots, serialised by a thread lock and a file lock.

Layout of a data directory:

    snapshot.json          the whole database as of generation G (replaced atomically)
    journal-<G>.log        every transaction committed since that snapshot, one record each
    .lock                  the filelock all processes on this directory take (see FileLockLease)

A journal record is ``MAGIC | length | crc32 | payload`` where the payload is the JSON list of the
transaction's changes ``[[table, doc_id, document or null], …]``. A record is appended and fsynced
before the transaction is acknowledged, so its cost does not depend on how large the store is. A
record whose length or checksum does not match (a power cut during the append) is dropped when the
next process takes the lock, and everything before it is kept.

TinyDB is bent at its extension points: ``JournalStorage`` hands out the live in-memory tables, and
``JournalTable`` replaces TinyDB's whole-table rewrite with a change-tracking view, so a write costs
what it changes, not what the table holds.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Protocol, TypeVar

import filelock
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from ..errors import StoreBusy, StoreCorrupt

# A stored document as read: a view (`peek`, `scan`) or a copy; code that owns a copy may say `dict`.
Doc = Mapping[str, Any]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SNAPSHOT_NAME = "snapshot.json"
LOCK_NAME = ".lock"
_RECORD_MAGIC = b"KTJ1"
_HEADER = struct.Struct(">4sII")
# fdatasync is enough for an append (it flushes the size too) and cheaper; not every platform has it.
_sync_data = getattr(os, "fdatasync", os.fsync)
# A journal is allocated ahead in steps of this size: a sync after writing into allocated space need not
# commit a new file size too, which makes it about a third cheaper. The space past the last record reads
# as zero bytes, which no record header is.
JOURNAL_STEP = 1024 * 1024
_allocate = getattr(os, "posix_fallocate", None)

# Secondary indexes: (table, field). A list-valued field is indexed by each of its elements.
INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    "organizers": ("slug",),
    "events": ("organizer",),
    "api_tokens": ("token_hash", "organizer"),
    "idempotency_keys": ("key_hash",),
    "categories": ("event",),
    "taxrules": ("event",),
    "items": ("event", "category"),
    "variations": ("item", "event"),
    "addons": ("item", "addon_category"),
    "bundles": ("item", "bundled_item", "bundled_variation"),
    "quotas": ("event", "items", "variations"),
    "questions": ("event", "items"),
    "question_options": ("question",),
    "vouchers": ("event", "code_key", "item", "quota", "block_quota"),
    "cartpositions": ("event", "cart_id", "item", "variation", "voucher", "addon_to"),
    "orders": ("event", "code"),
    "orderpositions": ("order", "event", "item", "variation", "secret", "voucher", "addon_to", "pseudonymization_id"),
    "orderfees": ("order",),
    "checkinlists": ("event",),
    "checkins": ("position", "list", "nonce", "event"),
}


def clone(value: Any) -> Any:
    """Return a deep copy of JSON-shaped data (dicts, lists, scalars), faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone(item) for item in value]
    return value


def _fsync_dir(path: Path) -> None:
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
    _fsync_dir(path.parent)


def _copy_file(source: Path, target: Path, length: int | None, progress: Callable[[int], None] | None) -> int:
    """Copy `length` bytes (all if None) of `source` to `target` and fsync it; report progress in bytes."""
    remaining = source.stat().st_size if length is None else length
    copied = 0
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while remaining > 0:
            chunk = reader.read(min(remaining, 1024 * 1024))
            if not chunk:
                break
            writer.write(chunk)
            copied += len(chunk)
            remaining -= len(chunk)
            if progress:
                progress(len(chunk))
        writer.flush()
        os.fsync(writer.fileno())
    return copied


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


def _holds_intact_record(data: bytes, start: int) -> bool:
    """Return True if a complete, checksummed record begins anywhere in `data` at or after `start`."""
    position = data.find(_RECORD_MAGIC, start)
    while position != -1:
        if decode_records(data[position:])[0]:
            return True
        position = data.find(_RECORD_MAGIC, position + 1)
    return False


class JournalStorage(Storage):
    """TinyDB storage whose data lives in memory; persistence is the Store's journal, not write()."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict]] = {}

    def read(self) -> dict[str, dict[str, dict]]:
        return self.tables

    def write(self, data: dict[str, dict[str, dict]]) -> None:
        # Every change reaches the tables through JournalTable, which journals it; a whole-database
        # write would bypass the journal, so it is a programming error.
        raise RuntimeError("JournalStorage is written through transactions only")


class _ChangeView(MutableMapping):
    """The int-keyed table TinyDB's updaters expect, copying documents on access and collecting changes."""

    def __init__(self, raw: dict[str, dict]) -> None:
        self._raw = raw
        self.changes: dict[int, dict | None] = {}

    def __getitem__(self, doc_id: int) -> dict:
        if doc_id in self.changes:
            doc = self.changes[doc_id]
            if doc is None:
                raise KeyError(doc_id)
            return doc
        doc = clone(self._raw[str(doc_id)])
        # In-place updates (TinyDB's update()) mutate this copy; it is written back afterwards.
        self.changes[doc_id] = doc
        return doc

    def __setitem__(self, doc_id: int, doc: dict) -> None:
        self.changes[doc_id] = doc

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self.changes[doc_id] = None

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self.changes:
            return self.changes[doc_id] is not None
        return str(doc_id) in self._raw

    def __iter__(self) -> Iterator[int]:
        for key in list(self._raw):
            doc_id = int(key)
            if self.changes.get(doc_id, True) is not None:
                yield doc_id
        for doc_id, doc in list(self.changes.items()):
            if doc is not None and str(doc_id) not in self._raw:
                yield doc_id

    def __len__(self) -> int:
        return sum(1 for _ in self)


class JournalTable(Table):
    """A TinyDB table whose writes touch only the changed documents and report them to the Store."""

    store: "Store"

    def _update_table(self, updater: Callable[[dict[int, Mapping]], None]) -> None:
        view = _ChangeView(self._storage.read().setdefault(self.name, {}))
        updater(view)  # type: ignore[arg-type]
        for doc_id, doc in view.changes.items():
            self.store._apply(self.name, doc_id, doc)
        self.clear_cache()


class DerivedView(Protocol):
    """An in-memory view computed from the tables (e.g. counters) that the store keeps current."""

    def reset(self, tables: Mapping[str, Mapping[str, dict]]) -> None:
        """Rebuild from scratch (the store was loaded or reloaded)."""

    def changed(self, table: str, doc_id: int, old: dict | None, new: dict | None) -> None:
        """Follow one change: a write of this process, an undo, or a record another process committed."""


class FileLockLease:
    """The data directory's file lock, kept for this process across transactions by one keeper thread.

    Taking and giving up a `filelock.FileLock` costs about 0.1 ms, as much as the rest of a small
    write. So the lock stays with a busy process: the keeper gives it up once no transaction has run
    for `linger` seconds, or, after holding it `max_hold` seconds, at the end of the running
    transaction; then it sits out two of the other processes' polls (every `linger / 5`), so they get
    their turn. Only the keeper thread takes and gives up the lock, as filelock's thread-local locks
    require.
    """

    def __init__(self, path: Path, linger: float, max_hold: float) -> None:
        self._file_lock = filelock.FileLock(str(path))
        self._linger = linger
        self._max_hold = max_hold
        self._poll_interval = linger / 5
        self._changed = threading.Condition()
        self._keeper: threading.Thread | None = None
        self._error: BaseException | None = None
        self._held = False
        self._wanted = False
        self._in_use = False
        self._must_yield = False
        self._closing = False
        self._last_used = 0.0
        self._acquisitions = 0

    def enter(self, deadline: float) -> int:
        """Wait until the lock is held for a transaction; return a number that changes with every acquisition.

        One transaction at a time may have entered. Raises StoreBusy if the lock is not held by
        `deadline` (a `time.monotonic()` value), or what taking the lock raised.
        """
        with self._changed:
            while not self._held or self._must_yield:
                if self._error is not None:
                    error, self._error = self._error, None
                    raise error
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._wanted = False
                    raise StoreBusy()
                self._wanted = True
                if self._keeper is None:
                    self._keeper = threading.Thread(target=self._keep, name="kiosk-tickets file lock", daemon=True)
                    self._keeper.start()
                self._changed.wait(remaining)
            self._in_use = True
            return self._acquisitions

    def leave(self) -> None:
        """The transaction that entered has ended."""
        with self._changed:
            self._in_use = False
            self._last_used = time.monotonic()
            if self._must_yield:
                self._changed.notify_all()

    def close(self) -> None:
        """Give the lock up now; a later `enter` takes it again."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
            keeper = self._keeper
        if keeper is not None:
            keeper.join()
        with self._changed:
            self._closing = False

    def _keep(self) -> None:
        while self._acquire():
            with self._changed:
                self._held = True
                self._wanted = False
                self._acquisitions += 1
                taken = self._last_used = time.monotonic()
                self._changed.notify_all()
                while not self._closing:
                    moment = time.monotonic()
                    if moment - taken >= self._max_hold:
                        self._must_yield = True
                    if not self._in_use and (self._must_yield or moment - self._last_used >= self._linger):
                        break
                    if self._must_yield:
                        self._changed.wait()  # leave() wakes us
                    elif self._in_use:
                        self._changed.wait(self._linger)
                    else:
                        self._changed.wait(min(self._last_used + self._linger, taken + self._max_hold) - moment)
                self._held = False
            self._file_lock.release()
            with self._changed:
                if self._must_yield:
                    # Sit out two polls of a waiting process, however often a transaction of ours wakes us.
                    until = time.monotonic() + 2 * self._poll_interval
                    while not self._closing and (remaining := until - time.monotonic()) > 0:
                        self._changed.wait(remaining)
                    self._must_yield = False
                    self._changed.notify_all()

    def _acquire(self) -> bool:
        """Take the file lock for a waiting transaction; return False once none waits (the keeper ends)."""
        while True:
            with self._changed:
                if not self._wanted or self._closing:
                    self._keeper = None
                    return False
            try:
                self._file_lock.acquire(timeout=self._linger, poll_interval=self._poll_interval)
                return True
            except filelock.Timeout:
                continue
            except BaseException as error:
                with self._changed:
                    self._error = error
                    self._keeper = None
                    self._changed.notify_all()
                return False


class Store:
    """The database of one data directory; use it only inside `transaction()`."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        lock_timeout: float = 10.0,
        compact_after_bytes: int = 4 * 1024 * 1024,
        strict: bool = False,
        lock_linger: float = 0.005,
        lock_max_hold: float = 0.25,
    ) -> None:
        """Open the store of `data_dir` (created if missing); nothing is read before the first transaction.

        `strict` treats an incomplete last journal record as damage instead of a torn append: for
        backups, whose journal ends at a committed record by construction. `lock_linger` and
        `lock_max_hold` say how long the file lock stays with this process (see FileLockLease).
        """
        self.data_dir = Path(data_dir)
        self.strict = strict
        self.compact_after_bytes = compact_after_bytes
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.lock_timeout = lock_timeout
        self._thread_lock = threading.RLock()
        # Guards the journal descriptor while it is synced outside the transaction lock.
        self._sync_lock = threading.Lock()
        self._durable: tuple[int, int] = (-1, 0)
        self._failure: StoreCorrupt | None = None
        self._lease = FileLockLease(self.data_dir / LOCK_NAME, lock_linger, lock_max_hold)
        self._caught_up_with = -1
        self._depth = 0
        self._undo: list[tuple[str, int, dict | None]] = []
        self._redo: list[list[Any]] = []
        self._storage = JournalStorage()
        store = self

        class _BoundTable(JournalTable):
            pass

        _BoundTable.store = store
        self._db = TinyDB(storage=lambda: self._storage)
        self._db.table_class = _BoundTable
        self._indexes: dict[str, dict[str, dict[Any, int | set[int]]]] = {}
        self._next_ids: dict[str, int] = {}
        self._derived: dict[str, DerivedView] = {}
        self._generation = -1
        self._snapshot_identity: tuple[int, int] | None = None
        self._journal_fd: int | None = None
        self._journal_offset = 0
        self._journal_allocated = 0
        self._snapshot_bytes = 0
        self.schema_version = SCHEMA_VERSION

    # ------------------------------------------------------------------ locking and catching up

    @contextmanager
    def transaction(self) -> Iterator["Transaction"]:
        """Run the block atomically across threads and processes; commit durably when it ends.

        A nested `transaction()` in the same thread joins the outer one; if the nested block raises,
        only its own changes are undone. Raises StoreBusy if the lock cannot be had in time.
        """
        if self._failure is not None:
            raise self._failure
        deadline = time.monotonic() + self.lock_timeout
        if not self._thread_lock.acquire(timeout=self.lock_timeout):
            raise StoreBusy()
        written_to: tuple[int, int] | None = None
        try:
            if self._depth == 0:
                acquisition = self._lease.enter(deadline)
                try:
                    if acquisition != self._caught_up_with:
                        # Other processes can only have written while this one did not hold the lock.
                        self._catch_up()
                        self._caught_up_with = acquisition
                except BaseException:
                    self._lease.leave()
                    raise
            savepoint = len(self._undo)
            self._depth += 1
            try:
                yield Transaction(self)
            except BaseException:
                self._rollback_to(savepoint)
                raise
            finally:
                self._depth -= 1
                if self._depth == 0:
                    try:
                        if self._redo:
                            written_to = self._append()
                    finally:
                        self._undo.clear()
                        self._redo.clear()
                        self._lease.leave()
        finally:
            self._thread_lock.release()
        if written_to is not None:
            # Outside the locks: the next transaction runs while the disk syncs, and one sync covers them all.
            self._make_durable(*written_to)

    def savepoint(self) -> int:
        """Return a mark that `rollback_to` can return the open transaction to."""
        return len(self._undo)

    def rollback_to(self, savepoint: int) -> None:
        """Undo every change made since `savepoint` in the open transaction."""
        self._rollback_to(savepoint)

    def _catch_up(self) -> None:
        """Bring memory up to date with the files: reload after a new snapshot, else read the journal tail."""
        snapshot_path = self.data_dir / SNAPSHOT_NAME
        try:
            stat = snapshot_path.stat()
        except FileNotFoundError:
            self._initialise_empty()
            stat = snapshot_path.stat()
        identity = (stat.st_ino, stat.st_mtime_ns)
        if identity != self._snapshot_identity:
            self._load_snapshot(snapshot_path, identity)
        self._read_journal_tail()

    def _initialise_empty(self) -> None:
        self._write_snapshot(generation=0, tables={}, next_ids={})

    def _journal_path(self, generation: int) -> Path:
        return self.data_dir / f"journal-{generation:08d}.log"

    def _load_snapshot(self, path: Path, identity: tuple[int, int]) -> None:
        raw = path.read_bytes()
        try:
            snapshot = json.loads(raw)
        except ValueError as exc:
            raise StoreCorrupt(f"{path} is not valid JSON: {exc}") from exc
        version = snapshot.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise StoreCorrupt(f"{path} has schema version {version!r}; this program reads up to {SCHEMA_VERSION}")
        self.schema_version = version
        self._storage.tables = snapshot["tables"]
        self._next_ids = {name: int(value) for name, value in snapshot.get("next_ids", {}).items()}
        self._generation = snapshot["generation"]
        self._snapshot_identity = identity
        self._snapshot_bytes = len(raw)
        self._db._tables.clear()
        self._rebuild_indexes()
        for view in self._derived.values():
            view.reset(self._storage.tables)
        self._switch_journal(os.O_CREAT)

    def _read_journal_tail(self) -> None:
        assert self._journal_fd is not None
        size = self._journal_allocated = os.fstat(self._journal_fd).st_size
        if size == self._journal_offset:
            return
        data = os.pread(self._journal_fd, size - self._journal_offset, self._journal_offset)
        records, consumed = decode_records(data)
        # Allocated space ends the journal as its end of file does; anything else there is damage.
        damaged = bool(data[consumed : consumed + _HEADER.size].strip(b"\0"))
        if damaged and self.strict:
            raise StoreCorrupt(
                f"{self._journal_path(self._generation)} is damaged at byte {self._journal_offset + consumed}"
            )
        for changes in records:
            for table, doc_id, doc in changes:
                self._set(table, int(doc_id), doc)
        self._journal_offset += consumed
        if damaged:
            # We hold the lock, so nobody is appending: this is what a crash left unacknowledged.
            tail = data[consumed:]
            if _holds_intact_record(tail, 1):
                # Records after a bad one were never acknowledged (see _append), but a bad record in the
                # middle may also be damage: keep the bytes for an operator instead of dropping them.
                aside = self.data_dir / f"{self._journal_path(self._generation).name}.tail-{self._journal_offset}"
                write_file_atomically(aside, tail)
                log.warning("journal damaged at byte %d; the %d bytes after it are kept in %s",
                            self._journal_offset, len(tail), aside)
            os.ftruncate(self._journal_fd, self._journal_offset)
            os.fsync(self._journal_fd)
            self._journal_allocated = self._journal_offset

    # ------------------------------------------------------------------ applying changes

    def _rebuild_indexes(self) -> None:
        self._indexes = {table: {field: {} for field in fields} for table, fields in INDEXED_FIELDS.items()}
        for table, docs in self._storage.tables.items():
            for key, doc in docs.items():
                self._index(table, int(key), doc, add=True)

    def _index(self, table: str, doc_id: int, doc: dict, add: bool) -> None:
        # A bucket holding one id is the bare id: most indexed values (secrets, codes) are unique, and a
        # set per value would cost some 200 bytes each.
        for field, index in self._indexes.get(table, {}).items():
            value = doc.get(field)
            for key in value if isinstance(value, list) else (value,):
                bucket = index.get(key)
                if add:
                    if bucket is None:
                        index[key] = doc_id
                    elif isinstance(bucket, int):
                        if bucket != doc_id:
                            index[key] = {bucket, doc_id}
                    else:
                        bucket.add(doc_id)
                elif bucket is not None:
                    if isinstance(bucket, int):
                        if bucket == doc_id:
                            del index[key]
                    else:
                        bucket.discard(doc_id)
                        if len(bucket) == 1:
                            index[key] = next(iter(bucket))

    def _set(self, table: str, doc_id: int, doc: dict | None) -> dict | None:
        """Put `doc` (None deletes) in place, keeping indexes and id counters right; return the old document."""
        raw = self._storage.tables.setdefault(table, {})
        key = str(doc_id)
        old = raw.get(key)
        if old is not None:
            self._index(table, doc_id, old, add=False)
        if doc is None:
            raw.pop(key, None)
        else:
            raw[key] = doc
            self._index(table, doc_id, doc, add=True)
            if doc_id >= self._next_ids.get(table, 1):
                self._next_ids[table] = doc_id + 1
        bound = self._db._tables.get(table)
        if bound is not None:
            bound._next_id = self._next_ids.get(table, 1)
            bound.clear_cache()
        for view in self._derived.values():
            view.changed(table, doc_id, old, doc)
        return old

    def _apply(self, table: str, doc_id: int, doc: dict | None) -> None:
        if self._depth == 0:
            raise RuntimeError("store writes must happen inside store.transaction()")
        if doc is not None:
            doc = clone(doc)
        old = self._set(table, doc_id, doc)
        self._undo.append((table, doc_id, old))
        self._redo.append([table, doc_id, doc])

    def _rollback_to(self, savepoint: int) -> None:
        while len(self._undo) > savepoint:
            table, doc_id, old = self._undo.pop()
            self._redo.pop()
            self._set(table, doc_id, old)

    def _append(self) -> tuple[int, int]:
        """Append the open transaction's record to the journal; return (generation, offset) to sync up to.

        The record is visible to every process at once, but it is acknowledged only after
        `_make_durable`: a sync that starts after a record was written covers it and every record before
        it, so the first bad record after a power cut is followed by nothing that was acknowledged.
        """
        assert self._journal_fd is not None
        record = encode_record(self._redo)
        end = self._journal_offset + len(record)
        try:
            if end > self._journal_allocated and _allocate is not None:
                allocated = (end // JOURNAL_STEP + 1) * JOURNAL_STEP
                _allocate(self._journal_fd, 0, allocated)
                self._journal_allocated = allocated
            written = os.pwrite(self._journal_fd, record, self._journal_offset)
            if written != len(record):
                raise OSError(f"short write to the journal ({written} of {len(record)} bytes)")
        except BaseException:
            self._rollback_to(0)
            os.ftruncate(self._journal_fd, self._journal_offset)
            self._journal_allocated = self._journal_offset
            raise
        self._journal_offset += len(record)
        position = (self._generation, self._journal_offset)
        if self._journal_offset > max(self.compact_after_bytes, self._snapshot_bytes):
            # Compacting once the journal outgrows the snapshot keeps the amortised cost per write constant.
            self._compact()
        return position

    def _make_durable(self, generation: int, offset: int) -> None:
        """Return once the journal is on disk up to `offset` of `generation` (group commit)."""
        with self._sync_lock:
            if self._failure is not None:
                raise self._failure
            if (generation, offset) <= self._durable or generation != self._generation:
                # Another thread's sync covered it, or a compaction's fsynced snapshot holds it.
                return
            target = (self._generation, self._journal_offset)
            try:
                _sync_data(self._journal_fd)
            except OSError as error:
                # Whether the data reached the disk is unknown: refuse all further work rather than guess.
                self._failure = StoreCorrupt(f"the journal could not be synced to disk: {error}")
                raise self._failure from error
            self._durable = target

    # ------------------------------------------------------------------ snapshots

    def _write_snapshot(self, generation: int, tables: dict, next_ids: dict) -> int:
        data = json.dumps(
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
        # The new generation's journal exists (empty) before the snapshot that names it.
        journal = self._journal_path(generation)
        with open(journal, "wb") as handle:
            os.fsync(handle.fileno())
        write_file_atomically(self.data_dir / SNAPSHOT_NAME, data)
        return len(data)

    def _compact(self) -> None:
        old_generation = self._generation
        self._write_snapshot(old_generation + 1, self._storage.tables, self._next_ids)
        stat = (self.data_dir / SNAPSHOT_NAME).stat()
        self._load_snapshot_identity_only(old_generation + 1, (stat.st_ino, stat.st_mtime_ns))
        # Journals of older generations are folded into the snapshot now (and any left by a crash mid-compaction).
        for stale in self.data_dir.glob("journal-*.log"):
            if stale != self._journal_path(self._generation):
                stale.unlink(missing_ok=True)

    def _load_snapshot_identity_only(self, generation: int, identity: tuple[int, int]) -> None:
        """After our own compaction memory is already current: switch files without re-reading them."""
        self._generation = generation
        self._snapshot_identity = identity
        self._snapshot_bytes = (self.data_dir / SNAPSHOT_NAME).stat().st_size
        self._switch_journal(0)

    def _switch_journal(self, extra_flags: int) -> None:
        """Open the journal of the current generation (the snapshot made everything before it durable)."""
        with self._sync_lock:
            if self._journal_fd is not None:
                os.close(self._journal_fd)
            self._journal_fd = os.open(self._journal_path(self._generation), os.O_RDWR | extra_flags, 0o600)
            self._journal_offset = 0
            self._journal_allocated = os.fstat(self._journal_fd).st_size
            self._durable = (self._generation, 0)

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now."""
        with self.transaction():
            self._compact()

    # ------------------------------------------------------------------ backup, restore, verification

    def image_size(self) -> int:
        """Return the bytes a backup taken now would copy (the store may grow before it is taken)."""
        with self.transaction():
            return (self.data_dir / SNAPSHOT_NAME).stat().st_size + self._journal_offset

    def backup(self, destination: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> int:
        """Copy a consistent image of the store into the new directory `destination`; return the bytes copied.

        The lock is held while copying, so the image is a committed state; the copy is a data directory
        of its own (snapshot plus journal) and is fsynced before this returns.
        """
        target = Path(destination)
        target.mkdir(parents=True, exist_ok=False)
        copied = 0
        with self.transaction():
            sources = [
                (self.data_dir / SNAPSHOT_NAME, None),
                (self._journal_path(self._generation), self._journal_offset),
            ]
            for source, length in sources:
                copied += _copy_file(source, target / source.name, length, progress)
        _fsync_dir(target)
        return copied

    def restore(self, source: str | os.PathLike[str]) -> dict[str, int]:
        """Replace the whole database with the image in `source` (a backup or data directory).

        The image is read and checked first; then, under the lock, it becomes the next snapshot, so
        running servers on this directory switch to it at their next request. Returns documents per table.
        Raises StoreCorrupt if the image cannot be read.
        """
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            # Open a copy: reading an image may truncate a torn journal tail, and the source stays untouched.
            copy = Path(scratch) / "image"
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns(LOCK_NAME))
            image = Store(copy, strict=True)
            with image.transaction():
                tables, next_ids = image._storage.tables, dict(image._next_ids)
            image.close()
            with self.transaction():
                # Ids handed out since the backup are not handed out again with another meaning.
                for table, next_id in self._next_ids.items():
                    next_ids[table] = max(next_id, next_ids.get(table, 1))
                generation = self._generation + 1
                self._write_snapshot(generation, tables, next_ids)
                stat = (self.data_dir / SNAPSHOT_NAME).stat()
                self._load_snapshot(self.data_dir / SNAPSHOT_NAME, (stat.st_ino, stat.st_mtime_ns))
                for stale in self.data_dir.glob("journal-*.log"):
                    if stale != self._journal_path(generation):
                        stale.unlink(missing_ok=True)
            return {name: len(docs) for name, docs in tables.items()}

    def table_sizes(self) -> dict[str, int]:
        """Return the number of documents per table, after reading every record (so damage raises here)."""
        with self.transaction():
            return {name: len(docs) for name, docs in sorted(self._storage.tables.items())}

    def close(self) -> None:
        """Give up the file lock and close the journal; a later transaction opens the store again."""
        self._lease.close()
        self._caught_up_with = -1
        with self._sync_lock:
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None
        self._snapshot_identity = None

    # ------------------------------------------------------------------ access for Transaction

    def _table(self, name: str) -> Table:
        table = self._db.table(name)
        table._next_id = self._next_ids.get(name, 1)
        return table


View = TypeVar("View", bound=DerivedView)


class StoredDocument(Mapping[str, Any]):
    """A stored document seen without copying it, with its id; never to be changed."""

    __slots__ = ("_id", "_doc")

    def __init__(self, doc_id: int, doc: dict) -> None:
        self._id = doc_id
        self._doc = doc

    def __getitem__(self, key: str) -> Any:
        return self._id if key == "id" else self._doc[key]

    def __iter__(self) -> Iterator[str]:
        yield "id"
        yield from self._doc

    def __len__(self) -> int:
        return len(self._doc) + 1


class Transaction:
    """What code inside `store.transaction()` reads and writes through. Documents are plain dicts with `id`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _raw(self, table: str) -> dict[str, dict]:
        return self._store._storage.tables.get(table, {})

    @staticmethod
    def _out(doc_id: int | str, doc: dict) -> dict:
        result = clone(doc)
        result["id"] = int(doc_id)
        return result

    def get(self, table: str, doc_id: Any) -> dict | None:
        """Return the document with this id, or None (also for ids that are not integers)."""
        try:
            key = str(int(doc_id))
        except (TypeError, ValueError):
            return None
        doc = self._raw(table).get(key)
        return None if doc is None else self._out(key, doc)

    def peek(self, table: str, doc_id: int) -> Mapping[str, Any] | None:
        """Like `get`, but a read-only view of the stored document instead of a copy."""
        doc = self._raw(table).get(str(doc_id))
        return None if doc is None else StoredDocument(int(doc_id), doc)

    def referenced(self, table: str, doc_id: Any) -> dict:
        """Like `get`, for an id another stored document refers to: its absence is damage, not bad input."""
        doc = self.get(table, doc_id)
        if doc is None:
            raise StoreCorrupt(f"{table} {doc_id} is referred to but does not exist")
        return doc

    def peek_referenced(self, table: str, doc_id: int) -> Mapping[str, Any]:
        """Like `peek`, for an id another stored document refers to (see `referenced`)."""
        doc = self.peek(table, doc_id)
        if doc is None:
            raise StoreCorrupt(f"{table} {doc_id} is referred to but does not exist")
        return doc

    def ids(self, table: str, **criteria: Any) -> list[int]:
        """Return, in id order, the ids of documents whose fields equal `criteria` (list fields: contain)."""
        raw = self._raw(table)
        indexes = self._store._indexes.get(table, {})
        buckets = {field: _bucket(indexes[field].get(value)) for field, value in criteria.items() if field in indexes}
        rest = dict(criteria)
        candidates: Iterable[int]
        if buckets:
            # Walk the smallest bucket and check the other criteria on the documents: no large set is copied.
            field = min(buckets, key=lambda name: len(buckets[name]))
            candidates = list(buckets[field])
            del rest[field]
        else:
            candidates = (int(key) for key in raw)
        result = []
        for doc_id in candidates:
            doc = raw.get(str(doc_id))
            if doc is not None and all(_matches(doc.get(f), v) for f, v in rest.items()):
                result.append(doc_id)
        result.sort()
        return result

    def find(self, table: str, **criteria: Any) -> list[dict]:
        """Return the matching documents (see `ids`), in id order."""
        raw = self._raw(table)
        return [self._out(doc_id, raw[str(doc_id)]) for doc_id in self.ids(table, **criteria)]

    def scan(self, table: str, **criteria: Any) -> list[Mapping[str, Any]]:
        """Like `find`, but the documents are read-only views of the stored ones, not copies.

        For filtering and sorting many documents: copy (with `get`) only the few that are handed on.
        """
        raw = self._raw(table)
        return [StoredDocument(doc_id, raw[str(doc_id)]) for doc_id in self.ids(table, **criteria)]

    def find_one(self, table: str, **criteria: Any) -> dict | None:
        ids = self.ids(table, **criteria)
        return self._out(ids[0], self._raw(table)[str(ids[0])]) if ids else None

    def count(self, table: str, **criteria: Any) -> int:
        return len(self.ids(table, **criteria)) if criteria else len(self._raw(table))

    def insert(self, table: str, doc: Mapping[str, Any]) -> dict:
        """Insert `doc` (without `id`) and return it with its new id."""
        fields = {key: value for key, value in doc.items() if key != "id"}
        doc_id = self._store._table(table).insert(fields)
        # The store holds a copy of its own (see _apply), so `fields` can be handed back as it is.
        fields["id"] = doc_id
        return fields

    def update(self, table: str, doc_id: int, changes: Mapping[str, Any]) -> dict:
        """Set the given fields on one document and return the whole document."""
        fields = {key: value for key, value in changes.items() if key != "id"}
        if not self._store._table(table).update(fields, doc_ids=[int(doc_id)]):
            raise KeyError(f"{table} {doc_id} does not exist")
        return self._out(doc_id, self._raw(table)[str(doc_id)])

    def delete(self, table: str, doc_id: int) -> None:
        self._store._table(table).remove(doc_ids=[int(doc_id)])

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo the changes of the block if it raises; keep them (for the transaction) if it does not."""
        mark = self._store.savepoint()
        try:
            yield
        except BaseException:
            self._store.rollback_to(mark)
            raise

    @contextmanager
    def trial(self) -> Iterator[None]:
        """Undo the changes of the block whatever happens: a dry run inside the transaction."""
        mark = self._store.savepoint()
        try:
            yield
        finally:
            self._store.rollback_to(mark)

    def derived(self, name: str, factory: Callable[[], View]) -> View:
        """Return the store's derived view `name`, building it from `factory` on first use.

        The view then follows every change the store applies, so reading it costs nothing per document.
        Views must treat the documents they are given as read-only.
        """
        views = self._store._derived
        if name not in views:
            view = factory()
            view.reset(self._store._storage.tables)
            views[name] = view
        return views[name]  # type: ignore[return-value]

    def first(self, table: str, limit: int) -> list[dict]:
        """Return up to `limit` documents in insertion order, oldest first, without scanning the table."""
        raw = self._raw(table)
        result = []
        for key, doc in raw.items():
            if len(result) >= limit:
                break
            result.append(self._out(key, doc))
        return result

    def all(self, table: str) -> list[dict]:
        raw = self._raw(table)
        return [self._out(key, raw[key]) for key in sorted(raw, key=int)]


_EMPTY: frozenset[int] = frozenset()


def _bucket(found: int | set[int] | None) -> Iterable[int]:
    if found is None:
        return _EMPTY
    return (found,) if isinstance(found, int) else found


def _matches(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, list) and not isinstance(wanted, list):
        return wanted in actual
    return actual == wanted
