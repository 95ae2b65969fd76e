"""The screens: server-rendered pages for the staff at the box office and the door.

Sign-in turns an API token into a browser session (the session keeps the token's id, never the token);
every screen then asks the same principal the API would ask (`principal.may(permission, organizer)`).
Each page is a Jinja template of this package; the one CSS and the one JS file are served from `static/`.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask

from .errors import error_page

bp = Blueprint(
    "ui", __name__, template_folder="templates", static_folder="static", static_url_path="/ui/static"
)

from . import auth, devices, door, i18n, orders, overview, sell  # noqa: E402, F401  (each module adds its routes to the blueprint)


def register(app: Flask) -> None:
    """Serve the screens, with session cookies that stay on this site and end after SESSION_HOURS."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config["SESSION_HOURS"]))
    # A form's CSRF token lives as long as the session: a door left idle for an hour must still scan.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    i18n.init(app)
    app.register_blueprint(bp)


__all__ = ["bp", "error_page", "register"]
