"""The screens' sign-in: tokens into sessions (the token's id only), revocation and expiry, scopes, CSRF,
and HTML error pages outside the API."""

from __future__ import annotations

import pytest

from tests.helpers import ORGANIZER, make_token, revoke
from tests.ui_pages import form_field, sign_in


@pytest.fixture
def browser(app):
    return app.test_client()


def session_of(app, browser) -> dict:
    cookie = browser.get_cookie("session")
    assert cookie is not None
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def test_sign_in_page_has_one_focused_token_field(browser):
    page = browser.get("/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="token"' in text and "autofocus" in text
    assert form_field(page, "csrf_token")


def test_good_token_signs_in_and_the_session_keeps_only_its_id(app, browser, store):
    token = make_token(store, scope="checkin")
    response = sign_in(browser, token)
    assert (response.status_code, response.headers["Location"]) == (302, "/door/")
    kept = session_of(app, browser)
    assert isinstance(kept["token_id"], int)
    assert token not in repr(kept)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Expires=" in header
    assert token not in header
    door = browser.get("/door/")
    assert door.status_code == 200
    assert ">Door</a>" in door.get_data(as_text=True)


def test_bad_token_is_told_and_makes_no_session(browser):
    response = sign_in(browser, "not-a-token")
    assert response.status_code == 200
    assert "This token is not valid, or it was revoked." in response.get_data(as_text=True)
    cookie = browser.get_cookie("session")
    assert cookie is None or "token_id" not in repr(cookie.value)
    assert browser.get("/door/").status_code == 302


def test_empty_token_is_told(browser):
    response = sign_in(browser, "  ")
    assert "Type or scan your token." in response.get_data(as_text=True)


def test_revoked_token_signs_the_browser_out(browser, store):
    token = make_token(store, scope="checkin")
    sign_in(browser, token)
    assert browser.get("/door/").status_code == 200
    revoke(store, token)
    response = browser.get("/door/")
    assert (response.status_code, response.headers["Location"]) == (302, "/?next=/door/")
    page = browser.get("/")
    assert "Your token is no longer active" in page.get_data(as_text=True)
    assert 'id="token"' in page.get_data(as_text=True)


def test_session_ends_after_session_hours(browser, store, clock):
    sign_in(browser, make_token(store, scope="checkin"))
    clock.advance(hours=11, minutes=59)
    assert browser.get("/door/").status_code == 200
    clock.advance(minutes=1)
    assert browser.get("/door/").status_code == 302
    assert "Your sign-in has expired" in browser.get("/").get_data(as_text=True)


def test_screen_outside_the_scope_answers_a_403_page(browser, store):
    sign_in(browser, make_token(store, scope="boxoffice"))
    response = browser.get("/door/")
    text = response.get_data(as_text=True)
    assert response.status_code == 403
    assert response.content_type.startswith("text/html")
    assert "Not allowed" in text and "boxoffice scope of your token does not include this screen" in text
    home = browser.get("/").get_data(as_text=True)
    assert ">Door</a>" not in home and ">Sell</a>" in home and ">Orders</a>" in home


@pytest.mark.parametrize("scope", ["admin", "checkin"])
def test_scopes_with_the_door_see_it_in_the_header(browser, store, scope):
    sign_in(browser, make_token(store, scope=scope))
    assert ">Door</a>" in browser.get("/").get_data(as_text=True)


def test_signed_out_browser_is_sent_to_sign_in_and_back(browser, store):
    response = browser.get("/door/")
    assert (response.status_code, response.headers["Location"]) == (302, "/?next=/door/")
    page = browser.get("/?next=/door/")
    assert form_field(page, "next") == "/door/"
    signed_in = sign_in(browser, make_token(store, scope="checkin"), next_path="/door/")
    assert signed_in.headers["Location"] == "/door/"


@pytest.mark.parametrize("target", ["//elsewhere.example/", "https://elsewhere.example/", "/api/v1/organizers/"])
def test_sign_in_goes_nowhere_off_the_screens(browser, store, target):
    response = sign_in(browser, make_token(store, scope="checkin"), next_path=target)
    assert response.headers["Location"] == "/door/"


def test_form_without_csrf_token_is_refused(app, browser, store):
    assert app.config["WTF_CSRF_ENABLED"]
    token = make_token(store, scope="checkin")
    response = browser.post("/", data={"token": token})
    assert response.status_code == 400
    assert response.content_type.startswith("text/html")
    assert "This form was out of date" in response.get_data(as_text=True)
    assert browser.get("/door/").status_code == 302
    wrong = browser.post("/", data={"token": token, "csrf_token": "forged"})
    assert wrong.status_code == 400


def test_sign_out_needs_a_post_with_csrf_and_ends_the_session(browser, store):
    sign_in(browser, make_token(store, scope="checkin"))
    page = browser.get("/")
    assert browser.get("/signout").status_code == 405
    assert browser.post("/signout").status_code == 400
    response = browser.post("/signout", data={"csrf_token": form_field(page, "csrf_token")})
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    assert browser.get("/door/").status_code == 302
    assert "You are signed out." in browser.get("/").get_data(as_text=True)


def test_token_of_an_organizer_signs_in_for_it(browser, store):
    sign_in(browser, make_token(store, organizer="other", scope="checkin"))
    assert "other · checkin token" in browser.get("/").get_data(as_text=True)
    assert ORGANIZER not in browser.get("/").get_data(as_text=True)


def test_error_pages_outside_the_api_are_html_and_the_api_keeps_its_json(browser, api):
    missing = browser.get("/nowhere")
    assert (missing.status_code, missing.content_type) == (404, "text/html; charset=utf-8")
    assert "Page not found" in missing.get_data(as_text=True)
    wrong_method = browser.delete("/")
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["Allow"]
    assert wrong_method.content_type.startswith("text/html")
    api_missing = browser.get("/api/v1/nowhere")
    assert (api_missing.status_code, api_missing.get_json()) == (404, {"detail": "Not found."})
    # The API takes POSTs without any CSRF token: it authenticates each request by its own token.
    created = api.post(f"/api/v1/organizers/{ORGANIZER}/events/sampleconf/categories/", json={"name": {"en": "C"}})
    assert created.status_code == 201


def test_api_requests_get_no_session_cookie(api):
    response = api.get(f"/api/v1/organizers/{ORGANIZER}/events/")
    assert response.status_code == 200
    assert not any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))
