"""pretix's REST API (/api/v1): the request pipeline, the presenters, and the routes per area."""

from __future__ import annotations

from flask import Flask

from . import absent, carts, catalog, checkin, devices, openapi, orders, ticketlayouts  # noqa: F401  (each module adds its routes to the blueprint)
from .errors import register_error_handlers
from .urls import bp

register_error_handlers(bp)


def register(app: Flask) -> None:
    """Serve the API; its errors answer in pretix's JSON (routing errors below its prefix: see `owns`)."""
    app.register_blueprint(bp)


def owns(path: str) -> bool:
    """Whether a path is the API's, for errors raised before any blueprint is chosen (404, 405): every path
    below /api/ is, so a client of another API version gets an answer it can read too."""
    return path.startswith("/api/")


__all__ = ["owns", "register"]
