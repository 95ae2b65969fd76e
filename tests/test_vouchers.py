"""Vouchers: CRUD, codes, targets, quota blocking, filters, batch creation and permissions."""

from __future__ import annotations

import re

import pytest

from tests.helpers import ORGANIZER, ApiClient, created
from tests.messages import DATETIME_FORMAT
from tests.shop import ITEMS, QUOTAS, VOUCHERS

BATCH = f"{VOUCHERS}batch_create/"
CREATED = "2026-11-01T12:00:00Z"
GENERATED = re.compile(r"^[A-Z0-9]{16}$")
EXISTS = {"code": ["A voucher with this code already exists."]}

TICKET = {"name": {"en": "Ticket"}, "default_price": "23.00", "admission": True}
WORKSHOP = {"name": {"en": "Workshop"}, "default_price": "50.00"}
SHIRT = {
    "name": {"en": "Shirt"},
    "default_price": "15.00",
    "variations": [{"value": {"en": "S"}}, {"value": {"en": "M"}}],
}

# The example voucher of the documentation (item 1 is the ticket).
EXAMPLE = {
    "code": "43K6LKM37FBVR2YG",
    "max_usages": 1,
    "valid_until": None,
    "block_quota": False,
    "allow_ignore_quota": False,
    "price_mode": "set",
    "value": "12.00",
    "item": 1,
    "variation": None,
    "quota": None,
    "tag": "testvoucher",
    "comment": "",
    "subevent": None,
    "show_hidden_items": False,
    "all_addons_included": False,
    "all_bundles_included": False,
}

VOUCHER_DEFAULTS = {
    "created": CREATED,
    "max_usages": 1,
    "redeemed": 0,
    "min_usages": 1,
    "valid_until": None,
    "block_quota": False,
    "allow_ignore_quota": False,
    "price_mode": "none",
    "value": "0.00",
    "item": None,
    "variation": None,
    "quota": None,
    "seat": None,
    "tag": "",
    "comment": "",
    "subevent": None,
    "show_hidden_items": True,
    "all_addons_included": False,
    "all_bundles_included": False,
    "budget": None,
    "budget_used": "0.00",
}


def voucher_body(voucher_id: int, code: str, **fields) -> dict:
    return {"id": voucher_id, "code": code, **VOUCHER_DEFAULTS, **fields}


def make_catalog(api) -> dict:
    """Ticket, workshop and shirt (variations S and M); quota "Tickets" (size 5) on the ticket."""
    ticket = api.post(ITEMS, json=TICKET).get_json()["id"]
    workshop = api.post(ITEMS, json=WORKSHOP).get_json()["id"]
    shirt = api.post(ITEMS, json=SHIRT).get_json()
    small, medium = (variation["id"] for variation in shirt["variations"])
    quota = api.post(QUOTAS, json={"name": "Tickets", "size": 5, "items": [ticket]}).get_json()["id"]
    return {"ticket": ticket, "workshop": workshop, "shirt": shirt["id"], "S": small, "M": medium, "quota": quota}


def placeholders(catalog: dict) -> dict[str, int]:
    """The ids the tables below name in capitals."""
    return {name.upper(): catalog[name] for name in ("ticket", "workshop", "shirt", "S", "quota")}


@pytest.fixture
def catalog(api) -> dict:
    return make_catalog(api)


@pytest.fixture(scope="module")
def rejecting(rejecting_api) -> tuple[ApiClient, dict]:
    return rejecting_api, make_catalog(rejecting_api)


def create_voucher(api, **fields) -> dict:
    response = api.post(VOUCHERS, json=fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def redeem(store, voucher_id: int, times: int) -> None:
    """Mark a voucher as used (redemptions come from orders, which are outside this resource)."""
    with store.transaction() as tx:
        tx.update("vouchers", voucher_id, {"redeemed": times})


# ---------------------------------------------------------------------------------------- CRUD


def test_create_the_documented_example(api, catalog):
    response = api.post(VOUCHERS, json=EXAMPLE)
    assert response.status_code == 201
    expected = {**VOUCHER_DEFAULTS, **EXAMPLE, "id": 1}
    assert response.get_json() == expected
    assert api.get(f"{VOUCHERS}1/").get_json() == expected
    assert api.get(VOUCHERS).get_json() == {"count": 1, "next": None, "previous": None, "results": [expected]}


def test_create_with_every_field(api, catalog):
    payload = {
        "code": "ALL-FIELDS_1.x",
        "max_usages": 10,
        "min_usages": 2,
        "valid_until": "2026-12-01T10:00:00+01:00",
        "block_quota": True,
        "allow_ignore_quota": True,
        "price_mode": "percent",
        "value": 12.5,
        "item": catalog["shirt"],
        "variation": catalog["M"],
        "quota": None,
        "seat": None,
        "tag": "press",
        "comment": "For the press",
        "subevent": None,
        "show_hidden_items": False,
        "all_addons_included": True,
        "all_bundles_included": True,
        "budget": "100",
    }
    assert created(api, VOUCHERS, payload) == {
        **VOUCHER_DEFAULTS,
        **payload,
        "id": 1,
        "valid_until": "2026-12-01T09:00:00Z",
        "value": "12.50",
        "budget": "100.00",
    }


def test_empty_body_gets_defaults_and_a_generated_code(api):
    response = api.post(VOUCHERS, json={})
    assert response.status_code == 201
    body = response.get_json()
    assert GENERATED.match(body["code"])
    assert body == voucher_body(1, body["code"])
    other = create_voucher(api)
    assert GENERATED.match(other["code"]) and other["code"] != body["code"]


def test_read_only_fields_are_ignored_on_input(api, clock):
    clock.advance(minutes=5)
    payload = {"id": 99, "code": "READONLY", "redeemed": 5, "budget_used": "9.00", "created": "2020-01-01T00:00:00Z"}
    response = api.post(VOUCHERS, json=payload)
    assert response.status_code == 201
    expected = voucher_body(1, "READONLY", created="2026-11-01T12:05:00Z")
    assert response.get_json() == expected
    clock.advance(minutes=5)
    patched = api.patch(f"{VOUCHERS}1/", json={"redeemed": 1, "budget_used": "1.00", "created": "2020-01-01T00:00:00Z"})
    assert patched.status_code == 200
    assert patched.get_json() == expected


def test_patch_changes_only_given_fields(api, catalog):
    api.post(VOUCHERS, json=EXAMPLE)
    response = api.patch(f"{VOUCHERS}1/", json={"price_mode": "set", "value": "24.00"})
    assert response.status_code == 200
    expected = {**VOUCHER_DEFAULTS, **EXAMPLE, "id": 1, "value": "24.00"}
    assert response.get_json() == expected
    assert api.get(f"{VOUCHERS}1/").get_json() == expected


def test_put_resets_fields_not_sent_but_keeps_the_code(api, catalog):
    api.post(VOUCHERS, json=EXAMPLE)
    response = api.put(f"{VOUCHERS}1/", json={"max_usages": 3})
    assert response.status_code == 200
    assert response.get_json() == voucher_body(1, EXAMPLE["code"], max_usages=3)


def test_delete(api):
    create_voucher(api, code="GONE1")
    response = api.delete(f"{VOUCHERS}1/")
    assert response.status_code == 204
    assert response.data == b""
    assert api.get(f"{VOUCHERS}1/").status_code == 404
    assert create_voucher(api, code="GONE1")["code"] == "GONE1"


def test_redeemed_voucher_cannot_be_deleted(api, store):
    created = create_voucher(api, code="USED1", max_usages=2)
    redeem(store, 1, 1)
    response = api.delete(f"{VOUCHERS}1/")
    assert response.status_code == 403
    assert response.get_json() == {"detail": "This voucher can not be deleted as it has already been used."}
    assert api.get(f"{VOUCHERS}1/").get_json() == {**created, "redeemed": 1}


def test_max_usages_cannot_drop_below_redeemed(api, store):
    create_voucher(api, code="USED1", max_usages=5)
    redeem(store, 1, 3)
    response = api.patch(f"{VOUCHERS}1/", json={"max_usages": 2})
    assert response.status_code == 400
    assert response.get_json() == {
        "max_usages": ["This voucher has already been redeemed more often than the new maximum."]
    }
    assert api.patch(f"{VOUCHERS}1/", json={"max_usages": 3}).status_code == 200


# ---------------------------------------------------------------------------------------- codes


def test_codes_are_unique_per_event(api):
    create_voucher(api, code="SAMECODE")
    response = api.post(VOUCHERS, json={"code": "SAMECODE"})
    assert response.status_code == 400
    assert response.get_json() == EXISTS
    assert api.get(VOUCHERS).get_json()["count"] == 1
    api.post(
        f"/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2017-12-27T10:00:00Z"},
    )
    elsewhere = api.post(f"/api/v1/organizers/{ORGANIZER}/events/otherconf/vouchers/", json={"code": "SAMECODE"})
    assert elsewhere.status_code == 201


def test_patch_code(api):
    create_voucher(api, code="FIRST")
    create_voucher(api, code="SECOND")
    taken = api.patch(f"{VOUCHERS}2/", json={"code": "FIRST"})
    assert taken.status_code == 400
    assert taken.get_json() == EXISTS
    own = api.patch(f"{VOUCHERS}2/", json={"code": "SECOND", "tag": "t"})
    assert own.status_code == 200
    assert own.get_json() == voucher_body(2, "SECOND", tag="t")
    assert api.patch(f"{VOUCHERS}2/", json={"code": "THIRD"}).get_json()["code"] == "THIRD"


# ---------------------------------------------------------------------------------------- validation

SHORT_CODE = (
    "Voucher codes need at least 5 characters and may only contain letters, numbers, dots, dashes and underscores."
)


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"code": "ABCD"}, {"code": [SHORT_CODE]}),
        ({"code": "ABC DEF"}, {"code": [SHORT_CODE]}),
        ({"code": "-ABCDE"}, {"code": [SHORT_CODE]}),
        ({"code": "X" * 256}, {"code": ["Ensure this field has no more than 255 characters."]}),
        ({"max_usages": 0}, {"max_usages": ["Ensure this value is greater than or equal to 1."]}),
        ({"max_usages": "lots"}, {"max_usages": ["A valid integer is required."]}),
        ({"min_usages": 0}, {"min_usages": ["Ensure this value is greater than or equal to 1."]}),
        ({"min_usages": 2}, {"min_usages": ["The minimum number of usages may not be higher than the maximum."]}),
        (
            {"min_usages": 4, "max_usages": 3},
            {"min_usages": ["The minimum number of usages may not be higher than the maximum."]},
        ),
        ({"price_mode": "free"}, {"price_mode": ['"free" is not a valid choice.']}),
        ({"price_mode": "percent", "value": "100.01"}, {"value": ["A percentage may not be higher than 100."]}),
        ({"value": "-1.00"}, {"value": ["Ensure this value is greater than or equal to 0."]}),
        ({"value": "1.234"}, {"value": ["Ensure that there are no more than 2 decimal places."]}),
        ({"value": "cheap"}, {"value": ["A valid number is required."]}),
        ({"budget": "-5"}, {"budget": ["Ensure this value is greater than or equal to 0."]}),
        (
            {"valid_until": "soon"},
            {
                "valid_until": [
                    DATETIME_FORMAT
                ]
            },
        ),
        ({"block_quota": "yes please"}, {"block_quota": ["Must be a valid boolean."]}),
        ({"item": 99}, {"item": ['Invalid pk "99" - object does not exist.']}),
        ({"quota": 99}, {"quota": ['Invalid pk "99" - object does not exist.']}),
        ({"subevent": 1}, {"subevent": ['Invalid pk "1" - object does not exist.']}),
        ({"seat": "abc-guid"}, {"seat": ["Invalid seat: this event has no seating plan."]}),
        ({"variation": "S"}, {"variation": ["You cannot select a variation without having selected a product."]}),
        ({"item": "WORKSHOP", "variation": "S"}, {"variation": ['Invalid pk "S" - object does not exist.']}),
        ({"item": "SHIRT", "variation": 99}, {"variation": ['Invalid pk "99" - object does not exist.']}),
        (
            {"item": "TICKET", "quota": "QUOTA"},
            {"non_field_errors": ["You cannot select a quota and a specific product at the same time."]},
        ),
        (
            {"quota": "QUOTA", "item": "SHIRT", "variation": "S"},
            {"non_field_errors": ["You cannot select a quota and a specific product at the same time."]},
        ),
        (
            {"block_quota": True},
            {"block_quota": ["You need to select a specific product or quota if this voucher should reserve tickets."]},
        ),
        (
            {"item": 99, "quota": 98, "subevent": 3},
            {
                "item": ['Invalid pk "99" - object does not exist.'],
                "quota": ['Invalid pk "98" - object does not exist.'],
                "non_field_errors": ["You cannot select a quota and a specific product at the same time."],
                "subevent": ['Invalid pk "3" - object does not exist.'],
            },
        ),
    ],
)
def test_create_rejects_invalid_input(rejecting, payload, errors):
    api, catalog = rejecting
    names = placeholders(catalog)
    payload = {
        key: names.get(value, value) if isinstance(value, str) and key != "code" else value
        for key, value in payload.items()
    }
    errors = {
        key: [message.replace('"S"', f'"{catalog["S"]}"') for message in messages] for key, messages in errors.items()
    }
    response = api.post(VOUCHERS, json=payload)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(VOUCHERS).get_json()["count"] == 0


def test_targets_that_are_accepted(api, catalog):
    cases = [
        {"item": catalog["ticket"]},
        {"item": catalog["shirt"]},
        {"item": catalog["shirt"], "variation": catalog["S"]},
        {"quota": catalog["quota"]},
        {"price_mode": "percent", "value": "100"},
        {"min_usages": 3, "max_usages": 3},
    ]
    for number, target in enumerate(cases, start=1):
        assert (number, create_voucher(api, **target)["id"]) == (number, number)


def test_objects_of_another_event_are_rejected(api, catalog):
    other = f"/api/v1/organizers/{ORGANIZER}/events/otherconf"
    api.post(
        f"/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2017-12-27T10:00:00Z"},
    )
    item = api.post(f"{other}/items/", json=TICKET).get_json()["id"]
    quota = api.post(f"{other}/quotas/", json={"name": "Foreign"}).get_json()["id"]
    for field, value in (("item", item), ("quota", quota)):
        response = api.post(VOUCHERS, json={field: value})
        assert (field, response.status_code, response.get_json()) == (
            field,
            400,
            {field: [f'Invalid pk "{value}" - object does not exist.']},
        )


@pytest.mark.parametrize(
    ("stored", "patch", "errors"),
    [
        (
            {"max_usages": 1},
            {"min_usages": 2},
            {"min_usages": ["The minimum number of usages may not be higher than the maximum."]},
        ),
        (
            {"max_usages": 3, "min_usages": 3},
            {"max_usages": 2},
            {"min_usages": ["The minimum number of usages may not be higher than the maximum."]},
        ),
        (
            {"price_mode": "percent", "value": "10"},
            {"value": "150"},
            {"value": ["A percentage may not be higher than 100."]},
        ),
        (
            {"price_mode": "set", "value": "150"},
            {"price_mode": "percent"},
            {"value": ["A percentage may not be higher than 100."]},
        ),
        (
            {"item": "TICKET"},
            {"quota": "QUOTA"},
            {"non_field_errors": ["You cannot select a quota and a specific product at the same time."]},
        ),
        (
            {"item": "SHIRT", "variation": "S"},
            {"item": "WORKSHOP"},
            {"variation": ['Invalid pk "S" - object does not exist.']},
        ),
        (
            {"item": "SHIRT", "variation": "S"},
            {"item": None},
            {"variation": ["You cannot select a variation without having selected a product."]},
        ),
        (
            {},
            {"block_quota": True},
            {"block_quota": ["You need to select a specific product or quota if this voucher should reserve tickets."]},
        ),
    ],
)
def test_patch_is_checked_against_the_whole_voucher(api, catalog, stored, patch, errors):
    names = placeholders(catalog)
    stored = {key: names.get(value, value) for key, value in stored.items()}
    patch = {key: names.get(value, value) for key, value in patch.items()}
    errors = {
        key: [message.replace('"S"', f'"{catalog["S"]}"') for message in messages] for key, messages in errors.items()
    }
    created = create_voucher(api, code="PATCHME", **stored)
    response = api.patch(f"{VOUCHERS}1/", json=patch)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(f"{VOUCHERS}1/").get_json() == created


# ---------------------------------------------------------------------------------------- quota blocking


def shortage(name: str) -> dict:
    return {"non_field_errors": [f'There is not enough quota available on quota "{name}" to perform the operation.']}


def available(api, quota_id: int) -> int | None:
    return api.get(f"{QUOTAS}{quota_id}/availability/").get_json()["available_number"]


def test_block_quota_needs_free_quota(api, catalog):
    quota = catalog["quota"]
    create_voucher(api, code="BLOCK3", item=catalog["ticket"], block_quota=True, max_usages=3)
    assert available(api, quota) == 2
    too_many = api.post(VOUCHERS, json={"code": "BLOCK3B", "quota": quota, "block_quota": True, "max_usages": 3})
    assert too_many.status_code == 400
    assert too_many.get_json() == shortage("Tickets")
    assert available(api, quota) == 2
    create_voucher(api, code="BLOCK2", quota=quota, block_quota=True, max_usages=2)
    assert available(api, quota) == 0
    full = api.post(VOUCHERS, json={"code": "BLOCK1", "item": catalog["ticket"], "block_quota": True})
    assert full.status_code == 400
    assert full.get_json() == shortage("Tickets")
    # Vouchers that do not block may still be created for a full quota.
    create_voucher(api, code="NOBLOCK", item=catalog["ticket"], max_usages=10)


def test_block_quota_on_unlimited_quota_or_item_without_quota(api, catalog):
    unlimited = api.post(QUOTAS, json={"name": "Workshops", "size": None, "items": [catalog["workshop"]]}).get_json()[
        "id"
    ]
    create_voucher(api, code="UNLIMITED", item=catalog["workshop"], block_quota=True, max_usages=1000)
    create_voucher(
        api, code="NOQUOTA", item=catalog["shirt"], variation=catalog["S"], block_quota=True, max_usages=1000
    )
    assert api.get(f"{QUOTAS}{unlimited}/availability/").get_json()["blocking_vouchers"] == 1000


def test_every_affected_quota_must_have_room(api, catalog):
    api.post(QUOTAS, json={"name": "Small hall", "size": 2, "items": [catalog["ticket"], catalog["workshop"]]})
    response = api.post(
        VOUCHERS, json={"code": "BLOCK3", "item": catalog["ticket"], "block_quota": True, "max_usages": 3}
    )
    assert response.status_code == 400
    assert response.get_json() == shortage("Small hall")
    create_voucher(api, code="BLOCK2", item=catalog["ticket"], block_quota=True, max_usages=2)


def test_patch_does_not_count_the_own_block(api, catalog):
    create_voucher(api, code="BLOCK5", item=catalog["ticket"], block_quota=True, max_usages=5)
    same = api.patch(f"{VOUCHERS}1/", json={"comment": "still five", "max_usages": 5})
    assert same.status_code == 200
    assert same.get_json()["comment"] == "still five"
    fewer = api.patch(f"{VOUCHERS}1/", json={"max_usages": 4})
    assert fewer.status_code == 200
    assert available(api, catalog["quota"]) == 1
    back = api.patch(f"{VOUCHERS}1/", json={"max_usages": 5})
    assert back.status_code == 200
    more = api.patch(f"{VOUCHERS}1/", json={"max_usages": 6})
    assert more.status_code == 400
    assert more.get_json() == shortage("Tickets")
    assert api.get(f"{VOUCHERS}1/").get_json()["max_usages"] == 5


def test_patch_turning_on_block_quota_needs_room(api, catalog):
    create_voucher(api, code="BLOCK4", item=catalog["ticket"], block_quota=True, max_usages=4)
    create_voucher(api, code="LATER", item=catalog["ticket"], max_usages=2)
    response = api.patch(f"{VOUCHERS}2/", json={"block_quota": True})
    assert response.status_code == 400
    assert response.get_json() == shortage("Tickets")
    assert api.patch(f"{VOUCHERS}2/", json={"block_quota": True, "max_usages": 1}).status_code == 200
    assert available(api, catalog["quota"]) == 0


def test_moving_a_blocking_voucher_to_a_full_quota_is_rejected(api, catalog):
    workshops = api.post(QUOTAS, json={"name": "Workshops", "size": 2, "items": [catalog["workshop"]]}).get_json()["id"]
    create_voucher(api, code="WORKSHOP2", item=catalog["workshop"], block_quota=True, max_usages=2)
    create_voucher(api, code="TICKET3", item=catalog["ticket"], block_quota=True, max_usages=3)
    response = api.patch(f"{VOUCHERS}2/", json={"item": catalog["workshop"]})
    assert response.status_code == 400
    assert response.get_json() == shortage("Workshops")
    assert available(api, workshops) == 0
    assert available(api, catalog["quota"]) == 2


def test_expired_blocking_voucher_counts_against_itself_only_while_valid(api, clock, catalog):
    create_voucher(
        api, code="SHORT", item=catalog["ticket"], block_quota=True, max_usages=5, valid_until="2026-11-01T12:30:00Z"
    )
    assert available(api, catalog["quota"]) == 0
    clock.advance(minutes=31)
    assert available(api, catalog["quota"]) == 5
    create_voucher(api, code="NEWER", item=catalog["ticket"], block_quota=True, max_usages=4)
    # Extending the expired voucher would need 5 free units again; only 1 is left.
    response = api.patch(f"{VOUCHERS}1/", json={"valid_until": "2026-11-02T12:00:00Z"})
    assert response.status_code == 400
    assert response.get_json() == shortage("Tickets")


def test_redeemed_units_are_not_blocked(api, store, catalog):
    create_voucher(api, code="USED5", item=catalog["ticket"], block_quota=True, max_usages=5)
    redeem(store, 1, 3)
    assert available(api, catalog["quota"]) == 3
    create_voucher(api, code="REST3", item=catalog["ticket"], block_quota=True, max_usages=3)


# ---------------------------------------------------------------------------------------- filters and ordering


@pytest.fixture
def listed(api, catalog) -> dict:
    """Four vouchers with distinct values for every filter; returns name → id."""
    specs = {
        "alpha": {
            "code": "ALPHA1",
            "max_usages": 1,
            "valid_until": "2026-12-01T00:00:00Z",
            "price_mode": "set",
            "value": "10.00",
            "item": catalog["ticket"],
            "tag": "press",
            "comment": "for journalists",
        },
        "bravo": {
            "code": "BRAVO2",
            "max_usages": 3,
            "block_quota": True,
            "price_mode": "percent",
            "value": "50",
            "item": catalog["shirt"],
            "variation": catalog["M"],
            "tag": "staff",
        },
        "charlie": {
            "code": "CHARLIE3",
            "max_usages": 2,
            "valid_until": "2026-11-15T00:00:00Z",
            "allow_ignore_quota": True,
            "quota": catalog["quota"],
            "tag": "press",
        },
        "delta": {"code": "DELTA4", "max_usages": 5, "price_mode": "subtract", "value": "5.5"},
    }
    return {name: create_voucher(api, **spec)["id"] for name, spec in specs.items()}


# Query (with placeholders for ids) and the vouchers it gives, in order.
FILTER_CASES = [
    ("", ["alpha", "bravo", "charlie", "delta"]),
    ("?code=BRAVO2", ["bravo"]),
    ("?code=bravo2", []),
    ("?max_usages=3", ["bravo"]),
    ("?redeemed=0", ["alpha", "bravo", "charlie", "delta"]),
    ("?redeemed=1", []),
    ("?block_quota=true", ["bravo"]),
    ("?block_quota=false", ["alpha", "charlie", "delta"]),
    ("?allow_ignore_quota=true", ["charlie"]),
    ("?price_mode=none", ["charlie"]),
    ("?price_mode=percent", ["bravo"]),
    ("?value=10", ["alpha"]),
    ("?value=5.50", ["delta"]),
    ("?value=0.00", ["charlie"]),
    ("?item=TICKET", ["alpha"]),
    ("?item=SHIRT", ["bravo"]),
    ("?variation=M", ["bravo"]),
    ("?quota=QUOTA", ["charlie"]),
    ("?tag=press", ["alpha", "charlie"]),
    ("?tag=pre", []),
    ("?subevent=1", []),
    ("?search=alpha", ["alpha"]),
    ("?search=JOURNAL", ["alpha"]),
    ("?search=staf", ["bravo"]),
    ("?tag=press&max_usages=2", ["charlie"]),
    ("?ordering=id", ["alpha", "bravo", "charlie", "delta"]),
    ("?ordering=-id", ["delta", "charlie", "bravo", "alpha"]),
    ("?ordering=code", ["alpha", "bravo", "charlie", "delta"]),
    ("?ordering=-code", ["delta", "charlie", "bravo", "alpha"]),
    ("?ordering=max_usages", ["alpha", "charlie", "bravo", "delta"]),
    ("?ordering=-max_usages", ["delta", "bravo", "charlie", "alpha"]),
    ("?ordering=valid_until", ["bravo", "delta", "charlie", "alpha"]),
    ("?ordering=-valid_until", ["alpha", "charlie", "delta", "bravo"]),
    ("?ordering=comment", ["alpha", "bravo", "charlie", "delta"]),
]

BAD_FILTERS = [
    ("?max_usages=many", {"max_usages": ["A valid integer is required."]}),
    ("?redeemed=x", {"redeemed": ["A valid integer is required."]}),
    ("?block_quota=perhaps", {"block_quota": ["Must be a valid boolean."]}),
    ("?item=x", {"item": ["A valid integer is required."]}),
    ("?value=cheap", {"value": ["A valid number is required."]}),
]


def test_filters_and_ordering(api, catalog, listed):
    ids = {"TICKET": catalog["ticket"], "SHIRT": catalog["shirt"], "M": catalog["M"], "QUOTA": catalog["quota"]}
    names = {voucher_id: name for name, voucher_id in listed.items()}
    for query, expected in FILTER_CASES:
        url = query
        for placeholder, value in ids.items():
            url = url.replace(f"={placeholder}", f"={value}")
        response = api.get(VOUCHERS + url)
        body = response.get_json()
        assert (query, response.status_code, [names[v["id"]] for v in body["results"]]) == (query, 200, expected)
        assert body["count"] == len(expected)


def test_ordering_by_value(api):
    for code, value in (("VALUE1", "10.00"), ("VALUE2", "9.50"), ("VALUE3", "100.00")):
        create_voucher(api, code=code, price_mode="set", value=value)
    ascending = [v["code"] for v in api.get(f"{VOUCHERS}?ordering=value").get_json()["results"]]
    descending = [v["code"] for v in api.get(f"{VOUCHERS}?ordering=-value").get_json()["results"]]
    assert ascending == ["VALUE2", "VALUE1", "VALUE3"]
    assert descending == ["VALUE3", "VALUE1", "VALUE2"]


def test_bad_filter_values_are_rejected(api):
    for query, errors in BAD_FILTERS:
        response = api.get(VOUCHERS + query)
        assert (query, response.status_code, response.get_json()) == (query, 400, errors)


# ---------------------------------------------------------------------------------------- batch creation


def test_batch_create(api, catalog):
    second = {**EXAMPLE, "code": "ASDKLJCYXCASDASD"}
    response = api.post(BATCH, json=[EXAMPLE, second, {"tag": "generated"}])
    assert response.status_code == 201
    body = response.get_json()
    assert GENERATED.match(body[2]["code"])
    assert body == [
        {**VOUCHER_DEFAULTS, **EXAMPLE, "id": 1},
        {**VOUCHER_DEFAULTS, **second, "id": 2},
        voucher_body(3, body[2]["code"], tag="generated"),
    ]
    assert api.get(VOUCHERS).get_json()["results"] == body


def test_batch_with_one_bad_entry_creates_nothing(api, catalog):
    entries = [{"code": "GOOD1"}, {"code": "BAD", "max_usages": 0}, {"code": "GOOD2"}]
    response = api.post(BATCH, json=entries)
    assert response.status_code == 400
    assert response.get_json() == [
        {},
        {"code": [SHORT_CODE], "max_usages": ["Ensure this value is greater than or equal to 1."]},
        {},
    ]
    assert api.get(VOUCHERS).get_json()["count"] == 0


def test_batch_with_a_rule_broken_creates_nothing(api, catalog):
    entries = [{"code": "GOOD1", "item": catalog["ticket"]}, {"code": "GOOD2", "item": 99}]
    response = api.post(BATCH, json=entries)
    assert response.status_code == 400
    assert response.get_json() == [{}, {"item": ['Invalid pk "99" - object does not exist.']}]
    assert api.get(VOUCHERS).get_json()["count"] == 0


def test_batch_answers_rules_within_entries_before_looking_anything_up(api, catalog):
    entries = [{"code": "GOOD1", "item": 99}, {"code": "BAD01", "min_usages": 2}]
    response = api.post(BATCH, json=entries)
    assert response.status_code == 400
    assert response.get_json() == [
        {}, {"min_usages": ["The minimum number of usages may not be higher than the maximum."]},
    ]
    assert api.get(VOUCHERS).get_json()["count"] == 0


def test_batch_with_an_existing_code_creates_nothing(api):
    create_voucher(api, code="TAKEN")
    response = api.post(BATCH, json=[{"code": "FRESH"}, {"code": "TAKEN"}])
    assert response.status_code == 400
    assert response.get_json() == [{}, EXISTS]
    assert api.get(VOUCHERS).get_json()["count"] == 1


def test_batch_with_duplicate_codes_is_rejected(api):
    response = api.post(BATCH, json=[{"code": "TWICE"}, {"code": "OTHER"}, {"code": "TWICE"}])
    assert response.status_code == 400
    assert response.get_json() == {"code": ["Duplicate voucher code in request."]}
    assert api.get(VOUCHERS).get_json()["count"] == 0


def test_batch_blocks_quota_entry_by_entry(api, catalog):
    entries = [
        {"code": "BLOCK3", "item": catalog["ticket"], "block_quota": True, "max_usages": 3},
        {"code": "BLOCK2", "quota": catalog["quota"], "block_quota": True, "max_usages": 2},
        {"code": "BLOCK1", "item": catalog["ticket"], "block_quota": True},
    ]
    response = api.post(BATCH, json=entries)
    assert response.status_code == 400
    assert response.get_json() == [{}, {}, shortage("Tickets")]
    assert api.get(VOUCHERS).get_json()["count"] == 0
    assert available(api, catalog["quota"]) == 5
    assert api.post(BATCH, json=entries[:2]).status_code == 201
    assert available(api, catalog["quota"]) == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"code": "SINGLE"}, {"non_field_errors": ['Expected a list of items but got type "dict".']}),
        ("CODE1", {"non_field_errors": ['Expected a list of items but got type "str".']}),
        (
            [{"code": "GOOD1"}, "CODE2"],
            [{}, {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}],
        ),
    ],
)
def test_batch_body_must_be_a_list_of_objects(rejecting_api, body, errors):
    api = rejecting_api
    response = api.post(BATCH, json=body)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(VOUCHERS).get_json()["count"] == 0


def test_empty_batch(api):
    response = api.post(BATCH, json=[])
    assert response.status_code == 201
    assert response.get_json() == []


# ---------------------------------------------------------------------------------------- access


@pytest.mark.parametrize("code", ["summer26", "SUMMER26", "Summer26"])
def test_codes_are_unique_regardless_of_case(api, code):
    assert api.post(VOUCHERS, json={"code": "Summer26"}).status_code == 201
    response = api.post(VOUCHERS, json={"code": code})
    assert (response.status_code, response.get_json()) == (400, EXISTS)


@pytest.mark.parametrize(
    ("voucher", "url", "what"),
    [
        ({"item": "ticket"}, ITEMS + "{ticket}/", "item"),
        ({"item": "shirt", "variation": "S"}, ITEMS + "{shirt}/variations/{S}/", "variation"),
        ({"quota": "quota"}, QUOTAS + "{quota}/", "quota"),
    ],
)
def test_what_a_voucher_is_restricted_to_cannot_be_deleted(api, catalog, voucher, url, what):
    created = api.post(VOUCHERS, json={key: catalog[value] for key, value in voucher.items()})
    assert created.status_code == 201
    response = api.delete(url.format(**catalog))
    assert (response.status_code, response.get_json()) == (
        403,
        {"detail": f"This {what} cannot be deleted because vouchers are attached to it."},
    )
    assert api.delete(f"{VOUCHERS}{created.get_json()['id']}/").status_code == 204
    assert api.delete(url.format(**catalog)).status_code == 204
