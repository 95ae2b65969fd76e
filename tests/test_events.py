"""Organizers and events: shapes, create/update/delete rules and the list filters."""

from __future__ import annotations

import copy
from urllib.parse import quote

import pytest

from tests.helpers import EVENT_URL, ORGANIZER, make_token, one_page
from tests.messages import FORBIDDEN

ORGANIZERS_URL = "/api/v1/organizers/"
EVENTS_URL = f"/api/v1/organizers/{ORGANIZER}/events/"
ALL_CHANNELS = ["web", "box_office", "pretixpos", "resellers"]
BAD_DATETIME = (
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


def event_out(slug: str = "sampleconf", organizer: str = ORGANIZER, detail: bool = True, **fields) -> dict:
    """The whole answer for an event created with nothing but name, slug and date_from, plus `fields`."""
    body = {
        "name": {"en": "Sample Conference"},
        "slug": slug,
        "live": False,
        "testmode": False,
        "currency": "EUR",
        "date_from": "2017-12-27T10:00:00Z",
        "date_to": None,
        "date_admission": None,
        "is_public": True,
        "presale_start": None,
        "presale_end": None,
        "location": None,
        "geo_lat": None,
        "geo_lon": None,
        "has_subevents": False,
        "meta_data": {},
        "plugins": [],
        "seating_plan": None,
        "seat_category_mapping": {},
        "timezone": "UTC",
        "item_meta_properties": {},
        "all_sales_channels": True,
        "limit_sales_channels": [],
        "sales_channels": ALL_CHANNELS,
        "public_url": f"http://localhost/{organizer}/{slug}/",
    }
    if detail:
        body["valid_keys"] = {}
    body.update(fields)
    return body


FULL_EVENT = {
    "name": {"en": "Winter Gala", "de": "Wintergala"},
    "slug": "gala-2027",
    "live": False,
    "testmode": True,
    "currency": "USD",
    "date_from": "2027-01-15T19:00:00+01:00",
    "date_to": "2027-01-15T23:30:00+01:00",
    "date_admission": "2027-01-15T18:00:00+01:00",
    "is_public": False,
    "presale_start": "2026-10-01T00:00:00Z",
    "presale_end": "2027-01-15T12:00:00Z",
    "location": {"en": "Town Hall", "de": "Rathaus"},
    "geo_lat": 52.52,
    "geo_lon": 13.405,
    "has_subevents": False,
    "meta_data": {},
    "plugins": ["pretix.plugins.stripe", "pretix.plugins.paypal", "pretix_custom.thing"],
    "seating_plan": None,
    "seat_category_mapping": {},
    "timezone": "Europe/Berlin",
    "item_meta_properties": {"day": "Friday"},
    "all_sales_channels": False,
    "limit_sales_channels": ["box_office", "web"],
}

FULL_EVENT_OUT = {
    **FULL_EVENT,
    "date_from": "2027-01-15T18:00:00Z",
    "date_to": "2027-01-15T22:30:00Z",
    "date_admission": "2027-01-15T17:00:00Z",
    "sales_channels": ["box_office", "web"],
    "public_url": "http://localhost/bigevents/gala-2027/",
    "valid_keys": {},
}


def minimal_event(slug: str, **fields) -> dict:
    return {"name": {"en": "Sample Conference"}, "slug": slug, "date_from": "2017-12-27T10:00:00Z", **fields}


def event_id(store, slug: str, organizer: str = ORGANIZER) -> int:
    with store.transaction() as tx:
        return tx.find_one("events", organizer=organizer, slug=slug)["id"]


def add_quota(api, event_url: str = EVENT_URL) -> None:
    response = api.post(f"{event_url}/quotas/", json={"name": "Everything", "size": 100})
    assert response.status_code == 201, response.get_json()


# ---------------------------------------------------------------------------------------- organizers


def test_organizer_list_shows_only_the_tokens_organizer(api, store):
    make_token(store, "otherorg")

    response = api.get(ORGANIZERS_URL)

    assert response.status_code == 200
    assert response.get_json() == one_page(
        {"name": "Bigevents", "slug": "bigevents", "public_url": "http://localhost/bigevents/", "plugins": []}
    )


def test_organizer_list_of_another_organizers_token(api, client_for):
    other = client_for("admin", organizer="otherorg")

    response = other.get(ORGANIZERS_URL)

    assert response.status_code == 200
    assert [entry["slug"] for entry in response.get_json()["results"]] == ["otherorg"]


@pytest.mark.parametrize("scope", ["admin", "boxoffice", "checkin"])
def test_organizer_detail(client_for, scope):
    response = client_for(scope).get(f"{ORGANIZERS_URL}{ORGANIZER}/")

    assert response.status_code == 200
    assert response.get_json() == {
        "name": "Bigevents",
        "slug": "bigevents",
        "public_url": "http://localhost/bigevents/",
        "plugins": [],
    }


def test_organizer_plugins_are_shown_as_stored(api, store):
    with store.transaction() as tx:
        organizer = tx.find_one("organizers", slug=ORGANIZER)
        tx.update("organizers", organizer["id"], {"plugins": ["pretix_datev"]})

    assert api.get(f"{ORGANIZERS_URL}{ORGANIZER}/").get_json()["plugins"] == ["pretix_datev"]


@pytest.mark.parametrize("organizer", ["otherorg", "doesnotexist"])
def test_organizer_detail_of_another_or_unknown_organizer_is_forbidden(api, store, organizer):
    make_token(store, "otherorg")

    response = api.get(f"{ORGANIZERS_URL}{organizer}/")

    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN


# ---------------------------------------------------------------------------------------- event shapes


def test_event_detail_has_every_documented_field(api):
    response = api.get(f"{EVENT_URL}/")

    assert response.status_code == 200
    assert response.get_json() == event_out()


def test_event_list_leaves_out_valid_keys(api):
    response = api.get(EVENTS_URL)

    assert response.status_code == 200
    assert response.get_json() == {"count": 1, "next": None, "previous": None, "results": [event_out(detail=False)]}


def test_create_event_with_every_field(api):
    response = api.post(EVENTS_URL, json=FULL_EVENT)

    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert response.get_json() == FULL_EVENT_OUT
    assert api.get(f"{EVENTS_URL}gala-2027/").get_json() == FULL_EVENT_OUT


def test_create_event_with_required_fields_only_gets_defaults(api):
    response = api.post(EVENTS_URL, json=minimal_event("minimal"))

    assert response.status_code == 201
    assert response.get_json() == event_out("minimal")


def test_create_event_requires_name_slug_and_date_from(api):
    response = api.post(EVENTS_URL, json={})

    assert response.status_code == 400
    assert response.get_json() == {
        "name": ["This field is required."],
        "slug": ["This field is required."],
        "date_from": ["This field is required."],
    }


def test_plain_string_name_is_taken_as_english(api):
    response = api.post(EVENTS_URL, json=minimal_event("plain", name="Plain Name"))

    assert response.status_code == 201
    assert response.get_json()["name"] == {"en": "Plain Name"}


@pytest.mark.parametrize(
    "plugins",
    [[], ["pretix.plugins.banktransfer"], ["b.plugin", "a.plugin", "some-thing_else"]],
)
def test_plugins_are_stored_as_given(api, plugins):
    response = api.patch(f"{EVENT_URL}/", json={"plugins": plugins})

    assert response.status_code == 200
    assert response.get_json()["plugins"] == plugins
    assert api.get(f"{EVENT_URL}/").get_json()["plugins"] == plugins


# ---------------------------------------------------------------------------------------- create rules


def test_slug_is_unique_per_organizer(api):
    response = api.post(EVENTS_URL, json=minimal_event("sampleconf", name="Again"))

    assert response.status_code == 400
    assert response.get_json() == {"slug": ["This slug has already been used for a different event."]}
    assert api.get(EVENTS_URL).get_json()["count"] == 1


def test_same_slug_in_another_organizer_is_fine(api, client_for):
    other = client_for("admin", organizer="otherorg")

    response = other.post("/api/v1/organizers/otherorg/events/", json=minimal_event("sampleconf"))

    assert response.status_code == 201
    assert response.get_json() == event_out(organizer="otherorg")
    assert api.get(f"{EVENT_URL}/").get_json() == event_out()


def test_event_cannot_be_created_live(api):
    response = api.post(EVENTS_URL, json=minimal_event("golive", live=True))

    assert response.status_code == 400
    assert response.get_json() == {
        "live": ["Events cannot be created as 'live'. Quotas must be added before sales go live."]
    }


def test_event_series_are_refused(api):
    response = api.post(EVENTS_URL, json=minimal_event("series", has_subevents=True))

    assert response.status_code == 400
    assert response.get_json() == {"has_subevents": ["Event series are not supported by this server."]}
    assert api.get(EVENTS_URL).get_json()["count"] == 1


@pytest.mark.parametrize("seating_plan", [1, 42])
def test_seating_plan_must_be_null(api, seating_plan):
    response = api.post(EVENTS_URL, json=minimal_event("seated", seating_plan=seating_plan))

    assert response.status_code == 400
    assert response.get_json() == {"seating_plan": [f'Invalid pk "{seating_plan}" - object does not exist.']}


def test_seat_category_mapping_needs_a_seating_plan(api):
    response = api.post(EVENTS_URL, json=minimal_event("seated", seat_category_mapping={"Stalls": 1}))

    assert response.status_code == 400
    assert response.get_json() == {"seat_category_mapping": ["You cannot map seat categories without a seating plan."]}


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"])
def test_real_timezones_are_accepted(api, zone):
    response = api.post(EVENTS_URL, json=minimal_event("zoned", timezone=zone))

    assert response.status_code == 201
    assert response.get_json()["timezone"] == zone


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe/Berlinn", "", "+02:00", "../../etc/passwd"])
def test_unknown_timezones_are_refused(api, zone):
    response = api.post(EVENTS_URL, json=minimal_event("zoned", timezone=zone))

    assert response.status_code == 400
    assert response.get_json() == {"timezone": [f'"{zone}" is not a valid choice.']}


@pytest.mark.parametrize(
    "date_to",
    [
        "2017-12-27T10:00:00Z",  # the same moment
        "2017-12-27T10:00:00.500000Z",  # half a second later
        "2017-12-27T11:30:00+01:00",  # later, written in another zone
        "2017-12-28T00:00:00Z",
    ],
)
def test_date_to_at_or_after_date_from_is_accepted(api, date_to):
    response = api.post(EVENTS_URL, json=minimal_event("dated", date_to=date_to))

    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    "date_to",
    [
        "2017-12-27T09:59:59Z",
        "2017-12-27T09:59:59.999999Z",
        "2017-12-27T10:30:00+01:00",  # 09:30 UTC
        "2016-01-01T00:00:00Z",
    ],
)
def test_date_to_before_date_from_is_refused(api, date_to):
    response = api.post(EVENTS_URL, json=minimal_event("dated", date_to=date_to))

    assert response.status_code == 400
    assert response.get_json() == {"date_to": ["The date to has to be after the date from."]}


def test_presale_end_before_presale_start_is_refused(api):
    response = api.post(
        EVENTS_URL,
        json=minimal_event("presale", presale_start="2017-12-01T00:00:00Z", presale_end="2017-11-30T00:00:00Z"),
    )

    assert response.status_code == 400
    assert response.get_json() == {"presale_end": ["The presale end has to be after the presale start."]}


@pytest.mark.parametrize(
    ("field", "value", "errors"),
    [
        ("slug", "with space", ["The slug may only contain letters, numbers, dots and dashes."]),
        ("slug", "-leading", ["The slug may only contain letters, numbers, dots and dashes."]),
        ("slug", "s" * 51, ["Ensure this field has no more than 50 characters."]),
        (
            "currency",
            "euro",
            ["Enter a valid ISO 4217 currency code.", "Ensure this field has no more than 3 characters."],
        ),
        ("currency", "eur", ["Enter a valid ISO 4217 currency code."]),
        ("date_from", "27.12.2017", [BAD_DATETIME]),
        ("name", {"en": ""}, ["This field may not be blank."]),
        ("live", "maybe", ["Must be a valid boolean."]),
        ("limit_sales_channels", ["telepathy"], {"0": ['"telepathy" is not a valid choice.']}),
        ("geo_lat", 91, ["Must be greater than or equal to -90 and less than or equal to 90."]),
    ],
)
def test_field_validation_on_create(api, field, value, errors):
    response = api.post(EVENTS_URL, json={**minimal_event("checked"), field: value})

    assert response.status_code == 400
    assert response.get_json() == {field: errors}


# ---------------------------------------------------------------------------------------- update rules


def test_patch_changes_only_the_fields_sent(api):
    first = api.patch(f"{EVENT_URL}/", json={"currency": "USD", "location": {"en": "Hall A"}, "is_public": False})
    assert first.status_code == 200

    response = api.patch(f"{EVENT_URL}/", json={"plugins": ["pretix.plugins.stripe"]})

    expected = event_out(currency="USD", location={"en": "Hall A"}, is_public=False, plugins=["pretix.plugins.stripe"])
    assert response.status_code == 200
    assert response.get_json() == expected
    assert api.get(f"{EVENT_URL}/").get_json() == expected


def test_put_resets_the_fields_not_sent(api):
    api.patch(f"{EVENT_URL}/", json={"currency": "USD", "location": {"en": "Hall A"}, "plugins": ["x.y"]})

    response = api.put(f"{EVENT_URL}/", json=minimal_event("sampleconf", name={"en": "Renamed"}))

    assert response.status_code == 200
    assert response.get_json() == event_out(name={"en": "Renamed"})
    assert api.get(f"{EVENT_URL}/").get_json() == event_out(name={"en": "Renamed"})


def test_put_requires_the_required_fields(api):
    response = api.put(f"{EVENT_URL}/", json={"currency": "USD"})

    assert response.status_code == 400
    assert response.get_json() == {
        "name": ["This field is required."],
        "slug": ["This field is required."],
        "date_from": ["This field is required."],
    }
    assert api.get(f"{EVENT_URL}/").get_json() == event_out()


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_slug_cannot_change(api, method):
    body = {"slug": "renamed"} if method == "PATCH" else minimal_event("renamed")

    response = api.request(method, f"{EVENT_URL}/", json=body)

    assert response.status_code == 400
    assert response.get_json() == {"slug": ["The event slug cannot be changed."]}
    assert api.get(f"{EVENT_URL}/").status_code == 200
    assert api.get(f"{EVENTS_URL}renamed/").status_code == 403


def test_sending_the_same_slug_and_has_subevents_is_fine(api):
    response = api.patch(f"{EVENT_URL}/", json={"slug": "sampleconf", "has_subevents": False})

    assert response.status_code == 200
    assert response.get_json() == event_out()


def test_has_subevents_cannot_change(api):
    response = api.patch(f"{EVENT_URL}/", json={"has_subevents": True})

    assert response.status_code == 400
    assert response.get_json() == {
        "has_subevents": [
            "Once created, an event cannot change between a series and a single event.",
            "Event series are not supported by this server.",
        ]
    }
    assert api.get(f"{EVENT_URL}/").get_json()["has_subevents"] is False


def test_going_live_needs_a_quota(api):
    response = api.patch(f"{EVENT_URL}/", json={"live": True})

    assert response.status_code == 400
    assert response.get_json() == {"live": ["You need to configure at least one quota to sell anything."]}
    assert api.get(f"{EVENT_URL}/").get_json()["live"] is False


def test_going_live_with_a_quota_and_back(api):
    add_quota(api)

    live = api.patch(f"{EVENT_URL}/", json={"live": True})
    offline = api.patch(f"{EVENT_URL}/", json={"live": False})

    assert live.status_code == 200
    assert live.get_json() == event_out(live=True)
    assert offline.status_code == 200
    assert offline.get_json() == event_out()


def test_patch_date_to_before_stored_date_from_is_refused(api):
    response = api.patch(f"{EVENT_URL}/", json={"date_to": "2017-12-26T10:00:00Z"})

    assert response.status_code == 400
    assert response.get_json() == {"date_to": ["The date to has to be after the date from."]}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"seating_plan": 3}, {"seating_plan": ['Invalid pk "3" - object does not exist.']}),
        ({"timezone": "Nowhere/Land"}, {"timezone": ['"Nowhere/Land" is not a valid choice.']}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        ({"date_from": None}, {"date_from": ["This field may not be null."]}),
    ],
)
def test_patch_validation(api, changes, errors):
    response = api.patch(f"{EVENT_URL}/", json=changes)

    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(f"{EVENT_URL}/").get_json() == event_out()


def test_sales_channels_follow_the_limit(api):
    response = api.patch(f"{EVENT_URL}/", json={"all_sales_channels": False, "limit_sales_channels": ["box_office"]})

    assert response.status_code == 200
    assert response.get_json() == event_out(
        all_sales_channels=False, limit_sales_channels=["box_office"], sales_channels=["box_office"]
    )


# ---------------------------------------------------------------------------------------- delete

CATALOG_TABLES = (
    "categories",
    "taxrules",
    "items",
    "variations",
    "addons",
    "bundles",
    "quotas",
    "questions",
    "question_options",
    "vouchers",
)


def fill_catalog(api, event_url: str) -> None:
    """Create one of everything the catalog has inside the event."""
    category = api.post(f"{event_url}/categories/", json={"name": "Extras", "is_addon": True}).get_json()
    api.post(f"{event_url}/taxrules/", json={"name": "VAT", "rate": "19.00"})
    extra = api.post(f"{event_url}/items/", json={"name": "Extra", "default_price": "3.00"}).get_json()
    item = api.post(
        f"{event_url}/items/",
        json={
            "name": "Ticket",
            "default_price": "10.00",
            "variations": [{"value": "Regular"}],
            "addons": [{"addon_category": category["id"]}],
            "bundles": [{"bundled_item": extra["id"]}],
        },
    ).get_json()
    api.post(
        f"{event_url}/quotas/",
        json={"name": "All", "size": 10, "items": [item["id"]], "variations": [item["variations"][0]["id"]]},
    )
    api.post(f"{event_url}/questions/", json={"question": "Size?", "type": "C", "options": [{"answer": "S"}]})
    api.post(f"{event_url}/vouchers/", json={"item": extra["id"]})


def catalog_counts(store, event: int) -> dict[str, int]:
    with store.transaction() as tx:
        return {table: tx.count(table, event=event) for table in CATALOG_TABLES}


def test_delete_event_removes_it_and_everything_in_it(api, store):
    fill_catalog(api, EVENT_URL)
    api.post(EVENTS_URL, json=minimal_event("keeper"))
    fill_catalog(api, f"{EVENTS_URL}keeper")
    doomed, keeper = event_id(store, "sampleconf"), event_id(store, "keeper")
    assert all(catalog_counts(store, doomed).values())

    response = api.delete(f"{EVENT_URL}/")

    assert response.status_code == 204
    assert response.data == b""
    assert api.get(f"{EVENT_URL}/").status_code == 403
    assert api.get(f"{EVENT_URL}/").get_json() == FORBIDDEN
    assert [event["slug"] for event in api.get(EVENTS_URL).get_json()["results"]] == ["keeper"]
    assert catalog_counts(store, doomed) == dict.fromkeys(CATALOG_TABLES, 0)
    assert catalog_counts(store, keeper) == {
        "categories": 1,
        "taxrules": 1,
        "items": 2,
        "variations": 1,
        "addons": 1,
        "bundles": 1,
        "quotas": 1,
        "questions": 1,
        "question_options": 1,
        "vouchers": 1,
    }


def test_deleted_slug_can_be_used_again(api):
    assert api.delete(f"{EVENT_URL}/").status_code == 204

    response = api.post(EVENTS_URL, json=minimal_event("sampleconf"))

    assert response.status_code == 201
    assert response.get_json() == event_out()


def test_event_with_orders_cannot_be_deleted(api, store):
    fill_catalog(api, EVENT_URL)
    doomed = event_id(store, "sampleconf")
    with store.transaction() as tx:
        tx.insert("orders", {"event": doomed, "code": "ABC12", "status": "n"})
    before = catalog_counts(store, doomed)

    response = api.delete(f"{EVENT_URL}/")

    assert response.status_code == 403
    assert response.get_json() == {
        "detail": "The event can not be deleted as it already contains orders. Set 'live' to false to take it offline."
    }
    assert api.get(f"{EVENT_URL}/").get_json() == event_out()
    assert catalog_counts(store, doomed) == before


def test_delete_unknown_event_is_forbidden(api):
    response = api.delete(f"{EVENTS_URL}nothere/")

    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN


# ---------------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("scope", ["boxoffice", "checkin"])
def test_only_admin_writes_events(api, client_for, scope):
    client = client_for(scope)

    attempts = [
        client.post(EVENTS_URL, json=minimal_event("sneaky")),
        client.patch(f"{EVENT_URL}/", json={"currency": "USD"}),
        client.put(f"{EVENT_URL}/", json=minimal_event("sampleconf")),
        client.delete(f"{EVENT_URL}/"),
    ]

    assert [(r.status_code, r.get_json()) for r in attempts] == [(403, FORBIDDEN)] * 4
    assert api.get(EVENTS_URL).get_json()["results"] == [event_out(detail=False)]


@pytest.mark.parametrize("scope", ["admin", "boxoffice", "checkin"])
def test_every_scope_reads_events(api, client_for, scope):
    client = client_for(scope)

    assert client.get(EVENTS_URL).get_json()["results"] == [event_out(detail=False)]
    assert client.get(f"{EVENT_URL}/").get_json() == event_out()


def test_events_of_another_organizer_are_forbidden(api, client_for):
    other = client_for("admin", organizer="otherorg")

    responses = [
        other.get(EVENTS_URL),
        other.get(f"{EVENT_URL}/"),
        other.post(EVENTS_URL, json=minimal_event("intruder")),
        other.patch(f"{EVENT_URL}/", json={"currency": "USD"}),
        other.delete(f"{EVENT_URL}/"),
    ]

    assert [(r.status_code, r.get_json()) for r in responses] == [(403, FORBIDDEN)] * 5
    assert api.get(f"{EVENT_URL}/").get_json() == event_out()


# ---------------------------------------------------------------------------------------- list filters and ordering

FILTER_EVENTS = [
    {
        "name": {"en": "Past Festival"},
        "slug": "past-fest",
        "is_public": False,
        "date_from": "2025-06-01T10:00:00Z",
        "date_to": "2025-06-03T18:00:00Z",
        "location": {"en": "Berlin"},
    },
    {
        "name": {"en": "Future Convention"},
        "slug": "future-con",
        "testmode": True,
        "date_from": "2027-02-01T09:00:00Z",
        "date_to": "2027-02-02T17:00:00Z",
        "all_sales_channels": False,
        "limit_sales_channels": ["box_office"],
    },
    {
        "name": {"en": "Meetup"},
        "slug": "today-meetup",
        "date_from": "2026-11-01T10:00:00Z",
        "date_to": "2026-11-01T14:00:00Z",
    },
    {"name": {"en": "Late Night"}, "slug": "late-night", "date_from": "2026-10-31T22:00:00Z"},
]
ALL_SLUGS = {"sampleconf", "past-fest", "future-con", "today-meetup", "late-night"}


@pytest.fixture
def many_events(api):
    """Five events around the clock's 2026-11-01T12:00Z; `today-meetup` is live and running right now."""
    for event in FILTER_EVENTS:
        response = api.post(EVENTS_URL, json=copy.deepcopy(event))
        assert response.status_code == 201, response.get_json()
    add_quota(api, f"{EVENTS_URL}today-meetup")
    assert api.patch(f"{EVENTS_URL}today-meetup/", json={"live": True}).status_code == 200
    return api


def listed(api, query: str) -> list[str]:
    response = api.get(f"{EVENTS_URL}?{query}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["count"] == len(body["results"])
    return [event["slug"] for event in body["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL_SLUGS),
        ("is_public=false", {"past-fest"}),
        ("is_public=true", ALL_SLUGS - {"past-fest"}),
        ("live=true", {"today-meetup"}),
        ("live=false", ALL_SLUGS - {"today-meetup"}),
        ("testmode=true", {"future-con"}),
        ("testmode=false", ALL_SLUGS - {"future-con"}),
        ("has_subevents=false", ALL_SLUGS),
        ("has_subevents=true", set()),
        ("is_future=true", {"future-con", "today-meetup"}),
        ("is_future=false", {"sampleconf", "past-fest", "late-night"}),
        ("is_past=true", {"sampleconf", "past-fest", "late-night"}),
        ("is_past=false", {"future-con", "today-meetup"}),
        ("date_from_after=2026-01-01T00:00:00Z", {"future-con", "today-meetup", "late-night"}),
        ("date_from_after=2027-02-01T09:00:00Z", {"future-con"}),
        ("date_from_after=" + quote("2027-02-01T10:00:00+01:00"), {"future-con"}),
        ("date_from_before=2026-01-01T00:00:00Z", {"sampleconf", "past-fest"}),
        ("date_from_before=2017-12-27T10:00:00Z", {"sampleconf"}),
        ("date_to_after=2026-01-01T00:00:00Z", {"future-con", "today-meetup"}),
        ("date_to_before=2026-01-01T00:00:00Z", {"past-fest"}),
        ("ends_after=2026-11-01T00:00:00Z", {"future-con", "today-meetup"}),
        ("ends_after=2026-10-31T00:00:00Z", {"future-con", "today-meetup", "late-night"}),
        ("search=fest", {"past-fest"}),
        ("search=berlin", {"past-fest"}),
        ("search=CONF", {"sampleconf"}),
        ("search=meetup", {"today-meetup"}),
        ("search=nothing-like-this", set()),
        ("sales_channel=box_office", ALL_SLUGS),
        ("sales_channel=web", ALL_SLUGS - {"future-con"}),
        ("is_future=true&testmode=false", {"today-meetup"}),
        ("is_past=true&is_public=true&date_from_after=2020-01-01T00:00:00Z", {"late-night"}),
    ],
)
def test_event_filters(many_events, query, expected):
    assert set(listed(many_events, query)) == expected


def test_future_and_past_follow_the_clock(many_events, clock):
    assert set(listed(many_events, "is_future=true")) == {"future-con", "today-meetup"}

    clock.advance(hours=2)  # 14:00, the meetup's last moment
    assert set(listed(many_events, "is_future=true")) == {"future-con", "today-meetup"}

    clock.advance(seconds=1)
    assert set(listed(many_events, "is_future=true")) == {"future-con"}
    assert set(listed(many_events, "is_past=true")) == {"sampleconf", "past-fest", "late-night", "today-meetup"}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("is_future=maybe", {"is_future": ["Must be a valid boolean."]}),
        ("live=2", {"live": ["Must be a valid boolean."]}),
        ("date_from_after=yesterday", {"date_from_after": [BAD_DATETIME]}),
    ],
)
def test_bad_filter_values_are_refused(many_events, query, errors):
    response = many_events.get(f"{EVENTS_URL}?{query}")

    assert response.status_code == 400
    assert response.get_json() == errors


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, ["future-con", "late-night", "past-fest", "sampleconf", "today-meetup"]),
        ("slug", ["future-con", "late-night", "past-fest", "sampleconf", "today-meetup"]),
        ("-slug", ["today-meetup", "sampleconf", "past-fest", "late-night", "future-con"]),
        ("date_from", ["sampleconf", "past-fest", "late-night", "today-meetup", "future-con"]),
        ("-date_from", ["future-con", "today-meetup", "late-night", "past-fest", "sampleconf"]),
        ("name", ["future-con", "late-night", "past-fest", "sampleconf", "today-meetup"]),  # not allowed: default
    ],
)
def test_event_ordering(many_events, ordering, expected):
    assert listed(many_events, f"ordering={ordering}" if ordering else "") == expected


def test_ordering_by_date_from_compares_moments(api):
    for slug, date_from in [("half", "2027-03-01T10:00:00.500000Z"), ("whole", "2027-03-01T10:00:00Z")]:
        assert api.post(EVENTS_URL, json=minimal_event(slug, date_from=date_from)).status_code == 201

    assert listed(api, "ordering=date_from") == ["sampleconf", "whole", "half"]
    assert listed(api, "ordering=-date_from") == ["half", "whole", "sampleconf"]
