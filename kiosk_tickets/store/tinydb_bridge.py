"""TinyDB bent to the store: tables that live in memory, and writes that cost what they change.

The store keeps the tables itself and persists them through its journal; TinyDB's `Table` serves as
the write path (insert, update, remove hand out ids and apply changes). TinyDB would rewrite the whole
database on every write; here a write reaches only the documents it changes, and each change is
reported to the store, which indexes, journals and can undo it.

TinyDB's extension points are public (``Storage``, ``TinyDB.table_class``), but the store also relies
on these private attributes of TinyDB 4, listed in `TINYDB_PRIVATES` and checked by a test:

    Table._update_table   overridden by `JournalTable`: insert, update and remove pass every change
                          through it, so it is the one place a write can be intercepted.
    Table._storage        read by that override to reach the live tables.
    Table._next_id        set before each write to the store's id counter; TinyDB's `_get_next_id`
                          hands it out and counts on, so ids follow the store, not the table's contents.
    TinyDB._tables        TinyDB's cache of table objects: each change updates the cached table's
                          `_next_id` and query cache, and a reload empties it.

No TinyDB query is ever built: reads go through the store's indexes (see `Transaction`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from .documents import Record, thaw

# (class, attribute) pairs of TinyDB's private surface that this module depends on.
TINYDB_PRIVATES: tuple[tuple[str, str], ...] = (
    ("Table", "_update_table"),
    ("Table", "_storage"),
    ("Table", "_next_id"),
    ("TinyDB", "_tables"),
)

# Called with (table, doc_id, new document or None for a delete) for every change a write makes.
ApplyChange = Callable[[str, int, dict | None], None]


class JournalStorage(Storage):
    """TinyDB storage whose data lives in memory; persistence is the Store's journal, not write()."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Record]] = {}

    def read(self) -> dict[str, dict[int, Record]]:  # type: ignore[override]  # TinyDB reads it only to list tables
        return self.tables

    def write(self, data: dict[str, dict[str, dict]]) -> None:
        # Every change reaches the tables through JournalTable, which journals it; a whole-database
        # write would bypass the journal, so it is a programming error.
        raise RuntimeError("JournalStorage is written through transactions only")


class _ChangeView(MutableMapping):
    """The int-keyed table TinyDB's updaters expect, copying documents on access and collecting changes."""

    def __init__(self, raw: dict[int, Record]) -> None:
        self._raw = raw
        self.changes: dict[int, dict | None] = {}

    def __getitem__(self, doc_id: int) -> dict:
        if doc_id in self.changes:
            doc = self.changes[doc_id]
            if doc is None:
                raise KeyError(doc_id)
            return doc
        doc = thaw(self._raw[doc_id])
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
        return doc_id in self._raw

    def __iter__(self) -> Iterator[int]:
        for doc_id in list(self._raw):
            if self.changes.get(doc_id, True) is not None:
                yield doc_id
        for doc_id, doc in list(self.changes.items()):
            if doc is not None and doc_id not in self._raw:
                yield doc_id

    def __len__(self) -> int:
        return sum(1 for _ in self)


class JournalTable(Table):
    """A TinyDB table whose writes touch only the changed documents and report each one to `apply_change`.

    `apply_change` is set on a subclass made for each store (see `JournalDatabase`).
    """

    apply_change: ApplyChange

    def _update_table(self, updater: Callable[[dict[int, Mapping]], None]) -> None:
        view = _ChangeView(cast(JournalStorage, self._storage).tables.setdefault(self.name, {}))
        updater(view)  # type: ignore[arg-type]
        for doc_id, doc in view.changes.items():
            self.apply_change(self.name, doc_id, doc)
        self.clear_cache()


class JournalDatabase:
    """The TinyDB instance of one store: its tables for writing, kept in step with the store's id counters."""

    def __init__(self, storage: JournalStorage, apply_change: ApplyChange) -> None:
        # TinyDB creates table objects itself, as `table_class(storage, name)`, and caches them, so a
        # table can learn where to report its changes only from its class. Each store therefore gets a
        # subclass of its own: two stores in one process (a server and the image it restores from, or
        # tests) must not report to each other.
        class BoundJournalTable(JournalTable):
            pass

        BoundJournalTable.apply_change = apply_change
        self._db = TinyDB(storage=lambda: storage)
        self._db.table_class = BoundJournalTable

    def table(self, name: str, next_id: int) -> Table:
        """Return the table `name`, ready to write, handing out ids from `next_id` on."""
        table = self._db.table(name)
        table._next_id = next_id  # type: ignore[assignment]  # TinyDB declares it by assigning None
        return table

    def follow(self, name: str, next_id: int) -> None:
        """A document of `name` changed: TinyDB's cached table must not serve stale ids or query results."""
        bound = self._db._tables.get(name)
        if bound is not None:
            bound._next_id = next_id  # type: ignore[assignment]
            bound.clear_cache()

    def forget_tables(self) -> None:
        """The tables were replaced wholesale: drop TinyDB's table objects, they describe the old ones."""
        self._db._tables.clear()
