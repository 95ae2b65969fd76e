"""The generic collection behind the catalog endpoints: where a request points, and create/update/delete hooks."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import NotFound
from ..isotime import format_datetime, parse_datetime
from ..store import Doc, Transaction
from .common import order_documents


@dataclass(frozen=True)
class EventContext:
    """Where a request points: the organizer, the event, and the object a nested resource hangs from."""

    organizer: Doc
    event: Doc | None = None
    parent: Doc | None = None

    @property
    def event_id(self) -> int:
        """The event's id; raises RuntimeError when used for a request that names no event."""
        if self.event is None:
            raise RuntimeError("this operation needs an event")
        return self.event["id"]


class Resource:
    """A collection owned by an event (or by an object inside one); subclasses add their own rules.

    Hooks run in this order, all inside the caller's transaction:

    - create: `validate(data, None)` → `prepare(fields, None)` → insert → `after_write(doc, None)` →
      create each entry of `children()` under the new document → `changed`
    - update: `validate({**doc, **changes}, doc)` → `prepare(changes, doc)` → update →
      `after_write(updated, doc)` → `changed`; nested lists are not written on update
    - delete: `check_deletable` → `cascade_delete` → delete → `changed`

    `validate` sees the whole new state, so every rule that relates two fields of a stored object belongs
    there (or in `prepare`, for values derived from other fields), never in a schema that sees only what was sent.
    """

    table: str
    owner_field = "event"
    orderings: tuple[str, ...] = ("id",)
    default_ordering = "id"
    equality_filters: tuple[str, ...] = ()

    def children(self) -> tuple[tuple[str, Resource], ...]:
        """Nested lists accepted on create (field name, resource), written after the parent in one transaction."""
        return ()

    def owner(self, ctx: EventContext) -> Doc:
        owner = ctx.parent if self.owner_field != "event" else ctx.event
        if owner is None:
            raise RuntimeError(f"{self.table} need their {self.owner_field} in the request")
        return owner

    def owner_key(self, ctx: EventContext) -> Any:
        """What the owner field of this resource's documents holds: the owner's id."""
        return self.owner(ctx)["id"]

    def list(self, tx: Transaction, ctx: EventContext, filters: dict[str, Any], ordering: str | None) -> list[dict]:
        """Return the owner's documents that pass `filters`, ordered."""
        docs = tx.find(self.table, **{self.owner_field: self.owner_key(ctx)})
        for name in self.equality_filters:
            if name in filters:
                docs = [doc for doc in docs if doc.get(name) == filters[name]]
        docs = self.filter(tx, ctx, docs, filters)
        return order_documents(docs, ordering, self.orderings, self.default_ordering)

    # `builtins.list`: in this class body, `list` is the method above.
    def filter(
        self, tx: Transaction, ctx: EventContext, docs: builtins.list[dict], filters: dict[str, Any]
    ) -> builtins.list[dict]:
        return docs

    def get(self, tx: Transaction, ctx: EventContext, doc_id: Any) -> dict:
        """Return one document of the owner; raise NotFound otherwise."""
        doc = tx.get(self.table, doc_id)
        if doc is None or doc.get(self.owner_field) != self.owner_key(ctx):
            raise NotFound()
        return doc

    def create(self, tx: Transaction, ctx: EventContext, data: dict, now: datetime) -> dict:
        """Validate and insert a new document; raise ValidationFailed on bad input."""
        self.validate(tx, ctx, data, None, now)
        fields = self.prepare(tx, ctx, dict(data), None, now)
        nested = {name: fields.pop(name, None) or [] for name, _ in self.children()}
        fields[self.owner_field] = self.owner_key(ctx)
        if self.owner_field != "event" and ctx.event is not None:
            fields["event"] = ctx.event["id"]
        doc = tx.insert(self.table, fields)
        self.after_write(tx, ctx, doc, None, now)
        child_ctx = EventContext(ctx.organizer, ctx.event, doc)
        for name, resource in self.children():
            for entry in nested[name]:
                resource.create(tx, child_ctx, entry, now)
        self.changed(tx, ctx, now)
        return doc

    def update(self, tx: Transaction, ctx: EventContext, doc: Doc, changes: dict, now: datetime) -> dict:
        """Validate `changes` against the merged document and store them; raise ValidationFailed on bad input."""
        merged = {**doc, **changes}
        self.validate(tx, ctx, merged, doc, now)
        fields = self.prepare(tx, ctx, dict(changes), doc, now)
        for name, _ in self.children():
            fields.pop(name, None)
        updated = tx.update(self.table, doc["id"], fields)
        self.after_write(tx, ctx, updated, doc, now)
        self.changed(tx, ctx, now)
        return updated

    def delete(self, tx: Transaction, ctx: EventContext, doc: Doc, now: datetime) -> None:
        """Delete the document and what belongs to it; raise PermissionDenied if it is in use."""
        self.check_deletable(tx, ctx, doc)
        self.cascade_delete(tx, ctx, doc)
        tx.delete(self.table, doc["id"])
        self.changed(tx, ctx, now)

    def changed(self, tx: Transaction, ctx: EventContext, now: datetime) -> None:
        """Hook after every write; catalog resources note it for their lists' Last-Modified."""
        catalog_changed(tx, ctx, now)

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        """Raise ValidationFailed if `data` (the whole new state) breaks a rule."""

    def prepare(self, tx: Transaction, ctx: EventContext, fields: dict, existing: Doc | None, now: datetime) -> dict:
        """Return the fields to store, given validated input (on update: only the changed fields)."""
        return fields

    def after_write(self, tx: Transaction, ctx: EventContext, doc: dict, previous: Doc | None, now: datetime) -> None:
        """Hook for related writes that must happen in the same transaction."""

    def check_deletable(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        """Raise PermissionDenied if the document may not be deleted."""

    def cascade_delete(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        """Delete or detach what refers to the document."""

    def present(
        self, tx: Transaction, ctx: EventContext, doc: dict, now: datetime, options: Mapping[str, Any] = {}
    ) -> dict:
        """Return the document with its computed fields, ready for the output schema.

        `options` are the request's validated query parameters, for fields shown only on request.
        """
        return doc


def catalog_changed(tx: Transaction, ctx: EventContext, now: datetime) -> None:
    """Note when the event's catalog last changed, for the lists' Last-Modified.

    One time for the whole catalog: a change anywhere (a deletion cascades across resources) counts as a
    change of every catalog list, which can only make a client fetch a list it did not need to.
    """
    if ctx.event is not None:
        tx.update("events", ctx.event["id"], {"catalog_modified": format_datetime(now)})


def catalog_modified(event: Doc) -> datetime | None:
    """When the event's catalog last changed (its creation, if never since); None if not known."""
    stamp = event.get("catalog_modified")
    return parse_datetime(stamp) if stamp else None
