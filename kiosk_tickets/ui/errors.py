"""HTML error pages for every path outside the API."""

from __future__ import annotations

from flask import Response, make_response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .i18n import N_

TITLES = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not allowed this way"),
    413: N_("Too much data"),
    500: N_("Something went wrong"),
}


def error_page(error: HTTPException) -> Response:
    """The error as a page with the site's header, its status code kept."""
    code = error.code or 500
    if isinstance(error, CSRFError):
        message = _("This form was out of date or came from another page. Go back, reload the page and try again.")
    elif code == 500:
        message = _("The server could not finish this request. Try again; if it happens again, tell the organiser.")
    else:
        message = error.description or ""
    response = make_response(
        render_template("ui/error.html", code=code, title=_(TITLES.get(code, N_("Error"))), message=message), code
    )
    valid_methods = getattr(error, "valid_methods", None)
    if code == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response
