"""Dump plans answer exactly what marshmallow's dump answers, key order included, for every output schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump

from kiosk_tickets import schemas
from kiosk_tickets.store import StoredDocument
from tests.helpers import schemas_with_nested


def _output_schemas(routed_app) -> list[Schema]:
    """Every schema a route dumps with, and the nested ones they hold."""
    declared = [getattr(view, "dump_schema", None) for view in routed_app.view_functions.values()]
    declared += [schemas.CheckinPositionSchema, schemas.QuestionSchema, schemas.DeviceSelfSchema]
    return schemas_with_nested(declared, "dump")


def _sample(schema: Schema, depth: int = 0) -> dict[str, Any]:
    """A document with a value for each field: nested documents for nested schemas, None elsewhere (every
    converting field passes None through), or a string where the field copies its value."""
    doc: dict[str, Any] = {"not_a_field": 1}
    for name, field in schema.dump_fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            nested = _sample(inner.schema, depth + 1) if depth < 2 else {}
            many = inner.many or isinstance(field, fields.List)
            doc[name] = [nested, nested] if many else nested
        elif type(field) in (fields.Raw, schemas.Raw):
            doc[name] = {"value of": name, "list": [1, "zwei", None]}
        else:
            doc[name] = None
    return doc


def _same(plan: Any, marshmallow: Any) -> None:
    assert plan == marshmallow
    assert json.dumps(plan) == json.dumps(marshmallow)  # the same keys in the same order, all the way down


def _same_outcome(schema: Schema, document: Any, many: bool = False) -> None:
    """The plan answers what marshmallow answers, or fails where marshmallow fails, with the same error."""
    try:
        expected = schema.dump(document, many=many)
    except Exception as error:  # e.g. a list field read from a dict without that key: the dict's method
        with pytest.raises(type(error)):
            schemas.dumper(schema)(document, many=many)
        return
    _same(schemas.dumper(schema)(document, many=many), expected)


def test_every_output_schema_has_a_plan_that_dumps_as_marshmallow_does(routed_app):
    output = _output_schemas(routed_app)
    assert len(output) > 20
    for schema in output:
        full = _sample(schema)
        names = list(schema.dump_fields)
        # Every field, none, every other one, and a view of a stored document instead of a dict.
        for document in [full, {}, {name: full[name] for name in names[::2]}, StoredDocument(7, full)]:
            _same_outcome(schema, document)
        _same_outcome(schema, [full, full], many=True)
        _same_outcome(schema, [], many=True)


class Pick(Schema):
    id = fields.Raw()
    items = fields.Raw()
    renamed = fields.Raw(data_key="shown_as")
    count = fields.Integer()
    children = fields.List(fields.Nested(lambda: Pick()))
    parent = fields.Nested(lambda: Pick(), allow_none=True)


@pytest.mark.parametrize(
    "document",
    [
        {"id": 1, "items": [1, 2], "renamed": "a", "count": "3", "children": [{"items": 2}, None], "parent": None},
        {"id": 1, "items": None, "children": None, "parent": {"id": 0, "items": [], "count": 4.0}},
        # Without `items` a dict yields its own `items` method, as marshmallow reads it.
        {"id": 1},
    ],
)
def test_a_plan_reads_values_names_keys_and_nesting_as_marshmallow_does(document):
    schema = Pick()
    plan = schemas.dumper(schema)(document)
    assert plan.keys() == schema.dump(document).keys()
    if "items" in document:
        _same(plan, schema.dump(document))
    else:
        assert plan["items"] == document.items == schema.dump(document)["items"]


def test_a_schema_with_dump_hooks_is_dumped_by_marshmallow():
    class Hooked(Schema):
        id = fields.Raw()

        @post_dump
        def mark(self, data: dict, **kwargs: Any) -> dict:
            return {**data, "hooked": True}

    schema = Hooked()
    assert schemas.dumper(schema) == schema.dump
    assert schemas.dump(schema, {"id": 3}) == {"id": 3, "hooked": True}
