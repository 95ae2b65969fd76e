"""Start-up time and memory with many order positions in the store, and memory while it compacts.

    python bench/startup_bench.py [--positions 10000,100000]

For each size it seeds orders with two positions each (realistic fields) and folds them into a snapshot,
then runs three fresh processes on it:

- store: imports the store, opens it and runs the first transaction (a count and a lookup by secret);
- compaction: the same, then writes the snapshot anew (what the store does once the journal outgrows
  it), reporting the peak resident memory during that write alone;
- app: what `serve` does before it accepts a request (create_app, the first transaction building the
  quota counts) and then the first API request (the event), through Flask's test client, while the ticket
  fonts are read beside it as `serve` reads them.

Resident memory is VmRSS after a garbage collection; peaks are VmHWM, reset before the compaction. Times
are wall-clock seconds from the process's first line, with the process's CPU seconds beside them (on a
shared machine the wall-clock time also holds the time other processes ran).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import EVENT, ORGANIZER, environment_line, order_position_document, seed_store

from kiosk_tickets.store import Store

MEMORY = """
import gc, json, sys, time
started = time.perf_counter()

def status(field):
    with open("/proc/self/status") as lines:
        return int(next(line for line in lines if line.startswith(field)).split()[1]) / 1024

def report(**figures):
    gc.collect()
    print(json.dumps({"rss_mib": status("VmRSS"), "peak_mib": status("VmHWM"), "cpu": time.process_time(), **figures}))
"""

STORE_PROBE = (
    MEMORY
    + """
from kiosk_tickets.store import Store
store = Store(sys.argv[1])
with store.transaction() as tx:
    count = tx.count("orderpositions")
    found = tx.find_one("orderpositions", secret="secret%012d" % (count // 2))
assert found is not None
seconds = time.perf_counter() - started
if sys.argv[2] == "compact":
    gc.collect()
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM to the current RSS
    started = time.perf_counter()
    store.compact()
    report(seconds=time.perf_counter() - started, before_mib=before)
else:
    report(seconds=seconds, positions=count)
"""
)

APP_PROBE = (
    MEMORY
    + """
import threading
from kiosk_tickets import create_app, tickets
from kiosk_tickets.context import get_store
from kiosk_tickets.services import quotas
app = create_app({"DATA_DIR": sys.argv[1]})
with get_store(app).transaction() as tx:
    quotas.ledger(tx)
ready = time.perf_counter() - started
# As serve does: the fonts are read beside the first requests.
threading.Thread(target=tickets.warm_up, daemon=True).start()
response = app.test_client().get(sys.argv[2], headers={"Authorization": "Token " + sys.argv[3]})
assert response.status_code == 200, response.get_data()
report(ready=ready, seconds=time.perf_counter() - started)
"""
)


def seed(data_dir: Path, positions: int) -> str:
    """Seed `positions` order positions, two per order; return an admin token."""
    token = seed_store(data_dir, 0)
    store = Store(data_dir)
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug="bench")["id"]
        for number in range(0, positions, 2):
            order = tx.insert(
                "orders",
                {
                    "event": event_id,
                    "code": f"O{number:07d}",
                    "status": "p",
                    "email": f"o{number}@example.org",
                    "total": "46.00",
                },
            )
            tx.insert("orderpositions", order_position_document(order["id"], number, event_id))
            tx.insert("orderpositions", order_position_document(order["id"], number + 1, event_id))
    store.compact()
    store.close()
    return token


def probe(code: str, *arguments: str) -> dict:
    return json.loads(subprocess.check_output([sys.executable, "-c", code, *arguments]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", default="10000,100000")
    args = parser.parse_args()
    print(f"store start-up and compaction, {environment_line()}")
    print(
        f"{'positions':>9} {'MB disk':>8} | {'store: s (cpu)':>14} {'RSS':>5} {'peak':>5} | {'compact: s':>10} "
        f"{'RSS':>5} {'peak':>5} | {'app: ready s':>12} {'1st req s (cpu)':>15} {'RSS':>5} {'peak':>5}  (MiB)"
    )
    for positions in (int(part) for part in args.positions.split(",")):
        with tempfile.TemporaryDirectory() as directory:
            data_dir = Path(directory)
            token = seed(data_dir, positions)
            size = sum(path.stat().st_size for path in data_dir.iterdir())
            store = probe(STORE_PROBE, str(data_dir), "open")
            assert store["positions"] == positions
            compaction = probe(STORE_PROBE, str(data_dir), "compact")
            app = probe(APP_PROBE, str(data_dir), f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}/", token)
        print(
            f"{positions:>9} {size / 1e6:>8.1f} | {store['seconds']:>7.2f} ({store['cpu']:>4.2f}) "
            f"{store['rss_mib']:>5.0f} {store['peak_mib']:>5.0f} | "
            f"{compaction['seconds']:>10.2f} {compaction['before_mib']:>5.0f} "
            f"{compaction['peak_mib']:>5.0f} | {app['ready']:>12.2f} {app['seconds']:>8.2f} ({app['cpu']:>4.2f}) "
            f"{app['rss_mib']:>5.0f} "
            f"{app['peak_mib']:>5.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
