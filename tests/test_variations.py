"""HTTP tests of /items/<item>/variations/: fields, validation, PUT vs PATCH, filters, paging, deletion, access."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL, one_page, page, send
from tests.messages import EMPTY_LIST, INVALID_PAGE, NOT_FOUND

ITEMS_URL = f"{EVENT_URL}/items/"
ORGANIZER_URL = "/api/v1/organizers/bigevents"

# A product created with one variation, so that more may be added through the nested endpoint.
SHIRT = {"name": {"en": "Shirt"}, "default_price": "23.00", "variations": [{"value": {"en": "S"}}]}
PLAIN_ITEM = {"name": {"en": "Ticket"}, "default_price": "42.00"}

# The seed document's create request and response (the id is computed).
SEED_CREATE_REQUEST = {
    "value": {"en": "Student"},
    "default_price": "10.00",
    "active": True,
    "checkin_attention": False,
    "checkin_text": None,
    "require_approval": False,
    "require_membership": False,
    "require_membership_hidden": False,
    "require_membership_types": [],
    "all_sales_channels": False,
    "limit_sales_channels": ["web"],
    "available_from": None,
    "available_from_mode": "hide",
    "available_until": None,
    "available_until_mode": "hide",
    "hide_without_voucher": False,
    "description": None,
    "position": 0,
    "meta_data": {},
}
SEED_CREATE_RESPONSE = {
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
    "require_membership_hidden": False,
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
    "position": 0,
    "meta_data": {},
}
SEED_PATCH_REQUEST = {"active": False, "position": 1}

# The seed document's list example: two variations of an item priced 223.00.
SEED_LIST_ENTRY = {
    "active": True,
    "checkin_attention": False,
    "checkin_text": None,
    "require_approval": False,
    "require_membership": False,
    "require_membership_hidden": False,
    "require_membership_types": [],
    "all_sales_channels": False,
    "limit_sales_channels": ["web"],
    "sales_channels": ["web"],
    "available_from": None,
    "available_from_mode": "hide",
    "available_until": None,
    "available_until_mode": "hide",
    "hide_without_voucher": False,
    "default_price": "223.00",
    "price": "223.00",
    "original_price": None,
    "free_price_suggestion": None,
    "meta_data": {},
}
SEED_LIST_ITEM = {
    "name": {"en": "Hoodie"},
    "default_price": "223.00",
    "variations": [
        {
            "value": {"en": "S"},
            "description": {"en": "Test2"},
            "position": 0,
            "default_price": "223.00",
            "all_sales_channels": False,
            "limit_sales_channels": ["web"],
        },
        {
            "value": {"en": "L"},
            "description": {},
            "position": 1,
            "default_price": "223.00",
            "all_sales_channels": False,
            "limit_sales_channels": ["web"],
        },
    ],
}

# What a variation looks like when only its value was sent (price added per item).
DEFAULTS = {
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
    "all_sales_channels": True,
    "limit_sales_channels": [],
    "sales_channels": ["web", "box_office", "pretixpos", "resellers"],
    "available_from": None,
    "available_from_mode": "hide",
    "available_until": None,
    "available_until_mode": "hide",
    "hide_without_voucher": False,
    "meta_data": {},
}

# Every writable field set away from its default.
FULL = {
    "value": {"en": "Extra large", "de": "Sehr groß"},
    "default_price": "12.50",
    "free_price_suggestion": "15.00",
    "original_price": "20.00",
    "active": False,
    "description": {"en": "The **big** one"},
    "position": 3,
    "checkin_attention": True,
    "checkin_text": "Check the size",
    "require_approval": True,
    "require_membership": True,
    "require_membership_hidden": True,
    "require_membership_types": [],
    "all_sales_channels": False,
    "limit_sales_channels": ["web", "box_office"],
    "available_from": "2026-11-01T10:00:00Z",
    "available_from_mode": "info",
    "available_until": "2026-11-30T18:30:00Z",
    "available_until_mode": "info",
    "hide_without_voucher": True,
    "meta_data": {"color": "blue"},
}
FULL_OUT = {**FULL, "price": "12.50", "sales_channels": ["web", "box_office"]}

LAST_VARIATION = {
    "detail": "This variation cannot be deleted because it is the only variation of its product; "
    "a product with variations cannot become one without."
}
IN_USE = {
    "detail": "This variation cannot be deleted because it has already been ordered or is in a cart. "
    "Set it to inactive instead."
}
NO_VARIATIONS = {
    "detail": "This variation cannot be created because the item does not have variations. "
    "Changing a product without variations to a product with variations is not allowed."
}


def variations_url(item_id: int) -> str:
    return f"{ITEMS_URL}{item_id}/variations/"


def create_item(api, payload: dict = SHIRT) -> dict:
    response = api.post(ITEMS_URL, json=payload)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_variation(api, item_id: int, payload: dict) -> dict:
    response = api.post(variations_url(item_id), json=payload)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def meta_event(api):
    """The event offers an item meta data property `color`."""
    response = api.patch(f"{EVENT_URL}/", json={"item_meta_properties": {"color": "red"}})
    assert response.status_code == 200, response.get_json()
    return api


@pytest.fixture
def shirt(api) -> dict:
    return create_item(api)


@pytest.fixture
def variation(api, shirt) -> dict:
    """A second variation of the shirt (so deleting it is allowed)."""
    return create_variation(api, shirt["id"], {"value": {"en": "M"}, "default_price": "25.00", "position": 1})


# ---------------------------------------------------------------------------------------- the seed's examples


def test_seed_create_example(api, shirt):
    response = api.post(variations_url(shirt["id"]), json=SEED_CREATE_REQUEST)
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body == {**SEED_CREATE_RESPONSE, "id": body["id"]}
    listed = api.get(variations_url(shirt["id"])).get_json()["results"]
    assert [entry["id"] for entry in listed] == [shirt["variations"][0]["id"], body["id"]]


def test_seed_detail_example(api, shirt):
    created = create_variation(api, shirt["id"], SEED_CREATE_REQUEST)
    response = api.get(f"{variations_url(shirt['id'])}{created['id']}/")
    assert response.status_code == 200
    assert response.get_json() == {**SEED_CREATE_RESPONSE, "id": created["id"]}


def test_seed_patch_example(api, shirt):
    created = create_variation(api, shirt["id"], SEED_CREATE_REQUEST)
    response = api.patch(f"{variations_url(shirt['id'])}{created['id']}/", json=SEED_PATCH_REQUEST)
    assert response.status_code == 200
    assert response.get_json() == {**SEED_CREATE_RESPONSE, "id": created["id"], "active": False, "position": 1}


def test_seed_list_example_with_prices_as_strings(api):
    item = create_item(api, SEED_LIST_ITEM)
    small, large = (entry["id"] for entry in item["variations"])
    response = api.get(variations_url(item["id"]))
    assert response.status_code == 200
    assert response.get_json() == one_page(
        {**SEED_LIST_ENTRY, "id": small, "value": {"en": "S"}, "description": {"en": "Test2"}, "position": 0},
        {**SEED_LIST_ENTRY, "id": large, "value": {"en": "L"}, "description": {}, "position": 1},
    )


def test_seed_delete_example(api, shirt, variation):
    url = f"{variations_url(shirt['id'])}{variation['id']}/"
    response = api.delete(url)
    assert response.status_code == 204
    assert response.data == b""
    assert api.get(url).status_code == 404
    assert [entry["id"] for entry in api.get(variations_url(shirt["id"])).get_json()["results"]] == [
        shirt["variations"][0]["id"]
    ]


# ---------------------------------------------------------------------------------------- fields


def test_every_field_round_trips(meta_event, shirt):
    api = meta_event
    created = api.post(variations_url(shirt["id"]), json=FULL)
    assert created.status_code == 201
    variation_id = created.get_json()["id"]
    expected = {**FULL_OUT, "id": variation_id}
    assert created.get_json() == expected
    assert api.get(f"{variations_url(shirt['id'])}{variation_id}/").get_json() == expected
    listed = api.get(variations_url(shirt["id"])).get_json()["results"]
    assert [entry for entry in listed if entry["id"] == variation_id] == [expected]


def test_defaults_and_price_from_item(api, shirt):
    response = api.post(variations_url(shirt["id"]), json={"value": {"en": "M"}})
    assert response.status_code == 201
    body = response.get_json()
    assert body == {**DEFAULTS, "id": body["id"], "value": {"en": "M"}, "price": "23.00"}


def test_nested_variation_of_item_is_the_same_resource(api, shirt, variation):
    listed = api.get(variations_url(shirt["id"])).get_json()["results"]
    assert api.get(f"{ITEMS_URL}{shirt['id']}/").get_json()["variations"] == listed
    assert listed == [
        {**DEFAULTS, "id": shirt["variations"][0]["id"], "value": {"en": "S"}, "price": "23.00"},
        {
            **DEFAULTS,
            "id": variation["id"],
            "value": {"en": "M"},
            "default_price": "25.00",
            "price": "25.00",
            "position": 1,
        },
    ]


@pytest.mark.parametrize(
    ("field", "sent", "answered"),
    [
        ("value", "Plain", {"en": "Plain"}),
        ("default_price", 10, "10.00"),
        ("default_price", "7.5", "7.50"),
        ("default_price", 0, "0.00"),
        ("original_price", 19.99, "19.99"),
        ("free_price_suggestion", "3", "3.00"),
        ("available_from", "2026-11-01T12:00:00+02:00", "2026-11-01T10:00:00Z"),
        ("available_until", "2026-12-24T18:00:00.000000Z", "2026-12-24T18:00:00Z"),
        ("description", "Plain text", {"en": "Plain text"}),
        ("active", "false", False),
    ],
)
def test_input_is_normalised(api, shirt, field, sent, answered):
    response = api.post(variations_url(shirt["id"]), json={"value": {"en": "M"}, field: sent})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body[field] == answered
    assert api.get(f"{variations_url(shirt['id'])}{body['id']}/").get_json()[field] == answered


def test_price_and_id_are_read_only(api, shirt):
    response = api.post(variations_url(shirt["id"]), json={"value": {"en": "M"}, "price": "99.00", "id": 4242})
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] != 4242
    assert body["price"] == "23.00"
    url = f"{variations_url(shirt['id'])}{body['id']}/"
    for method in ("patch", "put"):
        answer = getattr(api, method)(url, json={"value": {"en": "M"}, "price": "1.00", "id": 4242})
        assert answer.status_code == 200
        assert answer.get_json() == {**DEFAULTS, "id": body["id"], "value": {"en": "M"}, "price": "23.00"}


def test_price_follows_the_item_until_the_variation_has_its_own(api, shirt, variation):
    own_url = f"{variations_url(shirt['id'])}{variation['id']}/"
    inherit_url = f"{variations_url(shirt['id'])}{shirt['variations'][0]['id']}/"
    assert api.patch(f"{ITEMS_URL}{shirt['id']}/", json={"default_price": "30.00"}).status_code == 200
    assert api.get(inherit_url).get_json()["price"] == "30.00"
    assert api.get(own_url).get_json()["price"] == "25.00"
    cleared = api.patch(own_url, json={"default_price": None})
    assert cleared.status_code == 200
    assert (cleared.get_json()["default_price"], cleared.get_json()["price"]) == (None, "30.00")


# ---------------------------------------------------------------------------------------- validation

LONG_TEXT = "x" * 256
BAD_DATETIME = (
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)

BAD_PAYLOADS = [
    ({"value": None}, {"value": ["This field may not be null."]}),
    ({"value": {"en": ""}}, {"value": ["This field may not be blank."]}),
    ({"value": 5}, {"value": ["Invalid data type."]}),
    ({"default_price": "abc"}, {"default_price": ["A valid number is required."]}),
    ({"default_price": "-0.01"}, {"default_price": ["Ensure this value is greater than or equal to 0."]}),
    ({"default_price": "1.001"}, {"default_price": ["Ensure that there are no more than 2 decimal places."]}),
    ({"original_price": "-5"}, {"original_price": ["Ensure this value is greater than or equal to 0."]}),
    ({"free_price_suggestion": "x"}, {"free_price_suggestion": ["A valid number is required."]}),
    ({"active": "maybe"}, {"active": ["Must be a valid boolean."]}),
    ({"active": None}, {"active": ["This field may not be null."]}),
    ({"position": -1}, {"position": ["Ensure this value is greater than or equal to 0."]}),
    ({"position": "first"}, {"position": ["A valid integer is required."]}),
    ({"checkin_text": LONG_TEXT}, {"checkin_text": ["Ensure this field has no more than 255 characters."]}),
    ({"available_from": "tomorrow"}, {"available_from": [BAD_DATETIME]}),
    ({"available_until_mode": "show"}, {"available_until_mode": ['"show" is not a valid choice.']}),
    ({"available_from_mode": None}, {"available_from_mode": ["This field may not be null."]}),
    ({"limit_sales_channels": "web"}, {"limit_sales_channels": ['Expected a list of items but got type "str".']}),
    ({"limit_sales_channels": ["web", "mail"]}, {"limit_sales_channels": {"1": ['"mail" is not a valid choice.']}}),
    ({"require_membership_types": [7]}, {"require_membership_types": ['Invalid pk "7" - object does not exist.']}),
    ({"meta_data": {"size": "L"}}, {"meta_data": ['Item meta data property "size" does not exist.']}),
    ({"meta_data": ["color"]}, {"meta_data": ['Expected a dictionary of items but got type "list".']}),
    ({"meta_data": {"color": 5}}, {"meta_data": ["Meta data keys and values must be strings."]}),
    (
        {"value": "", "position": -1, "active": "maybe"},
        {
            "value": ["This field may not be blank."],
            "position": ["Ensure this value is greater than or equal to 0."],
            "active": ["Must be a valid boolean."],
        },
    ),
]


@pytest.mark.parametrize(("payload", "errors"), BAD_PAYLOADS)
def test_bad_payloads_are_rejected(meta_event, shirt, variation, payload, errors):
    api = meta_event
    detail_url = f"{variations_url(shirt['id'])}{variation['id']}/"
    for method, url in (("post", variations_url(shirt["id"])), ("put", detail_url), ("patch", detail_url)):
        response = getattr(api, method)(url, json={"value": {"en": "XL"}, **payload})
        assert (method, response.status_code, response.get_json()) == (method, 400, errors)
    # Nothing was written.
    assert api.get(detail_url).get_json() == variation
    assert api.get(variations_url(shirt["id"])).get_json()["count"] == 2


@pytest.mark.parametrize("method", ["post", "put"])
def test_value_is_required_on_create_and_put(api, shirt, variation, method):
    url = variations_url(shirt["id"]) if method == "post" else f"{variations_url(shirt['id'])}{variation['id']}/"
    response = getattr(api, method)(url, json={"default_price": "1.00"})
    assert response.status_code == 400
    assert response.get_json() == {"value": ["This field is required."]}


TRUNCATED_JSON = "Expecting value: line 1 column 11 (char 10)"


@pytest.mark.parametrize(
    ("body", "content_type", "errors"),
    [
        ('["value"]', "application/json", {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ('{"value": ', "application/json", {"detail": f"JSON parse error - {TRUNCATED_JSON}"}),
    ],
)
def test_body_that_is_not_an_object(api, shirt, body, content_type, errors):
    response = api.post(variations_url(shirt["id"]), data=body, content_type=content_type)
    assert (response.status_code, response.get_json()) == (400, errors)
    assert api.get(variations_url(shirt["id"])).get_json()["count"] == 1


def test_item_created_without_variations_cannot_get_one(api):
    item = create_item(api, PLAIN_ITEM)
    response = api.post(variations_url(item["id"]), json={"value": {"en": "M"}})
    assert response.status_code == 403
    assert response.get_json() == NO_VARIATIONS
    assert api.get(variations_url(item["id"])).get_json() == EMPTY_LIST
    assert api.get(f"{ITEMS_URL}{item['id']}/").get_json()["has_variations"] is False


# ---------------------------------------------------------------------------------------- PUT vs PATCH


def test_put_resets_every_omitted_field(meta_event, shirt):
    api = meta_event
    created = create_variation(api, shirt["id"], FULL)
    url = f"{variations_url(shirt['id'])}{created['id']}/"
    response = api.put(url, json={"value": {"en": "Reset"}})
    assert response.status_code == 200
    expected = {**DEFAULTS, "id": created["id"], "value": {"en": "Reset"}, "price": "23.00"}
    assert response.get_json() == expected
    assert api.get(url).get_json() == expected


def test_put_with_every_field_replaces_all(meta_event, shirt, variation):
    api = meta_event
    url = f"{variations_url(shirt['id'])}{variation['id']}/"
    response = api.put(url, json=FULL)
    assert response.status_code == 200
    assert response.get_json() == {**FULL_OUT, "id": variation["id"]}
    assert api.get(url).get_json() == {**FULL_OUT, "id": variation["id"]}


@pytest.mark.parametrize(
    "change",
    [
        {"position": 7},
        {"value": {"en": "Changed", "de": "Geändert"}},
        {"default_price": "99.90"},
        {"default_price": None, "original_price": "1.00"},
        {"all_sales_channels": True},
        {"limit_sales_channels": ["pretixpos"]},
        {"description": None, "checkin_text": None, "require_approval": False, "meta_data": {}},
        {},
    ],
)
def test_patch_changes_only_what_it_names(meta_event, shirt, change):
    api = meta_event
    created = create_variation(api, shirt["id"], FULL)
    url = f"{variations_url(shirt['id'])}{created['id']}/"
    response = api.patch(url, json=change)
    assert response.status_code == 200
    expected = {**FULL_OUT, "id": created["id"], **change}
    expected["price"] = expected["default_price"] or "23.00"
    all_channels = ["web", "box_office", "pretixpos", "resellers"]
    expected["sales_channels"] = all_channels if expected["all_sales_channels"] else expected["limit_sales_channels"]
    assert response.get_json() == expected
    assert api.get(url).get_json() == expected


# ---------------------------------------------------------------------------------------- filters, order, pages


@pytest.fixture
def sizes(api):
    """A shirt with variations Small (inactive), Medium and Large, created out of position order.

    Returns the item id and each variation as the item's create response showed it, by English name.
    """
    item = create_item(
        api,
        {
            "name": {"en": "Sized shirt"},
            "default_price": "20.00",
            "variations": [
                {"value": {"en": "Large", "de": "Groß"}, "position": 2},
                {"value": {"en": "Small", "de": "Klein"}, "position": 0, "active": False},
                {"value": {"en": "Medium", "de": "Mittel"}, "position": 1},
            ],
        },
    )
    return {"item": item["id"], **{entry["value"]["en"]: entry for entry in item["variations"]}}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Small", "Medium", "Large"]),
        ("?search=m", ["Small", "Medium"]),
        ("?search=MALL", ["Small"]),
        ("?search=klein", ["Small"]),
        ("?search=Gro&active=true", ["Large"]),
        ("?search=nothing", []),
        ("?active=true", ["Medium", "Large"]),
        ("?active=false", ["Small"]),
        ("?active=true&search=m", ["Medium"]),
    ],
)
def test_list_filters(api, sizes, query, expected):
    response = api.get(variations_url(sizes["item"]) + query)
    assert response.status_code == 200
    results = [sizes[name] for name in expected]
    assert response.get_json() == {"count": len(expected), "next": None, "previous": None, "results": results}


def test_list_filter_rejects_bad_boolean(api, sizes):
    response = api.get(variations_url(sizes["item"]) + "?active=maybe")
    assert response.status_code == 400
    assert response.get_json() == {"active": ["Must be a valid boolean."]}


def test_list_page_keeps_filters_in_links(api, sizes):
    url = variations_url(sizes["item"])
    absolute = "http://localhost" + url
    assert api.get(url + "?active=true&page_size=1").get_json() == page(
        [sizes["Medium"]], 2, absolute + "?active=true&page_size=1&page=2"
    )
    assert api.get(url + "?active=true&page_size=1&page=2").get_json() == page(
        [sizes["Large"]], 2, None, absolute + "?active=true&page_size=1"
    )


@pytest.mark.parametrize("query", ["?page=0", "?page=two"])
def test_list_bad_page(api, sizes, query):
    response = api.get(variations_url(sizes["item"]) + query)
    assert (response.status_code, response.get_json()) == (404, INVALID_PAGE)


def test_list_is_per_item(api, shirt, sizes):
    assert api.get(variations_url(shirt["id"])).get_json() == page(shirt["variations"], 1)


# ---------------------------------------------------------------------------------------- deletion


def test_only_variation_cannot_be_deleted(api, shirt):
    url = f"{variations_url(shirt['id'])}{shirt['variations'][0]['id']}/"
    response = api.delete(url)
    assert response.status_code == 403
    assert response.get_json() == LAST_VARIATION
    assert api.get(url).get_json() == shirt["variations"][0]


@pytest.mark.parametrize("table", ["orderpositions", "cartpositions"])
def test_variation_in_an_order_or_cart_cannot_be_deleted(api, store, shirt, variation, table):
    # No endpoint here sells anything yet, so the sale is written straight into the store.
    with store.transaction() as tx:
        event_id = tx.get("items", shirt["id"])["event"]
        tx.insert(table, {"event": event_id, "item": shirt["id"], "variation": variation["id"], "price": "25.00"})
    url = f"{variations_url(shirt['id'])}{variation['id']}/"
    response = api.delete(url)
    assert response.status_code == 403
    assert response.get_json() == IN_USE
    assert api.get(url).get_json() == variation


def test_deleted_variation_leaves_quotas(api, shirt, variation):
    first = shirt["variations"][0]["id"]
    quota = api.post(
        f"{EVENT_URL}/quotas/",
        json={"name": "Shirts", "size": 10, "items": [shirt["id"]], "variations": [first, variation["id"]]},
    )
    assert quota.status_code == 201, quota.get_json()
    assert api.delete(f"{variations_url(shirt['id'])}{variation['id']}/").status_code == 204
    after = api.get(f"{EVENT_URL}/quotas/{quota.get_json()['id']}/").get_json()
    assert (after["items"], after["variations"]) == ([shirt["id"]], [first])


def test_deleting_the_item_removes_its_variations(api, shirt, variation):
    assert api.delete(f"{ITEMS_URL}{shirt['id']}/").status_code == 204
    response = api.get(f"{variations_url(shirt['id'])}{variation['id']}/")
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


# ---------------------------------------------------------------------------------------- not found, access

METHODS = [
    ("get", False, None),
    ("post", False, {"value": {"en": "X"}}),
    ("get", True, None),
    ("patch", True, {"position": 1}),
    ("put", True, {"value": {"en": "X"}}),
    ("delete", True, None),
]


def target(item_id, variation_id, on_detail: bool) -> str:
    return f"{variations_url(item_id)}{variation_id}/" if on_detail else variations_url(item_id)


def check_every_method(client, item_id, variation_id, status: int, body: dict) -> None:
    """Send every list and detail request and expect the same answer from each."""
    for method, on_detail, payload in METHODS:
        response = send(client, method, target(item_id, variation_id, on_detail), payload)
        assert (method, on_detail, response.status_code, response.get_json()) == (method, on_detail, status, body)


@pytest.mark.parametrize("which", ["unknown", "not a number", "of another item"])
def test_unknown_variation_is_404(api, shirt, variation, which):
    other = create_item(api, {**SHIRT, "name": {"en": "Other"}})
    item_id, variation_id = {
        "unknown": (shirt["id"], "9999"),
        "not a number": (shirt["id"], "abc"),
        "of another item": (other["id"], variation["id"]),
    }[which]
    for method, _, payload in [m for m in METHODS if m[1]]:
        response = send(api, method, target(item_id, variation_id, True), payload)
        assert (method, response.status_code, response.get_json()) == (method, 404, NOT_FOUND)
    assert api.get(target(shirt["id"], variation["id"], True)).get_json() == variation
