"""Load plans answer exactly what marshmallow's load answers, key order and errors included, for every input
schema; what they cannot load plainly is loaded by marshmallow."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validates, validates_schema

from kiosk_tickets import schemas
from kiosk_tickets.errors import ValidationFailed
from kiosk_tickets.schemas.loading import loader
from tests.helpers import schemas_with_nested

# Values of every JSON type, and of the forms fields take: each field is fed each of them.
CANDIDATES: list[Any] = [
    None,
    "",
    "x",
    " ",
    "a" * 300,
    0,
    -1,
    7,
    2**40,
    1.5,
    2.0,
    True,
    False,
    "10.00",
    "10.001",
    "-3",
    "2026-11-30T10:00:00Z",
    "2026-11-30",
    "web",
    "box_office",
    "p",
    "someone@example.org",
    [],
    [1, 2],
    ["web"],
    [{}],
    [{"item": 1}],
    [{"question": 1, "answer": "yes"}],
    {},
    {"en": "Name"},
    {"given_name": "Ada", "family_name": "Lovelace"},
    {"item": 1, "price": "1.00"},
]


def _input_schemas(routed_app) -> list[Schema]:
    """Every schema a route loads its body or query with, and the nested ones they hold."""
    declared = []
    for view in routed_app.view_functions.values():
        declared += [getattr(view, "body_schema", None), getattr(view, "query_schema", None)]
    return schemas_with_nested(declared, "load")


def _outcome(load: Any, data: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "loaded", json.dumps(load(copy.deepcopy(data)), default=repr)  # keys in order, all the way down
    except ValidationError as error:
        return "refused", error.messages


def _same_outcome(schema: Schema, data: dict[str, Any]) -> None:
    plan = loader(schema)
    assert plan is not None, type(schema).__name__
    assert _outcome(plan, data) == _outcome(schema.load, data), (type(schema).__name__, data)


def _documents(schema: Schema) -> list[dict[str, Any]]:
    keys = [field.data_key or name for name, field in schema.load_fields.items()]
    documents: list[dict[str, Any]] = [{}, {"not_a_field": 1}]
    for value in CANDIDATES:
        documents.append({key: value for key in keys})
        documents += [{key: value} for key in keys]
    return documents


def test_every_input_schema_has_a_plan_that_loads_as_marshmallow_does(routed_app):
    # A nested list's schema has `many` (its field loads it), some have hooks: marshmallow loads those.
    planned = [schema for schema in _input_schemas(routed_app) if loader(schema) is not None]
    assert len(planned) > 20
    assert "CartPositionCreateSchema" in {type(schema).__name__ for schema in planned}
    for schema in planned:
        for document in _documents(schema):
            _same_outcome(schema, document)


def _position(**fields_given: Any) -> dict[str, Any]:
    return {"item": 3, "price": "10.00", "attendee_name": "Ada", **fields_given}


@pytest.mark.parametrize(
    "body",
    [
        _position(),
        _position(sales_channel="box_office", cart_id="abc@api", expires="2026-11-30T10:00:00+01:00"),
        _position(addons=[{"item": 4}], bundled=[{"item": 5, "price": "0.00"}], unknown_key=[1]),
        _position(answers=[{"question": 1, "answer": "yes", "options": [2]}], attendee_email=""),
        _position(attendee_name_parts={"given_name": "Ada"}, variation=None, voucher="CODE"),
        # Refused, with every field's messages as marshmallow gathers them.
        {},
        _position(price="-1"),
        _position(item="x", price=None, sales_channel="nowhere"),
        _position(addons=[{"price": "1.00"}, {"item": 1}], bundled={"item": 1}),
        _position(answers=[{"question": 1}, {}], attendee_email="not an address"),
    ],
)
def test_a_cart_position_loads_as_marshmallow_loads_it(body):
    schema = schemas.instance(schemas.CartPositionCreateSchema)
    _same_outcome(schema, body)
    _same_through_schemas_load(schema, body)


def _same_through_schemas_load(schema: Schema, body: dict[str, Any]) -> None:
    """What the API's `schemas.load` answers is marshmallow's result, or its errors in DRF's shape."""
    try:
        expected: Any = schema.load(copy.deepcopy(body))
    except ValidationError as error:
        with pytest.raises(ValidationFailed) as refused:
            schemas.load(schema, copy.deepcopy(body))
        assert refused.value.detail == schemas.drf_errors(error.messages, body)
    else:
        assert schemas.load(schema, copy.deepcopy(body)) == expected


def test_defaults_are_made_anew_for_each_load():
    plan = loader(schemas.instance(schemas.CartPositionCreateSchema))
    assert plan is not None
    first, second = plan(_position()), plan(_position())
    first["addons"].append("changed")
    first["attendee_name_parts"]["given_name"] = "changed"
    assert second["addons"] == [] and second["attendee_name_parts"] == {}


class _PreLoaded(schemas.InputSchema):
    name = fields.String()

    @pre_load
    def strip(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}


class _PostLoaded(schemas.InputSchema):
    name = fields.String()

    @post_load
    def wrap(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {"wrapped": data}


class _FieldValidated(schemas.InputSchema):
    name = fields.String()

    @validates("name")
    def not_bob(self, value: str, **kwargs: Any) -> None:
        if value == "bob":
            raise ValidationError("Not bob.")


class _SchemaValidated(schemas.InputSchema):
    name = fields.String()

    @validates_schema
    def needs_name(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "name" not in data:
            raise ValidationError("A name.")


class _Raising(Schema):
    name = fields.String()


class _Dotted(schemas.InputSchema):
    name = fields.String(attribute="person.name")


@pytest.mark.parametrize(
    "schema_class", [_PreLoaded, _PostLoaded, _FieldValidated, _SchemaValidated, _Raising, _Dotted]
)
def test_schemas_that_are_not_plain_are_loaded_by_marshmallow(schema_class):
    schema = schema_class()
    assert loader(schema) is None
    for data in [{}, {"name": " bob "}, {"name": "bob"}, {"name": 1}, {"name": "ann", "other": 1}]:
        _same_through_schemas_load(schema, data)


def test_partial_loads_are_marshmallows():
    schema = schemas.instance(schemas.CartPositionCreateSchema)
    assert schemas.load(schema, {"price": "1.00"}, partial=True) == schema.load({"price": "1.00"}, partial=True)


def test_a_field_that_decides_missing_values_itself_is_asked():
    class WithConstant(schemas.InputSchema):
        kind = fields.Constant("fixed")
        count = fields.Integer(load_default=lambda: 5)
        absent = fields.String()

    schema = WithConstant()
    _same_outcome(schema, {})
    _same_outcome(schema, {"kind": "other", "count": "7", "absent": None})
    assert loader(schema)({}) == {"kind": "fixed", "count": 5}  # type: ignore[misc]
