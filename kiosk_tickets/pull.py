"""`kiosk-tickets pull`: copy events from a central pretix, reading over HTTP outside the store's lock.

Per event: the event, its settings and the catalog lists are read first (each list with the Last-Modified
of the previous pull as If-Modified-Since), then written in one transaction with their cursors. Then the
orders (all of them the first time, later those modified since the previous pull began) page by page, a
transaction per page; the orders cursor moves only once every page is written. A pull killed at any
point therefore leaves a store that the next pull completes: imports are upserts, cursors lag the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .central import Central, CentralError
from .schemas import central as central_json
from .services import allotments, sync, ticket_layouts
from .store import Store


class PullFailed(Exception):
    """The central could not be read, or sent what this server cannot store; one sentence says which."""


class Progress(Protocol):
    """What `pull` reports orders to: a progress bar (tqdm's interface)."""

    def update(self, n: int = 1) -> Any: ...

    def close(self) -> Any: ...


@dataclass
class EventPull:
    """What one event's pull brought."""

    event: str
    changed_lists: list[str] = field(default_factory=list)
    unchanged_lists: list[str] = field(default_factory=list)
    orders: int = 0
    ticket_layouts: int = 0
    # What was not copied as the central has it, one sentence each (a layout this server cannot draw).
    notes: list[str] = field(default_factory=list)


# Each catalog list's reader: the central's JSON object -> what `sync.import_catalog_list` stores.
_READERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "categories": central_json.category,
    "taxrules": central_json.taxrule,
    "items": central_json.item,
    "quotas": central_json.quota,
    "questions": central_json.question,
    "checkinlists": central_json.checkin_list,
}

# Every order (canceled positions and fees too, which a change online may have made), newest change first.
ORDER_QUERY = {"ordering": "-last_modified", "include_canceled_positions": "true", "include_canceled_fees": "true"}


def pull(
    open_store: Callable[[], Store],
    central: Central,
    events: Iterable[str],
    now: Callable[[], datetime],
    progress: Callable[[str, int], Progress],
) -> list[EventPull]:
    """Copy each event from `central` into the store `open_store` opens; return what each pull brought.

    `progress(event, number of orders)` makes the progress bar of one event's orders. Raises PullFailed
    (central unreachable, token refused, event unknown, an object this server cannot read) and
    sync.PullRefused (ids this store already uses); the event that failed keeps what was written of it.
    """
    try:
        organizer = central.organizer_doc()
        owner = {"slug": central.organizer, "name": str(organizer.get("name") or central.organizer)}
        # Every event is read once before the store is opened: a wrong address, token or event name then
        # leaves no trace, not even a new data directory.
        found = {slug: central.event(slug) for slug in events}
        store = open_store()
        return [_pull_event(store, central, owner, slug, data, now, progress) for slug, data in found.items()]
    except CentralError as error:
        raise PullFailed(str(error)) from None
    except central_json.UnreadableObject as error:
        raise PullFailed(
            f"the central server {central.url} sent an object this server cannot store: {error}."
        ) from None


def _pull_event(
    store: Store,
    central: Central,
    organizer: dict[str, str],
    slug: str,
    event_json: dict[str, Any],
    now: Callable[[], datetime],
    progress: Callable[[str, int], Progress],
) -> EventPull:
    report = EventPull(slug)
    with store.transaction() as tx:
        state = sync.state_of(tx, organizer["slug"], slug)
    same_central = state is not None and state["central"] == central.url
    cursors: dict[str, str] = dict(state["catalog_last_modified"]) if state and same_central else {}
    orders_since = state["orders_cursor"] if state and same_central else None

    event_doc = central_json.event(event_json)
    settings = central_json.event_settings(central.event_settings(slug))
    lists: list[tuple[str, str, list[Any], str | None]] = []
    for path, table in sync.CATALOG_LISTS:
        fetched = central.whole_list(slug, path, cursors.get(path))
        if fetched.results is None:
            report.unchanged_lists.append(table)
            continue
        lists.append((path, table, [_READERS[table](entry) for entry in fetched.results], fetched.last_modified))
        report.changed_lists.append(table)

    with store.transaction() as tx:
        event_id = state["event"] if state and same_central else None
        known_backgrounds = sync.stored_backgrounds(tx, event_id) if event_id is not None else {}
    layouts = _ticket_layouts(central, slug, known_backgrounds, report)

    with store.transaction() as tx:
        keys = tuple(central_json.signing_keys(event_json))
        state = sync.begin(tx, organizer, central.url, event_doc, settings, now(), keys)
        for path, table, docs, last_modified in lists:
            sync.import_catalog_list(tx, state["event"], table, docs, now())
            sync.record_catalog(tx, tx.referenced(sync.SYNC_TABLE, state["id"]), path, last_modified)
        sync.import_ticket_layouts(tx, state["event"], layouts)
        # In the same transaction: the central's quota sizes never hold here while the box sells.
        allotments.apply_sizes(tx, state["event"])

    query = dict(ORDER_QUERY)
    if orders_since:
        query["modified_since"] = orders_since
    cursor: str | None = None
    bar: Progress | None = None
    try:
        for number, page in enumerate(central.pages(slug, "orders/", query)):
            assert page is not None  # the orders list is never asked conditionally
            if number == 0:
                # Changes made while the pages are read are newer than this, so the next pull sees them.
                cursor = page.page_generated
                bar = progress(slug, page.count)
            orders = [_read_order(entry) for entry in page.results]
            codes = [order["code"] for order, *_ in orders]
            with store.transaction() as tx:
                pushed = allotments.pushed_order_codes(tx, state["event"])
                before = allotments.central_units(tx, codes)
                for order, positions, fees, checkins in orders:
                    sync.import_order(tx, state["event"], order, positions, fees, checkins, now(), pushed)
                after = allotments.central_units(tx, codes)
                # In the same transaction: a cancellation online never leaves room at the box meanwhile.
                allotments.shift_sizes(tx, state["event"], before, after)
            report.orders += len(orders)
            if bar is not None:
                bar.update(len(orders))
    finally:
        if bar is not None:
            bar.close()
    # After the orders: a revoked secret may be one a ticket of them held before it changed.
    revoked = central.whole_list(slug, "revokedsecrets/")
    with store.transaction() as tx:
        secrets = [central_json.revoked_secret(entry) for entry in revoked.results or []]
        sync.import_revoked_secrets(tx, state["event"], secrets)
        sync.finish(tx, tx.referenced(sync.SYNC_TABLE, state["id"]), cursor or orders_since, now())
    return report


def _ticket_layouts(central: Central, slug: str, known_backgrounds: dict[str, str], report: EventPull) -> list[dict]:
    """The central's ticket layouts as documents, each with its background; those this server cannot draw are
    left out, and a background that cannot be read is left off, each with a note in the report."""
    docs = []
    for data in central.ticket_layouts(slug):
        try:
            doc, link = central_json.ticket_layout(data)
        except central_json.UnreadableObject as error:
            report.notes.append(f"{error}; its tickets print with the default layout.")
            continue
        doc["background_source"], doc["background_pdf"] = link, None
        if link is not None:
            doc["background_pdf"] = known_backgrounds.get(link) or _background(central, link, doc, report)
        docs.append(doc)
    report.ticket_layouts = len(docs)
    return docs


def _background(central: Central, link: str, doc: dict, report: EventPull) -> str | None:
    pdf = central.file(link)
    try:
        if pdf is None:
            raise ValueError("The central has no such file.")
        ticket_layouts.readable_pdf(pdf)
    except ValueError as error:
        report.notes.append(f"ticket layout {doc['id']}: its background {link} is left off ({error})")
        return None
    return ticket_layouts.encoded(pdf)


def _read_order(data: dict[str, Any]) -> tuple[dict, list[dict], list[dict], dict[int, list[dict]]]:
    order = central_json.order(data)
    positions, checkins = [], {}
    for entry in data.get("positions") or []:
        position = central_json.position(entry, order["code"])
        positions.append(position)
        checkins[position["id"]] = [central_json.checkin(scan, order["code"]) for scan in entry.get("checkins") or []]
    fees = [central_json.fee(entry) for entry in data.get("fees") or []]
    return order, positions, fees, checkins
