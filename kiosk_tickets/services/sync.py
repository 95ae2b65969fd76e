"""Taking an event over from a central pretix: its objects kept under the central's ids, and the state of each pull.

Ids: an object copied from the central keeps the central's id, so a client sees the same ids on both
servers. The central hands out ids from 1 up; this server, once it has pulled, hands out its own from
`LOCAL_IDS_FROM` up in every table it copies into, so the objects it creates itself (its own sales) never
take an id the central hands out later. An id the store already uses for an object of another event (or
of this server's own) is a conflict: the pull is refused, and pulling into a fresh data directory avoids it.

Every write here is an upsert by id (orders: by code), so a pull that was interrupted and runs again
leaves the same documents as one that ran through.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from ..errors import Conflict
from ..isotime import format_datetime
from ..store import Transaction
from . import ticket_secrets
from .events import ensure_organizer

# Below this, ids are the central's; from it on, this server's own. Within 32 bits, for clients that
# keep ids in signed 32-bit integers.
LOCAL_IDS_FROM = 1_000_000_000

# Tables whose documents keep the central's ids, each with the field naming its owner in the pulled event.
CENTRAL_ID_TABLES: dict[str, str] = {
    "categories": "event",
    "taxrules": "event",
    "items": "event",
    "variations": "event",
    "addons": "event",
    "bundles": "event",
    "quotas": "event",
    "questions": "event",
    "question_options": "event",
    "checkinlists": "event",
    "orderpositions": "event",
    "orderfees": "order",
    "checkins": "event",
    "ticketlayouts": "event",
    ticket_secrets.REVOKED_TABLE: "event",
}

# The catalog lists a pull copies, in the order they are written: the path under the event, and the table.
CATALOG_LISTS: tuple[tuple[str, str], ...] = (
    ("categories/", "categories"),
    ("taxrules/", "taxrules"),
    ("items/", "items"),
    ("quotas/", "quotas"),
    ("questions/", "questions"),
    ("checkinlists/", "checkinlists"),
)

SYNC_TABLE = "sync_state"


class PullRefused(Conflict):
    """The pull cannot be written into this store; nothing was changed."""


def state_of(tx: Transaction, organizer: str, slug: str) -> dict | None:
    """Return the sync state of the local event `organizer`/`slug`, or None if it was never pulled."""
    return next(
        (doc for doc in tx.find(SYNC_TABLE, organizer=organizer) if doc["event_slug"] == slug),
        None,
    )


def begin(
    tx: Transaction,
    organizer: Mapping[str, str],
    central_url: str,
    event_doc: Mapping[str, Any],
    settings: Mapping[str, Any],
    now: datetime,
    signing_keys: tuple[str, ...] = (),
) -> dict:
    """Write the event and its settings (creating the organizer and the sync state if missing); return the state.

    `signing_keys` are the central's public keys of signed tickets: published and verified here too, so
    scanners that sync with this server accept the tickets sold online without the orders.

    Raises PullRefused for an event series, or if the store has an event of that slug that was not pulled
    from this central.
    """
    slug = event_doc["slug"]
    if event_doc.get("has_subevents"):
        raise PullRefused(f"the event {slug} is an event series, which this server does not support.")
    for table in CENTRAL_ID_TABLES:
        tx.reserve_ids(table, LOCAL_IDS_FROM)
    ensure_organizer(tx, organizer["slug"], organizer["name"])
    organizer_slug = organizer["slug"]
    state = state_of(tx, organizer_slug, slug)
    existing = tx.find_one("events", organizer=organizer_slug, slug=slug)
    if state is not None and state["central"] != central_url:
        raise PullRefused(
            f"the event {organizer_slug}/{slug} was pulled from {state['central']}, not {central_url}; "
            "pull into a fresh data directory."
        )
    if state is None and existing is not None:
        raise PullRefused(
            f"this store already has an event {organizer_slug}/{slug} of its own; pull into a fresh data directory."
        )
    fields = {**event_doc, "organizer": organizer_slug, "settings": dict(settings)}
    if existing is None:
        stored = tx.insert("events", {**fields, "catalog_modified": format_datetime(now)})
    else:
        stored = tx.put("events", existing["id"], {**existing, **fields})
    ticket_secrets.adopt_public_keys(tx, stored["id"], signing_keys, now)
    if ticket_secrets.generator(stored) == ticket_secrets.SIG1:
        ticket_secrets.ensure_key(tx, stored["id"], now)
    if state is None:
        state = tx.insert(
            SYNC_TABLE,
            {
                "organizer": organizer_slug,
                "event_slug": slug,
                "event": stored["id"],
                "central": central_url,
                "catalog_last_modified": {},
                "orders_cursor": None,
                "last_pull": None,
            },
        )
    return state


def _owner_event(tx: Transaction, table: str, doc: Mapping[str, Any]) -> Any:
    if CENTRAL_ID_TABLES[table] == "order":
        order = tx.peek("orders", doc["order"])
        return None if order is None else order["event"]
    return doc.get("event")


def _check_free(tx: Transaction, table: str, doc_id: int, event_id: int) -> None:
    """Refuse an id this server hands out itself, or one an object outside the pulled event holds."""
    if doc_id >= LOCAL_IDS_FROM or doc_id < 1:
        raise PullRefused(
            f"the central's {table} id {doc_id} lies outside the ids this server keeps for the central's objects."
        )
    held = tx.peek(table, doc_id)
    if held is not None and _owner_event(tx, table, held) != event_id:
        raise PullRefused(
            f"this store already uses {table} id {doc_id} for an object of its own; pull into a fresh data directory."
        )


def put(tx: Transaction, table: str, doc: Mapping[str, Any], event_id: int) -> dict:
    """Store one object under the central's id (its `id`), after checking the id is free for it."""
    _check_free(tx, table, doc["id"], event_id)
    return tx.put(table, doc["id"], doc)


def _central_ids(ids: Iterable[int]) -> list[int]:
    return [doc_id for doc_id in ids if doc_id < LOCAL_IDS_FROM]


def remove_missing(tx: Transaction, table: str, kept: set[int], **owner: Any) -> None:
    """Delete the owner's documents that came from the central and are not in `kept` (gone there).

    Objects this server made itself (ids from LOCAL_IDS_FROM on) are never touched.
    """
    for doc_id in _central_ids(tx.ids(table, **owner)):
        if doc_id not in kept:
            tx.delete(table, doc_id)


def import_catalog_list(tx: Transaction, event_id: int, table: str, docs: list[dict], now: datetime) -> None:
    """Make the event's documents of `table` (and their nested parts) those of the central's whole list.

    `docs` are documents as `schemas.central` reads them; for items and questions, each is a pair of the
    document and its parts (by table for items, the options for questions).
    """
    kept: set[int] = set()
    for entry in docs:
        if table == "items":
            item, parts = entry
            put(tx, "items", {**item, "event": event_id}, event_id)
            for part_table, part_docs in parts.items():
                for part in part_docs:
                    put(tx, part_table, {**part, "item": item["id"], "event": event_id}, event_id)
                remove_missing(tx, part_table, {part["id"] for part in part_docs}, item=item["id"])
            kept.add(item["id"])
        elif table == "questions":
            question, options = entry
            put(tx, "questions", {**question, "event": event_id}, event_id)
            for option in options:
                put(tx, "question_options", {**option, "question": question["id"], "event": event_id}, event_id)
            remove_missing(tx, "question_options", {option["id"] for option in options}, question=question["id"])
            kept.add(question["id"])
        else:
            put(tx, table, {**entry, "event": event_id}, event_id)
            kept.add(entry["id"])
    if table == "items":
        for item_id in _central_ids(tx.ids("items", event=event_id)):
            if item_id not in kept:
                for part_table in ("variations", "addons", "bundles"):
                    remove_missing(tx, part_table, set(), item=item_id)
    if table == "questions":
        for question_id in _central_ids(tx.ids("questions", event=event_id)):
            if question_id not in kept:
                remove_missing(tx, "question_options", set(), question=question_id)
    remove_missing(tx, table, kept, event=event_id)
    # The box's own lists answer If-Modified-Since too: its catalog changed now.
    tx.update("events", event_id, {"catalog_modified": format_datetime(now)})


def import_order(
    tx: Transaction,
    event_id: int,
    order: Mapping[str, Any],
    positions: list[dict],
    fees: list[dict],
    checkins: Mapping[int, list[dict]],
    now: datetime,
    pushed: Collection[str] = (),
) -> dict:
    """Store one order of the central with its positions, fees and check-ins (by position id); return it.

    A check-in's `created` is when this server first stored it (`now`), as pretix's is when its server did:
    the scan's own `datetime` may be the claim of a phone whose clock runs ahead, which must not move this
    server's clock guard (services.clock_guard counts `created`).

    An order already here (by code) is updated; its positions, fees and check-ins from the central are
    replaced by id, and those the central no longer lists are removed. Check-ins made here stay.
    An order whose code is in `pushed` is one this server sold and uploaded: its own copy stays as it is.
    So does one canceled here that the central still holds as not canceled: the cancellation waits for a
    push, and the central's older copy must not bring the tickets back to life meanwhile.
    """
    existing = tx.find_one("orders", code=order["code"])
    if existing is not None and existing["event"] == event_id:
        if order["code"] in pushed or (canceled_here(existing) and order["status"] != "c"):
            return existing
    if existing is not None and existing["event"] != event_id:
        raise PullRefused(
            f"this store already has an order {order['code']} in another event; pull into a fresh data directory."
        )
    made_here = existing is not None and any(
        doc_id >= LOCAL_IDS_FROM for doc_id in tx.ids("orderpositions", order=existing["id"])
    )
    if made_here:
        # Its tickets were made here: it is this server's own sale, which an order of the central must not replace.
        raise PullRefused(
            f"the central has an order {order['code']}, a code this server gave one of its own sales; "
            "the two orders cannot both be kept."
        )
    # The status as the central had it: a status here that differs is a change made here (see canceled_here).
    fields = {**order, "event": event_id, "central_status": order["status"]}
    stored = tx.insert("orders", fields) if existing is None else tx.put("orders", existing["id"], fields)
    kept_positions = {position["id"] for position in positions}
    for position in positions:
        voucher = position.get("voucher")
        # Vouchers are not copied: a reference to one would point at nothing here.
        if voucher is not None and tx.peek("vouchers", voucher) is None:
            position = {**position, "voucher": None}
        put(tx, "orderpositions", {**position, "order": stored["id"], "event": event_id}, event_id)
    for position_id in _central_ids(tx.ids("orderpositions", order=stored["id"])):
        if position_id not in kept_positions:
            remove_missing(tx, "checkins", set(), position=position_id)
            tx.delete("orderpositions", position_id)
    for position in positions:
        scans = checkins.get(position["id"], [])
        for scan in scans:
            held = tx.peek("checkins", scan["id"])
            created = held["created"] if held is not None and held.get("created") else format_datetime(now)
            put(tx, "checkins", {**scan, "created": created, "position": position["id"], "event": event_id}, event_id)
        remove_missing(tx, "checkins", {scan["id"] for scan in scans}, position=position["id"])
    kept_fees: set[int] = set()
    for fee in fees:
        if "id" in fee:
            put(tx, "orderfees", {**fee, "order": stored["id"]}, event_id)
            kept_fees.add(fee["id"])
    # Fees without ids (an older central) are replaced as a whole: they have no identity to update by.
    remove_missing(tx, "orderfees", kept_fees, order=stored["id"])
    for fee in fees:
        if "id" not in fee:
            tx.insert("orderfees", {**fee, "order": stored["id"]})
    return stored


def import_ticket_layouts(tx: Transaction, event_id: int, docs: list[dict]) -> None:
    """Make the event's layouts from the central those of its list (`schemas.central.ticket_layout`, with the
    background as `background_pdf`, base64, and the link it came from as `background_source`); the layouts
    made here stay."""
    for doc in docs:
        put(tx, "ticketlayouts", {**doc, "event": event_id}, event_id)
    remove_missing(tx, "ticketlayouts", {doc["id"] for doc in docs}, event=event_id)


def stored_backgrounds(tx: Transaction, event_id: int) -> dict[str, str]:
    """The backgrounds of the central's layouts held here, by the link they came from: a pull reads a
    background again only when its link changed."""
    return {
        doc["background_source"]: doc["background_pdf"]
        for doc in tx.find("ticketlayouts", event=event_id)
        if doc.get("background_source") and doc.get("background_pdf")
    }


def canceled_here(order: Mapping[str, Any]) -> bool:
    """Whether an order of the central was canceled here, and the central did not have it canceled when last pulled."""
    return order["status"] == "c" and order.get("central_status", "c") != "c"


def import_revoked_secrets(tx: Transaction, event_id: int, docs: list[dict]) -> None:
    """Add the central's revoked secrets (`schemas.central.revoked_secret`) not yet here; the central never
    takes a revocation back, and this server's own stay."""
    for doc in docs:
        put(tx, ticket_secrets.REVOKED_TABLE, {**doc, "event": event_id}, event_id)


def record_catalog(tx: Transaction, state: Mapping[str, Any], path: str, last_modified: str | None) -> None:
    """Keep the list's Last-Modified for the next pull's If-Modified-Since (after its data was written)."""
    cursors = dict(state["catalog_last_modified"])
    if last_modified:
        cursors[path] = last_modified
    else:
        cursors.pop(path, None)
    tx.update(SYNC_TABLE, state["id"], {"catalog_last_modified": cursors})


def finish(tx: Transaction, state: Mapping[str, Any], orders_cursor: str | None, now: datetime) -> dict:
    """Note a completed pull: the next one asks for orders modified since `orders_cursor`."""
    return tx.update(SYNC_TABLE, state["id"], {"orders_cursor": orders_cursor, "last_pull": format_datetime(now)})
