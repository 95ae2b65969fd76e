"""The screens in German: the browser's Accept-Language chooses (English unless it asks for German), the
header's switch overrides it for the session, and the German catalog translates every text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import kiosk_tickets
from tests.helpers import EVENT, EVENT_URL, created, make_token
from tests.ui_pages import form_field, result_of, sign_in

CATALOG = Path(kiosk_tickets.__file__).parent / "ui" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def browser_in(app, environ: dict[str, str] | None = None):
    browser = app.test_client()
    browser.environ_base.update(environ or {})
    return browser


@pytest.fixture
def shop(api) -> dict:
    """Berlin time, a ticket and a shirt in two sizes, one check-in list, and Ada's paid ticket."""
    assert api.patch(f"{EVENT_URL}/", json={"timezone": "Europe/Berlin"}).status_code == 200
    ids = {
        "ticket": created(
            api, f"{EVENT_URL}/items/", {"name": {"en": "Ticket"}, "default_price": "23.00", "admission": True}
        )["id"]
    }
    shirt = created(
        api,
        f"{EVENT_URL}/items/",
        {
            "name": {"en": "Shirt"},
            "default_price": "15.00",
            "variations": [{"value": {"en": "M"}}, {"value": {"en": "L"}}],
        },
    )
    ids["shirt"] = shirt["id"]
    created(
        api,
        f"{EVENT_URL}/quotas/",
        {
            "name": "All",
            "size": 100,
            "items": [ids["ticket"], ids["shirt"]],
            "variations": [v["id"] for v in shirt["variations"]],
        },
    )
    ids["list"] = created(api, f"{EVENT_URL}/checkinlists/", {"name": "Entrance"})["id"]
    order = created(
        api,
        f"{EVENT_URL}/orders/",
        {
            "status": "p",
            "payment_provider": "cash",
            "email": "ada@example.org",
            "positions": [{"positionid": 1, "item": ids["ticket"], "attendee_name": "Ada Lovelace"}],
        },
    )
    ids["code"], ids["secret"] = order["code"], order["positions"][0]["secret"]
    return ids


def scan(browser, list_id: int, code: str):
    url = f"/door/{list_id}/entry/"
    page = browser.get(url)
    data = {"csrf_token": form_field(page, "csrf_token"), "nonce": form_field(page, "nonce"), "code": code}
    return browser.post(url, data=data)


def test_english_is_the_default(app):
    for environ in ({}, {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}):
        text = text_of(browser_in(app, environ).get("/"))
        assert '<html lang="en">' in text
        assert "<h1>Sign in</h1>" in text and "Type or scan your token" in text


def test_the_sign_in_page_in_german(app, store):
    browser = browser_in(app, GERMAN)
    text = text_of(browser.get("/"))
    assert '<html lang="de">' in text
    assert "<h1>Anmelden</h1>" in text and "Token eintippen oder scannen" in text and "Sign in" not in text
    refused = text_of(browser.post("/", data={"csrf_token": form_field(browser.get("/"), "csrf_token"), "token": "x"}))
    assert "Dieses Token ist ungültig oder wurde widerrufen." in refused


def test_the_door_answers_in_german(app, store, shop, clock):
    browser = browser_in(app, GERMAN)
    sign_in(browser, make_token(store, scope="checkin"))
    page = text_of(browser.get(f"/door/{shop['list']}/entry/"))
    assert "Einlass: Ticketcode scannen oder eintippen" in page and "Bereit. Ticket scannen." in page
    assert ">Einlass</a>" in page and "Abmelden" in page

    valid = scan(browser, shop["list"], shop["secret"])
    assert result_of(valid) == "ok"
    assert "Gültig" in text_of(valid) and "Ada Lovelace" in text_of(valid)

    clock.advance(minutes=5)
    again = scan(browser, shop["list"], shop["secret"])
    text = text_of(again)
    assert result_of(again) == "refused"
    assert "Bereits eingecheckt" in text
    # 12:00 UTC is 13:00 in Berlin: the event's time zone, in German words.
    assert "Eingecheckt um 13:00 Uhr am So. 1. Nov. 2026 (Europe/Berlin), Liste „Entrance“." in text

    unknown = scan(browser, shop["list"], "nosuchticket")
    assert result_of(unknown) == "unknown"
    assert "Unbekanntes Ticket" in text_of(unknown) and "„nosuchticket“" in text_of(unknown)


def test_the_sell_page_s_buttons_in_german(app, store, shop):
    browser = browser_in(app, GERMAN)
    sign_in(browser, make_token(store, scope="boxoffice"))
    sell = f"/sell/{EVENT}/"
    text = text_of(browser.get(sell))
    assert "+ Ticket hinzufügen" in text and "Warenkorb" in text and "Summe" in text
    assert "noch 99" in text  # Ada holds one of the 100
    page = browser.post(
        sell, data={"csrf_token": form_field(browser.get(sell), "csrf_token"), "add": str(shop["ticket"])}
    )
    text = text_of(browser.get(sell) if page.status_code in (302, 303) else page)
    for label in ("Bar bezahlt", "Mit Karte bezahlt", "Bar erhalten (EUR)", "Reserviert für", "Wechselgeld"):
        assert label in text, label
    assert "Paid in cash" not in text


def test_the_orders_page_in_german(app, store, shop):
    browser = browser_in(app, GERMAN)
    sign_in(browser, make_token(store, scope="boxoffice"))
    search = text_of(browser.get(f"/orders/{EVENT}/"))
    assert "Neueste Bestellungen" in search and ">Bestellung</th>" in search and "Bezahlt" in search
    detail = text_of(browser.get(f"/orders/{EVENT}/{shop['code']}/"))
    for label in ("Andere Bestellung suchen", "Positionen", "Noch nicht eingecheckt", "Tickets drucken (1)"):
        assert label in detail, label
    assert "Bar: 23.00 EUR eingegangen" in detail
    found = text_of(browser.get(f"/orders/{EVENT}/?q=Lovelace"))
    assert "1 Bestellung zu „Lovelace“ gefunden" in found


def test_the_overview_in_german(app, store, shop):
    browser = browser_in(app, GERMAN)
    sign_in(browser, make_token(store, scope="admin"))
    overview = text_of(browser.get(f"/overview/{EVENT}/"))
    for label in ("Übersicht", "Heute,", "Je Kasse", "Zahlungen nach Zahlungsart", "Tagesabschluss (PDF)",
                  "Ganze Veranstaltung", "Noch im Verkauf (Kontingente, jetzt)"):
        assert label in overview, label


def test_the_header_switch_sets_german_and_back(app, store):
    browser = browser_in(app)
    english = text_of(browser.get("/"))
    assert (
        'href="/language/de?next=/"' in english and '<strong lang="en" aria-current="true">English</strong>' in english
    )
    switched = browser.get("/language/de?next=/")
    assert switched.status_code == 302 and switched.headers["Location"] == "/"
    assert "<h1>Anmelden</h1>" in text_of(browser.get("/"))
    # The choice outlasts signing in and out, and wins over the browser's Accept-Language.
    sign_in(browser, make_token(store, scope="boxoffice"))
    assert "Abmelden" in text_of(browser.get("/", headers={"Accept-Language": "en"}))
    browser.get("/language/en?next=/")
    assert "<h1>Screens</h1>" in text_of(browser.get("/", headers={"Accept-Language": "de"}))


def test_the_switch_goes_back_only_to_pages_of_this_site(app):
    browser = browser_in(app)
    assert browser.get("/language/de?next=https://example.org/").headers["Location"] == "/"
    assert browser.get("/language/xx?next=/").status_code == 302
    assert "<h1>Anmelden</h1>" in text_of(browser.get("/"))


def test_the_api_stays_english(app, token):
    response = app.test_client().get(
        "/api/v1/organizers/", headers={"Accept-Language": "de", "Authorization": "Token nosuchtoken"}
    )
    assert response.status_code == 401 and response.is_json
    assert "Anmeld" not in response.get_data(as_text=True)


def test_every_message_has_a_german_translation():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    assert not catalog.fuzzy
    messages = [message for message in catalog if message.id]
    assert len(messages) > 150
    for message in messages:
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert strings and all(strings), message.id
    assert CATALOG.with_suffix(".mo").is_file()


def test_the_compiled_catalog_matches_the_po():
    with CATALOG.open("rb") as handle:
        source = read_po(handle, locale="de")
    with CATALOG.with_suffix(".mo").open("rb") as handle:
        compiled = read_mo(handle)
    def pairs(catalog) -> dict:
        def key(value):
            return tuple(value) if isinstance(value, (list, tuple)) else value

        return {key(m.id): key(m.string) for m in catalog if m.id}

    assert pairs(compiled) == pairs(source)
