"""The orders screen: search, the detail of an order, reprinting tickets and receipts, taking a payment at the
counter, canceling after a confirmation, and who may do which."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from tests.helpers import EVENT_URL, ORGANIZER, created, make_token
from tests.ui_pages import form_field, sign_in

ORDERS = f"{EVENT_URL}/orders/"
SEARCH = "/orders/sampleconf/"
REDEEM = f"/api/v1/organizers/{ORGANIZER}/checkinrpc/redeem/"


@pytest.fixture
def shop(api) -> dict:
    """Berlin time, a ticket with a question and a parking add-on, a shirt in sizes, one quota, one list."""
    assert api.patch(f"{EVENT_URL}/", json={"timezone": "Europe/Berlin"}).status_code == 200
    ids = {}
    ids["ticket"] = created(
        api, f"{EVENT_URL}/items/", {"name": {"en": "Ticket"}, "default_price": "23.00", "admission": True}
    )["id"]
    shirt = created(
        api,
        f"{EVENT_URL}/items/",
        {"name": {"en": "Shirt"}, "default_price": "15.00", "variations": [{"value": {"en": "M"}}]},
    )
    ids["shirt"], ids["M"] = shirt["id"], shirt["variations"][0]["id"]
    ids["parking"] = created(api, f"{EVENT_URL}/items/", {"name": {"en": "Parking"}, "default_price": "8.00"})["id"]
    ids["quota"] = created(
        api,
        f"{EVENT_URL}/quotas/",
        {"name": "All", "size": 10, "items": [ids["ticket"], ids["shirt"], ids["parking"]], "variations": [ids["M"]]},
    )["id"]
    ids["diet"] = created(
        api, f"{EVENT_URL}/questions/", {"question": {"en": "Diet"}, "type": "S", "items": [ids["ticket"]]}
    )["id"]
    ids["list"] = created(api, f"{EVENT_URL}/checkinlists/", {"name": "Entrance"})["id"]
    return ids


@pytest.fixture
def orders(api, shop, clock) -> dict[str, dict]:
    """Ada's paid order (ticket with parking and an answer, checked in, and a shirt), then Grace's pending one,
    then Alan's paid one, a minute apart."""
    ada = created(
        api,
        ORDERS,
        {
            "status": "p",
            "payment_provider": "cash",
            "email": "ada@example.org",
            "positions": [
                {
                    "positionid": 1,
                    "item": shop["ticket"],
                    "attendee_name": "Ada Lovelace",
                    "answers": [{"question": shop["diet"], "answer": "Vegan"}],
                },
                {"positionid": 2, "item": shop["parking"], "addon_to": 1},
                {"positionid": 3, "item": shop["shirt"], "variation": shop["M"]},
            ],
        },
    )
    redeemed = api.post(REDEEM, json={"secret": ada["positions"][0]["secret"], "lists": [shop["list"]]})
    assert redeemed.get_json()["status"] == "ok"
    clock.advance(minutes=1)
    grace = created(
        api,
        ORDERS,
        {
            "email": "grace@example.org",
            "positions": [{"item": shop["ticket"], "attendee_name": "Grace Hopper"}],
        },
    )
    clock.advance(minutes=1)
    alan = created(
        api,
        ORDERS,
        {
            "status": "p",
            "payment_provider": "card",
            "email": "alan@example.org",
            "positions": [{"item": shop["ticket"], "attendee_name": "Alan Turing"}],
        },
    )
    return {"ada": ada, "grace": grace, "alan": alan}


@pytest.fixture
def counter(app, store):
    """A browser signed in with a box-office token."""
    browser = app.test_client()
    sign_in(browser, make_token(store, scope="boxoffice"))
    return browser


def text_of(response) -> str:
    """The page's words, tags taken out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def listed(response) -> list[str]:
    return re.findall(r'<tr data-order="([A-Z0-9]+)"', response.get_data(as_text=True))


def detail_url(order: dict) -> str:
    return f"{SEARCH}{order['code']}/"


def post(browser, order: dict, action: str, **data: str):
    """Send an action's form from the order's page, with its CSRF token."""
    page = browser.get(detail_url(order))
    return browser.post(f"{detail_url(order)}{action}", data={"csrf_token": form_field(page, "csrf_token"), **data})


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)


# ---------------------------------------------------------------------------------------------- search


def test_the_screen_opens_on_the_latest_orders_newest_first(counter, orders):
    response = counter.get("/orders/", follow_redirects=True)
    assert response.request.path == SEARCH
    assert listed(response) == [orders["alan"]["code"], orders["grace"]["code"], orders["ada"]["code"]]
    text = text_of(response)
    # Status in words, names, total, time in the event's zone (12:00 UTC is 13:00 in Berlin).
    assert "✓ Paid" in text and "Pending: not paid yet" in text
    assert "Ada Lovelace" in text and "46.00 EUR" in text and "Sun 1 Nov 2026, 13:00" in text
    assert 'autofocus' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "who"),
    [("Ada Lovelace", "ada"), ("lovelace", "ada"), ("grace@example.org", "grace"), ("Turing", "alan")],
)
def test_search_by_name_or_email_lists_that_order_only(counter, orders, query, who):
    response = counter.get(SEARCH, query_string={"q": query})
    assert response.status_code == 200
    assert listed(response) == [orders[who]["code"]]


@pytest.mark.parametrize("scanned", ["code", "lowercase code", "ticket secret", "add-on secret"])
def test_an_order_code_or_a_scanned_ticket_opens_its_order(counter, orders, scanned):
    ada = orders["ada"]
    query = {
        "code": ada["code"],
        "lowercase code": ada["code"].lower(),
        "ticket secret": ada["positions"][0]["secret"],
        "add-on secret": ada["positions"][1]["secret"],
    }[scanned]
    response = counter.get(SEARCH, query_string={"q": f" {query} "})
    assert response.status_code == 302 and response.headers["Location"] == detail_url(ada)
    page = text_of(counter.get(response.headers["Location"]))
    assert ada["code"] in page
    assert orders["grace"]["code"] not in page and "Grace Hopper" not in page


def test_a_search_that_finds_nothing_says_so(counter, orders):
    response = counter.get(SEARCH, query_string={"q": "Nobody Here"})
    assert response.status_code == 200 and listed(response) == []
    assert "No order matches “Nobody Here”" in text_of(response)


def test_with_several_events_the_screen_asks_which(counter, orders, api):
    created(api, "/api/v1/organizers/bigevents/events/", {"name": {"en": "Second Day"}, "slug": "daytwo",
                                                          "date_from": "2027-01-01T10:00:00Z"})
    response = counter.get("/orders/")
    assert response.status_code == 200
    text = text_of(response)
    assert "Sample Conference" in text and "Second Day" in text
    assert listed(counter.get("/orders/daytwo/")) == []
    assert counter.get("/orders/nosuchevent/").status_code == 404


# ---------------------------------------------------------------------------------------------- detail


def test_the_detail_shows_positions_add_ons_answers_and_check_ins(counter, orders):
    ada = orders["ada"]
    response = counter.get(detail_url(ada))
    body, text = response.get_data(as_text=True), text_of(response)
    assert f"Order {ada['code']} ✓ Paid" in text and 'data-status="paid"' in body
    # The add-on is nested in its main position, the shirt is a main position of its own.
    ticket, parking, shirt = (body.index(f'data-position="{n}"') for n in (1, 2, 3))
    assert ticket < parking < shirt
    assert 'class="addons"' in body[ticket:parking] and "</div> </div>" in re.sub(r"\s+", " ", body[parking:shirt])
    assert "Ticket 23.00 EUR Ada Lovelace" in text
    assert "+ Add-on: Parking 8.00 EUR" in text
    assert "Shirt – M 15.00 EUR No ticket for this product: nothing to check in." in text
    assert "Diet Vegan" in text
    assert "✓ Checked in Sun 1 Nov 2026, 13:00, list “Entrance”" in text
    # Payment, fees, total.
    assert "Cash: 46.00 EUR received, Sun 1 Nov 2026, 13:00" in text
    assert "Total 46.00 EUR" in text


def test_a_ticket_not_yet_checked_in_says_so(counter, orders):
    text = text_of(counter.get(detail_url(orders["alan"])))
    assert "Not checked in yet" in text and "Card: 23.00 EUR received" in text


def test_an_unknown_order_is_a_404_page(counter, orders):
    response = counter.get(f"{SEARCH}ZZZZZ/")
    assert response.status_code == 404 and "This event has no order “ZZZZZ”." in text_of(response)


# ---------------------------------------------------------------------------------------------- reprints


def test_reprinting_the_tickets_gives_the_order_s_pdf(counter, orders, api):
    ada = orders["ada"]
    response = post(counter, ada, "tickets.pdf")
    text = pdf_text(response)
    assert ada["code"] in text and "Ada Lovelace" in text and "Ticket" in text
    # The same tickets the API downloads.
    assert api.get(f"{ORDERS}{ada['code']}/download/pdf/").data == response.data


def test_reprinting_the_receipt_gives_an_80_mm_pdf(counter, orders):
    alan = orders["alan"]
    response = post(counter, alan, "receipt.pdf")
    text = pdf_text(response)
    page = pypdf.PdfReader(io.BytesIO(response.data)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 80
    assert f"Order {alan['code']}" in text and "Card" in text and "23.00 EUR" in text


def test_a_pending_order_has_no_tickets_to_print(counter, orders):
    grace = orders["grace"]
    page = text_of(counter.get(detail_url(grace)))
    assert "Print tickets" not in page and "Tickets print once the order is paid." in page
    response = post(counter, grace, "tickets.pdf")
    assert response.status_code == 403
    assert "Not done: Tickets can only be downloaded for paid orders." in text_of(response)
    response = post(counter, grace, "receipt.pdf")
    assert response.status_code == 400 and "A receipt is printed for paid orders only." in text_of(response)


# ---------------------------------------------------------------------------------------------- changes


@pytest.mark.parametrize("provider", ["cash", "card"])
def test_marking_a_pending_order_paid_records_cash_or_card(counter, orders, api, provider):
    grace = orders["grace"]
    response = post(counter, grace, "paid", provider=provider)
    assert response.status_code == 302 and response.headers["Location"] == detail_url(grace)
    page = text_of(counter.get(detail_url(grace)))
    assert f"Order {grace['code']} is paid {'in cash' if provider == 'cash' else 'by card'}." in page
    assert f"Order {grace['code']} ✓ Paid" in page and "Print tickets (1)" in page
    body = api.get(f"{ORDERS}{grace['code']}/").get_json()
    assert (body["status"], body["payment_provider"]) == ("p", provider)
    assert [p["state"] for p in body["payments"]] == ["confirmed"]


def test_cash_at_the_counter_replaces_an_open_bank_transfer(counter, orders, api, shop):
    order = created(api, ORDERS, {"payment_provider": "banktransfer", "positions": [{"item": shop["ticket"]}]})
    assert post(counter, order, "paid", provider="cash").status_code == 302
    body = api.get(f"{ORDERS}{order['code']}/").get_json()
    payments = [(p["provider"], p["state"]) for p in body["payments"]]
    assert payments == [("banktransfer", "canceled"), ("cash", "confirmed")]
    assert (body["status"], body["payment_provider"]) == ("p", "cash")


def test_marking_a_paid_order_paid_again_is_a_message(counter, orders, api):
    grace = orders["grace"]
    assert post(counter, grace, "paid", provider="cash").status_code == 302
    response = post(counter, grace, "paid", provider="card")
    assert response.status_code == 400
    assert "Not done: Only pending or expired orders can be marked as paid." in text_of(response)
    assert api.get(f"{ORDERS}{grace['code']}/").get_json()["payment_provider"] == "cash"


def test_paying_needs_cash_or_card(counter, orders, api):
    response = post(counter, orders["grace"], "paid", provider="voucher")
    assert response.status_code == 400
    assert api.get(f"{ORDERS}{orders['grace']['code']}/").get_json()["status"] == "n"


def available(api, shop) -> int:
    return api.get(f"{EVENT_URL}/quotas/{shop['quota']}/availability/").get_json()["available_number"]


def test_canceling_asks_first_then_frees_the_quota(counter, orders, api, shop):
    ada = orders["ada"]
    before = available(api, shop)
    confirm = counter.get(f"{detail_url(ada)}cancel")
    assert confirm.status_code == 200
    text = text_of(confirm)
    assert f"Cancel order {ada['code']}?" in text
    assert "stop working" in text and "quota is freed" in text and "no money is paid back" in text
    # The form of the order's page alone does not cancel: only the confirmation's `confirm` does.
    unconfirmed = post(counter, ada, "cancel")
    assert unconfirmed.status_code == 200 and "Yes, cancel order" in text_of(unconfirmed)
    assert api.get(f"{ORDERS}{ada['code']}/").get_json()["status"] == "p"

    response = counter.post(
        f"{detail_url(ada)}cancel", data={"csrf_token": form_field(confirm, "csrf_token"), "confirm": "yes"}
    )
    assert response.status_code == 302
    page = text_of(counter.get(detail_url(ada)))
    assert f"Order {ada['code']} is canceled" in page and f"Order {ada['code']} ✕ Canceled" in page
    assert "Cancel order…" not in page and "Print tickets" not in page and "Canceled orders have no tickets." in page
    assert api.get(f"{ORDERS}{ada['code']}/").get_json()["status"] == "c"
    assert available(api, shop) == before + 3
    # The ticket no longer passes the door.
    redeemed = api.post(REDEEM, json={"secret": ada["positions"][0]["secret"], "lists": [shop["list"]]})
    assert redeemed.get_json()["reason"] == "canceled"


def test_canceling_a_canceled_order_is_a_message(counter, orders):
    grace = orders["grace"]
    assert post(counter, grace, "cancel", confirm="yes").status_code == 302
    response = post(counter, grace, "cancel", confirm="yes")
    assert response.status_code == 400
    assert "Not done: Only pending, paid or expired orders can be canceled." in text_of(response)
    again = counter.get(f"{detail_url(grace)}cancel", follow_redirects=True)
    assert "cannot be canceled" in text_of(again)


# ---------------------------------------------------------------------------------------------- who may


def test_a_checkin_token_gets_a_403_page(app, store, orders):
    browser = app.test_client()
    sign_in(browser, make_token(store, scope="checkin"))
    assert "Orders" not in text_of(browser.get("/door/"))
    for url in ("/orders/", SEARCH, detail_url(orders["grace"])):
        response = browser.get(url)
        assert response.status_code == 403 and 'id="error"' in response.get_data(as_text=True), url
    page = browser.get("/")
    response = browser.post(
        f"{detail_url(orders['grace'])}paid", data={"csrf_token": form_field(page, "csrf_token"), "provider": "cash"}
    )
    assert response.status_code == 403


def test_the_orders_tab_is_in_the_header_for_the_box_office(counter, orders):
    body = counter.get(SEARCH).get_data(as_text=True)
    assert '<a class="tab" href="/orders/" aria-current="page">Orders</a>' in body
    assert 'href="/door/"' not in body


def test_a_post_without_csrf_token_is_refused(counter, orders, api):
    grace = orders["grace"]
    for action, data in (("paid", {"provider": "cash"}), ("cancel", {"confirm": "yes"}), ("tickets.pdf", {})):
        response = counter.post(f"{detail_url(grace)}{action}", data=data)
        assert response.status_code == 400, action
    assert api.get(f"{ORDERS}{grace['code']}/").get_json()["status"] == "n"


def test_a_signed_out_browser_goes_to_sign_in(app, orders):
    response = app.test_client().get(detail_url(orders["ada"]))
    assert response.status_code == 302 and response.headers["Location"].startswith("/?next=")
