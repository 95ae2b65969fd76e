"""What every web presentation of the services shares: the store, the clock and event settings of the app.

The pretix API, the screens and the device API all read these through here, so none of them spells out
where the app keeps its store or how settings fall back to the server's defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, current_app
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from .services import clock_guard, ticket_secrets
from .services.events import event_setting
from .services.events import event_settings as merged_settings
from .store import Store, Transaction

_STORE_KEY = "kiosk_tickets.store"


def init_store(app: Flask, store: Store) -> None:
    """Make `store` the app's store (tests swap it per test)."""
    app.extensions[_STORE_KEY] = store


def get_store(app: Flask | None = None) -> Store:
    """The store of `app`, or of the app handling this request."""
    store: Store = (app or current_app).extensions[_STORE_KEY]
    return store


def now(tx: Transaction | None = None) -> datetime:
    """The current time: the app's injectable clock, guarded so that it never falls behind the newest moment the
    store recorded (see `services.clock_guard`). Inside a request's transaction it reads that transaction;
    a caller that holds it passes it as `tx`, which spares opening it once more."""
    if tx is not None:
        return clock_guard.now(tx, system_time())
    with get_store().transaction() as current:
        return clock_guard.now(current, system_time())


def system_time() -> datetime:
    """The app's clock as it is, unguarded: only for telling whether it is behind."""
    moment: datetime = current_app.config["CLOCK"]()
    return moment


def event_settings(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event's settings over the server's configured defaults."""
    defaults = {
        "reservation_time": current_app.config["RESERVATION_MINUTES"],
        "payment_term_days": current_app.config["PAYMENT_TERM_DAYS"],
        ticket_secrets.SETTING: ticket_secrets.DEFAULT_GENERATOR,
        "ticket_page_format": current_app.config["TICKET_PAGE_FORMAT"],
        "logo_image": None,
    }
    return merged_settings(event, defaults)


def reservation_time(event: Mapping[str, Any]) -> timedelta:
    """How long a cart position of the event holds its quota."""
    # Read at every cart position: this one setting, not all of them merged.
    return timedelta(minutes=event_setting(event, "reservation_time", current_app.config["RESERVATION_MINUTES"]))


def payment_term(event: Mapping[str, Any]) -> timedelta:
    """How long a pending order of the event waits for its payment."""
    return timedelta(days=event_settings(event)["payment_term_days"])


def ticket_page_format(event: Mapping[str, Any]) -> str:
    """The paper the event's tickets are printed on."""
    page_format: str = event_settings(event)["ticket_page_format"]
    return page_format


class SessionsOutsideTheApi(SecureCookieSessionInterface):
    """Signed-cookie sessions for the screens only: the API authenticates every request by its credential,
    and opening a session (a signer built per request) would cost each API request some 60 µs for nothing."""

    def __init__(self, is_api_path: Callable[[str], bool]) -> None:
        self.is_api_path = is_api_path

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.is_api_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)
