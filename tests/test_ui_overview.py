"""The overview screen: the figures of the day and of the event for admins, the close-the-day report as PDF and
CSV, and a 403 page for the till's tokens (sales from tests/overview_sales.py)."""

from __future__ import annotations

import csv
import io
import re

import pypdf
import pytest

from tests.helpers import EVENT, make_token
from tests.overview_sales import a_day_of_sales, named_token
from tests.ui_pages import sign_in

OVERVIEW = f"/overview/{EVENT}/"


@pytest.fixture
def sales(app, store, api, clock):
    return a_day_of_sales(app, store, api, clock)


@pytest.fixture
def organizer(app, store, api):
    """An admin signed in now (after the sales, when a test asks for them first)."""
    browser = app.test_client()
    sign_in(browser, named_token(store, "Organizer", scope="admin"))
    return browser


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_admin_sees_the_day_and_the_event(sales, organizer):
    assert organizer.get("/overview/").headers["Location"].endswith(OVERVIEW)
    page = organizer.get(OVERVIEW + "?day=2026-11-01")
    assert page.status_code == 200
    text = text_of(page)
    assert "Sunday 1 November 2026" in text and "Europe/Berlin" in text
    assert "Cash expected in the drawers 30.00 EUR" in text
    assert "Counter 1 2 20.00 30.00 – 30.00" in text
    assert "Counter 2 0 0.00 15.00 15.00 0.00" in text
    assert "All cashiers 2 20.00 45.00 15.00 30.00" in text
    assert "Cash 2 45.00" in text and "Card 1 20.00" in text and "Total 3 65.00" in text
    assert "Day ticket 2 30.00" in text and "T-shirt 1 20.00" in text
    assert f"{sales.codes['C']} Whole order 15.00 15.00 (cash)" in text
    # The whole event, and the quotas as they are now.
    assert "Day ticket 3 45.00" in text and "Cash, all days 45.00 EUR" in text
    assert "Day tickets 50 46" in text and "Shirts 1 sold out" in text
    # Two charts drawn on the server: check-ins per quarter hour, orders per hour.
    body = page.get_data(as_text=True)
    assert body.count("<svg") == 2 and body.count('class="ov-bar"') == 8 + 6
    assert "Check-ins per 15 minutes (2 this day)" in text and "Orders per hour (4 this day)" in text
    assert "<title>13:00: 3 orders</title>" in body


def test_today_is_the_event_s_day_by_default(sales, organizer):
    text = text_of(organizer.get(OVERVIEW))
    assert "Today, Monday 2 November 2026" in text and "Cash expected in the drawers 15.00 EUR" in text
    assert "Nothing yet on this day." in text  # no check-ins on the second day


def test_the_till_s_token_gets_a_403_page_and_no_tab(app, store, api):
    browser = app.test_client()
    sign_in(browser, make_token(store, scope="boxoffice"))
    refused = browser.get(OVERVIEW)
    assert refused.status_code == 403 and "does not include this screen" in text_of(refused)
    assert browser.get(f"{OVERVIEW}report.csv?day=2026-11-01").status_code == 403
    assert 'href="/overview/"' not in browser.get(f"/sell/{EVENT}/").get_data(as_text=True)


def test_a_bad_day_is_a_400_page(organizer, api):
    assert organizer.get(OVERVIEW + "?day=yesterday").status_code == 400


def test_the_close_the_day_pdf(sales, organizer):
    response = organizer.get(f"{OVERVIEW}report.pdf?day=2026-11-01")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert "Close of day: Sample Conference" in text
    assert "Day: Sunday 1 November 2026" in text and "Printed: 2026-11-02 10:00 (Europe/Berlin)" in text
    assert "Expected cash 30.00 EUR" in text
    assert "Day ticket 2 30.00" in text and "T-shirt 1 20.00" in text
    assert "Cash 2 45.00" in text and "Total received 3 65.00" in text
    assert "Counter 1 2 50.00 20.00 30.00 0.00 30.00" in text
    assert f"{sales.codes['C']} Whole order 15.00 15.00 Cash Counter 2 14:10" in text


def test_the_close_the_day_csv(sales, organizer):
    response = organizer.get(f"{OVERVIEW}report.csv?day=2026-11-01")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Close of day", "Sample Conference", "2026-11-01", "EUR"]
    assert ["Expected cash", "30.00"] in rows
    at = rows.index(["Sales per product (paid orders placed this day)"])
    assert rows[at + 1 : at + 5] == [
        ["Product", "Sold", "Amount"], ["Day ticket", "2", "30.00"], ["T-shirt", "1", "20.00"], ["Total", "3", "50.00"]
    ]
    at = rows.index(["Per cashier"])
    assert rows[at + 1 : at + 5] == [
        ["Cashier", "Orders", "Sold", "Card", "Cash in", "Cash back", "Expected cash"],
        ["Counter 1", "2", "50.00", "20.00", "30.00", "0.00", "30.00"],
        ["Counter 2", "0", "0.00", "0.00", "15.00", "15.00", "0.00"],
        ["All", "2", "50.00", "20.00", "45.00", "15.00", "30.00"],
    ]
    assert [sales.codes["C"], "Whole order", "15.00", "15.00", "Cash", "Counter 2", "14:10"] in rows


def test_an_event_pulled_from_a_central_shows_where_it_stands_with_it(app, store, api, organizer):
    with store.transaction() as tx:
        event = tx.find_one("events", slug=EVENT)
        tx.insert(
            "sync_state",
            {
                "organizer": event["organizer"], "event_slug": EVENT, "event": event["id"],
                "central": "https://pretix.example.org/", "catalog_last_modified": {}, "orders_cursor": None,
                "last_pull": "2026-11-01T11:00:00Z",
            },
        )
    shown = text_of(organizer.get(OVERVIEW + "?day=2026-11-01"))
    assert "Central pretix https://pretix.example.org/" in shown
    assert "Last pull: 2026-11-01T11:00:00Z Last push: never" in shown
    assert "Waiting to be pushed: 0 orders, 0 check-ins, 0 cancellations" in shown


def test_an_event_of_the_box_s_own_has_no_central_panel(app, store, api, organizer):
    assert "Central pretix" not in text_of(organizer.get(OVERVIEW + "?day=2026-11-01"))
