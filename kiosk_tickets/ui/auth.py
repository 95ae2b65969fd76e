"""Signing in with an API token (typed, or scanned from a badge), the session, and who may open which screen.

The session (Flask's signed cookie) holds the token's id and when the sign-in happened, never the token.
Each request reads the token again, so revoking it (`kiosk-tickets token revoke`) signs its browsers out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..context import get_store, now
from ..errors import NotAuthenticated
from ..services.auth import Principal, token_principal, token_principal_by_id
from . import bp
from .i18n import LANGUAGES, N_, choose, keep_language, language, restore_language

_TOKEN_ID = "token_id"
_SIGNED_IN = "signed_in"


@dataclass(frozen=True)
class Screen:
    """A screen in the header: where it is, its label, and the permission it needs."""

    endpoint: str
    label: str
    permission: str


SCREENS = (
    Screen("ui.sell", N_("Sell"), "orders.create"),
    Screen("ui.orders", N_("Orders"), "orders.create"),
    Screen("ui.door", N_("Door"), "checkin"),
    Screen("ui.overview", N_("Overview"), "reports.read"),
    Screen("ui.devices", N_("Devices"), "devices.manage"),
)


def screens_for(principal: Principal | None) -> list[Screen]:
    if principal is None:
        return []
    return [screen for screen in SCREENS if principal.may(screen.permission, principal.organizer)]


def _session_principal() -> tuple[Principal | None, str | None]:
    """The principal of this browser's session, or None with why the session ended (None if there was none)."""
    token_id = session.get(_TOKEN_ID)
    if token_id is None:
        return None, None
    try:
        signed_in = datetime.fromisoformat(session.get(_SIGNED_IN, ""))
    except (TypeError, ValueError):
        signed_in = None
    lifetime = timedelta(hours=float(current_app.config["SESSION_HOURS"]))
    if signed_in is None or now() - signed_in >= lifetime:
        return None, _("Your sign-in has expired. Sign in again.")
    with get_store().transaction() as tx:
        principal = token_principal_by_id(tx, token_id)
    if principal is None:
        return None, _("Your token is no longer active. Sign in with another one.")
    return principal, None


@bp.before_request
def load_principal() -> None:
    principal, ended = _session_principal()
    if ended is not None:
        chosen = keep_language()
        session.clear()
        restore_language(chosen)
        flash(ended)
    g.principal = principal
    g.screens = screens_for(principal)


@bp.app_context_processor
def header() -> dict[str, Any]:
    principal = g.get("principal")
    return {
        "principal": principal,
        "screens": g.get("screens", []),
        "scope": principal.role if principal else None,
        "languages": LANGUAGES,
        "language": language(),
    }


def _local_target(target: str | None) -> str | None:
    """A path on this site outside the API to go to after signing in; None for anything else."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\", "/api/")):
        return None
    return target


def screen(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Guard a view: a signed-out browser goes to sign-in, a principal without `permission` gets a 403 page.
    The view receives the principal as its first argument."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal: Principal | None = g.principal
            if principal is None:
                return redirect(url_for("ui.signin", next=request.path))
            if not principal.may(permission, principal.organizer):
                abort(403, _("The %(scope)s scope of your token does not include this screen.", scope=principal.role))
            return view(principal, *args, **kwargs)

        return guarded

    return decorate


@bp.route("/", methods=["GET", "POST"])
def signin() -> Response | str | tuple[str, int]:
    """Sign in (signed out), or the list of screens (signed in)."""
    target = _local_target(request.values.get("next"))
    if request.method == "GET":
        if g.principal is not None:
            return render_template("ui/home.html")
        return render_template("ui/signin.html", next=target)
    credential = request.form.get("token", "").strip()
    try:
        if not credential:
            raise NotAuthenticated("Type or scan your token.")
        with get_store().transaction() as tx:
            principal = token_principal(tx, credential)
    except NotAuthenticated:
        message = _("Type or scan your token.") if not credential else _("This token is not valid, or it was revoked.")
        return render_template("ui/signin.html", next=target, error=message)
    chosen = keep_language()
    session.clear()
    restore_language(chosen)
    session.permanent = True
    session[_TOKEN_ID] = principal.id
    session[_SIGNED_IN] = now().isoformat()
    screens = screens_for(principal)
    if target is None and screens:
        target = url_for(screens[0].endpoint)
    return redirect(target or url_for("ui.signin"))


@bp.post("/signout")
def signout() -> Response:
    chosen = keep_language()
    session.clear()
    restore_language(chosen)
    flash(_("You are signed out."))
    return redirect(url_for("ui.signin"))


@bp.get("/language/<code>")
def set_language(code: str) -> Response:
    """The header's switch: remember the language (en, de) in the session, back to the page it was chosen on."""
    choose(code)
    return redirect(_local_target(request.args.get("next")) or url_for("ui.signin"))
