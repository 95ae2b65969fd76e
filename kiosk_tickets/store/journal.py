"""The journal: one append-only file per snapshot generation, allocated ahead and synced by group commit.

Records are appended while the store's locks are held and synced after they are released: a sync that
starts after a record was written covers it and every record before it, so one sync serves every
transaction that committed while the previous sync ran, and after a power cut the first bad record is
followed by nothing that was acknowledged.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import StoreCorrupt
from .files import HEADER_SIZE, decode_records, holds_intact_record, write_file_atomically

# Operators filter the store's warnings by this name, whichever module of the store logs them.
log = logging.getLogger("kiosk_tickets.store")

# fdatasync is enough for an append (it flushes the size too) and cheaper; not every platform has it.
_sync_data = getattr(os, "fdatasync", os.fsync)
# A journal is allocated ahead in steps of this size: a sync after writing into allocated space need not
# commit a new file size too, which makes it about a third cheaper. The space past the last record reads
# as zero bytes, which no record header is.
JOURNAL_STEP = 1024 * 1024
_allocate = getattr(os, "posix_fallocate", None)


class Journal:
    """The open journal of one data directory: where the next record goes and how much of it is on disk.

    `generation` names the open journal (that of the current snapshot); `offset` is the end of its
    last record. Appending and switching happen under the store's locks; `sync_to` runs outside them,
    so the descriptor is guarded by a lock of its own between the two.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.generation = -1
        self.offset = 0
        # Set once a sync failed: whether the data reached the disk is unknown, so nothing may follow.
        self.failure: StoreCorrupt | None = None
        self._fd: int | None = None
        self._allocated = 0
        self._sync_lock = threading.Lock()
        self._durable: tuple[int, int] = (-1, 0)

    def path(self, generation: int | None = None) -> Path:
        """Return the file of the journal of `generation` (the open one by default)."""
        return self.data_dir / f"journal-{self.generation if generation is None else generation:08d}.log"

    def create(self, generation: int) -> None:
        """Create the empty journal of `generation`, durably; a snapshot naming it may be written next."""
        with open(self.path(generation), "wb") as handle:
            os.fsync(handle.fileno())

    def switch(self, generation: int, create: bool = False) -> None:
        """Open the journal of `generation` (the snapshot made everything before it durable)."""
        with self._sync_lock:
            self.generation = generation
            if self._fd is not None:
                os.close(self._fd)
            self._fd = os.open(self.path(), os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
            self.offset = 0
            self._allocated = os.fstat(self._fd).st_size
            self._durable = (generation, 0)

    def remove_others(self) -> None:
        """Delete the journals of other generations (and any left by a crash mid-compaction)."""
        for stale in self.data_dir.glob("journal-*.log"):
            if stale != self.path():
                stale.unlink(missing_ok=True)

    def read_tail(self, strict: bool, apply: Callable[[list[list[Any]]], None]) -> None:
        """Pass each record appended since the last read to `apply`, then cut off what a crash left.

        Call it holding the file lock. A torn or damaged record ends the journal: it and everything
        after it are truncated (bytes that still hold intact records are kept beside the journal as
        `.tail-OFFSET` for an operator). With `strict`, raises StoreCorrupt instead.
        """
        assert self._fd is not None
        size = self._allocated = os.fstat(self._fd).st_size
        if size == self.offset:
            return
        data = os.pread(self._fd, size - self.offset, self.offset)
        records, consumed = decode_records(data)
        # Allocated space ends the journal as its end of file does; anything else there is damage.
        damaged = bool(data[consumed : consumed + HEADER_SIZE].strip(b"\0"))
        if damaged and strict:
            raise StoreCorrupt(f"{self.path()} is damaged at byte {self.offset + consumed}")
        for changes in records:
            apply(changes)
        self.offset += consumed
        if damaged:
            # We hold the lock, so nobody is appending: this is what a crash left unacknowledged.
            tail = data[consumed:]
            if holds_intact_record(tail, 1):
                # Records after a bad one were never acknowledged (see the module docstring), but a bad
                # record in the middle may also be damage: keep the bytes for an operator instead.
                aside = self.data_dir / f"{self.path().name}.tail-{self.offset}"
                write_file_atomically(aside, tail)
                log.warning(
                    "journal damaged at byte %d; the %d bytes after it are kept in %s", self.offset, len(tail), aside
                )
            os.ftruncate(self._fd, self.offset)
            os.fsync(self._fd)
            self._allocated = self.offset

    def append(self, record: bytes) -> tuple[int, int]:
        """Write `record` after the last one; return the (generation, offset) `sync_to` must reach for it.

        The record is visible to other processes at once but durable only after `sync_to`. If writing
        fails, the journal is cut back to its last record and the error raised.
        """
        assert self._fd is not None
        end = self.offset + len(record)
        try:
            if end > self._allocated and _allocate is not None:
                allocated = (end // JOURNAL_STEP + 1) * JOURNAL_STEP
                _allocate(self._fd, 0, allocated)
                self._allocated = allocated
            written = os.pwrite(self._fd, record, self.offset)
            if written != len(record):
                raise OSError(f"short write to the journal ({written} of {len(record)} bytes)")
        except BaseException:
            os.ftruncate(self._fd, self.offset)
            self._allocated = self.offset
            raise
        self.offset += len(record)
        return self.generation, self.offset

    def sync_to(self, generation: int, offset: int) -> None:
        """Return once the journal is on disk up to `offset` of `generation` (group commit).

        Raises StoreCorrupt if this or an earlier sync failed.
        """
        with self._sync_lock:
            if self.failure is not None:
                raise self.failure
            if (generation, offset) <= self._durable or generation != self.generation:
                # Another thread's sync covered it, or a compaction's fsynced snapshot holds it.
                return
            target = (self.generation, self.offset)
            try:
                # None only if the store was closed since the append; that raises, as it should.
                _sync_data(self._fd)  # type: ignore[arg-type]
            except OSError as error:
                # Whether the data reached the disk is unknown: refuse all further work rather than guess.
                self.failure = StoreCorrupt(f"the journal could not be synced to disk: {error}")
                raise self.failure from error
            self._durable = target

    def close(self) -> None:
        """Close the journal file; `switch` opens one again."""
        with self._sync_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
