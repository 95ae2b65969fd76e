"""Devices through the API: the organizer's devices resource, pairing, the device's own calls (info, update,
roll, revoke, event suggestion, version), and what a device may see and do."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import EVENT, EVENT_URL, EVENTS_URL, ORGANIZER, ApiClient, created
from tests.messages import FORBIDDEN

DEVICES = f"/api/v1/organizers/{ORGANIZER}/devices/"
SETUP = {
    "hardware_brand": "Zebra",
    "hardware_model": "TC21",
    "os_name": "Android",
    "os_version": "11",
    "software_brand": "pretixSCAN Android",
    "software_version": "2.14.0",
}
OTHER_EVENT = {"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2027-01-01T10:00:00Z"}
REVOKED = {"detail": "Device access has been revoked."}
VERSION = {"pretix": "2026.8.0", "pretix_numeric": 20260080005000}


def pair(app, api: ApiClient, **fields: Any) -> tuple[dict, ApiClient]:
    """A device created by the admin and initialized by its app; its record and a client with its token."""
    device = created(api, DEVICES, {"name": "Door 1", "all_events": True, **fields})
    body = {"token": device["initialization_token"], **SETUP}
    answer = app.test_client().post("/api/v1/device/initialize", json=body)
    assert answer.status_code == 200, answer.get_json()
    return device, ApiClient(app.test_client(), answer.get_json()["api_token"], scheme="Device")


def test_the_devices_resource_as_pretix_has_it(api, clock):
    device = created(api, DEVICES, {"name": "Door 1", "all_events": False, "limit_events": [EVENT]})
    assert len(device.pop("unique_serial")) == 16 and len(device.pop("initialization_token")) == 16
    assert device == {
        "device_id": 1,
        "name": "Door 1",
        "all_events": False,
        "limit_events": [EVENT],
        "revoked": False,
        "created": "2026-11-01T12:00:00Z",
        "initialized": None,
        "hardware_brand": None,
        "hardware_model": None,
        "os_name": None,
        "os_version": None,
        "software_brand": None,
        "software_version": None,
        "security_profile": "full",
    }
    assert api.get(f"{DEVICES}1/").get_json()["name"] == "Door 1"
    assert api.get(DEVICES).get_json()["count"] == 1
    patched = api.patch(f"{DEVICES}1/", json={"name": "Door A", "all_events": True})
    assert (patched.get_json()["name"], patched.get_json()["limit_events"]) == ("Door A", [])
    assert api.get(f"{DEVICES}9/").status_code == 404


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "X", "limit_events": ["nosuch"]}, {"limit_events": ["Object with slug=nosuch does not exist."]}),
        ({"name": "X", "security_profile": "root"}, {"security_profile": ['"root" is not a valid choice.']}),
    ],
)
def test_bad_devices_are_refused(api, body, errors):
    response = api.post(DEVICES, json=body)
    assert (response.status_code, response.get_json()) == (400, errors)


def test_pairing_hands_out_a_token_once(app, api, clock):
    device, scanner = pair(app, api)
    shown = api.get(f"{DEVICES}1/").get_json()
    assert shown["initialized"] == "2026-11-01T12:00:00Z"
    assert {key: shown[key] for key in SETUP} == SETUP
    again = app.test_client().post(
        "/api/v1/device/initialize", json={"token": device["initialization_token"], **SETUP}
    )
    assert (again.status_code, again.get_json()) == (
        400, {"token": ["This initialization token has already been used."]},
    )
    missing = app.test_client().post("/api/v1/device/initialize", json={"token": "x"})
    assert missing.status_code == 400 and set(missing.get_json()) == {
        "hardware_brand", "hardware_model", "software_brand", "software_version",
    }


def test_a_revoked_device_cannot_be_initialized(app, api):
    device = created(api, DEVICES, {"name": "Lost"})
    api.patch(f"{DEVICES}1/", json={"revoked": True})
    body = {"token": device["initialization_token"], **SETUP}
    answer = app.test_client().post("/api/v1/device/initialize", json=body)
    assert (answer.status_code, answer.get_json()) == (400, {"token": ["This initialization token has been revoked."]})
    restore = api.patch(f"{DEVICES}1/", json={"revoked": False})
    assert restore.status_code == 400


def test_info_and_version(app, api):
    _, scanner = pair(app, api)
    info = scanner.get("/api/v1/device/info").get_json()
    assert info["server"] == {"version": VERSION} and info["medium_key_sets"] == []
    assert {key: info["device"][key] for key in ("organizer", "device_id", "name", "security_profile", "gate")} == {
        "organizer": ORGANIZER, "device_id": 1, "name": "Door 1", "security_profile": "full", "gate": None,
    }
    assert "api_token" not in info["device"]
    assert scanner.get("/api/v1/version").get_json() == VERSION
    assert scanner.get("/api/v1/device/info/").status_code == 200  # with a slash too, without a redirect


def test_update_keeps_what_the_app_reports_and_its_first_key(app, api):
    _, scanner = pair(app, api)
    report = {**SETUP, "software_version": "2.15.0", "rsa_pubkey": "-----BEGIN PUBLIC KEY-----\nA\n"}
    assert scanner.post("/api/v1/device/update", json=report).status_code == 200
    assert api.get(f"{DEVICES}1/").get_json()["software_version"] == "2.15.0"
    assert scanner.post("/api/v1/device/update", json=report).status_code == 200  # the same key again
    changed = scanner.post("/api/v1/device/update", json={**report, "rsa_pubkey": "other"})
    assert (changed.status_code, changed.get_json()) == (
        400, {"rsa_pubkey": ["You cannot change the rsa_pubkey of the device once it is set."]},
    )


def test_roll_kills_the_old_token_at_once(app, api):
    _, scanner = pair(app, api)
    rolled = scanner.post("/api/v1/device/roll", json={})
    new_token = rolled.get_json()["api_token"]
    assert new_token != scanner.token and len(new_token) == 64
    assert scanner.get("/api/v1/device/info").get_json() == {"detail": "Invalid token."}
    assert ApiClient(app.test_client(), new_token, "Device").get("/api/v1/device/info").status_code == 200


def test_revoke_by_the_device_or_the_organizer(app, api):
    _, first = pair(app, api)
    assert first.post("/api/v1/device/revoke", json={}).status_code == 200
    assert (first.get(f"{EVENT_URL}/").status_code, first.get(f"{EVENT_URL}/").get_json()) == (401, REVOKED)
    _, second = pair(app, api)
    api.patch(f"{DEVICES}2/", json={"revoked": True})
    assert second.get("/api/v1/device/info").get_json() == REVOKED


def test_a_device_limited_to_an_event_sees_and_scans_only_that_one(app, api):
    created(api, EVENTS_URL, OTHER_EVENT)
    there = created(api, f"{EVENTS_URL}otherconf/checkinlists/", {"name": "There"})
    _, scanner = pair(app, api, all_events=False, limit_events=[EVENT])
    assert [e["slug"] for e in scanner.get(EVENTS_URL).get_json()["results"]] == [EVENT]
    assert scanner.get(f"{EVENTS_URL}otherconf/").get_json() == FORBIDDEN
    assert scanner.get(f"{EVENTS_URL}otherconf/orders/").status_code == 403
    redeem = scanner.post(
        f"/api/v1/organizers/{ORGANIZER}/checkinrpc/redeem/", json={"secret": "x", "lists": [there["id"]]}
    )
    assert (redeem.status_code, redeem.get_json()) == (
        400, {"lists": [f'Invalid pk "{there["id"]}" - object does not exist.']},
    )


def test_a_device_is_not_an_admin(app, api, client_for):
    client_for("admin", "otherorg")
    _, scanner = pair(app, api)
    for method, url, body in (
        ("post", f"{EVENT_URL}/orders/", {"positions": []}),
        ("post", f"{EVENT_URL}/items/", {"name": "Free", "default_price": "0.00"}),
        ("patch", f"{EVENT_URL}/settings/", {"reservation_time": 5}),
        ("post", f"{EVENT_URL}/vouchers/", {}),
        ("get", "/api/v1/organizers/otherorg/events/", None),
        ("get", DEVICES, None),
        ("post", DEVICES, {"name": "Mine"}),
    ):
        response = getattr(scanner, method)(url, json=body) if body is not None else scanner.get(url)
        assert (response.status_code, response.get_json()) == (403, FORBIDDEN), (method, url)


def test_a_token_is_not_a_device(api):
    for path in ("/api/v1/device/info", "/api/v1/device/eventselection"):
        assert api.get(path).get_json() == FORBIDDEN
    assert api.post("/api/v1/device/revoke", json={}).status_code == 403


def test_the_event_suggestion(app, api, clock):
    upcoming = {**OTHER_EVENT, "slug": "live", "date_from": "2026-11-02T10:00:00Z"}
    created(api, EVENTS_URL, upcoming)
    door = created(api, f"{EVENTS_URL}live/checkinlists/", {"name": "Door"})
    created(api, f"{EVENTS_URL}live/quotas/", {"name": "All", "size": 10})
    assert api.patch(f"{EVENTS_URL}live/", json={"live": True}).status_code == 200
    _, scanner = pair(app, api)
    suggestion = scanner.get("/api/v1/device/eventselection?current_event=sampleconf")
    assert (suggestion.status_code, suggestion.get_json()) == (
        200, {"event": {"slug": "live", "name": {"en": "Other"}}, "subevent": None, "checkinlist": door["id"]},
    )
    same = scanner.get(f"/api/v1/device/eventselection?current_event=live&current_checkinlist={door['id']}")
    assert (same.status_code, same.data) == (304, b"")
