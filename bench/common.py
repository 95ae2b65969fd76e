"""Shared bench helpers: seeding a store directly, starting servers, and a bounded HTTP load generator."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk_tickets.isotime import format_datetime
from kiosk_tickets.services import auth, events
from kiosk_tickets.store import Store

ORGANIZER = "bench"
EVENT = "bench"
NOW = datetime.now(UTC).replace(microsecond=0)
# Seeded records were made yesterday: a moment stored ahead of the clock would put the server's clock guard
# in its "clock behind" state (dates held at that moment), which is not what a box normally runs in.
SEEDED_AT = format_datetime(NOW - timedelta(days=1))
EXPIRES_AT = format_datetime(NOW + timedelta(days=14))
EVENT_STARTS_AT = format_datetime(NOW + timedelta(days=180))


def voucher_document(event_id: int, number: int) -> dict:
    """A voucher as the API stores it, for seeding without going through HTTP."""
    return {
        "event": event_id,
        "code": f"SEED{number:08d}",
        "code_key": f"SEED{number:08d}",
        "max_usages": 1,
        "redeemed": 0,
        "min_usages": 1,
        "valid_until": None,
        "block_quota": False,
        "allow_ignore_quota": False,
        "price_mode": "none",
        "value": "0.00",
        "item": None,
        "variation": None,
        "quota": None,
        "seat": None,
        "tag": "seed",
        "comment": "",
        "subevent": None,
        "show_hidden_items": True,
        "all_addons_included": False,
        "all_bundles_included": False,
        "budget": None,
        "budget_used": "0.00",
        "created": SEEDED_AT,
    }


def day_ticket_document(event_id: int) -> dict:
    """An admission product at 23.00, as the API stores it."""
    return {
        "event": event_id, "name": {"en": "Day ticket"}, "default_price": "23.00", "has_variations": False,
        "admission": True, "generate_tickets": None, "tax_rule": None, "category": None,
        "all_sales_channels": True, "limit_sales_channels": [],
    }


def paid_order_document(event_id: int, code: str, number: int, total: str) -> dict:
    """An order paid in cash, as the API stores it."""
    return {
        "event": event_id, "code": code, "status": "p", "testmode": False, "secret": "s" * 16,
        "email": f"o{number}@example.org", "phone": None, "customer": None, "locale": "en",
        "sales_channel": "web", "datetime": SEEDED_AT, "expires": EXPIRES_AT,
        "total": total, "tax_rounding_mode": "line", "comment": "", "api_meta": {},
        "custom_followup_at": None, "checkin_attention": False, "checkin_text": None,
        "invoice_address": None, "require_approval": False, "valid_if_pending": False,
        "payments": [{"local_id": 1, "state": "confirmed", "amount": total, "created": SEEDED_AT,
                      "payment_date": SEEDED_AT, "provider": "cash", "payment_url": None,
                      "details": {}}],
        "refunds": [], "last_modified": SEEDED_AT, "cancellation_date": None,
    }


def order_position_document(order_id: int, number: int, event_id: int, item_id: int = 1) -> dict:
    """An order position as the API stores it."""
    return {
        "order": order_id,
        "event": event_id,
        "positionid": number % 2 + 1,
        "item": item_id,
        "variation": None,
        "price": "23.00",
        "attendee_name": f"Attendee {number}",
        "attendee_name_parts": {"full_name": f"Attendee {number}"},
        "attendee_email": f"a{number}@example.org",
        "voucher": None,
        "tax_rate": "19.00",
        "tax_value": "3.67",
        "tax_rule": None,
        "secret": f"secret{number:012d}",
        "addon_to": None,
        "subevent": None,
        "seat": None,
        "canceled": False,
        "company": None,
        "street": None,
        "zipcode": None,
        "city": None,
        "country": None,
        "state": None,
        "answers": [],
        "pseudonymization_id": f"P{number:09d}",
        "valid_from": None,
        "valid_until": None,
        "blocked": None,
        "discount": None,
        "voucher_budget_use": None,
    }


def seed_store(data_dir: Path, records: int) -> str:
    """Create organizer, event and `records` vouchers in `data_dir`; fold them into a snapshot; return a token."""
    store = Store(data_dir)
    with store.transaction() as tx:
        events.ensure_organizer(tx, ORGANIZER, "Bench")
        token, _ = auth.create_token(tx, ORGANIZER, "admin", NOW)
        event = tx.insert(
            "events",
            {
                "organizer": ORGANIZER,
                "slug": EVENT,
                "name": {"en": "Bench"},
                "live": False,
                "testmode": False,
                "currency": "EUR",
                "date_from": EVENT_STARTS_AT,
                "date_to": None,
                "date_admission": None,
                "is_public": True,
                "presale_start": None,
                "presale_end": None,
                "location": None,
                "geo_lat": None,
                "geo_lon": None,
                "has_subevents": False,
                "meta_data": {},
                "plugins": [],
                "seating_plan": None,
                "seat_category_mapping": {},
                "timezone": "UTC",
                "item_meta_properties": {},
                "all_sales_channels": True,
                "limit_sales_channels": [],
            },
        )
        for number in range(records):
            tx.insert("vouchers", voucher_document(event["id"], number))
    store.compact()
    store.close()
    return token


def seed_carts(data_dir: Path, positions: int) -> tuple[str, int]:
    """Seed an item in a large quota with `positions` live cart positions; return (token, item id)."""
    token = seed_store(data_dir, 0)
    store = Store(data_dir)
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug=EVENT)["id"]
        item = tx.insert(
            "items",
            {
                "event": event_id,
                "name": {"en": "Ticket"},
                "default_price": "10.00",
                "has_variations": False,
                "all_sales_channels": True,
                "limit_sales_channels": [],
                "category": None,
                "tax_rule": None,
            },
        )
        tx.insert(
            "quotas",
            {
                "event": event_id,
                "name": "Hall",
                "size": 10_000_000,
                "items": [item["id"]],
                "variations": [],
                "subevent": None,
                "closed": False,
            },
        )
        for number in range(positions):
            tx.insert(
                "cartpositions",
                {
                    "event": event_id,
                    "cart_id": f"seed{number}@api",
                    "item": item["id"],
                    "variation": None,
                    "price": "10.00",
                    "attendee_name_parts": {},
                    "attendee_email": None,
                    "voucher": None,
                    "addon_to": None,
                    "is_bundled": False,
                    "subevent": None,
                    "seat": None,
                    "answers": [],
                    "includes_tax": True,
                    "sales_channel": "web",
                    "datetime": SEEDED_AT,
                    "expires": "2099-01-01T00:00:00Z",
                },
            )
    store.compact()
    store.close()
    return token, item["id"]


@contextmanager
def running(
    command: list[str], port: int, env: dict[str, str] | None = None, pass_fds: tuple[int, ...] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until the block ends; wait until it accepts connections; yield the process."""
    # A file, not a pipe: a pipe nobody reads fills up with waitress's warnings and stalls the server.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env, pass_fds=pass_fds)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    connection.request("GET", "/")
                    connection.getresponse().read()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        errors.seek(0)
                        raise RuntimeError(errors.read().decode() or "server failed") from None
                    time.sleep(0.05)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def serve_command(data_dir: Path, port: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kiosk_tickets",
        "--data-dir",
        str(data_dir),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(threads),
    ]


def trivial_command(port: int, threads: int) -> list[str]:
    return [sys.executable, str(Path(__file__).with_name("trivial_app.py")), str(port), str(threads)]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    failures: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


def generate_load(
    port: int,
    method: str,
    path: str,
    body: Callable[[int], dict | None],
    headers: dict[str, str],
    total: int,
    concurrency: int,
    expect: int,
) -> LoadResult:
    """Send `total` requests from `concurrency` threads over keep-alive connections; time each one."""
    latencies: list[float] = []
    failures = 0
    counter = iter(range(total))
    lock = threading.Lock()

    def worker() -> None:
        nonlocal failures
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            payload = body(number)
            data = json.dumps(payload).encode() if payload is not None else None
            started = time.perf_counter()
            connection.request(method, path, body=data, headers={**headers, "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if response.status != expect:
                    failures += 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(total, time.perf_counter() - started, latencies, failures)


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system, all threads) process `pid` has used so far; Linux only."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # utime and stime, the 14th and 15th fields of the whole line, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def environment_line() -> str:
    return f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {sys.platform}"
