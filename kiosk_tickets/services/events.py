"""Organizers and events: lookups by slug, the event resource, and per-event settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..errors import PermissionDenied, ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Doc, Transaction
from . import ticket_secrets
from .common import FieldErrors, invalid_pk, text_matches
from .resources import EventContext, Resource
from .ticket_layouts import check_image


def ensure_organizer(tx: Transaction, slug: str, name: str) -> dict:
    """Return the organizer with this slug, creating it if it does not exist."""
    existing = tx.find_one("organizers", slug=slug)
    if existing is not None:
        return existing
    return tx.insert("organizers", {"slug": slug, "name": name, "plugins": []})


def organizer_by_slug_or_none(tx: Transaction, slug: str) -> Doc | None:
    return next(iter(tx.scan("organizers", slug=slug)), None)


def organizer_by_slug(tx: Transaction, slug: str) -> Doc:
    """Return the organizer (read-only); raise PermissionDenied if there is none (pretix answers 403, not 404)."""
    organizer = organizer_by_slug_or_none(tx, slug)
    if organizer is None:
        raise PermissionDenied()
    return organizer


def event_by_slug(tx: Transaction, organizer: Doc, slug: str) -> Doc:
    """Return the organizer's event (read-only); raise PermissionDenied if there is none (pretix answers 403)."""
    event = next(iter(tx.scan("events", organizer=organizer["slug"], slug=slug)), None)
    if event is None:
        raise PermissionDenied()
    return event


def live_event_suggestion(
    tx: Transaction, organizer: str, visible: Callable[[str], bool], now: datetime
) -> tuple[Doc, int | None] | None:
    """The live event a scanner should be on now: the running one, else the next; with its first check-in list."""
    upcoming = [
        event
        for event in tx.scan("events", organizer=organizer)
        if event["live"] and visible(event["slug"]) and parse_datetime(event["date_to"] or event["date_from"]) >= now
    ]
    if not upcoming:
        return None
    event = min(upcoming, key=lambda e: (parse_datetime(e["date_from"]), e["id"]))
    lists = tx.ids("checkinlists", event=event["id"])
    return event, min(lists) if lists else None


def event_settings(event: Doc, defaults: Doc) -> dict[str, Any]:
    """The event's settings: its own values over the server's defaults."""
    own = {key: value for key, value in (event.get("settings") or {}).items() if value is not None}
    return {**defaults, **own}


def event_setting(event: Doc, name: str, default: Any) -> Any:
    """One of the event's settings as `event_settings` gives it, without merging them all (read per request)."""
    value = (event.get("settings") or {}).get(name)
    return default if value is None else value


def update_event_settings(tx: Transaction, event: Doc, changes: Doc, now: datetime) -> None:
    """Set the given settings; a None value returns that setting to the server's default. Raise ValidationFailed
    for a logo that is not a PNG or JPEG data URL. An event that switches to signed ticket secrets gets its
    signing key now."""
    if changes.get("logo_image") is not None:
        try:
            check_image(changes["logo_image"])
        except ValueError as error:
            raise ValidationFailed.field("logo_image", str(error)) from None
    current = dict(event.get("settings") or {})
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    updated = tx.update("events", event["id"], {"settings": current})
    if ticket_secrets.generator(updated) == ticket_secrets.SIG1:
        # Published from now on, so scanners that sync before the first sale can already verify its tickets.
        ticket_secrets.ensure_key(tx, event["id"], now)


# Tables whose documents carry the event id and go when the event goes.
EVENT_TABLES = (
    "categories",
    "taxrules",
    "items",
    "variations",
    "addons",
    "bundles",
    "quotas",
    "questions",
    "question_options",
    "vouchers",
    "cartpositions",
    "checkinlists",
    "checkins",
    ticket_secrets.REVOKED_TABLE,
    ticket_secrets.KEYS_TABLE,
    "ticketlayouts",
    # What was pulled from a central (services/sync.py, which imports this module): a deleted event is
    # pulled afresh.
    "sync_state",
    "allotments",
    "push_records",
)


class Events(Resource):
    table = "events"
    owner_field = "organizer"
    orderings = ("date_from", "slug")
    default_ordering = "slug"
    equality_filters = ("is_public", "live", "testmode", "has_subevents")

    def owner(self, ctx: EventContext) -> Doc:
        return ctx.organizer

    def owner_key(self, ctx: EventContext) -> Any:
        # Events belong to their organizer by slug, the organizer's key in URLs and tokens.
        return ctx.organizer["slug"]

    def prepare(
        self, tx: Transaction, ctx: EventContext, fields: dict, existing: Doc | None, now: datetime
    ) -> dict:
        if existing is None:
            fields["catalog_modified"] = format_datetime(now)
        return fields

    def changed(self, tx: Transaction, ctx: EventContext, now: datetime) -> None:
        """An event's own fields are not part of its catalog lists."""

    def filter(self, tx: Transaction, ctx: EventContext, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        now = filters.get("now")

        def ends(doc: dict) -> datetime:
            return datetime.fromisoformat(doc["date_to"] or doc["date_from"])

        def start(doc: dict) -> datetime:
            return datetime.fromisoformat(doc["date_from"])

        def end_or_none(doc: dict) -> datetime | None:
            return datetime.fromisoformat(doc["date_to"]) if doc["date_to"] else None

        checks: list[Callable[[dict], bool]] = []
        if "is_future" in filters and now is not None:
            checks.append(lambda doc: (ends(doc) >= now) == filters["is_future"])
        if "is_past" in filters and now is not None:
            checks.append(lambda doc: (ends(doc) < now) == filters["is_past"])
        for name, moment, after in (
            ("date_from_after", start, True),
            ("date_from_before", start, False),
            ("date_to_after", end_or_none, True),
            ("date_to_before", end_or_none, False),
        ):
            if name in filters:
                checks.append(_bounded(moment, datetime.fromisoformat(filters[name]), after))
        if "ends_after" in filters:
            checks.append(_bounded(ends, datetime.fromisoformat(filters["ends_after"]), True))
        if "search" in filters:
            checks.append(lambda doc: text_matches(filters["search"], doc["name"], doc["slug"], doc.get("location")))
        if "sales_channel" in filters:
            checks.append(
                lambda doc: doc["all_sales_channels"] or filters["sales_channel"] in doc["limit_sales_channels"]
            )
        return [doc for doc in docs if all(check(doc) for check in checks)]

    def get(self, tx: Transaction, ctx: EventContext, doc_id: Any) -> dict:
        return dict(event_by_slug(tx, ctx.organizer, doc_id))

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        if existing is None:
            if tx.find_one("events", organizer=ctx.organizer["slug"], slug=data["slug"]) is not None:
                errors.add("slug", "This slug has already been used for a different event.")
            if data.get("live"):
                errors.add("live", "Events cannot be created as 'live'. Quotas must be added before sales go live.")
        else:
            if data["slug"] != existing["slug"]:
                errors.add("slug", "The event slug cannot be changed.")
            if data["has_subevents"] != existing["has_subevents"]:
                errors.add(
                    "has_subevents", "Once created, an event cannot change between a series and a single event."
                )
            if data.get("live") and not existing.get("live") and not tx.find("quotas", event=existing["id"]):
                errors.add("live", "You need to configure at least one quota to sell anything.")
        if data.get("has_subevents"):
            errors.add("has_subevents", "Event series are not supported by this server.")
        if data.get("seating_plan") is not None:
            errors.add("seating_plan", invalid_pk(data["seating_plan"]))
        if data.get("seat_category_mapping"):
            errors.add("seat_category_mapping", "You cannot map seat categories without a seating plan.")
        for later, earlier in (("date_to", "date_from"), ("presale_end", "presale_start")):
            # Compared as moments: as text, "10:00:00.5Z" sorts before "10:00:00Z".
            if data.get(later) and data.get(earlier) and (
                datetime.fromisoformat(data[later]) < datetime.fromisoformat(data[earlier])
            ):
                errors.add(later, f"The {later.replace('_', ' ')} has to be after the {earlier.replace('_', ' ')}.")
        errors.raise_if_any()

    def check_deletable(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        if tx.count("orders", event=doc["id"]):
            raise PermissionDenied(
                "The event can not be deleted as it already contains orders. Set 'live' to false to take it offline."
            )

    def cascade_delete(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        for table in EVENT_TABLES:
            for doc_id in tx.ids(table, event=doc["id"]):
                tx.delete(table, doc_id)

    def present(
        self, tx: Transaction, ctx: EventContext, doc: dict, now: datetime, options: Mapping[str, Any] = {}
    ) -> dict:
        return {
            **doc,
            "valid_keys": ticket_secrets.valid_keys(tx, doc["id"]),
            "seat_category_mapping": doc.get("seat_category_mapping") or {},
        }


def _bounded(moment: Callable[[dict], datetime | None], bound: datetime, after: bool) -> Callable[[dict], bool]:
    """A check that a document's moment exists and is at or after `bound` (`after`), else at or before it."""

    def check(doc: dict) -> bool:
        value = moment(doc)
        return value is not None and (value >= bound if after else value <= bound)

    return check


EVENTS = Events()
