"""The store on its own: atomicity, nesting, several instances on one directory, torn and damaged journals."""

from __future__ import annotations

import json
import threading

import filelock
import pytest
import tinydb
from tinydb.storages import MemoryStorage
from tinydb.table import Table

from kiosk_tickets.errors import StoreBusy, StoreCorrupt
from kiosk_tickets.store import JOURNAL_STEP, LOCK_NAME, SNAPSHOT_NAME, Store, decode_records, encode_record
from kiosk_tickets.store.tinydb_bridge import TINYDB_PRIVATES


def journal_of(data_dir):
    (journal,) = data_dir.glob("journal-*.log")
    return journal


def records_of(journal):
    """The journal's bytes up to the end of its last record, without the zero space allocated past it."""
    return journal.read_bytes().rstrip(b"\0")


def test_committed_writes_are_read_back_by_a_new_instance(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        first = tx.insert("vouchers", {"event": 1, "code": "AAAAA"})
        tx.insert("vouchers", {"event": 2, "code": "BBBBB"})
        tx.update("vouchers", first["id"], {"code": "CCCCC"})
    with Store(data_dir).transaction() as tx:
        assert tx.all("vouchers") == [
            {"id": 1, "event": 1, "code": "CCCCC"},
            {"id": 2, "event": 2, "code": "BBBBB"},
        ]
        assert tx.find("vouchers", event=2) == [{"id": 2, "event": 2, "code": "BBBBB"}]


def test_an_exception_undoes_the_whole_transaction(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.insert("items", {"event": 1, "name": "kept"})
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.insert("items", {"event": 1, "name": "dropped"})
            tx.update("items", 1, {"name": "changed"})
            tx.delete("items", 1)
            raise RuntimeError("boom")
    with Store(data_dir).transaction() as tx:
        assert tx.all("items") == [{"id": 1, "event": 1, "name": "kept"}]
    with store.transaction() as tx:
        assert tx.all("items") == [{"id": 1, "event": 1, "name": "kept"}]
        assert tx.find("items", event=1) == [{"id": 1, "event": 1, "name": "kept"}]


def test_a_failing_nested_transaction_undoes_only_its_own_changes(data_dir):
    store = Store(data_dir)
    with store.transaction() as outer:
        outer.insert("items", {"name": "outer"})
        with pytest.raises(ValueError):
            with store.transaction() as inner:
                inner.insert("items", {"name": "inner"})
                raise ValueError
        outer.insert("items", {"name": "after"})
    with Store(data_dir).transaction() as tx:
        assert [doc["name"] for doc in tx.all("items")] == ["outer", "after"]


def test_documents_handed_out_are_copies(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        quota = tx.insert("quotas", {"event": 1, "items": [1]})
        quota["items"].append(2)
        tx.get("quotas", quota["id"])["items"].append(3)
        assert tx.get("quotas", quota["id"])["items"] == [1]


def test_two_instances_on_one_directory_see_each_other_and_never_reuse_ids(data_dir):
    first, second = Store(data_dir), Store(data_dir)
    for round_number in range(5):
        for store in (first, second):
            with store.transaction() as tx:
                tx.insert("orders", {"event": 1, "round": round_number})
    for store in (first, second):
        with store.transaction() as tx:
            assert [doc["id"] for doc in tx.all("orders")] == list(range(1, 11))
            assert len(tx.find("orders", event=1)) == 10


def test_deleted_ids_are_not_handed_out_again_after_a_restart(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.insert("cartpositions", {"event": 1})
        second = tx.insert("cartpositions", {"event": 1})
        tx.delete("cartpositions", second["id"])
    with Store(data_dir).transaction() as tx:
        assert tx.insert("cartpositions", {"event": 1})["id"] == 3


def test_indexes_follow_updates_deletes_and_list_fields(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.insert("quotas", {"event": 1, "items": [1, 2]})
        tx.insert("quotas", {"event": 1, "items": [2]})
        assert tx.ids("quotas", items=2) == [1, 2]
        tx.update("quotas", 1, {"items": [3]})
        assert tx.ids("quotas", items=2) == [2]
        assert tx.ids("quotas", items=3) == [1]
        tx.delete("quotas", 2)
        assert tx.ids("quotas", items=2) == []
        assert tx.count("quotas", event=1) == 1


def test_a_lookup_by_one_field_answers_what_the_documents_hold_at_every_bucket_size(data_dir):
    # One id, a tuple of up to 16 and an array beyond: each is its own form of the index's bucket.
    store = Store(data_dir)
    with store.transaction() as tx:
        for number in range(40):
            tx.insert("cartpositions", {"event": 1 if number < 20 else number, "cart_id": f"c{number % 3}"})
        expected = {
            value: [doc["id"] for doc in tx.all("cartpositions") if doc["cart_id"] == value]
            for value in ("c0", "c1", "c2", "none")
        }
        for value, ids in expected.items():
            assert tx.ids("cartpositions", cart_id=value) == ids
        assert tx.ids("cartpositions", event=1) == list(range(1, 21))
        assert tx.ids("cartpositions", event=25) == [26]
        assert tx.ids("cartpositions", event=None) == []
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.delete("cartpositions", 26)
        tx.delete("cartpositions", 3)
        assert tx.ids("cartpositions", event=25) == []
        assert 3 not in tx.ids("cartpositions", event=1)
        raise RuntimeError("undo")
    with store.transaction() as tx:
        assert tx.ids("cartpositions", event=25) == [26]
        assert tx.ids("cartpositions", event=1) == list(range(1, 21))


def write_records(data_dir, count):
    store = Store(data_dir)
    for number in range(count):
        with store.transaction() as tx:
            tx.insert("checkins", {"number": number})
    store.close()


def test_a_torn_last_record_is_dropped_at_every_byte_offset_and_earlier_records_kept(data_dir, tmp_path):
    write_records(data_dir, 3)
    journal = journal_of(data_dir)
    intact = records_of(journal)
    records, end = decode_records(intact)
    assert len(records) == 3 and end == len(intact)
    last_start = len(intact) - len(encode_record(records[-1]))
    # A cut at the end of the file, or one followed by space the journal had allocated ahead.
    cases = [(at, padding) for at in range(last_start, len(intact)) for padding in (0, JOURNAL_STEP - at)]
    for cut, padding in cases:
        journal.write_bytes(intact[:cut] + bytes(padding))
        store = Store(data_dir)
        with store.transaction() as tx:
            assert [doc["number"] for doc in tx.all("checkins")] == [0, 1]
        if cut > last_start or not padding:
            assert journal.stat().st_size == last_start
        assert list(data_dir.glob("*.tail-*")) == []
        with store.transaction() as tx:
            tx.insert("checkins", {"number": "next"})
        store.close()
        with Store(data_dir).transaction() as tx:
            assert [doc["number"] for doc in tx.all("checkins")] == [0, 1, "next"]


def test_a_bad_record_before_intact_ones_is_dropped_from_there_and_the_tail_kept_aside(data_dir):
    write_records(data_dir, 3)
    journal = journal_of(data_dir)
    intact = records_of(journal)
    second = len(encode_record(decode_records(intact)[0][0]))
    damaged = bytearray(intact)
    damaged[second + 20] ^= 0xFF  # inside the second record's payload
    journal.write_bytes(bytes(damaged))
    with Store(data_dir).transaction() as tx:
        # A sync covers every record before the one it was made for, so nothing after a bad record was
        # ever acknowledged: the store continues from the last good one.
        assert [doc["number"] for doc in tx.all("checkins")] == [0]
    assert journal.read_bytes() == intact[:second]
    (aside,) = data_dir.glob("journal-*.log.tail-*")
    assert aside.name.endswith(f".tail-{second}")
    assert aside.read_bytes() == bytes(damaged[second:])


def test_the_journal_is_allocated_ahead_and_ends_where_the_zero_space_begins(data_dir):
    write_records(data_dir, 3)
    journal = journal_of(data_dir)
    assert journal.stat().st_size == JOURNAL_STEP
    assert len(decode_records(records_of(journal))[0]) == 3
    for strict in (False, True):
        with Store(data_dir, strict=strict).transaction() as tx:
            assert [doc["number"] for doc in tx.all("checkins")] == [0, 1, 2]
    assert journal.stat().st_size == JOURNAL_STEP
    assert list(data_dir.glob("*.tail-*")) == []


def test_a_backup_copies_the_records_but_not_the_space_allocated_after_them(data_dir, tmp_path):
    write_records(data_dir, 3)
    store = Store(data_dir)
    expected = store.image_size()
    assert expected == (data_dir / SNAPSHOT_NAME).stat().st_size + len(records_of(journal_of(data_dir)))
    assert store.backup(tmp_path / "backup") == expected
    with Store(tmp_path / "backup", strict=True).transaction() as tx:
        assert [doc["number"] for doc in tx.all("checkins")] == [0, 1, 2]


def test_a_backup_image_with_any_bad_record_is_refused(data_dir):
    write_records(data_dir, 1)
    journal = journal_of(data_dir)
    journal.write_bytes(records_of(journal)[:-3])
    with pytest.raises(StoreCorrupt):
        with Store(data_dir, strict=True).transaction():
            pass


def test_compaction_folds_the_journal_into_the_snapshot_and_other_instances_follow(data_dir):
    writer, reader = Store(data_dir, compact_after_bytes=2000), Store(data_dir)
    with reader.transaction() as tx:
        assert tx.all("vouchers") == []
    for number in range(40):
        with writer.transaction() as tx:
            tx.insert("vouchers", {"event": 1, "code": f"CODE{number:03d}"})
    header = json.loads((data_dir / SNAPSHOT_NAME).read_text().splitlines()[0])
    assert header["generation"] > 0
    assert len(list(data_dir.glob("journal-*.log"))) == 1
    with reader.transaction() as tx:
        assert len(tx.all("vouchers")) == 40
        tx.insert("vouchers", {"event": 1, "code": "FROMREADER"})
    with writer.transaction() as tx:
        assert tx.find_one("vouchers", code="FROMREADER")["id"] == 41


def test_a_store_written_by_a_newer_version_is_refused(data_dir):
    write_records(data_dir, 1)
    header, *rest = (data_dir / SNAPSHOT_NAME).read_text().splitlines(keepends=True)
    (data_dir / SNAPSHOT_NAME).write_text(
        json.dumps({**json.loads(header), "schema_version": 999}) + "\n" + "".join(rest)
    )
    with pytest.raises(StoreCorrupt):
        with Store(data_dir).transaction():
            pass


def test_a_lock_held_elsewhere_answers_store_busy(data_dir):
    holder, waiter = Store(data_dir), Store(data_dir, lock_timeout=0.2)
    outcome = []

    def try_transaction():
        try:
            with waiter.transaction():
                outcome.append("entered")
        except StoreBusy as error:
            outcome.append(error.body())

    # Another thread stands in for another process: the file lock is per open file, not per process.
    with holder.transaction():
        thread = threading.Thread(target=try_transaction)
        thread.start()
        thread.join()
    assert outcome == [{"detail": "The server was unable to acquire a lock and could not process your request."}]
    assert StoreBusy().headers() == {"Retry-After": "5"}


def test_a_store_keeps_the_file_lock_between_transactions_until_it_has_lingered(data_dir):
    store = Store(data_dir, lock_linger=60.0)
    with store.transaction() as tx:
        tx.insert("checkins", {"number": 1})
    with pytest.raises(filelock.Timeout):
        filelock.FileLock(str(data_dir / LOCK_NAME)).acquire(timeout=0.05)
    store.close()
    other = filelock.FileLock(str(data_dir / LOCK_NAME))
    other.acquire(timeout=0.05)
    other.release()


def test_a_busy_store_gives_the_lock_up_in_turns(data_dir):
    busy, other = Store(data_dir, lock_max_hold=0.05), Store(data_dir, lock_timeout=2.0)
    stop = threading.Event()
    busy_writes = []

    def write_continuously():
        while not stop.is_set():
            with busy.transaction() as tx:
                busy_writes.append(tx.insert("checkins", {"by": "busy"})["id"])

    thread = threading.Thread(target=write_continuously)
    thread.start()
    try:
        for number in range(5):
            with other.transaction() as tx:
                tx.insert("checkins", {"by": "other", "number": number})
    finally:
        stop.set()
        thread.join()
    with busy.transaction() as tx:
        assert [doc["number"] for doc in tx.all("checkins") if doc["by"] == "other"] == [0, 1, 2, 3, 4]
        assert len(tx.all("checkins")) == len(busy_writes) + 5


def test_one_sync_covers_every_transaction_that_committed_while_it_ran(data_dir, monkeypatch):
    import kiosk_tickets.store.journal as journal_module

    store = Store(data_dir)
    syncs, appended = [], threading.Semaphore(0)
    first_sync_running, finish_first_sync = threading.Event(), threading.Event()
    original_append = Store._append

    def counting_append(self):
        position = original_append(self)
        appended.release()
        return position

    def slow_sync(fd):
        syncs.append(fd)
        if len(syncs) == 1:
            first_sync_running.set()
            assert finish_first_sync.wait(10)

    monkeypatch.setattr(Store, "_append", counting_append)
    monkeypatch.setattr(journal_module, "_sync_data", slow_sync)

    def write(number):
        with store.transaction() as tx:
            tx.insert("orders", {"number": number})

    first = threading.Thread(target=write, args=(0,))
    first.start()
    assert first_sync_running.wait(10)
    appended.acquire()
    queued = [threading.Thread(target=write, args=(number,)) for number in range(1, 6)]
    for thread in queued:
        thread.start()
    for _ in queued:
        assert appended.acquire(timeout=10)  # each has written its record and now waits for a sync
    finish_first_sync.set()
    for thread in [first, *queued]:
        thread.join()
    assert len(syncs) == 2
    with Store(data_dir).transaction() as tx:
        assert sorted(doc["number"] for doc in tx.all("orders")) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(("owner", "attribute"), TINYDB_PRIVATES, ids=[".".join(pair) for pair in TINYDB_PRIVATES])
def test_the_installed_tinydb_has_every_private_attribute_the_store_relies_on(owner, attribute):
    db = tinydb.TinyDB(storage=MemoryStorage)
    instance = {"TinyDB": db, "Table": db.table("probe")}[owner]
    assert hasattr(instance, attribute), (
        f"TinyDB {tinydb.__version__} has no {owner}.{attribute}, which kiosk_tickets/store/tinydb_bridge.py relies on"
    )


def test_the_installed_tinydb_writes_through_update_table_and_hands_out_the_next_id_it_is_given():
    written = []

    class RecordingTable(Table):
        def _update_table(self, updater):
            written.append(updater)
            super()._update_table(updater)

    db = tinydb.TinyDB(storage=MemoryStorage)
    db.table_class = RecordingTable
    table = db.table("probe")
    assert db._tables == {"probe": table}, f"TinyDB {tinydb.__version__} no longer caches its tables in TinyDB._tables"
    table._next_id = 7
    assert table.insert({"n": 1}) == 7, f"TinyDB {tinydb.__version__} no longer hands out Table._next_id as the next id"
    table.update({"n": 2}, doc_ids=[7])
    table.remove(doc_ids=[7])
    assert len(written) == 3, f"TinyDB {tinydb.__version__} no longer writes every change through Table._update_table"


def test_the_package_offers_every_name_the_store_module_did():
    import kiosk_tickets.store as store

    names = [
        "INDEXED_FIELDS",
        "JOURNAL_STEP",
        "LOCK_NAME",
        "SCHEMA_VERSION",
        "SNAPSHOT_NAME",
        "DerivedView",
        "Doc",
        "FileLockLease",
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
        "write_file_atomically",
    ]
    assert [name for name in names if not hasattr(store, name)] == []
