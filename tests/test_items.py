"""Items over HTTP: the full resource, nested creation of variations/add-ons/bundles, validation, filters,
ordering, pagination, deletion and what it takes along, access."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL, assert_listed_and_shown, create_refused, created, delete_and_check_gone, page
from tests.messages import NOT_FOUND

ITEMS_URL = f"{EVENT_URL}/items/"
OTHER_EVENT_URL = "/api/v1/organizers/bigevents/events/otherconf"
OTHER_EVENT = {"name": {"en": "Other Conference"}, "slug": "otherconf", "date_from": "2018-01-10T10:00:00Z"}
ALL_CHANNELS = ["web", "box_office", "pretixpos", "resellers"]


def invalid_pk(value) -> list[str]:
    return [f'Invalid pk "{value}" - object does not exist.']


# The create request of items.rst, verbatim ("id" and "tax_rate" are read-only and ignored; "tax_rule": 1 is
# replaced by the id of a tax rule the test creates).
DOC_CREATE = {
    "id": 1,
    "name": {"en": "Standard ticket"},
    "internal_name": "",
    "all_sales_channels": False,
    "limit_sales_channels": ["web"],
    "default_price": "23.00",
    "original_price": None,
    "category": None,
    "active": True,
    "description": None,
    "free_price": False,
    "free_price_suggestion": None,
    "tax_rate": "0.00",
    "tax_rule": 1,
    "admission": False,
    "personalized": False,
    "issue_giftcard": False,
    "media_policy": None,
    "media_type": None,
    "meta_data": {},
    "position": 0,
    "picture": None,
    "available_from": None,
    "available_from_mode": "hide",
    "available_until": None,
    "available_until_mode": "hide",
    "hidden_if_available": None,
    "hidden_if_item_available": None,
    "hidden_if_item_available_mode": "hide",
    "require_voucher": False,
    "hide_without_voucher": False,
    "allow_cancel": True,
    "generate_tickets": None,
    "allow_waitinglist": True,
    "show_quota_left": None,
    "min_per_order": None,
    "max_per_order": None,
    "checkin_attention": False,
    "checkin_text": None,
    "require_approval": False,
    "require_bundling": False,
    "require_membership": False,
    "require_membership_types": [],
    "grant_membership_type": None,
    "grant_membership_duration_like_event": True,
    "grant_membership_duration_days": 0,
    "grant_membership_duration_months": 0,
    "validity_fixed_from": None,
    "validity_fixed_until": None,
    "validity_dynamic_duration_minutes": None,
    "validity_dynamic_duration_hours": None,
    "validity_dynamic_duration_days": None,
    "validity_dynamic_duration_months": None,
    "validity_dynamic_start_choice": False,
    "validity_dynamic_start_choice_day_limit": None,
    "variations": [
        {
            "value": {"en": "Student"},
            "default_price": "10.00",
            "price": "10.00",
            "original_price": None,
            "free_price_suggestion": None,
            "active": True,
            "checkin_attention": False,
            "checkin_text": None,
            "require_approval": False,
            "require_membership": False,
            "require_membership_types": [],
            "all_sales_channels": False,
            "limit_sales_channels": ["web"],
            "available_from": None,
            "available_from_mode": "hide",
            "available_until": None,
            "available_until_mode": "hide",
            "hide_without_voucher": False,
            "description": None,
            "meta_data": {},
            "position": 0,
        },
        {
            "value": {"en": "Regular"},
            "default_price": None,
            "price": "23.00",
            "original_price": None,
            "free_price_suggestion": None,
            "active": True,
            "checkin_attention": False,
            "checkin_text": None,
            "require_approval": False,
            "require_membership": False,
            "require_membership_types": [],
            "all_sales_channels": False,
            "limit_sales_channels": ["web"],
            "available_from": None,
            "available_from_mode": "hide",
            "available_until": None,
            "available_until_mode": "hide",
            "hide_without_voucher": False,
            "description": None,
            "meta_data": {},
            "position": 1,
        },
    ],
    "addons": [],
    "bundles": [],
    "program_times": [{"start": "2025-08-14T22:00:00Z", "end": "2025-08-15T00:00:00Z"}],
}

# The response of items.rst's create example.
DOC_RESPONSE = {
    "id": 1,
    "name": {"en": "Standard ticket"},
    "internal_name": "",
    "all_sales_channels": False,
    "limit_sales_channels": ["web"],
    "sales_channels": ["web"],
    "default_price": "23.00",
    "original_price": None,
    "category": None,
    "active": True,
    "description": None,
    "free_price": False,
    "free_price_suggestion": None,
    "tax_rate": "0.00",
    "tax_rule": 1,
    "admission": False,
    "personalized": False,
    "issue_giftcard": False,
    "media_policy": None,
    "media_type": None,
    "meta_data": {},
    "position": 0,
    "picture": None,
    "available_from": None,
    "available_from_mode": "hide",
    "available_until": None,
    "available_until_mode": "hide",
    "hidden_if_available": None,
    "hidden_if_item_available": None,
    "hidden_if_item_available_mode": "hide",
    "require_voucher": False,
    "hide_without_voucher": False,
    "allow_cancel": True,
    "min_per_order": None,
    "max_per_order": None,
    "generate_tickets": None,
    "allow_waitinglist": True,
    "show_quota_left": None,
    "checkin_attention": False,
    "checkin_text": None,
    "has_variations": True,
    "require_approval": False,
    "require_bundling": False,
    "require_membership": False,
    "require_membership_types": [],
    "grant_membership_type": None,
    "grant_membership_duration_like_event": True,
    "grant_membership_duration_days": 0,
    "grant_membership_duration_months": 0,
    "validity_fixed_from": None,
    "validity_fixed_until": None,
    "validity_dynamic_duration_minutes": None,
    "validity_dynamic_duration_hours": None,
    "validity_dynamic_duration_days": None,
    "validity_dynamic_duration_months": None,
    "validity_dynamic_start_choice": False,
    "validity_dynamic_start_choice_day_limit": None,
    "variations": [
        {
            "value": {"en": "Student"},
            "default_price": "10.00",
            "price": "10.00",
            "original_price": None,
            "free_price_suggestion": None,
            "active": True,
            "checkin_attention": False,
            "checkin_text": None,
            "require_approval": False,
            "require_membership": False,
            "require_membership_types": [],
            "all_sales_channels": False,
            "limit_sales_channels": ["web"],
            "sales_channels": ["web"],
            "available_from": None,
            "available_from_mode": "hide",
            "available_until": None,
            "available_until_mode": "hide",
            "hide_without_voucher": False,
            "description": None,
            "meta_data": {},
            "position": 0,
        },
        {
            "value": {"en": "Regular"},
            "default_price": None,
            "price": "23.00",
            "original_price": None,
            "free_price_suggestion": None,
            "active": True,
            "checkin_attention": False,
            "checkin_text": None,
            "require_approval": False,
            "require_membership": False,
            "require_membership_types": [],
            "all_sales_channels": False,
            "limit_sales_channels": ["web"],
            "sales_channels": ["web"],
            "available_from": None,
            "available_from_mode": "hide",
            "available_until": None,
            "available_until_mode": "hide",
            "hide_without_voucher": False,
            "description": None,
            "meta_data": {},
            "position": 1,
        },
    ],
    "addons": [],
    "bundles": [],
    "program_times": [{"start": "2025-08-14T22:00:00Z", "end": "2025-08-15T00:00:00Z"}],
}

# Every field of an item as answered when only the required ones were sent.
ITEM_DEFAULTS = {
    "internal_name": "",
    "all_sales_channels": True,
    "limit_sales_channels": [],
    "sales_channels": ALL_CHANNELS,
    "original_price": None,
    "category": None,
    "active": True,
    "description": None,
    "free_price": False,
    "free_price_suggestion": None,
    "tax_rate": "0.00",
    "tax_rule": None,
    "admission": False,
    "personalized": False,
    "position": 0,
    "picture": None,
    "available_from": None,
    "available_from_mode": "hide",
    "available_until": None,
    "available_until_mode": "hide",
    "hidden_if_available": None,
    "hidden_if_item_available": None,
    "hidden_if_item_available_mode": "hide",
    "require_voucher": False,
    "hide_without_voucher": False,
    "allow_cancel": True,
    "min_per_order": None,
    "max_per_order": None,
    "checkin_attention": False,
    "checkin_text": None,
    "require_approval": False,
    "require_bundling": False,
    "require_membership": False,
    "require_membership_hidden": False,
    "require_membership_types": [],
    "grant_membership_type": None,
    "grant_membership_duration_like_event": True,
    "grant_membership_duration_days": 0,
    "grant_membership_duration_months": 0,
    "validity_mode": None,
    "validity_fixed_from": None,
    "validity_fixed_until": None,
    "validity_dynamic_duration_minutes": None,
    "validity_dynamic_duration_hours": None,
    "validity_dynamic_duration_days": None,
    "validity_dynamic_duration_months": None,
    "validity_dynamic_start_choice": False,
    "validity_dynamic_start_choice_day_limit": None,
    "generate_tickets": None,
    "allow_waitinglist": True,
    "issue_giftcard": False,
    "media_policy": None,
    "media_type": None,
    "show_quota_left": None,
    "has_variations": False,
    "meta_data": {},
    "variations": [],
    "addons": [],
    "bundles": [],
    "program_times": [],
}
VARIATION_DEFAULTS = {
    "all_sales_channels": True,
    "limit_sales_channels": [],
    "sales_channels": ALL_CHANNELS,
    "default_price": None,
    "free_price_suggestion": None,
    "original_price": None,
    "active": True,
    "description": None,
    "position": 0,
    "checkin_attention": False,
    "checkin_text": None,
    "require_approval": False,
    "require_membership": False,
    "require_membership_hidden": False,
    "require_membership_types": [],
    "available_from": None,
    "available_from_mode": "hide",
    "available_until": None,
    "available_until_mode": "hide",
    "hide_without_voucher": False,
    "meta_data": {},
}
ADDON_DEFAULTS = {"min_count": 0, "max_count": 1, "position": 0, "multi_allowed": False, "price_included": False}
BUNDLE_DEFAULTS = {"bundled_variation": None, "count": 1, "designated_price": "0.00"}

TICKET = {"name": {"en": "Ticket"}, "default_price": "23.00"}
VAT = {"name": {"en": "VAT"}, "rate": "19.00"}


def item(item_id: int, **fields) -> dict:
    """The full body of an item: the defaults, overridden by `fields`."""
    return {"id": item_id, **ITEM_DEFAULTS, **fields}


def variation(variation_id: int, value: str, price: str, **fields) -> dict:
    return {"id": variation_id, **VARIATION_DEFAULTS, "value": {"en": value}, "price": price, **fields}


def post(api, url: str, payload: dict) -> dict:
    return created(api, url, payload)


def create(api, **fields) -> dict:
    return post(api, ITEMS_URL, {**TICKET, **fields})


def other_event(api) -> str:
    """Create a second event of the organizer; return its URL."""
    assert api.post("/api/v1/organizers/bigevents/events/", json=OTHER_EVENT).status_code == 201
    return OTHER_EVENT_URL


# ---------------------------------------------------------------------------------------- the docs' examples


def expected_doc_response(body: dict, tax_rule: int, **changes) -> dict:
    """The docs' response with our ids, plus the table's fields its example leaves out."""
    variations = [
        {**documented, "id": answered["id"], "require_membership_hidden": False}
        for documented, answered in zip(DOC_RESPONSE["variations"], body["variations"], strict=True)
    ]
    return {
        **DOC_RESPONSE,
        "id": body["id"],
        "tax_rule": tax_rule,
        "require_membership_hidden": False,
        "validity_mode": None,
        "variations": variations,
        **changes,
    }


def test_create_example_from_docs(api):
    tax_rule = post(api, f"{EVENT_URL}/taxrules/", {**VAT, "rate": "0.00"})

    response = api.post(ITEMS_URL, json={**DOC_CREATE, "tax_rule": tax_rule["id"]})

    assert response.status_code == 201
    body = response.get_json()
    assert body == expected_doc_response(body, tax_rule["id"])
    assert len({v["id"] for v in body["variations"]}) == 2


def test_list_and_detail_answer_what_create_answered(api):
    tax_rule = post(api, f"{EVENT_URL}/taxrules/", {**VAT, "rate": "0.00"})
    created = post(api, ITEMS_URL, {**DOC_CREATE, "tax_rule": tax_rule["id"]})

    assert_listed_and_shown(api, ITEMS_URL, created)


def test_patch_example_from_docs(api):
    tax_rule = post(api, f"{EVENT_URL}/taxrules/", {**VAT, "rate": "0.00"})
    created = post(api, ITEMS_URL, {**DOC_CREATE, "tax_rule": tax_rule["id"]})

    response = api.patch(f"{ITEMS_URL}{created['id']}/", json={"name": {"en": "Ticket"}, "default_price": "25.00"})

    assert response.status_code == 200
    body = response.get_json()
    expected = expected_doc_response(body, tax_rule["id"], name={"en": "Ticket"}, default_price="25.00")
    # Unlike the docs' example, a variation without a price of its own follows the new item price,
    # and the program times the item was created with stay.
    expected["variations"][1]["price"] = "25.00"
    assert body == expected
    assert api.get(f"{ITEMS_URL}{created['id']}/").get_json() == body


def test_delete_example_from_docs(api):
    created = create(api)

    delete_and_check_gone(api, ITEMS_URL, created["id"])
    assert api.get(ITEMS_URL).get_json() == page([])


# ---------------------------------------------------------------------------------------- create


def test_minimal_create_answers_every_field(api):
    body = post(api, ITEMS_URL, TICKET)
    assert body == item(body["id"], name={"en": "Ticket"}, default_price="23.00")


def test_tax_rate_comes_from_the_tax_rule(api):
    tax_rule = post(api, f"{EVENT_URL}/taxrules/", VAT)

    body = create(api, tax_rule=tax_rule["id"], tax_rate="7.00")

    assert body == item(body["id"], **TICKET, tax_rule=tax_rule["id"], tax_rate="19.00")


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ({"admission": True}, {"admission": True, "personalized": True}),
        ({"admission": True, "personalized": False}, {"admission": True, "personalized": False}),
        ({"admission": True, "personalized": True}, {"admission": True, "personalized": True}),
        ({"admission": False}, {"admission": False, "personalized": False}),
        ({"admission": False, "personalized": False}, {"admission": False, "personalized": False}),
    ],
)
def test_personalized_defaults_to_admission(api, sent, answered):
    body = create(api, **sent)

    assert body == item(body["id"], **TICKET, **answered)


# Fields answered as sent, then fields whose answer differs from what was sent.
STORED_AS_SENT = [
    {"validity_mode": "dynamic", "validity_dynamic_duration_hours": 3, "validity_dynamic_start_choice": True},
    {"validity_dynamic_start_choice_day_limit": 10, "validity_dynamic_duration_minutes": 30},
    {"validity_dynamic_duration_days": 1, "validity_dynamic_duration_months": 2},
    {"validity_mode": "fixed", "validity_fixed_from": "2026-12-27T09:00:00Z"},
    {"validity_fixed_until": "2026-12-27T18:00:00Z"},
    {"min_per_order": 2, "max_per_order": 2, "free_price": True, "original_price": "40.00"},
    {"media_policy": "reuse_or_new", "media_type": "barcode", "issue_giftcard": True, "show_quota_left": True},
    {"generate_tickets": False, "allow_waitinglist": False, "allow_cancel": False},
    {"checkin_attention": True, "checkin_text": "Check ID", "require_voucher": True, "hide_without_voucher": True},
    {"require_approval": True, "require_bundling": True, "position": 4, "internal_name": "T-1"},
    {"grant_membership_duration_like_event": False, "grant_membership_duration_days": 3},
    {"grant_membership_duration_months": 1, "require_membership": True, "require_membership_hidden": True},
    {"description": {"en": "Entry", "de": "Eintritt"}, "picture": None, "active": False},
    {"hidden_if_item_available_mode": "info", "available_until_mode": "info", "available_from_mode": "info"},
]
STORED_DIFFERENTLY = [
    ({"all_sales_channels": False}, {"all_sales_channels": False, "sales_channels": []}),
    ({"default_price": 12}, {"default_price": "12.00"}),
    ({"default_price": "0"}, {"default_price": "0.00"}),
    ({"default_price": 9.5}, {"default_price": "9.50"}),
    ({"free_price_suggestion": "30"}, {"free_price_suggestion": "30.00"}),
    ({"name": "Day pass"}, {"name": {"en": "Day pass"}}),
    (
        {"all_sales_channels": False, "limit_sales_channels": ["web", "box_office"]},
        {
            "all_sales_channels": False,
            "limit_sales_channels": ["web", "box_office"],
            "sales_channels": ["web", "box_office"],
        },
    ),
    ({"all_sales_channels": True, "limit_sales_channels": ["web"]}, {"limit_sales_channels": ["web"]}),
    (
        {"available_from": "2026-12-01T10:00:00+02:00", "available_until": "2026-12-24T12:00:00"},
        {"available_from": "2026-12-01T08:00:00Z", "available_until": "2026-12-24T12:00:00Z"},
    ),
    (
        {"program_times": [{"start": "2026-12-27T10:00:00+01:00", "end": "2026-12-27T12:00:00+01:00"}]},
        {"program_times": [{"start": "2026-12-27T09:00:00Z", "end": "2026-12-27T11:00:00Z"}]},
    ),
    ({"has_variations": True, "tax_rate": "19.00", "sales_channels": ["web"], "id": 50, "unknown": 1}, {}),
]


@pytest.mark.parametrize(("sent", "answered"), [(fields, fields) for fields in STORED_AS_SENT] + STORED_DIFFERENTLY)
def test_create_stores_and_answers_fields(api, sent, answered):
    response = api.post(ITEMS_URL, json={**TICKET, **sent})

    assert response.status_code == 201
    body = response.get_json()
    assert body == item(body["id"], **{**TICKET, **answered})
    assert api.get(f"{ITEMS_URL}{body['id']}/").get_json() == body


def test_meta_data_needs_a_property_of_the_event(api):
    api.patch(f"{EVENT_URL}/", json={"item_meta_properties": {"color": "blue"}})

    accepted = api.post(ITEMS_URL, json={**TICKET, "meta_data": {"color": "red"}})
    rejected = api.post(ITEMS_URL, json={**TICKET, "meta_data": {"size": "XL"}})

    assert accepted.status_code == 201
    assert accepted.get_json() == item(accepted.get_json()["id"], **TICKET, meta_data={"color": "red"})
    assert rejected.status_code == 400
    assert rejected.get_json() == {"meta_data": ['Item meta data property "size" does not exist.']}


def test_references_to_objects_of_the_event(api):
    category = post(api, f"{EVENT_URL}/categories/", {"name": "Tickets"})
    tax_rule = post(api, f"{EVENT_URL}/taxrules/", VAT)
    first = create(api)
    quota = post(api, f"{EVENT_URL}/quotas/", {"name": "All", "size": 10, "items": [first["id"]]})

    body = create(
        api,
        name={"en": "Late ticket"},
        category=category["id"],
        tax_rule=tax_rule["id"],
        hidden_if_available=quota["id"],
        hidden_if_item_available=first["id"],
        hidden_if_item_available_mode="info",
    )

    assert body == item(
        body["id"],
        name={"en": "Late ticket"},
        default_price="23.00",
        category=category["id"],
        tax_rule=tax_rule["id"],
        tax_rate="19.00",
        hidden_if_available=quota["id"],
        hidden_if_item_available=first["id"],
        hidden_if_item_available_mode="info",
    )


def test_references_to_objects_of_another_event_are_rejected(api):
    other = other_event(api)
    category = post(api, f"{other}/categories/", {"name": "Tickets"})
    tax_rule = post(api, f"{other}/taxrules/", VAT)
    foreign = post(api, f"{other}/items/", TICKET)
    quota = post(api, f"{other}/quotas/", {"name": "All", "size": 10, "items": [foreign["id"]]})

    response = api.post(
        ITEMS_URL,
        json={
            **TICKET,
            "category": category["id"],
            "tax_rule": tax_rule["id"],
            "hidden_if_available": quota["id"],
            "hidden_if_item_available": foreign["id"],
        },
    )

    assert response.status_code == 400
    assert response.get_json() == {
        "category": invalid_pk(category["id"]),
        "tax_rule": invalid_pk(tax_rule["id"]),
        "hidden_if_available": invalid_pk(quota["id"]),
        "hidden_if_item_available": invalid_pk(foreign["id"]),
    }
    assert api.get(ITEMS_URL).get_json() == page([])


DATETIME_FORMAT_ERROR = (
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
PERSONALIZED_ONLY_ADMISSION = {"personalized": ["Only admission products can be personalized."]}

INVALID_PAYLOADS = [
    ({}, {"name": ["This field is required."], "default_price": ["This field is required."]}),
    ({"name": {"en": "Ticket"}}, {"default_price": ["This field is required."]}),
    ({**TICKET, "name": {"en": ""}}, {"name": ["This field may not be blank."]}),
    ({**TICKET, "name": None}, {"name": ["This field may not be null."]}),
    ({**TICKET, "name": 3}, {"name": ["Invalid data type."]}),
    ({**TICKET, "default_price": "cheap"}, {"default_price": ["A valid number is required."]}),
    ({**TICKET, "default_price": None}, {"default_price": ["This field may not be null."]}),
    ({**TICKET, "default_price": "-1.00"}, {"default_price": ["Ensure this value is greater than or equal to 0."]}),
    ({**TICKET, "default_price": "1.001"}, {"default_price": ["Ensure that there are no more than 2 decimal places."]}),
    (
        {**TICKET, "default_price": "1" * 12},
        {"default_price": ["Ensure that there are no more than 13 digits in total."]},
    ),
    ({**TICKET, "active": "maybe"}, {"active": ["Must be a valid boolean."]}),
    ({**TICKET, "position": -1}, {"position": ["Ensure this value is greater than or equal to 0."]}),
    ({**TICKET, "available_from": "tomorrow"}, {"available_from": [DATETIME_FORMAT_ERROR]}),
    ({**TICKET, "validity_fixed_from": "2026-12-27"}, {"validity_fixed_from": [DATETIME_FORMAT_ERROR]}),
    ({**TICKET, "available_from_mode": "show"}, {"available_from_mode": ['"show" is not a valid choice.']}),
    (
        {**TICKET, "hidden_if_item_available_mode": None},
        {"hidden_if_item_available_mode": ["This field may not be null."]},
    ),
    ({**TICKET, "validity_mode": "forever"}, {"validity_mode": ['"forever" is not a valid choice.']}),
    ({**TICKET, "media_policy": "always"}, {"media_policy": ['"always" is not a valid choice.']}),
    (
        {**TICKET, "limit_sales_channels": ["web", "mail"]},
        {"limit_sales_channels": {"1": ['"mail" is not a valid choice.']}},
    ),
    (
        {**TICKET, "limit_sales_channels": "web"},
        {"limit_sales_channels": ['Expected a list of items but got type "str".']},
    ),
    (
        {**TICKET, "min_per_order": 3, "max_per_order": 2},
        {"max_per_order": ["Ensure this value is greater than or equal to min_per_order."]},
    ),
    ({**TICKET, "personalized": True}, PERSONALIZED_ONLY_ADMISSION),
    ({**TICKET, "personalized": True, "admission": False}, PERSONALIZED_ONLY_ADMISSION),
    ({**TICKET, "personalized": None}, {"personalized": ["This field may not be null."]}),
    ({**TICKET, "category": 99}, {"category": invalid_pk(99)}),
    ({**TICKET, "tax_rule": 99}, {"tax_rule": invalid_pk(99)}),
    ({**TICKET, "hidden_if_available": 99}, {"hidden_if_available": invalid_pk(99)}),
    ({**TICKET, "hidden_if_item_available": 99}, {"hidden_if_item_available": invalid_pk(99)}),
    ({**TICKET, "category": "one"}, {"category": ["A valid integer is required."]}),
    ({**TICKET, "require_membership_types": [1]}, {"require_membership_types": invalid_pk(1)}),
    ({**TICKET, "grant_membership_type": 1}, {"grant_membership_type": invalid_pk(1)}),
    ({**TICKET, "meta_data": {"color": "red"}}, {"meta_data": ['Item meta data property "color" does not exist.']}),
    ({**TICKET, "meta_data": ["color"]}, {"meta_data": ['Expected a dictionary of items but got type "list".']}),
    (
        {**TICKET, "program_times": [{"start": "2026-12-27T12:00:00Z", "end": "2026-12-27T10:00:00Z"}]},
        {"program_times": ["The end of a program time must be after its start."]},
    ),
    (
        {**TICKET, "program_times": [{"start": "2026-12-27T12:00:00Z"}]},
        {"program_times": [{"end": ["This field is required."]}]},
    ),
    (
        {"default_price": "x", "tax_rule": 99, "admission": "no idea"},
        {
            "name": ["This field is required."],
            "default_price": ["A valid number is required."],
            "admission": ["Must be a valid boolean."],
        },
    ),
    (
        {**TICKET, "category": 98, "tax_rule": 99, "hidden_if_item_available": 97},
        {"category": invalid_pk(98), "tax_rule": invalid_pk(99), "hidden_if_item_available": invalid_pk(97)},
    ),
]


@pytest.mark.parametrize(("payload", "errors"), INVALID_PAYLOADS)
def test_create_rejects_invalid_payload(api, payload, errors):
    create_refused(api, ITEMS_URL, payload, errors)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([TICKET], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        (5, {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}),
    ],
)
def test_create_rejects_a_body_that_is_not_an_object(api, body, errors):
    response = api.post(ITEMS_URL, json=body)

    assert response.status_code == 400
    assert response.get_json() == errors


# ---------------------------------------------------------------------------------------- nested parts on create


def test_create_with_variations_addons_and_bundles(api):
    addon_category = post(api, f"{EVENT_URL}/categories/", {"name": "Workshops", "is_addon": True})
    merch = post(api, f"{EVENT_URL}/categories/", {"name": "Merch", "is_addon": True})
    shirt = create(
        api,
        name={"en": "Shirt"},
        default_price="15.00",
        variations=[{"value": "S"}, {"value": "M", "default_price": "16.00"}],
    )
    drink = create(api, name={"en": "Drink"}, default_price="3.00")

    response = api.post(
        ITEMS_URL,
        json={
            **TICKET,
            "variations": [
                {"value": "Late", "default_price": "30.00", "position": 2, "active": False},
                {"value": "Early", "position": 1, "all_sales_channels": False, "limit_sales_channels": ["box_office"]},
            ],
            "addons": [
                {"addon_category": addon_category["id"], "min_count": 1, "max_count": 2, "position": 1},
                {"addon_category": merch["id"], "multi_allowed": True, "price_included": True},
            ],
            "bundles": [
                {
                    "bundled_item": shirt["id"],
                    "bundled_variation": shirt["variations"][1]["id"],
                    "designated_price": "5",
                },
                {"bundled_item": drink["id"], "count": 2},
            ],
        },
    )

    assert response.status_code == 201
    body = response.get_json()
    late, early = sorted(body["variations"], key=lambda v: v["id"])
    workshop_addon, merch_addon = sorted(body["addons"], key=lambda a: a["id"])
    shirt_bundle, drink_bundle = sorted(body["bundles"], key=lambda b: b["id"])
    assert body == item(
        body["id"],
        **TICKET,
        has_variations=True,
        variations=[
            variation(
                early["id"],
                "Early",
                "23.00",
                position=1,
                all_sales_channels=False,
                limit_sales_channels=["box_office"],
                sales_channels=["box_office"],
            ),
            variation(late["id"], "Late", "30.00", default_price="30.00", position=2, active=False),
        ],
        addons=[
            {
                "id": merch_addon["id"],
                **ADDON_DEFAULTS,
                "addon_category": merch["id"],
                "multi_allowed": True,
                "price_included": True,
            },
            {
                "id": workshop_addon["id"],
                **ADDON_DEFAULTS,
                "addon_category": addon_category["id"],
                "min_count": 1,
                "max_count": 2,
                "position": 1,
            },
        ],
        bundles=[
            {
                "id": shirt_bundle["id"],
                **BUNDLE_DEFAULTS,
                "bundled_item": shirt["id"],
                "bundled_variation": shirt["variations"][1]["id"],
                "designated_price": "5.00",
            },
            {"id": drink_bundle["id"], **BUNDLE_DEFAULTS, "bundled_item": drink["id"], "count": 2},
        ],
    )
    assert api.get(f"{ITEMS_URL}{body['id']}/").get_json() == body
    assert api.get(f"{ITEMS_URL}{body['id']}/variations/").get_json() == page(body["variations"])


@pytest.fixture
def parts(api) -> dict[str, dict]:
    """Objects nested entries can point at: an add-on category, a plain item and an item with variations."""
    return {
        "addon_category": post(api, f"{EVENT_URL}/categories/", {"name": "Workshops", "is_addon": True}),
        "plain": create(api, name={"en": "Drink"}),
        "varied": create(api, name={"en": "Shirt"}, variations=[{"value": "S"}]),
    }


NESTED_INVALID = [
    (
        {"variations": [{"value": "Regular"}, {"default_price": "10.00"}]},
        {"variations": [{}, {"value": ["This field is required."]}]},
    ),
    (
        {"variations": [{"value": "Regular", "default_price": "-1"}, {"value": "Student", "position": "x"}]},
        {
            "variations": [
                {"default_price": ["Ensure this value is greater than or equal to 0."]},
                {"position": ["A valid integer is required."]},
            ]
        },
    ),
    (
        {"variations": [{"value": "Regular"}, {"value": "Student", "meta_data": {"color": "red"}}]},
        {"variations": [{}, {"meta_data": ['Item meta data property "color" does not exist.']}]},
    ),
    (
        {"variations": [{"value": "Regular", "require_membership_types": [4]}]},
        {"variations": [{"require_membership_types": invalid_pk(4)}]},
    ),
    ({"variations": {"value": "Regular"}}, {"variations": ['Expected a list of items but got type "dict".']}),
    ({"variations": None}, {"variations": ["This field may not be null."]}),
    (
        {"addons": [{"addon_category": "{addon_category}"}, {}]},
        {"addons": [{}, {"addon_category": ["This field is required."]}]},
    ),
    ({"addons": [{"addon_category": 99}]}, {"addons": [{"addon_category": invalid_pk(99)}]}),
    (
        {"addons": [{"addon_category": "{addon_category}", "min_count": 3, "max_count": 2}]},
        {"addons": [{"max_count": ["The maximum count needs to be greater than or equal to the minimum count."]}]},
    ),
    (
        {"addons": [{"addon_category": "{addon_category}"}, {"addon_category": "{addon_category}"}]},
        {"addons": [{}, {"addon_category": ["The item already has an add-on configuration for this category."]}]},
    ),
    ({"bundles": [{"bundled_item": 99}]}, {"bundles": [{"bundled_item": invalid_pk(99)}]}),
    (
        {"bundles": [{"bundled_item": "{plain}"}, {"bundled_item": "{plain}", "count": 0}]},
        {"bundles": [{}, {"count": ["Ensure this value is greater than or equal to 1."]}]},
    ),
    (
        {"bundles": [{"bundled_item": "{varied}"}]},
        {"bundles": [{"bundled_variation": ["You must choose a variation of the bundled item."]}]},
    ),
    (
        {"bundles": [{"bundled_item": "{plain}", "bundled_variation": "{varied_variation}"}]},
        {"bundles": [{"bundled_variation": invalid_pk("{varied_variation}")}]},
    ),
    (
        {"bundles": [{"bundled_item": "{plain}"}], "variations": [{}], "addons": [{"position": -1}]},
        {
            "variations": [{"value": ["This field is required."]}],
            "addons": [
                {
                    "addon_category": ["This field is required."],
                    "position": ["Ensure this value is greater than or equal to 0."],
                }
            ],
        },
    ),
    (
        {"name": "", "variations": [{"value": "Regular"}, {"value": ""}]},
        {"name": ["This field may not be blank."], "variations": [{}, {"value": ["This field may not be blank."]}]},
    ),
]


def fill_ids(value, ids: dict[str, int]):
    """Replace "{name}" placeholders in a payload or error (also inside messages) with the ids of `parts`."""
    if isinstance(value, dict):
        return {key: fill_ids(entry, ids) for key, entry in value.items()}
    if isinstance(value, list):
        return [fill_ids(entry, ids) for entry in value]
    if isinstance(value, str) and "{" in value:
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.replace('"{varied_variation}"', f'"{ids["varied_variation"]}"')
    return value


@pytest.mark.parametrize(("nested", "errors"), NESTED_INVALID)
def test_bad_nested_entry_rejects_the_whole_item(api, parts, nested, errors):
    ids = {
        "addon_category": parts["addon_category"]["id"],
        "plain": parts["plain"]["id"],
        "varied": parts["varied"]["id"],
        "varied_variation": parts["varied"]["variations"][0]["id"],
    }
    before = api.get(ITEMS_URL).get_json()

    response = api.post(ITEMS_URL, json={**TICKET, **fill_ids(nested, ids)})

    assert response.status_code == 400
    assert response.get_json() == fill_ids(errors, ids)
    assert api.get(ITEMS_URL).get_json() == before
    # Nothing of the rejected item was kept: the add-on category is still free to delete.
    assert api.delete(f"{EVENT_URL}/categories/{parts['addon_category']['id']}/").status_code == 204


def test_nested_references_to_another_event_are_rejected(api):
    other = other_event(api)
    category = post(api, f"{other}/categories/", {"name": "Workshops", "is_addon": True})
    foreign = post(api, f"{other}/items/", {**TICKET, "variations": [{"value": "S"}]})

    response = api.post(
        ITEMS_URL,
        json={
            **TICKET,
            "addons": [{"addon_category": category["id"]}],
            "bundles": [{"bundled_item": foreign["id"], "bundled_variation": foreign["variations"][0]["id"]}],
        },
    )

    assert response.status_code == 400
    assert response.get_json() == {
        "addons": [{"addon_category": invalid_pk(category["id"])}],
        "bundles": [{"bundled_item": invalid_pk(foreign["id"])}],
    }


def test_item_with_bundles_cannot_be_bundled(api):
    drink = create(api, name={"en": "Drink"})
    combo = create(api, name={"en": "Combo"}, bundles=[{"bundled_item": drink["id"]}])

    response = api.post(ITEMS_URL, json={**TICKET, "bundles": [{"bundled_item": combo["id"]}]})

    assert response.status_code == 400
    assert response.get_json() == {
        "bundles": [{"bundled_item": ["The bundled item must not have bundles on its own."]}]
    }


# ---------------------------------------------------------------------------------------- update


def test_patch_changes_only_sent_fields(api):
    created = create(api, admission=True, position=3, variations=[{"value": "Regular"}])

    response = api.patch(f"{ITEMS_URL}{created['id']}/", json={"active": False, "internal_name": "T"})

    assert response.status_code == 200
    assert response.get_json() == {**created, "active": False, "internal_name": "T"}


def test_patch_ignores_read_only_fields(api):
    created = create(api)

    response = api.patch(
        f"{ITEMS_URL}{created['id']}/",
        json={"id": 99, "has_variations": True, "tax_rate": "19.00", "sales_channels": ["web"]},
    )

    assert response.status_code == 200
    assert response.get_json() == created


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("variations", [{"value": "Late"}], "variations"),
        ("addons", [], "addons"),
        ("bundles", [{"bundled_item": 1}], "bundles"),
        ("program_times", [{"start": "2026-12-27T10:00:00Z", "end": "2026-12-27T11:00:00Z"}], "program times"),
    ],
)
def test_update_with_nested_parts_is_rejected(api, method, field, value, label):
    created = create(api, variations=[{"value": "Regular"}])

    response = api.request(
        method, f"{ITEMS_URL}{created['id']}/", json={**TICKET, "default_price": "1.00", field: value}
    )

    assert response.status_code == 400
    assert response.get_json() == {
        field: [f"Updating {label} via PATCH/PUT is not supported. Please use the dedicated nested endpoint."]
    }
    assert api.get(f"{ITEMS_URL}{created['id']}/").get_json() == created


def test_update_naming_every_nested_part_sent(api):
    created = create(api)

    response = api.patch(f"{ITEMS_URL}{created['id']}/", json={"variations": [], "bundles": []})

    assert response.status_code == 400
    assert response.get_json() == {
        "variations": ["Updating variations via PATCH/PUT is not supported. Please use the dedicated nested endpoint."],
        "bundles": ["Updating bundles via PATCH/PUT is not supported. Please use the dedicated nested endpoint."],
    }


def test_put_resets_fields_not_sent_but_keeps_nested_parts(api):
    category = post(api, f"{EVENT_URL}/categories/", {"name": "Tickets"})
    tax_rule = post(api, f"{EVENT_URL}/taxrules/", VAT)
    created = create(
        api,
        category=category["id"],
        tax_rule=tax_rule["id"],
        admission=True,
        active=False,
        position=7,
        internal_name="T",
        max_per_order=4,
        all_sales_channels=False,
        limit_sales_channels=["web"],
        variations=[{"value": "Regular"}],
        program_times=[{"start": "2026-12-27T10:00:00Z", "end": "2026-12-27T11:00:00Z"}],
    )

    response = api.put(f"{ITEMS_URL}{created['id']}/", json={"name": "Pass", "default_price": "40.00"})

    assert response.status_code == 200
    assert response.get_json() == item(
        created["id"],
        name={"en": "Pass"},
        default_price="40.00",
        has_variations=True,
        variations=[{**created["variations"][0], "price": "40.00"}],
        program_times=created["program_times"],
    )


def test_put_requires_name_and_default_price(api):
    created = create(api)

    response = api.put(f"{ITEMS_URL}{created['id']}/", json={"active": False})

    assert response.status_code == 400
    assert response.get_json() == {"name": ["This field is required."], "default_price": ["This field is required."]}
    assert api.get(f"{ITEMS_URL}{created['id']}/").get_json() == created


@pytest.mark.parametrize(
    ("start", "sent", "answered"),
    [
        ({"admission": True, "personalized": False}, {"admission": True}, {"admission": True, "personalized": True}),
        ({"admission": True}, {}, {"admission": False, "personalized": False}),
        ({"admission": True}, {"admission": True, "personalized": False}, {"admission": True, "personalized": False}),
    ],
)
def test_put_resets_personalized_like_create(api, start, sent, answered):
    created = create(api, **start)

    response = api.put(f"{ITEMS_URL}{created['id']}/", json={**TICKET, **sent})

    assert response.status_code == 200
    assert response.get_json() == item(created["id"], **TICKET, **answered)


@pytest.mark.parametrize(
    ("start", "patch", "status", "answered"),
    [
        ({"admission": True}, {"personalized": False}, 200, {"admission": True, "personalized": False}),
        (
            {"admission": True},
            {"admission": False, "personalized": False},
            200,
            {"admission": False, "personalized": False},
        ),
        (
            {"admission": True, "personalized": False},
            {"admission": False},
            200,
            {"admission": False, "personalized": False},
        ),
        ({"admission": True}, {"admission": False}, 400, PERSONALIZED_ONLY_ADMISSION),
        ({}, {"personalized": True}, 400, PERSONALIZED_ONLY_ADMISSION),
        ({}, {"personalized": True, "admission": False}, 400, PERSONALIZED_ONLY_ADMISSION),
        ({}, {"personalized": True, "admission": True}, 200, {"admission": True, "personalized": True}),
    ],
)
def test_patch_keeps_personalized_to_admission_items(api, start, patch, status, answered):
    created = create(api, **start)

    response = api.patch(f"{ITEMS_URL}{created['id']}/", json=patch)

    assert response.status_code == status
    if status == 200:
        assert response.get_json() == item(created["id"], **TICKET, **answered)
    else:
        assert response.get_json() == answered
        assert api.get(f"{ITEMS_URL}{created['id']}/").get_json() == created


MAX_BELOW_MIN = {"max_per_order": ["Ensure this value is greater than or equal to min_per_order."]}


@pytest.mark.parametrize(
    ("method", "sent"),
    [
        ("PATCH", {"max_per_order": 2}),
        ("PATCH", {"min_per_order": 11}),
        ("PATCH", {"min_per_order": 5, "max_per_order": 3}),
        ("PUT", {**TICKET, "min_per_order": 5, "max_per_order": 2}),
    ],
)
def test_update_is_checked_against_the_other_per_order_bound(api, method, sent):
    created = create(api, min_per_order=5, max_per_order=10)
    refused_on_create = api.post(ITEMS_URL, json={**TICKET, "min_per_order": 5, "max_per_order": 3})

    response = api.request(method, f"{ITEMS_URL}{created['id']}/", json=sent)

    assert (refused_on_create.status_code, refused_on_create.get_json()) == (400, MAX_BELOW_MIN)
    assert response.status_code == 400
    assert response.get_json() == MAX_BELOW_MIN
    assert api.get(f"{ITEMS_URL}{created['id']}/").get_json() == created


def test_patch_references_must_be_objects_of_the_event(api):
    other = other_event(api)
    foreign_category = post(api, f"{other}/categories/", {"name": "Tickets"})
    foreign_tax_rule = post(api, f"{other}/taxrules/", VAT)
    created = create(api)

    response = api.patch(
        f"{ITEMS_URL}{created['id']}/",
        json={
            "category": foreign_category["id"],
            "tax_rule": foreign_tax_rule["id"],
            "hidden_if_item_available": created["id"],
        },
    )

    assert response.status_code == 400
    assert response.get_json() == {
        "category": invalid_pk(foreign_category["id"]),
        "tax_rule": invalid_pk(foreign_tax_rule["id"]),
        "hidden_if_item_available": invalid_pk(created["id"]),
    }
    assert api.get(f"{ITEMS_URL}{created['id']}/").get_json() == created


def test_patch_sets_and_clears_references(api):
    category = post(api, f"{EVENT_URL}/categories/", {"name": "Tickets"})
    tax_rule = post(api, f"{EVENT_URL}/taxrules/", VAT)
    created = create(api)

    set_ = api.patch(f"{ITEMS_URL}{created['id']}/", json={"category": category["id"], "tax_rule": tax_rule["id"]})
    cleared = api.patch(f"{ITEMS_URL}{created['id']}/", json={"category": None, "tax_rule": None})

    assert set_.get_json() == {**created, "category": category["id"], "tax_rule": tax_rule["id"], "tax_rate": "19.00"}
    assert cleared.get_json() == created


# ---------------------------------------------------------------------------------------- list: filters, order, pages


@pytest.fixture
def catalog(api) -> dict[str, dict]:
    """Four items to filter: two admission tickets in a category, a shirt in another, a donation."""
    tickets = post(api, f"{EVENT_URL}/categories/", {"name": "Tickets"})
    merch = post(api, f"{EVENT_URL}/categories/", {"name": "Merch"})
    vat = post(api, f"{EVENT_URL}/taxrules/", VAT)
    reduced = post(api, f"{EVENT_URL}/taxrules/", {"name": "Reduced", "rate": "7.00"})
    zero = post(api, f"{EVENT_URL}/taxrules/", {"name": "Zero", "rate": "0.00"})
    items = {
        "standard": create(
            api,
            name={"en": "Standard Ticket"},
            admission=True,
            position=2,
            tax_rule=vat["id"],
            category=tickets["id"],
            internal_name="std",
        ),
        "student": create(
            api,
            name={"en": "Student ticket"},
            admission=True,
            position=1,
            free_price=True,
            tax_rule=reduced["id"],
            category=tickets["id"],
        ),
        "shirt": create(
            api,
            name={"en": "T-Shirt", "de": "Hemd"},
            position=3,
            active=False,
            category=merch["id"],
            internal_name="MERCH-01",
        ),
        "donation": create(api, name={"en": "Donation"}, position=0, free_price=True, tax_rule=zero["id"]),
    }
    return {**items, "_categories": {"tickets": tickets["id"], "merch": merch["id"]}}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["donation", "student", "standard", "shirt"]),
        ("?ordering=position", ["donation", "student", "standard", "shirt"]),
        ("?ordering=-position", ["shirt", "standard", "student", "donation"]),
        ("?ordering=id", ["standard", "student", "shirt", "donation"]),
        ("?ordering=-id", ["donation", "shirt", "student", "standard"]),
        ("?ordering=default_price", ["donation", "student", "standard", "shirt"]),
        ("?search=ticket", ["student", "standard"]),
        ("?search=TICKET", ["student", "standard"]),
        ("?search=hemd", ["shirt"]),
        ("?search=merch-0", ["shirt"]),
        ("?search=STD", ["standard"]),
        ("?search=concert", []),
        ("?active=false", ["shirt"]),
        ("?active=true", ["donation", "student", "standard"]),
        ("?category={tickets}", ["student", "standard"]),
        ("?category={merch}", ["shirt"]),
        ("?category=999", []),
        ("?admission=true", ["student", "standard"]),
        ("?admission=false", ["donation", "shirt"]),
        ("?tax_rate=19", ["standard"]),
        ("?tax_rate=19.00", ["standard"]),
        ("?tax_rate=7.0", ["student"]),
        ("?tax_rate=0", ["donation", "shirt"]),
        ("?tax_rate=5", []),
        ("?free_price=true", ["donation", "student"]),
        ("?free_price=false", ["standard", "shirt"]),
        ("?admission=true&free_price=false", ["standard"]),
        ("?search=t&active=true&ordering=-id", ["donation", "student", "standard"]),
    ],
)
def test_list_filters_and_ordering(api, catalog, query, expected):
    response = api.get(f"{ITEMS_URL}{query.format(**catalog['_categories'])}")

    assert response.status_code == 200
    assert response.get_json() == page([catalog[key] for key in expected])


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("?active=perhaps", {"active": ["Must be a valid boolean."]}),
        ("?admission=2", {"admission": ["Must be a valid boolean."]}),
        ("?category=tickets", {"category": ["A valid integer is required."]}),
        ("?tax_rate=high", {"tax_rate": ["A valid number is required."]}),
        (
            "?free_price=x&active=z",
            {"free_price": ["Must be a valid boolean."], "active": ["Must be a valid boolean."]},
        ),
    ],
)
def test_list_rejects_invalid_filter(api, query, errors):
    response = api.get(f"{ITEMS_URL}{query}")

    assert response.status_code == 400
    assert response.get_json() == errors


# ---------------------------------------------------------------------------------------- delete


def test_delete_ordered_item_is_forbidden(api, store):
    created = create(api)
    with store.transaction() as tx:
        event_id = tx.find_one("events", slug="sampleconf")["id"]
        tx.insert("orderpositions", {"item": created["id"], "event": event_id, "order": 1})

    response = api.delete(f"{ITEMS_URL}{created['id']}/")

    assert response.status_code == 403
    assert response.get_json() == {
        "detail": "This item cannot be deleted because it has already been ordered. Set it to inactive instead."
    }
    assert api.get(f"{ITEMS_URL}{created['id']}/").get_json() == created


def test_delete_takes_along_its_parts(api, store):
    addon_category = post(api, f"{EVENT_URL}/categories/", {"name": "Workshops", "is_addon": True})
    drink = create(api, name={"en": "Drink"})
    doomed = create(
        api,
        variations=[{"value": "Regular"}, {"value": "Student"}],
        addons=[{"addon_category": addon_category["id"]}],
        bundles=[{"bundled_item": drink["id"]}],
    )
    quota = post(
        api,
        f"{EVENT_URL}/quotas/",
        {
            "name": "All",
            "size": 10,
            "items": [doomed["id"], drink["id"]],
            "variations": [v["id"] for v in doomed["variations"]],
        },
    )
    question = post(
        api, f"{EVENT_URL}/questions/", {"question": "Diet?", "type": "S", "items": [drink["id"], doomed["id"]]}
    )

    response = api.delete(f"{ITEMS_URL}{doomed['id']}/")

    assert response.status_code == 204
    assert api.get(f"{ITEMS_URL}{doomed['id']}/").status_code == 404
    assert api.get(f"{ITEMS_URL}{doomed['id']}/variations/").status_code == 404
    assert api.get(ITEMS_URL).get_json() == page([drink])
    assert api.get(f"{EVENT_URL}/quotas/{quota['id']}/").get_json() == {
        **quota,
        "items": [drink["id"]],
        "variations": [],
    }
    assert api.get(f"{EVENT_URL}/questions/{question['id']}/").get_json() == {**question, "items": [drink["id"]]}
    # Its add-on configuration went too, so the category is no longer in use.
    assert api.delete(f"{EVENT_URL}/categories/{addon_category['id']}/").status_code == 204
    with store.transaction() as tx:
        leftovers = [tx.find(table, item=doomed["id"]) for table in ("variations", "addons", "bundles")]
    assert leftovers == [[], [], []]


def test_delete_clears_references_from_other_items(api):
    doomed = create(api, variations=[{"value": "Regular"}, {"value": "Student"}])
    drink = create(api, name={"en": "Drink"})
    combo = create(
        api,
        name={"en": "Combo"},
        hidden_if_item_available=doomed["id"],
        bundles=[
            {"bundled_item": doomed["id"], "bundled_variation": doomed["variations"][1]["id"]},
            {"bundled_item": drink["id"]},
        ],
    )
    drink_bundle = next(bundle for bundle in combo["bundles"] if bundle["bundled_item"] == drink["id"])

    response = api.delete(f"{ITEMS_URL}{doomed['id']}/")

    assert response.status_code == 204
    assert api.get(f"{ITEMS_URL}{combo['id']}/").get_json() == {
        **combo,
        "hidden_if_item_available": None,
        "bundles": [drink_bundle],
    }
    assert api.get(f"{ITEMS_URL}{drink['id']}/").get_json() == drink


def test_delete_twice_is_not_found(api):
    created = create(api)

    assert api.delete(f"{ITEMS_URL}{created['id']}/").status_code == 204
    again = api.delete(f"{ITEMS_URL}{created['id']}/")

    assert again.status_code == 404
    assert again.get_json() == NOT_FOUND


# ---------------------------------------------------------------------------------------- access
