"""The kiosk-tickets command: init, demo, token, serve."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from . import create_app
from .config import load_config
from .context import get_store
from .errors import KioskError
from .schemas import CategorySchema, EventSchema, ItemSchema, QuestionSchema, QuotaSchema, TaxRuleSchema, load
from .services import auth, catalog, events, maintenance, questions, quotas
from .services.resources import EventContext, Resource
from .store import Store, Transaction

DEMO_ORGANIZER = "demo"
DEMO_EVENT = "festival"


def _now() -> datetime:
    return datetime.now(UTC)


def _open_store(args: argparse.Namespace) -> Store:
    config = load_config({"DATA_DIR": args.data_dir} if args.data_dir else None)
    return Store(config["DATA_DIR"], lock_timeout=float(config["LOCK_TIMEOUT"]))


def cmd_init(args: argparse.Namespace) -> int:
    store = _open_store(args)
    with store.transaction() as tx:
        events.ensure_organizer(tx, args.organizer, args.name)
        token, _ = auth.create_token(tx, args.organizer, "admin", _now(), name="init")
    store.secret_key()  # made now, so that every server on this directory signs sessions alike from the start
    print(f"Organizer {args.organizer!r} is ready. Admin API token:")
    print(token)
    return 0


def build_demo(store: Store, now: datetime) -> tuple[str, str]:
    """Create the demo organizer and event if missing; return (event slug, new admin token)."""
    with store.transaction() as tx:
        organizer = events.ensure_organizer(tx, DEMO_ORGANIZER, "Demo Box Office")
        scope = EventContext(organizer)
        if tx.find_one("events", organizer=DEMO_ORGANIZER, slug=DEMO_EVENT) is None:
            start = (now + timedelta(days=30)).replace(hour=16, minute=0, second=0, microsecond=0)
            event_data = {
                "name": {"en": "Kiosk Demo Festival"},
                "slug": DEMO_EVENT,
                "date_from": start.isoformat(),
                "date_to": (start + timedelta(hours=8)).isoformat(),
                "date_admission": (start - timedelta(hours=1)).isoformat(),
                "location": {"en": "Town Hall"},
                "timezone": "Europe/Berlin",
            }
            event = events.EVENTS.create(tx, scope, load(EventSchema(), event_data), now)
            _fill_demo_event(tx, EventContext(organizer, event), now)
        token, _ = auth.create_token(tx, DEMO_ORGANIZER, "admin", now, name="demo")
    return DEMO_EVENT, token


def _fill_demo_event(tx: Transaction, scope: EventContext, now: datetime) -> None:
    """Add a tax rule, tickets, a shirt with sizes, a pass with workshop add-ons, quotas and questions."""

    def make(resource: Resource, schema, data: dict) -> dict:
        return resource.create(tx, scope, load(schema(), data), now)

    tax = make(catalog.TAXRULES, TaxRuleSchema, {"name": {"en": "VAT"}, "rate": "19.00", "default": True})
    workshops = make(catalog.CATEGORIES, CategorySchema, {"name": {"en": "Workshops"}, "is_addon": True})
    tickets = make(catalog.CATEGORIES, CategorySchema, {"name": {"en": "Tickets"}, "position": 1})
    day = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Day ticket"}, "default_price": "25.00", "admission": True,
        "category": tickets["id"], "tax_rule": tax["id"],
    })
    workshop_a = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Workshop: Screen printing"}, "default_price": "10.00", "category": workshops["id"],
        "tax_rule": tax["id"],
    })
    workshop_b = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Workshop: Drumming"}, "default_price": "12.00", "category": workshops["id"],
        "tax_rule": tax["id"], "position": 1,
    })
    festival_pass = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Festival pass"}, "default_price": "60.00", "admission": True,
        "category": tickets["id"], "tax_rule": tax["id"], "position": 1,
        "addons": [{"addon_category": workshops["id"], "min_count": 0, "max_count": 2}],
    })
    shirt = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Festival T-shirt"}, "default_price": "20.00", "tax_rule": tax["id"], "position": 2,
        "variations": [
            {"value": {"en": "S"}, "position": 0},
            {"value": {"en": "M"}, "position": 1},
            {"value": {"en": "L"}, "position": 2},
            {"value": {"en": "XL"}, "default_price": "22.00", "position": 3},
        ],
    })
    shirt_variations = tx.ids("variations", item=shirt["id"])
    make(catalog.QUOTAS, QuotaSchema, {"name": "Admission", "size": 500, "items": [day["id"], festival_pass["id"]]})
    make(catalog.QUOTAS, QuotaSchema, {"name": "Workshops", "size": 30, "items": [workshop_a["id"], workshop_b["id"]]})
    make(
        catalog.QUOTAS,
        QuotaSchema,
        {"name": "T-shirts", "size": 100, "items": [shirt["id"]], "variations": shirt_variations},
    )
    make(
        questions.QUESTIONS,
        QuestionSchema,
        {
            "question": {"en": "Company"},
            "type": "S",
            "items": [day["id"], festival_pass["id"]],
            "identifier": "COMPANY",
        },
    )
    make(
        questions.QUESTIONS,
        QuestionSchema,
        {
            "question": {"en": "Meal preference"},
            "type": "C",
            "required": True,
            "items": [festival_pass["id"]],
            "identifier": "MEAL",
            "options": [
                {"answer": {"en": "Vegetarian"}, "identifier": "VEG"},
                {"answer": {"en": "Vegan"}, "identifier": "VEGAN", "position": 1},
                {"answer": {"en": "No preference"}, "identifier": "ANY", "position": 2},
            ],
        },
    )


def cmd_demo(args: argparse.Namespace) -> int:
    event, token = build_demo(_open_store(args), _now())
    print(f"Demo event ready: /api/v1/organizers/{DEMO_ORGANIZER}/events/{event}/")
    print("Send it with every request as:  Authorization: Token <token>. Admin API token:")
    print(token)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    store = _open_store(args)
    with store.transaction() as tx:
        if args.token_command == "create":
            token, record = auth.create_token(tx, args.organizer, args.scope, _now(), name=args.name)
            print(f"Token {record['id']} ({args.scope}) for {args.organizer}:")
            print(token)
        elif args.token_command == "list":
            for record in auth.list_tokens(tx, args.organizer):
                state = "active" if record["active"] else "revoked"
                print(
                    f"{record['id']}\t{record['organizer']}\t{record['scope']}\t{state}\t{record['created']}\t{record['name']}"
                )
        else:
            auth.revoke_token(tx, args.id)
            print(f"Token {args.id} revoked.")
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
    app = create_app({"DATA_DIR": args.data_dir} if args.data_dir else None)
    # Read the store and build the quota counts now, so the first sale after a restart is not the slow one.
    with get_store(app).transaction() as tx:
        quotas.ledger(tx)
    # What was just read lives as long as the process: exempt it from the cyclic garbage collector, whose
    # full passes over it took some 100 ms with 100,000 order positions, stalling whichever request ran.
    gc.collect()
    gc.freeze()
    print(f"kiosk-tickets serving {app.config['DATA_DIR']} on http://{args.host}:{args.port}/api/v1/", flush=True)
    serve(app, args.host, args.port, args.threads, limits, ident="kiosk-tickets")
    return 0


def _progress_bar(total: int, unit: str, description: str) -> Any:
    from tqdm import tqdm

    # On a terminal a bar; in logs and pipes nothing, so scripts read only the summary lines.
    return tqdm(total=total, unit=unit, unit_scale=True, desc=description, disable=not sys.stderr.isatty())


def cmd_backup(args: argparse.Namespace) -> int:
    store = _open_store(args)
    with _progress_bar(store.image_size(), "B", "backup") as bar:
        copied = store.backup(args.destination, progress=bar.update)
    print(f"Backup of {store.data_dir} written to {args.destination} ({copied} bytes).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    store = _open_store(args)
    sizes = store.restore(args.source)
    print(f"Restored {args.source} into {store.data_dir}:")
    for table, count in sorted(sizes.items()):
        print(f"  {table}: {count}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    store = _open_store(args)
    sizes = store.table_sizes()
    with store.transaction() as tx, _progress_bar(sum(sizes.values()) * 2, "doc", "check") as bar:
        problems = maintenance.broken_references(tx, progress=bar.update)
        problems += maintenance.overbooked_quotas(tx, _now())
    print(f"Store {store.data_dir}: " + ", ".join(f"{table} {count}" for table, count in sizes.items()))
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("OK" if not problems else f"{len(problems)} problem(s) found")
    return 0 if not problems else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-tickets", description="Offline box office speaking the pretix API.")
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("KIOSK_TICKETS_DATA_DIR"),
        help="data directory (default: $KIOSK_TICKETS_DATA_DIR, then ./data)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="create an organizer (if missing) and print a new admin token")
    init.add_argument("--organizer", required=True)
    init.add_argument("--name", required=True)
    init.set_defaults(run=cmd_init)

    demo = commands.add_parser("demo", help="create the demo organizer and event and print a token")
    demo.set_defaults(run=cmd_demo)

    token = commands.add_parser("token", help="create, list or revoke API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create")
    create.add_argument("--organizer", required=True)
    create.add_argument("--scope", required=True, choices=auth.SCOPES)
    create.add_argument("--name", default="")
    listing = token_commands.add_parser("list")
    listing.add_argument("--organizer")
    revoke = token_commands.add_parser("revoke")
    revoke.add_argument("id", type=int)
    token.set_defaults(run=cmd_token)

    serve = commands.add_parser("serve", help="serve the API with waitress")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=4)
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="close a connection whose request line and headers have not all arrived this long after it opened "
        "(or after the first byte of a later request on it), however steadily they trickle (default: 10)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="close a connection whose request body has not all arrived this long after its headers (default: 60)",
    )
    serve.add_argument(
        "--max-connections-per-client",
        type=int,
        default=32,
        metavar="N",
        help="connections one client address may hold open; one more closes that address's connection that has "
        "waited longest without a request in progress, or itself if all are busy; 0: no limit (default: 32)",
    )
    serve.add_argument(
        "--connection-limit",
        type=int,
        default=250,
        metavar="N",
        help="connections the server holds open; one more closes the connection that has waited longest without "
        "a request in progress (default: 250)",
    )
    serve.set_defaults(run=cmd_serve)
    backup = commands.add_parser("backup", help="copy a consistent image of the store (safe while serving)")
    backup.add_argument("destination", help="a directory that does not exist yet")
    backup.set_defaults(run=cmd_backup)

    restore = commands.add_parser("restore", help="replace the store with a backup (servers switch over)")
    restore.add_argument("source", help="a directory made by backup")
    restore.set_defaults(run=cmd_restore)

    check = commands.add_parser("check", help="verify the journal and every reference; exit 1 on problems")
    check.set_defaults(run=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KioskError as error:
        print(f"error: {error.body()}", file=sys.stderr)
        return 2
