"""The events a screen works on: the signed-in organizer's events, one of them by its slug, and the page that
chooses one (skipped when there is only one)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..context import get_store
from ..services.auth import Principal
from ..services.common import i18n_text
from ..services.resources import EventContext
from ..store import Transaction


def events_of(tx: Transaction, organizer: str) -> list[dict]:
    """The organizer's events, the earliest first."""
    return sorted(tx.find("events", organizer=organizer), key=lambda e: (e["date_from"] or "", e["id"]))


def event_context(tx: Transaction, principal: Principal, slug: str) -> EventContext:
    """The principal's organizer and its event with this slug; a 404 page for any other."""
    organizer = tx.find_one("organizers", slug=principal.organizer)
    event = tx.find_one("events", organizer=principal.organizer, slug=slug)
    if organizer is None or event is None:
        abort(404, _("There is no such event."))
    return EventContext(organizer, event)


def choose_event(
    principal: Principal, endpoint: str, template: str, starts: Callable[[Mapping[str, Any]], str], **page: Any
) -> Response | str:
    """The page choosing the event for the screen at `endpoint`; with one event only, that event's screen.

    The template gets `events` as (slug, name, when it starts, as `starts` words it) and `page`.
    """
    with get_store().transaction() as tx:
        events = events_of(tx, principal.organizer)
    if len(events) == 1:
        return redirect(url_for(endpoint, event=events[0]["slug"]))
    shown = [(e["slug"], i18n_text(e["name"]), starts(e)) for e in events]
    return render_template(template, events=shown, endpoint=endpoint, **page)
