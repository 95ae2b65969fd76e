"""`kiosk-tickets serve`: the app under waitress, with its log, the clock guard and the background sync."""

from __future__ import annotations

import argparse
import ctypes
import gc
import sys
import threading
from typing import Any

from .. import clock_sync, create_app, logs, tickets
from ..access_log import AccessLog
from ..context import get_store
from ..services import clock_guard, quotas
from .common import CommandError, read_config


def cmd_serve(args: argparse.Namespace) -> int:
    from ..serving import Limits, serve

    try:
        limits = Limits(
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            per_client=args.max_connections_per_client,
            connections=args.connection_limit,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _limit_malloc_arenas()
    config = read_config(args)
    # From here on the log lines reach stderr: the clock's (waiting for it, a clock behind) among the first.
    logs.configure(access=config["ACCESS_LOG"])
    if config["REQUIRE_SYNCED_CLOCK"]:
        clock_sync.wait_until_synchronised()
    app = create_app({"DATA_DIR": args.data_dir} if args.data_dir else None)
    # The modules and the app live as long as the process: exempt them from the cyclic garbage collector
    # once what importing them left over is collected, while that is still quick (before the store is read).
    gc.collect()
    gc.freeze()
    # Read the store and build the quota counts now, so the first sale after a restart is not the slow one.
    # The collector stays off meanwhile and until what was read is exempted too: its full passes over the
    # documents took some 100 ms with 100,000 order positions, stalling whichever request ran, and had it
    # come back on between reading and exempting, its first pass over everything just read took 0.09 s of
    # start-up. They hold no reference cycles, so there is nothing to collect first (a collection over them
    # alone took 0.2 s).
    gc.disable()
    try:
        with get_store(app).transaction() as tx:
            quotas.ledger(tx)
            # Also learn the newest time the store recorded: a clock behind it is in the log before anyone sells.
            clock_guard.now(tx, app.config["CLOCK"]())
    finally:
        gc.freeze()
        gc.enable()
    # What reading the snapshot parsed and dropped is freed now: hand it back before the server listens.
    _release_free_heap()
    if args.sync_every is not None and not args.sync_token:
        raise CommandError("--sync-every needs --sync-token (or KIOSK_TICKETS_SYNC_TOKEN), a token of the central.")
    base = f"http://{args.host}:{args.port}"
    print(f"kiosk-tickets serving {app.config['DATA_DIR']}: screens on {base}/, the API on {base}/api/v1/", flush=True)
    if args.sync_every is not None:
        from ..background_sync import BackgroundSync

        syncing = BackgroundSync(
            lambda: get_store(app), args.sync_token, args.sync_every * 60, args.sales_channel,
            args.payment_provider, clock_guard.guarded_clock(lambda: get_store(app), app.config["CLOCK"]),
        )
        syncing.start()
        print(f"Syncing every {args.sync_every:g} minute(s) with the central each event was pulled from.", flush=True)
    # The ticket fonts are read while the server already answers (0.2-0.3 s of start-up less): a ticket asked
    # for meanwhile waits for them behind the fonts' lock, and nothing else waits at all.
    threading.Thread(target=_warm_up_tickets, name="ticket-fonts", daemon=True).start()
    application = AccessLog(app) if app.config["ACCESS_LOG"] else app
    serve(application, args.host, args.port, args.threads, limits, ident="kiosk-tickets")
    return 0


# mallopt's parameter for the most arenas malloc makes, from glibc's malloc.h.
_M_ARENA_MAX = -8


def _limit_malloc_arenas() -> None:
    """Have glibc's malloc serve every thread from its one main arena; called before the server starts threads.

    By default a thread that allocates while another does gets an arena (a heap) of its own, up to eight per
    core, and memory freed in an arena stays resident there for that arena's next allocations: the thread that
    reads the ticket fonts left 2.5 MiB behind in one. Python allocates with the interpreter lock held, so
    threads seldom wait for the shared arena (cart creates through waitress at concurrency 8 were no slower).
    Elsewhere (musl, macOS) there is no such call and nothing is done.
    """
    mallopt = _c_library_function("mallopt")
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, 1)


def _warm_up_tickets() -> None:
    tickets.warm_up()
    _release_free_heap()  # what drawing the first ticket left freed: under 1 MiB, at no cost


def _release_free_heap() -> None:
    """Give the heap that start-up has freed back to the operating system, where the C library can (glibc).

    Reading the snapshot and the fonts leaves freed memory amid the heap (parsed JSON lines, the fonts' tables
    read and dropped) that glibc's malloc keeps resident for reuse, as it only returns memory from the top of
    the heap by itself: `malloc_trim` releases the free pages wherever they lie, some 6 MiB with 100,000 order
    positions, in about a millisecond. Elsewhere (musl, macOS) there is no such call and nothing is done.
    """
    trim = _c_library_function("malloc_trim")
    if trim is not None:
        trim(0)


def _c_library_function(name: str) -> Any:
    """The C library's function `name` as the process has it loaded, or None where its C library has none."""
    # CDLL(None): the symbols the process has loaded, the C library's among them.
    return getattr(ctypes.CDLL(None), name, None)
