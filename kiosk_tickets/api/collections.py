"""List, create, detail, update and delete routes for a catalog-like resource, from one declaration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response
from marshmallow import Schema

from .. import schemas
from ..services import catalog, questions
from ..services.resources import EventContext, Resource, catalog_modified
from ..store import Transaction
from .endpoint import NOT_MODIFIED_ANSWER, RequestContext, endpoint
from .http import conditional_list, json_response, ordering
from .pagination import Listing, paginate
from .urls import bp

# Nested resources hang from an object of the event named in their URL.
PARENTS: dict[str, Resource] = {"item": catalog.ITEMS, "question": questions.QUESTIONS}


def _target(tx: Transaction, ctx: RequestContext, url_args: dict[str, Any]) -> EventContext:
    """The event, and the parent object a nested resource's URL names (404 if it is not one of the event's)."""
    for name, resource in PARENTS.items():
        if name in url_args:
            parent = resource.get(tx, ctx.target, url_args[name])
            return EventContext(ctx.target.organizer, ctx.target.event, parent)
    return ctx.target


def register_collection(
    rule: str,
    name: str,
    resource: Resource,
    schema: type[Schema],
    *,
    read: str = "catalog.read",
    write: str = "catalog.write",
    query: type[Schema] | None = None,
    update_schema: type[Schema] | None = None,
    conditional: bool = False,
    finish: Callable[[EventContext, dict], dict] | None = None,
) -> None:
    """Add list, create, detail, update (PATCH/PUT) and delete views for one resource.

    With `conditional`, the list sends Last-Modified and answers If-Modified-Since (pretix does so for the
    catalog lists), except when it shows availability, which changes with every sale. `query` holds the
    list's filters and the options of what every view shows. `finish` adds what only the HTTP layer knows
    (absolute URLs) to each presented object.
    """

    answers = {304: NOT_MODIFIED_ANSWER} if conditional else None

    def find_target(tx: Transaction, ctx: RequestContext, **url_args: Any) -> EventContext:
        return _target(tx, ctx, url_args)

    def find_object(tx: Transaction, ctx: RequestContext, object_id: str, **url_args: Any) -> tuple[EventContext, dict]:
        target = _target(tx, ctx, url_args)
        return target, resource.get(tx, target, object_id)

    def presenter(
        tx: Transaction, target: EventContext, ctx: RequestContext, options: Mapping[str, Any] | None
    ) -> Callable[[dict], dict]:
        if finish is None:
            return lambda doc: resource.present(tx, target, doc, ctx.now, options or {})
        return lambda doc: finish(target, resource.present(tx, target, doc, ctx.now, options or {}))

    @endpoint(read, lookup=find_target, query=query, dump=schema, listing=True, responses=answers)
    def list_view(tx: Transaction, ctx: RequestContext, target: EventContext, query: dict | None = None) -> Any:
        filters = query or {}
        listing = Listing(resource.list(tx, target, filters, ordering()), presenter(tx, target, ctx, filters))
        if conditional and not filters.get("with_availability"):
            assert target.event is not None
            page = lambda: json_response(paginate(listing, schemas.instance(schema)))  # noqa: E731
            return conditional_list(catalog_modified(target.event), page)
        return listing

    @endpoint(write, lookup=find_target, body=schema, query=query, dump=schema, status=201)
    def create_view(
        tx: Transaction, ctx: RequestContext, target: EventContext, body: dict, query: dict | None = None
    ) -> dict:
        return presenter(tx, target, ctx, query)(resource.create(tx, target, body, ctx.now))

    @endpoint(read, lookup=find_object, query=query, dump=schema)
    def detail_view(
        tx: Transaction, ctx: RequestContext, found: tuple[EventContext, dict], query: dict | None = None
    ) -> dict:
        target, doc = found
        return presenter(tx, target, ctx, query)(doc)

    @endpoint(write, lookup=find_object, body=update_schema or schema, query=query, dump=schema)
    def update_view(
        tx: Transaction, ctx: RequestContext, found: tuple[EventContext, dict], body: dict, query: dict | None = None
    ) -> dict:
        target, doc = found
        return presenter(tx, target, ctx, query)(resource.update(tx, target, doc, body, ctx.now))

    @endpoint(write, lookup=find_object)
    def delete_view(tx: Transaction, ctx: RequestContext, found: tuple[EventContext, dict]) -> Response | None:
        target, doc = found
        resource.delete(tx, target, doc, ctx.now)
        return None

    bp.add_url_rule(rule, f"{name}_list", list_view, methods=["GET"])
    bp.add_url_rule(rule, f"{name}_create", create_view, methods=["POST"])
    detail = rule + "<object_id>/"
    bp.add_url_rule(detail, f"{name}_detail", detail_view, methods=["GET"])
    bp.add_url_rule(detail, f"{name}_update", update_view, methods=["PATCH", "PUT"])
    bp.add_url_rule(detail, f"{name}_delete", delete_view, methods=["DELETE"])
