"""X-Idempotency-Key on the API's writes: a retry is answered with the first answer, never done twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, request

from ..services import idempotency
from ..services.auth import Principal
from ..store import Transaction

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Headers a stored answer keeps: those that tell the client where the result is or when to retry.
KEPT_HEADERS = ("Location", "Retry-After")


@dataclass
class Replay:
    """The idempotency key of this request and, if it was seen before, the answer it got then."""

    identity: str
    key: str
    keep: timedelta
    stored: Response | None

    @classmethod
    def begin(cls, tx: Transaction, principal: Principal, now: datetime) -> Replay | None:
        """None for requests without a key (and for reads, which need none).

        Answers are kept per principal: another token, or the same key after a token was revoked and
        replaced, never sees them.
        """
        # Straight from the WSGI environment, as the pipeline reads the Authorization header.
        key = request.environ.get("HTTP_X_IDEMPOTENCY_KEY") if request.method in WRITE_METHODS else None
        if not key:
            return None
        identity = f"{principal.kind}:{principal.id}"
        keep = timedelta(hours=current_app.config["IDEMPOTENCY_HOURS"])
        record = idempotency.recall(tx, identity, key, now, keep)
        stored = None
        if record is not None:
            stored = current_app.response_class(
                record["body"], status=record["status"], mimetype=record["mimetype"], headers=record["headers"]
            )
        return cls(identity, key, keep, stored)

    def remember(self, tx: Transaction, response: Response, now: datetime) -> None:
        """Store the answer in the request's own transaction, so it commits exactly when the change does."""
        recordable: dict[str, Any] = {
            "status": response.status_code,
            "body": response.get_data(as_text=True),
            "mimetype": response.mimetype,
            "headers": {name: value for name, value in response.headers.items() if name in KEPT_HEADERS},
        }
        idempotency.remember(tx, self.identity, self.key, recordable, now, self.keep)
