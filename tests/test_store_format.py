"""The store's compact forms: documents in memory, snapshots written line by line, patches in the journal, and
data directories written by the previous format."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib

import pytest

from kiosk_tickets.errors import StoreCorrupt
from kiosk_tickets.store import SCHEMA_VERSION, SNAPSHOT_NAME, FrozenTable, Store, decode_records, freeze

DOCUMENTS = [
    {"event": 1, "code": "ABCDE", "status": "p", "total": "46.00", "email": None, "testmode": False},
    {
        "order": 12,
        "price": "23.00",
        "attendee_name_parts": {"given_name": "Zoë", "family_name": "王"},
        "answers": [{"question": 3, "answer": "42", "options": [1, 2]}, {"question": 4, "answer": "", "options": []}],
        "meta": {},
        "tags": [],
        "flag": True,
        "count": 1,
        "ratio": 0.5,
        "nothing": None,
        "a very long string value that is not shared": "x" * 300,
    },
    {"z": 1, "a": 2, "m": [[1, [2, {"deep": [None, True, 1, 1.0]}]]]},
    {},
]


def items_deep(value):
    """The value with every dict as a list of its items, so that comparisons see key order and True vs 1."""
    if isinstance(value, dict):
        return [(key, items_deep(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [items_deep(item) for item in value]
    return (type(value).__name__, value)


def test_documents_read_back_exactly_as_written_from_memory_journal_and_snapshot(tmp_path):
    store = Store(tmp_path)
    with store.transaction() as tx:
        ids = [tx.insert("things", doc)["id"] for doc in DOCUMENTS]
    expected = [items_deep({**doc, "id": doc_id}) for doc, doc_id in zip(DOCUMENTS, ids, strict=True)]

    def read(reader: Store) -> list:
        with reader.transaction() as tx:
            copies = [items_deep(tx.get("things", doc_id)) for doc_id in ids]
            # A view names `id` first, a copy last.
            views = [tx.peek("things", doc_id) for doc_id in ids]
            views = [
                items_deep({**{key: view[key] for key in view if key != "id"}, "id": view["id"]}) for view in views
            ]
            assert views == copies
            assert [tx.get("things", doc_id) for doc_id in ids] == tx.all("things")
            return copies

    assert read(store) == expected
    assert read(Store(tmp_path)) == expected  # from the journal
    store.compact()
    assert read(Store(tmp_path)) == expected  # from the snapshot


def test_a_copy_handed_out_is_the_callers_own(tmp_path):
    store = Store(tmp_path)
    with store.transaction() as tx:
        doc_id = tx.insert("things", DOCUMENTS[1])["id"]
        copy = tx.get("things", doc_id)
        copy["answers"][0]["options"].append(99)
        copy["attendee_name_parts"]["given_name"] = "Changed"
        view = tx.peek("things", doc_id)
        view["answers"][0]["options"].append(98)
        assert tx.get("things", doc_id)["answers"] == DOCUMENTS[1]["answers"]
        assert tx.get("things", doc_id)["attendee_name_parts"] == DOCUMENTS[1]["attendee_name_parts"]


def journal_entries(data_dir):
    (journal,) = data_dir.glob("journal-*.log")
    return [entry for record in decode_records(journal.read_bytes().rstrip(b"\0"))[0] for entry in record]


def test_an_update_is_journaled_as_the_fields_it_changed_and_replays_exactly(tmp_path):
    writer = Store(tmp_path)
    with writer.transaction() as tx:
        doc_id = tx.insert("orders", {"code": "ABCDE", "status": "n", "payments": [], "count": 1, "note": "x"})["id"]
    reader = Store(tmp_path)
    with reader.transaction() as tx:
        tx.get("orders", doc_id)
    with writer.transaction() as tx:
        tx.update("orders", doc_id, {"status": "p", "payments": [{"amount": "1.00"}], "count": True, "added": None})
    with writer.transaction() as tx:
        tx.put("orders", doc_id, {**tx.get("orders", doc_id), "note": "y"})  # same fields: a patch
    assert journal_entries(tmp_path)[1:] == [
        ["orders", doc_id, {"status": "p", "payments": [{"amount": "1.00"}], "count": True, "added": None}, []],
        ["orders", doc_id, {"note": "y"}, []],
    ]
    expected = {"code": "ABCDE", "status": "p", "payments": [{"amount": "1.00"}], "count": True, "note": "y"}
    expected = {**expected, "added": None, "id": doc_id}
    with reader.transaction() as tx:
        assert items_deep(tx.get("orders", doc_id)) == items_deep(expected)


def test_a_replacement_in_another_field_order_or_without_fields_is_journaled_whole_or_with_removals(tmp_path):
    store = Store(tmp_path)
    with store.transaction() as tx:
        doc_id = tx.insert("things", {"a": 1, "b": 2, "c": 3})["id"]
    with store.transaction() as tx:
        tx.put("things", doc_id, {"c": 3, "a": 1})
    with store.transaction() as tx:
        tx.put("things", doc_id, {"c": 3})
    assert journal_entries(tmp_path)[1:] == [["things", doc_id, {"c": 3, "a": 1}], ["things", doc_id, {}, ["a"]]]
    with Store(tmp_path).transaction() as tx:
        assert tx.get("things", doc_id) == {"c": 3, "id": doc_id}


def record(changes: list) -> bytes:
    payload = json.dumps(changes, separators=(",", ":")).encode()
    return struct.pack(">4sII", b"KTJ1", len(payload), zlib.crc32(payload)) + payload


def test_a_data_directory_of_the_previous_format_opens_and_is_rewritten_in_the_current_one(tmp_path):
    old_snapshot = {
        "format": "kiosk-tickets",
        "schema_version": 1,
        "generation": 3,
        "next_ids": {"orders": 3, "orderpositions": 2},
        "tables": {
            "orders": {"1": DOCUMENTS[0], "2": {**DOCUMENTS[0], "code": "FGHIJ"}},
            "orderpositions": {"1": {**DOCUMENTS[1], "order": 1, "secret": "s1"}},
        },
    }
    (tmp_path / SNAPSHOT_NAME).write_text(json.dumps(old_snapshot, separators=(",", ":")))
    (tmp_path / "journal-00000003.log").write_bytes(
        record([["orders", 2, None]]) + record([["orders", 3, {**DOCUMENTS[0], "code": "KLMNP"}]]) + bytes(100)
    )

    def contents(store: Store) -> tuple:
        with store.transaction() as tx:
            return items_deep(tx.all("orders")), items_deep(tx.all("orderpositions")), tx.next_id("orders")

    expected = (
        items_deep([{**DOCUMENTS[0], "id": 1}, {**DOCUMENTS[0], "code": "KLMNP", "id": 3}]),
        items_deep([{**DOCUMENTS[1], "order": 1, "secret": "s1", "id": 1}]),
        4,
    )
    store = Store(tmp_path)
    assert contents(store) == expected
    with store.transaction() as tx:
        assert tx.find_one("orderpositions", secret="s1")["id"] == 1
        assert [order["code"] for order in tx.find("orders", event=1)] == ["ABCDE", "KLMNP"]
    header = json.loads((tmp_path / SNAPSHOT_NAME).read_text().splitlines()[0])
    assert (header["schema_version"], header["generation"]) == (SCHEMA_VERSION, 4)
    assert [path.name for path in tmp_path.glob("journal-*.log")] == ["journal-00000004.log"]
    assert contents(Store(tmp_path)) == expected


@pytest.mark.parametrize("cut", [lambda lines: lines[:-1], lambda lines: lines[:-2] + lines[-1:]])
def test_a_snapshot_cut_short_or_missing_a_document_is_damage(tmp_path, cut):
    store = Store(tmp_path)
    with store.transaction() as tx:
        for doc in DOCUMENTS:
            tx.insert("things", doc)
    store.compact()
    lines = (tmp_path / SNAPSHOT_NAME).read_text().splitlines(keepends=True)
    (tmp_path / SNAPSHOT_NAME).write_text("".join(cut(lines)))
    with pytest.raises(StoreCorrupt):
        with Store(tmp_path).transaction():
            pass


def test_lookups_of_none_and_of_values_many_documents_share(tmp_path):
    store = Store(tmp_path)
    with store.transaction() as tx:
        for number in range(40):
            tx.insert(
                "orderpositions", {"order": number % 2, "variation": None if number % 3 else 7, "secret": f"s{number}"}
            )
        tx.insert("orderpositions", {"order": 5})  # no variation at all: found as None, as before
    for reader in (store, Store(tmp_path)):
        with reader.transaction() as tx:
            assert tx.ids("orderpositions", order=0, variation=7) == [1, 7, 13, 19, 25, 31, 37]
            assert len(tx.ids("orderpositions", variation=None)) == 27
            assert tx.ids("orderpositions", order=5, variation=None) == [41]
    with store.transaction() as tx:
        for doc_id in range(1, 41, 2):
            tx.delete("orderpositions", doc_id)
        tx.update("orderpositions", 2, {"order": 0})
        assert tx.ids("orderpositions", order=1) == list(range(4, 41, 2))
        assert tx.ids("orderpositions", order=0) == [2]
    store.compact()
    with Store(tmp_path).transaction() as tx:
        assert tx.ids("orderpositions", order=1) == list(range(4, 41, 2))
        assert tx.ids("orderpositions", variation=7) == [4, 10, 16, 22, 28, 34, 40]


def test_a_backup_of_the_previous_format_restores(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    snapshot = {
        "format": "kiosk-tickets",
        "schema_version": 1,
        "generation": 2,
        "next_ids": {"orders": 2},
        "tables": {"orders": {"1": DOCUMENTS[0]}},
    }
    files = {
        SNAPSHOT_NAME: json.dumps(snapshot, separators=(",", ":")).encode(),
        "journal-00000002.log": record([["orders", 2, {**DOCUMENTS[0], "code": "FGHIJ"}]]),
    }
    for name, data in files.items():
        (backup / name).write_bytes(data)
    manifest = {
        "format": "kiosk-tickets backup",
        "version": 1,
        "created": "2026-11-30T10:00:00Z",
        "files": [
            {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        ],
        "tables": {"orders": 2},
    }
    (backup / "backup.json").write_text(json.dumps(manifest))
    store = Store(tmp_path / "data")
    assert store.restore(backup) == {"orders": 2}
    assert sorted(path.name for path in backup.iterdir()) == ["backup.json", "journal-00000002.log", SNAPSHOT_NAME]
    for reader in (store, Store(tmp_path / "data")):
        with reader.transaction() as tx:
            assert [order["code"] for order in tx.all("orders")] == ["ABCDE", "FGHIJ"]
            assert tx.find_one("orders", code="FGHIJ")["id"] == 2


def test_rows_give_the_fields_asked_for_of_every_document_held_or_not():
    table = FrozenTable(
        {
            1: freeze({"order": 1, "item": 10, "variation": None, "canceled": True}),
            2: freeze({"order": 1, "item": 10, "variation": None}),
            3: freeze({"order": 2, "item": 11, "variation": 4, "canceled": False, "price": "1.00"}),
            4: freeze({"item": 12, "order": 3, "variation": 5, "canceled": "yes"}),
        }
    )

    assert list(table.rows("order", "item", "variation", "canceled")) == [
        (1, 1, 10, None, True),
        (2, 1, 10, None, None),
        (3, 2, 11, 4, False),
        (4, 3, 12, 5, "yes"),
    ]
    assert list(table.rows("item", "order")) == [(1, 10, 1), (2, 10, 1), (3, 11, 2), (4, 12, 3)]
    assert list(table.rows("canceled")) == [(1, True), (2, None), (3, False), (4, "yes")]
    assert list(table.rows("price")) == [(1, None), (2, None), (3, "1.00"), (4, None)]
