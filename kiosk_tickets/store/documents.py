"""Stored documents: their compact form in memory (`Record`), owned copies (`thaw`) and read-only views.

A document held by the store is a `Record`: a tuple of its values followed by its `Shape`, which names
its fields in order and holds the values None, True and False itself; one shape serves every document
with the same fields holding the same of those values. A nested object is a `Record` too and a nested
list a tuple. Compared with a dict per document this takes about a quarter of the memory (no
per-document hash table, no per-document copies of the field names, no room for the many fields that
are None), and short strings that recur (prices, statuses, languages) are shared. Nothing is left out:
a document thawed again equals, key order and types included, the one that was frozen.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

# A stored document as read: a view (`peek`, `scan`) or a copy; code that owns a copy may say `dict`.
Doc = Mapping[str, Any]

# Strings up to this length are shared between documents: the ones that recur in thousands of documents
# (prices, tax rates, statuses, languages, currencies) are short. Longer ones (secrets, names, emails,
# timestamps) are mostly unique, and sharing them would only cost a table entry each.
_SHARED_STRING_LENGTH = 8


class Shape(tuple):
    """The field names of a kind of document: the tuple of those whose values a `Record` holds, in order.

    Fields that hold None, True or False are the shape's own (`constants`) and take no room in the
    record: most fields of most documents hold None. One object exists per distinct kind of document.
    """

    fields: tuple[str, ...]  # every field, in the document's order
    positions: dict[str, int]  # field -> its index in the record
    constants: dict[str, Any]  # field -> the value the shape holds for it
    declaration: tuple[tuple[int, Any], ...]  # (index in `fields`, value) of each constant
    template: dict[str, Any] | None  # every field in order, constants filled in; None without constants


class Record(tuple):
    """A document in compact form: the values its `Shape` does not hold, in order, then the shape itself.

    Zipping a record with its shape (`zip(record[-1], record, strict=False)`) pairs each field with its
    value and leaves the shape out, without copying.
    """

    __slots__ = ()


_shapes: dict[tuple[tuple[str, ...], tuple[tuple[int, Any], ...]], Shape] = {}
_EMPTY_LIST: tuple[()] = ()


def shape_of(fields: tuple[str, ...], constants: tuple[tuple[int, Any], ...] = ()) -> Shape:
    """Return the one `Shape` of documents with these fields, holding the values `constants` names."""
    key = (fields, constants)
    shape = _shapes.get(key)
    if shape is None:
        held = {index for index, _ in constants}
        shape = Shape(sys.intern(name) for index, name in enumerate(fields) if index not in held)
        shape.fields = tuple(sys.intern(name) for name in fields)
        shape.positions = {name: index for index, name in enumerate(shape)}
        shape.constants = {fields[index]: value for index, value in constants}
        shape.declaration = constants
        shape.template = {name: shape.constants.get(name) for name in shape.fields} if constants else None
        shape = _shapes.setdefault(key, shape)
    return shape


def make_record(fields: tuple[str, ...], values: list[Any]) -> Record:
    """Return the `Record` of a document whose `fields` hold `values` (already in compact form)."""
    constants = tuple([(index, value) for index, value in enumerate(values) if value is None or type(value) is bool])
    if constants:
        values = [value for value in values if not (value is None or type(value) is bool)]
    values.append(shape_of(fields, constants))
    return Record(values)


def freeze(value: Any) -> Any:
    """Return JSON-shaped data (dicts, lists, scalars) in compact form: dicts as `Record`s, lists as tuples."""
    kind = type(value)
    if kind is dict:
        return make_record(tuple(value), [freeze(item) for item in value.values()])
    if kind is list:
        return tuple([freeze(item) for item in value]) if value else _EMPTY_LIST
    if kind is str and len(value) <= _SHARED_STRING_LENGTH:
        return sys.intern(value)
    return value


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many lasting objects are made at once, then resume it.

    The collector runs after every 700 new containers and, every tenth and hundredth time, looks through
    all older ones too: reading a store of 100,000 order positions set off passes over the growing tables
    that took longer than the reading itself (1.2-1.5 s instead of 0.5 s). What is made here (documents,
    indexes, counts) holds no reference cycles, so nothing is left for the collector to find afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def is_short_string(value: Any) -> bool:
    """Return True if `value` is a string short enough to be shared between documents."""
    return type(value) is str and len(value) <= _SHARED_STRING_LENGTH


def thaw(value: Any) -> Any:
    """Return a plain, owned copy (dicts and lists) of data in compact form; scalars as they are."""
    kind = type(value)
    if kind is Record:
        shape = value[-1]
        pairs = zip(shape, value, strict=False)
        if shape.template is None:
            return {key: thaw(item) if type(item) in _COMPACT else item for key, item in pairs}
        doc = shape.template.copy()
        for key, item in pairs:
            doc[key] = thaw(item) if type(item) in _COMPACT else item
        return doc
    if kind is tuple:
        return [thaw(item) if type(item) in _COMPACT else item for item in value]
    return value


def fields_of(record: Record) -> dict[str, Any]:
    """Return every field of `record` with its value in compact form, in the document's order."""
    shape = record[-1]
    if shape.template is None:
        return dict(zip(shape, record, strict=False))
    fields = shape.template.copy()
    fields.update(zip(shape, record, strict=False))
    return fields


_COMPACT = (Record, tuple)


def is_compact(value: Any) -> bool:
    """Return True if `value` is a nested document or list in compact form (not a scalar)."""
    return type(value) in _COMPACT


def field(record: Record, name: str, default: Any = None) -> Any:
    """Return the value of field `name` of `record` in compact form, or `default` if it has no such field."""
    shape = record[-1]
    index = shape.positions.get(name)
    if index is None:
        return shape.constants.get(name, default)
    return record[index]


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
        shape = self.record[-1]
        index = shape.positions.get(key)
        if index is None:
            return shape.constants[key]
        value = self.record[index]
        return thaw(value) if type(value) in _COMPACT else value

    def get(self, key: str, default: Any = None) -> Any:
        shape = self.record[-1]
        index = shape.positions.get(key)
        if index is None:
            return shape.constants.get(key, default)
        value = self.record[index]
        return thaw(value) if type(value) in _COMPACT else value

    def __contains__(self, key: object) -> bool:
        shape = self.record[-1]
        return key in shape.positions or key in shape.constants

    def __iter__(self) -> Iterator[str]:
        return iter(self.record[-1].fields)

    def __len__(self) -> int:
        return len(self.record[-1].fields)


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
        return key == "id" or FrozenDocument.__contains__(self, key)

    def __iter__(self) -> Iterator[str]:
        yield "id"
        yield from self.record[-1].fields

    def __len__(self) -> int:
        return len(self.record[-1].fields) + 1


class FrozenTable(Mapping[int, FrozenDocument]):
    """A stored table (id -> document) seen as views of its documents, without copying any."""

    __slots__ = ("records",)

    def __init__(self, records: Mapping[int, Record]) -> None:
        self.records = records

    def __getitem__(self, key: int) -> FrozenDocument:
        return FrozenDocument(self.records[key])

    def __iter__(self) -> Iterator[int]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def items(self) -> Iterator[tuple[int, FrozenDocument]]:  # type: ignore[override]
        for key, record in self.records.items():
            yield key, FrozenDocument(record)

    def values(self) -> Iterator[FrozenDocument]:  # type: ignore[override]
        for record in self.records.values():
            yield FrozenDocument(record)

    def rows(self, *names: str) -> Iterator[tuple[Any, ...]]:
        """Yield `(id, value of each field in names, ...)` for every document, None for a field it lacks.

        For counting over a whole table at once: a few fields of 100,000 documents come out several times
        faster than through a view of each. Meant for scalar fields: a nested value comes in compact form.
        """
        # By the shape's identity: shapes that hold different constants compare equal as tuples.
        readers: dict[int, Callable[[Record], tuple[Any, ...]]] = {}
        for doc_id, record in self.records.items():
            shape = record[-1]
            reader = readers.get(id(shape))
            if reader is None:
                reader = readers[id(shape)] = _row_reader(shape, names)
            yield (doc_id, *reader(record))


def _row_reader(shape: Shape, names: tuple[str, ...]) -> Callable[[Record], tuple[Any, ...]]:
    """Return what takes the values of `names` out of a record of `shape`, as a tuple."""
    # Fields the shape holds (or lacks) are read from a tuple of their values put after the record's own.
    width = len(shape) + 1
    held: list[Any] = []
    indexes = []
    for name in names:
        position = shape.positions.get(name)
        if position is None:
            indexes.append(width + len(held))
            held.append(shape.constants.get(name))
        else:
            indexes.append(position)
    if len(indexes) == 1:
        index, extra = indexes[0], tuple(held)
        return lambda record: ((record + extra)[index],)
    read = itemgetter(*indexes)
    if not held:
        return read
    constants = tuple(held)
    return lambda record: read(record + constants)


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
    before, after = fields_of(old), fields_of(new)
    removed = [key for key in before if key not in after]
    if old[-1].fields != new[-1].fields:
        kept = [key for key in before if key in after]
        added = [key for key in after if key not in before]
        if kept + added != list(after):
            return None
    changed = {}
    for key, value in after.items():
        if key not in before or not same(before[key], value):
            changed[key] = thaw(value)
    return changed, removed


def patch(old: Record, changed: Mapping[str, Any], removed: list[str]) -> Record:
    """Return `old` with the fields of `changed` set (new ones last) and those in `removed` taken away."""
    values = fields_of(old)
    for key in removed:
        del values[key]
    for key, value in changed.items():
        values[key] = freeze(value)
    return make_record(tuple(values), list(values.values()))
