"""A child process for the crash test: commits numbered records forever, printing each one once it is durable."""

import sys

from helpers import open_store  # run as a script from this folder

data_dir, start, compact_after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = open_store(data_dir, compact_after_bytes=compact_after)
number = start
while True:
    with store.transaction() as tx:
        # Records of varying size, so a kill can land in a header, a payload or a compaction.
        tx.insert("checkins", {"number": number, "padding": "x" * (number % 700)})
    print(number, flush=True)
    number += 1
