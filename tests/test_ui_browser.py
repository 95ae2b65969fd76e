"""The screens in a real browser (Debian's Chromium driven by Playwright) against a real server on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.servers import Server, run_cli

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
# Chromium as root in a sandbox-less container, and without the background traffic a closed LAN refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EVENT = "/api/v1/organizers/demo/events/festival"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def box(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A server on the demo event with one paid order of a day ticket, and tokens of each scope."""
    data_dir = tmp_path_factory.mktemp("screens") / "data"
    admin = run_cli(data_dir, "demo").strip().splitlines()[-1]
    door = run_cli(data_dir, "token", "create", "--organizer", "demo", "--scope", "checkin").strip().splitlines()[-1]
    server = Server(data_dir)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {admin}"
    items = api.get(f"{server.url}{EVENT}/items/").json()["results"]
    day = next(item for item in items if item["name"]["en"] == "Day ticket")
    order = api.post(
        f"{server.url}{EVENT}/orders/",
        json={
            "status": "p",
            "payment_provider": "cash",
            "positions": [{"item": day["id"], "attendee_name_parts": {"given_name": "Ada", "family_name": "Lovelace"}}],
        },
    ).json()
    yield {"server": server, "admin": admin, "door": door, "secret": order["positions"][0]["secret"]}
    server.stop()


@pytest.fixture
def page(browser: Browser, box: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=box["server"].url)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, token: str) -> None:
    """Type the token as a badge scanner does: the keys, then Enter, no click."""
    page.goto("/")
    page.locator("#token").press_sequentially(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def scan(page: Page, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_the_door_lets_a_ticket_in_once_and_names_an_unknown_one(page: Page, box: dict[str, Any]):
    sign_in(page, box["door"])
    page.goto("/door/")
    expect(page.locator("#scan")).to_be_focused()

    scan(page, box["secret"])
    expect(page.locator("#result")).to_have_attribute("data-result", "ok")
    expect(page.locator("#result")).to_contain_text("Ada Lovelace")
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#count-checked-in")).to_have_text("1")

    scan(page, box["secret"])
    expect(page.locator("#result")).to_have_attribute("data-result", "refused")
    expect(page.locator("#result")).to_contain_text("Already checked in")

    scan(page, "NOSUCHTICKET")
    expect(page.locator("#result")).to_have_attribute("data-result", "unknown")


def test_a_cash_sale_in_the_browser_shows_the_change_and_the_order(page: Page, box: dict[str, Any]):
    sign_in(page, box["admin"])
    page.goto("/sell/")
    expect(page.locator("#cart")).to_contain_text("Tap a product")
    page.get_by_role("button", name="+ Add Day ticket").click()
    expect(page.locator(".line")).to_have_count(1)
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^(30:00|29:5\d)$"))
    page.locator("input[name^=name-]").fill("Grace Hopper")
    page.locator("#given").fill("30")
    expect(page.locator("#change-amount")).to_have_text("5.00")
    page.get_by_role("button", name="Paid in cash").click()
    expect(page.locator("#order-code")).to_have_text(re.compile(r"^[A-Z0-9]{5}$"))
    expect(page.locator("#change")).to_contain_text("5.00")
    code = page.locator("#order-code").inner_text()
    order = requests.get(
        f"{box['server'].url}{EVENT}/orders/{code}/", headers={"Authorization": f"Token {box['admin']}"}
    ).json()
    assert (order["status"], order["sales_channel"], order["payment_provider"]) == ("p", "box_office", "cash")
    assert order["positions"][0]["attendee_name"] == "Grace Hopper"
