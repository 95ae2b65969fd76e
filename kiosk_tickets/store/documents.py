"""Stored documents as the store hands them out: owned copies (`clone`) and read-only views (`StoredDocument`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# A stored document as read: a view (`peek`, `scan`) or a copy; code that owns a copy may say `dict`.
Doc = Mapping[str, Any]


def clone(value: Any) -> Any:
    """Return a deep copy of JSON-shaped data (dicts, lists, scalars), faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone(item) for item in value]
    return value


class StoredDocument(Mapping[str, Any]):
    """A stored document seen without copying it, with its id; never to be changed."""

    __slots__ = ("_id", "_doc")

    def __init__(self, doc_id: int, doc: dict) -> None:
        self._id = doc_id
        self._doc = doc

    def __getitem__(self, key: str) -> Any:
        return self._id if key == "id" else self._doc[key]

    def __iter__(self) -> Iterator[str]:
        yield "id"
        yield from self._doc

    def __len__(self) -> int:
        return len(self._doc) + 1
