"""Input loaded by a plan made once per schema, instead of marshmallow's bookkeeping per field and request.

A cart position's body names three of the sixteen fields its schema declares; marshmallow's `Schema.load`
spends most of its time around the fields rather than in them: an error store, a closure and a guarded call
per field, and its hooks looked up at every load, also for the thirteen fields it fills with their defaults.
The plan keeps what decides the result and nothing else:

- a field the data names is deserialised by the field itself (`field.deserialize`, with its validators), as
  marshmallow calls it;
- a field the data leaves out gets its `load_default` (called if callable), or is left out without one; a
  field whose class decides for itself what a missing value means is asked, as marshmallow asks it;
- anything that fails (a required field left out, a value a field refuses) is loaded again by marshmallow,
  whose `ValidationError` is the one raised, with every field's messages.

The plan is made from the schema's own `load_fields`, so the schema stays the one place that names the
fields, their `data_key`s, rules and defaults. A schema with load hooks (`pre_load`, `post_load`,
`validates`, `validates_schema`), with `many`, with `unknown` other than EXCLUDE or a field stored under a
dotted attribute has no plan and is loaded by marshmallow; so is every partial load. What a plan answers is
what `schema.load(data)` answers, key order included (see tests/test_loading.py).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, Schema, fields
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.exceptions import ValidationError
from marshmallow.utils import missing

Load = Callable[[dict[str, Any]], dict[str, Any]]

# How a field of the plan is filled when the data leaves it out.
_ASK_FIELD = "ask"  # call field.deserialize(missing): its class decides
_REQUIRED = "required"  # marshmallow's error: load again with marshmallow
_DEFAULT = "default"  # the field's load_default, called if callable
_OMIT = "omit"  # no default: the key stays out of the result


def _decides_missing(field: fields.Field) -> bool:
    """Whether the field's class handles a missing value its own way (overrides what marshmallow's Field does)."""
    own = type(field)
    return (
        own.deserialize is not fields.Field.deserialize
        or own._validate_missing is not fields.Field._validate_missing
    )


def _when_missing(field: fields.Field) -> str:
    if _decides_missing(field):
        return _ASK_FIELD
    if field.required:
        return _REQUIRED
    return _OMIT if field.load_default is missing else _DEFAULT


def _has_plan(schema: Schema) -> bool:
    hooks = any(schema._hooks[tag] for tag in (PRE_LOAD, POST_LOAD, VALIDATES, VALIDATES_SCHEMA))
    dotted = any("." in (field.attribute or name) for name, field in schema.load_fields.items())
    return not (hooks or dotted or schema.many or schema.unknown != EXCLUDE)


def _plan(schema: Schema) -> Load | None:
    """The load function of `schema`, or None if marshmallow must load it (see the module docstring)."""
    if not _has_plan(schema):
        return None
    # (key in the data, key in the result, field, what to do when the data leaves it out), in marshmallow's order.
    steps = [
        (field.data_key if field.data_key is not None else name, field.attribute or name, field, _when_missing(field))
        for name, field in schema.load_fields.items()
    ]

    def load(data: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        try:
            for data_key, result_key, field, when_missing in steps:
                if data_key in data:
                    # As marshmallow calls it for a load that is not partial (it passes partial=False on).
                    result[result_key] = field.deserialize(data[data_key], data_key, data, partial=False)
                    continue
                if when_missing is _DEFAULT:
                    default = field.load_default
                    result[result_key] = default() if callable(default) else default
                elif when_missing is _ASK_FIELD:
                    value = field.deserialize(missing, data_key, data, partial=False)
                    if value is not missing:
                        result[result_key] = value
                elif when_missing is _REQUIRED:
                    raise ValidationError("required")
        except ValidationError:
            # marshmallow collects every field's error into the body the client sees.
            loaded: dict[str, Any] = schema.load(data, partial=False)
            return loaded
        return result

    return load


_plans: weakref.WeakKeyDictionary[Schema, Load | None] = weakref.WeakKeyDictionary()
_plans_lock = threading.Lock()


def loader(schema: Schema) -> Load | None:
    """Return load(data) answering what `schema.load(data)` answers (raising its ValidationError), made once per
    schema; None for a schema that marshmallow must load itself."""
    try:
        return _plans[schema]
    except KeyError:
        pass
    plan = _plan(schema)
    with _plans_lock:
        _plans[schema] = plan
    return plan
