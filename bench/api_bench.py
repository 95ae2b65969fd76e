"""API creates per second through waitress on 127.0.0.1, beside a trivial Flask+waitress ceiling.

    python bench/api_bench.py [--operation vouchers|carts|read] [--sizes 1000,10000,100000] [--rounds 3]
                              [--concurrency 1,8] [--load auto|wrk|python] [--seconds 5] [--requests 600]

For each store size it seeds that many records (vouchers, or live cart positions of one item in a
quota), starts `kiosk-tickets serve` beside the trivial app, and at each concurrency alternates rounds
of creates with rounds of the trivial app's JSON POST. `--operation read` GETs the event instead (the
seeded vouchers beside it): the same pipeline (token, store transaction, JSON answer) without a write,
so the gap between its ratio and a create's is what the write and its sync to disk cost. Alternating
keeps a shared machine's drift out of the ratio; the medians of the rounds are printed, with each
server's CPU time per request (all its threads, from /proc), which other work on the machine hardly
moves.

The load comes from wrk (`apt-get install wrk`) where it is installed: `--seconds` per round, one wrk
thread holding `--concurrency` keep-alive connections, the bodies numbered by `wrk_post.lua`. wrk takes
little CPU of its own, so on a small machine the ratio is the servers'. Without wrk (or with
`--load python`) `--requests` per round come from this script's threads, which compete with the servers
for the cores and so flatten the ratio.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from common import (
    EVENT,
    ORGANIZER,
    cpu_seconds,
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
WRK_SCRIPT = Path(__file__).with_name("wrk_post.lua")
NUMBER = "{n}"  # where a body template takes the request's number


@dataclass(frozen=True)
class Rate:
    """One round against one server."""

    per_second: float
    p50: float
    p99: float
    failures: int
    requests: int
    cpu_ms: float = 0.0  # the server's CPU time per request


def median_rate(rates: list[Rate]) -> Rate:
    """The round with the median rate (its own latencies, so p50 and p99 belong to one run)."""
    return sorted(rates, key=lambda rate: rate.per_second)[len(rates) // 2]


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{text}")
    return match.group(1)


def wrk_rate(
    port: int, path: str, template: str, headers: dict[str, str], seconds: int, level: int, expect: int
) -> Rate:
    """POST `template` (its NUMBER replaced per request; GET if it is empty) for `seconds` over `level`
    connections with wrk."""
    command = ["wrk", "-t1", f"-c{level}", f"-d{seconds}s", "--latency", "-s", str(WRK_SCRIPT)]
    for name, value in {"Content-Type": "application/json", **headers}.items():
        command += ["-H", f"{name}: {value}"]
    command += [f"http://127.0.0.1:{port}{path}", "--", str(expect), template]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    # A socket error (a connection refused or reset, a timeout) counts as a failed round.
    socket_errors = 1 if "Socket errors:" in output else 0
    return Rate(
        per_second=float(_found(r"Requests/sec:\s+([\d.]+)", output)),
        p50=_milliseconds(_found(r"^\s+50(?:\.000)?%\s+(\S+)$", output)),
        p99=_milliseconds(_found(r"^\s+99(?:\.000)?%\s+(\S+)$", output)),
        failures=int(_found(r"unexpected_status (\d+)", output)) + socket_errors,
        requests=int(_found(r"(\d+) requests in", output)),
    )


def python_rate(
    port: int, path: str, template: str, headers: dict[str, str], requests: int, level: int, expect: int
) -> Rate:
    """The same round from this script's own threads: `requests` POSTs (GETs without a template) in all."""
    method = "POST" if template else "GET"
    result = generate_load(
        port,
        method,
        path,
        lambda n: json.loads(template.replace(NUMBER, str(n))) if template else None,
        headers,
        requests,
        level,
        expect,
    )
    return Rate(result.per_second, result.p50, result.p99, result.failures, result.requests)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--operation", choices=("vouchers", "carts", "read"), default="vouchers")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--seconds", type=int, default=5, help="length of a round with wrk (whole seconds)")
    parser.add_argument("--requests", type=int, default=600, help="requests of a round without wrk")
    args = parser.parse_args()
    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk") is not None)
    levels = [int(part) for part in args.concurrency.split(",")]
    rounds = f"{args.seconds:g} s with wrk" if use_wrk else f"{args.requests} requests from Python threads"
    what = "event reads (the seeded vouchers beside it)" if args.operation == "read" else f"{args.operation} creates"
    unit = "read" if args.operation == "read" else "create"
    print(
        f"{what} through waitress ({THREADS} threads), {args.rounds} rounds of {rounds}, "
        f"alternating with the trivial Flask+waitress JSON POST; medians; {environment_line()}"
    )
    print(
        f"{'records':>8} {'conc':>5} {unit + 's/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'failed':>7} {'trivial/s':>10} "
        f"{'ratio':>6} {'CPU ms/' + unit:>14} {'CPU ms/trivial':>15}"
    )

    def round_(
        pid: int, port: int, path: str, template: str, headers: dict[str, str], level: int, expect: int
    ) -> Rate:
        """One round against the server `pid` listening on `port`, with the CPU time it spent per request."""
        before = cpu_seconds(pid)
        if use_wrk:
            rate = wrk_rate(port, path, template, headers, args.seconds, level, expect)
        else:
            rate = python_rate(port, path, template, headers, args.requests, level, expect)
        return replace(rate, cpu_ms=(cpu_seconds(pid) - before) * 1000 / rate.requests)

    for size in (int(part) for part in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as directory, ExitStack() as servers:
            data_dir = Path(directory)
            if args.operation == "carts":
                token, item_id = seed_carts(data_dir, size)
                template = json.dumps({"item": item_id, "price": "10.00", "attendee_name": "P{prefix}N" + NUMBER})
            else:
                token = seed_store(data_dir, size)
                template = json.dumps({"code": "P{prefix}N" + NUMBER}) if args.operation == "vouchers" else ""
            collection = {"carts": "cartpositions/", "vouchers": "vouchers/", "read": ""}[args.operation]
            path = f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}/{collection}"
            expect = 200 if args.operation == "read" else 201
            headers = {"Authorization": f"Token {token}"}
            trivial_body = json.dumps({"n": NUMBER})
            api_port, trivial_port = free_port(), free_port()
            api = servers.enter_context(running(serve_command(data_dir, api_port, THREADS), api_port))
            trivial = servers.enter_context(running(trivial_command(trivial_port, THREADS), trivial_port))
            for level in levels:
                # Warm both: imports, caches and the store's first catch-up are not what is measured.
                generate_load(api_port, "GET", path + "?page_size=1", lambda n: None, headers, 20, level, 200)
                generate_load(trivial_port, "POST", "/", lambda n: {"n": n}, {}, 50, level, 201)
                creates, ceilings, ratios = [], [], []
                for number in range(args.rounds):
                    # Voucher codes and attendee names stay unique across rounds, levels and sizes.
                    round_template = template.replace("{prefix}", f"{level}S{size}R{number}")
                    ceilings.append(round_(trivial.pid, trivial_port, "/", trivial_body, {}, level, 201))
                    creates.append(round_(api.pid, api_port, path, round_template, headers, level, expect))
                    ratios.append(creates[-1].per_second / ceilings[-1].per_second)
                result, ceiling = median_rate(creates), median_rate(ceilings)
                print(
                    f"{size:>8} {level:>5} {result.per_second:>10.0f} {result.p50:>7.2f} {result.p99:>7.2f} "
                    f"{sum(r.failures for r in creates):>7} {ceiling.per_second:>10.0f} "
                    f"{statistics.median(ratios):>6.2f} {statistics.median(r.cpu_ms for r in creates):>14.3f} "
                    f"{statistics.median(r.cpu_ms for r in ceilings):>15.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
