"""The door screen: choosing a list and mode, scanning (each result in words with its icon), nonces that
make a form sent twice count once, the counts, and what a scan may not reach."""

from __future__ import annotations

import re

import pytest

from tests.helpers import EVENT_URL, created, make_token
from tests.ui_pages import form_field, result_of, sign_in

LISTS = f"{EVENT_URL}/checkinlists/"
CHECKINS = f"{EVENT_URL}/checkins/"


@pytest.fixture
def shop(api) -> dict:
    """Berlin time, a ticket (with a parking add-on), a shirt in sizes, one check-in list, and paid orders."""
    assert api.patch(f"{EVENT_URL}/", json={"timezone": "Europe/Berlin"}).status_code == 200
    ids = {}
    ids["ticket"] = created(api, f"{EVENT_URL}/items/", {"name": {"en": "Ticket"}, "default_price": "23.00"})["id"]
    shirt = created(
        api,
        f"{EVENT_URL}/items/",
        {"name": {"en": "Shirt"}, "default_price": "15.00", "variations": [{"value": {"en": "M"}}]},
    )
    ids["shirt"], ids["M"] = shirt["id"], shirt["variations"][0]["id"]
    ids["parking"] = created(api, f"{EVENT_URL}/items/", {"name": {"en": "Parking"}, "default_price": "8.00"})["id"]
    created(
        api,
        f"{EVENT_URL}/quotas/",
        {"name": "All", "size": 100, "items": list(ids.values())[:2] + [ids["parking"]], "variations": [ids["M"]]},
    )
    ids["list"] = created(api, LISTS, {"name": "Entrance"})["id"]
    return ids


def order(api, positions: list[dict], status: str = "p") -> dict:
    payload = {"status": status, "positions": positions}
    if status == "p":
        payload["payment_provider"] = "cash"
    return created(api, f"{EVENT_URL}/orders/", payload)


@pytest.fixture
def secret(api, shop) -> str:
    """A paid ticket of Ada Lovelace with a parking add-on."""
    body = order(
        api,
        [
            {"positionid": 1, "item": shop["ticket"], "attendee_name": "Ada Lovelace"},
            {"positionid": 2, "item": shop["parking"], "addon_to": 1},
        ],
    )
    return body["positions"][0]["secret"]


@pytest.fixture
def door(app, store, shop):
    """A browser signed in with a check-in token, at the entry of the list."""
    browser = app.test_client()
    sign_in(browser, make_token(store, scope="checkin"))
    return browser


def entry_url(shop: dict, mode: str = "entry") -> str:
    return f"/door/{shop['list']}/{mode}/"


def scan(browser, url: str, code: str, nonce: str | None = None, headers: dict[str, str] | None = None):
    page = browser.get(url)
    data = {"csrf_token": form_field(page, "csrf_token"), "nonce": nonce or form_field(page, "nonce"), "code": code}
    return browser.post(url, data=data, headers=headers or {})


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_one_list_goes_straight_to_entry_scanning(door, shop):
    response = door.get("/door/")
    assert (response.status_code, response.headers["Location"]) == (302, entry_url(shop))
    page = door.get(entry_url(shop))
    text = text_of(page)
    assert page.status_code == 200
    assert 'id="scan"' in text and "autofocus" in text
    assert result_of(page) == "idle"
    assert "Change list" not in text


def test_several_lists_are_offered_with_entry_and_exit(door, api, shop):
    second = created(api, LISTS, {"name": "Backstage"})["id"]
    page = door.get("/door/")
    text = text_of(page)
    assert page.status_code == 200
    assert "Entrance" in text and "Backstage" in text
    assert f'href="/door/{second}/exit/"' in text and f'href="/door/{shop["list"]}/entry/"' in text
    assert "Change list" in text_of(door.get(entry_url(shop)))


def test_no_list_says_so(app, store, api):
    browser = app.test_client()
    sign_in(browser, make_token(store, scope="checkin"))
    assert "No event has a check-in list yet" in text_of(browser.get("/door/"))


def test_paid_ticket_is_valid_then_already_redeemed_with_the_time(door, shop, secret, clock):
    first = scan(door, entry_url(shop), secret)
    text = text_of(first)
    assert (first.status_code, result_of(first)) == (200, "ok")
    assert "✓" in text and "Valid" in text and "Ada Lovelace" in text
    assert "Ticket" in text and "+ Parking" in text
    clock.advance(minutes=5)
    again = scan(door, entry_url(shop), secret)
    text = text_of(again)
    assert result_of(again) == "refused"
    assert "✕" in text and "Already checked in" in text
    # 12:00 UTC is 13:00 in Berlin, on the event's list.
    assert "Checked in at 13:00 on Sun 1 Nov 2026 (Europe/Berlin), list “Entrance”." in text


def test_unknown_code(door, shop):
    response = scan(door, entry_url(shop), "nosuchticket")
    assert result_of(response) == "unknown"
    assert "Unknown ticket" in text_of(response) and "“nosuchticket”" in text_of(response)


def test_the_same_nonce_twice_counts_one_checkin(door, api, shop, secret):
    nonce = form_field(door.get(entry_url(shop)), "nonce")
    first = scan(door, entry_url(shop), secret, nonce=nonce)
    twice = scan(door, entry_url(shop), secret, nonce=nonce)
    assert (result_of(first), result_of(twice)) == ("ok", "ok")
    history = api.get(f"{CHECKINS}?successful=true").get_json()
    assert history["count"] == 1
    assert history["results"][0]["list"] == shop["list"]
    assert history["results"][0]["device"] is None


def test_every_page_carries_a_new_nonce(door, shop, secret):
    first = door.get(entry_url(shop))
    second = scan(door, entry_url(shop), secret)
    assert form_field(first, "nonce") != form_field(second, "nonce")


def test_counts_follow_entry_and_exit(door, shop, secret):
    def counts(response) -> tuple[str, ...]:
        text = response.get_data(as_text=True)
        return tuple(
            re.search(rf'id="count-{name}">(\d+)<', text).group(1)  # type: ignore[union-attr]
            for name in ("inside", "checked-in", "expected")
        )

    assert counts(door.get(entry_url(shop))) == ("0", "0", "2")
    assert counts(scan(door, entry_url(shop), secret)) == ("1", "1", "2")
    out = scan(door, entry_url(shop, "exit"), secret)
    assert result_of(out) == "ok" and "Exit recorded." in text_of(out)
    assert counts(out) == ("0", "1", "2")


def test_the_script_s_scan_is_answered_without_waiting_for_the_counts(door, shop, secret):
    answered = scan(door, entry_url(shop), secret, headers={"X-Door-Answer-Only": "1"})

    assert result_of(answered) == "ok"
    assert 'id="counts"' not in answered.get_data(as_text=True)
    assert 'id="count-checked-in">1<' in door.get(entry_url(shop)).get_data(as_text=True)


def test_variation_is_shown_with_its_product(door, api, shop):
    body = order(api, [{"item": shop["shirt"], "variation": shop["M"], "attendee_name": "Grace Hopper"}])
    response = scan(door, entry_url(shop), body["positions"][0]["secret"])
    assert result_of(response) == "ok"
    assert "Shirt – M" in text_of(response) and "Grace Hopper" in text_of(response)


def test_unpaid_and_canceled_are_refused_in_words(door, api, shop):
    pending = order(api, [{"item": shop["ticket"]}], status="n")
    response = scan(door, entry_url(shop), pending["positions"][0]["secret"])
    assert result_of(response) == "refused" and "Not paid" in text_of(response)
    assert api.post(f"{EVENT_URL}/orders/{pending['code']}/mark_canceled/").status_code == 200
    response = scan(door, entry_url(shop), pending["positions"][0]["secret"])
    assert result_of(response) == "refused" and "Canceled" in text_of(response)


def test_required_question_makes_the_scan_incomplete(door, api, shop, secret):
    created(
        api,
        f"{EVENT_URL}/questions/",
        {
            "question": {"en": "Shoe size"},
            "type": "N",
            "required": True,
            "ask_during_checkin": True,
            "items": [shop["ticket"]],
        },
    )
    response = scan(door, entry_url(shop), secret)
    assert result_of(response) == "incomplete"
    assert "Questions unanswered" in text_of(response) and "Shoe size" in text_of(response)
    assert api.get(f"{CHECKINS}?successful=true").get_json()["count"] == 0


def test_empty_code_scans_nothing(door, api, shop):
    response = scan(door, entry_url(shop), "   ")
    assert (response.status_code, result_of(response)) == (200, "idle")
    assert api.get(CHECKINS).get_json()["count"] == 0


def test_scan_without_csrf_token_is_refused(door, api, shop, secret):
    nonce = form_field(door.get(entry_url(shop)), "nonce")
    response = door.post(entry_url(shop), data={"code": secret, "nonce": nonce})
    assert response.status_code == 400
    assert api.get(CHECKINS).get_json()["count"] == 0


def test_list_of_another_organizer_is_not_found(app, store, shop):
    browser = app.test_client()
    sign_in(browser, make_token(store, organizer="other", scope="checkin"))
    response = browser.get(entry_url(shop))
    assert response.status_code == 404 and "There is no such check-in list." in text_of(response)
    assert browser.get(f"/door/{shop['list']}/sideways/").status_code == 404


def test_boxoffice_token_cannot_scan(app, store, shop, secret, api):
    browser = app.test_client()
    sign_in(browser, make_token(store, scope="boxoffice"))
    page = browser.get("/")
    response = browser.post(
        entry_url(shop), data={"csrf_token": form_field(page, "csrf_token"), "code": secret, "nonce": "n1"}
    )
    assert response.status_code == 403
    assert api.get(CHECKINS).get_json()["count"] == 0


def test_scan_from_a_browser_without_a_session_is_refused(app, shop):
    response = app.test_client().post(entry_url(shop), data={"code": "x"})
    # The CSRF check comes first: a browser without a session has no form token either.
    assert response.status_code == 400


def test_a_failure_inside_a_screen_is_a_500_page(door, shop, secret, monkeypatch):
    from kiosk_tickets.services import checkin

    def broken(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(checkin, "redeem", broken)
    response = scan(door, entry_url(shop), secret)
    assert response.status_code == 500
    assert "Something went wrong" in text_of(response)

