"""The devices screen: an admin pairs a scanner by showing its setup code, sees it paired, revokes it."""

from __future__ import annotations

import html
import json
import re

import segno

from tests.helpers import make_token
from tests.ui_pages import form_field, sign_in

SETUP_BODY = {
    "hardware_brand": "Google",
    "hardware_model": "Pixel 8",
    "software_brand": "pretixSCAN Android",
    "software_version": "2.14.0",
}


class Browser:
    """A test client that reaches the box at one address, as a browser's address bar has it."""

    def __init__(self, client, base_url: str) -> None:
        self.client, self.base_url = client, base_url

    def get(self, path: str, **kwargs):
        return self.client.get(path, base_url=self.base_url, **kwargs)

    def post(self, path: str, **kwargs):
        return self.client.post(path, base_url=self.base_url, **kwargs)


def signed_in(app, store, scope: str, base_url: str = "http://localhost"):
    """A browser signed in with a new token of `scope`."""
    browser = Browser(app.test_client(), base_url)
    sign_in(browser, make_token(store, scope=scope))
    return browser


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_an_admin_pairs_a_scanner_from_the_screen(app, store, api):
    browser = signed_in(app, store, "admin", base_url="http://192.168.1.10:8000")
    page = browser.get("/devices")
    assert page.status_code == 200 and "No device is paired yet." in text_of(page)
    assert 'href="/devices" aria-current="page">Devices</a>' in page.get_data(as_text=True)

    created = browser.post("/devices", data={"csrf_token": form_field(page, "csrf_token"), "name": "Door 1"})
    assert (created.status_code, created.headers["Location"]) == (302, "/devices/1")
    pair = browser.get("/devices/1")
    token = re.search(r"<code>([a-z0-9]{16})</code>", pair.get_data(as_text=True)).group(1)
    assert "Or type the server address http://192.168.1.10:8000 and this token: " + token in text_of(pair)
    # The QR code is the handshake pretixSCAN reads, with the address this browser reached the box at.
    handshake = json.dumps({"handshake_version": 1, "url": "http://192.168.1.10:8000", "token": token})
    assert segno.make(handshake, error="m").svg_inline(border=4, omitsize=True, title="Setup code") in pair.get_data(
        as_text=True
    )

    # The code's token pairs the app.
    initialized = app.test_client().post("/api/v1/device/initialize", json={"token": token, **SETUP_BODY})
    assert initialized.status_code == 200
    assert "Door 1 paired all events pretixSCAN Android 2.14.0" in text_of(browser.get("/devices"))
    again = browser.get("/devices/1")
    assert (again.status_code, again.headers["Location"]) == (302, "/devices")

    revoked = browser.post("/devices/1/revoke", data={"csrf_token": form_field(page, "csrf_token")})
    assert revoked.status_code == 302
    assert "Door 1 revoked all events" in text_of(browser.get("/devices"))
    info = app.test_client().get(
        "/api/v1/device/info", headers={"Authorization": f"Device {initialized.get_json()['api_token']}"}
    )
    assert (info.status_code, info.get_json()) == (401, {"detail": "Device access has been revoked."})


def test_tills_and_doors_get_a_403_page(app, store, api):
    for scope in ("boxoffice", "checkin"):
        browser = signed_in(app, store, scope)
        page = browser.get("/devices")
        assert page.status_code == 403 and "does not include this screen" in text_of(page)
        assert ">Devices</a>" not in browser.get("/").get_data(as_text=True)


def test_a_device_needs_a_name(app, store, api):
    browser = signed_in(app, store, "admin")
    page = browser.get("/devices")
    refused = browser.post("/devices", data={"csrf_token": form_field(page, "csrf_token"), "name": " "})
    assert refused.status_code == 400 and "Give the device a name, such as “Door 1”." in text_of(refused)


def test_a_browser_on_the_box_itself_shows_the_box_s_lan_address(app, store, api):
    browser = signed_in(app, store, "admin", base_url="http://127.0.0.1:8000")
    page = browser.get("/devices")
    browser.post("/devices", data={"csrf_token": form_field(page, "csrf_token"), "name": "Door 3"})
    shown = re.search(r"server address (http://[0-9.]+:(\d+)) and", text_of(browser.get("/devices/1")))
    assert shown is not None and shown.group(2) == "8000" and not shown.group(1).startswith("http://127.")
