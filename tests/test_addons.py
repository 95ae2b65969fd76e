"""HTTP tests of /items/<item>/addons/: fields, the add-on rules, PUT vs PATCH, paging, deletion, access."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL, created, one_page, send
from tests.messages import EMPTY_LIST, NOT_FOUND

ITEMS_URL = f"{EVENT_URL}/items/"
CATEGORIES_URL = f"{EVENT_URL}/categories/"
ORGANIZER_URL = "/api/v1/organizers/bigevents"

TICKET = {"name": {"en": "Conference ticket"}, "default_price": "100.00"}
WORKSHOPS = {"name": {"en": "Workshops"}, "is_addon": True}
MEALS = {"name": {"en": "Meals"}, "is_addon": True}
OTHER_EVENT = {"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2027-01-01T10:00:00Z"}

# The seed document's create request; its response is the same plus the id.
SEED_CREATE = {
    "addon_category": 1,
    "min_count": 0,
    "max_count": 10,
    "position": 1,
    "multi_allowed": False,
    "price_included": True,
}
SEED_PATCH = {"min_count": 0, "max_count": 10}
# An add-on with only its category sent.
DEFAULTS = {"min_count": 0, "max_count": 1, "position": 0, "multi_allowed": False, "price_included": False}
# Every writable field away from its default.
FULL = {"min_count": 2, "max_count": 5, "position": 4, "multi_allowed": True, "price_included": True}

DUPLICATE = {"addon_category": ["The item already has an add-on configuration for this category."]}
MAX_BELOW_MIN = {"max_count": ["The maximum count needs to be greater than or equal to the minimum count."]}


def addons_url(item_id) -> str:
    return f"{ITEMS_URL}{item_id}/addons/"


@pytest.fixture
def ticket(api) -> dict:
    return created(api, ITEMS_URL, TICKET)


@pytest.fixture
def workshops(api) -> int:
    return created(api, CATEGORIES_URL, WORKSHOPS)["id"]


@pytest.fixture
def meals(api) -> int:
    return created(api, CATEGORIES_URL, MEALS)["id"]


@pytest.fixture
def addon(api, ticket, workshops) -> dict:
    return created(api, addons_url(ticket["id"]), {"addon_category": workshops, **FULL})


@pytest.fixture
def foreign_category(api) -> int:
    """A category of another event of the same organizer."""
    created(api, f"{ORGANIZER_URL}/events/", OTHER_EVENT)
    return created(api, f"{ORGANIZER_URL}/events/otherconf/categories/", WORKSHOPS)["id"]


# ---------------------------------------------------------------------------------------- the seed's examples


def test_seed_create_and_detail_example(api, ticket, workshops):
    request = {**SEED_CREATE, "addon_category": workshops}
    response = api.post(addons_url(ticket["id"]), json=request)
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body == {**request, "id": body["id"]}
    detail = api.get(f"{addons_url(ticket['id'])}{body['id']}/")
    assert detail.status_code == 200
    assert detail.get_json() == body


def test_seed_list_example(api, ticket, workshops, meals):
    first = created(api, addons_url(ticket["id"]), {**SEED_CREATE, "addon_category": workshops, "position": 0})
    second = created(api, addons_url(ticket["id"]), {**SEED_CREATE, "addon_category": meals, "position": 1})
    response = api.get(addons_url(ticket["id"]))
    assert response.status_code == 200
    entry = {"min_count": 0, "max_count": 10, "multi_allowed": False, "price_included": True}
    assert response.get_json() == one_page(
        {"id": first["id"], "addon_category": workshops, "position": 0, **entry},
        {"id": second["id"], "addon_category": meals, "position": 1, **entry},
    )


def test_seed_patch_example(api, ticket, workshops):
    made = created(api, addons_url(ticket["id"]), {**SEED_CREATE, "addon_category": workshops})
    response = api.patch(f"{addons_url(ticket['id'])}{made['id']}/", json=SEED_PATCH)
    assert response.status_code == 200
    assert response.get_json() == made


def test_seed_delete_example(api, ticket, addon):
    url = f"{addons_url(ticket['id'])}{addon['id']}/"
    response = api.delete(url)
    assert response.status_code == 204
    assert response.data == b""
    assert api.get(url).get_json() == NOT_FOUND
    assert api.get(addons_url(ticket["id"])).get_json() == EMPTY_LIST


# ---------------------------------------------------------------------------------------- fields


def test_every_field_round_trips(api, ticket, workshops):
    response = api.post(addons_url(ticket["id"]), json={"addon_category": workshops, **FULL})
    assert response.status_code == 201
    expected = {"id": response.get_json()["id"], "addon_category": workshops, **FULL}
    assert response.get_json() == expected
    assert api.get(f"{addons_url(ticket['id'])}{expected['id']}/").get_json() == expected
    assert api.get(addons_url(ticket["id"])).get_json() == one_page(expected)
    assert api.get(f"{ITEMS_URL}{ticket['id']}/").get_json()["addons"] == [expected]


def test_defaults(api, ticket, workshops):
    response = api.post(addons_url(ticket["id"]), json={"addon_category": workshops})
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "addon_category": workshops, **DEFAULTS}


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ({"min_count": "3", "max_count": "3"}, {"min_count": 3, "max_count": 3}),
        ({"max_count": 0}, {"max_count": 0}),
        ({"position": 2.0, "multi_allowed": "true"}, {"position": 2, "multi_allowed": True}),
        ({"id": 4242, "price_included": 1}, {"price_included": True}),
    ],
)
def test_input_is_normalised(api, ticket, workshops, sent, answered):
    response = api.post(addons_url(ticket["id"]), json={"addon_category": workshops, **sent})
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] != 4242
    assert body == {"id": body["id"], "addon_category": workshops, **DEFAULTS, **answered}


def test_same_category_on_different_items(api, ticket, workshops):
    other = created(api, ITEMS_URL, {**TICKET, "name": {"en": "Day ticket"}})
    first = created(api, addons_url(ticket["id"]), {"addon_category": workshops})
    second = created(api, addons_url(other["id"]), {"addon_category": workshops})
    assert first["id"] != second["id"]
    assert api.get(addons_url(other["id"])).get_json()["results"] == [second]


# ---------------------------------------------------------------------------------------- rules

# Payloads sent on top of a valid one ({"addon_category": <workshops>}); "meals" and "foreign" stand for the
# ids of a second category of the event and of a category of another event.
BAD_PAYLOADS = [
    ({"addon_category": None}, {"addon_category": ["This field may not be null."]}),
    ({"addon_category": "first"}, {"addon_category": ["A valid integer is required."]}),
    ({"addon_category": 9999}, {"addon_category": ['Invalid pk "9999" - object does not exist.']}),
    ({"addon_category": "foreign"}, {"addon_category": ['Invalid pk "{foreign}" - object does not exist.']}),
    ({"addon_category": "meals"}, DUPLICATE),
    ({"min_count": -1}, {"min_count": ["Ensure this value is greater than or equal to 0."]}),
    ({"max_count": -1}, {"max_count": ["Ensure this value is greater than or equal to 0."]}),
    (
        {"min_count": -1, "max_count": -2},
        {
            "min_count": ["Ensure this value is greater than or equal to 0."],
            "max_count": ["Ensure this value is greater than or equal to 0."],
        },
    ),
    ({"min_count": 2}, MAX_BELOW_MIN),
    ({"min_count": 3, "max_count": 2}, MAX_BELOW_MIN),
    ({"min_count": "two"}, {"min_count": ["A valid integer is required."]}),
    ({"max_count": 1.5}, {"max_count": ["A valid integer is required."]}),
    ({"max_count": None}, {"max_count": ["This field may not be null."]}),
    ({"position": -1}, {"position": ["Ensure this value is greater than or equal to 0."]}),
    ({"multi_allowed": "often"}, {"multi_allowed": ["Must be a valid boolean."]}),
    ({"price_included": None}, {"price_included": ["This field may not be null."]}),
    ({"addon_category": "meals", "min_count": 5, "max_count": 1}, {**DUPLICATE, **MAX_BELOW_MIN}),
    (
        {"addon_category": 9999, "min_count": 5, "max_count": 1},
        {
            "addon_category": ['Invalid pk "9999" - object does not exist.'],
            **MAX_BELOW_MIN,
        },
    ),
]


def resolve(value, ids: dict):
    """Replace the placeholders "meals"/"foreign" (and "{foreign}" inside messages) by real ids."""
    if isinstance(value, dict):
        return {key: resolve(entry, ids) for key, entry in value.items()}
    if isinstance(value, list):
        return [resolve(entry, ids) for entry in value]
    if value in ids:
        return ids[value]
    if isinstance(value, str):
        return value.replace("{foreign}", str(ids["foreign"]))
    return value


@pytest.mark.parametrize(("payload", "errors"), BAD_PAYLOADS)
def test_bad_payloads_are_rejected(api, ticket, workshops, meals, foreign_category, payload, errors):
    ids = {"meals": meals, "foreign": foreign_category}
    payload, errors = resolve(payload, ids), resolve(errors, ids)
    url = addons_url(ticket["id"])
    extras = created(api, CATEGORIES_URL, {"name": {"en": "Extras"}, "is_addon": True})["id"]
    taken = created(api, url, {"addon_category": meals})
    mine = created(api, url, {"addon_category": workshops})
    detail_url = f"{url}{mine['id']}/"
    # A new add-on would be valid with the unused category, and `mine` with its own one.
    attempts = (("post", url, extras), ("put", detail_url, workshops), ("patch", detail_url, workshops))
    for method, target, base in attempts:
        response = getattr(api, method)(target, json={"addon_category": base, **payload})
        assert (method, response.status_code, response.get_json()) == (method, 400, errors)
    assert api.get(url).get_json()["results"] == [taken, mine]


@pytest.mark.parametrize("method", ["post", "put"])
def test_category_is_required_on_create_and_put(api, ticket, addon, method):
    url = addons_url(ticket["id"]) if method == "post" else f"{addons_url(ticket['id'])}{addon['id']}/"
    response = getattr(api, method)(url, json={"min_count": 0, "max_count": 2})
    assert response.status_code == 400
    assert response.get_json() == {"addon_category": ["This field is required."]}


def test_body_must_be_an_object(api, ticket):
    response = api.post(addons_url(ticket["id"]), json=[{"addon_category": 1}])
    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_keeping_its_own_category_is_no_duplicate(api, ticket, addon, workshops):
    url = f"{addons_url(ticket['id'])}{addon['id']}/"
    for method in ("patch", "put"):
        response = getattr(api, method)(url, json={"addon_category": workshops, **FULL})
        assert (method, response.status_code, response.get_json()) == (method, 200, addon)


def test_patch_checks_counts_against_the_stored_ones(api, ticket, addon):
    # The add-on allows 2 to 5: a minimum above 5 or a maximum below 2 breaks the rule.
    url = f"{addons_url(ticket['id'])}{addon['id']}/"
    for change in ({"min_count": 6}, {"max_count": 1}):
        response = api.patch(url, json=change)
        assert (response.status_code, response.get_json()) == (400, MAX_BELOW_MIN)
    response = api.patch(url, json={"min_count": 5})
    assert (response.status_code, response.get_json()) == (200, {**addon, "min_count": 5})


def test_nested_addons_on_item_create_follow_the_rules(api, workshops, foreign_category):
    twice = [{"addon_category": workshops}, {"addon_category": workshops}]
    duplicate = api.post(ITEMS_URL, json={**TICKET, "addons": twice})
    assert duplicate.status_code == 400
    assert duplicate.get_json() == {"addons": [{}, DUPLICATE]}
    second_bad = [{"addon_category": workshops}, {"addon_category": foreign_category, "min_count": 2}]
    bad = api.post(ITEMS_URL, json={**TICKET, "addons": second_bad})
    assert bad.status_code == 400
    assert bad.get_json() == {
        "addons": [
            {},
            {"addon_category": [f'Invalid pk "{foreign_category}" - object does not exist.'], **MAX_BELOW_MIN},
        ]
    }
    assert api.get(ITEMS_URL).get_json()["count"] == 0


# ---------------------------------------------------------------------------------------- PUT vs PATCH


def test_put_resets_every_omitted_field(api, ticket, addon, meals):
    url = f"{addons_url(ticket['id'])}{addon['id']}/"
    response = api.put(url, json={"addon_category": meals})
    expected = {"id": addon["id"], "addon_category": meals, **DEFAULTS}
    assert (response.status_code, response.get_json()) == (200, expected)
    assert api.get(url).get_json() == expected


def test_put_with_every_field(api, ticket, workshops, meals):
    made = created(api, addons_url(ticket["id"]), {"addon_category": workshops})
    url = f"{addons_url(ticket['id'])}{made['id']}/"
    response = api.put(url, json={"addon_category": meals, **FULL})
    expected = {"id": made["id"], "addon_category": meals, **FULL}
    assert (response.status_code, response.get_json()) == (200, expected)
    assert api.get(url).get_json() == expected


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"position": 9},
        {"min_count": 0},
        {"max_count": 2},
        {"multi_allowed": False, "price_included": False},
        {"addon_category": "meals"},
    ],
)
def test_patch_changes_only_what_it_names(api, ticket, addon, meals, change):
    change = resolve(change, {"meals": meals})
    url = f"{addons_url(ticket['id'])}{addon['id']}/"
    response = api.patch(url, json=change)
    assert (response.status_code, response.get_json()) == (200, {**addon, **change})
    assert api.get(url).get_json() == {**addon, **change}


# ---------------------------------------------------------------------------------------- lists


@pytest.fixture
def three_addons(api, ticket, workshops, meals) -> list[dict]:
    """Three add-ons created out of position order; the list shows them by position."""
    extras = created(api, CATEGORIES_URL, {"name": {"en": "Extras"}, "is_addon": True})["id"]
    url = addons_url(ticket["id"])
    third = created(api, url, {"addon_category": workshops, "position": 2})
    first = created(api, url, {"addon_category": meals, "position": 0})
    second = created(api, url, {"addon_category": extras, "position": 1})
    return [first, second, third]


def test_list_is_ordered_by_position(api, ticket, three_addons):
    response = api.get(addons_url(ticket["id"]))
    assert response.get_json() == {"count": 3, "next": None, "previous": None, "results": three_addons}


def test_list_is_per_item(api, ticket, addon):
    other = created(api, ITEMS_URL, {**TICKET, "name": {"en": "Day ticket"}})
    assert api.get(addons_url(other["id"])).get_json() == EMPTY_LIST
    assert api.get(addons_url(ticket["id"])).get_json()["results"] == [addon]


# ---------------------------------------------------------------------------------------- deletion


def test_category_in_use_cannot_be_deleted_until_the_addon_is(api, ticket, addon, workshops):
    response = api.delete(f"{CATEGORIES_URL}{workshops}/")
    assert response.status_code == 403
    assert response.get_json() == {"detail": "This category cannot be deleted because products use it for add-ons."}
    assert api.delete(f"{addons_url(ticket['id'])}{addon['id']}/").status_code == 204
    assert api.delete(f"{CATEGORIES_URL}{workshops}/").status_code == 204


def test_deleting_the_item_removes_its_addons(api, ticket, addon, workshops):
    assert api.delete(f"{ITEMS_URL}{ticket['id']}/").status_code == 204
    response = api.get(f"{addons_url(ticket['id'])}{addon['id']}/")
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    # The category is free again.
    assert api.delete(f"{CATEGORIES_URL}{workshops}/").status_code == 204


# ---------------------------------------------------------------------------------------- not found, access

METHODS = [
    ("get", False, None),
    ("post", False, {"addon_category": 1}),
    ("get", True, None),
    ("patch", True, {"position": 1}),
    ("put", True, {"addon_category": 1}),
    ("delete", True, None),
]


def check_every_method(client, list_url: str, detail_url: str, status: int, body: dict, methods=METHODS) -> None:
    for method, on_detail, payload in methods:
        response = send(client, method, detail_url if on_detail else list_url, payload)
        assert (method, on_detail, response.status_code, response.get_json()) == (method, on_detail, status, body)


def assert_unchanged(api, ticket, addon) -> None:
    assert api.get(addons_url(ticket["id"])).get_json() == one_page(addon)


@pytest.mark.parametrize("which", ["unknown", "not a number", "of another item"])
def test_unknown_addon_is_404(api, ticket, addon, which):
    other = created(api, ITEMS_URL, {**TICKET, "name": {"en": "Day ticket"}})
    item_id, addon_id = {
        "unknown": (ticket["id"], "9999"),
        "not a number": (ticket["id"], "abc"),
        "of another item": (other["id"], addon["id"]),
    }[which]
    detail = [entry for entry in METHODS if entry[1]]
    check_every_method(api, addons_url(item_id), f"{addons_url(item_id)}{addon_id}/", 404, NOT_FOUND, detail)
    assert_unchanged(api, ticket, addon)
