"""Ticket PDFs and order lists: ms per ticket page, and list latency with many orders in the store.

    python bench/orders_bench.py [--orders 10000] [--requests 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import (
    EVENT,
    ORGANIZER,
    day_ticket_document,
    environment_line,
    free_port,
    generate_load,
    order_position_document,
    paid_order_document,
    running,
    seed_store,
    serve_command,
)

from kiosk_tickets import create_app
from kiosk_tickets.store import Store


def seed_orders(data_dir: Path, orders: int) -> tuple[str, dict[int, str]]:
    """Seed paid orders of two positions each, plus one order of 1 and one of 20; return token and codes."""
    token = seed_store(data_dir, 0)
    store = Store(data_dir)
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug=EVENT)["id"]
        item = tx.insert("items", day_ticket_document(event_id))

        def order(code: str, positions: int, number: int) -> None:
            stored = tx.insert("orders", paid_order_document(event_id, code, number, "46.00"))
            for index in range(positions):
                document = order_position_document(stored["id"], number * 100 + index, event_id, item["id"])
                tx.insert("orderpositions", {**document, "positionid": index + 1})

        for number in range(orders):
            order(f"B{number:06d}", 2, number)
        order("ONE11", 1, orders + 1)
        order("TWENTY", 20, orders + 2)
    store.compact()
    store.close()
    return token, {1: "ONE11", 20: "TWENTY"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(f"orders and tickets, {environment_line()}")
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        token, codes = seed_orders(data_dir, args.orders)
        headers = {"Authorization": f"Token {token}"}
        client = create_app({"DATA_DIR": str(data_dir)}).test_client()
        base = f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}"
        for pages, code in codes.items():
            url = f"{base}/orders/{code}/download/pdf/"
            assert client.get(url, headers=headers).status_code == 200
            timings = []
            for _ in range(10):
                started = time.perf_counter()
                response = client.get(url, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            median = statistics.median(timings)
            print(f"ticket PDF of a {pages}-position order: {median:.1f} ms, {median / pages:.1f} ms per page")
        port = free_port()
        with running(serve_command(data_dir, port, 8), port):
            for label, path in (
                ("orders list, page 1", f"{base}/orders/"),
                ("orders list, filtered by email", f"{base}/orders/?email=o4242@example.org"),
                ("orders list, last page", f"{base}/orders/?page={(args.orders + 2) // 50}"),
                ("order positions list, page 1", f"{base}/orderpositions/"),
                ("order positions by secret", f"{base}/orderpositions/?secret=secret{424200:012d}"),
            ):
                generate_load(port, "GET", path, lambda n: None, headers, 5, 1, 200)
                result = generate_load(port, "GET", path, lambda n: None, headers, args.requests, 1, 200)
                print(f"{label} with {args.orders} orders: p50 {result.p50:.1f} ms, p99 {result.p99:.1f} ms"
                      + (f", {result.failures} failed" if result.failures else ""))


if __name__ == "__main__":
    main()
