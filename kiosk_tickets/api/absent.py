"""pretix resources this server has none of, answered as the valid empty lists they are.

Scanning apps download these on every sync (event series, badge layouts, reusable media) and abort the
whole sync on a 404 with a JSON body, so each is a real, empty, paginated list.
"""

from __future__ import annotations

from collections.abc import Callable

from marshmallow import Schema

from ..isotime import format_datetime
from ..store import Transaction
from .endpoint import RequestContext, endpoint
from .pagination import Listing
from .urls import EVENT, ORG, bp


class NothingSchema(Schema):
    """The entries of a list that is always empty."""


# (rule, name, permission, what the list would hold)
ABSENT = (
    (ORG + "/subevents/", "organizer_subevents", "organizer.read", "Dates of event series: single events only here."),
    (EVENT + "/subevents/", "event_subevents", "organizer.read", "Dates of an event series: single events only here."),
    (EVENT + "/badgelayouts/", "badge_layouts", "catalog.read", "Layouts for printing badges at the door: none."),
    (EVENT + "/badgeitems/", "badge_items", "catalog.read", "Which product prints which badge layout: none."),
    (ORG + "/reusablemedia/", "reusable_media", "orders.read", "NFC cards and wristbands linked to tickets: none."),
)


def _empty_list(name: str, doc: str) -> Callable[[Transaction, RequestContext], Listing]:
    def view(tx: Transaction, ctx: RequestContext) -> Listing:
        # Incremental lists carry the moment they were made, which a client sends back as its next cursor.
        return Listing([], headers={"X-Page-Generated": format_datetime(ctx.now)})

    view.__name__, view.__doc__ = name, doc
    return view


for rule, name, permission, doc in ABSENT:
    bp.add_url_rule(
        rule, name, endpoint(permission, dump=NothingSchema, listing=True)(_empty_list(name, doc)), methods=["GET"]
    )
