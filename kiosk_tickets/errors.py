"""The exception tree of kiosk-tickets; each class knows its HTTP status and pretix error body.

    KioskError
    ├── ValidationFailed        400  {"field": ["message"], …} or ["message"]
    ├── BadRequest              400  {"detail": "…"}
    ├── NotAuthenticated        401  {"detail": "…"}
    ├── PermissionDenied        403  {"detail": "…"}
    ├── NotFound                404  {"detail": "Not found."}
    ├── Conflict                409  {"detail": "…"}
    │   └── StoreBusy           409  + Retry-After (the store lock could not be had in time)
    └── StoreCorrupt            500  the data directory cannot be read (never raised for client input)
"""

from __future__ import annotations

from typing import Any


class KioskError(Exception):
    """Base class: an error that has a defined HTTP answer."""

    status_code = 500
    default_detail = "A server error occurred."

    def __init__(self, detail: Any = None) -> None:
        self.detail = self.default_detail if detail is None else detail
        super().__init__(self.detail)

    def body(self) -> Any:
        """Return the JSON-serialisable body pretix sends for this error."""
        return {"detail": self.detail}

    def headers(self) -> dict[str, str]:
        return {}


class ValidationFailed(KioskError):
    """Input was rejected; `detail` is a field → messages mapping or a list of messages."""

    status_code = 400

    def __init__(self, detail: Any) -> None:
        if isinstance(detail, str):
            detail = [detail]
        super().__init__(detail)

    def body(self) -> Any:
        return self.detail

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        """Return an error naming one field with one message."""
        return cls({name: [message]})

    @classmethod
    def non_field(cls, message: str) -> ValidationFailed:
        return cls({"non_field_errors": [message]})

    def as_fields(self) -> dict[str, Any]:
        """The errors as a field mapping: a bare list of messages is put under `non_field_errors`.

        For errors that become one entry of a nested list, where DRF always shows an object.
        """
        return self.detail if isinstance(self.detail, dict) else {"non_field_errors": self.detail}


class BadRequest(KioskError):
    status_code = 400
    default_detail = "Bad request."


class NotAuthenticated(KioskError):
    status_code = 401
    default_detail = "Authentication credentials were not provided."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Token"}


class PermissionDenied(KioskError):
    status_code = 403
    default_detail = "You do not have permission to perform this action."


class NotFound(KioskError):
    status_code = 404
    default_detail = "Not found."


class Conflict(KioskError):
    status_code = 409
    default_detail = "Conflict."


class StoreBusy(Conflict):
    """The store lock was held by someone else for longer than the configured bound."""

    default_detail = "The server was unable to acquire a lock and could not process your request."
    retry_after_seconds = 5

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class StoreCorrupt(KioskError):
    """The data directory holds something this version cannot read."""

    status_code = 500
