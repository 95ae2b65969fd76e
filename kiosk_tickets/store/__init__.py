"""Persistence: TinyDB over an fsynced journal plus atomic snapshots, serialised by a thread lock and a file lock.

Layout of a data directory:

    snapshot.json          the whole database as of generation G, a document a line (replaced atomically)
    journal-<G>.log        every transaction committed since that snapshot, one record each
    .lock                  the filelock all processes on this directory take (see FileLockLease)

A transaction's changes are appended to the journal as one record (a document changed in part as the
fields that changed) and fsynced before the transaction is acknowledged, so its cost does not depend on
how large the store is. In memory each document is a compact record (see documents.py). A record whose length or
checksum does not match (a power cut during the append) is dropped when the next process takes the
lock, and everything before it is kept.

The modules, from the bottom up:

    documents.py      `Record` (a document in compact form), `thaw` (owned copies) and `StoredDocument`
                      (read-only views); the `Doc` alias
    files.py          file names, the snapshot and journal record formats, atomic and fsynced writes
    tinydb_bridge.py  TinyDB bent to the store, and the list of TinyDB private attributes it relies on
    lease.py          `FileLockLease`: the file lock, kept by a busy process and handed over in turns
    journal.py        `Journal`: appending, allocating ahead, group-commit syncs, reading and cutting the tail
    indexes.py        `Indexes` over `INDEXED_FIELDS`, each built at its first lookup, and lookups by field values
    transaction.py    `Transaction` (what a `with store.transaction() as tx:` block uses) and `DerivedView`
    database.py       `Store`: locking and catching up, applying and undoing changes, snapshots
    backup.py         backup, restore and verification of whole images, through `Store`'s public methods

Everything other modules of the program use is importable from here.
"""

from ..errors import StoreBusy, StoreCorrupt
from .database import Store
from .documents import Doc, FrozenTable, StoredDocument, clone, freeze
from .files import (
    LOCK_NAME,
    SCHEMA_VERSION,
    SNAPSHOT_NAME,
    decode_records,
    encode_record,
    write_file_atomically,
)
from .indexes import INDEXED_FIELDS, Indexes
from .journal import JOURNAL_STEP, Journal
from .lease import FileLockLease
from .tinydb_bridge import JournalStorage, JournalTable
from .transaction import DerivedView, Transaction, View

__all__ = [
    "INDEXED_FIELDS",
    "JOURNAL_STEP",
    "LOCK_NAME",
    "SCHEMA_VERSION",
    "SNAPSHOT_NAME",
    "DerivedView",
    "Doc",
    "FileLockLease",
    "FrozenTable",
    "Indexes",
    "Journal",
    "JournalStorage",
    "JournalTable",
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoredDocument",
    "Transaction",
    "View",
    "clone",
    "decode_records",
    "encode_record",
    "freeze",
    "write_file_atomically",
]
