"""Item categories over HTTP: CRUD, cross-selling rules, filters, ordering, deletion rules, access."""

from __future__ import annotations

import pytest

from tests.helpers import (
    EVENT_URL,
    assert_listed_and_shown,
    create_refused,
    created,
    delete_and_check_gone,
    page,
    patch_and_check,
)

CATEGORIES_URL = f"{EVENT_URL}/categories/"
ITEMS_URL = f"{EVENT_URL}/items/"
OTHER_EVENT_URL = "/api/v1/organizers/bigevents/events/otherconf"
OTHER_EVENT = {"name": {"en": "Other Conference"}, "slug": "otherconf", "date_from": "2018-01-10T10:00:00Z"}

# The create request of categories.rst, verbatim; its response is the same with an id.
DOC_CREATE = {
    "name": {"en": "Tickets"},
    "internal_name": "",
    "description": {"en": "Tickets are what you need to get in."},
    "position": 1,
    "is_addon": False,
    "cross_selling_mode": None,
    "cross_selling_condition": None,
    "cross_selling_match_products": [],
}
DEFAULTS = {
    "internal_name": "",
    "description": None,
    "position": 0,
    "is_addon": False,
    "cross_selling_mode": None,
    "cross_selling_condition": None,
    "cross_selling_match_products": [],
}
MINIMAL = {"name": {"en": "Merchandise"}}
ADDON = {"name": {"en": "Workshops"}, "is_addon": True}
TICKET = {"name": {"en": "Ticket"}, "default_price": "23.00"}


def category(category_id: int, **fields) -> dict:
    """The full body of a category: the defaults, overridden by `fields`."""
    return {"id": category_id, **DEFAULTS, **fields}


def create(api, payload=MINIMAL, url=CATEGORIES_URL) -> dict:
    return created(api, url, payload)


def create_item(api, **fields) -> dict:
    response = api.post(ITEMS_URL, json={**TICKET, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ---------------------------------------------------------------------------------------- the docs' examples


def test_create_example_from_docs(api):
    body = created(api, CATEGORIES_URL, DOC_CREATE)
    assert body == {"id": body["id"], **DOC_CREATE}


def test_list_and_detail_examples_from_docs(api):
    created = create(api, DOC_CREATE)

    assert_listed_and_shown(api, CATEGORIES_URL, {"id": created["id"], **DOC_CREATE})


def test_patch_example_from_docs(api):
    created = create(api, DOC_CREATE)

    expected = {"id": created["id"], **DOC_CREATE, "is_addon": True}
    patch_and_check(api, CATEGORIES_URL, created["id"], {"is_addon": True}, expected)


def test_delete_example_from_docs(api):
    created = create(api, DOC_CREATE)

    delete_and_check_gone(api, CATEGORIES_URL, created["id"])
    assert api.get(CATEGORIES_URL).get_json() == page([])


# ---------------------------------------------------------------------------------------- create and update


def test_minimal_create_fills_defaults(api):
    body = created(api, CATEGORIES_URL, MINIMAL)
    assert body == category(body["id"], name={"en": "Merchandise"})


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({"name": "Shirts"}, {"name": {"en": "Shirts"}}),
        ({"name": {"en": "Shirts", "de": "Hemden"}}, {"name": {"en": "Shirts", "de": "Hemden"}}),
        ({"description": "Soft"}, {"description": {"en": "Soft"}}),
        ({"internal_name": None}, {"internal_name": None}),
        (
            {"cross_selling_mode": "only", "cross_selling_condition": "always"},
            {"cross_selling_mode": "only", "cross_selling_condition": "always"},
        ),
        (
            {"cross_selling_mode": "both", "cross_selling_condition": "discounts"},
            {"cross_selling_mode": "both", "cross_selling_condition": "discounts"},
        ),
        ({"is_addon": True, "cross_selling_mode": None}, {"is_addon": True}),
        ({"id": 77, "unknown": "ignored"}, {}),
    ],
)
def test_create_stores_values(api, sent, stored):
    response = api.post(CATEGORIES_URL, json={**MINIMAL, **sent})

    assert response.status_code == 201
    body = response.get_json()
    assert body == category(body["id"], **{"name": {"en": "Merchandise"}, **stored})


def test_cross_selling_match_products_references_items_of_the_event(api):
    first, second = create_item(api), create_item(api, name="Shirt")

    response = api.post(
        CATEGORIES_URL,
        json={
            **MINIMAL,
            "cross_selling_mode": "both",
            "cross_selling_condition": "products",
            "cross_selling_match_products": [second["id"], first["id"]],
        },
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body == category(
        body["id"],
        name={"en": "Merchandise"},
        cross_selling_mode="both",
        cross_selling_condition="products",
        cross_selling_match_products=[second["id"], first["id"]],
    )


def test_cross_selling_match_products_of_another_event_is_rejected(api):
    assert api.post("/api/v1/organizers/bigevents/events/", json=OTHER_EVENT).status_code == 201
    foreign = api.post(f"{OTHER_EVENT_URL}/items/", json=TICKET).get_json()

    response = api.post(CATEGORIES_URL, json={**MINIMAL, "cross_selling_match_products": [foreign["id"]]})

    assert response.status_code == 400
    assert response.get_json() == {
        "cross_selling_match_products": [f'Invalid pk "{foreign["id"]}" - object does not exist.']
    }
    assert api.get(CATEGORIES_URL).get_json() == page([])


CROSS_SELLING_ON_ADDON = {
    "cross_selling_mode": ["Cross-selling is only available for categories that are not add-ons."]
}

INVALID_PAYLOADS = [
    ({}, {"name": ["This field is required."]}),
    ({"name": {"en": ""}}, {"name": ["This field may not be blank."]}),
    ({"name": {"en": "  "}}, {"name": ["This field may not be blank."]}),
    ({"name": None}, {"name": ["This field may not be null."]}),
    ({"name": ["Tickets"]}, {"name": ["Invalid data type."]}),
    ({"name": {"12": "Tickets"}}, {"name": ['"12" is not a supported language.']}),
    ({**MINIMAL, "position": -1}, {"position": ["Ensure this value is greater than or equal to 0."]}),
    ({**MINIMAL, "position": "first"}, {"position": ["A valid integer is required."]}),
    ({**MINIMAL, "is_addon": "maybe"}, {"is_addon": ["Must be a valid boolean."]}),
    ({**MINIMAL, "is_addon": None}, {"is_addon": ["This field may not be null."]}),
    ({**MINIMAL, "cross_selling_mode": "never"}, {"cross_selling_mode": ['"never" is not a valid choice.']}),
    (
        {**MINIMAL, "cross_selling_condition": "sometimes"},
        {"cross_selling_condition": ['"sometimes" is not a valid choice.']},
    ),
    (
        {**MINIMAL, "cross_selling_match_products": 1},
        {"cross_selling_match_products": ['Expected a list of items but got type "int".']},
    ),
    (
        {**MINIMAL, "cross_selling_match_products": ["x"]},
        {"cross_selling_match_products": {"0": ["A valid integer is required."]}},
    ),
    (
        {**MINIMAL, "cross_selling_match_products": [99]},
        {"cross_selling_match_products": ['Invalid pk "99" - object does not exist.']},
    ),
    ({**ADDON, "cross_selling_mode": "only"}, CROSS_SELLING_ON_ADDON),
    ({**ADDON, "cross_selling_mode": "both"}, CROSS_SELLING_ON_ADDON),
    (
        {**MINIMAL, "internal_name": "x" * 256},
        {"internal_name": ["Ensure this field has no more than 255 characters."]},
    ),
    (
        {"position": None, "description": 5},
        {
            "name": ["This field is required."],
            "position": ["This field may not be null."],
            "description": ["Invalid data type."],
        },
    ),
]


@pytest.mark.parametrize(("payload", "errors"), INVALID_PAYLOADS)
def test_create_rejects_invalid_payload(api, payload, errors):
    create_refused(api, CATEGORIES_URL, payload, errors)


@pytest.mark.parametrize(
    ("start", "patch", "errors"),
    [
        ({**MINIMAL, "cross_selling_mode": "both"}, {"is_addon": True}, CROSS_SELLING_ON_ADDON),
        (ADDON, {"cross_selling_mode": "only"}, CROSS_SELLING_ON_ADDON),
        (MINIMAL, {"name": {"en": ""}}, {"name": ["This field may not be blank."]}),
        (MINIMAL, {"name": None}, {"name": ["This field may not be null."]}),
        (
            MINIMAL,
            {"cross_selling_match_products": [99]},
            {"cross_selling_match_products": ['Invalid pk "99" - object does not exist.']},
        ),
    ],
)
def test_patch_rejects_invalid_change(api, start, patch, errors):
    created = create(api, start)

    response = api.patch(f"{CATEGORIES_URL}{created['id']}/", json=patch)

    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(f"{CATEGORIES_URL}{created['id']}/").get_json() == created


def test_patch_to_addon_while_clearing_cross_selling_is_allowed(api):
    created = create(api, {**MINIMAL, "cross_selling_mode": "both", "cross_selling_condition": "always"})

    response = api.patch(f"{CATEGORIES_URL}{created['id']}/", json={"is_addon": True, "cross_selling_mode": None})

    assert response.status_code == 200
    assert response.get_json() == {**created, "is_addon": True, "cross_selling_mode": None}


def test_put_resets_fields_not_sent(api):
    created = create(api, {**DOC_CREATE, "cross_selling_mode": "only", "cross_selling_condition": "always"})

    response = api.put(f"{CATEGORIES_URL}{created['id']}/", json={"name": {"en": "Add-ons"}, "is_addon": True})

    assert response.status_code == 200
    assert response.get_json() == category(created["id"], name={"en": "Add-ons"}, is_addon=True)


def test_put_requires_name(api):
    created = create(api, DOC_CREATE)

    response = api.put(f"{CATEGORIES_URL}{created['id']}/", json={"position": 3})

    assert response.status_code == 400
    assert response.get_json() == {"name": ["This field is required."]}
    assert api.get(f"{CATEGORIES_URL}{created['id']}/").get_json() == created


def test_patch_changes_only_sent_fields(api):
    created = create(api, DOC_CREATE)

    response = api.patch(f"{CATEGORIES_URL}{created['id']}/", json={"position": 5, "id": 999})

    assert response.status_code == 200
    assert response.get_json() == {**created, "position": 5}


# ---------------------------------------------------------------------------------------- list: filters, order, pages


@pytest.fixture
def three_categories(api) -> dict[str, dict]:
    return {
        "late": create(api, {"name": {"en": "Late"}, "position": 9}),
        "early_addon": create(api, {"name": {"en": "Early"}, "position": 1, "is_addon": True}),
        "middle": create(api, {"name": {"en": "Middle"}, "position": 5}),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["early_addon", "middle", "late"]),
        ("?ordering=position", ["early_addon", "middle", "late"]),
        ("?ordering=-position", ["late", "middle", "early_addon"]),
        ("?ordering=id", ["late", "early_addon", "middle"]),
        ("?ordering=-id", ["middle", "early_addon", "late"]),
        ("?ordering=name", ["early_addon", "middle", "late"]),
        ("?is_addon=true", ["early_addon"]),
        ("?is_addon=false", ["middle", "late"]),
        ("?is_addon=false&ordering=-id", ["middle", "late"]),
    ],
)
def test_list_filters_and_ordering(api, three_categories, query, expected):
    response = api.get(f"{CATEGORIES_URL}{query}")

    assert response.status_code == 200
    assert response.get_json() == page([three_categories[key] for key in expected])


def test_list_rejects_invalid_filter(api, three_categories):
    response = api.get(f"{CATEGORIES_URL}?is_addon=perhaps")

    assert response.status_code == 400
    assert response.get_json() == {"is_addon": ["Must be a valid boolean."]}


# ---------------------------------------------------------------------------------------- delete


def test_delete_category_used_for_addons_is_forbidden(api):
    addon_category = create(api, ADDON)
    create_item(api, addons=[{"addon_category": addon_category["id"]}])

    response = api.delete(f"{CATEGORIES_URL}{addon_category['id']}/")

    assert response.status_code == 403
    assert response.get_json() == {"detail": "This category cannot be deleted because products use it for add-ons."}
    assert api.get(f"{CATEGORIES_URL}{addon_category['id']}/").get_json() == addon_category


def test_delete_category_detaches_its_items(api):
    doomed = create(api, DOC_CREATE)
    kept = create(api, MINIMAL)
    inside = create_item(api, category=doomed["id"])
    elsewhere = create_item(api, name="Shirt", category=kept["id"])

    response = api.delete(f"{CATEGORIES_URL}{doomed['id']}/")

    assert response.status_code == 204
    assert api.get(f"{ITEMS_URL}{inside['id']}/").get_json() == {**inside, "category": None}
    assert api.get(f"{ITEMS_URL}{elsewhere['id']}/").get_json() == elsewhere
    assert api.get(CATEGORIES_URL).get_json() == page([kept])


def test_items_list_filters_by_category(api):
    tickets = create(api, DOC_CREATE)
    in_category = create_item(api, category=tickets["id"])
    create_item(api, name="Loose")

    response = api.get(f"{ITEMS_URL}?category={tickets['id']}")

    assert response.get_json() == page([in_category])


# ---------------------------------------------------------------------------------------- access
