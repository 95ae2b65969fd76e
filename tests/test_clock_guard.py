"""The clock guard: a system clock set back behind what the store recorded (a box booted without network and
without a battery-backed clock) is told in the log, on the overview and by `check`, and never dates anything
before what was recorded; carts and payment deadlines are judged by the later time."""

from __future__ import annotations

import logging
import re
from datetime import UTC, timedelta, timezone

import pytest

from kiosk_tickets import clock_sync
from kiosk_tickets.cli import main
from kiosk_tickets.isotime import format_datetime
from kiosk_tickets.services import clock_guard
from tests.helpers import EVENT, EVENT_URL, START, Clock, created, make_token, open_store
from tests.ui_pages import sign_in

ORDERS = f"{EVENT_URL}/orders/"
CARTS = f"{EVENT_URL}/cartpositions/"
BEHIND = (
    "clock behind: the system clock (2026-11-01T10:00:00Z) is behind the newest time the store recorded "
    "(2026-11-01T12:30:00Z) by 2 hour(s) 30 minute(s); until it is set right, sales, payments and check-ins are "
    "dated at that newest time and carts and payment deadlines are judged by it. Connect the box to a network "
    "with a time server, or set its clock."
)


@pytest.fixture
def ticket(api) -> dict[str, int]:
    """A product with a quota of two."""
    item = created(api, f"{EVENT_URL}/items/", {"name": {"en": "Ticket"}, "default_price": "10.00"})
    quota = created(api, f"{EVENT_URL}/quotas/", {"name": "Tickets", "size": 2, "items": [item["id"]]})
    return {"item": item["id"], "quota": quota["id"]}


def sell(api, ticket, **fields) -> dict:
    return created(api, ORDERS, {"positions": [{"item": ticket["item"]}], **fields})


def availability(api, ticket) -> tuple[int, int]:
    report = api.get(f"{EVENT_URL}/quotas/{ticket['quota']}/availability/").get_json()
    return report["cart_positions"], report["available_number"]


@pytest.fixture
def set_back(api, ticket, clock):
    """A sale at 12:30, then the clock set back to 10:00, as after a restart without network."""
    clock.advance(minutes=30)
    sold = sell(api, ticket, status="p", payment_provider="cash")
    clock.moment = START - timedelta(hours=2)
    return sold


def clock_lines(caplog) -> list[tuple[int, str]]:
    return [(record.levelno, record.getMessage()) for record in caplog.records if record.name == "kiosk_tickets.clock"]


# ---------------------------------------------------------------------------------------- the log


def test_a_clock_set_back_is_logged_once_and_its_catching_up_too(api, ticket, set_back, clock, caplog):
    caplog.set_level(logging.INFO, "kiosk_tickets.clock")
    assert api.get(ORDERS).status_code == 200
    assert api.get(ORDERS).status_code == 200
    assert clock_lines(caplog) == [(logging.WARNING, BEHIND)]

    caplog.clear()
    clock.moment = START + timedelta(minutes=31)
    assert api.get(ORDERS).status_code == 200
    assert clock_lines(caplog) == [
        (
            logging.INFO,
            "clock caught up: the system clock (2026-11-01T12:31:00Z) is past the newest time the store "
            "recorded again.",
        )
    ]


def test_a_clock_behind_by_less_than_a_minute_is_not_told(api, ticket, clock, caplog):
    sell(api, ticket)
    clock.advance(seconds=-60)
    later = sell(api, ticket)
    assert clock_lines(caplog) == []
    assert later["datetime"] == "2026-11-01T12:00:00Z"


# ---------------------------------------------------------------------------------------- stored times


def test_an_order_made_while_behind_is_dated_at_the_newest_recorded_time(api, ticket, set_back):
    order = sell(api, ticket, status="p", payment_provider="cash")
    assert (order["datetime"], order["last_modified"], order["payments"][0]["payment_date"]) == (
        "2026-11-01T12:30:00Z",
        "2026-11-01T12:30:00Z",
        "2026-11-01T12:30:00Z",
    )
    assert order["datetime"] >= set_back["datetime"]


def test_a_check_in_while_behind_is_dated_at_the_newest_recorded_time(api, ticket, set_back):
    gate = created(api, f"{EVENT_URL}/checkinlists/", {"name": "Gate", "all_products": True})
    scan = {"secret": set_back["positions"][0]["secret"], "lists": [gate["id"]]}
    assert api.post("/api/v1/organizers/bigevents/checkinrpc/redeem/", json=scan).get_json()["status"] == "ok"
    position = api.get(f"{ORDERS}{set_back['code']}/").get_json()["positions"][0]
    assert [checkin["datetime"] for checkin in position["checkins"]] == ["2026-11-01T12:30:00Z"]


def test_a_cart_made_while_behind_holds_its_unit_for_its_whole_reservation(api, ticket, set_back, clock):
    cart = created(api, CARTS, {"item": ticket["item"], "price": "10.00"})
    assert (cart["datetime"], cart["expires"]) == ("2026-11-01T12:30:00Z", "2026-11-01T13:00:00Z")
    assert availability(api, ticket) == (1, 0)
    # The clock, still behind, reaches the time the cart was made at: still held.
    clock.moment = START + timedelta(minutes=59)
    assert availability(api, ticket) == (1, 0)
    clock.moment = START + timedelta(minutes=60)
    assert availability(api, ticket) == (0, 1)


def test_carts_are_judged_by_the_newest_recorded_time_when_the_clock_is_behind(api, ticket, clock):
    created(api, CARTS, {"item": ticket["item"], "price": "10.00"})  # held until 12:30
    clock.advance(minutes=45)
    sell(api, ticket)  # recorded at 12:45
    clock.moment = START  # set back: by the system clock the cart would still hold its unit
    assert availability(api, ticket) == (0, 1)


def test_payment_deadlines_are_judged_by_the_newest_recorded_time(api, ticket, clock):
    pending = sell(api, ticket)
    assert pending["expires"] == "2026-11-15T12:00:00Z"
    clock.advance(days=15)
    sell(api, ticket, status="p", payment_provider="cash")  # recorded on 16 November
    clock.moment = START + timedelta(days=1)
    assert api.get(f"{ORDERS}{pending['code']}/").get_json()["status"] == "e"
    assert availability(api, ticket) == (0, 1)


def newest(tx) -> str | None:
    moment = clock_guard.newest_recorded(tx)
    return None if moment is None else format_datetime(moment)


def test_recorded_moments_count_and_claimed_or_future_ones_do_not(store):
    with store.transaction() as tx:
        assert newest(tx) is None
        # A scan's own time is what an offline phone claims; an expiry lies ahead by design.
        tx.insert("checkins", {"datetime": "2031-01-01T00:00:00Z", "created": "2026-11-01T12:00:00Z"})
        tx.insert("cartpositions", {"datetime": "2026-11-01T12:05:00Z", "expires": "2031-01-01T00:00:00Z"})
        tx.insert("orders", {"datetime": "2026-11-01T12:06:00Z", "expires": "2031-01-01T00:00:00Z"})
        tx.insert("printlogs", {"datetime": "2031-01-01T00:00:00Z", "created": "2026-11-01T12:07:00Z"})
        tx.insert("events", {"date_from": "2031-01-01T00:00:00Z", "catalog_modified": None})
        assert newest(tx) == "2026-11-01T12:07:00Z"
        # A pulled order carries the central's moments, with its own offset.
        tx.insert("orders", {"datetime": "2026-11-01T13:00:00+01:00", "last_modified": "2026-11-01T14:10:00+01:00"})
        assert newest(tx) == "2026-11-01T13:10:00Z"
        tx.insert("checkins", {"created": "2026-11-01T13:10:00.250000Z"})
        assert newest(tx) == "2026-11-01T13:10:00.250000Z"
    # Another process opening the store finds the same.
    with open_store(store.data_dir).transaction() as tx:
        assert newest(tx) == "2026-11-01T13:10:00.250000Z"


@pytest.mark.parametrize(
    "offset",
    [
        -timedelta(days=3),
        -timedelta(minutes=1, microseconds=1),
        -timedelta(minutes=1),
        -timedelta(microseconds=1),
        timedelta(0),
        timedelta(microseconds=1),
        timedelta(hours=5),
    ],
)
def test_the_guarded_time_is_the_later_of_the_clock_and_the_newest_recorded_moment(store, offset):
    recorded = "2026-11-01T12:07:00.250000Z"
    with store.transaction() as tx:
        tx.insert("checkins", {"created": recorded})
        newest_moment = clock_guard.newest_recorded(tx)
        assert newest_moment is not None
        for zone in (UTC, timezone(timedelta(hours=-7))):
            system = (newest_moment + offset).astimezone(zone)
            assert clock_guard.now(tx, system) == max(system, newest_moment)
            assert clock_guard.later_of(tx, system) == max(system, newest_moment)
            lag = clock_guard.behind(tx, system)
            assert (lag is not None) == (newest_moment - system > clock_guard.TOLERANCE)


# ---------------------------------------------------------------------------------------- the overview


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).strip()


def banner_of(page) -> str | None:
    found = re.search(r'<section class="clock-behind".*?</section>', page.get_data(as_text=True), re.S)
    return None if found is None else text_of_html(found.group(0))


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def organizer(app, store):
    browser = app.test_client()
    sign_in(browser, make_token(store))
    return browser


def test_the_overview_tells_the_cashier_that_the_clock_is_wrong(organizer, set_back):
    assert banner_of(organizer.get(f"/overview/{EVENT}/")) == (
        "⚠ The ticket system's clock is wrong "
        "It shows Sun 1 Nov 2026, 10:00, but sales or check-ins were already saved at Sun 1 Nov 2026, 12:30. "
        "Until the clock is right, everything new is saved with Sun 1 Nov 2026, 12:30, so that nothing is "
        "dated too early. "
        "What to do: connect the box that runs the ticket system to the network (it then sets its clock itself), "
        "or tell whoever set it up. Selling can go on meanwhile."
    )


def test_the_banner_speaks_german(organizer, set_back):
    page = organizer.get(f"/overview/{EVENT}/", headers={"Accept-Language": "de"})
    assert banner_of(page) == (
        "⚠ Die Uhr des Ticketsystems geht falsch "
        "Sie zeigt So. 1. Nov. 2026, 10:00, aber Verkäufe oder Einlässe wurden schon um So. 1. Nov. 2026, 12:30 "
        "gespeichert. Bis die Uhr stimmt, wird alles Neue mit So. 1. Nov. 2026, 12:30 gespeichert, damit nichts "
        "zu früh datiert wird. "
        "Was tun: Das Gerät, auf dem das Ticketsystem läuft, mit dem Netzwerk verbinden (dann stellt es seine Uhr "
        "selbst) oder der Person Bescheid geben, die es eingerichtet hat. Der Verkauf kann so lange weitergehen."
    )


def test_no_banner_while_the_clock_is_right(organizer, api, ticket, clock):
    sell(api, ticket)
    clock.advance(minutes=5)
    page = organizer.get(f"/overview/{EVENT}/")
    assert page.status_code == 200 and banner_of(page) is None


# ---------------------------------------------------------------------------------------- kiosk-tickets check


def test_check_reports_a_clock_behind_as_a_warning_and_succeeds(capsys, data_dir, monkeypatch):
    system = Clock(START + timedelta(minutes=30))
    monkeypatch.setattr("kiosk_tickets.cli.common.system_now", system)
    assert main(["--data-dir", str(data_dir), "demo"]) == 0
    system.moment = START - timedelta(hours=2)
    capsys.readouterr()

    assert main(["--data-dir", str(data_dir), "check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "WARNING: the system clock (2026-11-01T10:00:00Z) is behind the newest time the store recorded "
        "(2026-11-01T12:30:00Z) by 2 hour(s) 30 minute(s); until it is set right, sales, payments and check-ins "
        "are dated at that newest time and carts and payment deadlines are judged by it",
        "PROBLEM lines are damage: records that cannot be read or references that point at nothing (exit 1). "
        "WARNING lines are states worth a look that are not damage, such as a quota made smaller than what it had "
        "already sold, or a system clock behind the store's newest time; they alone do not make the check fail.",
        "OK with 1 warning(s)",
    ]


def test_check_says_nothing_of_a_clock_that_is_right(capsys, data_dir, monkeypatch):
    monkeypatch.setattr("kiosk_tickets.cli.common.system_now", Clock(START))
    assert main(["--data-dir", str(data_dir), "demo"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK"


# ---------------------------------------------------------------------------------------- waiting for the clock


def test_waiting_for_a_synchronised_clock_checks_until_it_is(caplog):
    caplog.set_level(logging.INFO, "kiosk_tickets.clock")
    answers = iter([False, False, True])
    slept: list[float] = []
    clock_sync.wait_until_synchronised(lambda: next(answers), slept.append, interval=2.0)
    assert slept == [2.0, 2.0]
    assert clock_lines(caplog) == [
        (
            logging.WARNING,
            "waiting for the system clock to be synchronised with a time server before serving "
            "(KIOSK_TICKETS_REQUIRE_SYNCED_CLOCK is set)",
        ),
        (logging.INFO, "the system clock is synchronised (after 4 s): serving"),
    ]


def test_a_synchronised_clock_is_not_waited_for(caplog):
    slept: list[float] = []
    clock_sync.wait_until_synchronised(lambda: True, slept.append)
    assert slept == [] and clock_lines(caplog) == []


def test_timesyncd_s_flag_file_says_the_clock_is_synchronised(tmp_path):
    flag = tmp_path / "synchronized"
    flag.touch()
    assert clock_sync.system_clock_synchronised(flag) is True
    assert clock_sync.kernel_clock_synchronised() in (True, False, None)


@pytest.mark.parametrize("required", ["true", None])
def test_serve_waits_for_the_clock_only_when_required(data_dir, monkeypatch, required):
    if required is None:
        monkeypatch.delenv("KIOSK_TICKETS_REQUIRE_SYNCED_CLOCK", raising=False)
    else:
        monkeypatch.setenv("KIOSK_TICKETS_REQUIRE_SYNCED_CLOCK", required)
    steps: list[str] = []
    answers = iter([False, True])

    def detector() -> bool:
        steps.append("asked the clock")
        return next(answers)

    def wait(real=clock_sync.wait_until_synchronised) -> None:
        real(detector, lambda seconds: steps.append(f"slept {seconds:g} s"))

    monkeypatch.setattr(clock_sync, "wait_until_synchronised", wait)
    monkeypatch.setattr("kiosk_tickets.cli.serve_command.gc.freeze", lambda: None)  # not for the whole test session
    monkeypatch.setattr("kiosk_tickets.serving.serve", lambda *args, **kwargs: steps.append("served"))
    assert main(["--data-dir", str(data_dir), "serve", "--port", "0"]) == 0
    if required:
        assert steps == ["asked the clock", "slept 2 s", "asked the clock", "served"]
    else:
        assert steps == ["served"]
