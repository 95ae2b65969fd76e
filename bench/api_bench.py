"""API creates per second through waitress on 127.0.0.1, beside a trivial Flask+waitress ceiling.

    python bench/api_bench.py [--operation vouchers|carts] [--sizes 1000,10000,100000] [--requests 600]
                              [--concurrency 1,8]

For each store size it seeds that many records (vouchers, or live cart positions of one item in a
quota), starts `kiosk-tickets serve`, and creates vouchers or cart positions through the API at each
concurrency; the same load against the trivial app gives the ceiling.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import (
    EVENT, ORGANIZER, environment_line, free_port, generate_load, running, seed_carts, seed_store, serve_command,
    trivial_command,
)

THREADS = 8


def ceiling(requests: int, concurrency: int) -> float:
    port = free_port()
    with running(trivial_command(port, THREADS), port):
        generate_load(port, "POST", "/", lambda n: {"n": n}, {}, 50, concurrency, 201)  # warm-up
        return generate_load(port, "POST", "/", lambda n: {"n": n}, {}, requests, concurrency, 201).per_second


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--operation", choices=("vouchers", "carts"), default="vouchers")
    args = parser.parse_args()
    levels = [int(part) for part in args.concurrency.split(",")]
    ceilings = {level: ceiling(args.requests, level) for level in levels}
    print(f"{args.operation} creates through waitress ({THREADS} threads), {args.requests} requests each, {environment_line()}")
    for level in levels:
        print(f"trivial Flask+waitress JSON POST, concurrency {level}: {ceilings[level]:.0f} req/s")
    print(f"{'records':>8} {'conc':>5} {'creates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7} {'of ceiling':>11}")
    for size in (int(part) for part in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as directory:
            data_dir = Path(directory)
            if args.operation == "carts":
                token, item_id = seed_carts(data_dir, size)
                body = lambda prefix: (lambda n: {"item": item_id, "attendee_name": f"{prefix}{n}"})  # noqa: E731
            else:
                token = seed_store(data_dir, size)
                body = lambda prefix: (lambda n: {"code": f"{prefix}{n:06d}"})  # noqa: E731
            port = free_port()
            path = f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}/{'cartpositions' if args.operation == 'carts' else 'vouchers'}/"
            headers = {"Authorization": f"Token {token}"}
            with running(serve_command(data_dir, port, THREADS), port):
                for level in levels:
                    prefix = f"C{level}S{size}N"
                    generate_load(port, "GET", path + "?page_size=1", lambda n: None, headers, 20, level, 200)
                    result = generate_load(port, "POST", path, body(prefix), headers, args.requests, level, 201)
                    share = result.per_second / ceilings[level]
                    print(
                        f"{size:>8} {level:>5} {result.per_second:>10.0f} {result.p50:>8.2f} {result.p99:>8.2f} "
                        f"{result.failures:>7} {share:>10.0%}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
