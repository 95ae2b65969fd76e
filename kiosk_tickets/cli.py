"""The kiosk-tickets command: init, demo, token, device, serve, pull, allot, push, backup, restore, check, secret.

A mistake of the user (a wrong path, an unknown organizer or token, a directory that is no backup) ends
in one or more `error: …` sentences on stderr and exit code 2, never in a traceback.
"""

from __future__ import annotations

import argparse
import copy
import gc
import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from . import badges, clock_sync, create_app, demo, logs, pairing, tickets
from .access_log import AccessLog
from .config import load_config
from .context import get_store
from .errors import KioskError, NotFound, StoreBusy, StoreCorrupt, ValidationFailed
from .isotime import format_datetime
from .schemas import SLUG
from .services import auth, clock_guard, devices, events, maintenance, quotas, ticket_secrets
from .store import SNAPSHOT_NAME, Store, Transaction
from .store.backup import BackupImage, read_backup, set_aside_tails

log = logging.getLogger("kiosk_tickets.cli")


class CommandError(Exception):
    """A mistake of the user, told as one sentence; the command changed nothing."""


def _system_now() -> datetime:
    return datetime.now(UTC)


def _now(tx: Transaction) -> datetime:
    """The current time for a command's transaction: the system clock, guarded (see services.clock_guard)."""
    return clock_guard.now(tx, _system_now())


def _clock(store_of: Callable[[], Store]) -> Callable[[], datetime]:
    """The guarded clock over the store `store_of` gives, for code that opens its own transactions."""
    return clock_guard.guarded_clock(store_of, _system_now)


def _config(args: argparse.Namespace) -> dict[str, Any]:
    try:
        return load_config({"DATA_DIR": args.data_dir} if args.data_dir else None)
    except OSError as error:
        raise CommandError(f"the configuration file {error.filename} cannot be read: {error.strerror}.") from error
    except ValueError as error:
        raise CommandError(f"the configuration cannot be read: {error}.") from error


def _open_store(args: argparse.Namespace, create: bool = False) -> Store:
    """The store of the data directory; unless `create`, the directory must already hold one."""
    config = _config(args)
    data_dir = Path(config["DATA_DIR"])
    if data_dir.exists() and not data_dir.is_dir():
        raise CommandError(f"the data directory {data_dir} is not a directory.")
    if not create and not (data_dir / SNAPSHOT_NAME).is_file():
        state = "does not exist" if not data_dir.exists() else "holds no kiosk-tickets store"
        raise CommandError(
            f"the data directory {data_dir} {state}; pass the right --data-dir, or create a store with `init`."
        )
    try:
        return Store(data_dir, lock_timeout=float(config["LOCK_TIMEOUT"]))
    except OSError as error:
        raise CommandError(f"the data directory {data_dir} cannot be used: {error.strerror}.") from error


def _require_organizer(tx: Transaction, slug: str) -> None:
    if tx.find_one("organizers", slug=slug) is None:
        raise ValidationFailed.field("organizer", f'Organizer "{slug}" does not exist.')


def cmd_init(args: argparse.Namespace) -> int:
    if SLUG.regex.match(args.organizer) is None:
        raise ValidationFailed.field("organizer", SLUG.error)
    if len(args.organizer) > 50:
        raise ValidationFailed.field("organizer", "Ensure this field has no more than 50 characters.")
    store = _open_store(args, create=True)
    with store.transaction() as tx:
        events.ensure_organizer(tx, args.organizer, args.name)
        token, _ = auth.create_token(tx, args.organizer, "admin", _now(tx), name="init")
    store.secret_key()  # made now, so that every server on this directory signs sessions alike from the start
    print(f"Organizer {args.organizer!r} is ready. Admin API token:")
    print(token)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    store = _open_store(args, create=True)
    event, token = demo.build(store, _clock(lambda: store)())
    print(f"Demo event ready: /api/v1/organizers/{demo.ORGANIZER}/events/{event}/")
    print("Start the server with `kiosk-tickets serve`, open http://127.0.0.1:8000/ and sign in with the token")
    print("below (type it, or scan it from a badge); API clients send it as  Authorization: Token <token>.")
    print("Admin token:")
    print(token)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    store = _open_store(args)
    with store.transaction() as tx:
        if args.token_command == "create":
            token, record = auth.create_token(tx, args.organizer, args.scope, _now(tx), name=args.name)
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
                _require_organizer(tx, args.organizer)
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


def _device_state(device: dict) -> str:
    return "revoked" if device["revoked"] else "paired" if device["initialized"] else "waiting"


def cmd_device(args: argparse.Namespace) -> int:
    store = _open_store(args)
    with store.transaction() as tx:
        organizer = dict(events.organizer_by_slug_or_none(tx, args.organizer) or {})
        if not organizer:
            raise ValidationFailed.field("organizer", f'Organizer "{args.organizer}" does not exist.')
        if args.device_command == "create":
            try:
                url = pairing.server_url(args.url, args.port, args.allow_loopback)
            except pairing.PairingError as error:
                raise CommandError(str(error)) from error
            data = {"name": args.name, "limit_events": args.events, "all_events": not args.events}
            device = devices.create_device(tx, organizer, data, _now(tx))
            setup = pairing.handshake(url, device["initialization_token"])
            png = Path(args.qr_png or f"device-{organizer['slug']}-{device['device_id']}.png")
            try:
                badges.write_png(setup, png)
            except badges.BadgeNotWritten as error:
                raise CommandError(str(error)) from error
            badges.print_terminal(setup, sys.stdout)
            print(f"Device {device['device_id']} ({device['name']}) of {organizer['slug']}: scan the code above in")
            print(f"pretixSCAN (Settings, then set up a new device), or the PNG {png}. Its setup, valid once:")
            print(setup)
        elif args.device_command == "list":
            print("ID\tNAME\tSTATE\tEVENTS\tSOFTWARE\tCREATED")
            for device in devices.devices_of(tx, organizer):
                scope = "all" if device["all_events"] else ",".join(device["limit_events"])
                software = " ".join(filter(None, (device["software_brand"], device["software_version"])))
                state = _device_state(device)
                print(f"{device['device_id']}\t{device['name']}\t{state}\t{scope}\t{software}\t{device['created']}")
        else:
            try:
                device = devices.get_device(tx, organizer, args.id)
            except NotFound:
                raise CommandError(f"{organizer['slug']} has no device {args.id}; `device list` shows them.") from None
            already = device["revoked"]
            devices.revoke(tx, device)
            print(f"Device {args.id} was already revoked." if already else f"Device {args.id} revoked.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serving import Limits, serve

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
    config = _config(args)
    # From here on the log lines reach stderr: the clock's (waiting for it, a clock behind) among the first.
    logs.configure(access=config["ACCESS_LOG"])
    if config["REQUIRE_SYNCED_CLOCK"]:
        clock_sync.wait_until_synchronised()
    app = create_app({"DATA_DIR": args.data_dir} if args.data_dir else None)
    # Read the store and build the quota counts now, so the first sale after a restart is not the slow one.
    with get_store(app).transaction() as tx:
        quotas.ledger(tx)
        # Also learn the newest time the store recorded: a clock behind it is in the log before anyone sells.
        clock_guard.now(tx, app.config["CLOCK"]())
    tickets.warm_up()
    # What was just read lives as long as the process: exempt it from the cyclic garbage collector, whose
    # full passes over it took some 100 ms with 100,000 order positions, stalling whichever request ran.
    gc.collect()
    gc.freeze()
    if args.sync_every is not None and not args.sync_token:
        raise CommandError("--sync-every needs --sync-token (or KIOSK_TICKETS_SYNC_TOKEN), a token of the central.")
    base = f"http://{args.host}:{args.port}"
    print(f"kiosk-tickets serving {app.config['DATA_DIR']}: screens on {base}/, the API on {base}/api/v1/", flush=True)
    if args.sync_every is not None:
        from .background_sync import BackgroundSync

        syncing = BackgroundSync(
            lambda: get_store(app), args.sync_token, args.sync_every * 60, args.sales_channel,
            args.payment_provider, clock_guard.guarded_clock(lambda: get_store(app), app.config["CLOCK"]),
        )
        syncing.start()
        print(f"Syncing every {args.sync_every:g} minute(s) with the central each event was pulled from.", flush=True)
    application = AccessLog(app) if app.config["ACCESS_LOG"] else app
    serve(application, args.host, args.port, args.threads, limits, ident="kiosk-tickets")
    return 0


def _progress_bar(total: int, unit: str, description: str) -> Any:
    from tqdm import tqdm

    # On a terminal a bar; in logs and pipes nothing, so scripts read only the summary lines.
    return tqdm(total=total, unit=unit, unit_scale=True, desc=description, disable=not sys.stderr.isatty())


def cmd_pull(args: argparse.Namespace) -> int:
    from .central import Central
    from .pull import PullFailed, pull

    def orders_bar(event: str, total: int) -> Any:
        return _progress_bar(total, "order", f"{event} orders")

    central = Central(getattr(args, "from"), args.token, args.organizer)
    opened: list[Store] = []

    def open_once() -> Store:
        # Opened only once the central answered (a wrong address leaves no data directory behind), and then
        # once: the clock reads the very store the pull writes to.
        if not opened:
            opened.append(_open_store(args, create=True))
        return opened[0]

    try:
        reports = pull(open_once, central, args.event, _clock(open_once), orders_bar)
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
    from .central import Central
    from .services import sync

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
    from .push import SyncFailed, allot

    store = _open_store(args)
    central = _central_of(args, store)
    try:
        done = allot(
            store, central, args.event, args.quota, args.units, args.box, args.sales_channel, _clock(lambda: store)
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
    from .push import SyncFailed, push

    store = _open_store(args)
    central = _central_of(args, store)
    try:
        report = push(store, central, args.event, args.sales_channel, _clock(lambda: store), args.payment_provider)
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
    setattr(args, "from", _central_of(args, _open_store(args)).url)
    args.event = [args.event]
    pulled = cmd_pull(args)
    return pushed or pulled


def _sync_status(args: argparse.Namespace) -> int:
    from .services import allotments, sync

    store = _open_store(args)
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


def cmd_backup(args: argparse.Namespace) -> int:
    store = _open_store(args)
    with _progress_bar(store.image_size(), "B", "backup") as bar:
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
    store = _open_store(args, create=True)
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
    store = _open_store(args)
    try:
        sizes = store.table_sizes()
        with store.transaction() as tx, _progress_bar(sum(sizes.values()) * 2, "doc", "check") as bar:
            findings = maintenance.check(tx, _system_now(), progress=bar.update)
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
    store = _open_store(args)
    with store.transaction() as tx:
        _require_organizer(tx, args.organizer)
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


class _HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, or says that the option is required."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if not action.option_strings or "%(default)" in text:
            return text
        if action.required:
            return f"{text} (required)".strip()
        if action.default not in (None, "", argparse.SUPPRESS) and not isinstance(action.default, bool):
            return f"{text} (default: %(default)s)".strip()
        return text

    def _format_action(self, action: argparse.Action) -> str:
        # An option without help text still shows its default.
        if action.help is None and action.option_strings:
            action = copy.copy(action)
            action.help = self._get_help_string(action) or None
        return super()._format_action(action)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def _version() -> str:
    try:
        return metadata.version("kiosk-tickets")
    except metadata.PackageNotFoundError:
        return "(version unknown: the package is not installed)"


DATA_DIR_HELP = "the data directory (default: $KIOSK_TICKETS_DATA_DIR, then ./data)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kiosk-tickets", description="Offline box office speaking the pretix API.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--data-dir", metavar="DIR", help=DATA_DIR_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init",
        help="create an organizer (if missing) and print a new admin token",
        description="Create the organizer if it is missing, and print a new admin token as the last line.",
    )
    init.add_argument("--organizer", required=True, metavar="SLUG", help="the organizer's short name in URLs")
    init.add_argument("--name", required=True, help="the organizer's full name (used only when it is created)")
    init.set_defaults(run=cmd_init)

    demo_command = commands.add_parser(
        "demo",
        help="create the demo organizer and event and print a token",
        description=f"Create the organizer {demo.ORGANIZER!r} and event {demo.EVENT!r} if missing; "
        "print a new admin token.",
    )
    demo_command.set_defaults(run=cmd_demo)

    token = commands.add_parser("token", help="create, list or revoke API tokens", description="Manage API tokens.")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="print a new token", description="Print a new API token.")
    create.add_argument("--organizer", required=True, metavar="SLUG", help="the organizer the token acts for")
    create.add_argument(
        "--scope",
        required=True,
        choices=auth.SCOPES,
        help="what the token may do: admin (everything), boxoffice (sell), checkin (scan)",
    )
    create.add_argument("--name", default="", help="a label shown by `token list` (default: none)")
    create.add_argument(
        "--qr",
        action="store_true",
        help="also draw the token as a QR code in the terminal, for a badge to scan at the screens' sign-in",
    )
    create.add_argument(
        "--qr-png",
        metavar="PATH",
        help="also write the token as a QR code into the PNG file PATH (readable by its owner only)",
    )
    listing = token_commands.add_parser(
        "list", help="list tokens (a header row, then one tab-separated row each)", description="List API tokens."
    )
    listing.add_argument("--organizer", metavar="SLUG", help="only this organizer's tokens (default: all)")
    revoke = token_commands.add_parser("revoke", help="revoke a token", description="Revoke an API token for good.")
    revoke.add_argument("id", type=int, help="the token's ID, as `token list` shows it")
    token.set_defaults(run=cmd_token)

    device = commands.add_parser(
        "device", help="pair, list or revoke scanning devices", description="Manage devices such as pretixSCAN."
    )
    device_commands = device.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    pair = device_commands.add_parser(
        "create",
        help="create a device and print its setup QR code",
        description="Create a device and print the setup handshake for pretixSCAN to scan: as a QR code in the "
        "terminal, as a PNG, and as JSON.",
    )
    pair.add_argument("--organizer", required=True, metavar="SLUG", help="the organizer the device scans for")
    pair.add_argument("--name", required=True, help='what the device is called, e.g. "Door 1"')
    pair.add_argument(
        "--events", nargs="+", default=[], metavar="SLUG", help="only these events (default: all of the organizer's)"
    )
    pair.add_argument(
        "--url", help="the address devices reach this box at, e.g. http://192.168.1.10:8000 (default: detected)"
    )
    pair.add_argument("--port", type=int, default=8000, help="the port `serve` listens on, for the detected address")
    pair.add_argument(
        "--allow-loopback", action="store_true", help="accept a --url of 127.0.0.1 (a scanner on this machine)"
    )
    pair.add_argument(
        "--qr-png", metavar="PATH", help="where to write the QR code PNG (default: device-ORGANIZER-ID.png here)"
    )
    device_listing = device_commands.add_parser(
        "list", help="list the organizer's devices (a header row, then tab-separated rows)"
    )
    device_listing.add_argument("--organizer", required=True, metavar="SLUG")
    device_revoke = device_commands.add_parser("revoke", help="revoke a device for good: it can no longer sync or scan")
    device_revoke.add_argument("--organizer", required=True, metavar="SLUG")
    device_revoke.add_argument("id", type=int, help="the device's ID, as `device list` shows it")
    device.set_defaults(run=cmd_device)

    serve = commands.add_parser("serve", help="serve the API with waitress")
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on; 0.0.0.0 for every interface of the box"
    )
    serve.add_argument("--port", type=int, default=8000, help="the TCP port to listen on")
    serve.add_argument("--threads", type=int, default=4, help="requests served at once")
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="close a connection whose request line and headers have not all arrived this long after it opened "
        "(or after the first byte of a later request on it), however steadily they trickle",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="close a connection whose request body has not all arrived this long after its headers",
    )
    serve.add_argument(
        "--max-connections-per-client",
        type=int,
        default=32,
        metavar="N",
        help="connections one client address may hold open; one more closes that address's connection that has "
        "waited longest without a request in progress, or itself if all are busy; 0: no limit",
    )
    serve.add_argument(
        "--connection-limit",
        type=int,
        default=250,
        metavar="N",
        help="connections the server holds open; one more closes the connection that has waited longest without "
        "a request in progress",
    )
    serve.add_argument(
        "--sync-every", type=float, metavar="MINUTES",
        help="push then pull every pulled event this often while serving (default: never); the box keeps selling "
        "while the central is out of reach",
    )
    serve.add_argument(
        "--sync-token", default=os.environ.get("KIOSK_TICKETS_SYNC_TOKEN"), metavar="TOKEN",
        help="the central's API token for --sync-every (default: $KIOSK_TICKETS_SYNC_TOKEN)",
    )
    serve.add_argument("--sales-channel", default="box_office", metavar="CHANNEL", help="as for push")
    serve.add_argument("--payment-provider", metavar="PROVIDER", help="as for push")
    serve.set_defaults(run=cmd_serve)

    pull_command = commands.add_parser(
        "pull",
        help="copy events, with their orders and check-ins, from a central pretix",
        description=(
            "Copy each event from a central pretix (or another kiosk-tickets server) through its REST API: the "
            "event and its settings, categories, tax rules, items, questions, quotas, check-in lists, and the "
            "orders with their tickets and check-ins, under the central's ids. Later pulls bring only what "
            "changed. An interrupted pull is completed by running it again. The data directory is created if "
            "missing; a store with objects of its own under ids the central uses is refused."
        ),
    )
    pull_command.add_argument("--from", required=True, metavar="URL", help="the central's address, e.g. https://pretix.eu")
    pull_command.add_argument("--token", required=True, help="an API token of the central that may read the orders")
    pull_command.add_argument("--organizer", required=True, metavar="SLUG", help="the organizer on the central")
    pull_command.add_argument(
        "--event", required=True, action="append", metavar="SLUG", help="an event to copy (repeat for more)"
    )
    pull_command.set_defaults(run=cmd_pull)

    for name, helptext, description, run in (
        ("allot", "take units of a central quota for this box (or change how many)",
         "Create on the central a voucher that blocks --units of its quota --quota for this box, usable on no "
         "online channel, and make the box's copy of the quota hold exactly those units beside the central's "
         "own orders. Run again with another --units to grow or return units; never fewer than the box sold.",
         cmd_allot),
        ("push", "upload the box's orders, check-ins and cancellations to the central",
         "Upload every order sold here that the central does not hold yet (same code, same ticket secrets, "
         "the allotment voucher), then the check-ins made here, then cancellations. Each upload has a stable "
         "idempotency key, so an interrupted push run again creates nothing twice. What fails stays queued "
         "and is retried; what the central refuses is listed on every push (exit 1).",
         cmd_push),
    ):
        sub = commands.add_parser(name, help=helptext, description=description)
        sub.add_argument("--from", metavar="URL", help="the central's address (default: the one pulled from)")
        sub.add_argument("--token", required=True, help="an API token of the central that may write orders")
        sub.add_argument("--organizer", required=True, metavar="SLUG", help="the organizer on the central")
        sub.add_argument("--event", required=True, metavar="SLUG", help="the event pulled before")
        sub.add_argument("--sales-channel", default="box_office", metavar="CHANNEL",
                         help="the central's sales channel of the box's orders (pretix: an api.… channel)")
        if name == "allot":
            sub.add_argument("--quota", required=True, type=int, metavar="ID", help="the central's quota id")
            sub.add_argument("--units", required=True, type=int, metavar="N", help="units this box may sell")
            sub.add_argument("--box", default=socket.gethostname(), metavar="NAME",
                             help="this box's name, tagged on the voucher (default: the host name)")
        else:
            sub.add_argument("--payment-provider", metavar="PROVIDER",
                             help="the central's payment provider of the box's sales, the box's own (cash, card) "
                                  "then sent as payment_info's payment_type (default: the box's own; pretix: "
                                  "boxoffice)")
        sub.set_defaults(run=run)
    sync_command = commands.add_parser(
        "sync",
        help="push, then pull; `sync status` tells where the event stands",
        description=(
            "Without an action: push (orders, check-ins, cancellations sold or made here), then pull (what "
            "changed on the central), for one event. `sync status`: the central, the last pull and push, what "
            "waits to be pushed, each allotment's units sold and left, and the last error; read from the store "
            "alone, so it works without the network and without a token."
        ),
    )
    sync_command.add_argument("action", nargs="?", choices=("status",), help="status: report only")
    sync_command.add_argument("--from", metavar="URL", help="the central's address (default: the one pulled from)")
    sync_command.add_argument("--token", help="an API token of the central that may write orders (not for status)")
    sync_command.add_argument("--organizer", required=True, metavar="SLUG", help="the organizer on the central")
    sync_command.add_argument("--event", required=True, metavar="SLUG", help="the event pulled before")
    sync_command.add_argument("--sales-channel", default="box_office", metavar="CHANNEL",
                              help="as for push: the central's sales channel of the box's orders")
    sync_command.add_argument("--payment-provider", metavar="PROVIDER", help="as for push")
    sync_command.set_defaults(run=cmd_sync)
    backup = commands.add_parser("backup", help="copy a consistent image of the store (safe while serving)")
    backup.add_argument("destination", help="a directory that does not exist yet")
    backup.set_defaults(run=cmd_backup)

    restore = commands.add_parser(
        "restore",
        help="replace the store with a verified backup (running servers switch over)",
        description=(
            "Replace the whole store with a backup, after checking that it is complete and intact. "
            "Asks first if the store holds anything. Running servers switch at their next request; "
            "ids handed out since the backup are not handed out again."
        ),
    )
    restore.add_argument("source", help="a directory made by backup")
    restore.add_argument("--yes", action="store_true", help="replace a store that holds data without asking")
    restore.set_defaults(run=cmd_restore)

    check = commands.add_parser(
        "check",
        help="verify every record and reference; exit 1 on damage",
        description=(
            "Read every record and check every reference (damage: exit 1), and report quotas holding more "
            "than their size (warnings: an admin can make that state on purpose)."
        ),
    )
    check.set_defaults(run=cmd_check)

    secret = commands.add_parser(
        "secret",
        help="decode a signed ticket secret (pretix_sig1); with --event, check it there (exit 1: not valid)",
        description=(
            "Print the product, variation and validity a pretix_sig1 ticket secret carries. With --organizer "
            "and --event, also whether that event's key signed it, whether it was revoked, and which ticket "
            "has it now; exit 1 if it is not signed by the event's key or revoked."
        ),
    )
    secret.add_argument("secret", help="the secret, as the QR code holds it")
    secret.add_argument("--organizer", metavar="SLUG", help="the event's organizer (default: none)")
    secret.add_argument("--event", metavar="SLUG", help="check the secret against this event (default: none)")
    secret.set_defaults(run=cmd_secret)

    # --data-dir is accepted after the command too; there it is only set when given.
    for sub in [*commands.choices.values(), *token_commands.choices.values()]:
        sub.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help=DATA_DIR_HELP)
    return parser


def _validation_lines(detail: Any, field: str = "") -> Iterator[str]:
    """`field: message` lines for a ValidationFailed body (nested fields joined with dots)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = field if key == "non_field_errors" else f"{field}.{key}" if field else str(key)
            yield from _validation_lines(value, name)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                yield from _validation_lines(value, f"{field}[{index}]" if field else str(index))
            else:
                yield from _validation_lines(value, field)
    else:
        yield f"{field}: {detail}" if field else str(detail)


def _messages(error: BaseException) -> list[str]:
    if isinstance(error, CommandError):
        return [str(error)]
    if isinstance(error, ValidationFailed):
        return list(_validation_lines(error.detail))
    if isinstance(error, StoreBusy):
        return ["the store is busy: another process held its lock for too long; try again."]
    if isinstance(error, KioskError):
        return [str(error.detail)]
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return [f"{where}{error.strerror or error}."]
    raise error


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, KioskError, OSError) as error:
        for line in _messages(error):
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
