"""X-Idempotency-Key: remembering a response per token and key so that a retried request is answered, not redone."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from ..isotime import format_datetime
from ..store import Transaction

# pretix does not keep these: they are answers the client is meant to retry.
UNCACHED_STATUSES = frozenset({409, 429, 500, 503})
_SWEEP_BATCH = 20


def key_hash(principal: str, key: str) -> str:
    return hashlib.sha256(f"{principal}\n{key}".encode()).hexdigest()


def recall(tx: Transaction, principal: str, key: str, now: datetime, keep: timedelta) -> dict | None:
    """Return the stored response for this token and key, if one younger than `keep` exists."""
    record = tx.find_one("idempotency_keys", key_hash=key_hash(principal, key))
    if record is None:
        return None
    if datetime.fromisoformat(record["created"]) < now - keep:
        tx.delete("idempotency_keys", record["id"])
        return None
    return record


def remember(
    tx: Transaction, principal: str, key: str, response: dict[str, Any], now: datetime, keep: timedelta
) -> None:
    """Store `response` (status, body, mimetype, headers) unless its status is one clients retry."""
    if response["status"] in UNCACHED_STATUSES:
        return
    tx.insert("idempotency_keys", {"key_hash": key_hash(principal, key), "created": format_datetime(now), **response})
    # Keys are inserted in time order, so the oldest few are the ones that may have expired.
    for record in tx.first("idempotency_keys", _SWEEP_BATCH):
        if datetime.fromisoformat(record["created"]) >= now - keep:
            break
        tx.delete("idempotency_keys", record["id"])
