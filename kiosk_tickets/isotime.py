"""The one text form of a moment in the store and on the wire: ISO 8601 in UTC with a Z suffix."""

from __future__ import annotations

from datetime import UTC, datetime


def format_datetime(moment: datetime) -> str:
    """Return `moment` in UTC as ISO 8601 with a Z suffix, the form every stored datetime has."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_datetime(text: str) -> datetime:
    """Return the aware datetime of a stored ISO 8601 string (naive values are taken as UTC)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
