"""Catalog rules: organizers, events, categories, tax rules, items and their variations, add-ons and bundles,
quotas, questions and their options, vouchers."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from ..errors import NotFound, PermissionDenied, ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Transaction
from . import quotas as quota_engine


@dataclass(frozen=True)
class Scope:
    """Where a request points: the organizer, the event, and the object a nested resource hangs from."""

    organizer: dict
    event: dict | None = None
    parent: dict | None = None


class Errors:
    """Collects field errors so one answer names every bad field, as DRF does."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(self.fields)


def invalid_pk(value: Any) -> str:
    return f'Invalid pk "{value}" - object does not exist.'


def event_object(tx: Transaction, table: str, doc_id: Any, event_id: int) -> dict | None:
    """Return the document of `table` with this id if it belongs to the event, else None."""
    doc = tx.get(table, doc_id) if doc_id is not None else None
    return doc if doc is not None and doc.get("event") == event_id else None


def check_refs(tx: Transaction, event_id: int, data: dict, refs: dict[str, str], errors: Errors) -> None:
    """Add an error for each field in `refs` (field → table) whose non-null id is not an object of the event."""
    for field, table in refs.items():
        value = data.get(field)
        if value is not None and event_object(tx, table, value, event_id) is None:
            errors.add(field, invalid_pk(value))


def check_ref_list(tx: Transaction, event_id: int, data: dict, field: str, table: str, errors: Errors) -> None:
    for value in data.get(field) or []:
        if event_object(tx, table, value, event_id) is None:
            errors.add(field, invalid_pk(value))
            return


def random_code(length: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


_STORED_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _sort_key(field: str) -> Callable[[dict], Any]:
    def key(doc: dict) -> Any:
        value = doc.get(field)
        if isinstance(value, dict):  # multi-lingual strings sort by their first text
            value = next(iter(value.values()), "")
        elif isinstance(value, str) and _STORED_MOMENT.fullmatch(value):
            # As text, "10:00:00.5Z" would sort before "10:00:00Z".
            value = parse_datetime(value)
        # None sorts first, and values of one field are compared only with their own kind.
        return (value is not None, value if value is not None else 0, doc.get("id", 0))

    return key


def order_documents(docs: list[dict], ordering: str | None, allowed: Iterable[str], default: str) -> list[dict]:
    """Sort by `ordering` (a field, `-` for descending) if allowed, else by `default`."""
    allowed = set(allowed)
    chosen = ordering if ordering and ordering.lstrip("-") in allowed else default
    field = chosen.lstrip("-")
    return sorted(docs, key=_sort_key(field), reverse=chosen.startswith("-"))


def text_matches(needle: str, *haystacks: Any) -> bool:
    """Case-insensitive substring match against strings and the texts of multi-lingual strings."""
    needle = needle.lower()
    for haystack in haystacks:
        texts = haystack.values() if isinstance(haystack, dict) else [haystack]
        if any(isinstance(text, str) and needle in text.lower() for text in texts):
            return True
    return False


class Resource:
    """A collection owned by an event (or by an object inside one); subclasses add their own rules."""

    table: str
    owner_field = "event"
    orderings: tuple[str, ...] = ("id",)
    default_ordering = "id"
    equality_filters: tuple[str, ...] = ()

    def children(self) -> tuple[tuple[str, "Resource"], ...]:
        """Nested lists accepted on create (field name, resource), written after the parent in one transaction."""
        return ()

    def owner(self, scope: Scope) -> dict:
        owner = scope.parent if self.owner_field != "event" else scope.event
        assert owner is not None
        return owner

    def owner_key(self, scope: Scope) -> Any:
        """What the owner field of this resource's documents holds: the owner's id."""
        return self.owner(scope)["id"]

    def list(self, tx: Transaction, scope: Scope, filters: dict[str, Any], ordering: str | None) -> list[dict]:
        """Return the owner's documents that pass `filters`, ordered."""
        docs = tx.find(self.table, **{self.owner_field: self.owner_key(scope)})
        for name in self.equality_filters:
            if name in filters:
                docs = [doc for doc in docs if doc.get(name) == filters[name]]
        docs = self.filter(tx, scope, docs, filters)
        return order_documents(docs, ordering, self.orderings, self.default_ordering)

    def filter(self, tx: Transaction, scope: Scope, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        return docs

    def get(self, tx: Transaction, scope: Scope, doc_id: Any) -> dict:
        """Return one document of the owner; raise NotFound otherwise."""
        doc = tx.get(self.table, doc_id)
        if doc is None or doc.get(self.owner_field) != self.owner_key(scope):
            raise NotFound()
        return doc

    def create(self, tx: Transaction, scope: Scope, data: dict, now: datetime) -> dict:
        """Validate and insert a new document; raise ValidationFailed on bad input."""
        self.validate(tx, scope, data, None, now)
        fields = self.prepare(tx, scope, dict(data), None, now)
        nested = {name: fields.pop(name, None) or [] for name, _ in self.children()}
        fields[self.owner_field] = self.owner_key(scope)
        if self.owner_field != "event" and scope.event is not None:
            fields["event"] = scope.event["id"]
        doc = tx.insert(self.table, fields)
        self.after_write(tx, scope, doc, None, now)
        child_scope = Scope(scope.organizer, scope.event, doc)
        for name, resource in self.children():
            for entry in nested[name]:
                resource.create(tx, child_scope, entry, now)
        self.changed(tx, scope, now)
        return doc

    def update(self, tx: Transaction, scope: Scope, doc: dict, changes: dict, now: datetime) -> dict:
        """Validate `changes` against the merged document and store them; raise ValidationFailed on bad input."""
        merged = {**doc, **changes}
        self.validate(tx, scope, merged, doc, now)
        fields = self.prepare(tx, scope, dict(changes), doc, now)
        for name, _ in self.children():
            fields.pop(name, None)
        updated = tx.update(self.table, doc["id"], fields)
        self.after_write(tx, scope, updated, doc, now)
        self.changed(tx, scope, now)
        return updated

    def delete(self, tx: Transaction, scope: Scope, doc: dict, now: datetime) -> None:
        """Delete the document and what belongs to it; raise PermissionDenied if it is in use."""
        self.check_deletable(tx, scope, doc)
        self.cascade_delete(tx, scope, doc)
        tx.delete(self.table, doc["id"])
        self.changed(tx, scope, now)

    def changed(self, tx: Transaction, scope: Scope, now: datetime) -> None:
        """Hook after every write; catalog resources note it for their lists' Last-Modified."""
        catalog_changed(tx, scope, now)

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        """Raise ValidationFailed if `data` (the whole new state) breaks a rule."""

    def prepare(self, tx: Transaction, scope: Scope, fields: dict, existing: dict | None, now: datetime) -> dict:
        """Return the fields to store, given validated input."""
        return fields

    def after_write(self, tx: Transaction, scope: Scope, doc: dict, previous: dict | None, now: datetime) -> None:
        """Hook for related writes that must happen in the same transaction."""

    def check_deletable(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        """Raise PermissionDenied if the document may not be deleted."""

    def cascade_delete(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        """Delete or detach what refers to the document."""

    def present(self, tx: Transaction, scope: Scope, doc: dict, now: datetime, options: Mapping[str, Any] = {}) -> dict:
        """Return the document with its computed fields, ready for the output schema.

        `options` are the request's validated query parameters, for fields shown only on request.
        """
        return doc


def catalog_changed(tx: Transaction, scope: Scope, now: datetime) -> None:
    """Note when the event's catalog last changed, for the lists' Last-Modified.

    One time for the whole catalog: a change anywhere (a deletion cascades across resources) counts as a
    change of every catalog list, which can only make a client fetch a list it did not need to.
    """
    if scope.event is not None:
        tx.update("events", scope.event["id"], {"catalog_modified": format_datetime(now)})


def catalog_modified(event: Mapping[str, Any]) -> datetime | None:
    """When the event's catalog last changed (its creation, if never since); None if not known."""
    stamp = event.get("catalog_modified")
    return parse_datetime(stamp) if stamp else None


def remove_from_list_field(tx: Transaction, table: str, field: str, value: int) -> None:
    """Remove `value` from the list `field` of every document of `table` that holds it."""
    for doc in tx.find(table, **{field: value}):
        tx.update(table, doc["id"], {field: [entry for entry in doc[field] if entry != value]})


# ---------------------------------------------------------------------------------------- organizers, events


def ensure_organizer(tx: Transaction, slug: str, name: str) -> dict:
    """Return the organizer with this slug, creating it if it does not exist."""
    existing = tx.find_one("organizers", slug=slug)
    if existing is not None:
        return existing
    return tx.insert("organizers", {"slug": slug, "name": name, "plugins": []})


def organizer_by_slug(tx: Transaction, slug: str) -> Mapping[str, Any]:
    """Return the organizer (read-only); raise PermissionDenied if there is none (pretix answers 403, not 404)."""
    organizer = next(iter(tx.scan("organizers", slug=slug)), None)
    if organizer is None:
        raise PermissionDenied()
    return organizer


def event_by_slug(tx: Transaction, organizer: Mapping[str, Any], slug: str) -> Mapping[str, Any]:
    """Return the organizer's event (read-only); raise PermissionDenied if there is none (pretix answers 403)."""
    event = next(iter(tx.scan("events", organizer=organizer["slug"], slug=slug)), None)
    if event is None:
        raise PermissionDenied()
    return event


def event_settings(event: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The event's settings: its own values over the server's defaults."""
    own = {key: value for key, value in (event.get("settings") or {}).items() if value is not None}
    return {**defaults, **own}


def update_event_settings(tx: Transaction, event: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """Set the given settings; a None value returns that setting to the server's default."""
    current = dict(event.get("settings") or {})
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    tx.update("events", event["id"], {"settings": current})


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
)


class Events(Resource):
    table = "events"
    owner_field = "organizer"
    orderings = ("date_from", "slug")
    default_ordering = "slug"
    equality_filters = ("is_public", "live", "testmode", "has_subevents")

    def owner(self, scope: Scope) -> dict:
        return scope.organizer

    def owner_key(self, scope: Scope) -> Any:
        # Events belong to their organizer by slug, the organizer's key in URLs and tokens.
        return scope.organizer["slug"]

    def prepare(self, tx: Transaction, scope: Scope, fields: dict, existing: dict | None, now: datetime) -> dict:
        if existing is None:
            fields["catalog_modified"] = format_datetime(now)
        return fields

    def changed(self, tx: Transaction, scope: Scope, now: datetime) -> None:
        """An event's own fields are not part of its catalog lists."""

    def filter(self, tx: Transaction, scope: Scope, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
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
        for name, compare in (("date_from_after", lambda d, v: start(d) >= v), ("date_from_before", lambda d, v: start(d) <= v)):
            if name in filters:
                bound = datetime.fromisoformat(filters[name])
                checks.append(lambda doc, c=compare, b=bound: c(doc, b))
        for name, compare in (("date_to_after", lambda e, v: e >= v), ("date_to_before", lambda e, v: e <= v)):
            if name in filters:
                bound = datetime.fromisoformat(filters[name])
                checks.append(lambda doc, c=compare, b=bound: end_or_none(doc) is not None and c(end_or_none(doc), b))
        if "ends_after" in filters:
            bound = datetime.fromisoformat(filters["ends_after"])
            checks.append(lambda doc: ends(doc) >= bound)
        if "search" in filters:
            checks.append(lambda doc: text_matches(filters["search"], doc["name"], doc["slug"], doc.get("location")))
        if "sales_channel" in filters:
            checks.append(
                lambda doc: doc["all_sales_channels"] or filters["sales_channel"] in doc["limit_sales_channels"]
            )
        return [doc for doc in docs if all(check(doc) for check in checks)]

    def get(self, tx: Transaction, scope: Scope, doc_id: Any) -> dict:
        return event_by_slug(tx, scope.organizer, doc_id)

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        if existing is None:
            if tx.find_one("events", organizer=scope.organizer["slug"], slug=data["slug"]) is not None:
                errors.add("slug", "This slug has already been used for a different event.")
            if data.get("live"):
                errors.add("live", "Events cannot be created as 'live'. Quotas must be added before sales go live.")
        else:
            if data["slug"] != existing["slug"]:
                errors.add("slug", "The event slug cannot be changed.")
            if data["has_subevents"] != existing["has_subevents"]:
                errors.add("has_subevents", "Once created, an event cannot change between a series and a single event.")
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

    def check_deletable(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        if tx.count("orders", event=doc["id"]):
            raise PermissionDenied(
                "The event can not be deleted as it already contains orders. Set 'live' to false to take it offline."
            )

    def cascade_delete(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        for table in EVENT_TABLES:
            for doc_id in tx.ids(table, event=doc["id"]):
                tx.delete(table, doc_id)

    def present(self, tx: Transaction, scope: Scope, doc: dict, now: datetime, options: Mapping[str, Any] = {}) -> dict:
        return {**doc, "valid_keys": {}, "seat_category_mapping": doc.get("seat_category_mapping") or {}}


# ---------------------------------------------------------------------------------------- categories, tax rules


class Categories(Resource):
    table = "categories"
    orderings = ("id", "position")
    default_ordering = "position"
    equality_filters = ("is_addon",)

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        if data.get("is_addon") and data.get("cross_selling_mode"):
            errors.add("cross_selling_mode", "Cross-selling is only available for categories that are not add-ons.")
        check_ref_list(tx, scope.event["id"], data, "cross_selling_match_products", "items", errors)
        errors.raise_if_any()

    def check_deletable(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        if tx.count("addons", addon_category=doc["id"]):
            raise PermissionDenied("This category cannot be deleted because products use it for add-ons.")

    def cascade_delete(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        for item_id in tx.ids("items", category=doc["id"]):
            tx.update("items", item_id, {"category": None})


class TaxRules(Resource):
    table = "taxrules"

    def after_write(self, tx: Transaction, scope: Scope, doc: dict, previous: dict | None, now: datetime) -> None:
        if doc.get("default"):
            # There is one default tax rule per event: the newest one set wins.
            for other in tx.find("taxrules", event=doc["event"], default=True):
                if other["id"] != doc["id"]:
                    tx.update("taxrules", other["id"], {"default": False})

    def check_deletable(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        if any(item.get("tax_rule") == doc["id"] for item in tx.find("items", event=doc["event"])):
            raise PermissionDenied("This tax rule can not be deleted as it is currently in use.")


# ---------------------------------------------------------------------------------------- items and their parts


def _check_meta_data(event: dict, data: dict, errors: Errors) -> None:
    allowed = event.get("item_meta_properties") or {}
    for key in data.get("meta_data") or {}:
        if key not in allowed:
            errors.add("meta_data", f'Item meta data property "{key}" does not exist.')


def _check_no_memberships(data: dict, errors: Errors) -> None:
    # No membership types exist on this server, so any reference to one points at nothing.
    for value in data.get("require_membership_types") or []:
        errors.add("require_membership_types", invalid_pk(value))
        break
    if data.get("grant_membership_type") is not None:
        errors.add("grant_membership_type", invalid_pk(data["grant_membership_type"]))


class Variations(Resource):
    table = "variations"
    owner_field = "item"
    orderings = ("id", "position")
    default_ordering = "position"
    equality_filters = ("active",)

    def filter(self, tx: Transaction, scope: Scope, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        if "search" in filters:
            docs = [doc for doc in docs if text_matches(filters["search"], doc["value"])]
        return docs

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        if existing is None and scope.parent is not None and not scope.parent.get("has_variations"):
            errors.add(
                "non_field_errors",
                "This product has no variations; a product created without variations cannot get them later.",
            )
        _check_meta_data(scope.event, data, errors)
        _check_no_memberships(data, errors)
        errors.raise_if_any()

    def check_deletable(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        if tx.count("orderpositions", variation=doc["id"]) or tx.count("cartpositions", variation=doc["id"]):
            raise PermissionDenied(
                "This variation cannot be deleted because it has already been ordered or is in a cart. "
                "Set it to inactive instead."
            )
        refuse_if_vouchers_point_at(tx, "variation", doc, "variation")
        if tx.count("variations", item=doc["item"]) <= 1:
            raise PermissionDenied(
                "This variation cannot be deleted because it is the only variation of its product; "
                "a product with variations cannot become one without."
            )

    def cascade_delete(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        remove_from_list_field(tx, "quotas", "variations", doc["id"])
        for bundle_id in tx.ids("bundles", bundled_variation=doc["id"]):
            tx.delete("bundles", bundle_id)

    def present(self, tx: Transaction, scope: Scope, doc: dict, now: datetime, options: Mapping[str, Any] = {}) -> dict:
        item = scope.parent if scope.parent and scope.parent["id"] == doc["item"] else tx.get("items", doc["item"])
        price = doc["default_price"] if doc["default_price"] is not None else item["default_price"]
        return {**doc, "price": price}


DUPLICATE_ADDON_CATEGORY = "The item already has an add-on configuration for this category."


def refuse_if_vouchers_point_at(tx: Transaction, field: str, doc: dict, what: str) -> None:
    """Vouchers restricted to an object would silently apply to everything if it went: refuse instead."""
    if tx.count("vouchers", event=doc["event"], **{field: doc["id"]}):
        raise PermissionDenied(f"This {what} cannot be deleted because vouchers are attached to it.")


class AddOns(Resource):
    table = "addons"
    owner_field = "item"
    orderings = ("id", "position")
    default_ordering = "position"

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        if event_object(tx, "categories", data["addon_category"], scope.event["id"]) is None:
            errors.add("addon_category", invalid_pk(data["addon_category"]))
        elif scope.parent is not None and any(
            other["addon_category"] == data["addon_category"] and (existing is None or other["id"] != existing["id"])
            for other in tx.find("addons", item=scope.parent["id"])
        ):
            errors.add("addon_category", DUPLICATE_ADDON_CATEGORY)
        if data["min_count"] > data["max_count"]:
            errors.add("max_count", "The maximum count needs to be greater than or equal to the minimum count.")
        errors.raise_if_any()


class Bundles(Resource):
    table = "bundles"
    owner_field = "item"

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        bundled = event_object(tx, "items", data["bundled_item"], scope.event["id"])
        if bundled is None:
            errors.add("bundled_item", invalid_pk(data["bundled_item"]))
        else:
            if scope.parent is not None and bundled["id"] == scope.parent["id"]:
                errors.add("bundled_item", "The bundled item must not be the same item as the bundling one.")
            if tx.count("bundles", item=bundled["id"]):
                errors.add("bundled_item", "The bundled item must not have bundles on its own.")
            variation = data.get("bundled_variation")
            if bundled.get("has_variations") and variation is None:
                errors.add("bundled_variation", "You must choose a variation of the bundled item.")
            elif variation is not None and (tx.get("variations", variation) or {}).get("item") != bundled["id"]:
                errors.add("bundled_variation", invalid_pk(variation))
        errors.raise_if_any()


class ProgramTimes:
    """Program times live inside their item; they are checked here, not stored separately."""

    @staticmethod
    def validate(times: list[dict], errors: Errors) -> None:
        for entry in times:
            if entry["end"] <= entry["start"]:
                errors.add("program_times", "The end of a program time must be after its start.")
                return


class Items(Resource):
    table = "items"
    orderings = ("id", "position")
    default_ordering = "position"
    equality_filters = ("active", "category", "admission", "free_price")

    def filter(self, tx: Transaction, scope: Scope, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        if "search" in filters:
            docs = [doc for doc in docs if text_matches(filters["search"], doc["name"], doc.get("internal_name"))]
        if "tax_rate" in filters:
            wanted = Decimal(filters["tax_rate"])
            docs = [doc for doc in docs if Decimal(self.tax_rate(tx, doc)) == wanted]
        return docs

    @staticmethod
    def tax_rate(tx: Transaction, item: dict) -> str:
        rule = tx.get("taxrules", item["tax_rule"]) if item.get("tax_rule") is not None else None
        return rule["rate"] if rule else "0.00"

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        event_id = scope.event["id"]
        check_refs(tx, event_id, data, {"category": "categories", "tax_rule": "taxrules", "hidden_if_available": "quotas"}, errors)
        hidden_item = data.get("hidden_if_item_available")
        if hidden_item is not None and (
            event_object(tx, "items", hidden_item, event_id) is None or (existing and existing["id"] == hidden_item)
        ):
            errors.add("hidden_if_item_available", invalid_pk(hidden_item))
        if data.get("personalized") and not data.get("admission"):
            errors.add("personalized", "Only admission products can be personalized.")
        _check_meta_data(scope.event, data, errors)
        _check_no_memberships(data, errors)
        ProgramTimes.validate(data.get("program_times") or [], errors)
        if existing is None:
            self._validate_nested(tx, scope, data, errors, now)
        errors.raise_if_any()

    def _validate_nested(self, tx: Transaction, scope: Scope, data: dict, errors: Errors, now: datetime) -> None:
        """Check nested variations, add-ons and bundles as their own endpoints would, before anything is written."""
        nested_errors: dict[str, list[dict]] = {}
        for part, resource in self.children():
            entries = data.get(part, [])
            results: list[dict] = []
            for entry in entries:
                try:
                    # The item does not exist yet: validate with no parent, so only cross-object rules apply.
                    resource.validate(tx, Scope(scope.organizer, scope.event, None), entry, None, now)
                    results.append({})
                except ValidationFailed as failure:
                    results.append(failure.detail)
            if part == "addons":
                seen: set[int] = set()
                for entry, result in zip(entries, results):
                    if entry["addon_category"] in seen and not result:
                        result["addon_category"] = [DUPLICATE_ADDON_CATEGORY]
                    seen.add(entry["addon_category"])
            if any(results):
                nested_errors[part] = results
        for part, results in nested_errors.items():
            errors.fields[part] = results  # type: ignore[assignment]

    def children(self) -> tuple[tuple[str, Resource], ...]:
        return (("variations", VARIATIONS), ("addons", ADDONS), ("bundles", BUNDLES))

    def prepare(self, tx: Transaction, scope: Scope, fields: dict, existing: dict | None, now: datetime) -> dict:
        if existing is None:
            if fields.get("personalized") is None:
                fields["personalized"] = fields.get("admission", False)
            fields["has_variations"] = bool(fields.get("variations"))
        return fields

    def check_deletable(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        refuse_if_vouchers_point_at(tx, "item", doc, "item")
        if tx.count("orderpositions", item=doc["id"]):
            raise PermissionDenied(
                "This item cannot be deleted because it has already been ordered. Set it to inactive instead."
            )

    def cascade_delete(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        variation_ids = set(tx.ids("variations", item=doc["id"]))  # read before the variations are deleted
        for table in ("variations", "addons", "bundles", "cartpositions"):
            for doc_id in tx.ids(table, item=doc["id"]):
                tx.delete(table, doc_id)
        for bundle_id in tx.ids("bundles", bundled_item=doc["id"]):
            tx.delete("bundles", bundle_id)
        for quota in tx.find("quotas", items=doc["id"]):
            tx.update(
                "quotas",
                quota["id"],
                {
                    "items": [i for i in quota["items"] if i != doc["id"]],
                    "variations": [v for v in quota["variations"] if v not in variation_ids],
                },
            )
        remove_from_list_field(tx, "questions", "items", doc["id"])
        remove_from_list_field(tx, "checkinlists", "limit_products", doc["id"])
        for other in tx.find("items", event=doc["event"], hidden_if_item_available=doc["id"]):
            tx.update("items", other["id"], {"hidden_if_item_available": None})

    def present(self, tx: Transaction, scope: Scope, doc: dict, now: datetime, options: Mapping[str, Any] = {}) -> dict:
        item_scope = Scope(scope.organizer, scope.event, doc)
        parts = {
            part: [
                resource.present(tx, item_scope, entry, now)
                for entry in order_documents(tx.find(resource.table, item=doc["id"]), None, resource.orderings, resource.default_ordering)
            ]
            for part, resource in self.children()
        }
        return {**doc, **parts, "tax_rate": self.tax_rate(tx, doc), "program_times": doc.get("program_times") or []}


# ---------------------------------------------------------------------------------------- quotas


class Quotas(Resource):
    table = "quotas"
    orderings = ("id", "position")
    default_ordering = "id"

    def check_deletable(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        refuse_if_vouchers_point_at(tx, "quota", doc, "quota")

    def cascade_delete(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        for item in tx.find("items", event=doc["event"], hidden_if_available=doc["id"]):
            tx.update("items", item["id"], {"hidden_if_available": None})

    def list(self, tx: Transaction, scope: Scope, filters: dict[str, Any], ordering: str | None) -> list[dict]:
        # Quotas have no position of their own; pretix documents the ordering all the same.
        return super().list(tx, scope, filters, ordering.replace("position", "id") if ordering else None)

    equality_filters = ("subevent",)

    def filter(self, tx: Transaction, scope: Scope, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        if "subevent__in" in filters:
            docs = [doc for doc in docs if doc.get("subevent") in filters["subevent__in"]]
        if "items__in" in filters:
            wanted = set(filters["items__in"])
            docs = [doc for doc in docs if wanted.intersection(doc["items"])]
        return docs

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        event_id = scope.event["id"]
        check_ref_list(tx, event_id, data, "items", "items", errors)
        if data.get("subevent") is not None:
            errors.add("subevent", invalid_pk(data["subevent"]))
        items = set(data.get("items") or [])
        variation_items = set()
        for variation_id in data.get("variations") or []:
            variation = event_object(tx, "variations", variation_id, event_id)
            if variation is None:
                errors.add("variations", invalid_pk(variation_id))
                break
            if variation["item"] not in items:
                errors.add("variations", "All variations must belong to an item contained in the items list.")
                break
            variation_items.add(variation["item"])
        if "items" not in errors.fields and "variations" not in errors.fields:
            for item_id in items:
                item = tx.get("items", item_id)
                if item and item.get("has_variations") and item_id not in variation_items:
                    errors.add("variations", "One or more items has variations but none of these are in the variations list.")
                    break
        errors.raise_if_any()

    def present(self, tx: Transaction, scope: Scope, doc: dict, now: datetime, options: Mapping[str, Any] = {}) -> dict:
        if not options.get("with_availability"):
            return doc
        report = quota_engine.availability(tx, doc, now)
        return {**doc, "available": report["available"], "available_number": report["available_number"]}


# ---------------------------------------------------------------------------------------- questions


def _unique_identifier(existing: Iterable[str | None], wanted: str | None) -> str:
    taken = set(existing)
    if wanted:
        return wanted
    while True:
        candidate = random_code(8)
        if candidate not in taken:
            return candidate


class QuestionOptions(Resource):
    table = "question_options"
    owner_field = "question"
    orderings = ("id", "position")
    default_ordering = "position"

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        if scope.parent is None or not data.get("identifier"):
            return
        for other in tx.find("question_options", question=scope.parent["id"], identifier=data["identifier"]):
            if existing is None or other["id"] != existing["id"]:
                raise ValidationFailed.field("identifier", "The identifier is already used for a different option.")

    def prepare(self, tx: Transaction, scope: Scope, fields: dict, existing: dict | None, now: datetime) -> dict:
        if existing is None or ("identifier" in fields and not fields["identifier"]):
            siblings = [o.get("identifier") for o in tx.find("question_options", question=self.owner(scope)["id"])]
            fields["identifier"] = _unique_identifier(siblings, fields.get("identifier"))
        return fields


class Questions(Resource):
    table = "questions"
    orderings = ("id", "position")
    default_ordering = "position"
    equality_filters = ("identifier", "ask_during_checkin", "required")

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        event_id = scope.event["id"]
        check_ref_list(tx, event_id, data, "items", "items", errors)
        if data.get("identifier"):
            for other in tx.find("questions", event=event_id, identifier=data["identifier"]):
                if existing is None or other["id"] != existing["id"]:
                    errors.add("identifier", "This identifier is already used for a different question.")
        dependency = data.get("dependency_question")
        if dependency is not None:
            parent = event_object(tx, "questions", dependency, event_id)
            if parent is None or (existing and parent["id"] == existing["id"]):
                errors.add("dependency_question", invalid_pk(dependency))
            elif parent["type"] not in ("B", "C", "M"):
                errors.add("dependency_question", "Questions can only depend on boolean or choice questions.")
            if data.get("ask_during_checkin"):
                errors.add("dependency_question", "Dependencies are not supported during check-in.")
        for low, high in (("valid_number_min", "valid_number_max"), ("valid_date_min", "valid_date_max"), ("valid_datetime_min", "valid_datetime_max")):
            if data.get(low) is not None and data.get(high) is not None:
                smaller = Decimal(data[low]) > Decimal(data[high]) if low.startswith("valid_number") else data[low] > data[high]
                if smaller:
                    errors.add(high, "The maximum must not be lower than the minimum.")
        identifiers = [o.get("identifier") for o in data.get("options") or [] if o.get("identifier")]
        if len(identifiers) != len(set(identifiers)):
            errors.add("options", "The identifier is already used for a different option.")
        errors.raise_if_any()

    def prepare(self, tx: Transaction, scope: Scope, fields: dict, existing: dict | None, now: datetime) -> dict:
        if fields.get("dependency_value") and not fields.get("dependency_values"):
            fields["dependency_values"] = [fields["dependency_value"]]
        fields.pop("dependency_value", None)
        if existing is None or ("identifier" in fields and not fields["identifier"]):
            taken = [q.get("identifier") for q in tx.find("questions", event=scope.event["id"])]
            fields["identifier"] = _unique_identifier(taken, fields.get("identifier"))
        return fields

    def children(self) -> tuple[tuple[str, Resource], ...]:
        return (("options", OPTIONS),)

    def cascade_delete(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        for option_id in tx.ids("question_options", question=doc["id"]):
            tx.delete("question_options", option_id)
        for other in tx.find("questions", event=doc["event"], dependency_question=doc["id"]):
            tx.update("questions", other["id"], {"dependency_question": None, "dependency_values": []})

    def present(self, tx: Transaction, scope: Scope, doc: dict, now: datetime, options: Mapping[str, Any] = {}) -> dict:
        options = order_documents(tx.find("question_options", question=doc["id"]), None, OPTIONS.orderings, OPTIONS.default_ordering)
        values = doc.get("dependency_values") or []
        return {**doc, "options": options, "dependency_value": values[0] if values else None}


# ---------------------------------------------------------------------------------------- vouchers


def voucher_code_key(code: str) -> str:
    """The form a voucher code is compared in: case does not matter."""
    return code.upper()


class Vouchers(Resource):
    table = "vouchers"
    orderings = ("id", "code", "max_usages", "valid_until", "value")
    default_ordering = "id"
    equality_filters = (
        "code", "max_usages", "redeemed", "block_quota", "allow_ignore_quota", "price_mode",
        "value", "item", "variation", "quota", "tag", "subevent",
    )

    def filter(self, tx: Transaction, scope: Scope, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        if "search" in filters:
            docs = [doc for doc in docs if text_matches(filters["search"], doc["code"], doc.get("tag"), doc.get("comment"))]
        return docs

    def changed(self, tx: Transaction, scope: Scope, now: datetime) -> None:
        """Vouchers are in none of the catalog lists that answer If-Modified-Since."""

    def list(self, tx: Transaction, scope: Scope, filters: dict[str, Any], ordering: str | None) -> list[dict]:
        docs = super().list(tx, scope, filters, ordering)
        if ordering and ordering.lstrip("-") == "value":  # money strings sort by amount, not as text
            docs.sort(key=lambda doc: (Decimal(doc["value"]), doc["id"]), reverse=ordering.startswith("-"))
        return docs

    def validate(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        errors = Errors()
        event_id = scope.event["id"]
        check_refs(tx, event_id, data, {"item": "items", "quota": "quotas"}, errors)
        if data.get("quota") is not None and (data.get("item") is not None or data.get("variation") is not None):
            errors.add("non_field_errors", "You cannot select a quota and a specific product at the same time.")
        variation_id = data.get("variation")
        if variation_id is not None:
            variation = event_object(tx, "variations", variation_id, event_id)
            if data.get("item") is None:
                errors.add("variation", "You cannot select a variation without having selected a product.")
            elif variation is None or variation["item"] != data["item"]:
                errors.add("variation", invalid_pk(variation_id))
        if data.get("seat") is not None:
            errors.add("seat", "Invalid seat: this event has no seating plan.")
        if data.get("subevent") is not None:
            errors.add("subevent", invalid_pk(data["subevent"]))
        if existing is not None and data["max_usages"] < existing.get("redeemed", 0):
            errors.add("max_usages", "This voucher has already been redeemed more often than the new maximum.")
        if data.get("block_quota") and data.get("quota") is None and data.get("item") is None:
            errors.add("block_quota", "You need to select a specific product or quota if this voucher should reserve tickets.")
        # The schema checks these only when both fields are sent; a PATCH may send one of them.
        if data.get("min_usages", 1) > data["max_usages"]:
            errors.add("min_usages", "The minimum number of usages may not be higher than the maximum.")
        if data.get("price_mode") == "percent" and Decimal(data.get("value") or 0) > 100:
            errors.add("value", "A percentage may not be higher than 100.")
        errors.raise_if_any()
        code = data.get("code")
        # Codes are typed in by people: "summer" and "SUMMER" are the same voucher.
        if code and any(
            other["id"] != (existing or {}).get("id")
            for other in tx.find("vouchers", event=event_id, code_key=voucher_code_key(code))
        ):
            raise ValidationFailed.field("code", "A voucher with this code already exists.")
        if data.get("block_quota"):
            self._check_quota(tx, scope, data, existing, now)

    def _check_quota(self, tx: Transaction, scope: Scope, data: dict, existing: dict | None, now: datetime) -> None:
        """A voucher that blocks quota needs that much free quota, not counting what it already blocks there itself."""
        needed = data["max_usages"] - (existing or {}).get("redeemed", 0)
        for quota in affected_quotas(tx, scope.event["id"], data):
            # What the stored voucher holds right now is not counted against its own new block.
            free = quota_engine.available_number(tx, quota, now, exclude_voucher=(existing or {}).get("id"))
            if free is not None and free < needed:
                raise ValidationFailed.non_field(quota_engine.shortage_message(quota))

    def prepare(self, tx: Transaction, scope: Scope, fields: dict, existing: dict | None, now: datetime) -> dict:
        if existing is None:
            fields["code"] = fields.get("code") or self.new_code(tx, scope.event["id"])
            fields["redeemed"] = 0
            fields["budget_used"] = "0.00"
            fields["created"] = format_datetime(now)
        elif "code" in fields and not fields["code"]:
            fields.pop("code")
        if fields.get("code"):
            fields["code_key"] = voucher_code_key(fields["code"])
        return fields

    @staticmethod
    def new_code(tx: Transaction, event_id: int) -> str:
        while True:
            code = random_code(16)
            if tx.find_one("vouchers", event=event_id, code_key=voucher_code_key(code)) is None:
                return code

    def check_deletable(self, tx: Transaction, scope: Scope, doc: dict) -> None:
        if doc.get("redeemed", 0) > 0:
            raise PermissionDenied("This voucher can not be deleted as it has already been used.")

    def batch_create(self, tx: Transaction, scope: Scope, entries: list[dict], now: datetime) -> list[dict]:
        """Create all vouchers or none; raise ValidationFailed with one error object per entry."""
        codes = [voucher_code_key(entry["code"]) for entry in entries if entry.get("code")]
        if len(codes) != len(set(codes)):
            raise ValidationFailed({"code": ["Duplicate voucher code in request."]})
        created, results, failed = [], [], False
        for entry in entries:
            try:
                created.append(self.create(tx, scope, entry, now))
                results.append({})
            except ValidationFailed as failure:
                failed = True
                results.append(failure.detail)
        if failed:
            raise ValidationFailed(results)
        return created


def affected_quotas(tx: Transaction, event_id: int, voucher: dict) -> list[dict]:
    """Return the quotas a voucher restricted to a quota, or to an item (and variation), blocks units of."""
    if voucher.get("quota") is not None:
        quota = tx.get("quotas", voucher["quota"])
        return [quota] if quota else []
    if voucher.get("item") is None:
        return []
    return quota_engine.quotas_for(tx, event_id, voucher["item"], voucher.get("variation"))


EVENTS = Events()
CATEGORIES = Categories()
TAXRULES = TaxRules()
ITEMS = Items()
VARIATIONS = Variations()
ADDONS = AddOns()
BUNDLES = Bundles()
QUOTAS = Quotas()
QUESTIONS = Questions()
OPTIONS = QuestionOptions()
VOUCHERS = Vouchers()
