"""The OpenAPI 3 document of the API, made from what each route declares (its permission and schemas)."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app
from marshmallow import Schema, fields

from ..schemas import fields as kiosk_fields
from .http import json_response
from .urls import bp

_DOCUMENT_KEY = "kiosk_tickets.openapi"

ERROR_STATUSES = {
    "400": "Invalid input: an object of field names and messages (`non_field_errors` for the whole body)",
    "401": "No valid credential",
    "403": "The credential may not do this, or the organizer or event is not its own",
    "404": "Not found",
    "409": "The store was busy; try again after `Retry-After` seconds",
    "413": "Request body too large",
}
# The path variables of the routes, and what they hold.
PATH_PARAMETERS = {
    "organizer": {"type": "string", "description": "the organizer's slug"},
    "event": {"type": "string", "description": "the event's slug"},
    "object_id": {"type": "integer", "description": "the object's id"},
    "item": {"type": "integer", "description": "the item's id"},
    "question": {"type": "integer", "description": "the question's id"},
    "list_id": {"type": "integer", "description": "the check-in list's id"},
    "code": {"type": "string", "description": "the order's code"},
    "lookup": {"type": "string", "description": "the ticket's secret, or the order position's id"},
    "device_id": {"type": "integer", "description": "the device's number within its organizer"},
    "output": {"type": "string", "description": "the ticket output (only `pdf`)"},
}
_VARIABLE = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _own_fields(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """Field types of our own, described as what they accept and answer."""
    if isinstance(field, kiosk_fields.I18nString):
        texts = {"type": "object", "additionalProperties": {"type": "string"}}
        return {"oneOf": [{"type": "string"}, texts]}
    if isinstance(field, kiosk_fields.StringMap):
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if isinstance(field, kiosk_fields.JSONObject):
        return {"type": "object"}
    if isinstance(field, (kiosk_fields.Money, kiosk_fields.DecimalString)):
        return {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "23.00"}
    if isinstance(field, kiosk_fields.DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, kiosk_fields.Date):
        return {"type": "string", "format": "date"}
    if isinstance(field, kiosk_fields.IdList):
        return {"type": "string", "description": "a comma-separated list of ids"}
    if isinstance(field, kiosk_fields.StringList):
        return {"type": "string", "description": "a comma-separated list"}
    if isinstance(field, kiosk_fields.Choice):
        return {"type": "string", "enum": list(field.choices)}
    return {}


def _schema_name(schema: type[Schema] | Schema) -> str:
    """Components are named by class; a variant (fields left out, or partial for PATCH) says so."""
    schema_class = schema if isinstance(schema, type) else type(schema)
    name = schema_class.__name__.removesuffix("Schema")
    if isinstance(schema, Schema):
        if schema.exclude:
            name += "Without" + "".join(part.title().replace("_", "") for part in sorted(schema.exclude))
        if schema.partial:
            name += "Patch"
    return name


def _envelope(results: Any) -> dict[str, Any]:
    page = {"type": "string", "format": "uri", "nullable": True}
    return {
        "type": "object",
        "required": ["count", "next", "previous", "results"],
        "properties": {
            "count": {"type": "integer"},
            "next": page,
            "previous": page,
            "results": {"type": "array", "items": results},
        },
    }


def _operation(rule_path: str, method: str, view: Callable[..., Any], endpoint: str) -> dict[str, Any]:
    body, query, dump = view.body_schema, view.query_schema, view.dump_schema  # type: ignore[attr-defined]
    operation: dict[str, Any] = {
        "operationId": f"{endpoint}_{method}",
        "summary": (view.__doc__ or endpoint.split(".")[-1].replace("_", " ")).strip().splitlines()[0],
        "security": [] if view.public else [{"Token": []}],  # type: ignore[attr-defined]
        "parameters": [
            {"in": "path", "name": name, "required": True, "schema": PATH_PARAMETERS[name]}
            for name in _VARIABLE.findall(rule_path)
        ],
        "responses": {status: {"$ref": f"#/components/responses/Error{status}"} for status in ERROR_STATUSES},
    }
    if query is not None:
        operation["parameters"].append({"in": "query", "schema": query})
    if view.listing:  # type: ignore[attr-defined]
        operation["parameters"] += [
            {"in": "query", "name": "page", "schema": {"type": "integer", "minimum": 1}},
            {"in": "query", "name": "page_size", "schema": {"type": "integer", "minimum": 1}},
            {"in": "query", "name": "ordering", "schema": {"type": "string"}},
        ]
    if body is not None and method in ("post", "put", "patch"):
        entry = body(partial=True) if method == "patch" and view.partial is not False else body  # type: ignore[attr-defined]
        content = {"type": "array", "items": entry} if view.body_many else entry  # type: ignore[attr-defined]
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": content}}}
    operation["responses"].update(_answers(view, dump))
    return operation


def _answers(view: Callable[..., Any], dump: type[Schema] | Schema | None) -> dict[str, Any]:
    """The successful answers a route declares."""
    declared = {str(status): answer for status, answer in (view.responses or {}).items()}  # type: ignore[attr-defined]
    if dump is None:
        return declared or {"204": {"description": "Done"}}
    content: Any = dump
    if view.listing:  # type: ignore[attr-defined]
        content = _envelope(dump)
    elif view.body_many:  # type: ignore[attr-defined]
        content = {"type": "array", "items": dump}
    status = str(view.status)  # type: ignore[attr-defined]
    return {status: {"description": "OK", "content": {"application/json": {"schema": content}}}, **declared}


def build(app: Flask, blueprint: str = "api") -> dict[str, Any]:
    """The document of every route of `blueprint` in `app`."""
    spec = APISpec(
        title="kiosk-tickets",
        version=version("kiosk-tickets"),
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": "pretix's REST API (/api/v1), as an offline box office serves it."},
    )
    spec.components.security_scheme(
        "Token", {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Token <token>`"}
    )
    for status, description in ERROR_STATUSES.items():
        detail = {"type": "object", "properties": {"detail": {"type": "string"}}}
        body = {"type": "object"} if status == "400" else detail
        spec.components.response(
            f"Error{status}", {"description": description, "content": {"application/json": {"schema": body}}}
        )
    plugin = next(plugin for plugin in spec.plugins if isinstance(plugin, MarshmallowPlugin))
    assert plugin.converter is not None
    plugin.converter.add_attribute_function(_own_fields)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if not rule.endpoint.startswith(blueprint + "."):
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "permission"):
            continue  # not an API operation: this document itself
        path = _VARIABLE.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.rule, method.lower(), view, rule.endpoint)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return _portable(spec.to_dict())


def _portable(node: Any) -> Any:
    """What marshmallow says in Python's terms, in OpenAPI's.

    A `default: null` on a value that may not be null goes (such a field is simply left out when not sent,
    and OpenAPI 3.0 allows no default outside the value's type); a pattern's `\\Z` (the end of the text in
    Python, where `$` would also match before a final newline) becomes `$`, which means that in the ECMA
    regular expressions of OpenAPI, and a pattern gets the `^` that marshmallow's anchored match implies.
    """
    if isinstance(node, dict):
        if node.get("default", 0) is None and not node.get("nullable"):
            node = {key: value for key, value in node.items() if key != "default"}
        if isinstance(node.get("pattern"), str):
            pattern = node["pattern"].replace("\\Z", "$")
            node = {**node, "pattern": pattern if pattern.startswith("^") else "^" + pattern}
        return {key: _portable(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_portable(value) for value in node]
    return node


@bp.get("/openapi.json")
def document() -> Response:
    """The document, made once per app; readable without a token, as it holds nothing of the store."""
    made = current_app.extensions.get(_DOCUMENT_KEY)
    if made is None:
        made = current_app.extensions[_DOCUMENT_KEY] = json_response(build(current_app)).get_data()
    return current_app.response_class(made, mimetype="application/json")
