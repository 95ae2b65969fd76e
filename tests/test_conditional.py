"""Conditional fetching of the catalog lists: Last-Modified, and 304 for If-Modified-Since when nothing changed."""

from __future__ import annotations

import pytest

from tests.helpers import EVENT_URL, ORGANIZER

LISTS = ["categories", "items", "questions", "quotas", "taxrules"]
START = "Sun, 01 Nov 2026 12:00:00 GMT"  # the conftest clock, when the fixture created the event


def get(api, name: str, since: str | None = None, query: str = ""):
    headers = {"If-Modified-Since": since} if since else {}
    return api.get(f"{EVENT_URL}/{name}/{query}", headers=headers)


@pytest.mark.parametrize("name", LISTS)
def test_an_unchanged_list_answers_304_with_no_body(api, name):
    first = get(api, name)
    assert (first.status_code, first.headers["Last-Modified"]) == (200, START)
    again = get(api, name, since=first.headers["Last-Modified"])
    assert (again.status_code, again.data) == (304, b"")
    assert get(api, name, since="Sun, 01 Nov 2026 11:59:59 GMT").status_code == 200


@pytest.mark.parametrize("name", LISTS)
def test_any_catalog_change_makes_every_list_new_again(api, clock, name):
    since = get(api, name).headers["Last-Modified"]
    clock.advance(minutes=5)
    assert api.post(f"{EVENT_URL}/taxrules/", json={"name": "VAT", "rate": "7.00"}).status_code == 201
    changed = get(api, name, since=since)
    assert (changed.status_code, changed.headers["Last-Modified"]) == (200, "Sun, 01 Nov 2026 12:05:00 GMT")
    assert get(api, name, since=changed.headers["Last-Modified"]).status_code == 304


def test_two_changes_within_one_second_never_share_a_304(api, clock):
    clock.advance(seconds=10, microseconds=300000)  # 12:00:10.3
    assert api.post(f"{EVENT_URL}/categories/", json={"name": "First"}).status_code == 201
    clock.advance(microseconds=200000)  # 12:00:10.5: that second is not over, so its date cannot be promised yet
    seen = get(api, "categories")
    assert (seen.status_code, seen.headers["Last-Modified"]) == (200, "Sun, 01 Nov 2026 12:00:10 GMT")
    clock.advance(microseconds=300000)  # 12:00:10.8
    assert api.post(f"{EVENT_URL}/categories/", json={"name": "Second"}).status_code == 201
    clock.advance(seconds=1)
    later = get(api, "categories", since=seen.headers["Last-Modified"])
    assert later.status_code == 200
    assert [c["name"]["en"] for c in later.get_json()["results"]] == ["First", "Second"]
    assert later.headers["Last-Modified"] == "Sun, 01 Nov 2026 12:00:11 GMT"
    assert get(api, "categories", since=later.headers["Last-Modified"]).status_code == 304


def test_deletions_and_cascades_count_as_changes(api, clock):
    item = api.post(f"{EVENT_URL}/items/", json={"name": "Ticket", "default_price": "10.00"}).get_json()
    assert api.post(f"{EVENT_URL}/quotas/", json={"name": "Q", "size": 5, "items": [item["id"]]}).status_code == 201
    clock.advance(seconds=5)
    since = get(api, "quotas").headers["Last-Modified"]
    clock.advance(seconds=5)
    assert api.delete(f"{EVENT_URL}/items/{item['id']}/").status_code == 204
    answer = get(api, "quotas", since=since)
    assert (answer.status_code, answer.get_json()["results"][0]["items"]) == (200, [])


def test_availability_changes_with_sales_so_it_is_never_conditional(api):
    response = get(api, "quotas", query="?with_availability=true")
    assert response.status_code == 200 and "Last-Modified" not in response.headers
    assert get(api, "quotas", since=START, query="?with_availability=true").status_code == 200


def test_changes_in_another_event_and_sales_leave_the_catalog_unchanged(api, clock):
    other = {"name": "Other", "slug": "other", "date_from": "2027-01-01T10:00:00Z"}
    assert api.post(f"/api/v1/organizers/{ORGANIZER}/events/", json=other).status_code == 201
    clock.advance(seconds=5)
    assert api.post(f"/api/v1/organizers/{ORGANIZER}/events/other/categories/", json={"name": "X"}).status_code == 201
    assert get(api, "categories", since=START).status_code == 304


@pytest.mark.parametrize("header", ["yesterday", "", "Sun, 01 Nov 2026 25:00:00 GMT"])
def test_an_unreadable_date_is_ignored(api, header):
    response = api.get(f"{EVENT_URL}/items/", headers={"If-Modified-Since": header})
    assert response.status_code == 200
