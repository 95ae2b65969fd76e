"""Start-up time and memory with many order positions in the store.

    python bench/startup_bench.py [--positions 100000]

Seeds orders with two positions each (realistic fields), folds them into a snapshot, then opens the
store in a fresh process and reports the time to the first transaction and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import environment_line, order_position_document, seed_store

from kiosk_tickets.store import Store

PROBE = """
import json, resource, sys, time
started = time.perf_counter()
from kiosk_tickets.store import Store
store = Store(sys.argv[1])
with store.transaction() as tx:
    count = tx.count("orderpositions")
    found = tx.find_one("orderpositions", secret="secret%012d" % 4242)
import gc; gc.collect()
current = int(next(line for line in open("/proc/self/status") if line.startswith("VmRSS")).split()[1]) / 1024
print(json.dumps({"seconds": time.perf_counter() - started, "positions": count, "found": found is not None,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "current_mib": current}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=100000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        seed_store(data_dir, 0)
        store = Store(data_dir)
        with store.transaction() as tx:
            event_id = tx.find_one("events", slug="bench")["id"]
            for number in range(0, args.positions, 2):
                order = tx.insert("orders", {"event": event_id, "code": f"O{number:07d}", "status": "p",
                                             "email": f"o{number}@example.org", "total": "46.00"})
                tx.insert("orderpositions", order_position_document(order["id"], number, event_id))
                tx.insert("orderpositions", order_position_document(order["id"], number + 1, event_id))
        store.compact()
        store.close()
        size = sum(path.stat().st_size for path in data_dir.iterdir())
        result = json.loads(subprocess.check_output([sys.executable, "-c", PROBE, str(data_dir)]))
    print(f"store start-up, {environment_line()}")
    print(
        f"{result['positions']} order positions ({args.positions // 2} orders), {size / 1e6:.1f} MB on disk: "
        f"first transaction after {result['seconds']:.2f} s, peak RSS {result['rss_mib']:.0f} MiB, "
        f"RSS after start-up {result['current_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
