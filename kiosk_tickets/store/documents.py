"""Stored documents: their compact form in memory (`Record`), owned copies (`thaw`) and read-only views.

A document held by the store is a `Record`: a tuple of its values followed by its `Shape`, the tuple of
its field names in order, shared by every document with the same fields. A nested object is a `Record`
too and a nested list a tuple. Compared with a dict per document this takes about a quarter of the
memory (no per-document hash table, no per-document copies of the field names), and short strings that
recur (prices, statuses, languages) are shared. Nothing is left out: a document thawed again equals, key
order included, the one that was frozen.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

# A stored document as read: a view (`peek`, `scan`) or a copy; code that owns a copy may say `dict`.
Doc = Mapping[str, Any]

# Strings up to this length are shared between documents: the ones that recur in thousands of documents
# (prices, tax rates, statuses, languages, currencies) are short. Longer ones (secrets, names, emails,
# timestamps) are mostly unique, and sharing them would only cost a table entry each.
_SHARED_STRING_LENGTH = 8


class Shape(tuple):
    """The field names of a document, in order, with the position of each; one object per distinct tuple."""

    positions: dict[str, int]


class Record(tuple):
    """A document in compact form: its values in the order of its `Shape`, then the shape itself.

    Zipping a record with its shape (`zip(record[-1], record, strict=False)`) pairs each field with its
    value and leaves the shape out, without copying.
    """

    __slots__ = ()


_shapes: dict[tuple[str, ...], Shape] = {}
_EMPTY_LIST: tuple[()] = ()


def shape_of(keys: tuple[str, ...]) -> Shape:
    """Return the one `Shape` of these field names."""
    shape = _shapes.get(keys)
    if shape is None:
        shape = Shape(sys.intern(key) for key in keys)
        shape.positions = {key: index for index, key in enumerate(shape)}
        shape = _shapes.setdefault(keys, shape)
    return shape


def freeze(value: Any) -> Any:
    """Return JSON-shaped data (dicts, lists, scalars) in compact form: dicts as `Record`s, lists as tuples."""
    kind = type(value)
    if kind is dict:
        return Record([*[freeze(item) for item in value.values()], shape_of(tuple(value))])
    if kind is list:
        return tuple([freeze(item) for item in value]) if value else _EMPTY_LIST
    if kind is str and len(value) <= _SHARED_STRING_LENGTH:
        return sys.intern(value)
    return value


def freeze_values(values: list[Any], shape: Shape, nested: tuple[int, ...], short: tuple[int, ...]) -> Record:
    """Return the `Record` of `values` (JSON-shaped, in the order of `shape`): the nested ones are at `nested`,
    the short strings at `short` (which a snapshot says, so that reading one need not look at every value)."""
    for index in nested:
        values[index] = freeze(values[index])
    for index in short:
        values[index] = sys.intern(values[index])
    values.append(shape)
    return Record(values)


def is_short_string(value: Any) -> bool:
    """Return True if `value` is a string short enough to be shared between documents."""
    return type(value) is str and len(value) <= _SHARED_STRING_LENGTH


def thaw(value: Any) -> Any:
    """Return a plain, owned copy (dicts and lists) of data in compact form; scalars as they are."""
    kind = type(value)
    if kind is Record:
        pairs = zip(value[-1], value, strict=False)
        return {key: thaw(item) if type(item) in _COMPACT else item for key, item in pairs}
    if kind is tuple:
        return [thaw(item) if type(item) in _COMPACT else item for item in value]
    return value


_COMPACT = (Record, tuple)


def is_compact(value: Any) -> bool:
    """Return True if `value` is a nested document or list in compact form (not a scalar)."""
    return type(value) in _COMPACT


def field(record: Record, name: str, default: Any = None) -> Any:
    """Return the value of field `name` of `record` in compact form, or `default` if it has no such field."""
    index = record[-1].positions.get(name)
    return default if index is None else record[index]


def clone(value: Any) -> Any:
    """Return a deep copy of JSON-shaped data (dicts, lists, scalars), faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone(item) for item in value]
    return value


class FrozenDocument(Mapping[str, Any]):
    """A stored document seen without copying it; never to be changed. Nested values are handed out as copies."""

    __slots__ = ("record",)

    def __init__(self, record: Record) -> None:
        self.record = record

    def __getitem__(self, key: str) -> Any:
        index = self.record[-1].positions[key]
        value = self.record[index]
        return thaw(value) if type(value) in _COMPACT else value

    def get(self, key: str, default: Any = None) -> Any:
        index = self.record[-1].positions.get(key)
        if index is None:
            return default
        value = self.record[index]
        return thaw(value) if type(value) in _COMPACT else value

    def __contains__(self, key: object) -> bool:
        return key in self.record[-1].positions

    def __iter__(self) -> Iterator[str]:
        return iter(self.record[-1])

    def __len__(self) -> int:
        return len(self.record) - 1


class StoredDocument(FrozenDocument):
    """A stored document seen without copying it, with its id; never to be changed."""

    __slots__ = ("_id",)

    def __init__(self, doc_id: int, record: Record) -> None:
        self._id = doc_id
        self.record = record

    def __getitem__(self, key: str) -> Any:
        return self._id if key == "id" else FrozenDocument.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return self._id if key == "id" else FrozenDocument.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        return key == "id" or key in self.record[-1].positions

    def __iter__(self) -> Iterator[str]:
        yield "id"
        yield from self.record[-1]

    def __len__(self) -> int:
        return len(self.record)


class FrozenTable(Mapping[str, FrozenDocument]):
    """A stored table (id as a string -> document) seen as views of its documents, without copying any."""

    __slots__ = ("records",)

    def __init__(self, records: Mapping[str, Record]) -> None:
        self.records = records

    def __getitem__(self, key: str) -> FrozenDocument:
        return FrozenDocument(self.records[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def items(self) -> Iterator[tuple[str, FrozenDocument]]:  # type: ignore[override]
        for key, record in self.records.items():
            yield key, FrozenDocument(record)

    def values(self) -> Iterator[FrozenDocument]:  # type: ignore[override]
        for record in self.records.values():
            yield FrozenDocument(record)


def as_record(doc: Any) -> Record:
    """Return `doc` (a `Record`, a view of one, or a plain mapping) as a `Record`."""
    if type(doc) is Record:
        return doc
    if type(doc) is FrozenDocument:
        return doc.record
    return freeze(dict(doc))


def same(first: Any, second: Any) -> bool:
    """Return True if two values in compact form are equal and of the same types throughout (1 is not True)."""
    if type(first) is not type(second):
        return False
    if type(first) in _COMPACT:
        return len(first) == len(second) and all(same(a, b) for a, b in zip(first, second, strict=True))
    return bool(first == second)


def difference(old: Record, new: Record) -> tuple[dict[str, Any], list[str]] | None:
    """Return what turns `old` into `new`: the fields set (as plain values) and the fields removed, in the
    form `patch` applies; None if a patch cannot give `new`'s field order (`new` then goes whole)."""
    old_shape, new_shape = old[-1], new[-1]
    old_positions, new_positions = old_shape.positions, new_shape.positions
    removed = [key for key in old_shape if key not in new_positions]
    if new_shape is not old_shape:
        kept = [key for key in old_shape if key in new_positions]
        added = [key for key in new_shape if key not in old_positions]
        if tuple(kept + added) != new_shape:
            return None
    changed = {}
    for key, value in zip(new_shape, new, strict=False):
        index = old_positions.get(key)
        if index is None or not same(old[index], value):
            changed[key] = thaw(value)
    return changed, removed


def patch(old: Record, changed: Mapping[str, Any], removed: list[str]) -> Record:
    """Return `old` with the fields of `changed` set (new ones last) and those in `removed` taken away."""
    values = dict(zip(old[-1], old, strict=False))
    for key in removed:
        del values[key]
    for key, value in changed.items():
        values[key] = freeze(value)
    return Record([*values.values(), shape_of(tuple(values))])
