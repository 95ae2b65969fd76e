"""A pretixSCAN device, end to end over real HTTP: pairing from `device create`, the sync in the app's order
with its parameters and headers, online scans, offline uploads, a delta sync, and revocation.

Each request is made as libpretixsync makes it (paths, query strings, headers, bodies), and each answer is
checked for every field the app reads with a getter that throws when the field is missing or of another
type. The steps depend on each other as a real device's do, so they run as one test each, in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.scanner_check import scanner_check
from tests.servers import Server, run_cli

pytestmark = pytest.mark.slow  # a real server process

ORGANIZER, EVENT = "demo", "festival"
ANDROID = {
    "Content-Type": "application/json",
    "User-Agent": "okhttp/4.12.0 eu.pretix.pretixscan.droid/2.14.0",
    "Accept-Language": "en",
}
SETUP_BODY = {
    "hardware_brand": "samsung",
    "hardware_model": "SM-A525F",
    "os_name": "Android",
    "os_version": "14",
    "software_brand": "pretixSCAN Android",
    "software_version": "2.14.0",
}
# The fixed part of the app's order download (devices.md §2.2 row 13).
ORDERS_QUERY = (
    "testmode=false&exclude=downloads&exclude=payment_date&exclude=payment_provider&exclude=fees"
    "&exclude=positions.downloads&exclude=payments&exclude=refunds"
)
OFFSET_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")
JAVA_DATE = "Thu Jul 23 19:09:22 CEST 2026"  # java.util.Date.toString(), sent when the app's selection changes


# ---------------------------------------------------------------------------------------- field checks


def i18n(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(text, str) for text in value.values())


def offset_datetime(value: Any) -> bool:
    return isinstance(value, str) and OFFSET_DATETIME.match(value) is not None


def money(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value) is not None


def integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def nullable(check: Any) -> Any:
    return lambda value: value is None or check(value)


def is_a(kind: type) -> Any:
    return lambda value: isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def assert_reads(obj: dict, spec: dict[str, Any], where: str) -> None:
    """Every field the app reads is there, of the type its getter wants."""
    problems = [
        f"{where}.{name}={obj.get(name, '<missing>')!r}"
        for name, check in spec.items()
        if not (name in obj and check(obj[name]))
    ]
    assert problems == []


EVENT_FIELDS = {
    "slug": is_a(str),
    "currency": is_a(str),
    "date_from": offset_datetime,
    "date_to": nullable(offset_datetime),
    "date_admission": nullable(offset_datetime),
    "has_subevents": is_a(bool),
    "live": is_a(bool),
    "name": i18n,
    "seat_category_mapping": is_a(dict),
    "timezone": is_a(str),
    "plugins": is_a(list),
    "valid_keys": is_a(dict),
}
CATEGORY_FIELDS = {"id": integer, "position": integer, "name": i18n}
ITEM_FIELDS = {
    "id": integer,
    "position": integer,
    "name": i18n,
    "variations": is_a(list),
    "bundles": is_a(list),
    "addons": is_a(list),
    "active": is_a(bool),
    "admission": is_a(bool),
    "category": nullable(integer),
    "default_price": money,
}
VARIATION_FIELDS = {"id": integer, "active": is_a(bool), "position": integer, "price": money, "value": i18n}
ADDON_FIELDS = {
    "addon_category": integer,
    "min_count": integer,
    "max_count": integer,
    "position": integer,
    "multi_allowed": is_a(bool),
    "price_included": is_a(bool),
}
QUESTION_FIELDS = {
    "id": integer,
    "position": integer,
    "items": lambda value: isinstance(value, list) and all(integer(i) for i in value),
    "required": is_a(bool),
    "question": i18n,
    "type": lambda value: value in {"N", "S", "T", "B", "C", "M", "F", "D", "H", "W", "CC", "TEL", "EMAIL"},
    "ask_during_checkin": is_a(bool),
    "show_during_checkin": is_a(bool),
    "options": is_a(list),
}
OPTION_FIELDS = {"id": integer, "position": integer, "identifier": is_a(str), "answer": i18n}
LIST_FIELDS = {
    "id": integer,
    "limit_products": is_a(list),
    "name": is_a(str),
    "all_products": is_a(bool),
    "include_pending": is_a(bool),
    "allow_multiple_entries": is_a(bool),
    "allow_entry_after_exit": is_a(bool),
    "addon_match": is_a(bool),
    "rules": is_a(dict),
}
ORDER_FIELDS = {
    "code": is_a(str),
    "positions": is_a(list),
    "status": lambda value: value in {"n", "p", "e", "c"},
    "datetime": offset_datetime,
    "email": nullable(is_a(str)),
    "valid_if_pending": is_a(bool),
    "testmode": is_a(bool),
    "require_approval": is_a(bool),
    "locale": is_a(str),
    "total": money,
}
POSITION_FIELDS = {
    "id": integer,
    "positionid": integer,
    "item": integer,
    "checkins": is_a(list),
    "secret": is_a(str),
    "variation": nullable(integer),
    "subevent": nullable(integer),
    "addon_to": nullable(integer),
    "attendee_name": nullable(is_a(str)),
    "valid_from": nullable(offset_datetime),
    "valid_until": nullable(offset_datetime),
    "answers": is_a(list),
    "price": money,
}
CHECKIN_FIELDS = {"list": integer, "datetime": offset_datetime, "type": lambda value: value in {"entry", "exit"}}


def assert_page(body: Any) -> None:
    assert isinstance(body, dict) and integer(body["count"]) and isinstance(body["results"], list)
    assert body["next"] is None or body["next"].startswith("http://")


# ---------------------------------------------------------------------------------------- the device


class Device:
    """What the app keeps between requests: the server URL, its token, and its sync cursors."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.token: str | None = None
        self.last_modified: dict[str, str] = {}
        self.orders_cursor: str | None = None
        self.secret_cursors: dict[str, str] = {}

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        auth = {"Authorization": f"Device {self.token}"} if self.token else {}
        return {**ANDROID, **auth, **(extra or {})}

    def api(self, path: str) -> str:
        # The app resolves every call against the host's root: URL(URL(base), "/api/v1/…").
        return f"{self.url}/api/v1/{path}"

    def get(self, path: str, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.get(self.api(path), headers=self.headers(headers), timeout=30)

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.post(self.api(path), data=json.dumps(body), headers=self.headers(headers), timeout=30)

    def every_page(self, path: str) -> tuple[list[dict], requests.Response]:
        """All results, following `next` verbatim as the app does; and the first page's response."""
        first = response = self.get(path)
        results: list[dict] = []
        while True:
            assert response.status_code == 200, (path, response.status_code, response.text)
            body = response.json()
            assert_page(body)
            results += body["results"]
            if body["next"] is None:
                return results, first
            response = requests.get(body["next"], headers=self.headers(), timeout=30)

    def conditional(self, path: str) -> list[dict] | None:
        """A catalog list as BaseConditionalSyncAdapter fetches it: None when the server says 304."""
        since = self.last_modified.get(path)
        response = self.get(path, {"If-Modified-Since": since} if since else None)
        if response.status_code == 304:
            assert response.content == b""
            return None
        assert response.status_code == 200, (path, response.text)
        self.last_modified[path] = response.headers["Last-Modified"]
        body = response.json()
        assert_page(body)
        assert body["next"] is None  # everything on one page here
        return body["results"]


def redeem_body(secret: str, lists: list[int], nonce: str, **extra: Any) -> dict:
    return {
        "secret": secret,
        "lists": lists,
        "force": False,
        "ignore_unpaid": False,
        "nonce": nonce,
        "type": "entry",
        "source_type": "barcode",
        "answers": {},
        "questions_supported": True,
        "canceled_supported": True,
        "use_order_locale": False,
        **extra,
    }


def strict_encode(secret: str) -> str:
    """libpretixsync's URLFragmentEncoder.STRICT: every byte but [A-Za-z0-9] percent-encoded."""
    return "".join(
        chr(byte) if chr(byte).isascii() and chr(byte).isalnum() else f"%{byte:02X}" for byte in secret.encode()
    )


# ---------------------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def box(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A server on the demo event, an admin's session to sell with, and orders in every state."""
    data_dir = tmp_path_factory.mktemp("devices") / "data"
    admin_token = run_cli(data_dir, "demo").strip().splitlines()[-1]
    server = Server(data_dir)
    admin = requests.Session()
    admin.headers["Authorization"] = f"Token {admin_token}"
    base = f"{server.url}/api/v1/organizers/{ORGANIZER}/events/{EVENT}"
    items = {item["name"]["en"]: item for item in admin.get(f"{base}/items/").json()["results"]}
    day = items["Day ticket"]["id"]

    def order(status: str, name: str, secret: str | None = None) -> dict:
        position: dict[str, Any] = {"item": day, "attendee_name": name}
        if secret:
            position["secret"] = secret
        body = {"email": f"{name.split()[0].lower()}@example.org", "positions": [position], "status": status}
        if status == "p":
            body["payment_provider"] = "cash"
        response = admin.post(f"{base}/orders/", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    orders = {
        "paid": order("p", "Ada Lovelace"),
        "pending": order("n", "Grace Hopper"),
        "canceled": order("p", "Alan Turing"),
        "offline": order("p", "Edsger Dijkstra", secret="Of+fline/Scan=="),
    }
    assert admin.post(f"{base}/orders/{orders['canceled']['code']}/mark_canceled/", json={}).status_code == 200
    yield {"server": server, "data_dir": data_dir, "admin": admin, "base": base, "orders": orders, "day": day}
    server.stop()


def initialize(url: str, token: str) -> requests.Response:
    """SetupManager's pairing call: the handshake URL and the path concatenated, no Authorization header."""
    body = json.dumps({"token": token, **SETUP_BODY})
    return requests.post(url + "/api/v1/device/initialize", data=body, headers=ANDROID, timeout=30)


def create_device(box: dict, name: str) -> dict:
    """`kiosk-tickets device create` for this server; the handshake it printed last."""
    png = Path(box["data_dir"]).parent / f"{name}.png"
    options = ["--url", box["server"].url, "--allow-loopback", "--qr-png", str(png)]
    out = run_cli(box["data_dir"], "device", "create", "--organizer", ORGANIZER, "--name", name, *options)
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_mode & 0o077 == 0
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def paired(box) -> dict[str, Any]:
    """A device created with the command line and paired with the handshake it printed."""
    handshake = create_device(box, "Door 1")
    assert set(handshake) == {"handshake_version", "url", "token"} and handshake["handshake_version"] == 1
    assert handshake["url"] == box["server"].url and not handshake["token"].startswith("proxy=")
    device = Device(handshake["url"])
    response = initialize(handshake["url"], handshake["token"])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert_reads(
        answer,
        {"api_token": is_a(str), "organizer": is_a(str), "device_id": integer, "unique_serial": is_a(str)},
        "initialize",
    )
    assert (answer["organizer"], answer["name"], answer["security_profile"], answer["gate"]) == (
        ORGANIZER,
        "Door 1",
        "full",
        None,
    )
    again = initialize(handshake["url"], handshake["token"])
    assert (again.status_code, again.json()) == (400, {"token": ["This initialization token has already been used."]})
    device.token = answer["api_token"]
    return {"device": device, "device_id": answer["device_id"]}


# ---------------------------------------------------------------------------------------- pairing


def test_a_bad_token_is_a_400_naming_the_field_and_a_url_typed_with_a_slash_still_pairs(box):
    unknown = initialize(box["server"].url, "nosuchtoken00000")
    assert (unknown.status_code, unknown.json()) == (400, {"token": ["Unknown initialization token."]})
    token = create_device(box, "Typed")["token"]
    # Typed by hand as "http://host:port/", the app's concatenation makes "//api/v1/…".
    typed = initialize(box["server"].url + "/", token)
    assert typed.status_code == 200 and typed.json()["name"] == "Typed"


# ---------------------------------------------------------------------------------------- the sync


def sync(device: Device, box: dict) -> dict[str, Any]:
    """One full download in SyncManager's order (devices.md §2.2, profile PRETIXSCAN)."""
    seen: dict[str, Any] = {}
    info = device.get("device/info")
    assert info.status_code == 200
    body = info.json()
    assert integer(body["server"]["version"]["pretix_numeric"])
    assert body["server"]["version"]["pretix_numeric"] >= 40120001001  # so the app uses the check-in RPC
    assert (body["device"]["name"], body["device"]["gate"], body["medium_key_sets"]) == ("Door 1", None, [])

    subevents, first = device.every_page(f"organizers/{ORGANIZER}/subevents/")
    assert subevents == [] and offset_datetime(first.headers["X-Page-Generated"])

    event = device.get(f"organizers/{ORGANIZER}/events/{EVENT}/")
    assert event.status_code == 200
    assert_reads(event.json(), EVENT_FIELDS, "event")
    seen["event"] = event.json()

    prefix = f"organizers/{ORGANIZER}/events/{EVENT}/"
    seen["categories"] = device.conditional(prefix + "categories/")
    seen["items"] = device.conditional(prefix + "items/")
    seen["questions"] = device.conditional(prefix + "questions/")
    for name in ("badgelayouts/", "badgeitems/"):
        results, _ = device.every_page(prefix + name)
        assert results == []
    seen["checkinlists"] = device.conditional(prefix + "checkinlists/?exclude=checkin_count&exclude=position_count")
    for name, stamp in (("revokedsecrets", "created"), ("blockedsecrets", "updated")):
        # Incremental: the newest entry's time seen so far comes back as the cursor.
        cursor = device.secret_cursors.get(name)
        query = f"?ordering=-{stamp}&{stamp}_since={requests.utils.quote(cursor, safe='')}" if cursor else ""
        results, _ = device.every_page(prefix + name + "/" + query)
        if results:
            device.secret_cursors[name] = results[0][stamp]
        seen[name] = results
    query = ORDERS_QUERY
    if device.orders_cursor:
        query += "&ordering=-last_modified&modified_since=" + requests.utils.quote(device.orders_cursor, safe="")
    seen["orders"], first = device.every_page(prefix + "orders/?" + query)
    device.orders_cursor = first.headers["X-Page-Generated"]
    assert offset_datetime(device.orders_cursor)
    media, _ = device.every_page(f"organizers/{ORGANIZER}/reusablemedia/")
    assert media == []
    settings = device.get(prefix + "settings/")
    assert settings.status_code == 200 and isinstance(settings.json(), dict)
    return seen


def test_the_first_sync_has_every_field_the_app_reads(box, paired):
    seen = sync(paired["device"], box)
    for category in seen["categories"]:
        assert_reads(category, CATEGORY_FIELDS, "category")
    assert len(seen["items"]) == 5
    for item in seen["items"]:
        assert_reads(item, ITEM_FIELDS, f"item {item['id']}")
        for variation in item["variations"]:
            assert_reads(variation, VARIATION_FIELDS, "variation")
        for addon in item["addons"]:
            assert_reads(addon, ADDON_FIELDS, "addon")
    assert any(item["variations"] for item in seen["items"]) and any(item["addons"] for item in seen["items"])
    for question in seen["questions"]:
        assert_reads(question, QUESTION_FIELDS, "question")
        for option in question["options"]:
            assert_reads(option, OPTION_FIELDS, "option")
    [entrance] = seen["checkinlists"]
    assert_reads(entrance, LIST_FIELDS, "checkinlist")
    assert {order["code"] for order in seen["orders"]} == {o["code"] for o in box["orders"].values()}
    for order in seen["orders"]:
        assert_reads(order, ORDER_FIELDS, f"order {order['code']}")
        for position in order["positions"]:
            assert_reads(position, POSITION_FIELDS, "position")
    statuses = {order["code"]: order["status"] for order in seen["orders"]}
    assert statuses[box["orders"]["canceled"]["code"]] == "c"  # canceled orders are synced too
    assert seen["blockedsecrets"] == []


def test_catalog_lists_answer_304_only_to_the_exact_date_they_sent(box, paired):
    device: Device = paired["device"]
    prefix = f"organizers/{ORGANIZER}/events/{EVENT}/"
    for path in ("categories/", "items/", "questions/", "checkinlists/?exclude=checkin_count&exclude=position_count"):
        assert device.conditional(prefix + path) is None, path
        java = device.get(prefix + path, {"If-Modified-Since": JAVA_DATE})
        assert java.status_code == 200 and java.json()["count"] >= 1, path


def test_next_links_are_absolute_and_keep_every_parameter(box, paired):
    device: Device = paired["device"]
    response = device.get(f"organizers/{ORGANIZER}/events/{EVENT}/orders/?{ORDERS_QUERY}&page_size=1")
    body = response.json()
    assert body["count"] == 4
    link = urlsplit(body["next"])
    assert f"{link.scheme}://{link.netloc}" == box["server"].url
    params = parse_qs(link.query)
    assert params["exclude"] == [
        "downloads",
        "payment_date",
        "payment_provider",
        "fees",
        "positions.downloads",
        "payments",
        "refunds",
    ]
    assert (params["testmode"], params["page"], params["page_size"]) == (["false"], ["2"], ["1"])


# ---------------------------------------------------------------------------------------- scanning online


def scan_online(device: Device, secret: str, list_id: int, nonce: str, **extra: Any) -> requests.Response:
    return device.post(
        f"organizers/{ORGANIZER}/checkinrpc/redeem/?expand=answers.question",
        redeem_body(secret, [list_id], nonce, **extra),
    )


def entrance_id(device: Device) -> int:
    lists = device.get(f"organizers/{ORGANIZER}/events/{EVENT}/checkinlists/").json()["results"]
    return lists[0]["id"]


def test_online_scans_answer_as_the_app_reads_them(box, paired):
    device: Device = paired["device"]
    list_id = entrance_id(device)
    orders = box["orders"]
    paid_secret = orders["paid"]["positions"][0]["secret"]

    ok = scan_online(device, paid_secret, list_id, "n-1")
    assert ok.status_code == 201
    body = ok.json()
    assert (body["status"], body["list"]["event"], body["list"]["id"]) == ("ok", EVENT, list_id)
    assert_reads(body, {"require_attention": is_a(bool), "checkin_texts": is_a(list)}, "redeem")
    assert_reads(body["position"], {"item": integer, "checkins": is_a(list)}, "redeem.position")
    assert [c["list"] for c in body["position"]["checkins"]] == [list_id]

    used = scan_online(device, paid_secret, list_id, "n-2")
    assert (used.status_code, used.json()["status"], used.json()["reason"]) == (200, "error", "already_redeemed")
    assert len(used.json()["position"]["checkins"]) == 1  # the first scan's time is shown from it

    unknown = scan_online(device, "no-such-ticket", list_id, "n-3")
    assert unknown.status_code == 404 and unknown.text.startswith("{")
    assert (unknown.json()["status"], unknown.json()["reason"]) == ("error", "invalid")

    canceled = scan_online(device, orders["canceled"]["positions"][0]["secret"], list_id, "n-4")
    assert (canceled.status_code, canceled.json()["reason"]) == (200, "canceled")

    unpaid = scan_online(device, orders["pending"]["positions"][0]["secret"], list_id, "n-5")
    answer = unpaid.json()
    assert (unpaid.status_code, answer["reason"], answer["position"]["order__status"]) == (200, "unpaid", "n")
    assert answer["list"]["include_pending"] is False  # so the app offers no "check in anyway"


def test_search_and_status_have_what_the_app_reads(box, paired):
    device: Device = paired["device"]
    list_id = entrance_id(device)
    found = device.get(
        f"organizers/{ORGANIZER}/checkinrpc/search/?ignore_status=true&page=1&search=Lovelace&list={list_id}"
    )
    assert found.status_code == 200
    [result] = found.json()["results"]
    assert_reads(result, {"item": integer, "checkins": is_a(list), "order__status": is_a(str)}, "search")
    status = device.get(f"organizers/{ORGANIZER}/events/{EVENT}/checkinlists/{list_id}/status/").json()
    assert isinstance(status["event"]["name"], str) and integer(status["checkin_count"])
    for item in status["items"]:
        assert (
            isinstance(item["name"], str) and integer(item["position_count"]) and isinstance(item["variations"], list)
        )


# ---------------------------------------------------------------------------------------- offline, then back online


def test_offline_scans_upload_once_and_reach_the_next_delta_sync(box, paired):
    device: Device = paired["device"]
    list_id = entrance_id(device)
    offline = box["orders"]["offline"]
    secret = offline["positions"][0]["secret"]
    assert secret == "Of+fline/Scan=="
    path = f"organizers/{ORGANIZER}/events/{EVENT}/checkinlists/{list_id}/positions/{strict_encode(secret)}/redeem/"
    upload = {
        "datetime": "2026-11-30T09:15:00Z",
        "force": True,
        "ignore_unpaid": False,
        "nonce": "offline-nonce-1",
        "type": "entry",
        "source_type": "barcode",
        "answers": {},
        "questions_supported": False,
        "canceled_supported": True,
        "use_order_locale": False,
    }
    first = device.post(path, upload)
    assert (first.status_code, first.json()["status"]) == (201, "ok")
    # The app did not see the answer (the Wi-Fi dropped again) and uploads the same scan once more.
    second = device.post(path, upload)
    assert (second.status_code, second.json()["status"]) == (201, "ok")
    history = box["admin"].get(f"{box['base']}/checkins/?successful=true").json()["results"]
    mine = [c for c in history if c["position"] == offline["positions"][0]["id"]]
    assert [c["datetime"] for c in mine] == ["2026-11-30T09:15:00Z"]

    unknown = device.post(
        f"organizers/{ORGANIZER}/events/{EVENT}/checkinlists/{list_id}/positions/{strict_encode('Gone+/=')}/redeem/",
        {**upload, "nonce": "offline-nonce-2"},
    )
    assert unknown.status_code == 404 and unknown.json()["status"] == "error"  # dropped from the queue

    failed = device.post(
        f"organizers/{ORGANIZER}/events/{EVENT}/checkinlists/{list_id}/failed_checkins/",
        {"datetime": "2026-11-30T09:16:00Z", "raw_barcode": "Gone+/=", "type": "entry", "error_reason": "invalid"},
        {"X-Idempotency-Key": "failed-1"},
    )
    assert failed.status_code == 201 and failed.json()["error_reason"] == "invalid"
    printed = device.post(
        f"organizers/{ORGANIZER}/events/{EVENT}/orderpositions/{offline['positions'][0]['id']}/printlog/",
        {"source": "pretixSCAN", "type": "badge", "info": {}},
        {"X-Idempotency-Key": "print-1"},
    )
    assert printed.status_code == 201 and isinstance(printed.json(), dict)

    delta = sync(device, box)
    changed = {order["code"] for order in delta["orders"]}
    assert offline["code"] in changed and box["orders"]["pending"]["code"] not in changed
    [position] = next(o for o in delta["orders"] if o["code"] == offline["code"])["positions"]
    assert [(c["list"], c["datetime"], c["type"]) for c in position["checkins"]] == [
        (list_id, "2026-11-30T09:15:00Z", "entry")
    ]
    for checkin in position["checkins"]:
        assert_reads(checkin, CHECKIN_FIELDS, "checkin")


# ---------------------------------------------------------------------------------------- signed secrets


def test_with_signed_secrets_a_synced_scanner_admits_later_sales_and_refuses_canceled_ones(box, paired):
    device: Device = paired["device"]
    admin, base = box["admin"], box["base"]
    assert admin.patch(f"{base}/settings/", json={"ticket_secret_generator": "pretix_sig1"}).status_code == 200
    before = sync(device, box)
    keys = before["event"]["valid_keys"]["pretix_sig1"]
    assert len(keys) == 1 and before["revokedsecrets"] == []

    # Sold after the scanner's sync; the scanner, offline, checks the signature with the key it has.
    body = {"positions": [{"item": box["day"], "attendee_name": "Barbara Liskov"}], "status": "p"}
    sold = admin.post(f"{base}/orders/", json={**body, "payment_provider": "cash"}).json()
    secret = sold["positions"][0]["secret"]
    assert scanner_check(secret, keys)["item"] == box["day"]

    # Its offline scan is uploaded with the secret's "+", "/" and "=" percent-encoded.
    list_id = entrance_id(device)
    upload = {"datetime": "2026-11-30T10:00:00Z", "force": True, "nonce": "signed-1", "type": "entry"}
    path = f"organizers/{ORGANIZER}/events/{EVENT}/checkinlists/{list_id}/positions/{strict_encode(secret)}/redeem/"
    assert device.post(path, upload).status_code == 201

    # Canceled online: the next sync brings the secret as revoked, so scanners refuse it with no network.
    assert admin.post(f"{base}/orders/{sold['code']}/mark_canceled/", json={}).status_code == 200
    after = sync(device, box)
    assert [entry["secret"] for entry in after["revokedsecrets"]] == [secret]
    for entry in after["revokedsecrets"]:
        assert_reads(entry, {"id": integer, "secret": is_a(str), "created": offset_datetime}, "revokedsecret")
    refused = scan_online(device, secret, list_id, "signed-2")
    assert (refused.status_code, refused.json()["reason"]) == (400, "revoked")


# ---------------------------------------------------------------------------------------- what a device may not do


def test_a_device_may_scan_but_not_sell_change_the_catalog_or_see_other_organizers(box, paired):
    device: Device = paired["device"]
    run_cli(box["data_dir"], "init", "--organizer", "elsewhere", "--name", "Elsewhere")
    refusals = [
        device.post(f"organizers/{ORGANIZER}/events/{EVENT}/orders/", {"positions": [{"item": box["day"]}]}),
        device.post(f"organizers/{ORGANIZER}/events/{EVENT}/items/", {"name": {"en": "Free"}, "default_price": "0"}),
        device.post(f"organizers/{ORGANIZER}/events/{EVENT}/cartpositions/", {"item": box["day"]}),
        device.get("organizers/elsewhere/events/"),
        device.get(f"organizers/{ORGANIZER}/devices/"),
    ]
    assert [(r.status_code, r.json()) for r in refusals] == [
        (403, {"detail": "You do not have permission to perform this action."})
    ] * 5


# ---------------------------------------------------------------------------------------- revocation


def test_revoked_the_device_gets_the_exact_detail_the_app_acts_on(box, paired):
    device: Device = paired["device"]
    assert device.post("device/revoke", {}).status_code == 200
    answer = device.get("device/info")
    assert (answer.status_code, answer.json()) == (401, {"detail": "Device access has been revoked."})
    listed = run_cli(box["data_dir"], "device", "list", "--organizer", ORGANIZER)
    assert "Door 1\trevoked\tall\tpretixSCAN Android 2.14.0\t" in listed


def test_the_time_format_the_app_resumes_with_is_accepted(box):
    # `created_since` is sent as the last order's `datetime`, verbatim and URL-encoded.
    stamp = datetime.now().astimezone().isoformat()
    response = box["admin"].get(f"{box['base']}/orders/?ordering=datetime&created_since={requests.utils.quote(stamp)}")
    assert response.status_code == 200 and response.json()["count"] == 0
