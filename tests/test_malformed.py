"""Every write route answers malformed bodies with a client error in JSON, never with a server error.

The routes are read from the app's URL map, so a route added later is covered without touching this file.
Objects are created once for the module; each test sends one kind of bad value to every field of a route's
schema (one request per field) or one malformed body to the route.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import fields as mm_fields

from kiosk_tickets import api, create_app, schemas
from tests.helpers import ApiClient, make_token, new_app, store_of

ALLOWED = {200, 201, 400, 403, 404, 413}
WRITE_METHODS = ("POST", "PATCH", "PUT")
ORGANIZER, EVENT = "bigevents", "sampleconf"


def _write_routes() -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    """(rule, method, endpoint) for every POST/PATCH/PUT route of the API, and each endpoint's view (the
    screens' forms are tested with the screens)."""
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"DATA_DIR": data_dir})
    routes = sorted(
        (rule.rule, method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in WRITE_METHODS
        if method in (rule.methods or ()) and api.owns(rule.rule)
    )
    return routes, dict(app.view_functions)


ROUTES, VIEWS = _write_routes()


# ---------------------------------------------------------------------------------------- the objects routes point at


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Any]:
    """An app with an event holding one object of every catalog kind, and an admin client."""
    app = new_app(tmp_path_factory.mktemp("malformed"))
    client = ApiClient(app.test_client(), make_token(store_of(app), ORGANIZER))
    base = f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}"

    def create(path: str, body: Any) -> dict:
        response = client.post(f"{base}{path}", json=body)
        assert response.status_code == 201, (path, response.get_json())
        return response.get_json()

    client.post(
        f"/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": "Sample", "slug": EVENT, "date_from": "2027-01-01T10:00:00Z"},
    )
    category = create("/categories/", {"name": "Tickets"})
    addon_category = create("/categories/", {"name": "Extras", "is_addon": True})
    taxrule = create("/taxrules/", {"name": "VAT", "rate": "19.00"})
    simple = create("/items/", {"name": "Shirt", "default_price": "15.00", "tax_rule": taxrule["id"]})
    item = create(
        "/items/",
        {
            "name": "Ticket",
            "default_price": "20.00",
            "category": category["id"],
            "admission": True,
            "variations": [{"value": "Regular"}, {"value": "Reduced", "default_price": "10.00"}],
            "addons": [{"addon_category": addon_category["id"], "max_count": 2}],
            "bundles": [{"bundled_item": simple["id"]}],
        },
    )
    quota = create(
        "/quotas/",
        {"name": "All", "size": 100, "items": [item["id"], simple["id"]], "variations": [item["variations"][0]["id"]]},
    )
    question = create("/questions/", {"question": "Size?", "type": "C", "options": [{"answer": "S"}, {"answer": "M"}]})
    voucher = create("/vouchers/", {"item": item["id"], "variation": item["variations"][0]["id"]})
    # Cart positions and orders sell a pass from a quota that never runs out, however many requests succeed.
    pass_item = create("/items/", {"name": "Pass", "default_price": "5.00", "admission": True})
    create("/quotas/", {"name": "Unlimited", "size": None, "items": [pass_item["id"]]})
    order = create("/orders/", {"positions": [{"item": pass_item["id"]}]})
    checkin_list = create("/checkinlists/", {"name": "Door"})
    layout = create("/ticketlayouts/", {"name": "Design", "item_assignments": [{"item": pass_item["id"]}]})
    ids = {
        "categories": category["id"],
        "taxrules": taxrule["id"],
        "items": item["id"],
        "variations": item["variations"][0]["id"],
        "addons": item["addons"][0]["id"],
        "bundles": item["bundles"][0]["id"],
        "quotas": quota["id"],
        "questions": question["id"],
        "options": question["options"][0]["id"],
        "vouchers": voucher["id"],
        "checkinlists": checkin_list["id"],
        "ticketlayouts": layout["id"],
    }
    return {
        "client": client,
        "ids": ids,
        "values": {"organizer": ORGANIZER, "event": EVENT, "item": item["id"], "question": question["id"],
                   "code": order["code"], "list_id": checkin_list["id"], "lookup": order["positions"][0]["secret"]},
        "checkin_list": checkin_list["id"],
        "secret": order["positions"][0]["secret"],
        "pass_item": pass_item["id"],
        "simple_item": simple["id"],
        "addon_category": addon_category["id"],
    }


def build_url(world: dict, rule: str, endpoint: str) -> str:
    """Fill the rule's variables with real ids; a variable this module does not know gets "1"."""
    family = endpoint.split(".")[-1].rsplit("_", 1)[0]
    url = rule
    for name, value in {**world["values"], "object_id": world["ids"].get(family, 1)}.items():
        url = url.replace(f"<{name}>", str(value))
    while "<" in url:
        start, end = url.index("<"), url.index(">")
        url = url[:start] + "1" + url[end + 1 :]
    return url


_slugs = itertools.count()

# A valid body per write route (by endpoint name, or by the resource for the generic create and update
# routes), to put bad values into; the schema whose fields get them is the one the route declares.
Base = Callable[[dict], dict]
VALID_BODIES: dict[str, Base] = {
    "event_create": lambda w: {"name": "New", "slug": f"new{next(_slugs)}", "date_from": "2027-02-01T10:00:00Z"},
    "event_update": lambda w: {"name": "Sample", "slug": EVENT, "date_from": "2027-01-01T10:00:00Z"},
    "event_settings_update": lambda w: {},
    "categories": lambda w: {"name": "More"},
    "taxrules": lambda w: {"name": "Reduced", "rate": "7.00"},
    "items_create": lambda w: {"name": "Mug", "default_price": "5.00"},
    "items_update": lambda w: {"name": "Ticket", "default_price": "20.00"},
    "variations": lambda w: {"value": "Student"},
    "addons": lambda w: {"addon_category": w["addon_category"]},
    "bundles": lambda w: {"bundled_item": w["simple_item"]},
    "quotas": lambda w: {"name": "Side"},
    "questions": lambda w: {"question": "Why?", "type": "S"},
    "options": lambda w: {"answer": "XL"},
    "vouchers": lambda w: {},
    "voucher_batch_create": lambda w: {},
    "cart_create": lambda w: {"item": w["pass_item"]},
    "cart_bulk_create": lambda w: {"item": w["pass_item"]},
    "order_create": lambda w: {"positions": [{"item": w["pass_item"]}]},
    "order_update": lambda w: {},
    "order_mark_canceled": lambda w: {},
    "order_extend": lambda w: {"expires": "2027-01-01"},
    "order_mark_paid": lambda w: {},
    "order_mark_pending": lambda w: {},
    "order_mark_expired": lambda w: {},
    "order_reactivate": lambda w: {},
    "order_approve": lambda w: {},
    "order_deny": lambda w: {},
    "checkinlists": lambda w: {"name": "Side door"},
    "ticketlayouts": lambda w: {"name": "Side layout"},
    "checkin_redeem": lambda w: {"secret": w["secret"], "lists": [w["checkin_list"]]},
    "checkin_redeem_legacy": lambda w: {},
    "checkin_search_body": lambda w: {"lists": [w["checkin_list"]]},
    "checkin_failed_upload": lambda w: {"raw_barcode": "unknown", "error_reason": "invalid"},
    "position_printlog": lambda w: {"source": "pretixSCAN", "type": "badge"},
    "device_create": lambda w: {"name": "Door"},
    "device_update": lambda w: {},
    "device_initialize": lambda w: {
        "token": "unknown",
        "hardware_brand": "Phone",
        "hardware_model": "1",
        "software_brand": "pretixSCAN Android",
        "software_version": "2.0",
    },
    "device_update_self": lambda w: {},
    "device_roll": lambda w: {},
    "device_revoke": lambda w: {},
}


def body_schema(endpoint: str) -> type[schemas.Schema]:
    schema: type[schemas.Schema] = VIEWS[endpoint].body_schema
    return schema


def valid_body(world: dict, endpoint: str) -> dict:
    name = endpoint.split(".")[-1]
    return VALID_BODIES[name if name in VALID_BODIES else name.rsplit("_", 1)[0]](world)


def wrap(endpoint: str, body: Any) -> Any:
    """Routes whose body is a list of entries (voucher batch_create, cart bulk_create) get one entry."""
    return [body] if VIEWS[endpoint].body_many else body


def input_fields(schema: schemas.Schema) -> dict[str, mm_fields.Field]:
    return {name: field for name, field in schema.fields.items() if not field.dump_only}


def nested_paths(schema: schemas.Schema, method: str) -> list[tuple[str, str | None]]:
    """(field, None) for each field, plus on create (field, subfield) inside each nested list of objects."""
    paths: list[tuple[str, str | None]] = []
    for name, field in input_fields(schema).items():
        paths.append((name, None))
        if isinstance(field, mm_fields.Nested) and method == "POST":
            paths += [(name, sub) for sub in input_fields(field.schema)]
    return paths


# ---------------------------------------------------------------------------------------- bad values and bodies


class RawJSON:
    """A value written into the body as this exact JSON text (what Python's json would not produce)."""

    def __init__(self, text: str) -> None:
        self.text = text


def deep(depth: int, leaf: Any, kind: str) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


BAD_VALUES: dict[str, Any] = {
    "string": "not-a-value",
    "blank": "",
    "huge string": "x" * 100_000,
    "nul and control chars": "\u0000\u0001\n\t",
    "integer": 12345,
    "huge integer": 2**64,
    "float": 1.5,
    "overflowing float": RawJSON("1e400"),
    "true": True,
    "false": False,
    "null": None,
    "empty list": [],
    "mixed list": [1, "a", None, {"b": 2}, [3]],
    "empty object": {},
    "object": {"en": 5, "de": ["x"]},
    "nested object": deep(20, {"b": [1, "x"]}, "dict"),
}


def encode(body: Any) -> str:
    """JSON text for `body`, with each RawJSON written as its text."""
    raws: list[str] = []

    def default(value: Any) -> str:
        if isinstance(value, RawJSON):
            raws.append(value.text)
            return f"@@raw{len(raws) - 1}@@"
        raise TypeError(type(value))

    text = json.dumps(body, default=default)
    for index, raw in enumerate(raws):
        text = text.replace(f'"@@raw{index}@@"', raw)
    return text


# Whole bodies, as raw text; None means "the route's valid body plus unknown fields".
BAD_BODIES: dict[str, str | None] = {
    "empty body": "",
    "whitespace body": " \n\t ",
    "empty object": "{}",
    "invalid json": "{",
    "truncated json": '{"name": ',
    "single quotes": "{'name': 'x'}",
    "trailing garbage": "{} {}",
    "not utf-8": '{"name": "\xff\xfe"}',
    "json array": "[]",
    "json array of objects": "[{}, {}]",
    "json array of scalars": "[1, 2, 3]",
    "json number": "42",
    "json string": '"hello"',
    "json true": "true",
    "json null": "null",
    "overflowing number": "1e400",
    "NaN literal": '{"name": NaN}',
    "deep nesting far past the parser": "[" * 100_000 + "]" * 100_000,
    "deep object nesting": '{"a":' * 20_000 + "1" + "}" * 20_000,
    "moderate nesting": encode(deep(500, None, "dict")),
    "deep object in a list in a field": encode({"custom_rules": [deep(700, 1, "dict")]}),
    "lone surrogate in a value": '{"name": "\\ud800", "value": "\\udfff", "answer": {"en": "\\ud800"}}',
    "lone surrogate in a key": '{"name": {"\\udc00": "x"}, "\\ud800": 1}',
    "huge key": encode({"k" * 100_000: 1}),
    "many keys": encode({f"key{n}": n for n in range(5_000)}),
    "over the size limit": encode({"name": "x" * (2 * 1024 * 1024 + 10)}),
    "unknown fields": None,
}


# ---------------------------------------------------------------------------------------- checks


def send(world: dict, method: str, url: str, raw: str | bytes) -> tuple[int, Any]:
    client: ApiClient = world["client"]
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    response = client.request(method, url, data=data, content_type="application/json")
    try:
        body = json.loads(response.data) if response.data else None
    except ValueError:
        body = f"<not JSON> {response.data[:200]!r}"
    json_ok = response.mimetype == "application/json" and not (isinstance(body, str) and body.startswith("<not JSON>"))
    return response.status_code, body if json_ok else f"<{response.mimetype}> {body!r}"


def problem(status: int, body: Any) -> bool:
    return status not in ALLOWED or (isinstance(body, str) and body.startswith("<"))


def short(body: Any) -> str:
    text = json.dumps(body) if not isinstance(body, str) else body
    return text[:300]


@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES)
def test_every_write_route_declares_its_body_and_has_a_valid_one_here(world, rule, method, endpoint):
    assert body_schema(endpoint) is not None
    assert isinstance(valid_body(world, endpoint), dict)


@pytest.mark.parametrize("value_name", list(BAD_VALUES))
@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES)
def test_bad_value_in_every_field(world, rule, method, endpoint, value_name):
    url = build_url(world, rule, endpoint)
    value = BAD_VALUES[value_name]
    failures = []

    for field, sub in nested_paths(body_schema(endpoint)(), method):
        body = {} if method == "PATCH" else valid_body(world, endpoint)
        body[field] = [{sub: value}] if sub else value
        status, answer = send(world, method, url, encode(wrap(endpoint, body)))
        if problem(status, answer):
            failures.append((f"{field}.{sub}" if sub else field, status, short(answer)))

    assert failures == []


@pytest.mark.parametrize("body_name", list(BAD_BODIES))
@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES)
def test_malformed_body(world, rule, method, endpoint, body_name):
    url = build_url(world, rule, endpoint)
    raw = BAD_BODIES[body_name]
    if raw is None:
        valid = valid_body(world, endpoint) if method != "PATCH" else {}
        extra = {"unknown": 1, "id": 999_999, "event": 424242, "organizer": "elsewhere", "__proto__": {"x": 1}}
        raw = encode(wrap(endpoint, {**valid, **extra}))

    status, answer = send(world, method, url, raw)

    assert not problem(status, answer), (status, short(answer))


@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES)
def test_every_field_wrong_at_once(world, rule, method, endpoint):
    for value in ("x", 1, True, None, [], {}):
        body = {name: value for name in input_fields(body_schema(endpoint)())}

        status, answer = send(world, method, build_url(world, rule, endpoint), encode(wrap(endpoint, body)))

        assert not problem(status, answer), (value, status, short(answer))
