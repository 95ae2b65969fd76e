"""Documents stored under ids given from elsewhere (`put`), and counters raised for ids a store makes itself."""

from __future__ import annotations

import pytest

from kiosk_tickets.store import Store
from kiosk_tickets.store.backup import read_backup

FLOOR = 1_000_000_000


def test_put_inserts_under_the_given_id_and_replaces_the_whole_document_there(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        assert tx.put("items", 7, {"event": 1, "name": "first", "extra": True}) == {
            "id": 7, "event": 1, "name": "first", "extra": True
        }
        assert tx.put("items", 7, {"id": 99, "event": 1, "name": "second"}) == {"id": 7, "event": 1, "name": "second"}
        assert tx.all("items") == [{"id": 7, "event": 1, "name": "second"}]
        assert tx.find("items", event=1) == [{"id": 7, "event": 1, "name": "second"}]
        # Above the counter, the counter passes the id: inserts never hit it.
        assert tx.next_id("items") == 8
        assert tx.insert("items", {"event": 2})["id"] == 8


def test_ids_below_a_reserved_floor_leave_the_counter_there(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.insert("items", {"event": 1})
        tx.reserve_ids("items", FLOOR)
        tx.put("items", 500, {"event": 2})
        tx.put("items", 3, {"event": 2})
        assert tx.next_id("items") == FLOOR
        assert tx.insert("items", {"event": 3})["id"] == FLOOR
        tx.reserve_ids("items", FLOOR)  # already there: nothing to record
        assert tx.next_id("items") == FLOOR + 1
    with store.transaction() as tx:
        assert tx.ids("items") == [1, 3, 500, FLOOR]


def test_a_rollback_undoes_put_and_replacement(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.put("items", 5, {"event": 1, "name": "kept"})
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.put("items", 5, {"event": 2, "name": "replaced"})
            tx.put("items", 6, {"event": 2, "name": "new"})
            raise RuntimeError("boom")
    with store.transaction() as tx:
        assert tx.all("items") == [{"id": 5, "event": 1, "name": "kept"}]
        assert tx.find("items", event=2) == []
    with Store(data_dir).transaction() as tx:
        assert tx.all("items") == [{"id": 5, "event": 1, "name": "kept"}]


def test_journal_replay_keeps_put_documents_and_reserved_counters(data_dir):
    with Store(data_dir).transaction() as tx:
        tx.reserve_ids("orders", FLOOR)
        tx.put("orders", 42, {"code": "ABCDE"})
    other = Store(data_dir)
    with other.transaction() as tx:
        assert tx.all("orders") == [{"id": 42, "code": "ABCDE"}]
        assert tx.next_id("orders") == FLOOR
        assert tx.insert("orders", {"code": "LOCAL"})["id"] == FLOOR


def test_a_snapshot_keeps_put_documents_and_reserved_counters(data_dir):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.reserve_ids("orders", FLOOR)
        tx.put("orders", 42, {"code": "ABCDE"})
    store.compact()
    assert list(data_dir.glob("journal-*.log")) == [data_dir / "journal-00000001.log"]
    with Store(data_dir).transaction() as tx:
        assert tx.all("orders") == [{"id": 42, "code": "ABCDE"}]
        assert tx.next_id("orders") == FLOOR


def test_a_backup_and_restore_keep_reserved_counters(data_dir, tmp_path):
    store = Store(data_dir)
    with store.transaction() as tx:
        tx.reserve_ids("orders", FLOOR)
        tx.put("orders", 42, {"code": "ABCDE"})
    store.backup(tmp_path / "backup")
    target = Store(tmp_path / "restored")
    assert target.restore(read_backup(tmp_path / "backup"), confirm=lambda current, image: True) == {"orders": 1}
    with Store(tmp_path / "restored").transaction() as tx:
        assert tx.all("orders") == [{"id": 42, "code": "ABCDE"}]
        assert tx.next_id("orders") == FLOOR
