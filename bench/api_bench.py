"""API creates per second through waitress on 127.0.0.1, beside a trivial Flask+waitress ceiling.

    python bench/api_bench.py [--operation vouchers|carts] [--sizes 1000,10000,100000] [--requests 600]
                              [--rounds 3] [--concurrency 1,8]

For each store size it seeds that many records (vouchers, or live cart positions of one item in a
quota), starts `kiosk-tickets serve` beside the trivial app, and at each concurrency alternates rounds
of `--requests` creates with rounds of the same number of requests to the trivial app. Alternating
keeps a shared machine's drift out of the ratio; the medians of the rounds are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from common import (
    EVENT,
    ORGANIZER,
    LoadResult,
    environment_line,
    free_port,
    generate_load,
    running,
    seed_carts,
    seed_store,
    serve_command,
    trivial_command,
)

THREADS = 8


def median_result(results: list[LoadResult]) -> LoadResult:
    """The round with the median rate (its own latencies, so p50 and p99 belong to one run)."""
    return sorted(results, key=lambda result: result.per_second)[len(results) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--operation", choices=("vouchers", "carts"), default="vouchers")
    args = parser.parse_args()
    levels = [int(part) for part in args.concurrency.split(",")]
    print(f"{args.operation} creates through waitress ({THREADS} threads), {args.rounds} rounds of {args.requests} "
          f"requests alternating with the trivial Flask+waitress JSON POST; medians; {environment_line()}")
    print(f"{'records':>8} {'conc':>5} {'creates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7} "
          f"{'trivial/s':>10} {'of ceiling':>11}")
    for size in (int(part) for part in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as directory, ExitStack() as servers:
            data_dir = Path(directory)
            if args.operation == "carts":
                token, item_id = seed_carts(data_dir, size)
                body = lambda prefix, item=item_id: (  # noqa: E731
                    lambda n: {"item": item, "price": "10.00", "attendee_name": f"{prefix}{n}"}
                )
            else:
                token = seed_store(data_dir, size)
                body = lambda prefix: (lambda n: {"code": f"{prefix}{n:06d}"})  # noqa: E731
            collection = "cartpositions" if args.operation == "carts" else "vouchers"
            path = f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}/{collection}/"
            headers = {"Authorization": f"Token {token}"}
            api_port, trivial_port = free_port(), free_port()
            servers.enter_context(running(serve_command(data_dir, api_port, THREADS), api_port))
            servers.enter_context(running(trivial_command(trivial_port, THREADS), trivial_port))
            for level in levels:
                generate_load(api_port, "GET", path + "?page_size=1", lambda n: None, headers, 20, level, 200)
                generate_load(trivial_port, "POST", "/", lambda n: {"n": n}, {}, 50, level, 201)
                creates, ceilings, shares = [], [], []
                for round_number in range(args.rounds):
                    prefix = f"C{level}S{size}R{round_number}N"
                    ceilings.append(
                        generate_load(trivial_port, "POST", "/", lambda n: {"n": n}, {}, args.requests, level, 201)
                    )
                    creates.append(
                        generate_load(api_port, "POST", path, body(prefix), headers, args.requests, level, 201)
                    )
                    shares.append(creates[-1].per_second / ceilings[-1].per_second)
                result = median_result(creates)
                print(
                    f"{size:>8} {level:>5} {result.per_second:>10.0f} {result.p50:>8.2f} {result.p99:>8.2f} "
                    f"{sum(r.failures for r in creates):>7} {median_result(ceilings).per_second:>10.0f} "
                    f"{statistics.median(shares):>10.0%}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
