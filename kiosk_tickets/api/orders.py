"""Routes of orders and order positions: create, list, change status, and download their tickets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Response, current_app

from .. import schemas
from ..context import payment_term, ticket_page_format
from ..errors import NotFound
from ..isotime import format_datetime
from ..services import order_create as creation
from ..services import order_search, orders
from ..services.auth import OVERRIDE
from ..store import Transaction
from . import present
from .endpoint import PDF_ANSWER, AfterCommit, RequestContext, endpoint
from .http import ordering, query_args
from .pagination import Listing
from .urls import EVENT, bp


def _links(ctx: RequestContext) -> present.Links:
    return present.Links(ctx.organizer["slug"], ctx.event["slug"])


def _order(tx: Transaction, ctx: RequestContext, code: str) -> dict:
    return orders.get(tx, ctx.target, code, ctx.now)


def _shown(tx: Transaction, ctx: RequestContext, order: dict) -> dict[str, Any]:
    """The order as every order route answers it; `include_canceled_positions` applies to all of them."""
    include = bool(query_args(schemas.OrderListQuery).get("include_canceled_positions"))
    return present.order(orders.order_details(tx, order, include), _links(ctx))


@bp.get(EVENT + "/orders/")
@endpoint("orders.read", query=schemas.OrderListQuery, dump=schemas.OrderSchema, listing=True)
def order_list(tx: Transaction, ctx: RequestContext, query: dict) -> Listing:
    found = order_search.list_orders(tx, ctx.target, query, ordering(), ctx.now)
    include, links = bool(query.get("include_canceled_positions")), _links(ctx)
    return Listing(
        found,
        lambda order: present.order(orders.order_details(tx, order, include), links),
        {"X-Page-Generated": format_datetime(ctx.now)},
    )


@bp.get(EVENT + "/orders/<code>/")
@endpoint("orders.read", dump=schemas.OrderSchema)
def order_detail(tx: Transaction, ctx: RequestContext, code: str) -> dict:
    return _shown(tx, ctx, _order(tx, ctx, code))


@bp.post(EVENT + "/orders/")
@endpoint("orders.create", body=schemas.OrderCreateSchema, dump=schemas.OrderSchema, status=201)
def order_create(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    settings = creation.OrderSettings(
        payment_term=payment_term(ctx.event), may_override=ctx.principal.may(OVERRIDE, ctx.organizer["slug"])
    )
    if body["simulate"]:
        return present.order_preview(creation.simulate(tx, ctx.target, body, ctx.now, settings), _links(ctx))
    return _shown(tx, ctx, creation.create(tx, ctx.target, body, ctx.now, settings))


# Not partial: no field is required, and a new invoice address gets its defaults like one sent on create.
@bp.patch(EVENT + "/orders/<code>/")
@endpoint("orders.write", body=schemas.OrderUpdateSchema, partial=False, dump=schemas.OrderSchema)
def order_update(tx: Transaction, ctx: RequestContext, code: str, body: dict) -> dict:
    return _shown(tx, ctx, orders.update(tx, _order(tx, ctx, code), body, ctx.now))


@bp.delete(EVENT + "/orders/<code>/")
@endpoint("orders.write")
def order_delete(tx: Transaction, ctx: RequestContext, code: str) -> None:
    orders.delete(tx, _order(tx, ctx, code), ctx.now)


def _register_transitions() -> None:
    """POST …/orders/<code>/<action>/: status changes, each answering with the changed order.

    pretix accepts options such as `send_email` here; none changes what happens on this server.
    """
    simple = {
        "mark_paid": ("orders.status", orders.mark_paid),
        "mark_pending": ("orders.write", orders.mark_pending),
        "mark_expired": ("orders.write", orders.mark_expired),
        "reactivate": ("orders.write", orders.reactivate),
        "approve": ("orders.write", orders.approve),
        "deny": ("orders.write", orders.deny),
    }
    for action, (permission, change) in simple.items():

        def transition(tx: Transaction, ctx: RequestContext, code: str, body: dict, change: Any = change) -> dict:
            return _shown(tx, ctx, change(tx, _order(tx, ctx, code), ctx.now))

        view = endpoint(permission, body=schemas.OrderActionSchema, dump=schemas.OrderSchema)(transition)
        bp.add_url_rule(EVENT + f"/orders/<code>/{action}/", f"order_{action}", view, methods=["POST"])


_register_transitions()


@bp.post(EVENT + "/orders/<code>/mark_canceled/")
@endpoint("orders.status", body=schemas.OrderCancelSchema, dump=schemas.OrderSchema)
def order_mark_canceled(tx: Transaction, ctx: RequestContext, code: str, body: dict) -> dict:
    order = orders.mark_canceled(tx, _order(tx, ctx, code), ctx.now, body["cancellation_fee"])
    return _shown(tx, ctx, order)


@bp.post(EVENT + "/orders/<code>/extend/")
@endpoint("orders.write", body=schemas.OrderExtendSchema, dump=schemas.OrderSchema)
def order_extend(tx: Transaction, ctx: RequestContext, code: str, body: dict) -> dict:
    until = date.fromisoformat(body["expires"])
    order = orders.extend(tx, _order(tx, ctx, code), ctx.now, until, body["force"], ctx.event["timezone"])
    return _shown(tx, ctx, order)


def _pdf(job: orders.TicketPrint, filename: str, event: Mapping[str, Any]) -> AfterCommit:
    """The tickets' data is read now (`job`); the PDF is drawn once the transaction is over."""
    page_format = ticket_page_format(event)

    def build() -> Response:
        response = current_app.response_class(job.render(page_format), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response

    return AfterCommit(build)


@bp.get(EVENT + "/orders/<code>/download/<output>/")
@endpoint("tickets.download", responses={200: PDF_ANSWER})
def order_download(tx: Transaction, ctx: RequestContext, code: str, output: str) -> AfterCommit:
    order = _order(tx, ctx, code)
    if output != "pdf":
        raise NotFound()
    return _pdf(orders.ticket_print(tx, order), f"{ctx.event['slug']}-{order['code']}", ctx.event)


@bp.get(EVENT + "/orderpositions/")
@endpoint("orders.read", query=schemas.OrderPositionListQuery, dump=schemas.OrderPositionSchema, listing=True)
def position_list(tx: Transaction, ctx: RequestContext, query: dict) -> Listing:
    found = order_search.list_positions(tx, ctx.target, query, ordering(), ctx.now)
    links = _links(ctx)

    def shown(position: Any) -> dict:
        order = tx.peek_referenced("orders", position["order"])
        return present.position(orders.position_details(tx, position, order), links)

    return Listing(found, shown, {"X-Page-Generated": format_datetime(ctx.now)})


@bp.get(EVENT + "/orderpositions/<object_id>/")
@endpoint("orders.read", dump=schemas.OrderPositionSchema)
def position_detail(tx: Transaction, ctx: RequestContext, object_id: str) -> dict:
    position = orders.get_position(tx, ctx.target, object_id, ctx.now)
    order = tx.peek_referenced("orders", position["order"])
    return present.position(orders.position_details(tx, position, order), _links(ctx))


@bp.get(EVENT + "/orderpositions/<object_id>/download/<output>/")
@endpoint("tickets.download", responses={200: PDF_ANSWER})
def position_download(tx: Transaction, ctx: RequestContext, object_id: str, output: str) -> AfterCommit:
    position = orders.get_position(tx, ctx.target, object_id, ctx.now)
    if output != "pdf":
        raise NotFound()
    order = tx.referenced("orders", position["order"])
    job = orders.ticket_print(tx, order, position)
    return _pdf(job, f"{ctx.event['slug']}-{order['code']}-{position['positionid']}", ctx.event)
