"""Output schemas dumped by a plan made once per schema, instead of marshmallow's calls per field and value.

Most output schemas name fields that are handed on as the presenters made them (`Raw`), or lists of nested
schemas of such fields. marshmallow spends three or four calls on each such field of each object; the plan
copies it. A field that converts its value (an integer, a date, a function of the object) is still
serialised by that field, in its place among the others. The plan is made from the schema's own
`dump_fields`, so the schema stays the one place that names the output's fields, their order and
`data_key`s; a schema with dump hooks, or a custom `get_attribute`, is dumped by marshmallow itself.

What a plan answers is what `schema.dump(obj, many=…)` answers, key order included (see
tests/test_dumping.py). It reads a value as marshmallow's `get_value` does: `obj[name]`, else the
attribute of that name, so a dict without the key `items` still yields the dict's `items` method there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeGuard, TypeVar

from marshmallow import Schema, fields
from marshmallow.utils import get_value, missing

from .base import instance

Dump = Callable[..., Any]
_Field = TypeVar("_Field", bound=fields.Field)


def _serialises_as(field: fields.Field, kind: type[_Field]) -> TypeGuard[_Field]:
    """Whether the field is a `kind` that reads and serialises its value as `kind` itself does (no override)."""
    own = type(field)
    return (
        isinstance(field, kind)
        and own.serialize is fields.Field.serialize
        and own.get_value is fields.Field.get_value
        and own._serialize is kind._serialize
    )


def _copies_value(field: fields.Field) -> bool:
    """Whether the field hands its value on unchanged, read by its own name, with no default to fill in."""
    return _serialises_as(field, fields.Raw) and field.attribute is None and field.dump_default is missing


def _nested_plan(field: fields.Field) -> tuple[Dump, bool] | None:
    """For a plain `Nested` field, the nested schema's dump and whether it dumps a list; else None."""
    if not _serialises_as(field, fields.Nested):
        return None
    nested = field.schema

    def dump_nested(value: Any, many: bool) -> Any:
        # Looked up when used, not when planned: a schema may nest itself.
        return dumper(nested)(value, many=many)

    return dump_nested, bool(nested.many or field.many)


def _list_of_nested_plan(field: fields.Field) -> tuple[Dump, bool] | None:
    """For a plain `List` of a plain `Nested` field, as `_nested_plan` for its elements; else None."""
    if not _serialises_as(field, fields.List):
        return None
    return _nested_plan(field.inner)


def _value_of(obj: Any, name: str) -> Any:
    # As marshmallow's get_value reads a name without dots: obj[name], else the attribute, else missing.
    if type(obj) is dict:
        if name in obj:
            return obj[name]
        return getattr(obj, name, missing)
    return get_value(obj, name, missing)


def _field_getter(name: str, field: fields.Field, schema: Schema) -> Callable[[Any], Any]:
    """The function that gives one field's output value for an object (`missing`: leave the key out)."""
    if "." not in name and _copies_value(field):
        return lambda obj: _value_of(obj, name)
    if field.attribute is None and field.dump_default is missing and "." not in name:
        plan = _nested_plan(field)
        if plan is not None:
            nested, many = plan

            def nested_value(obj: Any) -> Any:
                value = _value_of(obj, name)
                return value if value is missing or value is None else nested(value, many=many)

            return nested_value
        plan = _list_of_nested_plan(field)
        if plan is not None:
            element, many = plan

            def list_value(obj: Any) -> Any:
                value = _value_of(obj, name)
                if value is missing or value is None:
                    return value
                return [None if each is None else element(each, many=many) for each in value]

            return list_value
    accessor = schema.get_attribute
    return lambda obj: field.serialize(name, obj, accessor=accessor)


@functools.cache
def dumper(schema: Schema) -> Dump:
    """Return dump(obj, many=None) answering what `schema.dump(obj, many=many)` answers, made once per schema."""
    if any(schema._hooks[tag] for tag in ("pre_dump", "post_dump")) or (
        type(schema).get_attribute is not Schema.get_attribute
    ):
        return schema.dump
    getters: list[tuple[str, Callable[[Any], Any]]] = []  # (output key, getter) of every field, in order
    # The leading fields that pass their value through, as (name, output key): copied from a dict in one go.
    # Not those a dict has as attributes (`items`, `values`…): a missing key reads as the attribute, as in
    # marshmallow, which the copy would leave out.
    copied: list[tuple[str, str]] = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        if len(copied) == len(getters) and "." not in name and _copies_value(field) and not hasattr(dict, name):
            copied.append((name, key))
        getters.append((key, _field_getter(name, field, schema)))
    rest = getters[len(copied) :]

    def dump_one(obj: Any) -> dict[str, Any]:
        if type(obj) is dict:
            result = {key: obj[name] for name, key in copied if name in obj}
            others = rest
        else:
            result, others = {}, getters
        for key, getter in others:
            value = getter(obj)
            if value is not missing:
                result[key] = value
        return result

    def dump(obj: Any, many: bool | None = None) -> Any:
        if schema.many if many is None else many:
            if obj is None:
                return schema.dump(obj, many=True)
            return [dump_one(each) for each in obj]
        return dump_one(obj)

    return dump


def dump(schema: type[Schema] | Schema, obj: Any, *, many: bool | None = None) -> Any:
    """`obj` dumped with `schema` (a class: its shared instance), by its plan."""
    return dumper(schema if isinstance(schema, Schema) else instance(schema))(obj, many=many)
