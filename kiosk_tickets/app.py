"""The WSGI app: the API and the screens over the store of one data directory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from . import api, ui
from .api.errors import http_error_response
from .api.urls import bp as api_bp
from .config import load_config
from .context import SessionsOutsideTheApi, init_store
from .store import Store


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RuleBuildingOnDemand(Rule):
    """A URL rule that compiles its URL builders when a URL is first built from it, not when it is added.

    Werkzeug compiles two builders for every rule as the app is made (Python source, parsed and compiled):
    about 0.1 s of every start-up for the app's 160 rules, most of which never build a URL (the API's views
    build none). Werkzeug binds what this returns to the rule and calls it with the same arguments either way.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_builder = super()._compile_builder
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = compile_builder(append_unknown)
            return compiled(rule, *args, **kwargs)

        return build


def make_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Return the WSGI app for the data directory named in `config` (merged over defaults and environment)."""
    settings = load_config(config)
    app = Flask(__name__)
    app.url_rule_class = RuleBuildingOnDemand
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
