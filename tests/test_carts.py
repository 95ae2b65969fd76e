"""Cart positions: the resource's fields, input rules, prices, names, vouchers, answers, add-ons and bundles,
quota reservation and expiry, bulk creation, listing, access and idempotent retries."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import (
    EVENT_URL,
    ApiClient,
    admin_client,
    client_as,
    created,
    fill_text,
    new_app,
    one_page,
)
from tests.messages import DATETIME_FORMAT, EMPTY_LIST, FORBIDDEN, NOT_FOUND, UNAUTHENTICATED
from tests.shop import (
    CARTS,
    EVENTS,
    ITEMS,
    NOW,
    OLDIE,
    PRICE_VOUCHERS,
    QUOTAS,
    VOUCHER_USED_UP,
    VOUCHERS,
    WORKSHOP_ONLY,
    create_items,
    sold_out,
)

BULK = f"{CARTS}bulk_create/"
QUESTIONS = f"{EVENT_URL}/questions/"
OTHER_URL = f"{EVENTS}otherconf"
ABSOLUTE_CARTS = f"http://localhost{CARTS}"

EXPIRES = "2026-11-01T12:30:00Z"
CART_ID = re.compile(r"^[A-Za-z0-9]{48}@api$")

USED_UP = VOUCHER_USED_UP


def no_quota(name: str) -> list[str]:
    return [f'The product "{name}" is not assigned to a quota.']


# ---------------------------------------------------------------------------------------- the catalog

# Strings starting with "$" in payloads name catalog objects and are replaced by their ids; "{name}" inside
# other strings is replaced by the id as text.
OTHER_EVENT = {"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2027-01-01T10:00:00Z"}
EXTRAS = {"name": {"en": "Extras"}, "is_addon": True}
WORKSHOP = {"name": {"en": "Workshop"}, "default_price": "12.00", "category": "$extras"}
PARKING = {"name": {"en": "Parking"}, "default_price": "8.00"}
TICKET = {
    "name": {"en": "Ticket"},
    "default_price": "23.00",
    "admission": True,
    "addons": [{"addon_category": "$extras"}],
    "bundles": [{"bundled_item": "$parking", "designated_price": "5.00"}],
}
SHIRT = {
    "name": {"en": "Shirt"},
    "default_price": "15.00",
    "variations": [
        {"value": {"en": "S"}},
        {"value": {"en": "M"}, "default_price": "18.00"},
        {"value": {"en": "XL"}, "all_sales_channels": False, "limit_sales_channels": ["resellers"]},
        {"value": {"en": "XXL"}},
    ],
}
PASS = {
    "name": {"en": "Box office pass"},
    "default_price": "30.00",
    "all_sales_channels": False,
    "limit_sales_channels": ["box_office"],
}
DONATION = {"name": {"en": "Donation"}, "default_price": "5.00"}
POSTER = {"name": {"en": "Poster"}, "default_price": "3.00"}
CATALOG_ITEMS = (
    ("workshop", WORKSHOP), ("parking", PARKING), ("ticket", TICKET), ("shirt", SHIRT),
    ("pass", PASS), ("donation", DONATION), ("poster", POSTER),
)
# XXL is in no quota; the donation neither.
CATALOG_QUOTAS = (
    ("q_tickets", {"name": "Tickets", "size": 2, "items": ["$ticket"]}),
    ("q_workshops", {"name": "Workshops", "size": 1, "items": ["$workshop"]}),
    ("q_parking", {"name": "Parking", "size": 5, "items": ["$parking"]}),
    ("q_shirts", {"name": "Shirts", "size": 3, "items": ["$shirt"], "variations": ["$S", "$M", "$XL"]}),
    ("q_passes", {"name": "Passes", "size": None, "items": ["$pass"]}),
    ("q_posters", {"name": "Posters", "size": 10, "items": ["$poster"], "closed": True}),
)
CATALOG_VOUCHERS = (*PRICE_VOUCHERS, {"code": "SHIRTS", "max_usages": 100, "quota": "$q_shirts"}, WORKSHOP_ONLY, OLDIE)
AGE = {
    "question": "Age",
    "type": "N",
    "items": ["$ticket"],
    "identifier": "AGE",
    "valid_number_min": "0",
    "valid_number_max": "120",
}
MORE_QUESTIONS = (
    # Required, and never answered by most requests: required questions are not enforced on this endpoint.
    {
        "question": "Company",
        "type": "S",
        "items": ["$ticket"],
        "identifier": "COMPANY",
        "required": True,
        "valid_string_length_max": 5,
    },
    {"question": "Notes", "type": "T", "items": ["$ticket"], "identifier": "NOTES"},
    {"question": "Newsletter", "type": "B", "items": ["$ticket"], "identifier": "NEWSLETTER"},
    {
        "question": "Meal",
        "type": "C",
        "items": ["$ticket"],
        "identifier": "MEAL",
        "options": [{"answer": "Vegetarian", "identifier": "VEG"}, {"answer": "Meat", "identifier": "MEAT"}],
    },
    {
        "question": "Topics",
        "type": "M",
        "items": ["$ticket"],
        "identifier": "TOPICS",
        "options": [{"answer": "AI", "identifier": "AI"}, {"answer": "Web", "identifier": "WEB"}],
    },
    {"question": "Arrival day", "type": "D", "items": ["$ticket"], "identifier": "ARRIVAL_DAY"},
    {"question": "Arrival time", "type": "H", "items": ["$ticket"], "identifier": "ARRIVAL_TIME"},
    {"question": "Departure", "type": "W", "items": ["$ticket"], "identifier": "DEPARTURE"},
    {"question": "Country", "type": "CC", "items": ["$ticket"], "identifier": "COUNTRY"},
    {"question": "Phone", "type": "TEL", "items": ["$ticket"], "identifier": "PHONE"},
    {"question": "Photo", "type": "F", "items": ["$ticket"], "identifier": "PHOTO"},
    {"question": "Level", "type": "S", "items": ["$workshop"], "identifier": "LEVEL"},
)
OTHER_ITEM = {"name": {"en": "Other ticket"}, "default_price": "9.00"}
OTHER_QUESTION = {"question": "Other", "type": "S", "identifier": "OTHER"}


def build_catalog(api: ApiClient, questions: tuple[dict, ...] = ()) -> dict[str, int]:
    """Create the catalog above (with the age question and the given others); return the ids by name."""
    ids: dict[str, int] = {"extras": created(api, f"{EVENT_URL}/categories/", EXTRAS)["id"]}
    create_items(api, ITEMS, CATALOG_ITEMS, ids)
    for name, payload in CATALOG_QUOTAS:
        ids[name] = created(api, QUOTAS, fill_text(payload, ids))["id"]
    for payload in CATALOG_VOUCHERS:
        ids["v_" + payload["code"]] = created(api, VOUCHERS, fill_text(payload, ids))["id"]
    for payload in (AGE, *questions):
        question = created(api, QUESTIONS, fill_text(payload, ids))
        ids[question["identifier"]] = question["id"]
        for option in question["options"]:
            ids[option["identifier"]] = option["id"]
    return ids


def build_other_event(api: ApiClient, ids: dict[str, int]) -> None:
    """A second event with a ticket on sale and a question; adds their ids as other_item and other_question."""
    created(api, EVENTS, OTHER_EVENT)
    ids["other_item"] = created(api, f"{OTHER_URL}/items/", OTHER_ITEM)["id"]
    created(api, f"{OTHER_URL}/quotas/", {"name": "Other", "size": 10, "items": [ids["other_item"]]})
    question = {**OTHER_QUESTION, "items": [ids["other_item"]]}
    ids["other_question"] = created(api, f"{OTHER_URL}/questions/", question)["id"]


@pytest.fixture
def shop(api) -> dict[str, int]:
    return build_catalog(api)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory) -> tuple[ApiClient, dict[str, int]]:
    """An app of this module's own with the whole catalog, for tests that leave nothing behind.

    Its clock never moves. Tests using it through `shared` get every cart position deleted afterwards.
    """
    client = admin_client(new_app(tmp_path_factory.mktemp("carts") / "data"))
    ids = build_catalog(client, MORE_QUESTIONS)
    build_other_event(client, ids)
    return client, ids


@pytest.fixture
def shared(shared_app) -> tuple[ApiClient, dict[str, int]]:
    client, ids = shared_app
    yield client, ids
    for position in client.get(CARTS).get_json()["results"]:
        if position["addon_to"] is None:
            assert client.delete(f"{CARTS}{position['id']}/").status_code == 204
    assert client.get(CARTS).get_json() == EMPTY_LIST


# ---------------------------------------------------------------------------------------- expected bodies


def position(pid: int, cart_id: str, item: int, price: str, **fields: Any) -> dict:
    """A whole cart position as the API shows it, with the defaults of a plain position."""
    return {
        "id": pid,
        "cart_id": cart_id,
        "datetime": NOW,
        "expires": EXPIRES,
        "item": item,
        "variation": None,
        "price": price,
        "attendee_name": None,
        "attendee_name_parts": {},
        "attendee_email": None,
        "voucher": None,
        "addon_to": None,
        "is_bundled": False,
        "subevent": None,
        "answers": [],
        "seat": None,
        "includes_tax": True,
        **fields,
    }


def with_nested(body: dict, addons: list[dict] = (), bundled: list[dict] = ()) -> dict:
    """A create response: the position plus its add-ons and bundled positions."""
    return {**body, "addons": list(addons), "bundled": list(bundled)}


def answer(ids: dict[str, int], identifier: str, text: str, options: tuple[str, ...] = ()) -> dict:
    return {
        "question": ids[identifier],
        "answer": text,
        "question_identifier": identifier,
        "options": [ids[option] for option in options],
        "option_identifiers": list(options),
    }


def availability(api: ApiClient, quota_id: int) -> dict:
    response = api.get(f"{QUOTAS}{quota_id}/availability/")
    assert response.status_code == 200
    return response.get_json()


def usage(api: ApiClient, quota_id: int) -> tuple[int, int | None]:
    """(cart positions counted, available number) of a quota."""
    report = availability(api, quota_id)
    return report["cart_positions"], report["available_number"]


def create_ok(api: ApiClient, payload: dict, **kwargs: Any) -> dict:
    response = api.post(CARTS, json=payload, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ---------------------------------------------------------------------------------------- the seed's example

SEED_CREATE = {
    "item": "$ticket",
    "variation": None,
    "price": "23.00",
    "attendee_name_parts": {"given_name": "Peter", "family_name": "Miller"},
    "attendee_email": None,
    "answers": [{"question": "$AGE", "answer": "23", "options": []}],
    "addons": [{"item": "$workshop", "variation": None}],
    "subevent": None,
}
TICKET_ENTRY = {"item": "$ticket", "price": "23.00"}


def test_seed_example_create_returns_the_full_position_with_its_addon(api, shop):
    response = api.post(CARTS, json=fill_text(SEED_CREATE, shop))
    assert response.status_code == 201
    body = response.get_json()
    cart_id, parent_id = body["cart_id"], body["id"]
    assert CART_ID.match(cart_id)
    parent = position(
        parent_id,
        cart_id,
        shop["ticket"],
        "23.00",
        attendee_name="Peter Miller",
        attendee_name_parts={"given_name": "Peter", "family_name": "Miller"},
        answers=[answer(shop, "AGE", "23")],
    )
    addon = position(parent_id + 1, cart_id, shop["workshop"], "12.00", addon_to=parent_id)
    assert body == with_nested(parent, addons=[addon])

    assert api.get(f"{CARTS}{parent_id}/").get_json() == parent
    assert api.get(f"{CARTS}{parent_id + 1}/").get_json() == addon
    listed = api.get(CARTS)
    assert listed.status_code == 200
    assert listed.headers["X-Page-Generated"] == NOW
    assert listed.get_json() == one_page(parent, addon)


def test_generated_cart_ids_differ_per_request(api, shop):
    first = create_ok(api, fill_text(TICKET_ENTRY, shop))
    second = create_ok(api, fill_text(TICKET_ENTRY, shop))
    assert CART_ID.match(first["cart_id"]) and CART_ID.match(second["cart_id"])
    assert first["cart_id"] != second["cart_id"]


# ---------------------------------------------------------------------------------------- accepted input

ACCEPTED = [
    pytest.param({"item": "$ticket", "price": "23.00"}, {"price": "23.00"}, id="item-price"),
    pytest.param({"item": "$ticket", "price": "19.99"}, {"price": "19.99"}, id="price-believed"),
    pytest.param({"item": "$ticket", "price": 0}, {"price": "0.00"}, id="price-zero"),
    pytest.param({"item": "$ticket", "price": 7.5}, {"price": "7.50"}, id="price-number"),
    pytest.param(
        {"item": "$shirt", "variation": "$S", "price": "15.00"},
        {"variation": "$S", "price": "15.00"},
        id="variation-no-price",
    ),
    pytest.param(
        {"item": "$shirt", "variation": "$M", "price": "18.00"},
        {"variation": "$M", "price": "18.00"},
        id="variation-price",
    ),
    pytest.param(
        {"item": "$ticket", "price": "10.00", "voucher": "SETTEN"},
        {"price": "10.00", "voucher": "$v_SETTEN"},
        id="voucher-set",
    ),
    pytest.param(
        {"item": "$ticket", "price": "10.00", "voucher": "setTen"},
        {"price": "10.00", "voucher": "$v_SETTEN"},
        id="voucher-case",
    ),
    pytest.param(
        {"item": "$ticket", "price": "18.00", "voucher": "MINUS5"},
        {"price": "18.00", "voucher": "$v_MINUS5"},
        id="voucher-minus",
    ),
    pytest.param(
        {"item": "$ticket", "price": "17.25", "voucher": "QUARTER"},
        {"price": "17.25", "voucher": "$v_QUARTER"},
        id="voucher-pct",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "voucher": "ONCE1"},
        {"price": "23.00", "voucher": "$v_ONCE1"},
        id="voucher-none",
    ),
    pytest.param(
        {"item": "$shirt", "variation": "$M", "price": "13.00", "voucher": "MINUS5"},
        {"variation": "$M", "price": "13.00", "voucher": "$v_MINUS5"},
        id="voucher-on-variation",
    ),
    pytest.param(
        {"item": "$ticket", "voucher": "SETTEN", "price": "1.00"},
        {"price": "1.00", "voucher": "$v_SETTEN"},
        id="voucher-price-believed",
    ),
    pytest.param(
        {"item": "$shirt", "variation": "$S", "price": "15.00", "voucher": "SHIRTS"},
        {"variation": "$S", "price": "15.00", "voucher": "$v_SHIRTS"},
        id="voucher-of-quota",
    ),
    pytest.param(
        {"item": "$workshop", "price": "12.00", "voucher": "WORKSHOPONLY"},
        {"item": "$workshop", "price": "12.00", "voucher": "$v_WORKSHOPONLY"},
        id="voucher-of-item",
    ),
    pytest.param({"item": "$ticket", "price": "23.00", "voucher": None}, {"price": "23.00"}, id="voucher-null"),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "cart_id": "till-4@api"},
        {"price": "23.00", "cart_id": "till-4@api"},
        id="cart-id",
    ),
    pytest.param({"item": "$ticket", "price": "23.00", "cart_id": None}, {"price": "23.00"}, id="cart-id-null"),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "expires": "2026-11-01T14:00:00+01:00"},
        {"price": "23.00", "expires": "2026-11-01T13:00:00Z"},
        id="expires-offset",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "expires": "2026-11-02T09:00:00Z"},
        {"price": "23.00", "expires": "2026-11-02T09:00:00Z"},
        id="expires",
    ),
    pytest.param(
        {"item": "$pass", "price": "30.00", "sales_channel": "box_office"},
        {"item": "$pass", "price": "30.00"},
        id="channel-item",
    ),
    pytest.param(
        {"item": "$shirt", "variation": "$XL", "price": "15.00", "sales_channel": "resellers"},
        {"variation": "$XL", "price": "15.00"},
        id="channel-variation",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "sales_channel": "box_office"}, {"price": "23.00"}, id="channel-any"
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "seat": None, "subevent": None},
        {"price": "23.00"},
        id="seat-subevent-null",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "includes_tax": False}, {"price": "23.00"}, id="includes-tax-ignored"
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_email": "peter@example.org"},
        {"price": "23.00", "attendee_email": "peter@example.org"},
        id="email",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_name": "Peter Miller"},
        {"price": "23.00", "attendee_name": "Peter Miller", "attendee_name_parts": {"_legacy": "Peter Miller"}},
        id="name-plain",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_name_parts": {"given_name": "Peter", "family_name": "Miller"}},
        {
            "price": "23.00",
            "attendee_name": "Peter Miller",
            "attendee_name_parts": {"given_name": "Peter", "family_name": "Miller"},
        },
        id="name-parts",
    ),
    pytest.param(
        {
            "item": "$ticket",
            "price": "23.00",
            "attendee_name_parts": {"family_name": "Lee", "middle_name": "B.", "given_name": "Ann", "title": "Dr"},
        },
        {
            "price": "23.00",
            "attendee_name": "Dr Ann B. Lee",
            "attendee_name_parts": {"family_name": "Lee", "middle_name": "B.", "given_name": "Ann", "title": "Dr"},
        },
        id="name-title-middle",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_name_parts": {"salutation": "Mx", "given_name": "Sam"}},
        {"price": "23.00", "attendee_name": "Sam", "attendee_name_parts": {"salutation": "Mx", "given_name": "Sam"}},
        id="name-salutation",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_name_parts": {"full_name": "Ada Lovelace"}},
        {"price": "23.00", "attendee_name": "Ada Lovelace", "attendee_name_parts": {"full_name": "Ada Lovelace"}},
        id="name-full",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_name": None, "attendee_name_parts": {}},
        {"price": "23.00"},
        id="name-empty",
    ),
    pytest.param({"item": "$ticket", "price": "23.00", "answers": []}, {"price": "23.00"}, id="no-answers"),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "unknown_field": "ignored"}, {"price": "23.00"}, id="unknown-field"
    ),
]


@pytest.mark.parametrize("payload, fields", ACCEPTED)
def test_accepted_input_gives_the_full_position(shared, payload, fields):
    client, ids = shared
    fields = fill_text(fields, ids)
    body = create_ok(client, fill_text(payload, ids))
    cart_id = fields.pop("cart_id", body["cart_id"])
    assert CART_ID.match(cart_id) or cart_id == payload.get("cart_id")
    expected = position(body["id"], cart_id, fields.pop("item", ids[payload["item"][1:]]), **fields)
    assert body == with_nested(expected)
    assert client.get(f"{CARTS}{body['id']}/").get_json() == expected


# ---------------------------------------------------------------------------------------- rejected input

REJECTED = [
    pytest.param(
        {"item": "$ticket", "price": "23.00", "cart_id": "till-4"},
        {"cart_id": ['Cart ID should end in "@api" or be empty.']},
        id="cart-id-suffix",
    ),
    pytest.param(
        {}, {"item": ["This field is required."], "price": ["This field is required."]}, id="item-and-price-missing"
    ),
    pytest.param({"item": "$ticket"}, {"price": ["This field is required."]}, id="price-missing"),
    pytest.param({"item": "$ticket", "price": None}, {"price": ["This field may not be null."]}, id="price-null"),
    pytest.param({"item": None, "price": "1.00"}, {"item": ["This field may not be null."]}, id="item-null"),
    pytest.param({"item": "ticket", "price": "1.00"}, {"item": ["A valid integer is required."]}, id="item-text"),
    pytest.param(
        {"item": 9999, "price": "1.00"}, {"item": ['Invalid pk "9999" - object does not exist.']}, id="item-unknown"
    ),
    pytest.param(
        {"item": "$other_item", "price": "9.00"},
        {"item": ['Invalid pk "{other_item}" - object does not exist.']},
        id="item-other-event",
    ),
    pytest.param(
        {"item": "$shirt", "price": "15.00"},
        {"variation": ["You should specify a variation for this item."]},
        id="variation-missing",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "variation": "$S"},
        {"variation": ["The specified variation does not belong to the specified item."]},
        id="variation-foreign",
    ),
    pytest.param(
        {"item": "$shirt", "variation": 9999, "price": "15.00"},
        {"variation": ["The specified variation does not belong to the specified item."]},
        id="variation-unknown",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "seat": "A-1"},
        {"seat": ["The specified seat does not exist: this event has no seating plan."]},
        id="seat",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_name": "Peter", "attendee_name_parts": {"given_name": "Peter"}},
        {"attendee_name": ["Do not specify attendee_name if you specified attendee_name_parts."]},
        id="name-both",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_name_parts": "Peter"},
        {"attendee_name_parts": ['Expected a dictionary of items but got type "str".']},
        id="name-parts-text",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "attendee_email": "peter"},
        {"attendee_email": ["Enter a valid email address."]},
        id="email",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "subevent": 1},
        {"subevent": ["You can not specify a subevent if your event is not an event series."]},
        id="subevent",
    ),
    pytest.param(
        {"item": "$ticket", "price": "-1.00"},
        {"price": ["Ensure this value is greater than or equal to 0."]},
        id="price-negative",
    ),
    pytest.param({"item": "$ticket", "price": "free"}, {"price": ["A valid number is required."]}, id="price-text"),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "expires": "soon"}, {"expires": [DATETIME_FORMAT]}, id="expires"
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "sales_channel": "kiosk"},
        {"sales_channel": ['"kiosk" is not a valid choice.']},
        id="channel-unknown",
    ),
    pytest.param(
        {"item": "$pass", "price": "30.00"},
        {"item": ['This product is not available on the sales channel "web".']},
        id="channel-item-default",
    ),
    pytest.param(
        {"item": "$pass", "price": "30.00", "sales_channel": "resellers"},
        {"item": ['This product is not available on the sales channel "resellers".']},
        id="channel-item",
    ),
    pytest.param(
        {"item": "$shirt", "variation": "$XL", "price": "15.00"},
        {"item": ['This product is not available on the sales channel "web".']},
        id="channel-variation",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "voucher": "NOSUCH"},
        {"voucher": ['The voucher code "NOSUCH" is not known.']},
        id="voucher-unknown",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "voucher": "OLDIE"},
        {"voucher": ["This voucher has expired."]},
        id="voucher-expired",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "voucher": "WORKSHOPONLY"},
        {"voucher": ["This voucher is not valid for this product."]},
        id="voucher-other-item",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "voucher": "SHIRTS"},
        {"voucher": ["This voucher is not valid for this product."]},
        id="voucher-other-quota",
    ),
    pytest.param(
        {"item": "$shirt", "variation": "$XXL", "price": "15.00", "voucher": "SHIRTS"},
        {"voucher": ["This voucher is not valid for this product."]},
        id="voucher-variation-outside-quota",
    ),
    pytest.param(
        {
            "item": "$ticket",
            "price": "23.00",
            "voucher": "ONCE1",
            "addons": [{"item": "$workshop", "price": "12.00", "voucher": "ONCE1"}],
        },
        USED_UP,
        id="voucher-twice-in-one-request",
    ),
    pytest.param({"item": "$donation", "price": "5.00"}, no_quota("Donation"), id="no-quota"),
    pytest.param({"item": "$shirt", "variation": "$XXL", "price": "15.00"}, no_quota("Shirt"), id="variation-no-quota"),
    pytest.param({"item": "$poster", "price": "3.00"}, sold_out("Posters"), id="quota-closed"),
    pytest.param([], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}, id="body-list"),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "addons": {"item": "$workshop", "price": "12.00"}},
        {"addons": ['Expected a list of items but got type "dict".']},
        id="addons-not-list",
    ),
    pytest.param(
        {
            "item": "$ticket",
            "price": "23.00",
            "addons": [{"item": "$workshop", "price": "12.00"}, {"item": "$parking"}],
        },
        {"addons": [{}, {"item": ["This product is not available as an add-on to the main product."]}]},
        id="addon-not-in-category",
    ),
    pytest.param(
        {"item": "$workshop", "price": "12.00", "addons": [{"item": "$workshop", "price": "12.00"}]},
        {"addons": [{"item": ["This product is not available as an add-on to the main product."]}]},
        id="addon-of-item-without-addons",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "addons": [{"item": "$workshop", "price": "12.00"}, {"item": "x"}]},
        {"addons": [{}, {"item": ["A valid integer is required."]}]},
        id="addon-schema",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "addons": [{"item": 9999}]},
        {"addons": [{"item": ['Invalid pk "9999" - object does not exist.']}]},
        id="addon-unknown",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "addons": [{"item": "$workshop", "price": "12.00", "voucher": "NOSUCH"}]},
        {"addons": [{"voucher": ['The voucher code "NOSUCH" is not known.']}]},
        id="addon-voucher",
    ),
    pytest.param(
        {
            "item": "$ticket",
            "price": "23.00",
            "addons": [{"item": "$workshop", "price": "12.00", "answers": [{"question": "$AGE", "answer": "1"}]}],
        },
        {"addons": [{"answers": [{"question": ["This question is not asked for this product."]}]}]},
        id="addon-answer",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "bundled": [{"item": "$workshop", "price": "12.00"}]},
        {"bundled": [{"item": ["This product is not part of a bundle of the main product."]}]},
        id="bundled-not-configured",
    ),
    pytest.param(
        {"item": "$ticket", "price": "23.00", "bundled": [{"item": "$parking"}, {}]},
        {"bundled": [{}, {"item": ["This field is required."]}]},
        id="bundled-schema",
    ),
]


@pytest.mark.parametrize("payload, body", REJECTED)
def test_rejected_input_writes_nothing(shared, payload, body):
    client, ids = shared
    response = client.post(CARTS, json=fill_text(payload, ids))
    assert response.status_code == 400
    assert response.get_json() == fill_text(body, ids)
    assert client.get(CARTS).get_json() == EMPTY_LIST


# ---------------------------------------------------------------------------------------- answers

ACCEPTED_ANSWERS = [
    pytest.param({"question": "$AGE", "answer": "23"}, ("AGE", "23"), id="number"),
    pytest.param({"question": "$AGE", "answer": " 42.5 "}, ("AGE", "42.5"), id="number-decimal"),
    pytest.param({"question": "$AGE", "answer": "0"}, ("AGE", "0"), id="number-min"),
    pytest.param({"question": "$AGE", "answer": "120"}, ("AGE", "120"), id="number-max"),
    pytest.param({"question": "$COMPANY", "answer": "Acme"}, ("COMPANY", "Acme"), id="string"),
    pytest.param({"question": "$NOTES", "answer": "line one\nline two"}, ("NOTES", "line one\nline two"), id="text"),
    pytest.param({"question": "$NEWSLETTER", "answer": "true"}, ("NEWSLETTER", "True"), id="boolean-true"),
    pytest.param({"question": "$NEWSLETTER", "answer": "False"}, ("NEWSLETTER", "False"), id="boolean-false"),
    pytest.param({"question": "$MEAL", "options": ["$VEG"]}, ("MEAL", "Vegetarian", "VEG"), id="choice"),
    pytest.param(
        {"question": "$TOPICS", "options": ["$AI", "$WEB"]}, ("TOPICS", "AI, Web", "AI", "WEB"), id="multiple-choice"
    ),
    pytest.param({"question": "$TOPICS", "options": ["$WEB"]}, ("TOPICS", "Web", "WEB"), id="multiple-choice-one"),
    pytest.param({"question": "$ARRIVAL_DAY", "answer": "2026-11-02"}, ("ARRIVAL_DAY", "2026-11-02"), id="date"),
    pytest.param({"question": "$ARRIVAL_TIME", "answer": "09:30"}, ("ARRIVAL_TIME", "09:30:00"), id="time"),
    pytest.param(
        {"question": "$DEPARTURE", "answer": "2026-11-02T18:30:00+01:00"},
        ("DEPARTURE", "2026-11-02T17:30:00Z"),
        id="datetime",
    ),
    pytest.param({"question": "$COUNTRY", "answer": "de"}, ("COUNTRY", "DE"), id="country"),
    pytest.param({"question": "$PHONE", "answer": "+49 30 1234567"}, ("PHONE", "+49 30 1234567"), id="phone"),
]


@pytest.mark.parametrize("sent, stored", ACCEPTED_ANSWERS)
def test_answers_are_stored_with_identifiers(shared, sent, stored):
    client, ids = shared
    identifier, text, *options = stored
    body = create_ok(client, {"item": ids["ticket"], "price": "23.00", "answers": [fill_text(sent, ids)]})
    assert body["answers"] == [answer(ids, identifier, text, tuple(options))]
    assert client.get(f"{CARTS}{body['id']}/").get_json()["answers"] == body["answers"]


def test_several_answers_keep_their_order(shared):
    client, ids = shared
    sent = [
        {"question": "$MEAL", "options": ["$MEAT"]},
        {"question": "$AGE", "answer": "30"},
        {"question": "$COMPANY", "answer": ""},
    ]
    body = create_ok(client, {"item": ids["ticket"], "price": "23.00", "answers": fill_text(sent, ids)})
    assert body["answers"] == [
        answer(ids, "MEAL", "Meat", ("MEAT",)),
        answer(ids, "AGE", "30"),
        answer(ids, "COMPANY", ""),
    ]


REJECTED_ANSWERS = [
    pytest.param({"question": "$AGE", "answer": "many"}, {"answer": ["A valid number is required."]}, id="number-text"),
    pytest.param({"question": "$AGE", "answer": None}, {"answer": ["A valid number is required."]}, id="number-null"),
    pytest.param({"question": "$AGE", "answer": "NaN"}, {"answer": ["A valid number is required."]}, id="number-nan"),
    pytest.param(
        {"question": "$AGE", "answer": "-1"},
        {"answer": ["Ensure this value is greater than or equal to 0.00."]},
        id="number-below",
    ),
    pytest.param(
        {"question": "$AGE", "answer": "120.01"},
        {"answer": ["Ensure this value is less than or equal to 120.00."]},
        id="number-above",
    ),
    pytest.param(
        {"question": "$COMPANY", "answer": "Acme Inc"},
        {"answer": ["Ensure this field has no more than 5 characters."]},
        id="string-too-long",
    ),
    pytest.param(
        {"question": "$NEWSLETTER", "answer": "maybe"}, {"answer": ["Must be a valid boolean."]}, id="boolean"
    ),
    pytest.param(
        {"question": "$MEAL", "options": []}, {"options": ["You need to choose an option."]}, id="choice-none"
    ),
    pytest.param(
        {"question": "$MEAL", "answer": "Vegetarian"},
        {"options": ["You need to choose an option."]},
        id="choice-as-text",
    ),
    pytest.param(
        {"question": "$MEAL", "options": ["$VEG", "$MEAT"]},
        {"options": ["You can only choose one option."]},
        id="choice-two",
    ),
    pytest.param(
        {"question": "$MEAL", "options": ["$AI"]},
        {"options": ['Invalid pk "{AI}" - object does not exist.']},
        id="choice-foreign-option",
    ),
    pytest.param(
        {"question": "$TOPICS", "options": []},
        {"options": ["You need to choose an option."]},
        id="multiple-choice-none",
    ),
    pytest.param(
        {"question": "$AGE", "answer": "3", "options": ["$VEG"]},
        {"options": ["Only choice questions take options."]},
        id="options-on-number",
    ),
    pytest.param(
        {"question": "$ARRIVAL_DAY", "answer": "02.11.2026"},
        {"answer": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        id="date",
    ),
    pytest.param(
        {"question": "$ARRIVAL_TIME", "answer": "25:00"},
        {"answer": ["Time has wrong format. Use one of these formats instead: hh:mm[:ss]."]},
        id="time",
    ),
    pytest.param(
        {"question": "$DEPARTURE", "answer": "tomorrow"},
        {"answer": ["Datetime has wrong format. Use ISO 8601 with a time zone."]},
        id="datetime",
    ),
    pytest.param(
        {"question": "$COUNTRY", "answer": "Germany"},
        {"answer": ["Enter a two-letter country code (ISO 3166-1 alpha-2)."]},
        id="country",
    ),
    pytest.param({"question": "$PHONE", "answer": "call me"}, {"answer": ["Enter a valid phone number."]}, id="phone"),
    pytest.param(
        {"question": "$PHOTO", "answer": "file:abc"}, {"answer": ["File upload answers are not supported."]}, id="file"
    ),
    pytest.param(
        {"question": 9999, "answer": "x"},
        {"question": ['Invalid pk "9999" - object does not exist.']},
        id="question-unknown",
    ),
    pytest.param(
        {"question": "$other_question", "answer": "x"},
        {"question": ['Invalid pk "{other_question}" - object does not exist.']},
        id="question-other-event",
    ),
    pytest.param(
        {"question": "$LEVEL", "answer": "Beginner"},
        {"question": ["This question is not asked for this product."]},
        id="question-other-item",
    ),
    pytest.param({"answer": "x"}, {"question": ["This field is required."]}, id="question-missing"),
    pytest.param(
        {"question": "$MEAL", "options": "$VEG"},
        {"options": ['Expected a list of items but got type "int".']},
        id="options-not-list",
    ),
]


@pytest.mark.parametrize("sent, error", REJECTED_ANSWERS)
def test_rejected_answers(shared, sent, error):
    client, ids = shared
    response = client.post(CARTS, json={"item": ids["ticket"], "price": "23.00", "answers": [fill_text(sent, ids)]})
    assert response.status_code == 400
    assert response.get_json() == {"answers": [fill_text(error, ids)]}
    assert client.get(CARTS).get_json() == EMPTY_LIST


def test_the_same_question_twice_is_refused(shared):
    client, ids = shared
    sent = [{"question": "$AGE", "answer": "23"}, {"question": "$AGE", "answer": "24"}]
    response = client.post(CARTS, json={"item": ids["ticket"], "price": "23.00", "answers": fill_text(sent, ids)})
    assert response.status_code == 400
    assert response.get_json() == {"answers": [{}, {"question": ["You cannot answer the same question twice."]}]}


def test_answers_of_an_addon_are_checked_against_the_addon_item(shared):
    client, ids = shared
    payload = {
        "item": "$ticket",
        "price": "23.00",
        "addons": [{"item": "$workshop", "price": "12.00", "answers": [{"question": "$LEVEL", "answer": "Pro"}]}],
    }
    body = create_ok(client, fill_text(payload, ids))
    assert body["answers"] == []
    assert body["addons"][0]["answers"] == [answer(ids, "LEVEL", "Pro")]


# ---------------------------------------------------------------------------------------- add-ons and bundles


def test_addons_and_bundled_take_the_parents_cart_and_expiry(api, shop):
    payload = {
        "item": "$ticket",
        "price": "23.00",
        "cart_id": "till-4@api",
        "expires": "2026-11-01T13:00:00Z",
        "addons": [{"item": "$workshop", "price": "0.00", "attendee_name": "Ann"}],
        "bundled": [{"item": "$parking"}],
    }
    body = create_ok(api, fill_text(payload, shop))
    pid = body["id"]
    common = {"expires": "2026-11-01T13:00:00Z", "addon_to": pid}
    addon = position(
        pid + 1,
        "till-4@api",
        shop["workshop"],
        "0.00",
        attendee_name="Ann",
        attendee_name_parts={"_legacy": "Ann"},
        **common,
    )
    bundled = position(pid + 2, "till-4@api", shop["parking"], "5.00", is_bundled=True, **common)
    parent = position(pid, "till-4@api", shop["ticket"], "23.00", expires="2026-11-01T13:00:00Z")
    assert body == with_nested(parent, addons=[addon], bundled=[bundled])
    assert api.get(CARTS).get_json() == one_page(parent, addon, bundled)
    assert usage(api, shop["q_parking"]) == (1, 4)
    assert usage(api, shop["q_workshops"]) == (1, 0)


def test_bundled_price_is_believed_when_sent(api, shop):
    payload = {"item": "$ticket", "price": "23.00", "bundled": [{"item": "$parking", "price": "2.50"}]}
    body = create_ok(api, fill_text(payload, shop))
    assert body["bundled"] == [
        position(body["id"] + 1, body["cart_id"], shop["parking"], "2.50", addon_to=body["id"], is_bundled=True)
    ]


def test_a_failing_addon_writes_nothing_at_all(api, shop):
    create_ok(
        api, fill_text({"item": "$ticket", "price": "23.00", "addons": [{"item": "$workshop", "price": "12.00"}]}, shop)
    )
    before = api.get(CARTS).get_json()
    response = api.post(
        CARTS,
        json=fill_text(
            {"item": "$ticket", "price": "23.00", "addons": [{"item": "$workshop", "price": "12.00"}]}, shop
        ),
    )
    assert response.status_code == 400
    assert response.get_json() == sold_out("Workshops")
    assert api.get(CARTS).get_json() == before
    assert usage(api, shop["q_tickets"]) == (1, 1)
    assert usage(api, shop["q_workshops"]) == (1, 0)


def test_a_full_parent_quota_writes_no_addon(api, shop):
    for _ in range(2):
        create_ok(api, fill_text(TICKET_ENTRY, shop))
    response = api.post(
        CARTS,
        json=fill_text(
            {"item": "$ticket", "price": "23.00", "addons": [{"item": "$workshop", "price": "12.00"}]}, shop
        ),
    )
    assert response.status_code == 400
    assert response.get_json() == sold_out("Tickets")
    assert usage(api, shop["q_workshops"]) == (0, 1)


# ---------------------------------------------------------------------------------------- quota


@pytest.mark.parametrize("size", [1, 3])
def test_a_quota_accepts_exactly_its_size(api, shop, size):
    quota = created(api, QUOTAS, {"name": "Donations", "size": size, "items": [shop["donation"]]})
    for _ in range(size):
        create_ok(api, {"item": shop["donation"], "price": "5.00"})
    response = api.post(CARTS, json={"item": shop["donation"], "price": "5.00"})
    assert response.status_code == 400
    assert response.get_json() == sold_out("Donations")
    assert usage(api, quota["id"]) == (size, 0)
    assert api.get(CARTS).get_json()["count"] == size


def test_an_unlimited_quota_never_runs_out(api, shop):
    response = api.post(BULK, json=[{"item": shop["pass"], "price": "30.00", "sales_channel": "box_office"}] * 5)
    assert [result["success"] for result in response.get_json()["results"]] == [True] * 5
    assert availability(api, shop["q_passes"])["available_number"] is None


def test_an_item_in_two_quotas_stops_at_the_smaller(api, shop):
    created(api, QUOTAS, {"name": "Day one", "size": 1, "items": [shop["ticket"]]})
    create_ok(api, fill_text(TICKET_ENTRY, shop))
    response = api.post(CARTS, json=fill_text(TICKET_ENTRY, shop))
    assert response.status_code == 400
    assert response.get_json() == sold_out("Day one")
    assert usage(api, shop["q_tickets"]) == (1, 1)


def test_closing_a_quota_refuses_further_positions(api, shop):
    create_ok(api, fill_text(TICKET_ENTRY, shop))
    assert api.patch(f"{QUOTAS}{shop['q_tickets']}/", json={"closed": True}).status_code == 200
    response = api.post(CARTS, json=fill_text(TICKET_ENTRY, shop))
    assert response.status_code == 400
    assert response.get_json() == sold_out("Tickets")


def test_variations_share_their_quota(api, shop):
    for variation in ("$S", "$M", "$S"):
        create_ok(api, fill_text({"item": "$shirt", "variation": variation, "price": "15.00"}, shop))
    response = api.post(CARTS, json=fill_text({"item": "$shirt", "variation": "$M", "price": "18.00"}, shop))
    assert response.get_json() == sold_out("Shirts")
    assert usage(api, shop["q_shirts"]) == (3, 0)


def test_deleting_a_position_frees_its_unit(api, shop):
    first = create_ok(api, fill_text(TICKET_ENTRY, shop))
    create_ok(api, fill_text(TICKET_ENTRY, shop))
    assert api.post(CARTS, json=fill_text(TICKET_ENTRY, shop)).status_code == 400

    response = api.delete(f"{CARTS}{first['id']}/")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert api.get(f"{CARTS}{first['id']}/").status_code == 404
    again = api.delete(f"{CARTS}{first['id']}/")
    assert (again.status_code, again.get_json()) == (404, NOT_FOUND)
    assert usage(api, shop["q_tickets"]) == (1, 1)
    create_ok(api, fill_text(TICKET_ENTRY, shop))


def test_deleting_a_parent_deletes_its_addons_and_bundled(api, shop):
    payload = {
        "item": "$ticket",
        "price": "23.00",
        "addons": [{"item": "$workshop", "price": "12.00"}],
        "bundled": [{"item": "$parking"}],
    }
    body = create_ok(api, fill_text(payload, shop))
    other = create_ok(api, fill_text(TICKET_ENTRY, shop))
    assert api.delete(f"{CARTS}{body['id']}/").status_code == 204
    for pid in (body["id"], body["addons"][0]["id"], body["bundled"][0]["id"]):
        assert api.get(f"{CARTS}{pid}/").status_code == 404
    assert api.get(CARTS).get_json() == one_page(position(other["id"], other["cart_id"], shop["ticket"], "23.00"))
    assert usage(api, shop["q_workshops"]) == (0, 1)
    assert usage(api, shop["q_parking"]) == (0, 5)


def test_deleting_an_addon_keeps_its_parent(api, shop):
    body = create_ok(
        api, fill_text({"item": "$ticket", "price": "23.00", "addons": [{"item": "$workshop", "price": "12.00"}]}, shop)
    )
    assert api.delete(f"{CARTS}{body['addons'][0]['id']}/").status_code == 204
    assert api.get(f"{CARTS}{body['id']}/").status_code == 200
    assert usage(api, shop["q_workshops"]) == (0, 1)
    assert usage(api, shop["q_tickets"]) == (1, 1)


def test_expired_positions_stop_counting_and_are_purged_at_the_next_create(api, shop, clock):
    old = [create_ok(api, fill_text(TICKET_ENTRY, shop)) for _ in range(2)]
    assert api.post(CARTS, json=fill_text(TICKET_ENTRY, shop)).status_code == 400

    clock.advance(minutes=29)
    assert usage(api, shop["q_tickets"]) == (2, 0)
    clock.advance(minutes=2)
    assert usage(api, shop["q_tickets"]) == (0, 2)

    # A refused create purges nothing for good: its whole transaction is undone.
    assert api.post(CARTS, json={"item": 9999}).status_code == 400
    new = create_ok(api, fill_text(TICKET_ENTRY, shop))
    assert (new["datetime"], new["expires"]) == ("2026-11-01T12:31:00Z", "2026-11-01T13:01:00Z")
    for pid in (old[0]["id"], old[1]["id"]):
        assert api.get(f"{CARTS}{pid}/").status_code == 404
    assert api.get(CARTS).get_json() == one_page(
        position(new["id"], new["cart_id"], shop["ticket"], "23.00", datetime=new["datetime"], expires=new["expires"])
    )
    assert usage(api, shop["q_tickets"]) == (1, 1)


def test_a_given_expiry_is_when_the_unit_is_freed(api, shop, clock):
    create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "expires": "2026-11-01T13:00:00Z"}, shop))
    clock.advance(minutes=59)
    assert usage(api, shop["q_tickets"]) == (1, 1)
    clock.advance(minutes=1)
    assert usage(api, shop["q_tickets"]) == (0, 2)


def test_the_reservation_time_follows_the_configuration(api, shop, app, monkeypatch):
    monkeypatch.setitem(app.config, "RESERVATION_MINUTES", 10)
    assert create_ok(api, fill_text(TICKET_ENTRY, shop))["expires"] == "2026-11-01T12:10:00Z"


def test_addons_count_against_their_own_quota(api, shop):
    create_ok(
        api, fill_text({"item": "$ticket", "price": "23.00", "addons": [{"item": "$workshop", "price": "12.00"}]}, shop)
    )
    assert usage(api, shop["q_workshops"]) == (1, 0)
    assert usage(api, shop["q_tickets"]) == (1, 1)
    response = api.post(CARTS, json={"item": shop["workshop"], "price": "12.00"})
    assert response.get_json() == sold_out("Workshops")


# ---------------------------------------------------------------------------------------- vouchers and quota


def test_a_voucher_is_used_up_by_live_carts_only(api, shop, clock):
    first = create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "voucher": "ONCE1"}, shop))
    response = api.post(CARTS, json=fill_text({"item": "$ticket", "price": "23.00", "voucher": "once1"}, shop))
    assert (response.status_code, response.get_json()) == (400, USED_UP)

    assert api.delete(f"{CARTS}{first['id']}/").status_code == 204
    create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "voucher": "ONCE1"}, shop))
    assert (
        api.post(CARTS, json=fill_text({"item": "$ticket", "price": "23.00", "voucher": "ONCE1"}, shop)).get_json()
        == USED_UP
    )

    clock.advance(minutes=31)
    assert (
        create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "voucher": "ONCE1"}, shop))["voucher"]
        == shop["v_ONCE1"]
    )


def test_redeemed_uses_count_against_a_voucher(api, shop, store):
    voucher = created(api, VOUCHERS, {"code": "TWICE", "max_usages": 2})
    # Redemption happens through orders; mark one use as redeemed directly.
    with store.transaction() as tx:
        tx.update("vouchers", voucher["id"], {"redeemed": 1})
    create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "voucher": "TWICE"}, shop))
    response = api.post(CARTS, json=fill_text({"item": "$ticket", "price": "23.00", "voucher": "TWICE"}, shop))
    assert (response.status_code, response.get_json()) == (400, USED_UP)


def test_a_voucher_expires_with_the_clock(api, shop, clock):
    created(api, VOUCHERS, {"code": "SOON1", "max_usages": 10, "valid_until": "2026-11-01T12:10:00Z"})
    create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "voucher": "SOON1"}, shop))
    clock.advance(minutes=11)
    response = api.post(CARTS, json=fill_text({"item": "$ticket", "price": "23.00", "voucher": "SOON1"}, shop))
    assert (response.status_code, response.get_json()) == (400, {"voucher": ["This voucher has expired."]})


def test_a_blocking_voucher_passes_a_full_quota_and_is_not_counted_twice(api, shop):
    created(api, VOUCHERS, {"code": "BLOCKER", "block_quota": True, "item": shop["ticket"], "max_usages": 1})
    assert usage(api, shop["q_tickets"]) == (0, 1)
    create_ok(api, fill_text(TICKET_ENTRY, shop))
    assert api.post(CARTS, json=fill_text(TICKET_ENTRY, shop)).get_json() == sold_out("Tickets")

    body = create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "voucher": "blocker"}, shop))
    assert body["voucher"] is not None
    report = availability(api, shop["q_tickets"])
    assert (report["cart_positions"], report["blocking_vouchers"], report["available_number"]) == (1, 1, 0)
    assert (
        api.post(CARTS, json=fill_text({"item": "$ticket", "price": "23.00", "voucher": "BLOCKER"}, shop)).get_json()
        == USED_UP
    )


def test_a_voucher_allowed_to_ignore_quota_passes_a_full_quota(api, shop):
    voucher = created(api, VOUCHERS, {"code": "IGNORE", "allow_ignore_quota": True, "max_usages": 5})
    for _ in range(2):
        create_ok(api, fill_text(TICKET_ENTRY, shop))
    body = create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "voucher": "IGNORE"}, shop))
    assert body["voucher"] == voucher["id"]
    assert api.post(CARTS, json=fill_text(TICKET_ENTRY, shop)).get_json() == sold_out("Tickets")


def test_carts_of_a_blocking_voucher_count_again_once_it_has_expired(api, shop, clock):
    created(
        api,
        VOUCHERS,
        {
            "code": "BLOCKER",
            "block_quota": True,
            "item": shop["ticket"],
            "max_usages": 1,
            "valid_until": "2026-11-01T12:10:00Z",
        },
    )
    create_ok(api, fill_text({"item": "$ticket", "price": "23.00", "voucher": "BLOCKER"}, shop))
    create_ok(api, fill_text(TICKET_ENTRY, shop))
    clock.advance(minutes=11)
    report = availability(api, shop["q_tickets"])
    assert (report["cart_positions"], report["blocking_vouchers"], report["available_number"]) == (2, 0, 0)
    assert api.post(CARTS, json=fill_text(TICKET_ENTRY, shop)).get_json() == sold_out("Tickets")


def test_a_request_needs_units_for_all_its_positions_of_one_quota(api, shop):
    created(api, QUOTAS, {"name": "Combined", "size": 1, "items": [shop["ticket"], shop["workshop"]]})
    response = api.post(
        CARTS,
        json=fill_text(
            {"item": "$ticket", "price": "23.00", "addons": [{"item": "$workshop", "price": "12.00"}]}, shop
        ),
    )
    assert (response.status_code, response.get_json()) == (400, sold_out("Combined"))
    assert api.get(CARTS).get_json() == EMPTY_LIST
    create_ok(api, fill_text(TICKET_ENTRY, shop))


# ---------------------------------------------------------------------------------------- bulk creation

BULK_MIXED = [
    {"item": "$ticket", "price": "23.00", "attendee_name_parts": {"given_name": "Peter", "family_name": "Miller"}},
    {"item": "abc", "price": "1.00"},
    {"item": 9999, "price": "1.00"},
    {"item": "$ticket", "price": "23.00", "attendee_name_parts": {"given_name": "Maria", "family_name": "Miller"}},
    {"item": "$ticket", "price": "23.00"},
    {"item": "$donation", "price": "5.00"},
    7,
    {"item": "$ticket", "price": "23.00", "addons": [{"item": "$parking"}]},
    {"item": "$shirt", "variation": "$S", "price": "15.00"},
]


def test_bulk_create_answers_each_entry_in_order(api, shop):
    response = api.post(BULK, json=fill_text(BULK_MIXED, shop))
    assert response.status_code == 200
    results = response.get_json()["results"]
    stored = [result["data"] for result in results if result["success"]]
    assert len(stored) == 3

    def ok(data: dict) -> dict:
        return {"success": True, "errors": None, "data": data}

    def failed(errors: dict) -> dict:
        return {"success": False, "errors": errors, "data": None}

    peter, maria, shirt = (
        position(
            stored[0]["id"],
            stored[0]["cart_id"],
            shop["ticket"],
            "23.00",
            attendee_name="Peter Miller",
            attendee_name_parts={"given_name": "Peter", "family_name": "Miller"},
        ),
        position(
            stored[1]["id"],
            stored[1]["cart_id"],
            shop["ticket"],
            "23.00",
            attendee_name="Maria Miller",
            attendee_name_parts={"given_name": "Maria", "family_name": "Miller"},
        ),
        position(stored[2]["id"], stored[2]["cart_id"], shop["shirt"], "15.00", variation=shop["S"]),
    )
    assert results == [
        ok(with_nested(peter)),
        failed({"item": ["A valid integer is required."]}),
        failed({"item": ['Invalid pk "9999" - object does not exist.']}),
        ok(with_nested(maria)),
        failed({"non_field_errors": sold_out("Tickets")}),
        failed({"non_field_errors": no_quota("Donation")}),
        failed({"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}),
        failed({"addons": [{"item": ["This product is not available as an add-on to the main product."]}]}),
        ok(with_nested(shirt)),
    ]
    assert all(CART_ID.match(data["cart_id"]) for data in stored)
    assert api.get(CARTS).get_json() == one_page(peter, maria, shirt)
    assert usage(api, shop["q_tickets"]) == (2, 0)


def test_bulk_create_entries_compete_for_quota_in_order(api, shop):
    response = api.post(
        BULK, json=[{"item": shop["workshop"], "price": "12.00", "attendee_name": name} for name in ("A", "B")]
    )
    assert [(r["success"], r["errors"]) for r in response.get_json()["results"]] == [
        (True, None),
        (False, {"non_field_errors": sold_out("Workshops")}),
    ]
    assert response.get_json()["results"][0]["data"]["attendee_name"] == "A"


def test_bulk_create_of_nothing(api, shop):
    response = api.post(BULK, json=[])
    assert (response.status_code, response.get_json()) == (200, {"results": []})


@pytest.mark.parametrize("body, kind", [({"item": 1}, "dict"), ("tickets", "str"), (5, "int"), (True, "bool")])
def test_bulk_create_needs_a_list(api, shop, body, kind):
    response = api.post(BULK, json=body)
    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": [f'Expected a list of items but got type "{kind}".']}
    assert api.get(CARTS).get_json() == EMPTY_LIST


# ---------------------------------------------------------------------------------------- listing and detail


def test_list_pages_and_reports_when_it_was_generated(api, shop, clock):
    entries = [{"item": shop["pass"], "price": "30.00", "sales_channel": "box_office"}] * 51
    assert all(r["success"] for r in api.post(BULK, json=entries).get_json()["results"])
    clock.advance(minutes=5)

    first = api.get(CARTS)
    assert first.headers["X-Page-Generated"] == "2026-11-01T12:05:00Z"
    body = first.get_json()
    assert (body["count"], body["next"], body["previous"], len(body["results"])) == (
        51,
        f"{ABSOLUTE_CARTS}?page=2",
        None,
        50,
    )
    ids = [result["id"] for result in body["results"]]
    assert ids == sorted(ids)
    second = api.get(f"{CARTS}?page=2").get_json()
    assert (second["count"], second["next"], second["previous"]) == (51, None, ABSOLUTE_CARTS)
    assert [result["id"] for result in second["results"]] == [ids[-1] + 1]
    small = api.get(f"{CARTS}?page_size=20&page=3").get_json()
    assert (len(small["results"]), small["next"]) == (11, None)
    assert api.get(f"{CARTS}?page=4").status_code == 404


def test_empty_list(api, shop):
    response = api.get(CARTS)
    assert (response.status_code, response.get_json()) == (200, EMPTY_LIST)
    assert response.headers["X-Page-Generated"] == NOW


@pytest.mark.parametrize("object_id", ["9999", "abc", "0", "-1"])
def test_unknown_position_is_not_found(api, shop, object_id):
    create_ok(api, fill_text(TICKET_ENTRY, shop))
    for method in ("GET", "DELETE"):
        response = api.request(method, f"{CARTS}{object_id}/")
        assert (response.status_code, response.get_json()) == (404, NOT_FOUND)


def test_other_events_positions_are_invisible(api, shop):
    build_other_event(api, shop)
    response = api.post(f"{OTHER_URL}/cartpositions/", json={"item": shop["other_item"], "price": "9.00"})
    assert response.status_code == 201
    other = response.get_json()
    assert api.get(CARTS).get_json() == EMPTY_LIST
    for method in ("GET", "DELETE"):
        response = api.request(method, f"{CARTS}{other['id']}/")
        assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    assert api.get(f"{OTHER_URL}/cartpositions/{other['id']}/").get_json() == position(
        other["id"], other["cart_id"], shop["other_item"], "9.00"
    )
    # The item of this event is not an item of the other one either.
    response = api.post(f"{OTHER_URL}/cartpositions/", json={"item": shop["ticket"], "price": "23.00"})
    assert response.get_json() == {"item": [f'Invalid pk "{shop["ticket"]}" - object does not exist.']}


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_positions_cannot_be_changed(api, shop, method):
    body = create_ok(api, fill_text(TICKET_ENTRY, shop))
    response = api.request(method, f"{CARTS}{body['id']}/", json={"price": "1.00"})
    assert (response.status_code, response.get_json()) == (405, {"detail": f'Method "{method}" not allowed.'})
    assert api.get(f"{CARTS}{body['id']}/").get_json()["price"] == "23.00"


# ---------------------------------------------------------------------------------------- access

ACCESS = [
    pytest.param("boxoffice", "GET", "list", 200, None, id="boxoffice-list"),
    pytest.param("boxoffice", "GET", "detail", 200, None, id="boxoffice-detail"),
    pytest.param("boxoffice", "POST", "list", 201, None, id="boxoffice-create"),
    pytest.param("boxoffice", "POST", "bulk", 200, None, id="boxoffice-bulk"),
    pytest.param("boxoffice", "DELETE", "detail", 204, None, id="boxoffice-delete"),
    pytest.param("checkin", "GET", "list", 403, FORBIDDEN, id="checkin-list"),
    pytest.param("checkin", "GET", "detail", 403, FORBIDDEN, id="checkin-detail"),
    pytest.param("checkin", "POST", "list", 403, FORBIDDEN, id="checkin-create"),
    pytest.param("checkin", "POST", "bulk", 403, FORBIDDEN, id="checkin-bulk"),
    pytest.param("checkin", "DELETE", "detail", 403, FORBIDDEN, id="checkin-delete"),
    pytest.param(None, "GET", "list", 401, UNAUTHENTICATED, id="anonymous-list"),
    pytest.param(None, "GET", "detail", 401, UNAUTHENTICATED, id="anonymous-detail"),
    pytest.param(None, "POST", "list", 401, UNAUTHENTICATED, id="anonymous-create"),
    pytest.param(None, "POST", "bulk", 401, UNAUTHENTICATED, id="anonymous-bulk"),
    pytest.param(None, "DELETE", "detail", 401, UNAUTHENTICATED, id="anonymous-delete"),
    pytest.param("other-organizer", "GET", "list", 403, FORBIDDEN, id="other-organizer-list"),
    pytest.param("other-organizer", "POST", "list", 403, FORBIDDEN, id="other-organizer-create"),
    pytest.param("admin", "GET", "unknown-event", 403, FORBIDDEN, id="unknown-event-list"),
    pytest.param("admin", "POST", "unknown-event", 403, FORBIDDEN, id="unknown-event-create"),
    pytest.param("admin", "GET", "unknown-organizer", 403, FORBIDDEN, id="unknown-organizer-list"),
]


# The URL of each target of ACCESS, "{id}" standing for the existing cart position.
ACCESS_TARGETS = {"list": CARTS, "detail": CARTS + "{id}/", "bulk": BULK}
ACCESS_TARGETS["unknown-event"] = f"{EVENTS}nosuchconf/cartpositions/"
ACCESS_TARGETS["unknown-organizer"] = "/api/v1/organizers/nosuchorg/events/sampleconf/cartpositions/"


@pytest.mark.parametrize("scope, method, target, status, body", ACCESS)
def test_access(api, client_for, anonymous, scope, method, target, status, body):
    ticket = created(api, ITEMS, {"name": "Ticket", "default_price": "23.00"})["id"]
    created(api, QUOTAS, {"name": "Tickets", "size": 10, "items": [ticket]})
    existing = create_ok(api, {"item": ticket, "price": "23.00"})
    client = client_as(scope, client_for, anonymous)
    url = ACCESS_TARGETS[target].format(id=existing["id"])
    payload = None
    if method == "POST":
        payload = [{"item": ticket, "price": "23.00"}] if target == "bulk" else {"item": ticket, "price": "23.00"}
    response = client.request(method, url, json=payload)
    assert response.status_code == status
    if body is not None:
        assert response.get_json() == body
    expected_count = {201: 2, 200: 2 if target == "bulk" else 1, 204: 0}.get(status, 1)
    assert api.get(CARTS).get_json()["count"] == expected_count


# ---------------------------------------------------------------------------------------- idempotency


def test_a_retried_create_with_an_idempotency_key_reserves_once(api, shop):
    headers = {"X-Idempotency-Key": "7b0c3e4e-1f0a-4a55-9d3e-3f7f0c1d2a11"}
    first = api.post(CARTS, json=fill_text(TICKET_ENTRY, shop), headers=headers)
    retry = api.post(CARTS, json=fill_text(TICKET_ENTRY, shop), headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert api.get(CARTS).get_json()["count"] == 1
    assert usage(api, shop["q_tickets"]) == (1, 1)

    other = api.post(CARTS, json=fill_text(TICKET_ENTRY, shop), headers={"X-Idempotency-Key": "another"})
    assert other.status_code == 201
    assert other.get_json()["id"] != first.get_json()["id"]
    assert usage(api, shop["q_tickets"]) == (2, 0)


def test_a_retried_bulk_create_with_an_idempotency_key_reserves_once(api, shop):
    headers = {"X-Idempotency-Key": "bulk-1"}
    first = api.post(BULK, json=[fill_text(TICKET_ENTRY, shop)], headers=headers)
    retry = api.post(BULK, json=[fill_text(TICKET_ENTRY, shop)], headers=headers)
    assert first.get_json() == retry.get_json()
    assert first.get_json()["results"][0]["success"] is True
    assert usage(api, shop["q_tickets"]) == (1, 1)
