"""Log lines: the access log's Common Log Format, and the operational lines for restores, refused scans and sync."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests

from kiosk_tickets import background_sync
from kiosk_tickets.access_log import AccessLog, format_time
from kiosk_tickets.cli import main
from kiosk_tickets.config import load_config
from kiosk_tickets.pull import EventPull
from kiosk_tickets.push import Pushed, SyncFailed
from kiosk_tickets.services import sync
from kiosk_tickets.store import Store
from tests.helpers import created
from tests.servers import Server, init_token
from tests.test_checkin import EVENTS, TICKET, buy, make_list, redeem, ticket
from tests.test_checkin import shop as shop  # noqa: F401 (a fixture)

ARRIVED = datetime(2026, 11, 30, 9, 15, 2, tzinfo=UTC)


def access_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "kiosk_tickets.access"]


def environ(**changes: str) -> dict:
    """What waitress hands the app for `GET /api/v1/organizers/?page=2` from 192.168.1.20."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/v1/organizers/",
        "QUERY_STRING": "page=2",
        "REQUEST_URI": "/api/v1/organizers/?page=2",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.168.1.20",
        "HTTP_AUTHORIZATION": "Token 5ecret-t0ken",
        **changes,
    }


def answering(status: str, chunks: list[bytes]):
    def app(environ, start_response):
        start_response(status, [("Content-Type", "text/plain")])
        return iter(chunks)

    return app


def call(app, env: dict) -> bytes:
    """Serve one request as a WSGI server does: start, iterate, close."""
    body = app(env, lambda status, headers, exc_info=None: None)
    try:
        return b"".join(body)
    finally:
        body.close()


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (ARRIVED, "[30/Nov/2026:09:15:02 +0000]"),
        (
            datetime(2027, 1, 5, 23, 0, 9, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            "[05/Jan/2027:23:00:09 -0530]",
        ),
    ],
)
def test_the_time_is_written_as_the_common_log_format_has_it(moment, text):
    assert format_time(moment) == text


def test_lines_of_one_second_share_its_time_unless_the_offset_changed(caplog):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.access")
    winter = timezone(timedelta(hours=1))
    moments = iter(
        [
            ARRIVED,
            ARRIVED.replace(microsecond=999_999),
            ARRIVED.astimezone(winter),  # the same instant in another zone
            ARRIVED + timedelta(seconds=1),
        ]
    )
    app = AccessLog(answering("200 OK", [b"x"]), clock=lambda: next(moments))
    for _ in range(4):
        call(app, environ())

    assert [line.split('"')[0] for line in access_lines(caplog)] == [
        "192.168.1.20 - - [30/Nov/2026:09:15:02 +0000] ",
        "192.168.1.20 - - [30/Nov/2026:09:15:02 +0000] ",
        "192.168.1.20 - - [30/Nov/2026:10:15:02 +0100] ",
        "192.168.1.20 - - [30/Nov/2026:09:15:03 +0000] ",
    ]


def test_a_request_is_one_line_with_path_query_status_and_bytes_and_no_token(caplog):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.access")
    app = AccessLog(answering("200 OK", [b"hello ", b"world"]), clock=lambda: ARRIVED)

    assert call(app, environ()) == b"hello world"

    assert access_lines(caplog) == [
        '192.168.1.20 - - [30/Nov/2026:09:15:02 +0000] "GET /api/v1/organizers/?page=2 HTTP/1.1" 200 11'
    ]
    assert "5ecret" not in caplog.text


def test_an_empty_body_is_a_dash_and_a_request_line_cannot_break_the_line(caplog):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.access")
    app = AccessLog(answering("304 Not Modified", []), clock=lambda: ARRIVED)

    call(app, environ(REQUEST_URI='/a"b\n?q=\x1b', REQUEST_METHOD="HEAD"))

    assert access_lines(caplog) == [
        '192.168.1.20 - - [30/Nov/2026:09:15:02 +0000] "HEAD /a\\"b\\n?q=\\x1b HTTP/1.1" 304 -'
    ]


def test_without_a_request_uri_the_line_is_rebuilt_from_path_and_query(caplog):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.access")
    app = AccessLog(answering("404 NOT FOUND", [b"x"]), clock=lambda: ARRIVED)

    call(app, environ(REQUEST_URI="", SCRIPT_NAME="/box", QUERY_STRING=""))

    assert access_lines(caplog) == [
        '192.168.1.20 - - [30/Nov/2026:09:15:02 +0000] "GET /box/api/v1/organizers/ HTTP/1.1" 404 1'
    ]


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        ("/api/v1/organizers/demo/checkinlists/1/positions/Xk4q9mWzT2/redeem/",
         "/api/v1/organizers/demo/checkinlists/1/positions/Xk4q***/redeem/"),
        # A position id is no secret.
        ("/api/v1/organizers/demo/checkinlists/1/positions/17/redeem/",
         "/api/v1/organizers/demo/checkinlists/1/positions/17/redeem/"),
        ("/api/v1/organizers/demo/events/fair/orderpositions/?secret=Xk4q9mWzT2&page=2",
         "/api/v1/organizers/demo/events/fair/orderpositions/?secret=Xk4q***&page=2"),
        ("/api/v1/organizers/demo/checkinlists/1/positions/?search=Xk4q9m",
         "/api/v1/organizers/demo/checkinlists/1/positions/?search=Xk4***"),
        ("/api/v1/organizers/demo/events/?page=2", "/api/v1/organizers/demo/events/?page=2"),
    ],
)
def test_a_ticket_secret_in_a_request_keeps_only_its_first_characters(caplog, target, logged):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.access")
    call(AccessLog(answering("200 OK", [b"x"]), clock=lambda: ARRIVED), environ(REQUEST_URI=target))
    assert access_lines(caplog) == [f'192.168.1.20 - - [30/Nov/2026:09:15:02 +0000] "GET {logged} HTTP/1.1" 200 1']


def test_an_app_that_raises_is_logged_as_a_500(caplog):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.access")

    def broken(environ, start_response):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        AccessLog(broken, clock=lambda: ARRIVED)(environ(), lambda *args: None)

    assert access_lines(caplog) == [
        '192.168.1.20 - - [30/Nov/2026:09:15:02 +0000] "GET /api/v1/organizers/?page=2 HTTP/1.1" 500 -'
    ]


def test_the_flask_app_behind_the_access_log(app, token, caplog):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.access")
    app.wsgi_app = AccessLog(app.wsgi_app, clock=lambda: ARRIVED)  # type: ignore[method-assign]
    try:
        response = app.test_client().get(
            "/api/v1/organizers/?page=1",
            headers={"Authorization": f"Token {token}"},
            environ_base={"REMOTE_ADDR": "10.0.0.7"},
        )
        response.close()  # as a server does when the body is sent: the line is written then
    finally:
        app.wsgi_app = app.wsgi_app.app  # the session's app is shared with the other tests
    assert access_lines(caplog) == [
        f'10.0.0.7 - - [30/Nov/2026:09:15:02 +0000] "GET /api/v1/organizers/?page=1 HTTP/1.1" 200 {len(response.data)}'
    ]
    assert token not in caplog.text


@pytest.mark.parametrize(("value", "on"), [(None, True), ("0", False), ("false", False), ("1", True)])
def test_the_access_log_is_on_unless_the_configuration_turns_it_off(value, on):
    environ = {} if value is None else {"KIOSK_TICKETS_ACCESS_LOG": value}
    assert load_config(environ=environ)["ACCESS_LOG"] is on


@pytest.mark.slow
@pytest.mark.parametrize("setting", [None, "0"])
def test_serve_writes_the_access_log_to_stderr_unless_the_configuration_turns_it_off(tmp_path, monkeypatch, setting):
    data_dir = tmp_path / "data"
    token = init_token(data_dir, "acme")
    if setting is not None:
        monkeypatch.setenv("KIOSK_TICKETS_ACCESS_LOG", setting)
    server = Server(data_dir)
    times = re.compile(r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]")

    def access_lines() -> list[str]:
        return [times.sub("[TIME]", line) for line in server.log().splitlines() if line.startswith("127.0.0.1 - - [")]

    try:
        url = f"{server.url}/api/v1/organizers/acme/?fields=slug&x=%22"
        response = requests.get(url, headers={"Authorization": f"Token {token}"}, timeout=10)
        assert response.status_code == 200
        request_line = "GET /api/v1/organizers/acme/?fields=slug&x=%22 HTTP/1.1"
        expected = f'127.0.0.1 - - [TIME] "{request_line}" 200 {len(response.content)}'
        # A line is written once the server has closed the response, which may be just after the client read it.
        deadline = time.monotonic() + 10
        while setting != "0" and expected not in access_lines() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
        access = access_lines()
        lines = server.log().splitlines()
        server.stop()
    if setting == "0":
        assert access == []
        return
    # Before it: the requests that waited for the server to listen (tests.servers.Server), refused without a token.
    assert access[-1] == expected
    assert {re.sub(r"\d+$", "N", line) for line in access[:-1]} == {
        '127.0.0.1 - - [TIME] "GET /api/v1/organizers/ HTTP/1.1" 401 N'
    }
    assert token not in "\n".join(lines)


# ---------------------------------------------------------------------------------------- operational lines


def test_a_refused_scan_is_logged_with_its_reason_and_list_and_only_the_start_of_the_secret(api, shop, caplog):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.checkin")
    checkin_list = make_list(api)
    order = buy(api, [ticket(shop)])
    secret = order["positions"][0]["secret"]
    assert redeem(api, secret, [checkin_list["id"]]).status_code == 201
    assert caplog.records == []

    assert redeem(api, secret, [checkin_list["id"]]).get_json()["reason"] == "already_redeemed"
    assert redeem(api, "no-such-secret", [checkin_list["id"]]).status_code == 404
    assert redeem(api, "abc", [checkin_list["id"]]).status_code == 404

    list_id = checkin_list["id"]
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        (
            "INFO",
            f"check-in refused: already_redeemed on list {list_id} (Entrance) of bigevents/sampleconf; "
            f"ticket {order['code']}-1, secret {secret[:4]}...",
        ),
        (
            "INFO",
            f"check-in refused: invalid on list {list_id} (Entrance) of bigevents/sampleconf; "
            "no ticket, secret no-s...",
        ),
        (
            "INFO",
            f"check-in refused: invalid on list {list_id} (Entrance) of bigevents/sampleconf; no ticket, secret a...",
        ),
    ]
    assert secret not in caplog.text


def test_a_scan_found_in_two_events_and_one_a_client_reports_later_are_logged(api, shop, caplog):
    caplog.set_level(logging.INFO, logger="kiosk_tickets.checkin")
    other_url = f"{EVENTS}other"
    created(api, EVENTS, {"name": {"en": "Other"}, "slug": "other", "date_from": "2027-01-01T10:00:00Z"})
    item = created(api, f"{other_url}/items/", TICKET)
    created(api, f"{other_url}/quotas/", {"name": "Q", "size": 5, "items": [item["id"]]})
    buy(api, [{**ticket(shop), "secret": "shared-secret"}])
    buy(api, [{"item": item["id"], "secret": "shared-secret"}], event_url=other_url)
    here, there = make_list(api), make_list(api, {"name": "Side door"}, event_url=other_url)
    assert redeem(api, "shared-secret", [here["id"], there["id"]]).get_json()["reason"] == "ambiguous"
    reported = {
        "datetime": "2026-11-01T11:59:00Z",
        "raw_barcode": "Gone+/=",
        "type": "entry",
        "error_reason": "invalid",
    }
    assert api.post(f"{other_url}/checkinlists/{there['id']}/failed_checkins/", json=reported).status_code == 201

    assert [record.getMessage() for record in caplog.records] == [
        f"check-in refused: ambiguous on lists {here['id']}, {there['id']}, whose events each have a ticket with "
        "secret shar...",
        f"check-in refused offline, reported later: invalid on list {there['id']} (Side door) of bigevents/other; "
        "no ticket, secret Gon...",
    ]


def test_a_restore_is_logged(capsys, caplog, tmp_path):
    data_dir, backup = tmp_path / "data", tmp_path / "backup"
    assert main(["--data-dir", str(data_dir), "init", "--organizer", "acme", "--name", "ACME"]) == 0
    assert main(["--data-dir", str(data_dir), "backup", str(backup)]) == 0
    created = json.loads((backup / "backup.json").read_text())["created"]
    caplog.set_level(logging.INFO, logger="kiosk_tickets.cli")

    assert main(["--data-dir", str(data_dir), "restore", str(backup), "--yes"]) == 0

    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        (
            "INFO",
            f"restored the store in {data_dir} from the backup {backup} (taken {created}): "
            "2 documents (api_tokens 1, organizers 1)",
        ),
    ]


@pytest.fixture
def pulled_store(tmp_path):
    """A store that pulled two events from a central at a closed port."""
    store = Store(tmp_path / "box")
    with store.transaction() as tx:
        for slug in ("summer", "winter"):
            tx.insert(sync.SYNC_TABLE, {"organizer": "acme", "event_slug": slug, "central": "http://127.0.0.1:9/"})
    yield store
    store.close()


def test_each_sync_round_logs_its_counts_or_its_failure_per_event(pulled_store, monkeypatch, caplog):
    def push(store, central, event, *args):
        if event == "winter":
            raise SyncFailed("the central http://127.0.0.1:9/ cannot be reached: connection refused.")
        return Pushed(orders=2, checkins=5, cancellations=1, problems=["order ABC12: Item 4 does not exist."])

    def pull(open_store, central, events, *args):
        return [EventPull(event=events[0], orders=7)]

    monkeypatch.setattr(background_sync, "push", push)
    monkeypatch.setattr(background_sync, "pull", pull)
    caplog.set_level(logging.INFO, logger="kiosk_tickets.sync")
    syncing = background_sync.BackgroundSync(lambda: pulled_store, "token", 60, "box_office", None, lambda: ARRIVED)

    syncing.run_once()

    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        (
            "INFO",
            "synced acme/summer with http://127.0.0.1:9/: pushed 2 order(s), 5 check-in(s), "
            "1 cancellation(s); pulled 7 order(s)",
        ),
        ("WARNING", "not pushed: order ABC12: Item 4 does not exist."),
        (
            "WARNING",
            "sync of acme/winter with http://127.0.0.1:9/ did not finish: "
            "the central http://127.0.0.1:9/ cannot be reached: connection refused.",
        ),
    ]
