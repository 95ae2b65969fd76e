"""pull, allot, offline sales and push against a real pretix as the central (tests/central/install_pretix.sh): the
same flow as tests/test_push.py, with pretix's own answers instead of a second kiosk-tickets server's."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.central.pretix_server import PretixServer, create_event, created, free_port, installed
from tests.central_proxy import CentralProxy, kill_push_at_second_order
from tests.servers import Server, run_cli

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pretix,
    pytest.mark.skipif(not installed(), reason="no real pretix in .venv-pretix/: run tests/central/install_pretix.sh"),
]

ORGANIZER, EVENT = "central", "summer"
SIZE = 6
UNITS = 3
# pretix takes orders of the API only in a sales channel of type "api", which the organizer creates.
SALES_CHANNEL = "api.boxoffice"
QUOTA_FULL = {"positions": [{"item": ['There is not enough quota available on quota "Admission" to perform the '
                                      "operation."]}]}


def cli(box: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk_tickets", "--data-dir", str(box), *args],
        capture_output=True, text=True, timeout=120,
    )


def central_args(token: str) -> tuple[str, ...]:
    return ("--token", token, "--organizer", ORGANIZER, "--event", EVENT)


@pytest.fixture
def central(tmp_path: Path) -> Iterator[PretixServer]:
    with PretixServer(tmp_path / "pretix", organizer=ORGANIZER) as server:
        created(server.post("saleschannels/", json={"identifier": SALES_CHANNEL, "label": {"en": "Box office"}}))
        yield server


def online_order(central: PretixServer, item: int, secret: str, answers: list[dict[str, Any]] | None = None) -> Any:
    """An order sold on pretix's own shop: paid, in the web channel."""
    position = {"item": item, "price": "10.00", "secret": secret, "answers": answers or []}
    return central.post(
        f"events/{EVENT}/orders/",
        json={"status": "p", "payment_provider": "manual", "email": "guest@example.org", "positions": [position]},
    )


def sell_until_refused(post: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Sell one ticket at a time with `post()` until one is refused; return the orders and the refusal."""
    sold = []
    while True:
        answer = post()
        if answer.status_code != 201:
            assert answer.status_code == 400, answer.text
            return sold, answer.json()
        sold.append(answer.json())


def everything(central: PretixServer, path: str) -> list[dict[str, Any]]:
    page = central.get(path).json()
    results: list[dict[str, Any]] = page["results"]
    while page["next"]:
        page = central.session.get(page["next"], timeout=30).json()
        results += page["results"]
    return results


def test_an_allotment_sold_offline_and_pushed_to_pretix_keeps_its_quota_exact(central, tmp_path):
    event = create_event(central, EVENT, quota_size=SIZE)
    company = created(central.post(f"events/{EVENT}/questions/", json={
        "question": {"en": "Company"}, "identifier": "COMPANY", "type": "S", "required": False, "items": [event.item]}))
    side = created(central.post(f"events/{EVENT}/questions/", json={
        "question": {"en": "Side"}, "identifier": "SIDE", "type": "C", "required": False, "items": [event.item],
        "options": [{"identifier": "L", "answer": {"en": "Left"}}, {"identifier": "R", "answer": {"en": "Right"}}]}))
    right = side["options"][1]["id"]
    first = online_order(central, event.item, "online-before-1", [{"question": company["id"], "answer": "ACME"}])
    assert first.status_code == 201, first.text
    online_before = first.json()
    # The box reaches pretix through a proxy the test can cut.
    proxy = CentralProxy(central.url)
    box = tmp_path / "box"
    try:
        result = cli(box, "pull", "--from", proxy.url, *central_args(central.token))
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
        layouts = everything(central, f"events/{EVENT}/ticketlayouts/")
        assert result.stdout.endswith(f"; {len(layouts)} ticket layout(s).\n")
        result = cli(box, "allot", *central_args(central.token), "--quota", str(event.quota), "--units", str(UNITS),
                     "--box", "gate-1", "--sales-channel", SALES_CHANNEL)
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
        [voucher] = everything(central, f"events/{EVENT}/vouchers/")
        assert result.stdout == (
            f"Took {UNITS} unit(s) of quota {event.quota} of {ORGANIZER}/{EVENT} for this box "
            f"(voucher {voucher['code']} on {proxy.url}/).\n"
        )
        assert (voucher["max_usages"], voucher["block_quota"], voucher["quota"], voucher["allow_ignore_quota"],
                voucher["price_mode"], voucher["tag"]) == (UNITS, True, event.quota, False, "none", "kiosk-box:gate-1")
        # pretix's vouchers have no sales channels: only the code, which nobody online knows, keeps it the box's.
        assert "limit_sales_channels" not in voucher
        availability = central.get(f"events/{EVENT}/quotas/{event.quota}/availability/").json()
        assert (availability["blocking_vouchers"], availability["available_number"]) == (UNITS, SIZE - 1 - UNITS)

        # pretix is cut off: the box sells its allotment and not one ticket more, and scans two of them.
        proxy.target = f"http://127.0.0.1:{free_port()}"
        cut = cli(box, "pull", "--from", proxy.url, *central_args(central.token))
        assert (cut.returncode, cut.stderr) == (2, f"error: the central server {proxy.url}/ cannot be reached "
                                                   "(connection refused or no route).\n")
        box_token = run_cli(box, "token", "create", "--organizer", ORGANIZER, "--scope", "admin").split()[-1]
        box_server = Server(box)
        local = requests.Session()
        local.headers["Authorization"] = f"Token {box_token}"
        box_api = f"{box_server.url}/api/v1/organizers/{ORGANIZER}"
        try:
            # The online ticket came over with its answer.
            pulled = local.get(f"{box_api}/events/{EVENT}/orders/{online_before['code']}/", timeout=30).json()
            assert [(p["secret"], [(a["question"], a["answer"]) for a in p["answers"]])
                    for p in pulled["positions"]] == [("online-before-1", [(company["id"], "ACME")])]
            box_sold, refusal = sell_until_refused(lambda: local.post(
                f"{box_api}/events/{EVENT}/orders/",
                json={"status": "p", "payment_provider": "cash", "positions": [{"item": event.item, "answers": [
                    {"question": company["id"], "answer": "Box Co"},
                    {"question": side["id"], "answer": "", "options": [right]},
                ]}]}, timeout=30,
            ))
            assert len(box_sold) == UNITS
            assert refusal == QUOTA_FULL
            # Two of its own tickets, and the one sold online before the pull.
            for secret in [*(order["positions"][0]["secret"] for order in box_sold[:2]),
                           online_before["positions"][0]["secret"]]:
                answer = local.post(f"{box_api}/checkinrpc/redeem/",
                                    json={"secret": secret, "lists": [event.checkin_list]}, timeout=30)
                assert (answer.status_code, answer.json()["status"]) == (201, "ok")
        finally:
            box_server.stop()
            local.close()

        # Meanwhile pretix sells online until its quota is gone.
        online, refusal = sell_until_refused(
            lambda: online_order(central, event.item, f"online-{len(everything(central, f'events/{EVENT}/orders/'))}")
        )
        assert len(online) == SIZE - 1 - UNITS
        assert refusal == QUOTA_FULL

        proxy.target = central.url
        push_args = (*central_args(central.token), "--sales-channel", SALES_CHANNEL, "--payment-provider", "boxoffice")
        # The first push is killed once pretix has created the box's second order, before the box hears so.
        kill_push_at_second_order(proxy, str(box), EVENT, *push_args)
        assert len(everything(central, f"events/{EVENT}/orders/")) == 1 + len(online) + 2
        result = cli(box, "push", *push_args)
        assert (result.returncode, result.stderr) == (0, "")
        # pretix replays its answer to the second order under the same key; only the third order is new.
        assert result.stdout == f"Pushed to {proxy.url}/: {UNITS - 1} order(s), 3 check-in(s), 0 cancellation(s).\n"

        orders = everything(central, f"events/{EVENT}/orders/")
        assert sum(len(order["positions"]) for order in orders if order["status"] in ("n", "p")) == SIZE
        availability = central.get(f"events/{EVENT}/quotas/{event.quota}/availability/").json()
        assert (availability["paid_orders"], availability["blocking_vouchers"], availability["available_number"]) == (
            SIZE, 0, 0)
        by_code = {order["code"]: order for order in orders}
        assert sorted(by_code) == sorted(order["code"] for order in [online_before, *online, *box_sold])
        for order in box_sold:
            copy = by_code[order["code"]]
            assert (copy["status"], copy["sales_channel"], copy["payment_provider"]) == (
                "p", SALES_CHANNEL, "boxoffice")
            assert [(p["provider"], p["state"], p["details"]["payment_type"]) for p in copy["payments"]] == [
                ("boxoffice", "confirmed", "cash")]
            assert [p["secret"] for p in copy["positions"]] == [p["secret"] for p in order["positions"]]
            assert [p["voucher"] for p in copy["positions"]] == [voucher["id"]]
            assert [(a["question"], a["answer"], a["options"]) for a in copy["positions"][0]["answers"]] == [
                (company["id"], "Box Co", []), (side["id"], "Right", [right])]
        assert central.get(f"events/{EVENT}/vouchers/{voucher['id']}/").json()["redeemed"] == UNITS
        scanned = [by_code[order["code"]]["positions"][0]["checkins"] for order in [*box_sold, online_before]]
        assert [[(c["list"], c["type"]) for c in checkins] for checkins in scanned] == [
            [(event.checkin_list, "entry")], [(event.checkin_list, "entry")], [], [(event.checkin_list, "entry")]
        ]

        # A second push creates nothing, and a later pull keeps the box's own orders.
        again = cli(box, "push", *push_args)
        assert (again.returncode, again.stdout, again.stderr) == (
            0, f"Pushed to {proxy.url}/: 0 order(s), 0 check-in(s), 0 cancellation(s).\n", "")
        assert len(everything(central, f"events/{EVENT}/orders/")) == len(orders)
        assert sum(len(p["checkins"]) for order in everything(central, f"events/{EVENT}/orders/")
                   for p in order["positions"]) == 3
        result = cli(box, "pull", "--from", proxy.url, *central_args(central.token))
        assert (result.returncode, result.stderr) == (0, "")

        # A box ticket and the ticket bought online, both canceled at the box, are canceled on pretix by the next
        # push. The box ticket's unit goes back to the voucher, so it stays the box's; the online one is free.
        unscanned = box_sold[2]["code"]
        box_server = Server(box)
        try:
            for code in (unscanned, online_before["code"]):
                answer = requests.post(f"{box_server.url}/api/v1/organizers/{ORGANIZER}/events/{EVENT}/orders/"
                                       f"{code}/mark_canceled/", json={},
                                       headers={"Authorization": f"Token {box_token}"}, timeout=30)
                assert answer.status_code == 200, answer.text
        finally:
            box_server.stop()
        result = cli(box, "push", *push_args)
        assert (result.returncode, result.stdout, result.stderr) == (
            0, f"Pushed to {proxy.url}/: 0 order(s), 0 check-in(s), 2 cancellation(s).\n", "")
        for code in (unscanned, online_before["code"]):
            assert central.get(f"events/{EVENT}/orders/{code}/").json()["status"] == "c"
        availability = central.get(f"events/{EVENT}/quotas/{event.quota}/availability/").json()
        assert (availability["paid_orders"], availability["blocking_vouchers"], availability["available_number"]) == (
            SIZE - 2, 1, 1)
    finally:
        proxy.stop()
