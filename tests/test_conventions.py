"""What every endpoint shares: authentication, token scopes, pagination, error bodies, content types, idempotency."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import EVENT_URL, ORGANIZER, new_app, revoked_token
from tests.messages import EMPTY_LIST, FORBIDDEN, INVALID_PAGE, INVALID_TOKEN, NOT_FOUND, UNAUTHENTICATED

ORGANIZERS_URL = "/api/v1/organizers/"
EVENTS_URL = f"/api/v1/organizers/{ORGANIZER}/events/"
VOUCHERS_URL = f"{EVENT_URL}/vouchers/"
CATEGORIES_URL = f"{EVENT_URL}/categories/"
NEW_EVENT = {"name": "Another", "slug": "another", "date_from": "2027-01-01T10:00:00Z"}

# One readable and one writable route of each kind, as (method, url, body).
ROUTES = [
    ("GET", ORGANIZERS_URL, None),
    ("GET", f"{ORGANIZERS_URL}{ORGANIZER}/", None),
    ("GET", EVENTS_URL, None),
    ("POST", EVENTS_URL, NEW_EVENT),
    ("GET", f"{EVENT_URL}/", None),
    ("PATCH", f"{EVENT_URL}/", {"currency": "USD"}),
    ("DELETE", f"{EVENT_URL}/", None),
    ("GET", CATEGORIES_URL, None),
    ("POST", CATEGORIES_URL, {"name": "Shirts"}),
    ("GET", f"{EVENT_URL}/items/", None),
    ("GET", VOUCHERS_URL, None),
    ("POST", f"{VOUCHERS_URL}batch_create/", [{}]),
]


def route_id(route: tuple) -> str:
    return f"{route[0]} {route[1]}"


def voucher_count(api) -> int:
    return api.get(VOUCHERS_URL).get_json()["count"]


# ---------------------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_no_credentials(api, anonymous, route):
    method, url, body = route

    response = anonymous.request(method, url, json=body)

    assert response.status_code == 401
    assert response.get_json() == UNAUTHENTICATED
    assert response.headers["WWW-Authenticate"] == "Token"
    assert api.get(f"{EVENT_URL}/").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Token ",
        "Token doesnotexist",
        "Token {token} extra",
        "Token {token}x",
        "Token {revoked}",
        "Bearer {token}",
        "Device {token}",
        "Basic Ym9iOnNlY3JldA==",
        "{token}",
    ],
)
@pytest.mark.parametrize("route", ROUTES[:6], ids=route_id)
def test_invalid_credentials(api, app, store, header, route):
    method, url, body = route
    value = header.format(token=api.token, revoked=revoked_token(store))

    response = app.test_client().open(url, method=method, headers={"Authorization": value}, json=body)

    assert response.status_code == 401
    assert response.get_json() == INVALID_TOKEN
    assert response.headers["WWW-Authenticate"] == "Token"


def test_scheme_is_case_insensitive(api, app):
    response = app.test_client().get(f"{EVENT_URL}/", headers={"Authorization": f"token {api.token}"})

    assert response.status_code == 200


def test_credentials_are_checked_before_the_organizer(anonymous):
    response = anonymous.get("/api/v1/organizers/nobody/events/", headers={"Authorization": "Token nope"})

    assert response.status_code == 401
    assert response.get_json() == INVALID_TOKEN


@pytest.mark.parametrize("route", ROUTES[1:], ids=route_id)
def test_token_of_another_organizer_is_forbidden(api, client_for, route):
    method, url, body = route
    other = client_for("admin", organizer="otherorg")

    response = other.request(method, url, json=body)

    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN
    assert api.get(f"{EVENT_URL}/").get_json()["currency"] == "EUR"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/organizers/nobody/", None),
        ("GET", "/api/v1/organizers/nobody/events/", None),
        ("POST", "/api/v1/organizers/nobody/events/", NEW_EVENT),
        ("GET", f"{EVENTS_URL}nothere/", None),
        ("PATCH", f"{EVENTS_URL}nothere/", {"currency": "USD"}),
        ("DELETE", f"{EVENTS_URL}nothere/", None),
        ("GET", f"{EVENTS_URL}nothere/items/", None),
        ("POST", f"{EVENTS_URL}nothere/categories/", {"name": "Shirts"}),
        ("GET", f"{EVENTS_URL}nothere/quotas/1/", None),
        ("GET", "/api/v1/organizers/nobody/events/sampleconf/vouchers/", None),
    ],
)
def test_unknown_organizer_or_event_is_forbidden(api, method, url, body):
    response = api.request(method, url, json=body)

    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN


@pytest.mark.parametrize(
    "url",
    [f"{EVENT_URL}/items/999/", f"{EVENT_URL}/items/abc/", f"{EVENT_URL}/quotas/1/", f"{VOUCHERS_URL}0/"],
)
def test_unknown_object_in_a_known_event_is_not_found(api, url):
    response = api.get(url)

    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_tokens_are_not_stored_in_clear(app, api, client_for):
    tokens = [api.token, client_for("boxoffice").token, client_for("checkin", organizer="otherorg").token]
    api.post(CATEGORIES_URL, json={"name": "Shirts"})
    api.post(VOUCHERS_URL, json={}, headers={"X-Idempotency-Key": "k1"})

    files = [path for path in Path(app.config["DATA_DIR"]).rglob("*") if path.is_file()]

    assert files
    for path in files:
        content = path.read_bytes()
        for token in tokens:
            assert token.encode() not in content, path


# ---------------------------------------------------------------------------------------- scopes


@pytest.mark.parametrize("scope", ["admin", "boxoffice", "checkin"])
def test_every_scope_reads_organizer_and_events(api, client_for, scope):
    client = client_for(scope)

    for url in (ORGANIZERS_URL, f"{ORGANIZERS_URL}{ORGANIZER}/", EVENTS_URL, f"{EVENT_URL}/"):
        assert client.get(url).status_code == 200, url


def test_batch_create_needs_catalog_write(api, client_for):
    response = client_for("boxoffice").post(f"{VOUCHERS_URL}batch_create/", json=[{}])

    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN
    assert voucher_count(api) == 0


# ---------------------------------------------------------------------------------------- pagination


@pytest.fixture
def vouchers(api):
    """120 vouchers, ids in creation order."""
    response = api.post(f"{VOUCHERS_URL}batch_create/", json=[{"tag": f"t{n}"} for n in range(120)])
    assert response.status_code == 201, response.get_json()
    return [voucher["id"] for voucher in response.get_json()]


def split(url: str | None) -> tuple[str, dict] | None:
    """An absolute URL as (scheme://host/path, query) so that argument order does not matter."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query)


BASE = f"http://localhost{VOUCHERS_URL}"


@pytest.mark.parametrize(
    ("query", "total", "indexes", "next_url", "previous_url"),
    [
        ("", 120, range(50), (BASE, {"page": ["2"]}), None),
        ("page=1", 120, range(50), (BASE, {"page": ["2"]}), None),
        ("page=2", 120, range(50, 100), (BASE, {"page": ["3"]}), (BASE, {})),
        ("page=3", 120, range(100, 120), None, (BASE, {"page": ["2"]})),
        ("page_size=10", 120, range(10), (BASE, {"page": ["2"], "page_size": ["10"]}), None),
        (
            "page_size=10&page=2",
            120,
            range(10, 20),
            (BASE, {"page": ["3"], "page_size": ["10"]}),
            (BASE, {"page_size": ["10"]}),
        ),
        ("page_size=10&page=12", 120, range(110, 120), None, (BASE, {"page": ["11"], "page_size": ["10"]})),
        ("page_size=500", 120, range(50), (BASE, {"page": ["2"], "page_size": ["500"]}), None),
        ("tag=t7&page_size=1", 1, [7], None, None),
        (
            "ordering=-id&page=2&page_size=30",
            120,
            range(89, 59, -1),
            (BASE, {"page": ["3"], "page_size": ["30"], "ordering": ["-id"]}),
            (BASE, {"page_size": ["30"], "ordering": ["-id"]}),
        ),
    ],
)
def test_pages(api, vouchers, query, total, indexes, next_url, previous_url):
    response = api.get(f"{VOUCHERS_URL}?{query}")

    body = response.get_json()
    assert response.status_code == 200
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == total
    assert [voucher["id"] for voucher in body["results"]] == [vouchers[index] for index in indexes]
    assert split(body["next"]) == next_url
    assert split(body["previous"]) == previous_url


def test_following_next_walks_every_object_once(api, vouchers):
    seen, url = [], f"{VOUCHERS_URL}?page_size=7"
    while url:
        body = api.get(url).get_json()
        seen += [voucher["id"] for voucher in body["results"]]
        url = body["next"]

    assert seen == vouchers


def test_event_list_is_paginated_too(api):
    for n in range(3):
        api.post(EVENTS_URL, json={**NEW_EVENT, "slug": f"e{n}"})

    body = api.get(f"{EVENTS_URL}?page_size=2&page=2").get_json()

    assert body["count"] == 4
    assert [event["slug"] for event in body["results"]] == ["e2", "sampleconf"]
    assert body["next"] is None
    assert body["previous"] == f"http://localhost{EVENTS_URL}?page_size=2"


def test_empty_list_has_one_empty_page(api):
    response = api.get(VOUCHERS_URL)

    assert response.status_code == 200
    assert response.get_json() == EMPTY_LIST


@pytest.mark.parametrize(("query", "has_vouchers"), [("page=4", True), ("page=2", False), ("page=99999", True)])
def test_page_past_the_end_is_not_found(api, request, query, has_vouchers):
    if has_vouchers:
        request.getfixturevalue("vouchers")

    response = api.get(f"{VOUCHERS_URL}?{query}")

    assert response.status_code == 404
    assert response.get_json() == INVALID_PAGE


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "page=1.5", "page=99999999999999999999999"])
@pytest.mark.parametrize("url", [VOUCHERS_URL, EVENTS_URL, ORGANIZERS_URL])
def test_a_page_that_is_not_a_positive_number_is_not_found(api, url, query):
    response = api.get(f"{url}?{query}")

    assert (response.status_code, response.get_json()) == (404, INVALID_PAGE)


@pytest.mark.parametrize("query", ["page_size=0", "page_size=many", "page_size=-3", "page_size="])
def test_a_bad_page_size_is_ignored(api, vouchers, query):
    response = api.get(f"{VOUCHERS_URL}?{query}")

    assert response.status_code == 200
    assert len(response.get_json()["results"]) == 50


# ---------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/nothing/",
        "/api/v2/organizers/",
        f"{EVENT_URL}/unknown/",
        f"{EVENT_URL}/items/1/unknown/",
        f"{EVENT_URL}/quotas/1/availability/extra/",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_route(api, url, method):
    response = api.request(method, url, json={})

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("DELETE", ORGANIZERS_URL, {"GET", "HEAD", "OPTIONS"}),
        ("POST", ORGANIZERS_URL, {"GET", "HEAD", "OPTIONS"}),
        ("PUT", f"{ORGANIZERS_URL}{ORGANIZER}/", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", EVENTS_URL, {"GET", "HEAD", "POST", "OPTIONS"}),
        ("POST", f"{EVENT_URL}/", {"GET", "HEAD", "PATCH", "PUT", "DELETE", "OPTIONS"}),
        ("PATCH", CATEGORIES_URL, {"GET", "HEAD", "POST", "OPTIONS"}),
        ("PUT", VOUCHERS_URL, {"GET", "HEAD", "POST", "OPTIONS"}),
        ("DELETE", f"{EVENT_URL}/quotas/1/availability/", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_method_not_allowed(api, method, url, allowed):
    response = api.request(method, url, json={})

    assert response.status_code == 405
    assert response.get_json() == {"detail": f'Method "{method}" not allowed.'}
    assert set(response.headers["Allow"].split(", ")) == allowed


@pytest.mark.parametrize(
    "raw",
    [b"{", b"{'name': 'x'}", b'{"name": "x",}', b"[1,]", b'{"name": "x"} trailing', b"\xff\xfe{}", b"nul"],
)
@pytest.mark.parametrize(("method", "url"), [("POST", CATEGORIES_URL), ("PATCH", f"{EVENT_URL}/")])
def test_invalid_json(api, method, url, raw):
    response = api.request(method, url, data=raw, content_type="application/json")

    body = response.get_json()
    assert response.status_code == 400
    assert list(body) == ["detail"]
    assert body["detail"].startswith("JSON parse error - ")
    assert api.get(CATEGORIES_URL).get_json()["count"] == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(api, literal):
    raw = f'{{"name": "VAT", "rate": {literal}}}'

    response = api.post(f"{EVENT_URL}/taxrules/", data=raw, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json() == {"detail": f"JSON parse error - {literal} is not valid JSON"}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "text/html; charset=utf-8"],
)
def test_unsupported_media_type(api, content_type):
    response = api.post(CATEGORIES_URL, data='{"name": "Shirts"}', content_type=content_type)

    assert response.status_code == 400
    assert response.get_json() == {"detail": f'Unsupported media type "{content_type}" in request.'}
    assert api.get(CATEGORIES_URL).get_json()["count"] == 0


def test_body_without_content_type_is_unsupported(api):
    response = api.post(CATEGORIES_URL, data='{"name": "Shirts"}')

    assert response.status_code == 400
    assert response.get_json() == {"detail": 'Unsupported media type "" in request.'}


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "text/javascript"])
def test_json_content_types_are_accepted(api, content_type):
    response = api.post(CATEGORIES_URL, data='{"name": "Shirts"}', content_type=content_type)

    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert response.get_json()["name"] == {"en": "Shirts"}


def test_empty_body_counts_as_empty_object(api):
    created = api.post(CATEGORIES_URL, data=b"", content_type="application/json")
    patched = api.patch(f"{EVENT_URL}/", data=b"", content_type="text/plain")

    assert created.status_code == 400
    assert created.get_json() == {"name": ["This field is required."]}
    assert patched.status_code == 200


def test_body_over_the_limit_is_too_large(api, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    raw = json.dumps({"name": "Shirts", "internal_name": "x" * limit})

    response = api.post(CATEGORIES_URL, data=raw, content_type="application/json")

    assert response.status_code == 413
    assert response.mimetype == "application/json"
    assert response.get_json() == {"detail": "Request body too large."}
    assert api.get(CATEGORIES_URL).get_json()["count"] == 0


def test_body_at_the_limit_is_read(api, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    padding = limit - len(json.dumps({"name": "Shirts", "internal_name": ""}))
    raw = json.dumps({"name": "Shirts", "internal_name": "x" * padding})
    assert len(raw) == limit

    response = api.post(CATEGORIES_URL, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json() == {"internal_name": ["Ensure this field has no more than 255 characters."]}


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("[]", "list"), ('[{"name": "Shirts"}]', "list"), ("42", "int"), ('"Shirts"', "str"), ("true", "bool")],
)
@pytest.mark.parametrize(
    ("method", "url"),
    [("POST", CATEGORIES_URL), ("POST", EVENTS_URL), ("PATCH", f"{EVENT_URL}/"), ("PUT", f"{EVENT_URL}/")],
)
def test_non_object_body_where_an_object_is_expected(api, method, url, raw, kind):
    response = api.request(method, url, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}


def test_object_where_a_list_is_expected(api):
    response = api.post(f"{VOUCHERS_URL}batch_create/", json={"code": "ABCDEF"})

    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": ['Expected a list of items but got type "dict".']}


def test_unknown_fields_are_ignored(api):
    response = api.post(CATEGORIES_URL, json={"name": "Shirts", "colour": "red", "id": 999})

    assert response.status_code == 201
    assert "colour" not in response.get_json()
    assert response.get_json()["id"] != 999


# ---------------------------------------------------------------------------------------- idempotency


def key(value: str = "5c7d2d0a-1c1e-4b8a-9d5e-0f6b3f0c2a11") -> dict[str, str]:
    return {"X-Idempotency-Key": value}


def test_repeated_create_is_answered_not_redone(api):
    first = api.post(VOUCHERS_URL, json={"tag": "once"}, headers=key())
    second = api.post(VOUCHERS_URL, json={"tag": "once"}, headers=key())

    assert first.status_code == second.status_code == 201
    assert second.data == first.data
    assert second.mimetype == "application/json"
    assert api.get(VOUCHERS_URL).get_json()["results"] == [first.get_json()]


def test_replay_ignores_a_changed_body(api):
    first = api.post(VOUCHERS_URL, json={"tag": "first"}, headers=key())
    second = api.post(VOUCHERS_URL, json={"tag": "second"}, headers=key())

    assert second.data == first.data
    assert [voucher["tag"] for voucher in api.get(VOUCHERS_URL).get_json()["results"]] == ["first"]


def test_error_responses_are_replayed(api):
    first = api.post(VOUCHERS_URL, json={"max_usages": "lots"}, headers=key())
    second = api.post(VOUCHERS_URL, json={"max_usages": 2}, headers=key())

    assert first.status_code == second.status_code == 400
    assert first.get_json() == second.get_json() == {"max_usages": ["A valid integer is required."]}
    assert voucher_count(api) == 0


def test_a_403_is_replayed_even_with_the_same_token(api, client_for):
    box = client_for("boxoffice")

    first = box.post(VOUCHERS_URL, json={}, headers=key())
    second = box.post(VOUCHERS_URL, json={}, headers=key())

    assert (first.status_code, second.status_code) == (403, 403)
    assert second.get_json() == FORBIDDEN


def test_another_authorization_is_a_separate_request(api, client_for):
    colleague = client_for("admin")

    first = api.post(VOUCHERS_URL, json={}, headers=key())
    second = colleague.post(VOUCHERS_URL, json={}, headers=key())

    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] != second.get_json()["id"]
    assert voucher_count(api) == 2


def test_different_keys_are_different_requests(api):
    api.post(VOUCHERS_URL, json={}, headers=key("a"))
    api.post(VOUCHERS_URL, json={}, headers=key("b"))

    assert voucher_count(api) == 2


def test_key_is_ignored_on_get(api):
    before = api.get(VOUCHERS_URL, headers=key())
    api.post(VOUCHERS_URL, json={}, headers=key("another"))

    after = api.get(VOUCHERS_URL, headers=key())

    assert before.get_json()["count"] == 0
    assert after.get_json()["count"] == 1


def test_key_is_kept_for_24_hours(api, clock):
    first = api.post(VOUCHERS_URL, json={}, headers=key())

    clock.advance(hours=23, minutes=59)
    replayed = api.post(VOUCHERS_URL, json={}, headers=key())
    clock.advance(hours=1, minutes=2)  # 25 h after the first request
    redone = api.post(VOUCHERS_URL, json={}, headers=key())

    assert replayed.data == first.data
    assert redone.status_code == 201
    assert redone.get_json()["id"] != first.get_json()["id"]
    assert voucher_count(api) == 2


def test_replayed_delete(api):
    voucher = api.post(VOUCHERS_URL, json={}).get_json()

    first = api.delete(f"{VOUCHERS_URL}{voucher['id']}/", headers=key())
    second = api.delete(f"{VOUCHERS_URL}{voucher['id']}/", headers=key())
    fresh = api.delete(f"{VOUCHERS_URL}{voucher['id']}/", headers=key("fresh"))

    assert (first.status_code, second.status_code, fresh.status_code) == (204, 204, 404)
    assert second.data == b""


def test_replayed_patch_keeps_the_first_answer(api):
    first = api.patch(f"{EVENT_URL}/", json={"currency": "USD"}, headers=key())
    api.patch(f"{EVENT_URL}/", json={"currency": "GBP"})

    second = api.patch(f"{EVENT_URL}/", json={"currency": "USD"}, headers=key())

    assert second.data == first.data
    assert api.get(f"{EVENT_URL}/").get_json()["currency"] == "GBP"


@pytest.mark.parametrize("headers", [{}, key()], ids=["without key", "with key"])
def test_failed_write_leaves_nothing_behind(api, headers):
    taken = api.post(VOUCHERS_URL, json={"code": "TAKEN1"}).get_json()

    response = api.post(
        f"{VOUCHERS_URL}batch_create/",
        json=[{"code": "FRESH1"}, {"code": "FRESH2"}, {"code": "TAKEN1"}],
        headers=headers,
    )

    assert response.status_code == 400
    assert response.get_json() == [{}, {}, {"code": ["A voucher with this code already exists."]}]
    assert api.get(VOUCHERS_URL).get_json()["results"] == [taken]


def test_failed_write_with_key_is_not_redone_after_fixing_the_cause(api):
    taken = api.post(VOUCHERS_URL, json={"code": "TAKEN1"}).get_json()
    body = [{"code": "FRESH1"}, {"code": "TAKEN1"}]
    first = api.post(f"{VOUCHERS_URL}batch_create/", json=body, headers=key())
    api.delete(f"{VOUCHERS_URL}{taken['id']}/")

    second = api.post(f"{VOUCHERS_URL}batch_create/", json=body, headers=key())
    third = api.post(f"{VOUCHERS_URL}batch_create/", json=body, headers=key("new"))

    assert (first.status_code, second.status_code, third.status_code) == (400, 400, 201)
    assert second.data == first.data
    assert sorted(voucher["code"] for voucher in api.get(VOUCHERS_URL).get_json()["results"]) == ["FRESH1", "TAKEN1"]


def test_replay_works_across_processes(api, app):
    """A second app on the same data directory answers from what the first stored."""
    first = api.post(VOUCHERS_URL, json={}, headers=key())
    twin = new_app(app.config["DATA_DIR"], app.config["CLOCK"])

    second = twin.test_client().post(VOUCHERS_URL, json={}, headers={"Authorization": f"Token {api.token}", **key()})

    assert second.data == first.data
    assert voucher_count(api) == 1


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [40, 600, 900])
def test_absurdly_deep_json_is_refused(api, depth):
    raw = json.dumps({"name": "VAT", "rate": "19.00", "custom_rules": [nested(depth)]})

    response = api.post(f"{EVENT_URL}/taxrules/", data=raw, content_type="application/json")

    body = response.get_json()
    assert response.status_code == 400
    assert list(body) == ["detail"]
    assert body["detail"].startswith("JSON parse error - ")
    assert api.get(f"{EVENT_URL}/taxrules/").get_json()["count"] == 0


def test_reasonably_nested_json_is_kept(api):
    rules = [nested(10)]

    response = api.post(f"{EVENT_URL}/taxrules/", json={"name": "VAT", "rate": "19.00", "custom_rules": rules})

    assert response.status_code == 201
    assert response.get_json()["custom_rules"] == rules


@pytest.mark.parametrize("raw", ['{"name": "\\ud800"}', '{"name": {"\\udc00": "x"}}', '{"name": "ok\\udfff"}'])
def test_lone_surrogates_are_refused(api, raw):
    response = api.post(CATEGORIES_URL, data=raw, content_type="application/json")

    body = response.get_json()
    assert response.status_code == 400
    assert list(body) == ["detail"]
    assert body["detail"].startswith("JSON parse error - ")
    assert api.get(CATEGORIES_URL).get_json()["count"] == 0


def test_escaped_non_ascii_text_is_kept(api):
    response = api.post(CATEGORIES_URL, data='{"name": "Caf\\u00e9 \\ud83c\\udf89"}', content_type="application/json")

    assert response.status_code == 201
    assert response.get_json()["name"] == {"en": "Café 🎉"}
