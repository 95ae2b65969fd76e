"""Routes of organizers, events, event settings and the catalog: categories, tax rules, items and what hangs
from them, quotas, questions, vouchers."""

from __future__ import annotations

from typing import Any

from flask import Response

from .. import schemas
from ..context import event_settings as settings_of
from ..services import catalog, events, questions, vouchers
from ..services.common import order_documents
from ..services.quotas import availability
from ..store import Transaction
from . import present
from .collections import register_collection
from .endpoint import RequestContext, endpoint, object_answer
from .http import json_response, ordering
from .pagination import Listing
from .urls import EVENT, ORG, bp

# ---------------------------------------------------------------------------------------- organizers and events


@bp.get("/organizers/")
@endpoint("organizer.read", dump=schemas.OrganizerSchema, listing=True)
def organizer_list(tx: Transaction, ctx: RequestContext) -> Listing:
    organizers = tx.find("organizers", slug=ctx.principal.organizer)
    return Listing(order_documents(organizers, ordering(), ("slug", "name"), "slug"), present.organizer)


@bp.get(ORG + "/")
@endpoint("organizer.read", dump=schemas.OrganizerSchema)
def organizer_detail(tx: Transaction, ctx: RequestContext) -> dict:
    return present.organizer(ctx.organizer)


def _event_out(tx: Transaction, ctx: RequestContext, event: dict) -> dict:
    shown = events.EVENTS.present(tx, ctx.target, event, ctx.now, {})
    return present.event(shown, ctx.organizer["slug"])


@bp.get(ORG + "/events/")
@endpoint(
    "organizer.read",
    query=schemas.EventListQuery,
    dump=schemas.instance(schemas.EventSchema, ("valid_keys",)),
    listing=True,
)
def event_list(tx: Transaction, ctx: RequestContext, query: dict) -> Listing:
    found = events.EVENTS.list(tx, ctx.target, {**query, "now": ctx.now}, ordering())
    seen = [event for event in found if ctx.principal.sees_event(event["slug"])]
    return Listing(seen, lambda event: _event_out(tx, ctx, event))


@bp.post(ORG + "/events/")
@endpoint("events.write", body=schemas.EventSchema, dump=schemas.EventSchema, status=201)
def event_create(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    return _event_out(tx, ctx, events.EVENTS.create(tx, ctx.target, body, ctx.now))


@bp.get(EVENT + "/")
@endpoint("organizer.read", dump=schemas.EventSchema)
def event_detail(tx: Transaction, ctx: RequestContext) -> dict:
    return _event_out(tx, ctx, dict(ctx.event))


@bp.route(EVENT + "/", methods=["PATCH", "PUT"])
@endpoint("events.write", body=schemas.EventSchema, dump=schemas.EventSchema)
def event_update(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    return _event_out(tx, ctx, events.EVENTS.update(tx, ctx.target, dict(ctx.event), body, ctx.now))


@bp.delete(EVENT + "/")
@endpoint("events.write")
def event_delete(tx: Transaction, ctx: RequestContext) -> None:
    events.EVENTS.delete(tx, ctx.target, dict(ctx.event), ctx.now)


@bp.get(EVENT + "/settings/")
@endpoint(
    "catalog.read",
    query=schemas.ExplainQuery,
    dump=schemas.EventSettingsSchema,
    responses={200: object_answer("The settings; with explain=true, each with label, help text and read-only flag")},
)
def event_settings(tx: Transaction, ctx: RequestContext, query: dict) -> Response | dict:
    values = settings_of(ctx.event)
    if query.get("explain"):
        return json_response(schemas.explained(schemas.instance(schemas.EventSettingsSchema), values))
    return values


@bp.patch(EVENT + "/settings/")
@endpoint("events.write", body=schemas.EventSettingsSchema, dump=schemas.EventSettingsSchema)
def event_settings_update(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    events.update_event_settings(tx, ctx.event, body, ctx.now)
    return settings_of(tx.referenced("events", ctx.event["id"]))


# ---------------------------------------------------------------------------------------- the catalog

register_collection(
    EVENT + "/categories/",
    "categories",
    catalog.CATEGORIES,
    schemas.CategorySchema,
    query=schemas.CategoryListQuery,
    conditional=True,
)
register_collection(EVENT + "/taxrules/", "taxrules", catalog.TAXRULES, schemas.TaxRuleSchema, conditional=True)
register_collection(
    EVENT + "/items/",
    "items",
    catalog.ITEMS,
    schemas.ItemSchema,
    query=schemas.ItemListQuery,
    update_schema=schemas.ItemUpdateSchema,
    conditional=True,
)
register_collection(
    EVENT + "/items/<item>/variations/",
    "variations",
    catalog.VARIATIONS,
    schemas.VariationSchema,
    query=schemas.VariationListQuery,
)
register_collection(EVENT + "/items/<item>/addons/", "addons", catalog.ADDONS, schemas.AddOnSchema)
register_collection(EVENT + "/items/<item>/bundles/", "bundles", catalog.BUNDLES, schemas.BundleSchema)
register_collection(
    EVENT + "/quotas/", "quotas", catalog.QUOTAS, schemas.QuotaSchema, query=schemas.QuotaListQuery, conditional=True
)
register_collection(
    EVENT + "/questions/",
    "questions",
    questions.QUESTIONS,
    schemas.QuestionSchema,
    query=schemas.QuestionListQuery,
    conditional=True,
)
register_collection(
    EVENT + "/questions/<question>/options/", "options", questions.OPTIONS, schemas.QuestionOptionSchema
)
register_collection(
    EVENT + "/vouchers/", "vouchers", vouchers.VOUCHERS, schemas.VoucherSchema, query=schemas.VoucherListQuery
)


@bp.get(EVENT + "/quotas/<object_id>/availability/")
@endpoint("catalog.read", dump=schemas.AvailabilitySchema)
def quota_availability(tx: Transaction, ctx: RequestContext, object_id: str) -> dict[str, Any]:
    return availability(tx, catalog.QUOTAS.get(tx, ctx.target, object_id), ctx.now)


@bp.post(EVENT + "/vouchers/batch_create/")
@endpoint("catalog.write", body=schemas.VoucherSchema, many=True, dump=schemas.VoucherSchema, status=201)
def voucher_batch_create(tx: Transaction, ctx: RequestContext, body: list) -> list[dict]:
    """All vouchers or none: one error object per entry ({} for the valid ones) if any entry is invalid."""
    if any(isinstance(entry, schemas.ValidationFailed) for entry in body):
        raise schemas.ValidationFailed(
            [entry.detail if isinstance(entry, schemas.ValidationFailed) else {} for entry in body]
        )
    return vouchers.VOUCHERS.batch_create(tx, ctx.target, body, ctx.now)
