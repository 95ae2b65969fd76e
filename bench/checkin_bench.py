"""Redeem latency at the door: check-in RPC through waitress with many tickets in the store.

    python bench/checkin_bench.py [--positions 20000] [--scans 1000] [--concurrency 1,3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import (
    EVENT,
    ORGANIZER,
    SEEDED_AT,
    environment_line,
    free_port,
    generate_load,
    order_position_document,
    running,
    seed_store,
    serve_command,
)

from kiosk_tickets.store import Store


def seed_tickets(data_dir: Path, positions: int) -> tuple[str, int]:
    """Seed paid orders of two tickets each and a check-in list; return (token, list id)."""
    token = seed_store(data_dir, 0)
    store = Store(data_dir)
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug=EVENT)["id"]
        item = tx.insert("items", {"event": event_id, "name": {"en": "Ticket"}, "default_price": "10.00",
                                   "has_variations": False, "admission": True, "generate_tickets": None,
                                   "tax_rule": None, "category": None, "checkin_attention": False,
                                   "checkin_text": None, "all_sales_channels": True, "limit_sales_channels": []})
        for number in range(0, positions, 2):
            order = tx.insert(
                "orders",
                {
                    "event": event_id,
                    "code": f"D{number:07d}",
                    "status": "p",
                    "locale": "en",
                    "require_approval": False,
                    "valid_if_pending": False,
                    "checkin_attention": False,
                    "checkin_text": None,
                    "datetime": SEEDED_AT,
                    "total": "46.00",  # its two positions; the overview's figures add it up
                    "payments": [],
                },
            )
            for offset in (0, 1):
                tx.insert("orderpositions", order_position_document(order["id"], number + offset, event_id, item["id"]))
        checkin_list = tx.insert(
            "checkinlists",
            {
                "event": event_id,
                "name": "Entrance",
                "all_products": True,
                "limit_products": [],
                "subevent": None,
                "include_pending": False,
                "allow_multiple_entries": False,
                "allow_entry_after_exit": True,
                "rules": {},
                "exit_all_at": None,
                "addon_match": False,
                "ignore_in_statistics": False,
                "consider_tickets_used": True,
            },
        )
    store.compact()
    store.close()
    return token, checkin_list["id"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=20000)
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--concurrency", default="1,3")
    args = parser.parse_args()
    print(f"check-in redeem through waitress (8 threads), {args.positions} tickets in the store, {environment_line()}")
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        token, list_id = seed_tickets(data_dir, args.positions)
        headers = {"Authorization": f"Token {token}"}
        port = free_port()
        path = f"/api/v1/organizers/{ORGANIZER}/checkinrpc/redeem/"
        offset = 0
        with running(serve_command(data_dir, port, 8), port):
            for level in (int(part) for part in args.concurrency.split(",")):
                # Every scan is a first entry of another ticket: the path that writes.
                start = offset
                result = generate_load(
                    port,
                    "POST",
                    path,
                    lambda n, s=start: {"secret": f"secret{s + n:012d}", "lists": [list_id]},
                    headers,
                    args.scans,
                    level,
                    201,
                )
                offset += args.scans
                print(
                    f"first entries, {level} scanner(s): p50 {result.p50:.2f} ms, p99 {result.p99:.2f} ms, "
                    f"{result.per_second:.0f} scans/s" + (f", {result.failures} failed" if result.failures else "")
                )
            repeat = generate_load(
                port,
                "POST",
                path,
                lambda n: {"secret": f"secret{n:012d}", "lists": [list_id]},
                headers,
                args.scans,
                1,
                200,
            )
            print(f"repeated scans (already redeemed), 1 scanner: p50 {repeat.p50:.2f} ms, p99 {repeat.p99:.2f} ms")


if __name__ == "__main__":
    main()
