"""Take the README's screenshots: a server on the demo event, each screen in Chromium at tablet and laptop size.

    .venv/bin/python docs/screenshots.py            (needs Debian's chromium; writes docs/*.png)
    .venv/bin/python docs/screenshots.py orders     (only the orders screen's)
    .venv/bin/python docs/screenshots.py overview   (only the overview's)
    .venv/bin/python docs/screenshots.py devices    (only the devices screen's)
    .venv/bin/python docs/screenshots.py clock      (only the overview with its clock-behind banner)
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kiosk_tickets.isotime import format_datetime  # noqa: E402
from kiosk_tickets.store import Store  # noqa: E402
from tests.servers import Server, launch_chromium, run_cli  # noqa: E402

DOCS = Path(__file__).resolve().parent
SIZES = {"tablet": (1280, 800), "laptop": (1366, 768)}
EVENT = "/api/v1/organizers/demo/events/festival"


def main(only: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory) / "data"
        admin = run_cli(data_dir, "demo").strip().splitlines()[-1]
        counter = run_cli(
            data_dir, "token", "create", "--organizer", "demo", "--scope", "boxoffice", "--name", "Counter 1"
        ).strip().splitlines()[-1]
        server = Server(data_dir)
        try:
            api = requests.Session()
            api.headers["Authorization"] = f"Token {admin}"
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                if only in (None, "door"):
                    door_screens(browser, server.url, api, admin)
                if only in (None, "orders"):
                    orders_screens(browser, server.url, api, counter)
                if only in (None, "sell"):
                    sell_screens(browser, server.url, counter)
                if only in (None, "overview"):
                    overview_screens(browser, server.url, api, admin, [counter, second_counter(data_dir)])
                if only in (None, "devices"):
                    devices_screens(browser, server.url, api, admin)
                if only in (None, "clock"):
                    # Last: from here on the store's newest time lies ahead of the clock.
                    clock_screen(browser, server.url, data_dir, admin)
                browser.close()
        finally:
            server.stop()


def sign_in(browser: Browser, url: str, token: str, size: str) -> Any:
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height}, base_url=url)
    page.goto("/")
    page.locator("#token").press_sequentially(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


def door_screens(browser: Browser, url: str, api: requests.Session, admin: str) -> None:
    day = next(i for i in api.get(f"{url}{EVENT}/items/").json()["results"] if i["admission"])
    paid = {"status": "p", "payment_provider": "cash", "positions": [
        {"item": day["id"], "attendee_name_parts": {"given_name": "Ada", "family_name": "Lovelace"}}]}
    for size, (width, height) in SIZES.items():
        secret = api.post(f"{url}{EVENT}/orders/", json=paid).json()["positions"][0]["secret"]
        page = browser.new_page(viewport={"width": width, "height": height}, base_url=url)
        page.goto("/")
        page.screenshot(path=DOCS / f"signin-{size}.png")
        page.locator("#token").press_sequentially(admin)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.goto("/door/")
        page.screenshot(path=DOCS / f"door-{size}.png")
        for code, name in ((secret, "ok"), (secret, "refused"), ("NOSUCHTICKET", "unknown")):
            page.keyboard.type(code)
            page.keyboard.press("Enter")
            page.wait_for_selector(f'#result[data-result="{name}"]')
            page.screenshot(path=DOCS / f"door-{name}-{size}.png")
        page.close()


def _orders_of_a_day(url: str, api: requests.Session) -> dict[str, dict]:
    """A box office's orders: a festival pass with a workshop (answered, checked in), a family's day tickets,
    a pending order to pick up and pay, and a few more."""
    items = {i["name"]["en"]: i for i in api.get(f"{url}{EVENT}/items/").json()["results"]}
    questions = {q["identifier"]: q for q in api.get(f"{url}{EVENT}/questions/").json()["results"]}
    vegan = next(o["id"] for o in questions["MEAL"]["options"] if o["identifier"] == "VEGAN")
    shirt = items["Festival T-shirt"]
    day, festival_pass = items["Day ticket"]["id"], items["Festival pass"]["id"]

    def order(payload: dict) -> dict:
        response = api.post(f"{url}{EVENT}/orders/", json=payload)
        response.raise_for_status()
        return dict(response.json())

    def person(given: str, family: str) -> dict:
        return {"attendee_name_parts": {"given_name": given, "family_name": family}}

    made = {}
    made["pass"] = order({"status": "p", "payment_provider": "card", "email": "ada@example.org", "positions": [
        {"positionid": 1, "item": festival_pass, **person("Ada", "Lovelace"), "answers": [
            {"question": questions["MEAL"]["id"], "options": [vegan]},
            {"question": questions["COMPANY"]["id"], "answer": "Analytical Engines Ltd"}]},
        {"positionid": 2, "item": items["Workshop: Screen printing"]["id"], "addon_to": 1},
        {"positionid": 3, "item": shirt["id"], "variation": shirt["variations"][1]["id"]}]})
    lists = api.get(f"{url}{EVENT}/checkinlists/").json()["results"]
    api.post(f"{url}/api/v1/organizers/demo/checkinrpc/redeem/",
             json={"secret": made["pass"]["positions"][0]["secret"], "lists": [lists[0]["id"]]})
    made["family"] = order({"status": "p", "payment_provider": "cash", "email": "babbage@example.org", "positions": [
        {"item": day, **person("Charles", "Babbage")}, {"item": day, **person("Georgiana", "Babbage")}]})
    made["canceled"] = order({"email": "alan@example.org", "positions": [{"item": day, **person("Alan", "Turing")}]})
    api.post(f"{url}{EVENT}/orders/{made['canceled']['code']}/mark_canceled/", json={})
    made["pending"] = order({"email": "grace@example.org", "positions": [
        {"item": day, **person("Grace", "Hopper")}, {"item": day, **person("Katherine", "Johnson")}]})
    return made


def orders_screens(browser: Browser, url: str, api: requests.Session, counter: str) -> None:
    made = _orders_of_a_day(url, api)
    for size in SIZES:
        page = sign_in(browser, url, counter, size)
        page.goto("/orders/")
        page.screenshot(path=DOCS / f"orders-{size}.png")
        page.locator("#q").press_sequentially("babbage")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.screenshot(path=DOCS / f"orders-search-{size}.png")
        page.goto("/orders/")
        page.locator("#q").press_sequentially(made["pass"]["positions"][0]["secret"])
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.screenshot(path=DOCS / f"orders-detail-{size}.png")
        page.goto(f"/orders/festival/{made['pending']['code']}/")
        page.screenshot(path=DOCS / f"orders-pending-{size}.png")
        page.goto(f"/orders/festival/{made['pending']['code']}/cancel")
        page.screenshot(path=DOCS / f"orders-cancel-{size}.png")
        page.close()



def sell_screens(browser: Browser, url: str, counter: str) -> None:
    """The sell screen: the tiles, a cart of three lines with names and cash given, and the sale."""
    for size in SIZES:
        page = sign_in(browser, url, counter, size)
        page.goto("/sell/")
        page.screenshot(path=DOCS / f"sell-{size}.png")
        page.locator('label:has-text("Screen printing") input').check()
        page.get_by_role("button", name="+ Add Festival pass").click()
        page.wait_for_function("document.querySelectorAll('.line').length == 1")
        page.get_by_role("button", name="+ Add Day ticket").click()
        page.wait_for_function("document.querySelectorAll('.line').length == 2")
        page.get_by_role("button", name="Add Festival T-shirt M").click()
        page.wait_for_function("document.querySelectorAll('.line').length == 3")
        names = page.locator("input[name^=name-]")
        names.nth(0).fill("Ada Lovelace")
        names.nth(1).fill("Grace Hopper")
        page.get_by_label("Vegetarian").check()
        page.locator("#given").fill("150")
        page.screenshot(path=DOCS / f"sell-cart-{size}.png")
        page.get_by_role("button", name="Paid in cash").click()
        page.wait_for_selector("#order-code")
        page.screenshot(path=DOCS / f"sell-sold-{size}.png")
        page.close()


def second_counter(data_dir: Path) -> str:
    return run_cli(
        data_dir, "token", "create", "--organizer", "demo", "--scope", "boxoffice", "--name", "Counter 2"
    ).strip().splitlines()[-1]


def overview_screens(browser: Browser, url: str, api: requests.Session, admin: str, counters: list[str]) -> None:
    """The overview after a few sales at two tills (cash and card), one of them canceled, and a few check-ins."""
    sold = []
    for counter, taps, method in ((counters[0], 2, "cash"), (counters[0], 1, "card"), (counters[1], 3, "cash"),
                                  (counters[1], 1, "card"), (counters[1], 1, "cash")):
        page = sign_in(browser, url, counter, "laptop")
        page.goto("/sell/")
        for count in range(taps):
            page.get_by_role("button", name="+ Add Day ticket").click()
            page.wait_for_function(f"document.querySelectorAll('.line').length == {count + 1}")
        page.get_by_role("button", name="Paid in cash" if method == "cash" else "Paid by card").click()
        sold.append(page.wait_for_selector("#order-code").inner_text())
        page.close()
    api.post(f"{url}{EVENT}/orders/{sold[-1]}/mark_canceled/")
    lists = api.get(f"{url}{EVENT}/checkinlists/").json()["results"]
    for code in sold[:3]:
        for position in api.get(f"{url}{EVENT}/orders/{code}/").json()["positions"]:
            api.post(f"{url}/api/v1/organizers/demo/checkinrpc/redeem/",
                     json={"secret": position["secret"], "lists": [lists[0]["id"]]})
    for size in SIZES:
        page = sign_in(browser, url, admin, size)
        page.goto("/overview/")
        page.screenshot(path=DOCS / f"overview-{size}.png")
        page.screenshot(path=DOCS / f"overview-full-{size}.png", full_page=True)
        page.close()



def devices_screens(browser: Browser, url: str, api: requests.Session, admin: str) -> None:
    """The devices screen with one phone paired, and the setup code of the next one."""
    door = api.post(f"{url}/api/v1/organizers/demo/devices/", json={"name": "Door 1", "all_events": True}).json()
    setup = {"token": door["initialization_token"], "hardware_brand": "Google", "hardware_model": "Pixel 8",
             "software_brand": "pretixSCAN Android", "software_version": "2.14.0"}
    requests.post(f"{url}/api/v1/device/initialize", json=setup, timeout=30)
    for size in SIZES:
        page = sign_in(browser, url, admin, size)
        page.goto("/devices")
        page.screenshot(path=DOCS / f"devices-{size}.png")
        page.fill("#device-name", f"Door 2 ({size})")
        with page.expect_navigation():
            page.get_by_role("button", name="Show its setup code").click()
        page.screenshot(path=DOCS / f"devices-pair-{size}.png")
        page.close()


def clock_screen(browser: Browser, url: str, data_dir: Path, admin: str) -> None:
    """The overview's banner when the system clock is behind what the box recorded: a box restarted without
    network, whose clock went back. Staged by recording a moment two and a half hours ahead of the clock."""
    ahead = format_datetime(datetime.now(UTC) + timedelta(hours=2, minutes=30))
    with Store(data_dir).transaction() as tx:
        event = tx.find_one("events", organizer="demo", slug="festival")
        tx.update("events", event["id"], {"catalog_modified": ahead})
    page = sign_in(browser, url, admin, "tablet")
    page.goto("/overview/")
    page.wait_for_selector("#clock-behind")
    page.screenshot(path=DOCS / "overview-clock-behind.png")
    page.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
