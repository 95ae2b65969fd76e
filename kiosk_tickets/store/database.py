"""`Store`, the database of one data directory: locking and catching up, changes and their undo, snapshots."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinydb.table import Table

from ..errors import StoreBusy
from .documents import FrozenDocument, FrozenTable, Record, collector_paused, difference, freeze, patch, thaw
from .files import (
    LOCK_NAME,
    SCHEMA_VERSION,
    SECRET_KEY_NAME,
    SNAPSHOT_NAME,
    encode_record,
    read_or_create_secret,
    read_snapshot,
    write_snapshot,
)
from .indexes import Indexes
from .journal import Journal
from .lease import FileLockLease
from .tinydb_bridge import JournalDatabase, JournalStorage
from .transaction import DerivedView, Transaction

if TYPE_CHECKING:
    from .backup import BackupImage


class Store:
    """The database of one data directory; use it only inside `transaction()`.

    Memory holds the whole database (`JournalStorage`), with indexes (`Indexes`) and derived views
    kept current by `_set`, through which every change passes: a write of this process (`_apply`, via
    TinyDB), an undo (`_rollback_to`), or a record read from the journal (`_catch_up`). A transaction
    collects its changes as undo and redo lists; at its end the redo list becomes one journal record
    (`_append`), which is synced after the locks are released (`Journal.sync_to`).
    """

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
        self._lease = FileLockLease(self.data_dir / LOCK_NAME, lock_linger, lock_max_hold)
        self._caught_up_with = -1
        self._depth = 0
        self._undo: list[tuple[str, int, Record | None]] = []
        self._redo: list[tuple[str, int, Record | None, Record | None]] = []
        self._storage = JournalStorage()
        self._db = JournalDatabase(self._storage, self._apply)
        self._indexes = Indexes()
        self._next_ids: dict[str, int] = {}
        self._derived: dict[str, DerivedView] = {}
        self._journal = Journal(self.data_dir)
        self._snapshot_identity: tuple[int, int] | None = None
        self._snapshot_bytes = 0
        self.schema_version = SCHEMA_VERSION

    # ------------------------------------------------------------------ locking and catching up

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Run the block atomically across threads and processes; commit durably when it ends.

        A nested `transaction()` in the same thread joins the outer one; if the nested block raises,
        only its own changes are undone. Raises StoreBusy if the lock cannot be had in time.
        """
        if self._journal.failure is not None:
            raise self._journal.failure
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
            self._journal.sync_to(*written_to)

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
            self._write_snapshot(generation=0, tables={}, next_ids={})
            stat = snapshot_path.stat()
        identity = (stat.st_ino, stat.st_mtime_ns)
        if identity != self._snapshot_identity:
            with collector_paused():
                self._load_snapshot(snapshot_path, identity)
                # Right after a snapshot the tail can be as long as the snapshot itself.
                self._journal.read_tail(self.strict, self._replay)
        else:
            self._journal.read_tail(self.strict, self._replay)
        if self.schema_version < SCHEMA_VERSION and not self.strict:
            # Written by an earlier version: rewritten in the current format once, so later starts read that.
            # (Not a backup being read: its directory must stay as the backup wrote it.)
            self._compact()

    def _replay(self, changes: list[list[Any]]) -> None:
        """Apply one journal record that is already committed (no undo, nothing to journal)."""
        for change in changes:
            table, doc_id = change[0], int(change[1])
            if len(change) == 4:
                # A patch: the fields that changed and those removed, applied to the document as it stands.
                old = self._storage.tables[table][doc_id]
                self._set(table, doc_id, patch(old, change[2], change[3]))
            else:
                self._set(table, doc_id, None if change[2] is None else freeze(change[2]))

    # ------------------------------------------------------------------ applying changes

    def _set(self, table: str, doc_id: int, doc: Record | None) -> Record | None:
        """Put `doc` (None deletes) in place, keeping indexes and id counters right; return the old document."""
        raw = self._storage.tables.setdefault(table, {})
        old = raw.get(doc_id)
        if old is not None:
            self._indexes.remove(table, doc_id, old)
        if doc is None:
            raw.pop(doc_id, None)
        else:
            raw[doc_id] = doc
            self._indexes.add(table, doc_id, doc)
        # Every id a change names is used up, a deletion's too: that is how `reserve_ids` raises a counter
        # through the journal (ordinary deletions name ids below the counter, so for them nothing moves).
        if doc_id >= self._next_ids.get(table, 1):
            self._next_ids[table] = doc_id + 1
        self._db.follow(table, self._next_ids.get(table, 1))
        if self._derived:
            old_view = None if old is None else FrozenDocument(old)
            new_view = None if doc is None else FrozenDocument(doc)
            for view in self._derived.values():
                view.changed(table, doc_id, old_view, new_view)
        return old

    def _apply(self, table: str, doc_id: int, doc: dict | None) -> None:
        """Apply a change written in the open transaction (TinyDB's tables report each one here)."""
        if self._depth == 0:
            raise RuntimeError("store writes must happen inside store.transaction()")
        record = None if doc is None else freeze(doc)
        old = self._set(table, doc_id, record)
        self._undo.append((table, doc_id, old))
        self._redo.append((table, doc_id, old, record))

    def _rollback_to(self, savepoint: int) -> None:
        while len(self._undo) > savepoint:
            table, doc_id, old = self._undo.pop()
            self._redo.pop()
            self._set(table, doc_id, old)

    def _append(self) -> tuple[int, int]:
        """Append the open transaction's record to the journal; return (generation, offset) to sync up to.

        The transaction is acknowledged only once `Journal.sync_to` reached that position. If the record
        cannot be written, the whole transaction is undone.
        """
        record = encode_record(journal_changes(self._redo))
        try:
            position = self._journal.append(record)
        except BaseException:
            self._rollback_to(0)
            raise
        if self._journal.offset > max(self.compact_after_bytes, self._snapshot_bytes):
            # Compacting once the journal outgrows the snapshot keeps the amortised cost per write constant.
            self._compact()
        return position

    def reserve_ids(self, table: str, floor: int) -> None:
        """Make `table` hand out ids from `floor` on (if it would hand out lower ones), durably with the transaction.

        Recorded as the deletion of the id just below `floor`, which replays (journal, snapshot, backup) like
        any other change. Ids given explicitly (`Transaction.put`) below the counter never move it, so after
        this the ids under `floor` stay free for documents whose ids come from elsewhere.
        """
        if self._next_ids.get(table, 1) < floor:
            self._apply(table, floor - 1, None)

    def next_id(self, table: str) -> int:
        """Return the id the next insert into `table` gets."""
        return self._next_ids.get(table, 1)

    def _table(self, name: str) -> Table:
        """Return TinyDB's table `name` for a write, handing out this store's next ids."""
        return self._db.table(name, self._next_ids.get(name, 1))

    # ------------------------------------------------------------------ snapshots

    def _load_snapshot(self, path: Path, identity: tuple[int, int]) -> None:
        # The old tables go first: holding both at once would double the memory a reload needs.
        self._storage.tables = {}
        self._indexes.clear()
        snapshot = read_snapshot(path)
        self.schema_version = snapshot.schema_version
        self._storage.tables = snapshot.tables
        self._next_ids = snapshot.next_ids
        self._snapshot_identity = identity
        self._snapshot_bytes = snapshot.size
        self._db.forget_tables()
        self._indexes.clear()
        for view in self._derived.values():
            view.reset(self.views())
        self._journal.switch(snapshot.generation, create=True)

    def views(self) -> dict[str, FrozenTable]:
        """Return every table as read-only views of its documents (what derived views are built from)."""
        return {name: FrozenTable(records) for name, records in self._storage.tables.items()}

    def _write_snapshot(
        self, generation: int, tables: Mapping[str, Mapping[int, Any]], next_ids: Mapping[str, int]
    ) -> int:
        # The new generation's journal exists (empty) before the snapshot that names it.
        self._journal.create(generation)
        return write_snapshot(self.data_dir / SNAPSHOT_NAME, generation, tables, next_ids)

    def _snapshot_identity_now(self) -> tuple[int, int]:
        # A snapshot is only ever replaced by a new file, so inode and mtime tell a new one without reading it.
        stat = (self.data_dir / SNAPSHOT_NAME).stat()
        return stat.st_ino, stat.st_mtime_ns

    def _compact(self) -> None:
        generation = self._journal.generation + 1
        self._snapshot_bytes = self._write_snapshot(generation, self._storage.tables, self._next_ids)
        self.schema_version = SCHEMA_VERSION
        # Memory is already current: switch files without reading them again.
        self._snapshot_identity = self._snapshot_identity_now()
        self._journal.switch(generation)
        # Journals of older generations are folded into the snapshot now (and any left by a crash mid-compaction).
        self._journal.remove_others()

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now."""
        with self.transaction():
            self._compact()

    # ------------------------------------------------------------------ whole images (see backup.py)

    def committed_files(self) -> list[tuple[Path, int | None]]:
        """Return the files that hold the committed state, each with the bytes of it that count (None: all).

        Call it inside a transaction, which keeps them from changing.
        """
        return [(self.data_dir / SNAPSHOT_NAME, None), (self._journal.path(), self._journal.offset)]

    def contents(self) -> tuple[dict[str, FrozenTable], dict[str, int]]:
        """Return the tables (id -> read-only view of the document without `id`) and the next id of each.

        Call it inside a transaction; both are the store's own, never to be changed.
        """
        return self.views(), self._next_ids

    def replace_contents(self, tables: Mapping[str, Mapping[int, Any]], next_ids: Mapping[str, int]) -> None:
        """Make `tables` (as `contents` returns them, or plain documents) the whole database, as the next snapshot.

        Call it inside a transaction; other processes on this directory switch to the new snapshot at
        their next transaction.
        """
        if self._depth == 0:
            raise RuntimeError("replace_contents must happen inside store.transaction()")
        # Ids handed out since the image was taken are not handed out again with another meaning.
        next_ids = dict(next_ids)
        for table, next_id in self._next_ids.items():
            next_ids[table] = max(next_id, next_ids.get(table, 1))
        tables = {name: docs.records if isinstance(docs, FrozenTable) else docs for name, docs in tables.items()}
        self._write_snapshot(self._journal.generation + 1, tables, next_ids)
        with collector_paused():
            self._load_snapshot(self.data_dir / SNAPSHOT_NAME, self._snapshot_identity_now())
        self._journal.remove_others()

    def image_size(self) -> int:
        """Return the bytes a backup taken now would copy (the store may grow before it is taken)."""
        from . import backup

        return backup.image_size(self)

    def backup(self, destination: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> int:
        """Copy a consistent image of the store into the new directory `destination`; return the bytes copied.

        The lock is held while copying, so the image is a committed state; the copy is a data directory
        of its own (snapshot plus journal) with a manifest (`backup.json`: sizes and checksums) written
        last, all fsynced before this returns. Raises BackupRefused if `destination` already exists or
        lies inside the data directory.
        """
        from . import backup

        return backup.backup(self, destination, progress)

    def restore(
        self,
        source: str | os.PathLike[str] | BackupImage,
        confirm: Callable[[dict[str, int], BackupImage], bool] | None = None,
    ) -> dict[str, int] | None:
        """Replace the whole database with the backup in `source` (a directory made by `backup`, or its image).

        The backup is read and verified first (manifest, checksums, every record); a store that holds
        documents is replaced only if `confirm(current documents per table, image)` agrees (None: always).
        Then, under the lock, it becomes the next snapshot, so running servers on this directory switch to
        it at their next request. Returns documents per table, or None if `confirm` declined.
        Raises BackupRefused, and changes nothing, if `source` is not a complete, intact backup.
        """
        from . import backup

        return backup.restore(self, source, confirm)

    def table_sizes(self) -> dict[str, int]:
        """Return the number of documents per table, after reading every record (so damage raises here)."""
        from . import backup

        return backup.table_sizes(self)

    def secret_key(self) -> str:
        """The key that signs this installation's session cookies, made on first use and kept in the data
        directory (mode 0600), so restarts and every process serving the directory share it."""
        return read_or_create_secret(self.data_dir / SECRET_KEY_NAME, lambda: secrets.token_hex(32))

    def close(self) -> None:
        """Give up the file lock and close the journal; a later transaction opens the store again."""
        self._lease.close()
        self._caught_up_with = -1
        self._journal.close()
        self._snapshot_identity = None


def journal_changes(redo: list[tuple[str, int, Record | None, Record | None]]) -> list[list[Any]]:
    """Return a transaction's changes as journal entries: a document replaced in part as a patch of its
    changed and removed fields (``[table, id, {field: value}, [field]]``), any other as the whole
    document or null (``[table, id, document or null]``)."""
    entries: list[list[Any]] = []
    for table, doc_id, old, new in redo:
        if old is not None and new is not None:
            changes = difference(old, new)
            if changes is not None:
                entries.append([table, doc_id, *changes])
                continue
        entries.append([table, doc_id, None if new is None else thaw(new)])
    return entries
