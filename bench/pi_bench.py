"""The figures a box on small hardware is judged by, in one run: start-up, memory, writes per sale, request cost.

    python bench/pi_bench.py [--positions 10000,100000] [--sales 200] [--seconds 5]

Runs, one after another, each in fresh processes on stores of its own:

- `startup_bench.py`: at each size, the store's resident memory after start-up and its peak, during a
  compaction too, and `kiosk-tickets serve` from spawning to its first answer, with its memory then and once
  the ticket fonts are read;
- `sale_bench.py`: bytes written to the disk and syncs per sale, in pretix's three calls and in one;
- `api_bench.py --operation carts`: cart position creates per second beside a bare Flask+waitress endpoint,
  with the ratio, at concurrency 1 and 8 (wrk where installed, else the project's own load generator);
- `api_bench.py --operation read`: the same for reading the event at concurrency 8, the request pipeline
  without a write, so that what the write and its sync to disk add shows beside it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", default="10000,100000")
    parser.add_argument("--sales", default="200")
    parser.add_argument("--seconds", default="5", help="length of a round of creates with wrk")
    args = parser.parse_args()
    runs = [
        ["startup_bench.py", "--positions", args.positions],
        ["sale_bench.py", "--sales", args.sales],
        ["api_bench.py", "--operation", "carts", "--sizes", "1000", "--concurrency", "1,8", "--seconds", args.seconds],
        ["api_bench.py", "--operation", "read", "--sizes", "1000", "--concurrency", "8", "--seconds", args.seconds],
    ]
    for script, *options in runs:
        started = time.monotonic()
        print(f"== {script} {' '.join(options)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *options], check=True)
        print(f"   ({time.monotonic() - started:.0f} s)\n", flush=True)


if __name__ == "__main__":
    main()
