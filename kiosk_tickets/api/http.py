"""Reading requests and writing JSON answers as pretix (Django REST framework) does."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, request
from marshmallow import Schema
from werkzeug.http import http_date

from .. import schemas
from ..context import now
from ..errors import BadRequest
from . import json_codec

JSON_TYPES = ("application/json", "text/javascript")

# pretix bodies nest a few levels (order > positions > answers > options); far deeper ones parse, but then
# overflow the stack of every recursive copy made of them (store, schemas): refuse them up front.
MAX_JSON_DEPTH = 32


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = current_app.response_class(json_codec.dumps(body), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"nesting deeper than {MAX_JSON_DEPTH} levels is not supported")
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth + 1) for child in children)


def request_json() -> Any:
    """Return the parsed JSON body (an empty body counts as {}); raise BadRequest for anything else."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    mimetype = request.mimetype or ""
    if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        raise BadRequest(f'Unsupported media type "{request.content_type or ""}" in request.')
    try:
        parsed = json_codec.loads(raw, parse_constant=_reject_constant)
        _check_depth(parsed)
        if b"\\u" in raw:
            # A lone surrogate ("\ud800") parses, but can be neither stored nor echoed back as UTF-8.
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        return parsed
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"JSON parse error - {exc}") from None


def query_args(schema_class: type[Schema]) -> dict[str, Any]:
    """Validate the query string with the schema; only the parameters given are returned."""
    schema = schemas.instance(schema_class)
    # An empty value means "no filter", as django-filter treats it.
    given = {key: value for key, value in request.args.items() if key in schema.fields and value != ""}
    return schemas.load(schema, given, partial=True) if given else {}


def ordering() -> str | None:
    """The `ordering` query parameter, which each list checks against what it allows."""
    return request.args.get("ordering")


def conditional_list(modified: datetime | None, build: Callable[[], Response]) -> Response:
    """Answer 304 if If-Modified-Since is the Last-Modified this list has now; else build it, with Last-Modified.

    Only the exact date this server issued counts: a client that sends another date (pretixSCAN sends a
    Java `Date.toString()` when its selection changes, which Werkzeug's lenient parser reads as about
    now) must get the full list, never a 304 that keeps stale data.

    HTTP dates count whole seconds, and two changes within one second would share any date taken from
    the first. So the date issued is the last change rounded up to the second, and only once that second
    is over; until then the rounded-down date goes out, which never answers a 304.
    """
    if modified is None:
        return build()
    whole = modified.replace(microsecond=0)
    settled = whole + timedelta(seconds=1) if modified.microsecond else whole
    issued = settled if now() >= settled else whole
    if issued == settled and request.headers.get("If-Modified-Since", "").strip() == http_date(issued):
        return Response(status=304)
    response = build()
    response.last_modified = issued
    return response
