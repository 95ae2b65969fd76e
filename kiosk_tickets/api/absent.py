"""pretix resources this server has none of, answered as the valid empty lists they are.

Scanning apps download these on every sync (event series, badge layouts, reusable media) and abort the
whole sync on a 404 with a JSON body, so each is a real, empty, paginated list.
"""

from __future__ import annotations

from marshmallow import Schema

from ..isotime import format_datetime
from ..store import Transaction
from .endpoint import RequestContext, endpoint
from .pagination import Listing
from .urls import EVENT, ORG, bp


class NothingSchema(Schema):
    """The entries of a list that is always empty."""


def _nothing(ctx: RequestContext) -> Listing:
    # Incremental lists carry the moment they were made, which a client sends back as its next cursor.
    return Listing([], headers={"X-Page-Generated": format_datetime(ctx.now)})


@bp.get(ORG + "/subevents/")
@endpoint("organizer.read", dump=NothingSchema, listing=True)
def organizer_subevents(tx: Transaction, ctx: RequestContext) -> Listing:
    """Dates of event series: this server has single events only."""
    return _nothing(ctx)


@bp.get(EVENT + "/subevents/")
@endpoint("organizer.read", dump=NothingSchema, listing=True)
def event_subevents(tx: Transaction, ctx: RequestContext) -> Listing:
    """Dates of an event series: this server has single events only."""
    return _nothing(ctx)


@bp.get(EVENT + "/badgelayouts/")
@endpoint("catalog.read", dump=NothingSchema, listing=True)
def badge_layouts(tx: Transaction, ctx: RequestContext) -> Listing:
    """Layouts for printing badges at the door: none."""
    return _nothing(ctx)


@bp.get(EVENT + "/badgeitems/")
@endpoint("catalog.read", dump=NothingSchema, listing=True)
def badge_items(tx: Transaction, ctx: RequestContext) -> Listing:
    """Which product prints which badge layout: none."""
    return _nothing(ctx)


@bp.get(ORG + "/reusablemedia/")
@endpoint("orders.read", dump=NothingSchema, listing=True)
def reusable_media(tx: Transaction, ctx: RequestContext) -> Listing:
    """NFC cards and wristbands linked to tickets: none."""
    return _nothing(ctx)
