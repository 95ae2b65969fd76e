"""The screens in a real browser (Debian's Chromium driven by Playwright) against a real server on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.servers import Server, launch_chromium, run_cli

pytestmark = pytest.mark.slow

EVENT = "/api/v1/organizers/demo/events/festival"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def box(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A server on the demo event with one paid order of a day ticket, and tokens of each scope."""
    data_dir = tmp_path_factory.mktemp("screens") / "data"
    admin = run_cli(data_dir, "demo").strip().splitlines()[-1]
    door, till, other_till = (
        run_cli(data_dir, "token", "create", "--organizer", "demo", "--scope", scope).strip().splitlines()[-1]
        for scope in ("checkin", "boxoffice", "boxoffice")
    )
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
    yield {
        "server": server,
        "api": api,
        "admin": admin,
        "door": door,
        "till": till,
        "other_till": other_till,
        "day": day["id"],
        "secret": order["positions"][0]["secret"],
    }
    server.stop()


@pytest.fixture
def page(browser: Browser, box: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=box["server"].url)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def other_page(browser: Browser, box: dict[str, Any]) -> Iterator[Page]:
    """A second terminal: a browser context of its own, with its own session and cart."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=box["server"].url)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, token: str) -> None:
    """Type the token as a badge scanner does: the keys, then Enter, no click."""
    page.goto("/")
    type_token(page, token)


def type_token(page: Page, token: str) -> None:
    page.locator("#token").press_sequentially(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def one_left(box: dict[str, Any], name: str) -> int:
    """A product of its own with a quota of 1; returns its id."""
    api, url = box["api"], box["server"].url
    item = api.post(f"{url}{EVENT}/items/", json={"name": {"en": name}, "default_price": "30.00", "admission": True})
    assert item.status_code == 201, item.text
    quota = api.post(f"{url}{EVENT}/quotas/", json={"name": name, "size": 1, "items": [item.json()["id"]]})
    assert quota.status_code == 201, quota.text
    return item.json()["id"]


def order_count(box: dict[str, Any]) -> int:
    return box["api"].get(f"{box['server'].url}{EVENT}/orders/").json()["count"]


def cart_positions(box: dict[str, Any], item: int | None = None) -> list[dict]:
    results = box["api"].get(f"{box['server'].url}{EVENT}/cartpositions/").json()["results"]
    return [position for position in results if item is None or position["item"] == item]


def tile(page: Page, item: int) -> Locator:
    return page.locator(f'article.tile[data-item="{item}"]')


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


def test_a_sold_out_tile_is_disabled_and_says_so(page: Page, box: dict[str, Any]):
    item = one_left(box, "Sold-out tour")
    sold = box["api"].post(
        f"{box['server'].url}{EVENT}/orders/",
        json={"status": "p", "payment_provider": "cash", "positions": [{"item": item, "attendee_name": "Ada"}]},
    )
    assert sold.status_code == 201, sold.text
    sign_in(page, box["till"])
    page.goto("/sell/")
    shown = tile(page, item)
    expect(shown).to_have_class(re.compile(r"\bsold-out\b"))
    expect(shown.locator("button[name=add]")).to_be_disabled()
    expect(shown.locator("button[name=add]")).to_have_text("Sold out")
    expect(shown.locator(".tile-left")).to_contain_text("Sold out")
    expect(tile(page, box["day"]).locator("button[name=add]")).to_be_enabled()


def test_the_last_unit_taken_by_another_till_after_the_page_was_shown_is_not_added(
    page: Page, other_page: Page, box: dict[str, Any]
):
    item = one_left(box, "Last balcony seat")
    orders = order_count(box)
    sign_in(page, box["till"])
    page.goto("/sell/")
    expect(tile(page, item).locator("button[name=add]")).to_be_enabled()

    sign_in(other_page, box["other_till"])
    other_page.goto("/sell/")
    tile(other_page, item).locator("button[name=add]").click()
    expect(other_page.locator(".line")).to_have_count(1)

    tile(page, item).locator("button[name=add]").click()  # the page still shows it available
    expect(page.locator(".notice-error")).to_contain_text("Last balcony seat")
    expect(page.locator(".line")).to_have_count(0)
    expect(tile(page, item).locator("button[name=add]")).to_be_disabled()
    assert order_count(box) == orders
    assert len(cart_positions(box, item)) == 1  # the other till's


def test_a_unit_whose_hold_ended_and_was_taken_elsewhere_is_named_at_payment_and_nothing_is_sold(
    page: Page, other_page: Page, box: dict[str, Any]
):
    item = one_left(box, "Last front-row seat")
    orders = order_count(box)
    sign_in(page, box["till"])
    page.goto("/sell/")
    tile(page, item).locator("button[name=add]").click()
    expect(page.locator(".line")).to_have_count(1)
    # The hold ends (as when it runs out; a real server's clock can't be moved), and the other till takes the unit.
    (held,) = cart_positions(box, item)
    deleted = box["api"].delete(f"{box['server'].url}{EVENT}/cartpositions/{held['id']}/")
    assert deleted.status_code == 204, deleted.text
    sign_in(other_page, box["other_till"])
    other_page.goto("/sell/")
    tile(other_page, item).locator("button[name=add]").click()
    expect(other_page.locator(".line")).to_have_count(1)

    page.locator("input[name^=name-]").fill("Grace Hopper")
    page.locator("button[name=pay][value=card]").click()
    expect(page.locator(".notice-error")).to_contain_text("Last front-row seat")
    expect(page.locator("#order-code")).to_have_count(0)
    expect(page.locator(".line")).to_have_count(1)
    assert order_count(box) == orders
    assert len(cart_positions(box, item)) == 1  # the other till's


def test_a_checkin_session_gets_a_403_page_on_the_sell_screen(page: Page, box: dict[str, Any]):
    sign_in(page, box["door"])
    for path in ("/sell/", "/sell/festival/"):
        response = page.goto(path)
        assert response is not None and response.status == 403
        assert response.headers["content-type"].startswith("text/html")
        expect(page.locator("#error")).to_have_attribute("data-status", "403")
        expect(page.locator("#error h1")).to_contain_text("Not allowed")
        expect(page.locator("#error")).to_contain_text("checkin scope of your token does not include this screen")


def test_the_sign_in_form_without_its_csrf_token_is_refused_with_a_400_page(page: Page, box: dict[str, Any]):
    page.goto("/")
    page.evaluate("() => document.querySelector('#signin-form input[name=csrf_token]').remove()")
    page.locator("#token").press_sequentially(box["door"])
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    response = navigation.value
    assert response is not None and response.status == 400
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator("#error")).to_have_attribute("data-status", "400")
    expect(page.locator("#error")).to_contain_text("This form was out of date")
    page.goto("/door/")
    expect(page.locator("#token")).to_be_visible()  # still signed out


def test_a_sell_post_with_the_session_but_without_its_csrf_token_is_refused(page: Page, box: dict[str, Any]):
    sign_in(page, box["till"])
    page.goto("/sell/")
    before = len(cart_positions(box))
    response = page.request.post(page.url, form={"add": str(box["day"])}, max_redirects=0)
    assert response.status == 400
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-status="400"' in response.text()
    assert len(cart_positions(box)) == before


def test_a_signed_out_browser_opening_the_door_signs_in_and_lands_on_the_door(page: Page, box: dict[str, Any]):
    page.goto("/door/")
    expect(page).to_have_url(re.compile(r"/\?next=(/|%2F)door(/|%2F)$"))
    expect(page.locator("#token")).to_be_focused()
    type_token(page, box["door"])
    expect(page).to_have_url(re.compile(r"/door/\d+/entry/$"))
    expect(page.locator("#scan")).to_be_focused()


def tap_without_csrf(page: Page, box: dict[str, Any]) -> None:
    """On the sell screen (its script sends the form with fetch), drop the form's CSRF token and tap a product."""
    sign_in(page, box["till"])
    page.goto("/sell/")
    before = len(cart_positions(box))
    page.evaluate("() => document.querySelector('#sell-form input[name=csrf_token]').remove()")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        tile(page, box["day"]).locator("button[name=add]").click()
    assert posted.value.status == 400
    assert posted.value.headers["content-type"].startswith("text/html")
    page.wait_for_load_state("networkidle")
    assert len(cart_positions(box)) == before


def test_a_sell_screen_tap_without_its_csrf_token_adds_nothing(page: Page, box: dict[str, Any]):
    tap_without_csrf(page, box)
    expect(page.locator(".line")).to_have_count(0)


def test_a_sell_screen_tap_without_its_csrf_token_shows_the_400_page(page: Page, box: dict[str, Any]):
    tap_without_csrf(page, box)
    expect(page.locator("#error")).to_have_attribute("data-status", "400", timeout=2000)


def page_in(browser: Browser, box: dict[str, Any], locale: str) -> Iterator[Page]:
    """A browser set to `locale`: Playwright sends it as Accept-Language, as a browser set to that language does."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=box["server"].url, locale=locale)
    yield context.new_page()
    context.close()


@pytest.fixture
def german_page(browser: Browser, box: dict[str, Any]) -> Iterator[Page]:
    yield from page_in(browser, box, "de-DE")


@pytest.fixture
def english_page(browser: Browser, box: dict[str, Any]) -> Iterator[Page]:
    yield from page_in(browser, box, "en-US")


def asked_for(response: Any) -> str:
    """The Accept-Language the browser sent with a response's request."""
    assert response is not None
    return response.request.header_value("accept-language") or ""


def shows_no_english(page: Page, *labels: str) -> None:
    """None of the English source texts `labels` is anywhere in the page's text, as a word or phrase of its own."""
    for label in labels:
        expect(page.locator("body")).not_to_contain_text(re.compile(rf"(?<!\w){re.escape(label)}(?!\w)"))


def paid_ticket(box: dict[str, Any], name: str) -> str:
    """A paid day ticket for `name` of its own (the box's ticket may be checked in already); returns its secret."""
    order = box["api"].post(
        f"{box['server'].url}{EVENT}/orders/",
        json={"status": "p", "payment_provider": "cash", "positions": [{"item": box["day"], "attendee_name": name}]},
    )
    assert order.status_code == 201, order.text
    return order.json()["positions"][0]["secret"]


def test_a_german_browser_gets_the_sign_in_page_in_german(german_page: Page):
    response = german_page.goto("/")
    assert asked_for(response).startswith("de-DE")
    expect(german_page.locator("html")).to_have_attribute("lang", "de")
    expect(german_page.locator("h1")).to_have_text("Anmelden")
    expect(german_page.locator("label[for=token]")).to_have_text("Token eintippen oder scannen")
    expect(german_page.locator("#signin-form button[type=submit]")).to_have_text("Anmelden")
    expect(german_page.locator("nav.languages [aria-current=true]")).to_have_text("Deutsch")
    expect(german_page.locator("nav.languages a")).to_have_text("English")
    shows_no_english(german_page, "Sign in", "Type or scan your token")


def test_a_german_browser_signed_in_works_the_door_in_german(german_page: Page, box: dict[str, Any]):
    secret = paid_ticket(box, "Emmy Noether")
    sign_in(german_page, box["door"])  # a check-in token has the door only, and lands on it
    expect(german_page).to_have_url(re.compile(r"/door/\d+/entry/$"))
    expect(german_page.locator("header a.tab")).to_have_text(["Einlass"])
    expect(german_page.locator("html")).to_have_attribute("lang", "de")
    expect(german_page.locator("label[for=scan]")).to_have_text("Einlass: Ticketcode scannen oder eintippen")
    expect(german_page.locator("#scan-form button[type=submit]")).to_have_text("Prüfen")
    expect(german_page.locator(".modes a")).to_have_text(["Einlass", "Auslass"])
    expect(german_page.locator("#counts dt")).to_have_text(["Anwesend", "Eingecheckt", "Erwartet"])
    expect(german_page.locator("#result")).to_have_text("Bereit. Ticket scannen.")
    expect(german_page.locator("form.signout button")).to_have_text("Abmelden")
    shows_no_english(
        german_page, "Entry", "Exit", "Check", "Inside", "Checked in", "Expected", "Ready. Scan a ticket.",
        "scan or type a ticket code", "Sign out",
    )

    expect(german_page.locator("#scan")).to_be_focused()
    scan(german_page, secret)
    expect(german_page.locator("#result")).to_have_attribute("data-result", "ok")
    expect(german_page.locator("#result .result-headline")).to_have_text("Gültig")
    expect(german_page.locator("#result .result-attendee")).to_have_text("Emmy Noether")
    scan(german_page, secret)
    expect(german_page.locator("#result")).to_have_attribute("data-result", "refused")
    expect(german_page.locator("#result .result-headline")).to_have_text("Bereits eingecheckt")
    scan(german_page, "NOSUCHTICKET")
    expect(german_page.locator("#result")).to_have_attribute("data-result", "unknown")
    expect(german_page.locator("#result .result-headline")).to_have_text("Unbekanntes Ticket")
    shows_no_english(german_page, "Valid", "Already checked in", "Unknown ticket")


def test_a_german_browser_signed_in_sells_in_german(german_page: Page, box: dict[str, Any]):
    sign_in(german_page, box["till"])
    german_page.goto("/sell/")
    expect(german_page.locator("html")).to_have_attribute("lang", "de")
    expect(german_page.locator("#cart h2")).to_have_text("Warenkorb")
    expect(german_page.locator(".total span")).to_have_text("Summe")
    expect(german_page.locator(".lines .empty")).to_have_text(
        "Tippen Sie auf ein Produkt, um einen Verkauf zu beginnen. Jedes Tippen reserviert ein Ticket."
    )
    day = tile(german_page, box["day"]).locator("button[name=add]")
    expect(day).to_have_text("+ Day ticket hinzufügen")
    shows_no_english(german_page, "Cart", "Total", "Tap a product to start a sale.", "Add Day ticket", "Sign out")

    day.click()
    expect(german_page.locator(".line")).to_have_count(1)
    expect(german_page.locator("#hold")).to_contain_text(re.compile(r"^Reserviert für (30:00|29:5\d)$"))
    expect(german_page.locator("label[for=given]")).to_have_text("Bar erhalten (EUR)")
    expect(german_page.locator("button[name=pay][value=cash]")).to_have_text("Bar bezahlt")
    expect(german_page.locator("button[name=pay][value=card]")).to_have_text(
        "Mit Karte bezahlt (Terminal hat bestätigt)"
    )
    german_page.locator("#given").fill("30")  # the change is written by the page's script, in the page's words
    expect(german_page.locator("#change")).to_have_text("Wechselgeld 5.00")
    shows_no_english(
        german_page, "Held for", "Cash given", "Paid in cash", "Paid by card", "terminal approved", "Change"
    )

    german_page.get_by_role("button", name="Day ticket entfernen").click()  # nothing left held for the next test
    expect(german_page.locator(".line")).to_have_count(0)


def test_the_header_switch_turns_an_english_browser_german_and_the_choice_stays(
    english_page: Page, box: dict[str, Any]
):
    response = english_page.goto("/")
    assert asked_for(response).startswith("en-US")
    expect(english_page.locator("h1")).to_have_text("Sign in")
    expect(english_page.locator("nav.languages [aria-current=true]")).to_have_text("English")

    english_page.locator("nav.languages").get_by_role("link", name="Deutsch").click()
    expect(english_page.locator("html")).to_have_attribute("lang", "de")
    expect(english_page.locator("h1")).to_have_text("Anmelden")
    expect(english_page.locator("label[for=token]")).to_have_text("Token eintippen oder scannen")
    expect(english_page.locator("nav.languages [aria-current=true]")).to_have_text("Deutsch")
    shows_no_english(english_page, "Sign in", "Type or scan your token")

    # The next pages, signed in, stay German though the browser still asks for English.
    type_token(english_page, box["door"])
    response = english_page.goto("/door/")
    assert asked_for(response).startswith("en-US")
    expect(english_page.locator("#scan-form button[type=submit]")).to_have_text("Prüfen")
    expect(english_page.locator("#result")).to_have_text("Bereit. Ticket scannen.")
    expect(english_page.locator("form.signout button")).to_have_text("Abmelden")
    shows_no_english(english_page, "Check", "Ready. Scan a ticket.", "Sign out")

    english_page.locator("nav.languages").get_by_role("link", name="English").click()
    expect(english_page.locator("html")).to_have_attribute("lang", "en")
    expect(english_page.locator("#scan-form button[type=submit]")).to_have_text("Check")
    expect(english_page.locator("#result")).to_have_text("Ready. Scan a ticket.")
