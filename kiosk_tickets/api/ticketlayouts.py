"""Routes of ticket layouts (pretix's ticketoutputpdf plugin): the collection, and each layout's background PDF."""

from __future__ import annotations

from flask import Response, current_app, request

from .. import schemas
from ..errors import NotFound
from ..services import ticket_layouts
from ..services.resources import EventContext
from ..store import Transaction
from .collections import register_collection
from .endpoint import RequestContext, endpoint
from .urls import EVENT, bp


def _with_background_url(target: EventContext, layout: dict) -> dict:
    """The background as pretix gives it: the URL of the PDF, or null."""
    if not layout.get("background"):
        return {**layout, "background": None}
    assert target.event is not None
    organizer, event = target.organizer["slug"], target.event["slug"]
    url = f"{request.host_url}api/v1/organizers/{organizer}/events/{event}/ticketlayouts/{layout['id']}/background.pdf"
    return {**layout, "background": url}


register_collection(
    EVENT + "/ticketlayouts/",
    "ticketlayouts",
    ticket_layouts.TICKET_LAYOUTS,
    schemas.TicketLayoutSchema,
    finish=_with_background_url,
)


BACKGROUND_ANSWER = {
    "description": "The layout's background PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


@bp.get(EVENT + "/ticketlayouts/<object_id>/background.pdf")
@endpoint("catalog.read", responses={200: BACKGROUND_ANSWER})
def ticketlayout_background(tx: Transaction, ctx: RequestContext, object_id: str) -> Response:
    layout = ticket_layouts.TICKET_LAYOUTS.get(tx, ctx.target, object_id)
    data = ticket_layouts.background_of(layout)
    if data is None:
        raise NotFound()
    return current_app.response_class(data, mimetype="application/pdf")
