"""HTTP tests of /items/<item>/bundles/: fields, the bundle rules, PUT vs PATCH, paging, deletion, access."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL, created, one_page, send
from tests.messages import EMPTY_LIST, NOT_FOUND

ITEMS_URL = f"{EVENT_URL}/items/"
ORGANIZER_URL = "/api/v1/organizers/bigevents"

PACKAGE = {"name": {"en": "Three-day package"}, "default_price": "250.00"}
TICKET = {"name": {"en": "Day ticket"}, "default_price": "100.00", "admission": True}
SHIRT = {
    "name": {"en": "Shirt"},
    "default_price": "20.00",
    "variations": [{"value": {"en": "S"}, "position": 0}, {"value": {"en": "M"}, "position": 1}],
}
HOODIE = {"name": {"en": "Hoodie"}, "default_price": "40.00", "variations": [{"value": {"en": "L"}}]}
COMBO = {"name": {"en": "Combo"}, "default_price": "110.00"}
OTHER_EVENT = {"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2027-01-01T10:00:00Z"}

# The seed document's create request; its response is the same plus the id.
SEED_CREATE = {"bundled_item": "ticket", "bundled_variation": None, "count": 2, "designated_price": "1.50"}
SEED_PATCH = {"count": 2}
# A bundle with only its item sent.
DEFAULTS = {"bundled_variation": None, "count": 1, "designated_price": "0.00"}
# Every writable field away from its default.
FULL = {"bundled_item": "shirt", "bundled_variation": "shirt_m", "count": 3, "designated_price": "12.50"}

SELF = "The bundled item must not be the same item as the bundling one."
NESTED = "The bundled item must not have bundles on its own."
NEEDS_VARIATION = {"bundled_variation": ["You must choose a variation of the bundled item."]}


def bundles_url(item_id) -> str:
    return f"{ITEMS_URL}{item_id}/bundles/"


@pytest.fixture
def ids(api) -> dict:
    """The event's items (and the shirt's and hoodie's variations), by name.

    `combo` bundles a ticket itself.
    """
    found = {
        "package": created(api, ITEMS_URL, PACKAGE)["id"],
        "ticket": created(api, ITEMS_URL, TICKET)["id"],
        "combo": created(api, ITEMS_URL, COMBO)["id"],
    }
    shirt = created(api, ITEMS_URL, SHIRT)
    hoodie = created(api, ITEMS_URL, HOODIE)
    found.update(shirt=shirt["id"], shirt_s=shirt["variations"][0]["id"], shirt_m=shirt["variations"][1]["id"])
    found.update(hoodie=hoodie["id"], hoodie_l=hoodie["variations"][0]["id"])
    created(api, bundles_url(found["combo"]), {"bundled_item": found["ticket"]})
    return found


@pytest.fixture
def foreign(api, ids) -> int:
    """Add `foreign` to `ids`: an item of the event `otherconf` of the same organizer."""
    created(api, f"{ORGANIZER_URL}/events/", OTHER_EVENT)
    ids["foreign"] = created(api, f"{ORGANIZER_URL}/events/otherconf/items/", TICKET)["id"]
    return ids["foreign"]


def resolve(value, ids: dict):
    """Replace item and variation names in payloads and messages by their ids."""
    if isinstance(value, dict):
        return {key: resolve(entry, ids) for key, entry in value.items()}
    if isinstance(value, list):
        return [resolve(entry, ids) for entry in value]
    if isinstance(value, str) and value in ids:
        return ids[value]
    if isinstance(value, str) and "{" in value:
        return value.format(**ids)
    return value


@pytest.fixture
def bundle(api, ids) -> dict:
    """The package bundles a medium shirt."""
    return created(api, bundles_url(ids["package"]), resolve(FULL, ids))


# ---------------------------------------------------------------------------------------- the seed's examples


def test_seed_create_and_detail_example(api, ids):
    request = resolve(SEED_CREATE, ids)
    response = api.post(bundles_url(ids["package"]), json=request)
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body == {**request, "id": body["id"]}
    detail = api.get(f"{bundles_url(ids['package'])}{body['id']}/")
    assert (detail.status_code, detail.get_json()) == (200, body)


def test_seed_list_example(api, ids):
    """The same item may be bundled twice, e.g. once free and once with a designated price."""
    url = bundles_url(ids["package"])
    free = {"bundled_item": ids["ticket"], "bundled_variation": None, "count": 1, "designated_price": "0.00"}
    first = created(api, url, free)
    second = created(api, url, resolve(SEED_CREATE, ids))
    response = api.get(url)
    assert response.status_code == 200
    seed = {"bundled_item": ids["ticket"], "bundled_variation": None, "count": 2, "designated_price": "1.50"}
    assert response.get_json() == one_page(
        {"id": first["id"], "bundled_item": ids["ticket"], **DEFAULTS}, {"id": second["id"], **seed}
    )


def test_seed_patch_example(api, ids):
    made = created(api, bundles_url(ids["package"]), resolve(SEED_CREATE, ids))
    response = api.patch(f"{bundles_url(ids['package'])}{made['id']}/", json=SEED_PATCH)
    assert (response.status_code, response.get_json()) == (200, made)


def test_seed_delete_example(api, ids, bundle):
    url = f"{bundles_url(ids['package'])}{bundle['id']}/"
    response = api.delete(url)
    assert response.status_code == 204
    assert response.data == b""
    assert api.get(url).get_json() == NOT_FOUND
    assert api.get(bundles_url(ids["package"])).get_json() == EMPTY_LIST


# ---------------------------------------------------------------------------------------- fields


def test_every_field_round_trips(api, ids):
    response = api.post(bundles_url(ids["package"]), json=resolve(FULL, ids))
    assert response.status_code == 201
    expected = {"id": response.get_json()["id"], **resolve(FULL, ids)}
    assert response.get_json() == expected
    assert api.get(f"{bundles_url(ids['package'])}{expected['id']}/").get_json() == expected
    assert api.get(bundles_url(ids["package"])).get_json() == one_page(expected)
    assert api.get(f"{ITEMS_URL}{ids['package']}/").get_json()["bundles"] == [expected]


def test_defaults(api, ids):
    response = api.post(bundles_url(ids["package"]), json={"bundled_item": ids["ticket"]})
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "bundled_item": ids["ticket"], **DEFAULTS}


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ({"designated_price": 5}, {"designated_price": "5.00"}),
        ({"designated_price": "1.5"}, {"designated_price": "1.50"}),
        ({"designated_price": 0.25, "count": "4"}, {"designated_price": "0.25", "count": 4}),
        ({"id": 4242, "count": 2.0}, {"count": 2}),
    ],
)
def test_input_is_normalised(api, ids, sent, answered):
    response = api.post(bundles_url(ids["package"]), json={"bundled_item": ids["ticket"], **sent})
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] != 4242
    assert body == {"id": body["id"], "bundled_item": ids["ticket"], **DEFAULTS, **answered}


# ---------------------------------------------------------------------------------------- rules

# Payloads sent on top of {"bundled_item": <ticket>}; names stand for ids (see `ids`).
BAD_PAYLOADS = [
    ({"bundled_item": None}, {"bundled_item": ["This field may not be null."]}),
    ({"bundled_item": "ticket one"}, {"bundled_item": ["A valid integer is required."]}),
    ({"bundled_item": 9999}, {"bundled_item": ['Invalid pk "9999" - object does not exist.']}),
    ({"bundled_item": "foreign"}, {"bundled_item": ['Invalid pk "{foreign}" - object does not exist.']}),
    # The package is the bundling item and (through the bundle under test) has bundles itself.
    ({"bundled_item": "package"}, {"bundled_item": [SELF, NESTED]}),
    ({"bundled_item": "combo"}, {"bundled_item": [NESTED]}),
    ({"bundled_item": "shirt"}, NEEDS_VARIATION),
    ({"bundled_item": "shirt", "bundled_variation": None}, NEEDS_VARIATION),
    (
        {"bundled_item": "shirt", "bundled_variation": "hoodie_l"},
        {"bundled_variation": ['Invalid pk "{hoodie_l}" - object does not exist.']},
    ),
    (
        {"bundled_item": "shirt", "bundled_variation": 9999},
        {"bundled_variation": ['Invalid pk "9999" - object does not exist.']},
    ),
    ({"bundled_variation": "shirt_s"}, {"bundled_variation": ['Invalid pk "{shirt_s}" - object does not exist.']}),
    ({"bundled_variation": "small"}, {"bundled_variation": ["A valid integer is required."]}),
    ({"count": 0}, {"count": ["Ensure this value is greater than or equal to 1."]}),
    ({"count": -3}, {"count": ["Ensure this value is greater than or equal to 1."]}),
    ({"count": "many"}, {"count": ["A valid integer is required."]}),
    ({"count": None}, {"count": ["This field may not be null."]}),
    ({"designated_price": "-0.01"}, {"designated_price": ["Ensure this value is greater than or equal to 0."]}),
    ({"designated_price": "free"}, {"designated_price": ["A valid number is required."]}),
    ({"designated_price": "1.005"}, {"designated_price": ["Ensure that there are no more than 2 decimal places."]}),
    ({"designated_price": None}, {"designated_price": ["This field may not be null."]}),
    (
        {"bundled_item": "x", "count": 0, "designated_price": "-1"},
        {
            "bundled_item": ["A valid integer is required."],
            "count": ["Ensure this value is greater than or equal to 1."],
            "designated_price": ["Ensure this value is greater than or equal to 0."],
        },
    ),
    (
        {"bundled_item": "combo", "bundled_variation": "shirt_s"},
        {
            "bundled_item": [NESTED],
            "bundled_variation": ['Invalid pk "{shirt_s}" - object does not exist.'],
        },
    ),
]


@pytest.mark.parametrize(("payload", "errors"), BAD_PAYLOADS)
def test_bad_payloads_are_rejected(request, api, ids, payload, errors):
    if "foreign" in str(payload):
        request.getfixturevalue("foreign")
    payload, errors = resolve(payload, ids), resolve(errors, ids)
    url = bundles_url(ids["package"])
    mine = created(api, url, {"bundled_item": ids["ticket"]})
    detail_url = f"{url}{mine['id']}/"
    for method, target in (("post", url), ("put", detail_url), ("patch", detail_url)):
        response = getattr(api, method)(target, json={"bundled_item": ids["ticket"], **payload})
        assert (method, response.status_code, response.get_json()) == (method, 400, errors)
    assert api.get(url).get_json()["results"] == [mine]


def test_an_item_cannot_bundle_itself(api, ids):
    response = api.post(bundles_url(ids["ticket"]), json={"bundled_item": ids["ticket"]})
    assert (response.status_code, response.get_json()) == (400, {"bundled_item": [SELF]})
    assert api.get(bundles_url(ids["ticket"])).get_json() == EMPTY_LIST


@pytest.mark.parametrize("method", ["post", "put"])
def test_bundled_item_is_required_on_create_and_put(api, ids, bundle, method):
    url = bundles_url(ids["package"]) if method == "post" else f"{bundles_url(ids['package'])}{bundle['id']}/"
    response = getattr(api, method)(url, json={"count": 2})
    assert (response.status_code, response.get_json()) == (400, {"bundled_item": ["This field is required."]})


def test_body_must_be_an_object(api, ids):
    response = api.post(bundles_url(ids["package"]), json=[{"bundled_item": ids["ticket"]}])
    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_variation_of_the_bundled_item_is_accepted(api, ids):
    payload = {"bundled_item": ids["hoodie"], "bundled_variation": ids["hoodie_l"]}
    response = api.post(bundles_url(ids["package"]), json=payload)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "bundled_item": ids["hoodie"], **DEFAULTS, "bundled_variation": ids["hoodie_l"]}


# ---------------------------------------------------------------------------------------- PUT vs PATCH


def test_put_resets_every_omitted_field(api, ids, bundle):
    url = f"{bundles_url(ids['package'])}{bundle['id']}/"
    response = api.put(url, json={"bundled_item": ids["ticket"]})
    expected = {"id": bundle["id"], "bundled_item": ids["ticket"], **DEFAULTS}
    assert (response.status_code, response.get_json()) == (200, expected)
    assert api.get(url).get_json() == expected


def test_put_drops_the_variation_but_patch_keeps_it(api, ids, bundle):
    url = f"{bundles_url(ids['package'])}{bundle['id']}/"
    put = api.put(url, json={"bundled_item": ids["shirt"], "count": 5})
    assert (put.status_code, put.get_json()) == (400, NEEDS_VARIATION)
    patch = api.patch(url, json={"bundled_item": ids["shirt"], "count": 5})
    assert (patch.status_code, patch.get_json()) == (200, {**bundle, "count": 5})


def test_put_with_every_field(api, ids):
    made = created(api, bundles_url(ids["package"]), {"bundled_item": ids["ticket"]})
    url = f"{bundles_url(ids['package'])}{made['id']}/"
    response = api.put(url, json=resolve(FULL, ids))
    expected = {"id": made["id"], **resolve(FULL, ids)}
    assert (response.status_code, response.get_json()) == (200, expected)
    assert api.get(url).get_json() == expected


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"count": 7},
        {"designated_price": "0.00"},
        {"bundled_variation": "shirt_s"},
        {"bundled_item": "ticket", "bundled_variation": None},
        {"bundled_item": "hoodie", "bundled_variation": "hoodie_l", "count": 1},
    ],
)
def test_patch_changes_only_what_it_names(api, ids, bundle, change):
    change = resolve(change, ids)
    url = f"{bundles_url(ids['package'])}{bundle['id']}/"
    response = api.patch(url, json=change)
    assert (response.status_code, response.get_json()) == (200, {**bundle, **change})
    assert api.get(url).get_json() == {**bundle, **change}


# ---------------------------------------------------------------------------------------- lists


@pytest.fixture
def three_bundles(api, ids) -> list[dict]:
    url = bundles_url(ids["package"])
    return [
        created(api, url, {"bundled_item": ids["ticket"], "count": 2}),
        created(api, url, {"bundled_item": ids["shirt"], "bundled_variation": ids["shirt_s"]}),
        created(api, url, {"bundled_item": ids["hoodie"], "bundled_variation": ids["hoodie_l"]}),
    ]


def test_list_is_per_item(api, ids, bundle):
    assert api.get(bundles_url(ids["ticket"])).get_json() == EMPTY_LIST
    assert api.get(bundles_url(ids["package"])).get_json()["results"] == [bundle]


# ---------------------------------------------------------------------------------------- what deletion takes along


def test_deleting_the_bundled_variation_removes_the_bundle(api, ids, bundle):
    keep = created(
        api, bundles_url(ids["package"]), {"bundled_item": ids["shirt"], "bundled_variation": ids["shirt_s"]}
    )
    assert api.delete(f"{ITEMS_URL}{ids['shirt']}/variations/{ids['shirt_m']}/").status_code == 204
    assert api.get(bundles_url(ids["package"])).get_json()["results"] == [keep]


def test_deleting_the_bundled_item_removes_the_bundle(api, ids, bundle):
    keep = created(api, bundles_url(ids["package"]), {"bundled_item": ids["ticket"]})
    assert api.delete(f"{ITEMS_URL}{ids['shirt']}/").status_code == 204
    assert api.get(bundles_url(ids["package"])).get_json()["results"] == [keep]


def test_deleting_the_bundling_item_removes_its_bundles(api, ids, bundle):
    assert api.delete(f"{ITEMS_URL}{ids['package']}/").status_code == 204
    response = api.get(f"{bundles_url(ids['package'])}{bundle['id']}/")
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    # What was bundled stays.
    shirt = api.get(f"{ITEMS_URL}{ids['shirt']}/").get_json()
    assert [entry["id"] for entry in shirt["variations"]] == [ids["shirt_s"], ids["shirt_m"]]


def test_deleting_the_last_bundle_lets_the_item_be_bundled(api, ids):
    combo_bundle = api.get(bundles_url(ids["combo"])).get_json()["results"][0]
    url = bundles_url(ids["package"])
    assert api.post(url, json={"bundled_item": ids["combo"]}).get_json() == {"bundled_item": [NESTED]}
    assert api.delete(f"{bundles_url(ids['combo'])}{combo_bundle['id']}/").status_code == 204
    created = api.post(url, json={"bundled_item": ids["combo"]})
    assert created.status_code == 201
    assert created.get_json() == {"id": created.get_json()["id"], "bundled_item": ids["combo"], **DEFAULTS}


# ---------------------------------------------------------------------------------------- not found, access

METHODS = [
    ("get", False, None),
    ("post", False, {"bundled_item": 1}),
    ("get", True, None),
    ("patch", True, {"count": 4}),
    ("put", True, {"bundled_item": 1}),
    ("delete", True, None),
]


def check_every_method(client, list_url: str, detail_url: str, status: int, body: dict, methods=METHODS) -> None:
    for method, on_detail, payload in methods:
        response = send(client, method, detail_url if on_detail else list_url, payload)
        assert (method, on_detail, response.status_code, response.get_json()) == (method, on_detail, status, body)


def assert_unchanged(api, ids, bundle) -> None:
    assert api.get(bundles_url(ids["package"])).get_json() == one_page(bundle)


@pytest.mark.parametrize("which", ["unknown", "not a number", "of another item"])
def test_unknown_bundle_is_404(api, ids, bundle, which):
    item_id, bundle_id = {
        "unknown": (ids["package"], "9999"),
        "not a number": (ids["package"], "abc"),
        "of another item": (ids["ticket"], bundle["id"]),
    }[which]
    detail = [entry for entry in METHODS if entry[1]]
    check_every_method(api, bundles_url(item_id), f"{bundles_url(item_id)}{bundle_id}/", 404, NOT_FOUND, detail)
    assert_unchanged(api, ids, bundle)
