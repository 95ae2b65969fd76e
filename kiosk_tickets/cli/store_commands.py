"""Commands on the store itself: init, demo, token, backup, restore, check, secret."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from .. import badges, demo, logs
from ..errors import StoreCorrupt, ValidationFailed
from ..isotime import format_datetime
from ..schemas import SLUG
from ..services import auth, events, maintenance, ticket_secrets
from ..store import Store
from ..store.backup import BackupImage, read_backup, set_aside_tails
from . import common
from .common import CommandError, clock, log, now, open_store, progress_bar, require_organizer


def cmd_init(args: argparse.Namespace) -> int:
    if SLUG.regex.match(args.organizer) is None:
        raise ValidationFailed.field("organizer", SLUG.error)
    if len(args.organizer) > 50:
        raise ValidationFailed.field("organizer", "Ensure this field has no more than 50 characters.")
    store = open_store(args, create=True)
    with store.transaction() as tx:
        events.ensure_organizer(tx, args.organizer, args.name)
        token, _ = auth.create_token(tx, args.organizer, "admin", now(tx), name="init")
    store.secret_key()  # made now, so that every server on this directory signs sessions alike from the start
    print(f"Organizer {args.organizer!r} is ready. Admin API token:")
    print(token)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    store = open_store(args, create=True)
    event, token = demo.build(store, clock(lambda: store)())
    print(f"Demo event ready: /api/v1/organizers/{demo.ORGANIZER}/events/{event}/")
    print("Start the server with `kiosk-tickets serve`, open http://127.0.0.1:8000/ and sign in with the token")
    print("below (type it, or scan it from a badge); API clients send it as  Authorization: Token <token>.")
    print("Admin token:")
    print(token)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    store = open_store(args)
    with store.transaction() as tx:
        if args.token_command == "create":
            token, record = auth.create_token(tx, args.organizer, args.scope, now(tx), name=args.name)
            # Written before the transaction ends: a PNG that cannot be written leaves no token behind.
            if args.qr_png is not None:
                try:
                    badges.write_png(token, Path(args.qr_png))
                except badges.BadgeNotWritten as error:
                    raise CommandError(str(error)) from error
            if args.qr:
                badges.print_terminal(token, sys.stdout)
            print(f"Token {record['id']} ({args.scope}) for {args.organizer}:")
            print(token)
        elif args.token_command == "list":
            if args.organizer is not None:
                require_organizer(tx, args.organizer)
            print("ID\tORGANIZER\tSCOPE\tSTATE\tCREATED\tNAME")
            for record in auth.list_tokens(tx, args.organizer):
                state = "active" if record["active"] else "revoked"
                print(
                    f"{record['id']}\t{record['organizer']}\t{record['scope']}\t{state}\t{record['created']}\t{record['name']}"
                )
        else:
            existing = tx.get("api_tokens", args.id)
            auth.revoke_token(tx, args.id)
            already = existing is not None and not existing["active"]
            print(f"Token {args.id} was already revoked." if already else f"Token {args.id} revoked.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    store = open_store(args)
    with progress_bar(store.image_size(), "B", "backup") as bar:
        copied = store.backup(args.destination, progress=bar.update)
    print(f"Backup of {store.data_dir} written to {args.destination} ({copied} bytes).")
    return 0


def _documents(sizes: dict[str, int]) -> str:
    total = sum(sizes.values())
    return f"{total} documents (" + ", ".join(f"{table} {count}" for table, count in sizes.items() if count) + ")"


def _confirm_restore(args: argparse.Namespace, store: Store, current: dict[str, int], image: BackupImage) -> bool:
    """Ask before a store that holds documents is replaced: --yes, or a yes on the terminal."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError(
            f"the store in {store.data_dir} holds {sum(current.values())} documents, which the restore would replace; "
            "pass --yes to restore without asking."
        )
    print(f"The store in {store.data_dir} holds {_documents(current)}.", file=sys.stderr)
    print(
        f"Replace them with the backup {image.source} (taken {image.created or 'at an unknown time'}, "
        f"{_documents(image.sizes())})? Whatever was written since that backup is lost. [y/N] ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def cmd_restore(args: argparse.Namespace) -> int:
    # The backup is verified before anything else, so a wrong SOURCE changes nothing, not even the data directory.
    image = read_backup(args.source)
    store = open_store(args, create=True)
    sizes = store.restore(image, confirm=lambda current, image: _confirm_restore(args, store, current, image))
    if sizes is None:
        print("Nothing was restored; the store is unchanged.", file=sys.stderr)
        return 1
    logs.configure()
    log.info(
        "restored the store in %s from the backup %s (taken %s): %s",
        store.data_dir, image.source, image.created or "at an unknown time", _documents(sizes),
    )
    print(f"Restored {args.source} into {store.data_dir}:")
    for table, count in sorted(sizes.items()):
        print(f"  {table}: {count}")
    return 0


CHECK_LEGEND = (
    "PROBLEM lines are damage: records that cannot be read or references that point at nothing (exit 1). "
    "WARNING lines are states worth a look that are not damage, such as a quota made smaller than what it had "
    "already sold, or a system clock behind the store's newest time; they alone do not make the check fail."
)


def cmd_check(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        sizes = store.table_sizes()
        with store.transaction() as tx, progress_bar(sum(sizes.values()) * 2, "doc", "check") as bar:
            findings = maintenance.check(tx, common.system_now(), progress=bar.update)
    except StoreCorrupt as error:
        print(f"Store {store.data_dir}: cannot be read.")
        print(f"PROBLEM: {error.detail}")
        print(CHECK_LEGEND)
        print("1 problem(s) found")
        return 1
    damage = findings.damage + [
        f"{path.name}: bytes kept beside a damaged journal, not part of the store; inspect them, then remove the file"
        for path in set_aside_tails(store)
    ]
    print(f"Store {store.data_dir}: " + ", ".join(f"{table} {count}" for table, count in sizes.items()))
    for problem in damage:
        print(f"PROBLEM: {problem}")
    for warning in findings.warnings:
        print(f"WARNING: {warning}")
    if damage or findings.warnings:
        print(CHECK_LEGEND)
    warnings = f"{len(findings.warnings)} warning(s)" if findings.warnings else ""
    if damage:
        print(f"{len(damage)} problem(s) found" + (f", {warnings}" if warnings else ""))
        return 1
    print(f"OK with {warnings}" if warnings else "OK")
    return 0


def _unix_time(seconds: int) -> str:
    if not seconds:
        return "-"
    try:
        return format_datetime(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (Unix seconds, out of range)"


def cmd_secret(args: argparse.Namespace) -> int:
    try:
        ticket = ticket_secrets.decode(args.secret)
    except ticket_secrets.MalformedSecret as error:
        raise CommandError(f"this is not a pretix_sig1 secret ({error}).") from error
    print(
        f"seed {ticket.seed}, item {ticket.item}, variation {ticket.variation or '-'}, "
        f"subevent {ticket.subevent or '-'}, valid from {_unix_time(ticket.valid_from)}, "
        f"valid until {_unix_time(ticket.valid_until)}"
    )
    if args.event is None:
        return 0
    if args.organizer is None:
        raise CommandError("--event needs --organizer.")
    store = open_store(args)
    with store.transaction() as tx:
        require_organizer(tx, args.organizer)
        event = tx.find_one("events", organizer=args.organizer, slug=args.event)
        if event is None:
            raise ValidationFailed.field("event", f'Event "{args.event}" does not exist.')
        facts = ticket_secrets.inspect(tx, event["id"], args.secret)
        order = tx.get("orders", facts.position["order"]) if facts.position else None
    where = f"{args.organizer}/{args.event}"
    print(f"signature: {'made' if facts.signed else 'NOT made'} with the key of {where}")
    print(f"revoked: {facts.revoked or 'no'}")
    if facts.position is not None and order is not None:
        print(f"ticket: order {order['code']}, position {facts.position['positionid']}")
    else:
        print("ticket: none has this secret now")
    return 0 if facts.signed and not facts.revoked else 1


