"""Secondary indexes: for each indexed field, which documents hold which value, kept current with every change."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Collection, Mapping
from typing import Any

from .documents import Record, collector_paused, field, is_compact, thaw

# Secondary indexes: (table, field). A list-valued field is indexed by each of its elements.
INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    "organizers": ("slug",),
    "events": ("organizer",),
    "api_tokens": ("token_hash", "organizer"),
    "idempotency_keys": ("key_hash",),
    "categories": ("event",),
    "taxrules": ("event",),
    "items": ("event", "category"),
    "variations": ("item", "event"),
    "addons": ("item", "addon_category"),
    "bundles": ("item", "bundled_item", "bundled_variation"),
    "quotas": ("event", "items", "variations"),
    "questions": ("event", "items"),
    "question_options": ("question",),
    "vouchers": ("event", "code_key", "item", "quota", "block_quota"),
    "cartpositions": ("event", "cart_id", "item", "variation", "voucher", "addon_to"),
    "orders": ("event", "code"),
    "orderpositions": ("order", "event", "item", "variation", "secret", "voucher", "addon_to", "pseudonymization_id"),
    "orderfees": ("order",),
    "checkinlists": ("event",),
    "checkins": ("position", "list", "nonce", "event"),
    "devices": ("organizer", "api_token_hash", "initialization_token"),
    "printlogs": ("position",),
    "ticket_signing_keys": ("event",),
    "revoked_secrets": ("event", "secret", "position"),
    "ticketlayouts": ("event", "items"),
}

_EMPTY: tuple[int, ...] = ()
# A bucket of up to this many ids is a sorted tuple; a larger one a sorted array of 8-byte ids.
_TUPLE_BUCKET = 16

# The ids of the documents holding one value: one id alone (most indexed values, such as secrets and
# codes, are unique), a sorted tuple, or a sorted array. A set would cost some 200 bytes for two ids and
# 40 bytes an id when large; an array costs 8. New ids are the largest, so adding one appends.
Bucket = int | tuple[int, ...] | array


class Indexes:
    """The indexes of `INDEXED_FIELDS` over the store's tables, and lookups through them.

    For each table and field: value -> the bucket of ids of the documents holding it. None is not
    indexed: most documents hold None in most of their indexed fields (a position without variation,
    voucher or add-on), and a criterion of None is checked on the documents instead.

    An index is built at the first lookup through it, from all the table's documents at once, and then
    kept current: the store calls `add` and `remove` for every change it applies, undoes or reads from
    the journal, and `clear` when it loads a snapshot. So start-up reads documents only, and indexes no
    lookup of the process uses take neither time nor memory.
    """

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, dict[Any, Bucket]]] = {}

    def clear(self) -> None:
        """Forget every index (the tables were replaced); each is built again at its next lookup."""
        self._tables = {}

    def add(self, table: str, doc_id: int, doc: Record) -> None:
        """Index the document `doc_id` of `table`, now stored as `doc`."""
        for name, index in self._tables.get(table, {}).items():
            value = field(doc, name)
            if value is None:
                continue
            for key in value if type(value) is tuple else (value,):
                bucket = index.get(key)
                if bucket is None:
                    index[key] = doc_id
                elif type(bucket) is int:
                    if bucket != doc_id:
                        index[key] = (bucket, doc_id) if bucket < doc_id else (doc_id, bucket)
                elif type(bucket) is tuple:
                    if doc_id not in bucket:
                        grown = sorted((*bucket, doc_id))
                        index[key] = tuple(grown) if len(grown) <= _TUPLE_BUCKET else array("q", grown)
                else:
                    _insert(bucket, doc_id)  # type: ignore[arg-type]

    def remove(self, table: str, doc_id: int, doc: Record) -> None:
        """Forget the document `doc_id` of `table`, which was stored as `doc`."""
        for name, index in self._tables.get(table, {}).items():
            value = field(doc, name)
            if value is None:
                continue
            for key in value if type(value) is tuple else (value,):
                bucket = index.get(key)
                if bucket is None:
                    continue
                if type(bucket) is int:
                    if bucket == doc_id:
                        del index[key]
                elif type(bucket) is tuple:
                    if doc_id in bucket:
                        rest = tuple(other for other in bucket if other != doc_id)
                        index[key] = rest[0] if len(rest) == 1 else rest
                else:
                    position = bisect_left(bucket, doc_id)  # type: ignore[arg-type]
                    if position < len(bucket) and bucket[position] == doc_id:  # type: ignore[arg-type,index]
                        del bucket[position]  # type: ignore[union-attr]
                        if len(bucket) <= _TUPLE_BUCKET:  # type: ignore[arg-type]
                            index[key] = tuple(bucket)  # type: ignore[arg-type]

    def ids(self, table: str, docs: Mapping[int, Record], criteria: Mapping[str, Any]) -> list[int]:
        """Return, in id order, the ids of documents in `docs` whose fields equal `criteria` (list fields: contain).

        `docs` is the raw table `table` (id -> document); fields without an index are
        compared on the documents.
        """
        indexes = self._tables.get(table, {})
        missing = [
            name
            for name, value in criteria.items()
            if value is not None and name not in indexes and name in INDEXED_FIELDS.get(table, ())
        ]
        if missing:
            indexes = self._tables.setdefault(table, {})
            with collector_paused():
                indexes.update(_collect(tuple(missing), docs))
        if len(criteria) == 1:
            # One indexed criterion, as most lookups of a request are (a token, a slug, an item's quotas): its
            # bucket is the answer, already in id order, without the general case's dictionaries and sorting.
            ((name, value),) = criteria.items()
            index = indexes.get(name)
            if index is not None and value is not None:
                found = index.get(value)
                if found is None:
                    return []
                if type(found) is int:
                    return [found] if found in docs else []
                return [doc_id for doc_id in found if doc_id in docs]  # type: ignore[union-attr]
        # Walk the smallest bucket and check the other criteria on the documents: no large set is copied.
        smallest_name: str | None = None
        smallest: Collection[int] = _EMPTY
        for name, value in criteria.items():
            index = indexes.get(name)
            if index is None or value is None:
                continue
            bucket = _bucket(index.get(value))
            if not bucket:
                return []  # no document holds this value
            if smallest_name is None or len(bucket) < len(smallest):
                smallest_name, smallest = name, bucket
        rest = [(name, wanted) for name, wanted in criteria.items() if name != smallest_name]
        result = []
        for doc_id in smallest if smallest_name is not None else docs:
            doc = docs.get(doc_id)
            if doc is None:
                continue
            for name, wanted in rest:
                if not _matches(field(doc, name), wanted):
                    break
            else:
                result.append(doc_id)
        result.sort()
        return result


def _bucket(found: Bucket | None) -> Collection[int]:
    if found is None:
        return _EMPTY
    return (found,) if type(found) is int else found  # type: ignore[return-value]


def _collect(fields: tuple[str, ...], docs: Mapping[int, Record]) -> dict[str, dict[Any, Bucket]]:
    """Return the indexes of `fields` over all of `docs` at once (faster than adding them one by one)."""
    collected: dict[str, dict[Any, Any]] = {name: {} for name in fields}
    indexes = [(name, collected[name]) for name in fields]
    for doc_id, doc in docs.items():
        shape = doc[-1]
        positions = shape.positions
        for name, index in indexes:
            position = positions.get(name)
            value = shape.constants.get(name) if position is None else doc[position]
            if value is None:
                continue
            for value_key in value if type(value) is tuple else (value,):
                found = index.get(value_key)
                if found is None:
                    index[value_key] = doc_id
                elif type(found) is int:
                    index[value_key] = [found, doc_id]
                else:
                    found.append(doc_id)
    for index in collected.values():
        for value_key, found in index.items():
            if type(found) is list:
                found = sorted(set(found))
                if len(found) == 1:
                    index[value_key] = found[0]
                else:
                    index[value_key] = tuple(found) if len(found) <= _TUPLE_BUCKET else array("q", found)
    return collected


def _insert(bucket: array, doc_id: int) -> None:
    """Put `doc_id` into the sorted array `bucket` unless it is there."""
    if not bucket or bucket[-1] < doc_id:
        bucket.append(doc_id)
        return
    position = bisect_left(bucket, doc_id)
    if bucket[position] != doc_id:
        bucket.insert(position, doc_id)


def _matches(actual: Any, wanted: Any) -> bool:
    """`actual` is in compact form: a list field matches a value it contains."""
    if is_compact(actual):
        actual = thaw(actual)
    if isinstance(actual, list) and not isinstance(wanted, list):
        return wanted in actual
    return bool(actual == wanted)
