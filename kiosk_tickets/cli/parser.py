"""The command line's parser: every command, its options and their help."""

from __future__ import annotations

import argparse
import copy
import os
import socket
from importlib import metadata
from typing import Any

from .. import demo
from ..services import auth
from .central_commands import cmd_allot, cmd_pull, cmd_push, cmd_sync
from .device_commands import cmd_device
from .serve_command import cmd_serve
from .store_commands import cmd_backup, cmd_check, cmd_demo, cmd_init, cmd_restore, cmd_secret, cmd_token


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
    _add_box_sales(serve)
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
    _add_central(pull_command, pulled_before=False)
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
        _add_central(sub, pulled_before=True)
        if name == "allot":
            _add_box_sales(sub, payment_provider=False)
            sub.add_argument("--quota", required=True, type=int, metavar="ID", help="the central's quota id")
            sub.add_argument("--units", required=True, type=int, metavar="N", help="units this box may sell")
            sub.add_argument("--box", default=socket.gethostname(), metavar="NAME",
                             help="this box's name, tagged on the voucher (default: the host name)")
        else:
            _add_box_sales(sub)
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
    _add_central(sync_command, pulled_before=True, token_required=False)
    _add_box_sales(sync_command)
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


def _add_central(parser: argparse.ArgumentParser, pulled_before: bool, token_required: bool = True) -> None:
    """The options naming the central pretix and the event there: for `pull`, and for what follows a pull."""
    if pulled_before:
        parser.add_argument("--from", metavar="URL", help="the central's address (default: the one pulled from)")
        token_help = "an API token of the central that may write orders"
    else:
        parser.add_argument("--from", required=True, metavar="URL", help="the central's address, e.g. https://pretix.eu")
        token_help = "an API token of the central that may read the orders"
    parser.add_argument(
        "--token", required=token_required, help=token_help + ("" if token_required else " (not for status)")
    )
    parser.add_argument("--organizer", required=True, metavar="SLUG", help="the organizer on the central")
    if pulled_before:
        parser.add_argument("--event", required=True, metavar="SLUG", help="the event pulled before")
    else:
        parser.add_argument(
            "--event", required=True, action="append", metavar="SLUG", help="an event to copy (repeat for more)"
        )


def _add_box_sales(parser: argparse.ArgumentParser, payment_provider: bool = True) -> None:
    """The options saying how the box's sales appear on the central."""
    parser.add_argument(
        "--sales-channel", default="box_office", metavar="CHANNEL",
        help="the central's sales channel of the box's orders (pretix: an api.… channel)",
    )
    if payment_provider:
        parser.add_argument(
            "--payment-provider", metavar="PROVIDER",
            help="the central's payment provider of the box's sales, the box's own (cash, card) then sent as "
            "payment_info's payment_type (default: the box's own; pretix: boxoffice)",
        )
