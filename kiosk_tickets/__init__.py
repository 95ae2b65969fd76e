"""kiosk-tickets: an offline box-office server that speaks the pretix REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Return the WSGI app for the data directory named in `config` (merged over defaults and environment)."""
    # The web stack is imported only here: what imports the store alone (a command, a backup, a benchmark) does
    # not pay its memory (some 70 MiB) and import time (most of a second).
    from .app import make_app

    return make_app(config)
