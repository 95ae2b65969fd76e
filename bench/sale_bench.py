"""Bytes written to the disk and syncs per sale, measured on a `kiosk-tickets serve` process on 127.0.0.1.

    python bench/sale_bench.py [--sales 200] [--dir DIRECTORY]

A sale is made through the API in two ways: as pretix's three calls (a cart position, an order that
consumes the cart, marking it paid: three transactions) and as one call (an order created paid, as the
till's screen does it: one transaction). The server's `write_bytes` in /proc/PID/io counts what reached
the block layer on its behalf (page-sized: a page dirtied again after a sync counts again; the
filesystem's own journal is written by the kernel and not counted). Syncs are counted by a
`sitecustomize` that wraps `os.fsync` and `os.fdatasync` in the server and reports each call through a
pipe. The data directory must be on a disk (not tmpfs) for the bytes to mean anything.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from common import EVENT, ORGANIZER, environment_line, free_port, running, seed_carts, serve_command

COUNTING_SYNCS = """
import os

_report = int(os.environ["KIOSK_BENCH_SYNC_PIPE"])


def _counted(sync):
    def counted(fd):
        result = sync(fd)
        os.write(_report, b".")
        return result

    return counted


os.fsync = _counted(os.fsync)
os.fdatasync = _counted(os.fdatasync)
"""

EVENT_PATH = f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}"


class SyncCounter:
    """Counts the bytes the server writes into the pipe, one per sync."""

    def __init__(self, read_end: int) -> None:
        self.count = 0
        self._read_end = read_end
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while chunk := os.read(self._read_end, 4096):
            self.count += len(chunk)


class Client:
    def __init__(self, port: int, token: str) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self._headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict, expect: int) -> dict:
        self._connection.request("POST", EVENT_PATH + path, body=json.dumps(body), headers=self._headers)
        response = self._connection.getresponse()
        data = response.read()
        if response.status != expect:
            raise RuntimeError(f"POST {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else {}


def three_calls(client: Client, item: int, number: int) -> None:
    cart_id = f"till{number}@api"
    client.post("/cartpositions/", {"item": item, "price": "10.00", "cart_id": cart_id}, 201)
    order = client.post(
        "/orders/",
        {
            "email": f"guest{number}@example.org",
            "locale": "en",
            "sales_channel": "web",
            "positions": [{"item": item, "price": "10.00"}],
            "consume_carts": [cart_id],
        },
        201,
    )
    client.post(f"/orders/{order['code']}/mark_paid/", {}, 200)


def one_call(client: Client, item: int, number: int) -> None:
    client.post(
        "/orders/",
        {
            "email": f"guest{number}@example.org",
            "locale": "en",
            "sales_channel": "web",
            "status": "p",
            "payment_provider": "cash",
            "positions": [{"item": item, "price": "10.00"}],
        },
        201,
    )


def write_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/io") as io:
        return int(next(line for line in io if line.startswith("write_bytes")).split()[1])


def journal_bytes(data_dir: Path) -> int:
    return sum(len(path.read_bytes().rstrip(b"\0")) for path in data_dir.glob("journal-*.log"))


def measure(sale: Callable[[Client, int, int], None], sales: int, parent: str | None) -> tuple[float, float, float]:
    """Return (block-layer bytes, syncs, journal bytes) per sale."""
    with tempfile.TemporaryDirectory(dir=parent) as directory:
        data_dir = Path(directory) / "data"
        token, item = seed_carts(data_dir, 0)
        hooks = Path(directory) / "hooks"
        hooks.mkdir()
        (hooks / "sitecustomize.py").write_text(COUNTING_SYNCS)
        read_end, write_end = os.pipe()
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(hooks), "KIOSK_BENCH_SYNC_PIPE": str(write_end)}
        with running(serve_command(data_dir, port, 4), port, env=env, pass_fds=(write_end,)) as process:
            os.close(write_end)
            syncs = SyncCounter(read_end)
            client = Client(port, token)
            for number in range(10):  # warm-up: the first sales fill caches and allocate the journal
                sale(client, item, 1_000_000 + number)
            os.sync()
            before = write_bytes(process.pid), syncs.count, journal_bytes(data_dir)
            for number in range(sales):
                sale(client, item, number)
            after = write_bytes(process.pid), syncs.count, journal_bytes(data_dir)
        os.close(read_end)
    return tuple((late - early) / sales for early, late in zip(before, after, strict=True))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--dir", default=None, help="where the data directory goes (default: the temporary one)")
    args = parser.parse_args()
    print(f"bytes written and syncs per sale, {args.sales} sales one after another, {environment_line()}")
    print(f"{'sale':<40} {'write_bytes':>12} {'syncs':>6} {'journal bytes':>14}")
    for name, sale in (("cart, order, mark paid (3 calls)", three_calls), ("order created paid (1 call)", one_call)):
        written, syncs, journal = measure(sale, args.sales, args.dir)
        print(f"{name:<40} {written:>12.0f} {syncs:>6.2f} {journal:>14.0f}", flush=True)


if __name__ == "__main__":
    main()
