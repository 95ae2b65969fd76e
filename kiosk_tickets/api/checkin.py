"""Routes of check-in: lists and their status, redeeming scans (RPC and per list), search, the history, and the
revoked and blocked secrets scanners download."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from .. import schemas
from ..isotime import format_datetime
from ..services import checkin, devices, orders, ticket_secrets
from ..store import Transaction
from . import present
from .collections import register_collection
from .endpoint import RequestContext, endpoint, object_answer
from .http import json_response, ordering, query_args
from .pagination import Listing
from .urls import EVENT, ORG, bp

register_collection(
    EVENT + "/checkinlists/",
    "checkinlists",
    checkin.CHECKIN_LISTS,
    schemas.CheckinListSchema,
    read="checkin",
    write="catalog.write",
    # Scanners fetch the lists on every sync; like the catalog lists, they answer If-Modified-Since.
    conditional=True,
)


@bp.get(EVENT + "/checkinlists/<object_id>/status/")
@endpoint("checkin", responses={200: object_answer("Check-in counts of the list, in total and per product")})
def checkinlist_status(tx: Transaction, ctx: RequestContext, object_id: str) -> Response:
    return json_response(checkin.status(tx, checkin.get_list(tx, ctx.target, object_id), ctx.now))


# pretix answers a scan with these statuses, each with the scan's outcome in the body.
SCAN_ANSWERS = {
    201: object_answer("Checked in (status ok)"),
    200: object_answer("Refused (status error, with the reason)"),
    400: object_answer("Required questions unanswered (status incomplete), the secret is ambiguous, or revoked"),
    404: object_answer("No ticket has this secret"),
}


def _scan(data: dict, ctx: RequestContext) -> checkin.Scan:
    return checkin.Scan(
        lists=data.get("lists") or [],
        secret=data.get("secret") or "",
        type=data["type"],
        force=data["force"],
        ignore_unpaid=data["ignore_unpaid"],
        questions_supported=data["questions_supported"],
        nonce=data["nonce"],
        datetime=data["datetime"],
        answers=data["answers"],
        device=ctx.principal.device,
    )


def _scan_response(ctx: RequestContext, outcome: checkin.Outcome) -> Response:
    """pretix's redeem answer; a refused or unknown scan is an answer too, and its record is kept."""
    body, status = present.scan(outcome, ctx.organizer["slug"])
    if "position" in body:
        body["position"] = schemas.dump(schemas.CheckinPositionSchema, body["position"])
    if "questions" in body:
        body["questions"] = schemas.dump(schemas.QuestionSchema, body["questions"], many=True)
    return json_response(body, status)


@bp.post(ORG + "/checkinrpc/redeem/")
@endpoint("checkin", body=schemas.RedeemRpcSchema, responses=SCAN_ANSWERS)
def checkin_redeem(tx: Transaction, ctx: RequestContext, body: dict) -> Response:
    lists = checkin.lists_for_scan(tx, ctx.organizer, body.get("lists") or [], ctx.principal.sees_event)
    return _scan_response(ctx, checkin.redeem(tx, lists, _scan(body, ctx), ctx.now))


def _list_and_secret(tx: Transaction, ctx: RequestContext, list_id: str, lookup: str) -> tuple[dict, str]:
    """The list (404s before the body is read) and the secret a legacy redeem URL names."""
    checkin_list = checkin.get_list(tx, ctx.target, list_id)
    # A scanning app passes on whatever the camera read: a number there is a barcode, never a position id.
    untrusted = query_args(schemas.UntrustedInputQuery).get("untrusted_input", False) or devices.is_scanner_app(
        tx, ctx.principal
    )
    return checkin_list, checkin.legacy_secret(tx, ctx.target, lookup, untrusted)


# `path`: offline scans arrive with the secret percent-encoded, and a signed secret's "/" (%2F) is decoded
# before routing.
@bp.post(EVENT + "/checkinlists/<list_id>/positions/<path:lookup>/redeem/")
@endpoint("checkin", lookup=_list_and_secret, body=schemas.RedeemSchema, responses=SCAN_ANSWERS)
def checkin_redeem_legacy(tx: Transaction, ctx: RequestContext, found: tuple[dict, str], body: dict) -> Response:
    checkin_list, secret = found
    scan = _scan({**body, "secret": secret}, ctx)
    return _scan_response(ctx, checkin.redeem(tx, [checkin_list], scan, ctx.now))


def _position_out(tx: Transaction, ctx: RequestContext, position: Any) -> dict:
    """A position found on lists of possibly several events, with the links of its own event."""
    event = tx.peek_referenced("events", position["event"])
    order = tx.peek_referenced("orders", position["order"])
    links = present.Links(ctx.organizer["slug"], event["slug"])
    details = orders.position_details(tx, position, order)
    return present.checkin_position(details, links, order, checkin.needs_attention(tx, position, order))


def _search_list_ids() -> list[int]:
    ids = []
    for value in request.args.getlist("list"):
        try:
            ids.append(int(value))
        except ValueError:
            raise schemas.ValidationFailed.field("list", "A valid integer is required.") from None
    return ids


def _search(tx: Transaction, ctx: RequestContext, list_ids: list[int], filters: dict, order_by: str | None) -> Listing:
    lists = checkin.lists_for_scan(tx, ctx.organizer, list_ids, ctx.principal.sees_event)
    found = checkin.search(tx, lists, filters, order_by, filters.get("ignore_status", False), ctx.now)
    return Listing(found, lambda position: _position_out(tx, ctx, position))


@bp.get(ORG + "/checkinrpc/search/")
@endpoint("checkin", query=schemas.CheckinSearchQuery, dump=schemas.CheckinPositionSchema, listing=True)
def checkin_search(tx: Transaction, ctx: RequestContext, query: dict) -> Listing:
    return _search(tx, ctx, _search_list_ids(), query, ordering())


@bp.post(ORG + "/checkinrpc/search/")
@endpoint("checkin", body=schemas.CheckinSearchBodySchema, dump=schemas.CheckinPositionSchema, listing=True)
def checkin_search_body(tx: Transaction, ctx: RequestContext, body: dict) -> Listing:
    """The same search with its parameters in a JSON body: {"lists": [1], "search": "…", …}."""
    list_ids, order_by = body.pop("lists"), body.pop("ordering", None)
    return _search(tx, ctx, list_ids, body, order_by)


@bp.get(EVENT + "/checkinlists/<list_id>/positions/")
@endpoint("checkin", query=schemas.CheckinSearchQuery, dump=schemas.CheckinPositionSchema, listing=True)
def checkinlist_positions(tx: Transaction, ctx: RequestContext, list_id: str, query: dict) -> Listing:
    checkin_list = checkin.get_list(tx, ctx.target, list_id)
    found = checkin.search(tx, [checkin_list], query, ordering(), query.get("ignore_status", False), ctx.now)
    return Listing(found, lambda position: _position_out(tx, ctx, position))


@bp.get(EVENT + "/checkins/")
@endpoint("checkin", query=schemas.CheckinHistoryQuery, dump=schemas.CheckinHistorySchema, listing=True)
def checkin_history(tx: Transaction, ctx: RequestContext, query: dict) -> Listing:
    return Listing(checkin.history(tx, ctx.target, query, ordering()))



@bp.post(EVENT + "/checkinlists/<list_id>/failed_checkins/")
@endpoint("checkin", body=schemas.FailedCheckinSchema, dump=schemas.CheckinHistorySchema, status=201)
def checkin_failed_upload(tx: Transaction, ctx: RequestContext, list_id: str, body: dict) -> dict:
    """A scan a device refused while offline, kept in the list's history."""
    checkin_list = checkin.get_list(tx, ctx.target, list_id)
    return checkin.record_failed(tx, checkin_list, body, ctx.principal.device, ctx.now)


@bp.post(EVENT + "/orderpositions/<object_id>/printlog/")
@endpoint("checkin", body=schemas.PrintLogSchema, dump=schemas.PrintLogSchema, status=201)
def position_printlog(tx: Transaction, ctx: RequestContext, object_id: str, body: dict) -> dict:
    """A ticket or badge a device printed."""
    position = orders.get_position(tx, ctx.target, object_id, ctx.now)
    return orders.record_print(tx, position, body, ctx.principal.device, ctx.now)


# ---------------------------------------------------------------------------------------- secrets scanners refuse
# Incremental lists: a scanner sends the newest `created` (`updated`) it saw back as `created_since`
# (`updated_since`).


@bp.get(EVENT + "/revokedsecrets/")
@endpoint("checkin", query=schemas.RevokedSecretListQuery, dump=schemas.RevokedSecretSchema, listing=True)
def revoked_secret_list(tx: Transaction, ctx: RequestContext, query: dict) -> Listing:
    found = ticket_secrets.list_revoked(tx, ctx.target.event_id, query, ordering())
    return Listing(found, headers={"X-Page-Generated": format_datetime(ctx.now)})


@bp.get(EVENT + "/revokedsecrets/<object_id>/")
@endpoint("checkin", dump=schemas.RevokedSecretSchema)
def revoked_secret_detail(tx: Transaction, ctx: RequestContext, object_id: str) -> dict:
    return ticket_secrets.get_revoked(tx, ctx.target.event_id, object_id)


@bp.get(EVENT + "/blockedsecrets/")
@endpoint("checkin", query=schemas.BlockedSecretListQuery, dump=schemas.BlockedSecretSchema, listing=True)
def blocked_secret_list(tx: Transaction, ctx: RequestContext, query: dict) -> Listing:
    # Tickets cannot be blocked on this server; pretixSCAN still downloads the list, and a missing one would
    # fail its sync (a JSON 404 is not taken for "not implemented"), so it is a valid empty list.
    return Listing([], headers={"X-Page-Generated": format_datetime(ctx.now)})
