"""Start-up time and memory with many order positions in the store, and memory while it compacts.

    python bench/startup_bench.py [--positions 10000,100000]

For each size it seeds orders with two positions each (realistic fields) and folds them into a snapshot,
then runs three fresh processes on it:

- store: imports the store, opens it and runs the first transaction (a count and a lookup by secret);
- compaction: the same, then writes the snapshot anew (what the store does once the journal outgrows
  it), reporting the peak resident memory during that write alone;
- serve: `kiosk-tickets serve` as a box starts it, asked for the event (an API request with a token) again
  and again from the moment the process is spawned until it answers; its resident memory at that answer
  and once the ticket fonts, which it reads in a thread after it listens, are in.

Resident memory is VmRSS (after a garbage collection in the store's probes); peaks are VmHWM, reset before
the compaction. Times are wall-clock seconds from the start of the process, with the process's CPU seconds
beside them (on a shared machine the wall-clock time also holds the time other processes ran).
"""

from __future__ import annotations

import argparse
import compileall
import http.client
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (
    EVENT,
    ORGANIZER,
    cpu_seconds,
    environment_line,
    free_port,
    order_position_document,
    seed_store,
    serve_command,
)

import kiosk_tickets
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


def serve_probe(data_dir: Path, path: str, token: str) -> dict:
    """Start `kiosk-tickets serve` on the store and ask for `path` until it answers; figures of that process."""
    port = free_port()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(serve_command(data_dir, port, 4), stdout=subprocess.DEVNULL, stderr=log)
        try:
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    connection.request("GET", path, headers={"Authorization": f"Token {token}"})
                    response = connection.getresponse()
                    body = response.read()
                    assert response.status == 200, body
                    break
                except ConnectionRefusedError:
                    if process.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(log.read().decode()) from None
                    time.sleep(0.002)
            seconds = time.perf_counter() - started
            cpu = cpu_seconds(process.pid)
            at_first = status(process.pid, "VmRSS")
            # The ticket fonts are read in a thread once the server listens: wait for the memory to settle.
            settled, deadline = at_first, time.monotonic() + 10
            while time.monotonic() < deadline:
                time.sleep(0.5)
                now = status(process.pid, "VmRSS")
                if now == settled:
                    break
                settled = now
            return {
                "seconds": seconds, "cpu": cpu, "rss_first_mib": at_first, "rss_mib": settled,
                "peak_mib": status(process.pid, "VmHWM"),
            }
        finally:
            process.terminate()
            process.wait(timeout=30)


def status(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as lines:
        return int(next(line for line in lines if line.startswith(field)).split()[1]) / 1024


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
    # An installed package has its bytecode compiled by pip; a checkout run with PYTHONDONTWRITEBYTECODE would
    # compile its 90 modules again at every start, which is not what a box does.
    compileall.compile_dir(Path(kiosk_tickets.__file__).parent, quiet=1)
    print(f"store start-up and compaction, {environment_line()}")
    print(
        f"{'positions':>9} {'MB disk':>8} | {'store: s (cpu)':>14} {'RSS':>5} {'peak':>5} | {'compact: s':>10} "
        f"{'RSS':>5} {'peak':>5} | {'serve: 1st answer s (cpu)':>25} {'RSS':>5} {'fonts':>5} {'peak':>5}  (MiB)"
    )
    for positions in (int(part) for part in args.positions.split(",")):
        with tempfile.TemporaryDirectory() as directory:
            data_dir = Path(directory)
            token = seed(data_dir, positions)
            size = sum(path.stat().st_size for path in data_dir.iterdir())
            store = probe(STORE_PROBE, str(data_dir), "open")
            assert store["positions"] == positions
            compaction = probe(STORE_PROBE, str(data_dir), "compact")
            serving = serve_probe(data_dir, f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}/", token)
        print(
            f"{positions:>9} {size / 1e6:>8.1f} | {store['seconds']:>7.2f} ({store['cpu']:>4.2f}) "
            f"{store['rss_mib']:>5.0f} {store['peak_mib']:>5.0f} | "
            f"{compaction['seconds']:>10.2f} {compaction['before_mib']:>5.0f} "
            f"{compaction['peak_mib']:>5.0f} | {serving['seconds']:>18.2f} ({serving['cpu']:>4.2f}) "
            f"{serving['rss_first_mib']:>5.0f} {serving['rss_mib']:>5.0f} {serving['peak_mib']:>5.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
