"""The WSGI app: the API and the screens over the store of one data directory."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from . import api, ui
from .api.errors import http_error_response
from .api.urls import bp as api_bp
from .config import load_config
from .context import SessionsOutsideTheApi, init_store
from .store import Store


def _utc_now() -> datetime:
    return datetime.now(UTC)


def make_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Return the WSGI app for the data directory named in `config` (merged over defaults and environment)."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.config.setdefault("CLOCK", _utc_now)
    store = Store(settings["DATA_DIR"], lock_timeout=float(settings["LOCK_TIMEOUT"]))
    init_store(app, store)
    app.secret_key = settings["SECRET_KEY"] or store.secret_key()
    app.session_interface = SessionsOutsideTheApi(api.owns)
    api.register(app)
    ui.register(app)
    # Every form of the screens carries a CSRF token; the API authenticates each request by its token instead.
    csrf = CSRFProtect(app)
    csrf.exempt(api_bp)

    @app.errorhandler(HTTPException)
    def routing_error(error: HTTPException) -> Response:
        # Raised before any blueprint is chosen, or outside the API's views: each presentation answers for its
        # own paths, the API in pretix's JSON, everything else as a page.
        if api.owns(request.path):
            return http_error_response(error)
        return ui.error_page(error)

    return app
