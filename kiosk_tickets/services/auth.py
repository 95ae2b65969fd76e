"""Principals and API tokens: creation, hashed storage, constant-time authentication, what each scope may do."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..errors import NotAuthenticated, PermissionDenied, ValidationFailed
from ..isotime import format_datetime
from ..store import Transaction

# Setting what the catalog and quota would otherwise decide when selling: `force` past quota, ticket secrets,
# prices the catalog does not list (on orders and cart positions).
OVERRIDE = "orders.override"

# What each scope may do. A permission names a resource family and an action.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "organizer.read",
            "events.write",
            "catalog.read",
            "catalog.write",
            "carts.read",
            "carts.write",
            "orders.read",
            "orders.create",
            "orders.status",
            "orders.write",
            OVERRIDE,
            "tickets.download",
            "checkin",
            "reports.read",
            "devices.manage",
        }
    ),
    "boxoffice": frozenset(
        {
            "organizer.read",
            "catalog.read",
            "carts.read",
            "carts.write",
            "orders.read",
            "orders.create",
            "orders.status",
            "tickets.download",
        }
    ),
    "checkin": frozenset({"organizer.read", "orders.read", "checkin"}),
}
SCOPES = tuple(SCOPE_PERMISSIONS)
_TOKEN_ALPHABET = string.ascii_lowercase + string.digits
_TOKEN_LENGTH = 64


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(tx: Transaction, organizer: str, scope: str, now: datetime, name: str = "") -> tuple[str, dict]:
    """Store a new token for `organizer`; return the token in clear text (shown once) and its record."""
    if scope not in SCOPE_PERMISSIONS:
        raise ValidationFailed.field("scope", f'"{scope}" is not a valid choice.')
    if tx.find_one("organizers", slug=organizer) is None:
        raise ValidationFailed.field("organizer", f'Organizer "{organizer}" does not exist.')
    token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_LENGTH))
    record = tx.insert(
        "api_tokens",
        {
            "organizer": organizer,
            "scope": scope,
            "name": name,
            "token_hash": hash_token(token),
            "created": format_datetime(now),
            "active": True,
        },
    )
    return token, record


class PrincipalKind(StrEnum):
    """What kind of credential a principal presented."""

    TOKEN = "token"
    DEVICE = "device"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    """Who makes a request: the organizer it acts for, what it may do, and which credential it is.

    Every presentation (the pretix API, the screens, the device API) authenticates to one of these and asks
    it the same question, so a permission means the same wherever it is checked.
    """

    kind: PrincipalKind
    id: int
    organizer: str
    permissions: frozenset[str]
    name: str = ""
    role: str = ""  # what the permissions are called: a token's scope
    # The slugs of the organizer's events it may see; None for all of them.
    events: frozenset[str] | None = None

    def may(self, permission: str, organizer: str) -> bool:
        return organizer == self.organizer and permission in self.permissions

    def sees_event(self, slug: str) -> bool:
        return self.events is None or slug in self.events

    @property
    def device(self) -> int | None:
        """The device that acts, which check-ins record; an API token is none."""
        return self.id if self.kind == PrincipalKind.DEVICE else None


# Who asks on the few routes that take no credential; it may do nothing.
ANONYMOUS = Principal(PrincipalKind.ANONYMOUS, 0, "", frozenset())


def token_principal(tx: Transaction, credential: str) -> Principal:
    """The principal of an API token given in clear text; raise NotAuthenticated if it is not an active token."""
    presented = hash_token(credential)
    record = next(iter(tx.scan("api_tokens", token_hash=presented)), None)
    # The lookup is by hash, which leaks nothing useful; the comparison is constant-time all the same.
    if record is None or not record["active"] or not hmac.compare_digest(record["token_hash"], presented):
        raise NotAuthenticated("Invalid token.")
    return _principal_of(record)


def token_principal_by_id(tx: Transaction, token_id: Any) -> Principal | None:
    """The principal of the token with this id, if it is still active (a session keeps the id, not the token)."""
    record = tx.peek("api_tokens", token_id) if isinstance(token_id, int) else None
    return _principal_of(record) if record is not None and record["active"] else None


def _principal_of(record: Mapping[str, Any]) -> Principal:
    return Principal(
        PrincipalKind.TOKEN,
        record["id"],
        record["organizer"],
        SCOPE_PERMISSIONS.get(record["scope"], frozenset()),
        record["name"],
        record["scope"],
    )


def require(principal: Principal, organizer: str, permission: str) -> None:
    """Raise PermissionDenied unless `principal` acts for `organizer` and may do `permission`."""
    if not principal.may(permission, organizer):
        raise PermissionDenied()


def list_tokens(tx: Transaction, organizer: str | None = None) -> list[dict]:
    if organizer is None:
        return tx.all("api_tokens")
    return tx.find("api_tokens", organizer=organizer)


def revoke_token(tx: Transaction, token_id: int) -> dict:
    """Deactivate a token; raise ValidationFailed if there is no such token."""
    if tx.get("api_tokens", token_id) is None:
        raise ValidationFailed.field("id", f"There is no token with id {token_id}.")
    return tx.update("api_tokens", token_id, {"active": False})
