"""Committed store transactions per second, in process, at several store sizes.

python bench/store_bench.py [--sizes 1000,10000,100000] [--transactions 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import environment_line, seed_store, voucher_document

from kiosk_tickets.store import Store


def measure(records: int, transactions: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        started = time.perf_counter()
        seed_store(data_dir, records)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        store = Store(data_dir)
        with store.transaction() as tx:
            event_id = tx.find_one("events", slug="bench")["id"]
        opened = time.perf_counter() - started
        started = time.perf_counter()
        for number in range(transactions):
            with store.transaction() as tx:
                # A realistic write: a uniqueness check through an index, then an insert.
                code = f"NEW{number:08d}"
                assert tx.find_one("vouchers", event=event_id, code_key=code) is None
                tx.insert("vouchers", {**voucher_document(event_id, 0), "code": code, "code_key": code})
        elapsed = time.perf_counter() - started
        store.close()
        return transactions / elapsed, seeded, opened


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--transactions", type=int, default=2000)
    args = parser.parse_args()
    print(f"store transactions (insert + index lookup, fsynced), {environment_line()}")
    print(f"{'records':>8} {'tx/s':>9} {'open s':>8} {'seed s':>8}")
    for size in (int(part) for part in args.sizes.split(",")):
        rate, seeded, opened = measure(size, args.transactions)
        print(f"{size:>8} {rate:>9.0f} {opened:>8.2f} {seeded:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
