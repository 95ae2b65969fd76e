"""The sell screen: tiles with live availability, a cart that holds quota from the first tap, payment that
turns the cart into a paid order in one transaction, and the tickets and receipt of the sale."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from tests.helpers import EVENT, EVENT_URL, created, make_token
from tests.ui_pages import form_field, sign_in

SELL = f"/sell/{EVENT}/"


@pytest.fixture
def shop(api) -> dict:
    """A pass in two variations with a workshop add-on, a sold-out backstage tour, a last seat, 19 % VAT."""
    vat = created(api, f"{EVENT_URL}/taxrules/", {"name": {"en": "VAT"}, "rate": "19.00"})
    workshops = created(api, f"{EVENT_URL}/categories/", {"name": {"en": "Workshops"}, "is_addon": True})
    ids = {}
    ids["workshop"] = created(
        api,
        f"{EVENT_URL}/items/",
        {"name": {"en": "Drumming"}, "default_price": "5.00", "category": workshops["id"], "tax_rule": vat["id"]},
    )["id"]
    festival_pass = created(
        api,
        f"{EVENT_URL}/items/",
        {
            "name": {"en": "Festival pass"},
            "default_price": "20.00",
            "admission": True,
            "tax_rule": vat["id"],
            "variations": [{"value": {"en": "Adult"}}, {"value": {"en": "Child"}, "default_price": "12.00"}],
            "addons": [{"addon_category": workshops["id"], "min_count": 0, "max_count": 1}],
        },
    )
    ids["pass"] = festival_pass["id"]
    ids["adult"], ids["child"] = (v["id"] for v in festival_pass["variations"])
    ids["backstage"] = created(
        api, f"{EVENT_URL}/items/", {"name": {"en": "Backstage tour"}, "default_price": "9.00", "admission": True}
    )["id"]
    ids["seat"] = created(
        api, f"{EVENT_URL}/items/", {"name": {"en": "Last seat"}, "default_price": "30.00", "admission": True}
    )["id"]
    created(
        api,
        f"{EVENT_URL}/quotas/",
        {
            "name": "Passes",
            "size": 100,
            "items": [ids["pass"], ids["workshop"]],
            "variations": [ids["adult"], ids["child"]],
        },
    )
    created(api, f"{EVENT_URL}/quotas/", {"name": "Backstage", "size": 0, "items": [ids["backstage"]]})
    created(api, f"{EVENT_URL}/quotas/", {"name": "Seat", "size": 1, "items": [ids["seat"]]})
    return ids


def cashier(app, store):
    browser = app.test_client()
    sign_in(browser, make_token(store, scope="boxoffice"))
    return browser


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def press(browser, **fields):
    """Send the sell form as the page holds it (CSRF token and what was typed) with one button pressed."""
    page = browser.get(SELL)
    data = {"csrf_token": form_field(page, "csrf_token"), **{k.replace("_", "-"): v for k, v in fields.items()}}
    return browser.post(SELL, data=data, follow_redirects=True)


def name_fields(page) -> list[str]:
    return re.findall(r'name="(name-\d+)"', page.get_data(as_text=True))


def test_a_cash_sale_of_two_passes_with_an_add_on_gives_change_tickets_and_receipt(app, store, api, shop):
    browser = cashier(app, store)
    assert browser.get("/sell/").headers["Location"].endswith(SELL)
    page = browser.get(SELL)
    assert page.status_code == 200
    assert "100 left" in text_of(page)

    press(browser, add=f"{shop['pass']}:{shop['adult']}", **{f"addon_{shop['pass']}": str(shop["workshop"])})
    page = press(browser, add=f"{shop['pass']}:{shop['child']}")
    text = text_of(page)
    assert "Festival pass – Adult" in text and "+ Drumming" in text and "Festival pass – Child" in text
    assert "37.00 EUR" in text and "incl. 19 % VAT 5.91" in text
    assert re.search(r'id="countdown">30:00<', text)
    names = name_fields(page)
    assert len(names) == 2  # the passes ask for names; the workshop is no admission

    # The units are held at once, in the browser's own cart on the box-office channel.
    with store.transaction() as tx:
        held = [dict(p) for p in tx.find("cartpositions")]
    assert len(held) == 3 and {p["sales_channel"] for p in held} == {"box_office"}
    assert len({p["cart_id"] for p in held}) == 1 and held[0]["cart_id"].endswith("@api")

    done = press(browser, pay="cash", given="50.00", **{names[0]: "Ada Lovelace", names[1]: "Grace Hopper"})
    text = text_of(done)
    code = re.search(r'id="order-code">([A-Z0-9]+)<', text).group(1)
    assert "Change <strong>13.00</strong>" in text and "Paid · Cash" in text

    order = api.get(f"{EVENT_URL}/orders/{code}/").get_json()
    assert order["status"] == "p" and order["sales_channel"] == "box_office"
    assert order["payment_provider"] == "cash" and order["total"] == "37.00"
    assert "sold_by" not in order
    assert [p["attendee_name"] for p in order["positions"]] == ["Ada Lovelace", None, "Grace Hopper"]
    assert order["positions"][1]["addon_to"] == order["positions"][0]["id"]
    assert api.get(f"{EVENT_URL}/cartpositions/").get_json()["count"] == 0
    with store.transaction() as tx:
        stored = tx.find_one("orders", code=code)
        token = tx.get("api_tokens", stored["sold_by"])
    assert token["scope"] == "boxoffice"

    tickets = browser.get(f"{SELL}sold/{code}/tickets.pdf")
    assert tickets.content_type == "application/pdf"
    assert tickets.headers["Content-Disposition"].startswith("inline")
    pages = pypdf.PdfReader(io.BytesIO(tickets.data)).pages
    ticket_text = " ".join(p.extract_text() for p in pages)
    assert len(pages) == 2 and code in ticket_text
    assert "Ada Lovelace" in ticket_text and "Grace Hopper" in ticket_text

    receipt = browser.get(f"{SELL}sold/{code}/receipt.pdf")
    assert receipt.headers["Content-Disposition"].startswith("inline")
    receipt_text = pypdf.PdfReader(io.BytesIO(receipt.data)).pages[0].extract_text()
    for expected in (code, "Festival pass – Adult", "Drumming", "37.00", "Given", "50.00", "Change", "13.00", "Cash"):
        assert expected in receipt_text


def test_the_screen_starts_a_new_cart_after_a_sale_and_a_second_send_sells_nothing_more(app, store, api, shop):
    browser = cashier(app, store)
    press(browser, add=str(shop["seat"]))
    page = browser.get(SELL)
    data = {"csrf_token": form_field(page, "csrf_token"), "pay": "card"}
    before = browser.get_cookie("session").value
    first = browser.post(SELL, data=data)
    # The same form again with the same cookie, as a double tap without JS sends it before the answer came.
    browser.set_cookie("session", before)
    again = browser.post(SELL, data=data)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert api.get(f"{EVENT_URL}/orders/").get_json()["count"] == 1
    assert "Tap a product to start a sale" in text_of(browser.get(SELL))


def test_a_sold_out_tile_is_disabled_and_says_so(app, store, shop):
    text = text_of(cashier(app, store).get(SELL))
    tile = re.search(rf'<article class="tile sold-out" data-item="{shop["backstage"]}">.*?</article>', text)
    assert tile is not None
    assert "Sold out" in tile.group(0)
    assert re.search(
        rf'<button type="submit" name="add" value="{shop["backstage"]}" class="add primary" formnovalidate disabled>',
        tile.group(0),
    )


def test_a_unit_taken_by_another_till_is_named_at_payment_and_nothing_is_sold(app, store, api, clock, shop):
    first = cashier(app, store)
    shown = first.get(SELL)
    assert "1 left" in text_of(shown)
    press(first, add=str(shop["seat"]))
    clock.advance(minutes=31)  # the hold runs out while the customer looks for money
    second = cashier(app, store)
    assert "Last seat" in text_of(press(second, add=str(shop["seat"])))

    refused = press(first, pay="cash", given="50")
    text = text_of(refused)
    assert "Sold out meanwhile: Last seat" in text and "Nothing was sold" in text
    assert 'id="order-code"' not in text
    with store.transaction() as tx:
        assert tx.find("orders") == [] and tx.find("orderpositions") == []
        assert len(tx.find("cartpositions")) == 1  # the other till's
    assert api.get(f"{EVENT_URL}/orders/").get_json()["count"] == 0


def test_removing_a_line_frees_its_unit(app, store, api, shop):
    browser = cashier(app, store)
    page = press(browser, add=str(shop["seat"]))
    assert re.search(rf'data-item="{shop["seat"]}">.*?Sold out', text_of(page))
    line = re.search(r'name="remove" value="(\d+)"', page.get_data(as_text=True)).group(1)
    page = press(browser, remove=line)
    assert "1 left" in text_of(page)
    assert api.get(f"{EVENT_URL}/cartpositions/").get_json()["count"] == 0


def test_a_checkin_token_gets_a_403_page(app, store, shop):
    browser = app.test_client()
    sign_in(browser, make_token(store, scope="checkin"))
    response = browser.get("/sell/")
    assert response.status_code == 403 and response.content_type.startswith("text/html")
    assert browser.get(SELL).status_code == 403
