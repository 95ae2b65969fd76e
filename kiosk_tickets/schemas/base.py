"""The schema base: unknown fields ignored, shared instances, loading with DRF-shaped errors, sales channels."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from ..errors import ValidationFailed
from .fields import Boolean, Choice, Integer, List, String
from .loading import loader

SALES_CHANNELS = ("web", "box_office", "pretixpos", "resellers")


class InputSchema(Schema):
    """Base of every schema: unknown fields are ignored, as pretix does."""

    class Meta:
        unknown = EXCLUDE


@functools.cache
def instance(schema_class: type[Schema], exclude: tuple[str, ...] = ()) -> Schema:
    """Return a shared instance of `schema_class`: building one deep-copies every field, and loading or
    dumping keeps no state on the instance, so one serves every request."""
    return schema_class(exclude=exclude)


def load(schema: Schema, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """Validate `data` with `schema`; return the loaded dict or raise ValidationFailed with a DRF-style body."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]}
        )
    try:
        plan = None if partial else loader(schema)
        return plan(data) if plan is not None else schema.load(data, partial=partial)
    except ValidationError as error:
        raise ValidationFailed(drf_errors(error.messages, data)) from None


def drf_errors(messages: Any, data: Any = None) -> Any:
    """Turn marshmallow's error messages into DRF's shape.

    `_schema` becomes `non_field_errors`; errors of a nested list, which marshmallow keys by index,
    become a list with `{}` for the valid entries, as DRF and pretix clients expect.
    """
    if isinstance(messages, list):
        return messages
    if not isinstance(messages, dict):
        return [str(messages)]
    if messages and all(isinstance(key, int) for key in messages):
        if all(isinstance(value, dict) for value in messages.values()):
            length = len(data) if isinstance(data, list) else max(messages) + 1
            return [
                drf_errors(messages[index], data[index] if isinstance(data, list) else None)
                if index in messages
                else {}
                for index in range(length)
            ]
        return {str(index): drf_errors(value) for index, value in messages.items()}
    result = {}
    for key, value in messages.items():
        name = "non_field_errors" if key == "_schema" else key
        nested_data = data.get(key) if isinstance(data, dict) else None
        result[name] = drf_errors(value, nested_data)
    return result


def explained(schema: Schema, values: Mapping[str, Any]) -> dict[str, Any]:
    """Settings in pretix's verbose form: value, label, readonly and help text of each."""
    return {
        name: {
            "value": values.get(name),
            "label": field.metadata.get("label", name),
            "readonly": field.dump_only,
            "help_text": field.metadata.get("help_text", ""),
        }
        for name, field in schema.fields.items()
    }


def _sales_channel_list() -> List:
    return List(Choice(SALES_CHANNELS), load_default=list)


def _legacy_sales_channels(obj: Mapping[str, Any]) -> list[str]:
    return list(SALES_CHANNELS) if obj.get("all_sales_channels", True) else list(obj.get("limit_sales_channels") or [])


class SalesChannelsMixin(Schema):
    all_sales_channels = Boolean(load_default=True)
    limit_sales_channels = _sales_channel_list()
    # Deprecated in pretix, still read by older clients: the channels in effect.
    sales_channels = fields.Function(_legacy_sales_channels, dump_only=True)


class PageQuery(InputSchema):
    page = Integer(load_default=1, min_value=1)
    page_size = Integer(load_default=None, allow_none=True, min_value=1)
    ordering = String(load_default=None, allow_none=True, max_length=100)
