"""Routes of cart positions: quota held for a sale in progress."""

from __future__ import annotations

from typing import Any

from .. import schemas
from ..context import reservation_time
from ..isotime import format_datetime
from ..services import carts
from ..services.auth import OVERRIDE
from ..store import Transaction
from . import present
from .endpoint import RequestContext, endpoint, object_answer
from .http import json_response
from .pagination import Listing
from .urls import EVENT, bp


def _may_override(ctx: RequestContext) -> bool:
    """Whether the principal may set prices the catalog does not list."""
    return ctx.principal.may(OVERRIDE, ctx.organizer["slug"])


@bp.get(EVENT + "/cartpositions/")
@endpoint("carts.read", dump=schemas.CartPositionSchema, listing=True)
def cart_list(tx: Transaction, ctx: RequestContext) -> Listing:
    headers = {"X-Page-Generated": format_datetime(ctx.now)}
    return Listing(carts.list_positions(tx, ctx.target), present.cart, headers)


@bp.get(EVENT + "/cartpositions/<object_id>/")
@endpoint("carts.read", dump=schemas.CartPositionSchema)
def cart_detail(tx: Transaction, ctx: RequestContext, object_id: str) -> dict:
    return present.cart(carts.get(tx, ctx.target, object_id))


@bp.post(EVENT + "/cartpositions/")
@endpoint("carts.write", body=schemas.CartPositionCreateSchema, dump=schemas.CartPositionCreatedSchema, status=201)
def cart_create(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    position = carts.create(tx, ctx.target, body, ctx.now, reservation_time(ctx.event), may_override=_may_override(ctx))
    return present.cart(position)


@bp.post(EVENT + "/cartpositions/bulk_create/")
@endpoint(
    "carts.write",
    body=schemas.CartPositionCreateSchema,
    many=True,
    responses={200: object_answer("One result per entry: success, errors and the created position")},
)
def cart_bulk_create(tx: Transaction, ctx: RequestContext, body: list) -> Any:
    """Each entry on its own; pretix answers 200 with a result object per entry."""
    results = []
    outcomes = carts.bulk_create(
        tx, ctx.target, body, ctx.now, reservation_time(ctx.event), may_override=_may_override(ctx)
    )
    for result in outcomes:
        if isinstance(result, schemas.ValidationFailed):
            results.append({"success": False, "errors": result.as_fields(), "data": None})
        else:
            created = schemas.dump(schemas.CartPositionCreatedSchema, present.cart(result))
            results.append({"success": True, "errors": None, "data": created})
    return json_response({"results": results})


@bp.delete(EVENT + "/cartpositions/<object_id>/")
@endpoint("carts.write")
def cart_delete(tx: Transaction, ctx: RequestContext, object_id: str) -> None:
    carts.delete(tx, ctx.target, carts.get(tx, ctx.target, object_id))
