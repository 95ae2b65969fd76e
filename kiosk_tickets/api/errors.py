"""Errors as the pretix API answers them; the one place its error bodies are made."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from ..errors import KioskError
from .http import json_response

log = logging.getLogger(__name__)


def error_response(error: KioskError) -> Response:
    """Render a typed error as pretix does."""
    return json_response(error.body(), error.status_code, error.headers())


def http_error_response(error: HTTPException) -> Response:
    """Routing and protocol errors (404, 405, 413 …) in pretix's words."""
    messages = {
        404: "Not found.",
        405: f'Method "{request.method}" not allowed.',
        413: "Request body too large.",
    }
    code = error.code or 500
    response = json_response({"detail": messages.get(code, error.description)}, code)
    valid_methods = getattr(error, "valid_methods", None)
    if code == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def unexpected_error_response(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return json_response({"detail": "A server error occurred."}, 500)


def register_error_handlers(bp: Blueprint) -> None:
    """Errors raised inside the API's views; routing errors, raised before any blueprint is chosen, reach
    the app's handlers, which send paths below the API prefix here too."""
    bp.register_error_handler(KioskError, error_response)
    bp.register_error_handler(HTTPException, http_error_response)
    bp.register_error_handler(Exception, unexpected_error_response)
