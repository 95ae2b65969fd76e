"""`Transaction`, what code inside `store.transaction()` reads and writes through, and the derived views it feeds."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tinydb.table import Document

from ..errors import StoreCorrupt
from .documents import FrozenTable, Record, StoredDocument, collector_paused, thaw

if TYPE_CHECKING:
    from .database import Store


class DerivedView(Protocol):
    """An in-memory view computed from the tables (e.g. counters) that the store keeps current."""

    def reset(self, tables: Mapping[str, FrozenTable]) -> None:
        """Rebuild from scratch (the store was loaded or reloaded) from every table, seen read-only."""

    def changed(self, table: str, doc_id: int, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        """Follow one change: a write of this process, an undo, or a record another process committed.

        `old` and `new` are read-only views of the documents, which may be kept (they never change)."""


View = TypeVar("View", bound=DerivedView)


class Transaction:
    """What code inside `store.transaction()` reads and writes through. Documents are plain dicts with `id`.

    Reads come in three flavours; pick by what happens to the result:

    - Copies, owned by the caller, free to change and keep: `get`, `find`, `find_one`, `all`, `first`,
      and `referenced` (like `get`, for an id that must resolve). Writes return copies too.
    - Read-only views of the stored documents (`Doc`, a Mapping): `peek`, `scan`, and
      `peek_referenced`. They cost nothing per field, for filtering and sorting many documents; never
      change one, and never keep one past the transaction (it shows later writes, or a stale document).
      Copy with `get` what is handed on.
    - Ids and counts only: `ids`, `count`.

    `find`, `scan`, `ids`, `find_one` and `count` take `field=value` criteria (a list field matches
    if it contains the value); criteria on an indexed field (see `INDEXED_FIELDS`) are answered from
    the index. `referenced` and `peek_referenced` are for ids that another stored document refers to:
    their absence is damage (StoreCorrupt), not bad input.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def _raw(self, table: str) -> dict[int, Record]:
        return self._store._storage.tables.get(table, {})

    @staticmethod
    def _out(doc_id: int | str, doc: Record) -> dict:
        result: dict = thaw(doc)
        result["id"] = int(doc_id)
        return result

    def get(self, table: str, doc_id: Any) -> dict | None:
        """Return the document with this id, or None (also for ids that are not integers)."""
        try:
            key = int(doc_id)
        except (TypeError, ValueError):
            return None
        doc = self._raw(table).get(key)
        return None if doc is None else self._out(key, doc)

    def peek(self, table: str, doc_id: int) -> Mapping[str, Any] | None:
        """Like `get`, but a read-only view of the stored document instead of a copy."""
        doc = self._raw(table).get(int(doc_id))
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
        return self._store._indexes.ids(table, self._raw(table), criteria)

    def find(self, table: str, **criteria: Any) -> list[dict]:
        """Return the matching documents (see `ids`), in id order."""
        raw = self._raw(table)
        return [self._out(doc_id, raw[doc_id]) for doc_id in self.ids(table, **criteria)]

    def scan(self, table: str, **criteria: Any) -> list[Mapping[str, Any]]:
        """Like `find`, but the documents are read-only views of the stored ones, not copies.

        For filtering and sorting many documents: copy (with `get`) only the few that are handed on.
        """
        raw = self._raw(table)
        return [StoredDocument(doc_id, raw[doc_id]) for doc_id in self.ids(table, **criteria)]

    def find_one(self, table: str, **criteria: Any) -> dict | None:
        """Return the matching document with the lowest id, or None."""
        ids = self.ids(table, **criteria)
        return self._out(ids[0], self._raw(table)[ids[0]]) if ids else None

    def count(self, table: str, **criteria: Any) -> int:
        """Return how many documents match `criteria` (all of the table's without criteria)."""
        return len(self.ids(table, **criteria)) if criteria else len(self._raw(table))

    def insert(self, table: str, doc: Mapping[str, Any]) -> dict:
        """Insert `doc` (without `id`) and return it with its new id."""
        fields = {key: value for key, value in doc.items() if key != "id"}
        doc_id = self._store._table(table).insert(fields)
        # The store holds a copy of its own (see Store._apply), so `fields` can be handed back as it is.
        fields["id"] = doc_id
        return fields

    def put(self, table: str, doc_id: int, doc: Mapping[str, Any]) -> dict:
        """Store `doc` under the given id, replacing the whole document held there; return it with its id.

        For documents whose ids come from elsewhere (a central server's): an id below the table's counter
        leaves the counter where it is, a higher one moves it past (see `reserve_ids`).
        """
        fields = {key: value for key, value in doc.items() if key != "id"}
        doc_id = int(doc_id)
        target = self._store._table(table)
        if doc_id in self._raw(table):

            def replace(stored: MutableMapping[Any, Any]) -> None:
                stored.clear()
                stored.update(fields)

            target.update(replace, doc_ids=[doc_id])
        else:
            target.insert(Document(fields, doc_id=doc_id))
        fields["id"] = doc_id
        return fields

    def reserve_ids(self, table: str, floor: int) -> None:
        """Make inserts into `table` hand out ids from `floor` on; nothing changes if they already do."""
        self._store.reserve_ids(table, floor)

    def next_id(self, table: str) -> int:
        """Return the id the next `insert` into `table` gets."""
        return self._store.next_id(table)

    def update(self, table: str, doc_id: int, changes: Mapping[str, Any]) -> dict:
        """Set the given fields on one document and return the whole document; KeyError if there is none."""
        fields = {key: value for key, value in changes.items() if key != "id"}
        if not self._store._table(table).update(fields, doc_ids=[int(doc_id)]):
            raise KeyError(f"{table} {doc_id} does not exist")
        return self._out(doc_id, self._raw(table)[int(doc_id)])

    def delete(self, table: str, doc_id: int) -> None:
        """Remove one document (nothing happens if there is none)."""
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
            with collector_paused():
                view.reset(self._store.views())
            views[name] = view
        return views[name]  # type: ignore[return-value]

    def first(self, table: str, limit: int) -> list[dict]:
        """Return up to `limit` documents in insertion order, oldest first, without scanning the table."""
        raw = self._raw(table)
        result: list[dict] = []
        for key, doc in raw.items():
            if len(result) >= limit:
                break
            result.append(self._out(key, doc))
        return result

    def all(self, table: str) -> list[dict]:
        """Return every document of `table`, in id order."""
        raw = self._raw(table)
        return [self._out(key, raw[key]) for key in sorted(raw, key=int)]
