"""Check-in: lists (CRUD, counts, status), redeeming secrets through the check-in RPC and the legacy URL
(every refusal reason, force, questions, texts, nonces), search, the check-in history, access and retries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import EVENT_URL, ORGANIZER, created, fill, page
from tests.messages import FORBIDDEN, NOT_FOUND, UNAUTHENTICATED

ORG_URL = f"/api/v1/organizers/{ORGANIZER}"
EVENTS = f"{ORG_URL}/events/"
LISTS = f"{EVENT_URL}/checkinlists/"
REDEEM = f"{ORG_URL}/checkinrpc/redeem/"
SEARCH = f"{ORG_URL}/checkinrpc/search/"
CHECKINS = f"{EVENT_URL}/checkins/"
ORDERS = f"{EVENT_URL}/orders/"
POSITIONS = f"{EVENT_URL}/orderpositions/"
ITEMS = f"{EVENT_URL}/items/"
QUESTIONS = f"{EVENT_URL}/questions/"

NOW = "2026-11-01T12:00:00Z"
BAD_DATETIME = (
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
UNKNOWN_SECRET = {
    "detail": "Not found.",
    "status": "error",
    "reason": "invalid",
    "reason_explanation": None,
    "require_attention": False,
    "checkin_texts": [],
}

# ---------------------------------------------------------------------------------------- catalog and orders

TICKET = {"name": {"en": "Ticket"}, "default_price": "23.00", "admission": True}
SHIRT = {
    "name": {"en": "Shirt"},
    "default_price": "15.00",
    "variations": [{"value": {"en": "S"}}, {"value": {"en": "M"}}],
}
PARKING = {"name": {"en": "Parking"}, "default_price": "8.00"}
OTHER_EVENT = {"name": {"en": "Other Conference"}, "slug": "otherconf", "date_from": "2027-01-01T10:00:00Z"}

PAID = {"status": "p", "payment_provider": "cash"}
PENDING = {"status": "n"}

LIST_DEFAULTS: dict[str, Any] = {
    "all_products": True,
    "limit_products": [],
    "subevent": None,
    "position_count": 0,
    "checkin_count": 0,
    "include_pending": False,
    "allow_multiple_entries": False,
    "allow_entry_after_exit": True,
    "rules": {},
    "exit_all_at": None,
    "addon_match": False,
    "ignore_in_statistics": False,
    "consider_tickets_used": True,
}
ENTRANCE = {"name": "Entrance"}
FULL_LIST = {
    "name": "VIP entry",
    "all_products": False,
    "limit_products": ["$ticket", "$shirt"],
    "subevent": None,
    "include_pending": True,
    "allow_multiple_entries": True,
    "allow_entry_after_exit": False,
    "rules": {"and": [True]},
    "exit_all_at": "2026-11-02T03:00:00Z",
    "addon_match": True,
    "ignore_in_statistics": True,
    "consider_tickets_used": False,
}


def build_shop(client, event_url: str = EVENT_URL) -> dict[str, int]:
    """Ticket, Shirt (S, M) and Parking in one quota; return their ids by name."""
    ids: dict[str, int] = {}
    for name, payload in (("ticket", TICKET), ("shirt", SHIRT), ("parking", PARKING)):
        item = created(client, f"{event_url}/items/", payload)
        ids[name] = item["id"]
        for variation in item["variations"]:
            ids[variation["value"]["en"]] = variation["id"]
    created(
        client,
        f"{event_url}/quotas/",
        {
            "name": "All",
            "size": 100,
            "items": [ids["ticket"], ids["shirt"], ids["parking"]],
            "variations": [ids["S"], ids["M"]],
        },
    )
    return ids


@pytest.fixture
def shop(api) -> dict[str, int]:
    return build_shop(api)


def buy(client, positions: list[dict], event_url: str = EVENT_URL, **fields: Any) -> dict:
    """Create an order (paid unless `fields` say otherwise); return its body."""
    return created(client, f"{event_url}/orders/", {**PAID, **fields, "positions": positions})


def ticket(ids: dict[str, int], name: str = "Ada Lovelace", **fields: Any) -> dict:
    return {"item": ids["ticket"], "attendee_name": name, **fields}


def make_list(client, payload: dict = ENTRANCE, ids: dict[str, int] | None = None, event_url: str = EVENT_URL) -> dict:
    return created(client, f"{event_url}/checkinlists/", fill(payload, ids or {}))


def redeem(client, secret: str, lists: list[int], **fields: Any):
    return client.post(REDEEM, json={"secret": secret, "lists": lists, **fields})


def checkin(checkin_id: int, list_id: int, kind: str = "entry", at: str = NOW) -> dict:
    """A check-in as order positions show it."""
    return {
        "id": checkin_id,
        "list": list_id,
        "datetime": at,
        "type": kind,
        "gate": None,
        "device": None,
        "device_id": None,
        "auto_checked_in": False,
    }


def excerpt(checkin_list: dict, event: str = "sampleconf") -> dict:
    return {
        "id": checkin_list["id"],
        "name": checkin_list["name"],
        "event": event,
        "subevent": None,
        "include_pending": checkin_list["include_pending"],
    }


def with_order_state(position: dict, order: dict, attention: bool = False) -> dict:
    """A position as check-in answers show it: with its order's state."""
    return {
        **position,
        "require_attention": attention,
        "order__status": order["status"],
        "order__valid_if_pending": order["valid_if_pending"],
        "order__require_approval": order["require_approval"],
        "order__locale": order["locale"],
    }


def scan_answer(
    api,
    position_id: int,
    checkin_list: dict,
    status: str = "ok",
    *,
    reason: str | None = None,
    explanation: str | None = None,
    attention: bool = False,
    texts: tuple[str, ...] = (),
    event: str = "sampleconf",
) -> dict:
    """The whole redeem answer for a known ticket, its position and order as the API shows them now."""
    event_url = f"{EVENTS}{event}"
    position = api.get(f"{event_url}/orderpositions/{position_id}/").get_json()
    order = api.get(f"{event_url}/orders/{position['order']}/").get_json()
    body: dict[str, Any] = {"status": status}
    if status == "error":
        body.update(reason=reason, reason_explanation=explanation)
    body.update(
        position={
            **with_order_state(position, order, attention),
            "checkins": [c for c in position["checkins"] if c["list"] == checkin_list["id"]],
        },
        require_attention=attention,
        checkin_texts=list(texts),
        list=excerpt(checkin_list, event),
    )
    return body


def history(api, **query: Any) -> list[dict]:
    response = api.get(CHECKINS, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def attempt(
    checkin_id: int,
    position: int,
    list_id: int,
    error: str | None = None,
    kind: str = "entry",
    at: str = NOW,
    created_at: str = NOW,
) -> dict:
    """A check-in attempt as the history shows it."""
    return {
        "id": checkin_id,
        "successful": error is None,
        "error_reason": error,
        "error_explanation": None,
        "position": position,
        "datetime": at,
        "created": created_at,
        "list": list_id,
        "auto_checked_in": False,
        "gate": None,
        "device": None,
        "device_id": None,
        "type": kind,
    }


# ---------------------------------------------------------------------------------------- check-in lists


def test_a_list_created_with_its_name_only_has_the_defaults(api):
    response = api.post(LISTS, json=ENTRANCE)

    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "name": "Entrance", **LIST_DEFAULTS}
    assert api.get(f"{LISTS}{body['id']}/").get_json() == body
    assert api.get(LISTS).get_json() == page([body])


def test_a_list_keeps_every_field_given(api, shop):
    response = api.post(LISTS, json=fill(FULL_LIST, shop))

    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        **fill(FULL_LIST, shop),
        "id": body["id"],
        "position_count": 0,
        "checkin_count": 0,
    }
    assert api.get(f"{LISTS}{body['id']}/").get_json() == body


def test_read_only_counts_sent_on_create_are_ignored(api):
    body = created(api, LISTS, {"name": "Entrance", "position_count": 99, "checkin_count": 7, "id": 1234})

    assert body == {"id": body["id"], "name": "Entrance", **LIST_DEFAULTS}
    assert body["id"] != 1234


@pytest.mark.parametrize(
    "payload, errors",
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"name": "x" * 191}, {"name": ["Ensure this field has no more than 190 characters."]}),
        ({"name": "A", "limit_products": [9999]}, {"limit_products": ['Invalid pk "9999" - object does not exist.']}),
        (
            {"name": "A", "limit_products": ["$ticket", "$other_item"]},
            {"limit_products": ['Invalid pk "{other_item}" - object does not exist.']},
        ),
        ({"name": "A", "subevent": 1}, {"subevent": ['Invalid pk "1" - object does not exist.']}),
        ({"name": "A", "include_pending": "perhaps"}, {"include_pending": ["Must be a valid boolean."]}),
        ({"name": "A", "exit_all_at": "tonight"}, {"exit_all_at": [BAD_DATETIME]}),
    ],
    ids=[
        "no name",
        "blank name",
        "long name",
        "unknown item",
        "item of another event",
        "subevent",
        "boolean",
        "datetime",
    ],
)
def test_invalid_lists_are_refused(api, shop, payload, errors):
    created(api, EVENTS, OTHER_EVENT)
    other_item = created(api, f"{EVENTS}otherconf/items/", TICKET)["id"]

    response = api.post(LISTS, json=fill(payload, {**shop, "other_item": other_item}))

    assert response.status_code == 400
    assert response.get_json() == {
        field: [message.replace("{other_item}", str(other_item)) for message in messages]
        for field, messages in errors.items()
    }
    assert api.get(LISTS).get_json() == page([])


def test_patch_changes_only_the_fields_sent(api, shop):
    original = make_list(api, FULL_LIST, shop)

    response = api.patch(f"{LISTS}{original['id']}/", json={"name": "Backstage", "checkin_count": 50})

    assert response.status_code == 200
    assert response.get_json() == {**original, "name": "Backstage"}
    assert api.get(f"{LISTS}{original['id']}/").get_json() == {**original, "name": "Backstage"}


def test_put_resets_the_fields_not_sent(api, shop):
    original = make_list(api, FULL_LIST, shop)

    response = api.put(f"{LISTS}{original['id']}/", json={"name": "Plain"})

    assert response.status_code == 200
    assert response.get_json() == {"id": original["id"], "name": "Plain", **LIST_DEFAULTS}


def test_put_needs_the_name(api):
    original = make_list(api)

    response = api.put(f"{LISTS}{original['id']}/", json={"allow_multiple_entries": True})

    assert response.status_code == 400
    assert response.get_json() == {"name": ["This field is required."]}
    assert api.get(f"{LISTS}{original['id']}/").get_json() == original


def test_patch_refuses_items_of_no_event(api, shop):
    original = make_list(api)

    response = api.patch(
        f"{LISTS}{original['id']}/", json={"all_products": False, "limit_products": [shop["ticket"], 777]}
    )

    assert response.status_code == 400
    assert response.get_json() == {"limit_products": ['Invalid pk "777" - object does not exist.']}
    assert api.get(f"{LISTS}{original['id']}/").get_json() == original


def test_deleting_an_item_takes_it_off_the_lists_limited_to_it(api, shop):
    spare = created(api, ITEMS, {"name": {"en": "Spare"}, "default_price": "1.00"})
    original = make_list(api, {"name": "Some", "all_products": False, "limit_products": [shop["ticket"], spare["id"]]})

    assert api.delete(f"{ITEMS}{spare['id']}/").status_code == 204

    assert api.get(f"{LISTS}{original['id']}/").get_json() == {**original, "limit_products": [shop["ticket"]]}
    renamed = api.patch(f"{LISTS}{original['id']}/", json={"name": "Renamed"})
    assert renamed.status_code == 200, renamed.get_json()


def test_lists_are_ordered_by_id_or_name(api):
    zulu, alpha, mike = (make_list(api, {"name": name}) for name in ("Zulu", "Alpha", "Mike"))

    assert api.get(LISTS).get_json()["results"] == [zulu, alpha, mike]
    assert api.get(LISTS + "?ordering=name").get_json()["results"] == [alpha, mike, zulu]
    assert api.get(LISTS + "?ordering=-name").get_json()["results"] == [zulu, mike, alpha]


def test_unknown_lists_are_not_found(api):
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        response = api.request(method, f"{LISTS}999/", json={"name": "X"} if method in ("PATCH", "PUT") else None)
        assert response.status_code == 404, method
        assert response.get_json() == NOT_FOUND
    assert api.get(f"{LISTS}999/status/").status_code == 404
    assert api.get(f"{LISTS}999/positions/").status_code == 404


def test_a_list_of_another_event_is_not_found_here(api):
    created(api, EVENTS, OTHER_EVENT)
    foreign = make_list(api, event_url=f"{EVENTS}otherconf")

    assert api.get(f"{LISTS}{foreign['id']}/").status_code == 404
    assert api.get(f"{LISTS}{foreign['id']}/status/").status_code == 404
    assert api.delete(f"{LISTS}{foreign['id']}/").status_code == 404


def test_deleting_a_list_deletes_its_checkins(api, shop):
    order = buy(api, [ticket(shop)])
    position = order["positions"][0]
    doomed, kept = make_list(api, {"name": "Doomed"}), make_list(api, {"name": "Kept"})
    assert redeem(api, position["secret"], [doomed["id"]]).status_code == 201
    assert redeem(api, position["secret"], [kept["id"]]).status_code == 201
    assert redeem(api, position["secret"], [doomed["id"]]).get_json()["reason"] == "already_redeemed"

    response = api.delete(f"{LISTS}{doomed['id']}/")

    assert response.status_code == 204
    assert response.data == b""
    assert api.get(f"{LISTS}{doomed['id']}/").status_code == 404
    assert api.get(LISTS).get_json()["results"] == [{**kept, "position_count": 1, "checkin_count": 1}]
    assert api.get(f"{POSITIONS}{position['id']}/").get_json()["checkins"] == [checkin(2, kept["id"])]
    assert history(api) == [attempt(2, position["id"], kept["id"])]


def test_counts_on_the_list_follow_sales_and_scans(api, shop):
    plain = make_list(api)
    pending_too = make_list(api, {"name": "Pending too", "include_pending": True})
    shirts = make_list(api, {"name": "Shirts", "all_products": False, "limit_products": [shop["shirt"]]})
    ada = buy(api, [ticket(shop), {"item": shop["shirt"], "variation": shop["S"]}])
    buy(api, [ticket(shop, "Pending Pete")], **PENDING)
    buy(api, [ticket(shop, "Valid Val")], **PENDING, valid_if_pending=True)
    canceled = buy(api, [ticket(shop, "Gone Gus")])
    assert api.post(f"{ORDERS}{canceled['code']}/mark_canceled/", json={}).status_code == 200
    assert redeem(api, ada["positions"][0]["secret"], [plain["id"]]).status_code == 201
    assert redeem(api, ada["positions"][0]["secret"], [plain["id"]], type="exit").status_code == 201

    counts = {c["name"]: (c["position_count"], c["checkin_count"]) for c in api.get(LISTS).get_json()["results"]}

    assert counts == {"Entrance": (3, 1), "Pending too": (4, 0), "Shirts": (1, 0)}
    assert api.get(f"{LISTS}{shirts['id']}/").get_json() == {**shirts, "position_count": 1}
    assert api.get(f"{LISTS}{pending_too['id']}/").get_json() == {**pending_too, "position_count": 4}


# ---------------------------------------------------------------------------------------- status


def status(counts: tuple[int, int, int], *items: dict) -> dict:
    """A status body: (checked in, positions, inside) of the event, then its items."""
    checkins, positions, inside = counts
    return {
        "checkin_count": checkins,
        "position_count": positions,
        "inside_count": inside,
        "event": {"name": "Sample Conference"},
        "items": list(items),
    }


def item_status(name: str, item_id: int, admission: bool, counts: tuple[int, int], *variations: dict) -> dict:
    """An item of a status body, with its (checked in, positions) counts."""
    checkins, positions = counts
    return {
        "name": name,
        "id": item_id,
        "admission": admission,
        "checkin_count": checkins,
        "position_count": positions,
        "variations": list(variations),
    }


def variation_status(value: str, variation_id: int, checkins: int, positions: int) -> dict:
    return {"value": value, "id": variation_id, "checkin_count": checkins, "position_count": positions}


def test_status_counts_tickets_checkins_and_who_is_inside_by_item_and_variation(api, shop):
    checkin_list = make_list(api)
    ada = buy(api, [ticket(shop, "Ada"), {"item": shop["shirt"], "variation": shop["S"]}])
    bob = buy(api, [ticket(shop, "Bob")])
    buy(api, [{"item": shop["shirt"], "variation": shop["M"]}], **PENDING)
    buy(api, [{"item": shop["parking"]}])
    for secret in (ada["positions"][0]["secret"], ada["positions"][1]["secret"], bob["positions"][0]["secret"]):
        assert redeem(api, secret, [checkin_list["id"]]).status_code == 201
    assert redeem(api, bob["positions"][0]["secret"], [checkin_list["id"]], type="exit").status_code == 201

    response = api.get(f"{LISTS}{checkin_list['id']}/status/")

    assert response.status_code == 200
    assert response.get_json() == status(
        (3, 4, 2),
        item_status("Ticket", shop["ticket"], True, (2, 2)),
        item_status(
            "Shirt",
            shop["shirt"],
            False,
            (1, 1),
            variation_status("S", shop["S"], 1, 1),
            variation_status("M", shop["M"], 0, 0),
        ),
        item_status("Parking", shop["parking"], False, (0, 1)),
    )


def test_status_of_a_limited_list_with_pending_orders(api, shop):
    checkin_list = make_list(
        api, {"name": "Shirts", "all_products": False, "limit_products": [shop["shirt"]], "include_pending": True}
    )
    buy(api, [ticket(shop)])
    pending = buy(api, [{"item": shop["shirt"], "variation": shop["M"]}], **PENDING)
    secret = pending["positions"][0]["secret"]
    assert redeem(api, secret, [checkin_list["id"]], ignore_unpaid=True).status_code == 201
    sizes = (variation_status("S", shop["S"], 0, 0), variation_status("M", shop["M"], 1, 1))

    assert api.get(f"{LISTS}{checkin_list['id']}/status/").get_json() == status(
        (1, 1, 1),
        item_status("Shirt", shop["shirt"], False, (1, 1), *sizes),
    )


def test_status_of_an_empty_event(api):
    checkin_list = make_list(api)

    assert api.get(f"{LISTS}{checkin_list['id']}/status/").get_json() == status((0, 0, 0))


# ---------------------------------------------------------------------------------------- redeeming


def test_a_valid_ticket_is_checked_in_once(api, shop):
    checkin_list = make_list(api)
    order = buy(api, [ticket(shop)])
    position = order["positions"][0]

    response = redeem(api, position["secret"], [checkin_list["id"]])

    assert response.status_code == 201
    assert response.get_json() == {
        "status": "ok",
        "position": {
            **position,
            "checkins": [checkin(1, checkin_list["id"])],
            "require_attention": False,
            "order__status": "p",
            "order__valid_if_pending": False,
            "order__require_approval": False,
            "order__locale": "en",
        },
        "require_attention": False,
        "checkin_texts": [],
        "list": {
            "id": checkin_list["id"],
            "name": "Entrance",
            "event": "sampleconf",
            "subevent": None,
            "include_pending": False,
        },
    }
    shown = api.get(f"{POSITIONS}{position['id']}/").get_json()
    assert shown == {**position, "checkins": [checkin(1, checkin_list["id"])]}
    assert history(api) == [attempt(1, position["id"], checkin_list["id"])]


def test_the_answer_shows_only_checkins_of_the_scanned_list(api, shop):
    first, second = make_list(api, {"name": "First"}), make_list(api, {"name": "Second"})
    position = buy(api, [ticket(shop)])["positions"][0]
    assert redeem(api, position["secret"], [first["id"]]).status_code == 201

    response = redeem(api, position["secret"], [second["id"]])

    assert response.status_code == 201
    assert response.get_json()["position"]["checkins"] == [checkin(2, second["id"])]
    assert response.get_json() == scan_answer(api, position["id"], second)
    assert api.get(f"{POSITIONS}{position['id']}/").get_json()["checkins"] == [
        checkin(1, first["id"]),
        checkin(2, second["id"]),
    ]


def test_an_unknown_secret_is_not_found(api, shop):
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]

    for secret in ("no-such-secret", position["secret"].upper(), position["secret"][:-1], str(position["id"])):
        response = redeem(api, secret, [checkin_list["id"]])
        assert response.status_code == 404, secret
        assert response.get_json() == UNKNOWN_SECRET
    assert api.get(f"{POSITIONS}{position['id']}/").get_json()["checkins"] == []


def test_a_secret_of_another_event_is_not_found_on_this_events_list(api, shop):
    created(api, EVENTS, OTHER_EVENT)
    other_ids = build_shop(api, f"{EVENTS}otherconf")
    foreign = buy(api, [ticket(other_ids)], event_url=f"{EVENTS}otherconf")
    checkin_list = make_list(api)

    response = redeem(api, foreign["positions"][0]["secret"], [checkin_list["id"]])

    assert response.status_code == 404
    assert response.get_json() == UNKNOWN_SECRET


def test_one_scan_may_name_a_list_of_each_event(api, shop):
    created(api, EVENTS, OTHER_EVENT)
    other_ids = build_shop(api, f"{EVENTS}otherconf")
    foreign = buy(api, [ticket(other_ids, "Grace Hopper")], event_url=f"{EVENTS}otherconf")
    here, there = make_list(api), make_list(api, {"name": "Other door"}, event_url=f"{EVENTS}otherconf")
    local = buy(api, [ticket(shop)])

    response = redeem(api, foreign["positions"][0]["secret"], [here["id"], there["id"]])

    assert response.status_code == 201
    assert response.get_json() == scan_answer(api, foreign["positions"][0]["id"], there, event="otherconf")
    assert response.get_json()["list"] == {
        "id": there["id"],
        "name": "Other door",
        "event": "otherconf",
        "subevent": None,
        "include_pending": False,
    }
    again = redeem(api, local["positions"][0]["secret"], [here["id"], there["id"]])
    assert again.status_code == 201
    assert again.get_json() == scan_answer(api, local["positions"][0]["id"], here)


# The reason table: order fields, position fields, list fields, what happens before, the scan's fields,
# and the expected (HTTP status, status, reason, explanation). A forced scan that is still refused answers
# 400, the answer that makes a device drop an offline scan from its upload queue instead of retrying it.
REASONS = [
    ("paid", {}, {}, {}, [], {}, (201, "ok", None, None)),
    ("canceled order", {}, {}, {}, ["cancel"], {}, (200, "error", "canceled", None)),
    ("canceled order, forced", {}, {}, {}, ["cancel"], {"force": True}, (400, "error", "canceled", None)),
    ("canceled position", {}, {}, {}, ["cancel_with_fee"], {}, (200, "error", "canceled", None)),
    ("canceled position, forced", {}, {}, {}, ["cancel_with_fee"], {"force": True}, (400, "error", "canceled", None)),
    ("expired order", PENDING, {}, {}, ["expire"], {}, (200, "error", "canceled", None)),
    (
        "expired order, pending list, forced",
        PENDING,
        {},
        {"include_pending": True},
        ["expire"],
        {"force": True, "ignore_unpaid": True},
        (400, "error", "canceled", None),
    ),
    ("needs approval", {**PENDING, "require_approval": True}, {}, {}, [], {}, (200, "error", "unapproved", None)),
    (
        "needs approval, pending list",
        {**PENDING, "require_approval": True},
        {},
        {"include_pending": True},
        [],
        {"ignore_unpaid": True},
        (200, "error", "unapproved", None),
    ),
    ("pending", PENDING, {}, {}, [], {}, (200, "error", "unpaid", None)),
    ("pending, forced", PENDING, {}, {}, [], {"force": True}, (201, "ok", None, None)),
    (
        "pending, ignore_unpaid without include_pending",
        PENDING,
        {},
        {},
        [],
        {"ignore_unpaid": True},
        (200, "error", "unpaid", None),
    ),
    (
        "pending, include_pending without ignore_unpaid",
        PENDING,
        {},
        {"include_pending": True},
        [],
        {},
        (200, "error", "unpaid", None),
    ),
    (
        "pending, include_pending and ignore_unpaid",
        PENDING,
        {},
        {"include_pending": True},
        [],
        {"ignore_unpaid": True},
        (201, "ok", None, None),
    ),
    ("pending, valid if pending", {**PENDING, "valid_if_pending": True}, {}, {}, [], {}, (201, "ok", None, None)),
    (
        "product not on the list",
        {},
        {},
        {"all_products": False, "limit_products": ["$shirt"]},
        [],
        {},
        (200, "error", "product", None),
    ),
    (
        "product not on the list, forced",
        {},
        {},
        {"all_products": False, "limit_products": ["$shirt"]},
        [],
        {"force": True},
        (400, "error", "product", None),
    ),
    (
        "product on the list",
        {},
        {},
        {"all_products": False, "limit_products": ["$ticket"]},
        [],
        {},
        (201, "ok", None, None),
    ),
    (
        "limit_products ignored for all products",
        {},
        {},
        {"all_products": True, "limit_products": ["$shirt"]},
        [],
        {},
        (201, "ok", None, None),
    ),
    ("blocked", {}, {}, {}, ["block"], {}, (200, "error", "blocked", None)),
    ("blocked, forced", {}, {}, {}, ["block"], {"force": True}, (201, "ok", None, None)),
    (
        "not valid yet",
        {},
        {"valid_from": "2026-11-01T13:00:00Z"},
        {},
        [],
        {},
        (200, "error", "invalid_time", "This ticket is only valid from 2026-11-01T13:00:00Z."),
    ),
    (
        "no longer valid",
        {},
        {"valid_until": "2026-11-01T11:00:00Z"},
        {},
        [],
        {},
        (200, "error", "invalid_time", "This ticket was only valid until 2026-11-01T11:00:00Z."),
    ),
    (
        "valid from now on",
        {},
        {"valid_from": NOW, "valid_until": "2026-11-01T12:00:01Z"},
        {},
        [],
        {},
        (201, "ok", None, None),
    ),
    (
        "no longer valid, forced",
        {},
        {"valid_until": "2026-11-01T11:00:00Z"},
        {},
        [],
        {"force": True},
        (201, "ok", None, None),
    ),
    (
        "no longer valid, scanned while it was",
        {},
        {"valid_until": "2026-11-01T11:00:00Z"},
        {},
        [],
        {"datetime": "2026-11-01T10:30:00Z"},
        (201, "ok", None, None),
    ),
    (
        "valid now, scanned before it was",
        {},
        {"valid_from": "2026-11-01T09:00:00Z"},
        {},
        [],
        {"datetime": "2026-11-01T08:00:00Z"},
        (200, "error", "invalid_time", "This ticket is only valid from 2026-11-01T09:00:00Z."),
    ),
    ("already in", {}, {}, {}, ["entry"], {}, (200, "error", "already_redeemed", None)),
    ("already in, forced", {}, {}, {}, ["entry"], {"force": True}, (201, "ok", None, None)),
    ("already in, multiple entries", {}, {}, {"allow_multiple_entries": True}, ["entry"], {}, (201, "ok", None, None)),
    ("in and out", {}, {}, {}, ["entry", "exit"], {}, (201, "ok", None, None)),
    (
        "in and out, no entry after exit",
        {},
        {},
        {"allow_entry_after_exit": False},
        ["entry", "exit"],
        {},
        (200, "error", "already_redeemed", None),
    ),
    ("in, out and in again", {}, {}, {}, ["entry", "exit", "entry"], {}, (200, "error", "already_redeemed", None)),
    ("only out before", {}, {}, {"allow_entry_after_exit": False}, ["exit"], {}, (201, "ok", None, None)),
    ("in on another list", {}, {}, {}, ["entry elsewhere"], {}, (201, "ok", None, None)),
    ("exit without entry", {}, {}, {}, [], {"type": "exit"}, (201, "ok", None, None)),
    (
        "exit twice",
        {},
        {},
        {"allow_entry_after_exit": False},
        ["entry", "exit"],
        {"type": "exit"},
        (201, "ok", None, None),
    ),
    ("exit while inside", {}, {}, {}, ["entry"], {"type": "exit"}, (201, "ok", None, None)),
    ("exit of a canceled ticket", {}, {}, {}, ["cancel"], {"type": "exit"}, (200, "error", "canceled", None)),
]


def prepare(api, clock, store, shop, order_fields, position_fields, list_fields, before) -> tuple[dict, dict]:
    """Make the list and the order of one reason case and do what happens before the scan."""
    checkin_list = make_list(api, {"name": "Door", **list_fields}, shop)
    elsewhere = make_list(api, {"name": "Elsewhere"})
    order = buy(api, [ticket(shop, **position_fields)], **order_fields)
    position = order["positions"][0]
    for step in before:
        if step in ("entry", "exit"):
            assert redeem(api, position["secret"], [checkin_list["id"]], type=step).status_code == 201
        elif step == "entry elsewhere":
            assert redeem(api, position["secret"], [elsewhere["id"]]).status_code == 201
        elif step == "cancel":
            assert api.post(f"{ORDERS}{order['code']}/mark_canceled/", json={}).status_code == 200
        elif step == "cancel_with_fee":
            response = api.post(f"{ORDERS}{order['code']}/mark_canceled/", json={"cancellation_fee": "5.00"})
            assert response.status_code == 200
            assert response.get_json()["status"] == "p"
        elif step == "expire":
            clock.advance(days=14, seconds=1)
        elif step == "block":
            # No endpoint blocks a ticket; pretix sets this from its backend.
            with store.transaction() as tx:
                tx.update("orderpositions", position["id"], {"blocked": ["admin"]})
    return checkin_list, position


@pytest.mark.parametrize(
    "order_fields, position_fields, list_fields, before, scan, expected",
    [case[1:] for case in REASONS],
    ids=[case[0] for case in REASONS],
)
def test_redeem_reasons(api, clock, store, shop, order_fields, position_fields, list_fields, before, scan, expected):
    checkin_list, position = prepare(api, clock, store, shop, order_fields, position_fields, list_fields, before)
    attempts_before = len(history(api))
    http_status, status, reason, explanation = expected

    response = redeem(api, position["secret"], [checkin_list["id"]], **scan)

    assert response.status_code == http_status, response.get_json()
    assert response.get_json() == scan_answer(
        api, position["id"], checkin_list, status, reason=reason, explanation=explanation
    )
    attempts = history(api, ordering="-id")
    assert len(attempts) == attempts_before + 1
    assert attempts[0] == attempt(
        attempts[0]["id"],
        position["id"],
        checkin_list["id"],
        reason,
        scan.get("type", "entry"),
        at=scan.get("datetime") or attempts[0]["created"],
        created_at=attempts[0]["created"],
    )


def test_a_refused_scan_is_no_checkin_of_the_position(api, shop):
    checkin_list = make_list(api, {"name": "Shirts", "all_products": False, "limit_products": [shop["shirt"]]})
    position = buy(api, [ticket(shop)])["positions"][0]

    assert redeem(api, position["secret"], [checkin_list["id"]]).get_json()["reason"] == "product"

    assert api.get(f"{POSITIONS}{position['id']}/").get_json()["checkins"] == []
    assert api.get(POSITIONS + "?has_checkin=true").get_json() == page([])
    assert [p["id"] for p in api.get(POSITIONS + "?has_checkin=false").get_json()["results"]] == [position["id"]]
    assert api.get(f"{LISTS}{checkin_list['id']}/").get_json()["checkin_count"] == 0


def test_checkins_show_on_order_positions_and_filter_them(api, shop):
    checkin_list = make_list(api)
    order = buy(api, [ticket(shop, "Ada"), ticket(shop, "Bob")])
    ada, bob = order["positions"]
    assert redeem(api, ada["secret"], [checkin_list["id"]], datetime="2026-11-01T11:00:00Z").status_code == 201
    assert redeem(api, ada["secret"], [checkin_list["id"]], type="exit").status_code == 201

    shown_ada = {
        **ada,
        "checkins": [checkin(1, checkin_list["id"], at="2026-11-01T11:00:00Z"), checkin(2, checkin_list["id"], "exit")],
    }
    assert api.get(f"{POSITIONS}{ada['id']}/").get_json() == shown_ada
    assert api.get(POSITIONS + "?has_checkin=true").get_json()["results"] == [shown_ada]
    assert api.get(POSITIONS + "?has_checkin=false").get_json()["results"] == [bob]
    assert api.get(f"{ORDERS}{order['code']}/").get_json()["positions"] == [shown_ada, bob]


def test_a_checked_in_ticket_of_a_canceled_order_redeems_as_canceled(api, shop):
    checkin_list = make_list(api)
    order = buy(api, [ticket(shop)])
    position = order["positions"][0]
    assert redeem(api, position["secret"], [checkin_list["id"]], type="exit").status_code == 201

    assert api.post(f"{ORDERS}{order['code']}/mark_canceled/", json={}).status_code == 200
    response = redeem(api, position["secret"], [checkin_list["id"]])

    assert response.status_code == 200
    assert response.get_json() == scan_answer(api, position["id"], checkin_list, "error", reason="canceled")
    assert response.get_json()["position"]["order__status"] == "c"
    assert api.get(f"{LISTS}{checkin_list['id']}/").get_json()["position_count"] == 0


def test_a_pending_order_past_its_deadline_redeems_as_canceled(api, clock, shop):
    checkin_list = make_list(api, {"name": "Pending welcome", "include_pending": True})
    order = buy(api, [ticket(shop)], **PENDING)
    position = order["positions"][0]
    clock.advance(days=14)
    assert redeem(api, position["secret"], [checkin_list["id"]], ignore_unpaid=True).status_code == 201

    clock.advance(seconds=1)
    response = redeem(api, position["secret"], [checkin_list["id"]], type="exit", ignore_unpaid=True)

    assert response.status_code == 200
    assert response.get_json() == scan_answer(api, position["id"], checkin_list, "error", reason="canceled")
    assert response.get_json()["position"]["order__status"] == "e"


# ---------------------------------------------------------------------------------------- texts and attention

ATTENTION_CASES = [
    ("nothing", {}, {}, {}, False, []),
    ("item", {"checkin_attention": True, "checkin_text": "Hand out a badge"}, {}, {}, True, ["Hand out a badge"]),
    ("variation", {}, {"checkin_attention": True, "checkin_text": "Size S"}, {}, True, ["Size S"]),
    ("order", {}, {}, {"checkin_attention": True, "checkin_text": "VIP guest"}, True, ["VIP guest"]),
    ("text without attention", {"checkin_text": "Wristband"}, {}, {}, False, ["Wristband"]),
    (
        "all of them",
        {"checkin_text": "Item"},
        {"checkin_text": "Variation"},
        {"checkin_text": "Order"},
        False,
        ["Order", "Item", "Variation"],
    ),
]


@pytest.mark.parametrize(
    "item_fields, variation_fields, order_fields, attention, texts",
    [case[1:] for case in ATTENTION_CASES],
    ids=[case[0] for case in ATTENTION_CASES],
)
def test_checkin_texts_and_attention(api, item_fields, variation_fields, order_fields, attention, texts):
    item = created(api, ITEMS, {**TICKET, **item_fields, "variations": [{"value": {"en": "S"}, **variation_fields}]})
    created(
        api,
        f"{EVENT_URL}/quotas/",
        {"name": "All", "size": 10, "items": [item["id"]], "variations": [item["variations"][0]["id"]]},
    )
    checkin_list = make_list(api)
    order = buy(api, [{"item": item["id"], "variation": item["variations"][0]["id"]}], **order_fields)
    position = order["positions"][0]

    ok = redeem(api, position["secret"], [checkin_list["id"]])
    refused = redeem(api, position["secret"], [checkin_list["id"]])

    assert ok.status_code == 201
    assert ok.get_json() == scan_answer(api, position["id"], checkin_list, attention=attention, texts=tuple(texts))
    assert refused.status_code == 200
    assert refused.get_json() == scan_answer(
        api, position["id"], checkin_list, "error", reason="already_redeemed", attention=attention, texts=tuple(texts)
    )


# ---------------------------------------------------------------------------------------- questions

# What the questions asked at check-in share: required, asked at check-in, of the ticket.
AT_CHECKIN = {"required": True, "ask_during_checkin": True, "items": ["$ticket"]}
SIZE_OPTIONS = [
    {"answer": {"en": "S"}, "identifier": "OPT-S"},
    {"answer": {"en": "M"}, "identifier": "OPT-M", "position": 1},
]
SIZE_QUESTION = {
    **AT_CHECKIN,
    "question": {"en": "T-Shirt size"},
    "type": "C",
    "show_during_checkin": True,
    "identifier": "SIZE",
    "options": SIZE_OPTIONS,
}
DIET_OPTIONS = [{"answer": {"en": "Vegan"}, "identifier": "VEGAN"}, {"answer": {"en": "Halal"}, "identifier": "HALAL"}]
DIET_QUESTION = {**AT_CHECKIN, "question": {"en": "Diet"}, "type": "M", "identifier": "DIET", "options": DIET_OPTIONS}
PHONE_QUESTION = {**AT_CHECKIN, "question": {"en": "Phone"}, "type": "S", "identifier": "PHONE"}
NOT_ASKED = [
    {"question": {"en": "Optional"}, "type": "S", "required": False, "ask_during_checkin": True, "items": ["$ticket"]},
    {"question": {"en": "At sale"}, "type": "S", "required": True, "ask_during_checkin": False, "items": ["$ticket"]},
    {"question": {"en": "Shirts only"}, "type": "S", "required": True, "ask_during_checkin": True, "items": ["$shirt"]},
]


def test_required_checkin_questions_are_asked_before_entry(api, shop):
    size = created(api, QUESTIONS, fill(SIZE_QUESTION, shop))
    phone = created(api, QUESTIONS, fill(PHONE_QUESTION, shop))
    for question in NOT_ASKED:
        created(api, QUESTIONS, fill(question, shop))
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]

    response = redeem(api, position["secret"], [checkin_list["id"]])

    assert response.status_code == 400
    assert response.get_json() == {
        **scan_answer(api, position["id"], checkin_list, "incomplete"),
        "questions": [size, phone],
    }
    assert history(api) == []
    assert api.get(f"{POSITIONS}{position['id']}/").get_json()["checkins"] == []


def test_answers_sent_with_the_scan_are_stored_on_the_position(api, shop):
    size = created(api, QUESTIONS, fill(SIZE_QUESTION, shop))
    diet = created(api, QUESTIONS, fill(DIET_QUESTION, shop))
    phone = created(api, QUESTIONS, fill(PHONE_QUESTION, shop))
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]
    medium, vegan, halal = size["options"][1], diet["options"][0], diet["options"][1]
    answers = {
        str(size["id"]): str(medium["id"]),
        str(diet["id"]): f"{vegan['id']},{halal['id']}",
        str(phone["id"]): "+49 30 1234567",
    }

    partly = redeem(api, position["secret"], [checkin_list["id"]], answers={str(size["id"]): str(medium["id"])})
    response = redeem(api, position["secret"], [checkin_list["id"]], answers=answers)

    assert partly.status_code == 400
    assert partly.get_json()["questions"] == [diet, phone]
    assert response.status_code == 201
    stored = [
        {
            "question": size["id"],
            "answer": "M",
            "question_identifier": "SIZE",
            "options": [medium["id"]],
            "option_identifiers": ["OPT-M"],
        },
        {
            "question": diet["id"],
            "answer": "Vegan, Halal",
            "question_identifier": "DIET",
            "options": [vegan["id"], halal["id"]],
            "option_identifiers": ["VEGAN", "HALAL"],
        },
        {
            "question": phone["id"],
            "answer": "+49 30 1234567",
            "question_identifier": "PHONE",
            "options": [],
            "option_identifiers": [],
        },
    ]
    assert response.get_json() == scan_answer(api, position["id"], checkin_list)
    assert response.get_json()["position"]["answers"] == stored
    assert api.get(f"{POSITIONS}{position['id']}/").get_json()["answers"] == stored


def test_questions_answered_at_sale_are_not_asked_again(api, shop):
    phone = created(api, QUESTIONS, fill(PHONE_QUESTION, shop))
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop, answers=[{"question": phone["id"], "answer": "0123 456"}])])["positions"][0]

    response = redeem(api, position["secret"], [checkin_list["id"]])

    assert response.status_code == 201
    assert response.get_json()["position"]["answers"] == position["answers"]


@pytest.mark.parametrize(
    "scan",
    [{"questions_supported": False}, {"force": True}, {"type": "exit"}],
    ids=["questions not supported", "forced", "exit"],
)
def test_questions_are_not_asked(api, shop, scan):
    created(api, QUESTIONS, fill(SIZE_QUESTION, shop))
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]

    response = redeem(api, position["secret"], [checkin_list["id"]], **scan)

    assert response.status_code == 201
    assert response.get_json() == scan_answer(api, position["id"], checkin_list)
    assert response.get_json()["position"]["answers"] == []


def test_a_refused_ticket_is_refused_before_questions_are_asked(api, shop):
    created(api, QUESTIONS, fill(PHONE_QUESTION, shop))
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)], **PENDING)["positions"][0]

    response = redeem(api, position["secret"], [checkin_list["id"]])

    assert response.status_code == 200
    assert response.get_json() == scan_answer(api, position["id"], checkin_list, "error", reason="unpaid")


@pytest.mark.parametrize(
    "answer, errors",
    [
        ("999", {"answers": [{"options": ['Invalid pk "999" - object does not exist.']}]}),
        ("", {"answers": [{"options": ["You need to choose an option."]}]}),
        ("$S,$M", {"answers": [{"options": ["You can only choose one option."]}]}),
    ],
    ids=["unknown option", "no option", "two options for a single choice"],
)
def test_invalid_answers_are_refused(api, shop, answer, errors):
    size = created(api, QUESTIONS, fill(SIZE_QUESTION, shop))
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]
    options = {"S": size["options"][0]["id"], "M": size["options"][1]["id"]}
    text = answer.replace("$S", str(options["S"])).replace("$M", str(options["M"]))

    response = redeem(api, position["secret"], [checkin_list["id"]], answers={str(size["id"]): text})

    assert response.status_code == 400
    assert response.get_json() == errors
    assert history(api) == []
    assert api.get(f"{POSITIONS}{position['id']}/").get_json()["answers"] == []


# ---------------------------------------------------------------------------------------- nonces, idempotency


def test_the_same_nonce_twice_is_one_checkin(api, shop):
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]

    first = redeem(api, position["secret"], [checkin_list["id"]], nonce="scan-7f3a-0001")
    retry = redeem(api, position["secret"], [checkin_list["id"]], nonce="scan-7f3a-0001")
    other_nonce = redeem(api, position["secret"], [checkin_list["id"]], nonce="another")

    assert first.status_code == retry.status_code == 201
    assert first.get_json() == retry.get_json()
    assert first.get_json()["position"]["checkins"] == [checkin(1, checkin_list["id"])]
    assert other_nonce.status_code == 200
    assert other_nonce.get_json()["reason"] == "already_redeemed"
    assert history(api) == [
        attempt(1, position["id"], checkin_list["id"]),
        attempt(2, position["id"], checkin_list["id"], "already_redeemed"),
    ]


def test_an_idempotency_key_replays_the_first_answer(api, shop):
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]
    body = {"secret": position["secret"], "lists": [checkin_list["id"]]}

    first = api.post(REDEEM, json=body, headers={"X-Idempotency-Key": "scan-1"})
    replay = api.post(REDEEM, json=body, headers={"X-Idempotency-Key": "scan-1"})
    fresh = api.post(REDEEM, json=body, headers={"X-Idempotency-Key": "scan-2"})

    assert first.status_code == replay.status_code == 201
    assert replay.get_json() == first.get_json()
    assert fresh.status_code == 200
    assert fresh.get_json()["reason"] == "already_redeemed"
    assert len(history(api, successful="true")) == 1


# ---------------------------------------------------------------------------------------- invalid scans


def test_invalid_scan_requests(api, client_for, shop):
    created(api, EVENTS, OTHER_EVENT)
    checkin_list = make_list(api)
    second = make_list(api, {"name": "Second"})
    other_org = client_for("admin", "otherorg")
    created(other_org, "/api/v1/organizers/otherorg/events/", {**OTHER_EVENT, "slug": "theirs"})
    foreign = make_list(other_org, event_url="/api/v1/organizers/otherorg/events/theirs")
    position = buy(api, [ticket(shop)])["positions"][0]
    secret = position["secret"]
    cases = [
        (
            {"secret": secret, "lists": [foreign["id"]]},
            {"lists": [f'Invalid pk "{foreign["id"]}" - object does not exist.']},
        ),
        ({"secret": secret, "lists": [9999]}, {"lists": ['Invalid pk "9999" - object does not exist.']}),
        (
            {"secret": secret, "lists": [checkin_list["id"], second["id"]]},
            {"lists": ["Each check-in list of a scan must belong to another event."]},
        ),
        ({"secret": secret, "lists": []}, {"lists": ["This list may not be empty."]}),
        ({"lists": [checkin_list["id"]]}, {"secret": ["This field is required."]}),
        (
            {"secret": secret, "lists": [checkin_list["id"]], "type": "sideways"},
            {"type": ['"sideways" is not a valid choice.']},
        ),
        ({"secret": secret, "lists": [checkin_list["id"]], "force": "often"}, {"force": ["Must be a valid boolean."]}),
        ({"secret": secret, "lists": [checkin_list["id"]], "datetime": "yesterday"}, {"datetime": [BAD_DATETIME]}),
    ]

    for payload, errors in cases:
        response = api.post(REDEEM, json=payload)
        assert response.status_code == 400, payload
        assert response.get_json() == errors, payload
    assert history(api) == []


def test_a_scan_names_a_list_of_another_organizer_only_with_its_token(api, client_for):
    other_org = client_for("admin", "otherorg")
    created(other_org, "/api/v1/organizers/otherorg/events/", {**OTHER_EVENT, "slug": "theirs"})
    foreign = make_list(other_org, event_url="/api/v1/organizers/otherorg/events/theirs")

    response = api.post(
        "/api/v1/organizers/otherorg/checkinrpc/redeem/", json={"secret": "x", "lists": [foreign["id"]]}
    )

    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN


# ---------------------------------------------------------------------------------------- legacy redeem


def legacy(list_id: int, lookup: Any, query: str = "") -> str:
    return f"{LISTS}{list_id}/positions/{lookup}/redeem/{query}"


def test_legacy_redeem_by_id_and_by_secret(api, shop):
    checkin_list = make_list(api)
    order = buy(api, [ticket(shop, "Ada"), ticket(shop, "Bob")])
    ada, bob = order["positions"]

    by_id = api.post(legacy(checkin_list["id"], ada["id"]), json={})
    by_secret = api.post(legacy(checkin_list["id"], bob["secret"]), json={"nonce": "n-1"})
    again = api.post(legacy(checkin_list["id"], ada["id"]))

    assert by_id.status_code == 201
    assert by_id.get_json() == scan_answer(api, ada["id"], checkin_list)
    assert by_secret.status_code == 201
    assert by_secret.get_json() == scan_answer(api, bob["id"], checkin_list)
    assert again.status_code == 200
    assert again.get_json() == scan_answer(api, ada["id"], checkin_list, "error", reason="already_redeemed")


def test_legacy_redeem_with_untrusted_input_looks_up_secrets_only(api, shop):
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]

    by_id = api.post(legacy(checkin_list["id"], position["id"], "?untrusted_input=true"), json={})
    by_secret = api.post(legacy(checkin_list["id"], position["secret"], "?untrusted_input=true"), json={})

    assert by_id.status_code == 404
    assert by_id.get_json() == UNKNOWN_SECRET
    assert by_secret.status_code == 201
    assert by_secret.get_json() == scan_answer(api, position["id"], checkin_list)


def test_legacy_redeem_takes_the_scan_options(api, shop):
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)], **PENDING)["positions"][0]

    refused = api.post(legacy(checkin_list["id"], position["id"]), json={})
    expected_refusal = scan_answer(api, position["id"], checkin_list, "error", reason="unpaid")
    forced = api.post(
        legacy(checkin_list["id"], position["id"]),
        json={"force": True, "type": "exit", "datetime": "2026-11-01T09:00:00Z"},
    )

    assert refused.status_code == 200
    assert refused.get_json() == expected_refusal
    assert forced.status_code == 201
    assert forced.get_json()["position"]["checkins"] == [checkin(2, checkin_list["id"], "exit", "2026-11-01T09:00:00Z")]


def test_legacy_redeem_of_unknown_things_is_an_unknown_scan(api, shop):
    created(api, EVENTS, OTHER_EVENT)
    other_ids = build_shop(api, f"{EVENTS}otherconf")
    foreign = buy(api, [ticket(other_ids)], event_url=f"{EVENTS}otherconf")["positions"][0]
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]

    unknown = ("no-such-secret", 9999, foreign["id"], foreign["secret"])
    for lookup in unknown:
        response = api.post(legacy(checkin_list["id"], lookup), json={})
        assert (response.status_code, response.get_json()) == (404, UNKNOWN_SECRET), lookup
    missing_list = api.post(legacy(9999, position["id"]), json={})
    assert (missing_list.status_code, missing_list.get_json()) == (404, NOT_FOUND)
    # Kept for the door's history, as every scan the server could not place is.
    assert [(c["successful"], c["error_reason"], c["position"]) for c in history(api)] == [
        (False, "invalid", None)
    ] * len(unknown)


# ---------------------------------------------------------------------------------------- search


@pytest.fixture
def crowd(api, shop) -> dict[str, Any]:
    """Five orders: paid Ada and Bob (ticket, shirt), pending Cy, canceled Dee, pending Eve (valid if pending)."""
    ada = buy(api, [ticket(shop, "Ada Lovelace", attendee_email="ada@example.org")])
    bob = buy(
        api, [{"item": shop["shirt"], "variation": shop["M"], "attendee_name": "Bob Barker", "secret": "VIP-Bob-2026"}]
    )
    cy = buy(api, [ticket(shop, "Cy Young")], **PENDING)
    dee = buy(api, [ticket(shop, "Dee Doe")])
    assert api.post(f"{ORDERS}{dee['code']}/mark_canceled/", json={}).status_code == 200
    eve = buy(api, [ticket(shop, "Eve Example")], **PENDING, valid_if_pending=True)
    people = {
        name: order["positions"][0]["id"]
        for name, order in (("ada", ada), ("bob", bob), ("cy", cy), ("dee", dee), ("eve", eve))
    }
    return {
        "ids": people,
        "orders": {"ada": ada, "bob": bob, "cy": cy, "dee": dee, "eve": eve},
        "all": make_list(api, {"name": "All"}),
        "pending": make_list(api, {"name": "Pending", "include_pending": True}),
        "shirts": make_list(api, {"name": "Shirts", "all_products": False, "limit_products": [shop["shirt"]]}),
    }


def shown(api, *position_ids: int) -> list[dict]:
    """The positions as check-in search finds them: the position resource, with its order's state."""
    return [found(api, api.get(f"{POSITIONS}{position_id}/").get_json()) for position_id in position_ids]


def found(api, position: dict) -> dict:
    return with_order_state(position, api.get(f"{ORDERS}{position['order']}/").get_json())


SEARCHES = [
    ("all", "all", {}, ["ada", "bob", "eve"]),
    ("by name", "all", {"search": "lovelace"}, ["ada"]),
    ("by name, upper case", "all", {"search": "BARKER"}, ["bob"]),
    ("by email", "all", {"search": "ada@EXAMPLE"}, ["ada"]),
    ("by order code", "all", {"search": "$code:bob"}, ["bob"]),
    ("by secret prefix", "all", {"search": "$secret:ada"}, ["ada"]),
    ("by secret prefix, other case", "all", {"search": "vip-bob"}, ["bob"]),
    ("not by the middle of a secret", "all", {"search": "bob-2026"}, []),
    ("no match", "all", {"search": "zebra crossing"}, []),
    ("pending shown with include_pending", "pending", {}, ["ada", "bob", "cy", "eve"]),
    ("pending found with include_pending", "pending", {"search": "young"}, ["cy"]),
    ("pending hidden otherwise", "all", {"search": "young"}, []),
    ("pending shown with ignore_status", "all", {"search": "young", "ignore_status": "true"}, ["cy"]),
    # A space never occurs in an order code or a ticket secret: these needles can only match the name.
    ("canceled hidden", "all", {"search": "dee doe"}, []),
    ("canceled shown with ignore_status", "all", {"search": "dee doe", "ignore_status": "true"}, ["dee"]),
    ("everything with ignore_status", "all", {"ignore_status": "true"}, ["ada", "bob", "cy", "dee", "eve"]),
    ("products of the list only", "shirts", {}, ["bob"]),
    ("other products with ignore_status", "shirts", {"search": "lovelace", "ignore_status": "true"}, ["ada"]),
    ("by item", "all", {"item": "$ticket"}, ["ada", "eve"]),
    ("by attendee name", "all", {"attendee_name": "eve example"}, ["eve"]),
    ("by order", "all", {"order": "$code:ada"}, ["ada"]),
    ("ordered by attendee name, reversed", "all", {"ordering": "-attendee_name"}, ["eve", "bob", "ada"]),
]


def search_query(query: dict[str, str], crowd: dict[str, Any], shop: dict[str, int]) -> dict[str, str]:
    resolved = {}
    for key, value in query.items():
        if value.startswith("$code:"):
            value = crowd["orders"][value[6:]]["code"].lower()
        elif value.startswith("$secret:"):
            value = crowd["orders"][value[8:]]["positions"][0]["secret"][:5].upper()
        elif value.startswith("$"):
            value = str(shop[value[1:]])
        resolved[key] = value
    return resolved


@pytest.mark.parametrize(
    "list_name, query, expected",
    [case[1:] for case in SEARCHES],
    ids=[case[0] for case in SEARCHES],
)
def test_search_on_a_list(api, shop, crowd, list_name, query, expected):
    checkin_list = crowd[list_name]
    params = search_query(query, crowd, shop)
    results = shown(api, *(crowd["ids"][name] for name in expected))

    rpc = api.get(SEARCH, query_string={"list": checkin_list["id"], **params})
    posted = api.post(SEARCH, json={"lists": [checkin_list["id"]], **params})
    per_list = api.get(f"{LISTS}{checkin_list['id']}/positions/", query_string=params)

    assert rpc.status_code == 200
    assert rpc.get_json() == page(results)
    assert (posted.status_code, posted.get_json()) == (200, page(results))
    assert per_list.status_code == 200
    assert per_list.get_json() == page(results)


def test_search_results_show_every_checkin_of_the_position(api, shop, crowd):
    ada = crowd["orders"]["ada"]["positions"][0]
    assert redeem(api, ada["secret"], [crowd["shirts"]["id"]]).get_json()["reason"] == "product"
    assert redeem(api, ada["secret"], [crowd["all"]["id"]]).status_code == 201
    assert redeem(api, ada["secret"], [crowd["pending"]["id"]]).status_code == 201

    response = api.get(SEARCH, query_string={"list": crowd["all"]["id"], "search": "lovelace"})

    assert response.get_json()["results"] == [
        {
            **found(api, ada),
            "checkins": [checkin(2, crowd["all"]["id"]), checkin(3, crowd["pending"]["id"])],
        }
    ]


def test_search_is_paginated(api, shop, crowd):
    list_id = crowd["pending"]["id"]
    everyone = shown(api, *(crowd["ids"][name] for name in ("ada", "bob", "cy", "eve")))

    first = api.get(SEARCH, query_string={"list": list_id, "page_size": 2}).get_json()
    second = api.get(SEARCH, query_string={"list": list_id, "page_size": 2, "page": 2}).get_json()

    assert first == page(everyone[:2], 4, f"http://localhost{SEARCH}?list={list_id}&page_size=2&page=2")
    assert second == page(everyone[2:], 4, None, f"http://localhost{SEARCH}?list={list_id}&page_size=2")


def test_search_across_the_lists_of_two_events(api, shop, crowd):
    created(api, EVENTS, OTHER_EVENT)
    other_ids = build_shop(api, f"{EVENTS}otherconf")
    grace = buy(api, [ticket(other_ids, "Ada Twin")], event_url=f"{EVENTS}otherconf")["positions"][0]
    there = make_list(api, {"name": "There"}, event_url=f"{EVENTS}otherconf")

    response = api.get(f"{SEARCH}?list={crowd['all']['id']}&list={there['id']}&search=ada")

    assert response.status_code == 200
    other_position = api.get(f"{EVENTS}otherconf/orderpositions/{grace['id']}/").get_json()
    other_order = api.get(f"{EVENTS}otherconf/orders/{other_position['order']}/").get_json()
    other_shown = with_order_state(other_position, other_order)
    assert response.get_json() == page(shown(api, crowd["ids"]["ada"]) + [other_shown])


def test_search_needs_lists_of_the_organizer(api, client_for, shop):
    other_org = client_for("admin", "otherorg")
    created(other_org, "/api/v1/organizers/otherorg/events/", {**OTHER_EVENT, "slug": "theirs"})
    foreign = make_list(other_org, event_url="/api/v1/organizers/otherorg/events/theirs")
    own = make_list(api)

    for query, errors in (
        ("", {"lists": ["This list may not be empty."]}),
        (f"?list={foreign['id']}", {"lists": [f'Invalid pk "{foreign["id"]}" - object does not exist.']}),
        ("?list=abc", {"list": ["A valid integer is required."]}),
        (
            f"?list={own['id']}&list={own['id']}",
            {"lists": ["Each check-in list of a scan must belong to another event."]},
        ),
    ):
        response = api.get(SEARCH + query)
        assert response.status_code == 400, query
        assert response.get_json() == errors


# ---------------------------------------------------------------------------------------- history

T1, T2, T3, T4 = "2026-11-01T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-01T15:00:00Z", "2026-11-01T16:00:00Z"
OFFLINE = "2026-10-31T09:00:00Z"


@pytest.fixture
def logbook(api, clock, shop) -> dict[str, Any]:
    """Five attempts an hour apart: entry, refused entry, exit, wrong product (second list), forced offline scan."""
    door = make_list(api, {"name": "Door"})
    shirts = make_list(api, {"name": "Shirts", "all_products": False, "limit_products": [shop["shirt"]]})
    ada, bob = buy(api, [ticket(shop, "Ada"), ticket(shop, "Bob")])["positions"]
    scans = [
        (ada, door, {}),
        (ada, door, {}),
        (ada, door, {"type": "exit"}),
        (ada, shirts, {}),
        (bob, door, {"force": True, "datetime": OFFLINE}),
    ]
    for position, checkin_list, fields in scans:
        assert redeem(api, position["secret"], [checkin_list["id"]], **fields).status_code in (200, 201)
        clock.advance(hours=1)
    attempts = [
        attempt(1, ada["id"], door["id"]),
        attempt(2, ada["id"], door["id"], "already_redeemed", at=T1, created_at=T1),
        attempt(3, ada["id"], door["id"], kind="exit", at=T2, created_at=T2),
        attempt(4, ada["id"], shirts["id"], "product", at=T3, created_at=T3),
        attempt(5, bob["id"], door["id"], at=OFFLINE, created_at=T4),
    ]
    return {"door": door, "shirts": shirts, "attempts": attempts}


HISTORY_FILTERS = [
    ("everything", {}, [1, 2, 3, 4, 5]),
    ("successful", {"successful": "true"}, [1, 3, 5]),
    ("failed", {"successful": "false"}, [2, 4]),
    ("list", {"list": "$shirts"}, [4]),
    ("exits", {"type": "exit"}, [3]),
    ("entries", {"type": "entry"}, [1, 2, 4, 5]),
    ("error reason", {"error_reason": "product"}, [4]),
    ("happened since (inclusive)", {"datetime_since": T1}, [2, 3, 4]),
    ("happened before (exclusive)", {"datetime_before": T1}, [1, 5]),
    ("created since (inclusive)", {"created_since": T4}, [5]),
    ("created before (exclusive)", {"created_before": T1}, [1]),
    ("created in a window", {"created_since": T1, "created_before": T3}, [2, 3]),
    ("ordered by datetime", {"ordering": "datetime"}, [5, 1, 2, 3, 4]),
    ("ordered by datetime, reversed", {"ordering": "-datetime"}, [4, 3, 2, 1, 5]),
    ("ordered by id, reversed", {"ordering": "-id"}, [5, 4, 3, 2, 1]),
    ("ordered by created, reversed", {"ordering": "-created"}, [5, 4, 3, 2, 1]),
]


@pytest.mark.parametrize(
    "query, expected", [case[1:] for case in HISTORY_FILTERS], ids=[case[0] for case in HISTORY_FILTERS]
)
def test_history_filters(api, logbook, query, expected):
    params = {key: str(logbook[value[1:]]["id"]) if value.startswith("$") else value for key, value in query.items()}

    response = api.get(CHECKINS, query_string=params)

    assert response.status_code == 200
    assert response.get_json() == page([logbook["attempts"][number - 1] for number in expected])


def test_history_refuses_malformed_filters(api):
    response = api.get(CHECKINS, query_string={"successful": "maybe", "list": "x", "type": "sideways"})

    assert response.status_code == 400
    assert response.get_json() == {
        "successful": ["Must be a valid boolean."],
        "list": ["A valid integer is required."],
        "type": ['"sideways" is not a valid choice.'],
    }


# ---------------------------------------------------------------------------------------- access


def access_routes(checkin_list: dict, position: dict, order: dict) -> list[tuple[str, str, Any]]:
    list_url = f"{LISTS}{checkin_list['id']}/"
    return [
        ("GET", LISTS, None),
        ("GET", list_url, None),
        ("GET", f"{list_url}status/", None),
        ("GET", f"{list_url}positions/", None),
        ("POST", REDEEM, {"secret": position["secret"], "lists": [checkin_list["id"]]}),
        ("POST", f"{list_url}positions/{position['id']}/redeem/", {}),
        ("GET", f"{SEARCH}?list={checkin_list['id']}", None),
        ("GET", CHECKINS, None),
        ("GET", ORDERS, None),
        ("GET", f"{ORDERS}{order['code']}/", None),
        ("GET", POSITIONS, None),
        ("GET", f"{POSITIONS}{position['id']}/", None),
        ("POST", ORDERS, {**PAID, "positions": [{"item": position["item"]}]}),
        ("GET", ITEMS, None),
        ("POST", LISTS, {"name": "New"}),
        ("PATCH", list_url, {"name": "Renamed"}),
        ("PUT", list_url, {"name": "Renamed"}),
        ("DELETE", list_url, None),
    ]


# Expected status per route above, for each scope (the legacy redeem finds the ticket already in: 200).
ACCESS = {
    "checkin": [200, 200, 200, 200, 201, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403],
    "boxoffice": [403, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200, 201, 200, 403, 403, 403, 403],
    "admin": [200, 200, 200, 200, 201, 200, 200, 200, 200, 200, 200, 200, 201, 200, 201, 200, 200, 204],
}


@pytest.mark.parametrize("scope", list(ACCESS))
def test_what_each_scope_may_do(api, client_for, shop, scope):
    checkin_list = make_list(api)
    order = buy(api, [ticket(shop)])
    routes = access_routes(checkin_list, order["positions"][0], order)
    client = client_for(scope)

    got = [client.request(method, url, json=body).status_code for method, url, body in routes]

    assert got == ACCESS[scope]
    for (method, url, _), status in zip(routes, got, strict=True):
        if status == 403:
            assert client.request(method, url, json={"name": "x"}).get_json() == FORBIDDEN


def test_a_checkin_token_scans_and_finds_but_changes_nothing_else(api, client_for, shop):
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]
    scanner = client_for("checkin")

    response = redeem(scanner, position["secret"], [checkin_list["id"]])

    assert response.status_code == 201
    assert response.get_json() == scan_answer(api, position["id"], checkin_list)
    assert scanner.get(f"{POSITIONS}{position['id']}/").get_json()["checkins"] == [checkin(1, checkin_list["id"])]
    assert api.get(LISTS).get_json()["results"] == [{**checkin_list, "position_count": 1, "checkin_count": 1}]


def test_without_a_token_nothing_is_answered(api, anonymous, shop):
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]

    for method, url, body in access_routes(checkin_list, position, {"code": "ABCDE"}):
        response = anonymous.request(method, url, json=body)
        assert response.status_code == 401, url
        assert response.get_json() == UNAUTHENTICATED
    assert history(api) == []


def test_unknown_events_and_organizers_are_forbidden(api, client_for):
    checkin_list = make_list(api)
    stranger = client_for("admin", "otherorg")

    for client, url in (
        (api, f"{EVENTS}nope/checkinlists/"),
        (api, f"{EVENTS}nope/checkinlists/{checkin_list['id']}/status/"),
        (api, f"{EVENTS}nope/checkins/"),
        (api, "/api/v1/organizers/nope/checkinrpc/search/?list=1"),
        (stranger, LISTS),
        (stranger, f"{SEARCH}?list={checkin_list['id']}"),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.get_json() == FORBIDDEN
    response = stranger.post(REDEEM, json={"secret": "x", "lists": [checkin_list["id"]]})
    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN


def test_an_unknown_secret_is_kept_in_the_history_as_a_failed_attempt(api):
    entrance = make_list(api)
    response = redeem(api, "not-a-ticket", [entrance["id"]])
    assert (response.status_code, response.get_json()) == (404, UNKNOWN_SECRET)
    assert history(api) == [attempt(1, None, entrance["id"], error="invalid")]
    assert history(api, successful="false") == [attempt(1, None, entrance["id"], error="invalid")]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"secret": "x"}, {"lists": ["This field is required."]}),
        ({"lists": [1]}, {"secret": ["This field is required."]}),
        ({}, {"secret": ["This field is required."], "lists": ["This field is required."]}),
    ],
)
def test_a_scan_needs_a_secret_and_lists(api, body, errors):
    response = api.post(REDEEM, json=body)
    assert (response.status_code, response.get_json()) == (400, errors)
    assert history(api) == []


def test_answers_of_a_client_without_question_support_are_not_stored(api, shop):
    size = created(api, QUESTIONS, fill(SIZE_QUESTION, shop))
    checkin_list = make_list(api)
    position = buy(api, [ticket(shop)])["positions"][0]
    medium = next(option for option in size["options"] if option["identifier"] == "OPT-M")

    response = redeem(
        api,
        position["secret"],
        [checkin_list["id"]],
        questions_supported=False,
        answers={str(size["id"]): str(medium["id"])},
    )

    assert response.status_code == 201
    assert api.get(f"{POSITIONS}{position['id']}/").get_json()["answers"] == []


def test_a_posted_search_needs_lists(api):
    response = api.post(SEARCH, json={"search": "ada"})
    assert (response.status_code, response.get_json()) == (400, {"lists": ["This field is required."]})


def test_a_secret_found_in_two_scanned_events_is_ambiguous(api, shop, store):
    other = {"name": {"en": "Other"}, "slug": "other", "date_from": "2027-01-01T10:00:00Z"}
    assert api.post(EVENTS, json=other).status_code == 201
    other_url = f"{EVENTS}other"
    item = api.post(f"{other_url}/items/", json=TICKET).get_json()
    assert api.post(f"{other_url}/quotas/", json={"name": "Q", "size": 5, "items": [item["id"]]}).status_code == 201
    here = buy(api, [{**ticket(shop), "secret": "shared-secret"}])["positions"][0]
    there = api.post(
        f"{other_url}/orders/",
        json={
            "status": "p",
            "payment_provider": "cash",
            "positions": [{"item": item["id"], "secret": "shared-secret"}],
        },
    )
    assert there.status_code == 201
    lists = [make_list(api)["id"], make_list(api, event_url=other_url)["id"]]

    response = redeem(api, "shared-secret", lists)

    assert (response.status_code, response.get_json()) == (
        400,
        {
            "status": "error",
            "reason": "ambiguous",
            "reason_explanation": None,
            "require_attention": False,
            "checkin_texts": [],
        },
    )
    assert redeem(api, "shared-secret", lists[:1]).get_json()["position"]["id"] == here["id"]
