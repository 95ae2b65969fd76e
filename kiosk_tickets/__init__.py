"""kiosk-tickets: an offline box-office server that speaks the pretix REST API."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from flask import Flask

from .api import api, register_error_handlers
from .config import load_config
from .store import Store


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Return the WSGI app for the data directory named in `config` (merged over defaults and environment)."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.config.setdefault("CLOCK", utc_now)
    app.extensions["kiosk_tickets.store"] = Store(settings["DATA_DIR"], lock_timeout=float(settings["LOCK_TIMEOUT"]))
    app.register_blueprint(api)
    register_error_handlers(app)
    return app
