"""Configuration: defaults, then a config file, then KIOSK_TICKETS_* environment variables, then overrides."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATA_DIR": "data",
    # How long a request waits for the store lock before answering 409 with Retry-After.
    "LOCK_TIMEOUT": 10.0,
    # Cart reservations last this long unless the event says otherwise.
    "RESERVATION_MINUTES": 30,
    # A body larger than this is refused with 413 before anything parses it.
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "PAGE_SIZE": 50,
    "IDEMPOTENCY_HOURS": 24,
    # Pending orders are expired when this much time has passed without payment (pretix's default).
    "PAYMENT_TERM_DAYS": 14,
    # Paper of ticket PDFs unless the event's settings choose another: A4, A5, A6, letter, "ticket-2x5.5in"
    # (the 2" x 5.5" stock of thermal ticket printers, landscape) or "roll-80mm" (a receipt roll, cut per ticket).
    "TICKET_PAGE_FORMAT": "A4",
    # Signs session cookies; empty means the key generated into the data directory (file `secret_key`).
    "SECRET_KEY": "",
    # A browser signed in to the screens is signed out this many hours after signing in.
    "SESSION_HOURS": 12,
    # `serve` writes a line per request to stderr in the Common Log Format; false turns it off.
    "ACCESS_LOG": True,
    # `serve` waits for the system clock to be synchronised with a time server before it serves (a box whose
    # clock has no battery would otherwise start at a wrong time; see clock_sync).
    "REQUIRE_SYNCED_CLOCK": False,
}

_ENV_PREFIX = "KIOSK_TICKETS_"


def _coerce(value: str, like: Any) -> Any:
    if isinstance(like, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    return value


def load_config(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Return the merged configuration; later sources win over earlier ones."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    config_file = config_file or environ.get(_ENV_PREFIX + "CONFIG")
    if config_file:
        config.update(json.loads(Path(config_file).read_text(encoding="utf-8")))
    for key, default in DEFAULTS.items():
        raw = environ.get(_ENV_PREFIX + key)
        if raw is not None:
            config[key] = _coerce(raw, default)
    if overrides:
        config.update(overrides)
    return config
