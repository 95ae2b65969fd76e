"""What several services share: order statuses, field-error collection, lookups and helpers of no one noun."""

from __future__ import annotations

import os
import re
import secrets
import string
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from ..errors import PermissionDenied, ValidationFailed
from ..isotime import parse_datetime
from ..store import Doc, Transaction


class OrderStatus(StrEnum):
    """pretix's order statuses; stored and sent as the one-letter codes."""

    PENDING = "n"
    PAID = "p"
    EXPIRED = "e"
    CANCELED = "c"


# Every moment is stored in UTC and shown in its event's time zone, whose offset is less than a day either way:
# a moment within a day of the ends of Python's calendar could not be shown, so none is taken.
EARLIEST_MOMENT = datetime(1, 1, 2, tzinfo=UTC)
LATEST_MOMENT = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
OUT_OF_RANGE = "Datetime value out of range."


def representable(moment: datetime) -> bool:
    """Whether an aware moment lies where every time zone can show it."""
    try:
        return EARLIEST_MOMENT <= moment.astimezone(UTC) <= LATEST_MOMENT
    except OverflowError:
        return False


class FieldErrors:
    """Collects field errors so one answer names every bad field, as DRF does."""

    def __init__(self) -> None:
        self.fields: dict[str, list[Any]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        """Raise ValidationFailed with every collected error, if there is one."""
        if self.fields:
            raise ValidationFailed(self.fields)


def invalid_pk(value: Any) -> str:
    """DRF's message for an id that names no object (of the event)."""
    return f'Invalid pk "{value}" - object does not exist.'


LETTERS_AND_DIGITS = string.ascii_uppercase + string.digits


def random_string(alphabet: str, length: int) -> str:
    """Return `length` characters drawn from `alphabet` by `secrets` (fit for codes and secrets)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


class RandomBytes:
    """Bytes from the operating system's random source (`secrets.token_bytes`), fetched `batch` at a time.

    Each fetch is a system call, during which the thread lets the interpreter go: inside a transaction that let
    other requests' threads run while it held the store, and gave it back only once they waited for the store
    themselves. Fetched in batches, a transaction almost never makes one. No byte is handed out twice, and a
    process forked from this one starts with none of its bytes.
    """

    def __init__(self, batch: int = 4096) -> None:
        self._batch = batch
        self._pool = bytearray()
        self._lock = threading.Lock()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        # In a forked child: the parent hands out these bytes too, and another of its threads may have held the lock.
        self._pool = bytearray()
        self._lock = threading.Lock()

    def token_hex(self, nbytes: int) -> str:
        """Return `nbytes` random bytes as hex, as `secrets.token_hex(nbytes)` does."""
        with self._lock:
            if len(self._pool) < nbytes:
                self._pool += secrets.token_bytes(max(self._batch, nbytes))
            taken = bytes(self._pool[:nbytes])
            del self._pool[:nbytes]
        return taken.hex()


RANDOM = RandomBytes()


def unique_value(tx: Transaction, table: str, field: str, make: Callable[[], str]) -> str:
    """A value from `make` that no document of `table` holds in `field` (drawn again until it is so)."""
    while True:
        value = make()
        if tx.find_one(table, **{field: value}) is None:
            return value


def i18n_text(value: Any) -> str:
    """The text of a multi-lingual string: English, else its first language; a plain value as text ('' for None)."""
    if isinstance(value, dict):
        return value.get("en") or next(iter(value.values()), "")
    return str(value or "")


# ---------------------------------------------------------------------------------------- references


def event_object(tx: Transaction, table: str, doc_id: Any, event_id: int) -> dict | None:
    """Return the document of `table` with this id if it belongs to the event, else None."""
    doc = tx.get(table, doc_id) if doc_id is not None else None
    return doc if doc is not None and doc.get("event") == event_id else None


def check_refs(tx: Transaction, event_id: int, data: Doc, refs: Mapping[str, str], errors: FieldErrors) -> None:
    """Add an error for each field in `refs` (field → table) whose non-null id is not an object of the event."""
    for field, table in refs.items():
        value = data.get(field)
        if value is not None and event_object(tx, table, value, event_id) is None:
            errors.add(field, invalid_pk(value))


def check_ref_list(tx: Transaction, event_id: int, data: Doc, field: str, table: str, errors: FieldErrors) -> None:
    """Add one error if an id in the list `field` is not an object of the event in `table`."""
    for value in data.get(field) or []:
        if event_object(tx, table, value, event_id) is None:
            errors.add(field, invalid_pk(value))
            return


def refuse_if_vouchers_point_at(tx: Transaction, field: str, doc: Doc, what: str) -> None:
    """Vouchers restricted to an object would silently apply to everything if it went: raise PermissionDenied."""
    if tx.count("vouchers", event=doc["event"], **{field: doc["id"]}):
        raise PermissionDenied(f"This {what} cannot be deleted because vouchers are attached to it.")


def remove_from_list_field(tx: Transaction, table: str, field: str, value: int) -> None:
    """Remove `value` from the list `field` of every document of `table` that holds it."""
    for doc in tx.find(table, **{field: value}):
        tx.update(table, doc["id"], {field: [entry for entry in doc[field] if entry != value]})


# ---------------------------------------------------------------------------------------- lists

DocT = TypeVar("DocT", bound=Doc)

_STORED_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _sort_key(field: str) -> Callable[[Doc], Any]:
    def key(doc: Doc) -> Any:
        value = doc.get(field)
        if isinstance(value, dict):  # multi-lingual strings sort by their first text
            value = next(iter(value.values()), "")
        elif isinstance(value, str) and _STORED_MOMENT.fullmatch(value):
            # As text, "10:00:00.5Z" would sort before "10:00:00Z".
            value = parse_datetime(value)
        # None sorts first, and values of one field are compared only with their own kind.
        return (value is not None, value if value is not None else 0, doc.get("id", 0))

    return key


def order_documents(docs: Iterable[DocT], ordering: str | None, allowed: Iterable[str], default: str) -> list[DocT]:
    """Return the documents sorted by `ordering` (a field, `-` for descending) if allowed, else by `default`."""
    allowed = set(allowed)
    chosen = ordering if ordering and ordering.lstrip("-") in allowed else default
    field = chosen.lstrip("-")
    return sorted(docs, key=_sort_key(field), reverse=chosen.startswith("-"))


def text_matches(needle: str, *haystacks: Any) -> bool:
    """Case-insensitive substring match against strings and the texts of multi-lingual strings."""
    needle = needle.lower()
    for haystack in haystacks:
        texts = haystack.values() if isinstance(haystack, dict) else [haystack]
        if any(isinstance(text, str) and needle in text.lower() for text in texts):
            return True
    return False
