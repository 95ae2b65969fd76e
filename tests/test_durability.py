"""Crash safety and backups: SIGKILL at random moments, backups under write load, restore, check."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from kiosk_tickets.cli import main
from tests.helpers import open_store
from tests.servers import Server, run_cli

pytestmark = pytest.mark.slow  # real processes

WRITER = str(Path(__file__).with_name("crash_writer.py"))


def stored_numbers(data_dir: Path) -> list[int]:
    store = open_store(data_dir)
    with store.transaction() as tx:
        numbers = [doc["number"] for doc in tx.all("checkins")]
    store.close()
    return numbers


def test_sigkill_at_random_moments_keeps_every_acknowledged_write(tmp_path):
    data_dir = tmp_path / "data"
    chance = random.Random(20261123)
    acknowledged: list[int] = []
    for _ in range(50):
        start = len(stored_numbers(data_dir)) if data_dir.exists() else 0
        child = subprocess.Popen(
            [sys.executable, WRITER, str(data_dir), str(start), "20000"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        )
        wanted = chance.randint(1, 40)
        for _ in range(wanted):
            line = child.stdout.readline()
            assert line, "the writer died on its own"
            acknowledged.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        # The writer ran on while we read: what it printed before the kill was acknowledged too.
        acknowledged += [int(line) for line in child.stdout.read().splitlines(keepends=True) if line.endswith("\n")]
        child.stdout.close()
        numbers = stored_numbers(data_dir)
        # Every acknowledged write is there, in order, with at most the one in flight after it.
        assert numbers[: len(acknowledged)] == acknowledged
        assert numbers == list(range(len(numbers)))
        assert len(numbers) - len(acknowledged) <= 1
        acknowledged = numbers
    assert len(list(data_dir.glob("journal-*.log"))) == 1


ORGANIZER = "backup"


@pytest.fixture
def served(tmp_path):
    data_dir = tmp_path / "data"
    token = run_cli(data_dir, "init", "--organizer", ORGANIZER, "--name", "Backup").strip().splitlines()[-1]
    server = Server(data_dir)
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    event = session.post(
        f"{server.url}/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": "Backup", "slug": "b", "date_from": "2030-01-01T10:00:00Z"},
    )
    assert event.status_code == 201
    yield data_dir, server, session
    server.stop()


def test_a_backup_taken_under_write_load_restores_to_a_consistent_store(served, tmp_path, capsys):
    data_dir, server, session = served
    url = f"{server.url}/api/v1/organizers/{ORGANIZER}/events/b/categories/"
    stop, under_way = threading.Event(), threading.Event()
    written = []

    def write() -> None:
        number = 0
        while not stop.is_set() and number < 5000:
            response = session.post(url, json={"name": f"C{number}"})
            assert response.status_code == 201
            written.append(response.json()["id"])
            number += 1
            if number == 30:
                under_way.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert under_way.wait(timeout=60)
    backup = tmp_path / "backup"
    assert main(["--data-dir", str(data_dir), "backup", str(backup)]) == 0
    stop.set()
    writer.join()

    restored = tmp_path / "restored"
    assert main(["--data-dir", str(restored), "restore", str(backup)]) == 0
    assert main(["--data-dir", str(restored), "check"]) == 0
    output = capsys.readouterr().out
    assert output.rstrip().endswith("OK")
    store = open_store(restored)
    with store.transaction() as tx:
        ids = [doc["id"] for doc in tx.all("categories")]
    # A prefix of the writes, with nothing torn: ids are consecutive from the first.
    assert 30 <= len(ids) <= len(written)
    assert ids == written[: len(ids)]


def test_restore_into_a_running_server_switches_it_over(served, tmp_path):
    data_dir, server, session = served
    url = f"{server.url}/api/v1/organizers/{ORGANIZER}/events/b/categories/"
    assert session.post(url, json={"name": "before backup"}).status_code == 201
    backup = tmp_path / "backup"
    assert main(["--data-dir", str(data_dir), "backup", str(backup)]) == 0
    assert session.post(url, json={"name": "after backup"}).status_code == 201
    assert main(["--data-dir", str(data_dir), "restore", str(backup), "--yes"]) == 0
    names = [category["name"]["en"] for category in session.get(url).json()["results"]]
    assert names == ["before backup"]
    assert session.post(url, json={"name": "after restore"}).json()["id"] == 3


def test_check_reports_references_that_point_at_nothing(tmp_path, capsys):
    data_dir = tmp_path / "data"
    assert main(["--data-dir", str(data_dir), "demo"]) == 0
    assert main(["--data-dir", str(data_dir), "check"]) == 0
    store = open_store(data_dir)
    with store.transaction() as tx:
        tx.insert("variations", {"item": 999, "event": 1})
    store.close()
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "check"]) == 1
    output = capsys.readouterr().out.splitlines()
    assert "PROBLEM: variations 5: item 999 does not exist in items" in output
    assert output[-1] == "1 problem(s) found"


def test_restore_refuses_a_damaged_image_and_leaves_the_store_alone(tmp_path):
    data_dir = tmp_path / "data"
    assert main(["--data-dir", str(data_dir), "demo"]) == 0
    backup = tmp_path / "backup"
    assert main(["--data-dir", str(data_dir), "backup", str(backup)]) == 0
    (journal,) = backup.glob("journal-*.log")
    damaged = bytearray(journal.read_bytes())
    damaged[30] ^= 0xFF
    journal.write_bytes(bytes(damaged))
    before = open_store(data_dir).table_sizes()
    assert main(["--data-dir", str(data_dir), "restore", str(backup)]) == 2
    assert open_store(data_dir).table_sizes() == before
