"""`kiosk-tickets pull` against a second kiosk-tickets server playing the central pretix (it speaks the same API)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from kiosk_tickets.cli import CHECK_LEGEND
from kiosk_tickets.services.sync import LOCAL_IDS_FROM
from kiosk_tickets.store import Store
from tests.central_box import API, EVENT, ORGANIZER, Api, box_api, pull, wait_until_catalog_settles
from tests.central_proxy import CentralProxy
from tests.servers import Server, free_port, run_cli
from tests.test_ticket_layouts import background_pdf, data_url, text

pytestmark = pytest.mark.slow  # real processes

CATALOG = ("categories", "taxrules", "items", "quotas", "questions", "checkinlists")


@pytest.fixture
def central(tmp_path):
    """The central: the demo event and the admin token, served."""
    data_dir = tmp_path / "central"
    token = run_cli(data_dir, "demo").strip().splitlines()[-1]
    server = Server(data_dir)
    yield Api(server.url, token), token
    server.stop()


def sell(api: Api) -> dict[str, dict]:
    """Orders of every kind on the central: paid with answers and a check-in, with add-ons, pending, canceled."""
    orders = {
        "scanned": api.order(
            {
                "email": "ann@example.org",
                "status": "p",
                "payment_provider": "cash",
                "positions": [
                    {
                        "item": 1,
                        "attendee_name_parts": {"full_name": "Ann"},
                        "answers": [{"question": 1, "answer": "ACME"}],
                    }
                ],
            }
        ),
        "pass": api.order(
            {
                "status": "p",
                "payment_provider": "card",
                "positions": [
                    {"positionid": 1, "item": 4, "answers": [{"question": 2, "answer": "", "options": [2]}]},
                    {"positionid": 2, "item": 2, "addon_to": 1},
                ],
            }
        ),
        "pending": api.order({"positions": [{"item": 5, "variation": 2}]}),
        "canceled": api.order({"status": "p", "payment_provider": "cash", "positions": [{"item": 1}]}),
        "unscanned": api.order({"status": "p", "payment_provider": "cash", "positions": [{"item": 1}]}),
    }
    status, body = api.redeem(orders["scanned"]["positions"][0]["secret"])
    assert (status, body["status"]) == (201, "ok")
    answer = api.post(f"/events/{EVENT}/orders/{orders['canceled']['code']}/mark_canceled/", {})
    assert answer.status_code == 200, answer.text
    return orders


LINK_FIELDS = ("url", "downloads", "public_url")


def without_links(value):
    """JSON with the fields that name the server it came from (URLs) taken out."""
    if isinstance(value, dict):
        return {key: without_links(item) for key, item in value.items() if key not in LINK_FIELDS}
    if isinstance(value, list):
        return [without_links(item) for item in value]
    return value


def test_a_pull_copies_event_catalog_and_orders_under_the_central_ids_and_tickets_scan_at_the_box(central, tmp_path):
    api, token = central
    sold = sell(api)
    box = tmp_path / "box"
    result = pull(box, api.url, token)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Pulled {ORGANIZER}/{EVENT} from {api.url}/: 5 order(s) new or changed; "
        f"catalog lists changed: {', '.join(CATALOG)}; 0 ticket layout(s).\n"
    )
    server, local = box_api(box)
    try:
        event_path = f"/events/{EVENT}/"
        assert without_links(local.get(event_path)) == without_links(api.get(event_path))
        assert local.get(event_path + "settings/") == api.get(event_path + "settings/")
        for name in CATALOG:
            if name != "quotas":
                assert local.everything(f"{event_path}{name}/") == api.everything(f"{event_path}{name}/"), name
        for item in (1, 5):
            path = f"{event_path}items/{item}/variations/"
            assert local.everything(path) == api.everything(path)
        # The same quotas, but with no room at the box until it is allotted some: the central could sell it all
        # online meanwhile. Each quota's size here is what the central's orders take of it.
        quotas = f"{event_path}quotas/"
        central_quotas = api.everything(quotas, with_availability="true")
        assert local.everything(quotas, with_availability="true") == [
            {**quota, "size": quota["size"] - quota["available_number"], "available": False, "available_number": 0}
            for quota in central_quotas
        ]
        orders = f"{event_path}orders/"
        central_orders = api.everything(orders, include_canceled_positions="true")
        assert without_links(local.everything(orders, include_canceled_positions="true")) == without_links(
            central_orders
        )
        assert sorted(order["code"] for order in central_orders) == sorted(order["code"] for order in sold.values())
        scanned = next(order for order in central_orders if order["code"] == sold["scanned"]["code"])
        assert [(c["id"], c["list"]) for c in scanned["positions"][0]["checkins"]] == [(1, 1)]
        assert scanned["positions"][0]["answers"][0]["answer"] == "ACME"
        positions = f"{event_path}orderpositions/"
        assert without_links(local.everything(positions)) == without_links(api.everything(positions))

        status, body = local.redeem(sold["unscanned"]["positions"][0]["secret"])
        assert (status, body["status"], body["position"]["id"]) == (201, "ok", sold["unscanned"]["positions"][0]["id"])
        status, body = local.redeem(sold["canceled"]["positions"][0]["secret"])
        assert (status, body["status"], body["reason"]) == (200, "error", "canceled")
        status, body = local.redeem(sold["scanned"]["positions"][0]["secret"])
        assert (status, body["status"], body["reason"]) == (200, "error", "already_redeemed")

        # Not allotted: the box sells none of the central's quota.
        sale = {"status": "p", "payment_provider": "cash", "positions": [{"item": 1}]}
        refused = local.post(f"/events/{EVENT}/orders/", sale)
        assert (refused.status_code, refused.json()) == (
            400,
            {
                "positions": [
                    {"item": ['There is not enough quota available on quota "Admission" to perform the operation.']}
                ]
            },
        )
        # The box's own sale (forced past the quota here) takes an id from its own range, never the central's.
        own = local.order({**sale, "force": True})
        assert own["positions"][0]["id"] == LOCAL_IDS_FROM
    finally:
        server.stop()
    # The forced sale is the quota's one unit past its size at the box; nothing else is amiss.
    assert run_cli(box, "check").splitlines()[1:] == [
        "WARNING: quota 1 ('Admission'): 4 units used of 3 (more than its size, as after it was made smaller than"
        " what it held, or a forced sale)",
        CHECK_LEGEND,
        "OK with 1 warning(s)",
    ]


def test_a_second_pull_brings_exactly_the_changes_with_unchanged_catalog_lists_not_sent_again(central, tmp_path):
    api, token = central
    sold = sell(api)
    proxy = CentralProxy(api.url)
    box = tmp_path / "box"
    wait_until_catalog_settles(api)
    try:
        assert pull(box, proxy.url, token).returncode == 0
        assert set(proxy.statuses(f"/events/{EVENT}/items/")) == {200}

        # Online: one more order, and a cancellation of an order the box holds.
        new = api.order({"status": "p", "payment_provider": "cash", "positions": [{"item": 1}]})
        answer = api.post(f"/events/{EVENT}/orders/{sold['unscanned']['code']}/mark_canceled/", {})
        assert answer.status_code == 200
        proxy.log.clear()
        result = pull(box, proxy.url, token)
        assert result.returncode == 0, result.stderr
        assert result.stdout.endswith(": 2 order(s) new or changed; catalog lists changed: none; 0 ticket layout(s).\n")
        for name in CATALOG:
            assert proxy.statuses(f"/events/{EVENT}/{name}/") == [304], name
        # The organizer, the event, its settings, the ticket layouts, six lists answered 304, one page of orders,
        # revoked secrets.
        assert len(proxy.log) == 12
        (orders_request,) = [path for path, _ in proxy.log if f"/events/{EVENT}/orders/" in path]
        assert "modified_since=" in orders_request and "ordering=-last_modified" in orders_request

        # Online: a new item; now the catalog lists come again, with the new item under its central id.
        answer = api.post(f"/events/{EVENT}/items/", {"name": {"en": "Late ticket"}, "default_price": "30.00"})
        assert answer.status_code == 201, answer.text
        late = answer.json()
        result = pull(box, proxy.url, token)
        assert result.returncode == 0, result.stderr
        assert result.stdout.endswith(
            f": 0 order(s) new or changed; catalog lists changed: {', '.join(CATALOG)}; 0 ticket layout(s).\n"
        )
    finally:
        proxy.stop()
    server, local = box_api(box)
    try:
        assert local.get(f"/events/{EVENT}/items/{late['id']}/") == api.get(f"/events/{EVENT}/items/{late['id']}/")
        orders = f"/events/{EVENT}/orders/"
        assert without_links(local.everything(orders, include_canceled_positions="true")) == without_links(
            api.everything(orders, include_canceled_positions="true")
        )
        assert local.get(f"{orders}{new['code']}/")["status"] == "p"
        assert local.get(f"{orders}{sold['unscanned']['code']}/")["status"] == "c"
        status, body = local.redeem(sold["unscanned"]["positions"][0]["secret"])
        assert (status, body["reason"]) == (200, "canceled")
    finally:
        server.stop()


def files_of(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.name != ".lock"}


def test_mistakes_end_in_one_sentence_with_exit_2_and_leave_the_store_unchanged(central, tmp_path):
    api, token = central
    box = tmp_path / "box"
    assert pull(box, api.url, token).returncode == 0
    before = files_of(box)
    nowhere = f"http://127.0.0.1:{free_port()}"
    mistakes = {
        (nowhere, token, EVENT): f"error: the central server {nowhere}/ cannot be reached (connection refused or "
        "no route).\n",
        (api.url, "wrong", EVENT): f"error: the central server {api.url}/ refused the token (401): check --token.\n",
        (api.url, token, "nosuchevent"): f"error: the central server {api.url}/ does not let this token read event "
        f"'nosuchevent' of organizer '{ORGANIZER}' (403): check --organizer, --event and the token's permissions.\n",
    }
    for (url, given_token, event), message in mistakes.items():
        result = pull(box, url, given_token, event)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
        assert files_of(box) == before
        # Into a data directory that does not exist yet: it is not even created.
        result = pull(tmp_path / "fresh", url, given_token, event)
        assert (result.returncode, result.stderr, (tmp_path / "fresh").exists()) == (2, message, False)
    # A store with objects of its own under the central's ids is refused whole.
    own = tmp_path / "own"
    run_cli(own, "demo")
    before = files_of(own)
    result = pull(own, api.url, token)
    assert (result.returncode, result.stderr) == (
        2,
        f"error: this store already has an event {ORGANIZER}/{EVENT} of its own; pull into a fresh data directory.\n",
    )
    assert files_of(own) == before


def stored(box: Path) -> tuple[dict, dict]:
    """The box's tables and id counters, without what depends on when a pull ran."""
    store = Store(box)
    with store.transaction():
        raw, next_ids = store.contents()
        tables, counters = {name: dict(docs) for name, docs in raw.items()}, dict(next_ids)
    tables["events"] = {key: {**doc, "catalog_modified": None} for key, doc in tables["events"].items()}
    tables["checkins"] = {key: {**doc, "created": None} for key, doc in tables["checkins"].items()}
    tables["sync_state"] = {
        key: {**doc, "orders_cursor": None, "last_pull": None} for key, doc in tables["sync_state"].items()
    }
    return tables, counters


def test_a_pull_killed_midway_and_run_again_leaves_what_one_uninterrupted_pull_does(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_TICKETS_PAGE_SIZE", "4")
    data_dir = tmp_path / "central"
    token = run_cli(data_dir, "demo").strip().splitlines()[-1]
    server = Server(data_dir)
    api = Api(server.url, token)
    proxy = CentralProxy(server.url)
    try:
        sell(api)
        shirt_and_ticket = [{"item": 1}, {"item": 5, "variation": 1}]
        for _ in range(7):
            api.order({"status": "p", "payment_provider": "cash", "positions": shirt_and_ticket})
        wait_until_catalog_settles(api)
        # 12 orders in pages of 4: hold the request for the third page, then kill the pull there.
        proxy.hold = lambda path: "/orders/" in path and "page=3" in path
        killed = tmp_path / "killed"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk_tickets",
                "--data-dir",
                str(killed),
                "pull",
                "--from",
                proxy.url,
                "--token",
                token,
                "--organizer",
                ORGANIZER,
                "--event",
                EVENT,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert proxy.held.wait(timeout=60)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        proxy.hold = lambda path: False
        proxy.release.set()
        with Store(killed).transaction() as tx:
            assert tx.count("orders") == 8
            assert tx.find_one("sync_state", event_slug=EVENT)["orders_cursor"] is None

        again = pull(killed, proxy.url, token)
        assert again.returncode == 0, again.stderr
        assert ": 12 order(s) new or changed; catalog lists changed: none; 0 ticket layout(s).\n" in again.stdout
        whole = tmp_path / "whole"
        assert pull(whole, proxy.url, token).returncode == 0
        assert stored(killed) == stored(whole)
        with Store(whole).transaction() as tx:
            # Every page of every list: 5 items came in two pages of 4, and 12 orders in three.
            assert (tx.count("items"), tx.count("variations"), tx.count("orders")) == (5, 4, 12)
    finally:
        proxy.stop()
        server.stop()


def test_signed_tickets_of_the_central_verify_at_the_box_and_its_revocations_come_along(central, tmp_path):
    api, token = central
    answer = api.session.patch(
        f"{api.url}{API}/events/{EVENT}/settings/", json={"ticket_secret_generator": "pretix_sig1"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    kept = api.order({"status": "p", "payment_provider": "cash", "positions": [{"item": 1}]})
    canceled = api.order({"status": "p", "payment_provider": "cash", "positions": [{"item": 1}]})
    assert api.post(f"/events/{EVENT}/orders/{canceled['code']}/mark_canceled/", {}).status_code == 200
    central_keys = api.get(f"/events/{EVENT}/")["valid_keys"]["pretix_sig1"]
    central_revoked = api.everything(f"/events/{EVENT}/revokedsecrets/")
    assert [entry["secret"] for entry in central_revoked] == [canceled["positions"][0]["secret"]]

    box = tmp_path / "box"
    assert pull(box, api.url, token).returncode == 0
    server, local = box_api(box)
    try:
        box_keys = local.get(f"/events/{EVENT}/")["valid_keys"]["pretix_sig1"]
        # The central's key, then the box's own for the tickets it signs itself.
        assert len(box_keys) == 2 and box_keys[0] == central_keys[0] and len(central_keys) == 1
        assert local.everything(f"/events/{EVENT}/revokedsecrets/") == central_revoked
        status, body = local.redeem(kept["positions"][0]["secret"])
        assert (status, body["status"]) == (201, "ok")
        # Refused: the central's revoked list does not name the ticket a secret belonged to, so the box knows
        # the code only as one no ticket holds (scanners syncing offline find it on the revoked list).
        status, body = local.redeem(canceled["positions"][0]["secret"])
        assert (status, body["status"], body["reason"]) == (404, "error", "invalid")
        # Forced past the quota, which has no room here without an allotment.
        own = local.order({"status": "p", "payment_provider": "cash", "positions": [{"item": 1}], "force": True})
    finally:
        server.stop()
    for secret in (kept["positions"][0]["secret"], own["positions"][0]["secret"]):
        verdict = run_cli(box, "secret", secret, "--organizer", ORGANIZER, "--event", EVENT)
        assert f"signature: made with the key of {ORGANIZER}/{EVENT}" in verdict.splitlines()


def ticket_text(api: Api, position: dict) -> list[str]:
    answer = api.session.get(f"{api.url}{API}/events/{EVENT}/orderpositions/{position['id']}/download/pdf/", timeout=30)
    assert answer.status_code == 200, answer.text
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(answer.content)).pages]


def test_ticket_layouts_come_with_their_backgrounds_and_tickets_print_at_the_box_as_at_the_central(central, tmp_path):
    api, token = central
    layout = {
        "name": "Festival pass", "default": False,
        "layout": [
            text("event_name", 20, 270, downward=True),
            text("attendee_name", 20, 240, downward=True),
            text("other", 20, 200, text="Gate B", downward=True),
            {"type": "barcodearea", "left": 130, "bottom": 20, "size": 50, "content": "secret"},
        ],
        "background": data_url("application/pdf", background_pdf("Festival artwork")),
        "item_assignments": [{"item": 1, "sales_channel": "web"}],
    }
    made = api.post(f"/events/{EVENT}/ticketlayouts/", layout)
    assert made.status_code == 201, made.text
    plain = api.post(f"/events/{EVENT}/ticketlayouts/", {**layout, "name": "Plain", "background": None,
                                                          "item_assignments": []})
    assert plain.status_code == 201, plain.text
    order = api.order({"status": "p", "payment_provider": "cash",
                       "positions": [{"item": 1, "attendee_name_parts": {"full_name": "Ann Lee"}}]})
    proxy = CentralProxy(api.url)
    box = tmp_path / "box"
    try:
        result = pull(box, proxy.url, token)
        assert result.returncode == 0, result.stderr
        assert result.stdout.endswith("; 2 ticket layout(s).\n") and result.stderr == ""
        assert len(proxy.statuses("/background.pdf")) == 1
        # The background is read again only when its link changes.
        proxy.log.clear()
        assert pull(box, proxy.url, token).returncode == 0
        assert proxy.statuses("/background.pdf") == []

        server, local = box_api(box)
        try:
            layouts = f"/events/{EVENT}/ticketlayouts/"
            assert [{**entry, "background": bool(entry["background"])} for entry in local.everything(layouts)] == [
                {**entry, "background": bool(entry["background"])} for entry in api.everything(layouts)
            ]
            box_ticket = ticket_text(local, order["positions"][0])
            assert box_ticket == ticket_text(api, order["positions"][0])
            assert all(words in box_ticket[0] for words in ("Festival artwork", "Gate B", "Ann Lee"))
        finally:
            server.stop()

        # Gone at the central, gone at the box.
        gone = api.session.delete(f"{api.url}{API}/events/{EVENT}/ticketlayouts/{plain.json()['id']}/", timeout=30)
        assert gone.status_code == 204
        assert pull(box, proxy.url, token).stdout.endswith("; 1 ticket layout(s).\n")
    finally:
        proxy.stop()
    with Store(box).transaction() as tx:
        assert [doc["name"] for doc in tx.all("ticketlayouts")] == ["Festival pass"]
