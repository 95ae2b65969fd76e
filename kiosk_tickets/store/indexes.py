"""Secondary indexes: for each indexed field, which documents hold which value, kept current with every change."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

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

_EMPTY: frozenset[int] = frozenset()


class Indexes:
    """The indexes of `INDEXED_FIELDS` over the store's tables, and lookups through them.

    For each table and field: value -> id of the one document holding it, or the set of ids when
    several do. The store calls `add` and `remove` for every change it applies, undoes or reads from
    the journal, and `rebuild` when it loads a snapshot.
    """

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, dict[Any, int | set[int]]]] = {}

    def rebuild(self, tables: Mapping[str, Mapping[str, dict]]) -> None:
        """Index every document of `tables` (raw tables: id as a string -> document) from scratch."""
        self._tables = {table: {field: {} for field in fields} for table, fields in INDEXED_FIELDS.items()}
        for table, docs in tables.items():
            for key, doc in docs.items():
                self.add(table, int(key), doc)

    def add(self, table: str, doc_id: int, doc: Mapping[str, Any]) -> None:
        """Index the document `doc_id` of `table`, now stored as `doc`."""
        # A bucket holding one id is the bare id: most indexed values (secrets, codes) are unique, and a
        # set per value would cost some 200 bytes each.
        for field, index in self._tables.get(table, {}).items():
            value = doc.get(field)
            for key in value if isinstance(value, list) else (value,):
                bucket = index.get(key)
                if bucket is None:
                    index[key] = doc_id
                elif isinstance(bucket, int):
                    if bucket != doc_id:
                        index[key] = {bucket, doc_id}
                else:
                    bucket.add(doc_id)

    def remove(self, table: str, doc_id: int, doc: Mapping[str, Any]) -> None:
        """Forget the document `doc_id` of `table`, which was stored as `doc`."""
        for field, index in self._tables.get(table, {}).items():
            value = doc.get(field)
            for key in value if isinstance(value, list) else (value,):
                bucket = index.get(key)
                if bucket is None:
                    continue
                if isinstance(bucket, int):
                    if bucket == doc_id:
                        del index[key]
                else:
                    bucket.discard(doc_id)
                    if len(bucket) == 1:
                        index[key] = next(iter(bucket))

    def ids(self, table: str, docs: Mapping[str, Mapping[str, Any]], criteria: Mapping[str, Any]) -> list[int]:
        """Return, in id order, the ids of documents in `docs` whose fields equal `criteria` (list fields: contain).

        `docs` is the raw table `table` (id as a string -> document); fields without an index are
        compared on the documents.
        """
        indexes = self._tables.get(table, {})
        buckets = {field: _bucket(indexes[field].get(value)) for field, value in criteria.items() if field in indexes}
        rest = dict(criteria)
        candidates: Iterable[int]
        if buckets:
            # Walk the smallest bucket and check the other criteria on the documents: no large set is copied.
            field = min(buckets, key=lambda name: len(buckets[name]))
            candidates = list(buckets[field])
            del rest[field]
        else:
            candidates = (int(key) for key in docs)
        result = []
        for doc_id in candidates:
            doc = docs.get(str(doc_id))
            if doc is not None and all(_matches(doc.get(f), v) for f, v in rest.items()):
                result.append(doc_id)
        result.sort()
        return result


def _bucket(found: int | set[int] | None) -> Collection[int]:
    if found is None:
        return _EMPTY
    return (found,) if isinstance(found, int) else found


def _matches(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, list) and not isinstance(wanted, list):
        return wanted in actual
    return actual == wanted
