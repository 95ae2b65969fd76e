"""Commands with a central pretix: pull, allot, push, sync (and sync status)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..store import Store
from .common import CommandError, clock, open_store, progress_bar


def cmd_pull(args: argparse.Namespace) -> int:
    from ..central import Central
    from ..pull import PullFailed, pull

    def orders_bar(event: str, total: int) -> Any:
        return progress_bar(total, "order", f"{event} orders")

    central = Central(getattr(args, "from"), args.token, args.organizer)
    opened: list[Store] = []

    def open_once() -> Store:
        # Opened only once the central answered (a wrong address leaves no data directory behind), and then
        # once: the clock reads the very store the pull writes to.
        if not opened:
            opened.append(open_store(args, create=True))
        return opened[0]

    try:
        reports = pull(open_once, central, args.event, clock(open_once), orders_bar)
    except PullFailed as error:
        raise CommandError(str(error)) from None
    for report in reports:
        changed = ", ".join(report.changed_lists) or "none"
        print(
            f"Pulled {args.organizer}/{report.event} from {central.url}: {report.orders} order(s) new or changed; "
            f"catalog lists changed: {changed}; {report.ticket_layouts} ticket layout(s)."
        )
        for note in report.notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


def _central_of(args: argparse.Namespace, store: Store) -> Any:
    """The central the event was pulled from (or --from), with --token."""
    from ..central import Central
    from ..services import sync

    url = getattr(args, "from", None)
    if url is None:
        with store.transaction() as tx:
            state = sync.state_of(tx, args.organizer, args.event)
        if state is None:
            raise CommandError(
                f"the event {args.organizer}/{args.event} was never pulled from a central; run pull first."
            )
        url = state["central"]
    return Central(url, args.token, args.organizer)


def cmd_allot(args: argparse.Namespace) -> int:
    from ..push import SyncFailed, allot

    store = open_store(args)
    central = _central_of(args, store)
    try:
        done = allot(
            store, central, args.event, args.quota, args.units, args.box, args.sales_channel, clock(lambda: store)
        )
    except SyncFailed as error:
        raise CommandError(str(error)) from None
    verb = "Took" if done.created else "Changed the allotment to"
    print(
        f"{verb} {done.units} unit(s) of quota {done.quota} of {args.organizer}/{args.event} for this box "
        f"(voucher {done.voucher_code} on {central.url})."
    )
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from ..push import SyncFailed, push

    store = open_store(args)
    central = _central_of(args, store)
    try:
        report = push(store, central, args.event, args.sales_channel, clock(lambda: store), args.payment_provider)
    except SyncFailed as error:
        raise CommandError(str(error)) from None
    print(
        f"Pushed to {central.url}: {report.orders} order(s), {report.checkins} check-in(s), "
        f"{report.cancellations} cancellation(s)."
    )
    for line in report.problems:
        print(f"not pushed: {line}", file=sys.stderr)
    # Something left behind is the operator's to see: a script must not take it for a clean push.
    return 1 if report.problems else 0


def cmd_sync(args: argparse.Namespace) -> int:
    """`sync`: push, then pull; `sync status`: where the event stands, from the store alone."""
    if args.action == "status":
        return _sync_status(args)
    if args.token is None:
        raise CommandError("sync needs --token, an API token of the central (sync status does not).")
    pushed = cmd_push(args)
    setattr(args, "from", _central_of(args, open_store(args)).url)
    args.event = [args.event]
    pulled = cmd_pull(args)
    return pushed or pulled


def _sync_status(args: argparse.Namespace) -> int:
    from ..services import allotments, sync

    store = open_store(args)
    with store.transaction() as tx:
        state = sync.state_of(tx, args.organizer, args.event)
        if state is None:
            raise CommandError(
                f"the event {args.organizer}/{args.event} was never pulled from a central; run pull first."
            )
        found = allotments.status(tx, state)
    print(f"Central: {found.central}")
    print(f"Last pull: {found.last_pull or 'never'}")
    print(f"Last push: {found.last_push or 'never'}")
    print(
        f"Waiting to be pushed: {found.waiting_orders} order(s), {found.waiting_checkins} check-in(s), "
        f"{found.waiting_cancellations} cancellation(s)"
    )
    for use in found.allotments:
        print(f"Allotment of quota {use.quota} ({use.name}): {use.units} unit(s), {use.used} sold, {use.left} left")
    if found.failed or found.refused:
        print(f"Not pushed: {found.failed} failed (retried next push), {found.refused} refused by the central")
        print(f"Last error: {found.last_error}")
    return 0


