"""HTML error pages for every path outside the API."""

from __future__ import annotations

from flask import Response, make_response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed this way",
    413: "Too much data",
    500: "Something went wrong",
}


def error_page(error: HTTPException) -> Response:
    """The error as a page with the site's header, its status code kept."""
    code = error.code or 500
    if isinstance(error, CSRFError):
        message = "This form was out of date or came from another page. Go back, reload the page and try again."
    elif code == 500:
        message = "The server could not finish this request. Try again; if it happens again, tell the organiser."
    else:
        message = error.description or ""
    response = make_response(
        render_template("ui/error.html", code=code, title=TITLES.get(code, "Error"), message=message), code
    )
    valid_methods = getattr(error, "valid_methods", None)
    if code == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response
