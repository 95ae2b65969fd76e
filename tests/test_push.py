"""`kiosk-tickets allot` and `push` against a second kiosk-tickets server playing the central pretix."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.central_box import API, EVENT, ORGANIZER, Api, box_api, pull
from tests.central_proxy import CentralProxy, kill_push_at_second_order
from tests.servers import Server, run_cli

pytestmark = pytest.mark.slow  # real processes

QUOTA = 1  # "Admission": items 1 and 4
SIZE = 6
UNITS = 3
TICKET = {"status": "p", "payment_provider": "cash", "positions": [{"item": 1}]}


def cli(box: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk_tickets", "--data-dir", str(box), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def allot(box: Path, token: str, units: int, *extra: str) -> subprocess.CompletedProcess:
    return cli(
        box,
        "allot",
        "--token",
        token,
        "--organizer",
        ORGANIZER,
        "--event",
        EVENT,
        "--quota",
        str(QUOTA),
        "--units",
        str(units),
        "--box",
        "gate-1",
        *extra,
    )


def push(box: Path, token: str, *extra: str) -> subprocess.CompletedProcess:
    return cli(box, "push", "--token", token, "--organizer", ORGANIZER, "--event", EVENT, *extra)


def central_quota(api: Api) -> dict:
    return api.get(f"/events/{EVENT}/quotas/{QUOTA}/", with_availability="true")


def sell_until_refused(api: Api) -> tuple[list[dict], dict]:
    """Sell one ticket of the quota at a time until one is refused; return the orders and the refusal."""
    sold = []
    while True:
        answer = api.post(f"/events/{EVENT}/orders/", TICKET)
        if answer.status_code != 201:
            assert answer.status_code == 400, answer.text
            return sold, answer.json()
        sold.append(answer.json())


@pytest.fixture
def central_dir(tmp_path: Path) -> tuple[Path, str]:
    """The central's data: the demo event with its admission quota cut down to SIZE."""
    data_dir = tmp_path / "central"
    token = run_cli(data_dir, "demo").strip().splitlines()[-1]
    return data_dir, token


def start_central(data_dir: Path, token: str) -> tuple[Server, Api]:
    server = Server(data_dir)
    return server, Api(server.url, token)


@dataclass
class Allotted:
    """A central serving the demo event, and a box that pulled it and holds UNITS of its admission quota."""

    server: Server
    api: Api
    token: str
    box: Path


@pytest.fixture
def allotted(central_dir: tuple[Path, str], tmp_path: Path) -> Iterator[Allotted]:
    data_dir, token = central_dir
    server, api = start_central(data_dir, token)
    box = tmp_path / "box"
    try:
        assert pull(box, api.url, token).returncode == 0
        assert allot(box, token, UNITS).returncode == 0
        yield Allotted(server, api, token, box)
    finally:
        server.stop()


@contextmanager
def box_selling(box: Path) -> Iterator[Api]:
    """The box served for as long as the block sells through its API."""
    server, local = box_api(box)
    try:
        yield local
    finally:
        server.stop()


def test_an_allotment_sold_offline_and_pushed_keeps_the_central_quota_exact(central_dir, tmp_path):
    data_dir, token = central_dir
    server, api = start_central(data_dir, token)
    # The box knows the central under one address, whichever port the restarted central listens on.
    proxy = CentralProxy(server.url)
    box = tmp_path / "box"
    try:
        answer = api.session.patch(
            f"{api.url}/api/v1/organizers/{ORGANIZER}/events/{EVENT}/quotas/{QUOTA}/", json={"size": SIZE}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        online_before = api.order(TICKET)
        assert pull(box, proxy.url, token).returncode == 0
        result = allot(box, token, UNITS)
        assert result.returncode == 0, result.stderr
        (voucher,) = api.everything(f"/events/{EVENT}/vouchers/")
        assert result.stdout == (
            f"Took {UNITS} unit(s) of quota {QUOTA} of {ORGANIZER}/{EVENT} for this box "
            f"(voucher {voucher['code']} on {proxy.url}/).\n"
        )
        assert (
            voucher["max_usages"],
            voucher["block_quota"],
            voucher["quota"],
            voucher["allow_ignore_quota"],
            voucher["tag"],
        ) == (UNITS, True, QUOTA, False, "kiosk-box:gate-1")
        assert central_quota(api)["available_number"] == SIZE - 1 - UNITS
    finally:
        server.stop()

    # The central is gone: the box sells its allotment and not one ticket more, and scans two of them.
    with box_selling(box) as local:
        assert local.get(f"/events/{EVENT}/quotas/{QUOTA}/")["size"] == UNITS + 1
        box_sold, refusal = sell_until_refused(local)
        assert len(box_sold) == UNITS
        assert refusal == {
            "positions": [
                {"item": ['There is not enough quota available on quota "Admission" to perform the operation.']}
            ]
        }
        # Two of its own tickets, and one sold online before.
        for order in [*box_sold[:2], online_before]:
            status, body = local.redeem(order["positions"][0]["secret"])
            assert (status, body["status"]) == (201, "ok")

    # Meanwhile the central sells online until its quota is gone.
    server, api = start_central(data_dir, token)
    proxy.target = server.url
    try:
        online, _ = sell_until_refused(api)
        assert len(online) == SIZE - 1 - UNITS
        result = push(box, token)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout == f"Pushed to {proxy.url}/: {UNITS} order(s), 3 check-in(s), 0 cancellation(s).\n"

        orders = api.everything(f"/events/{EVENT}/orders/")
        assert sum(len(order["positions"]) for order in orders if order["status"] in ("n", "p")) == SIZE
        assert central_quota(api)["available_number"] == 0
        central_by_code = {order["code"]: order for order in orders}
        for order in box_sold:
            copy = central_by_code[order["code"]]
            assert (copy["status"], copy["sales_channel"], copy["payment_provider"]) == ("p", "box_office", "cash")
            assert [p["secret"] for p in copy["positions"]] == [p["secret"] for p in order["positions"]]
            assert copy["positions"][0]["voucher"] == api.everything(f"/events/{EVENT}/vouchers/")[0]["id"]
        scanned = [central_by_code[order["code"]]["positions"][0]["checkins"] for order in box_sold]
        assert [len(checkins) for checkins in scanned] == [1, 1, 0]
        assert len(central_by_code[online_before["code"]]["positions"][0]["checkins"]) == 1
        assert sorted(o["code"] for o in orders) == sorted(o["code"] for o in [online_before, *online, *box_sold])

        # Nothing is pushed twice, and a later pull keeps the box's own orders instead of refusing them.
        again = push(box, token)
        assert (again.returncode, again.stdout) == (
            0,
            f"Pushed to {proxy.url}/: 0 order(s), 0 check-in(s), 0 cancellation(s).\n",
        )
        result = pull(box, proxy.url, token)
        assert result.returncode == 0, result.stderr
        assert len(api.everything(f"/events/{EVENT}/orders/")) == len(orders)
    finally:
        server.stop()
        proxy.stop()
    with box_selling(box) as local:
        # After the pull the box still has its allotment, and no unit of it left.
        assert local.get(f"/events/{EVENT}/quotas/{QUOTA}/", with_availability="true")["available_number"] == 0


def test_an_allotment_never_shrinks_below_what_the_box_sold(allotted):
    api, token, box = allotted.api, allotted.token, allotted.box
    with box_selling(box) as local:
        local.order(TICKET)
        local.order(TICKET)
    result = allot(box, token, 1)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"error: the box has already sold 2 unit(s) of quota {QUOTA}, so its allotment cannot be 1.\n",
    )
    result = allot(box, token, 5)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Changed the allotment to 5 unit(s) of quota {QUOTA}")
    (voucher,) = api.everything(f"/events/{EVENT}/vouchers/")
    assert voucher["max_usages"] == 5


def test_a_push_killed_midway_and_run_again_duplicates_nothing(allotted):
    api, token, box = allotted.api, allotted.token, allotted.box
    proxy = CentralProxy(allotted.server.url)
    try:
        with box_selling(box) as local:
            sold = [local.order(TICKET) for _ in range(UNITS)]
        # The central creates the second order, and the push is killed before it hears so.
        kill_push_at_second_order(proxy, str(box), EVENT, "--token", token, "--organizer", ORGANIZER, "--event", EVENT)
        assert len(api.everything(f"/events/{EVENT}/orders/")) == 2

        result = push(box, token, "--from", proxy.url)
        assert (result.returncode, result.stderr) == (0, "")
        # The second order's answer is replayed under its key; only the third is new.
        assert result.stdout == f"Pushed to {proxy.url}/: 2 order(s), 0 check-in(s), 0 cancellation(s).\n"
        orders = api.everything(f"/events/{EVENT}/orders/")
        assert sorted(order["code"] for order in orders) == sorted(order["code"] for order in sold)
        assert api.everything(f"/events/{EVENT}/vouchers/")[0]["redeemed"] == UNITS
    finally:
        proxy.stop()


def test_a_code_taken_online_is_reported_on_every_push_and_goes_through_once_freed(allotted):
    api, token, box = allotted.api, allotted.token, allotted.box
    with box_selling(box) as local:
        taken, free = local.order(TICKET), local.order(TICKET)
    # A test order online holds the code (test orders are the ones the central lets the operator delete).
    online = api.order({**TICKET, "code": taken["code"], "testmode": True})
    refusal = (
        f"not pushed: order {taken['code']}: refused by the central: "
        '400 {"code": ["This order code is already in use."]}\n'
    )
    for pushed in (1, 0):
        result = push(box, token)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            f"Pushed to {api.url}/: {pushed} order(s), 0 check-in(s), 0 cancellation(s).\n",
            refusal,
        )
    assert sorted(o["code"] for o in api.everything(f"/events/{EVENT}/orders/")) == sorted(
        [online["code"], free["code"]]
    )
    # The operator frees the code on the central; the next push uploads the order under a new key.
    answer = api.session.delete(f"{api.url}{API}/events/{EVENT}/orders/{taken['code']}/", timeout=30)
    assert answer.status_code == 204, answer.text
    result = push(box, token)
    assert (result.returncode, result.stderr) == (0, "")
    (copy,) = [o for o in api.everything(f"/events/{EVENT}/orders/") if o["code"] == taken["code"]]
    assert copy["positions"][0]["secret"] == taken["positions"][0]["secret"]


def test_mistakes_end_in_one_sentence_with_exit_2(central_dir, tmp_path):
    data_dir, token = central_dir
    server, api = start_central(data_dir, token)
    box = tmp_path / "box"
    try:
        run_cli(box, "init", "--organizer", ORGANIZER, "--name", "Demo")
        never = f"error: the event {ORGANIZER}/{EVENT} was never pulled from a central; run pull first.\n"
        assert (allot(box, token, UNITS).returncode, allot(box, token, UNITS).stderr) == (2, never)
        assert (push(box, token).returncode, push(box, token).stderr) == (2, never)
        pulled = tmp_path / "pulled"
        assert pull(pulled, api.url, token).returncode == 0
        result = allot(pulled, token, UNITS, "--quota", "99")
        assert (result.returncode, result.stderr) == (
            2,
            "error: the event has no quota 99 pulled from the central; pull first.\n",
        )
        result = allot(pulled, "wrong", UNITS)
        assert (result.returncode, result.stderr) == (
            2,
            f"error: the central server {api.url}/ refused the token (401): check --token.\n",
        )
        with box_selling(pulled) as local:
            # Forced: not allotted, the quota has no room at the box.
            local.order({**TICKET, "force": True})
    finally:
        server.stop()
    result = push(pulled, token)
    assert (result.returncode, result.stderr) == (
        2,
        f"error: the central server {api.url}/ cannot be reached (connection refused or no route).\n",
    )


def test_a_cancellation_at_the_box_reaches_the_central_once_and_frees_the_unit_there(allotted):
    api, token, box = allotted.api, allotted.token, allotted.box
    with box_selling(box) as local:
        kept, canceled, never_pushed = local.order(TICKET), local.order(TICKET), local.order(TICKET)
        assert local.post(f"/events/{EVENT}/orders/{never_pushed['code']}/mark_canceled/", {}).status_code == 200
        assert push(box, token).stdout == f"Pushed to {api.url}/: 2 order(s), 0 check-in(s), 0 cancellation(s).\n"
        assert local.post(f"/events/{EVENT}/orders/{canceled['code']}/mark_canceled/", {}).status_code == 200
    for cancellations in (1, 0):
        result = push(box, token)
        assert (result.returncode, result.stdout) == (
            0,
            f"Pushed to {api.url}/: 0 order(s), 0 check-in(s), {cancellations} cancellation(s).\n",
        )
    statuses = {order["code"]: order["status"] for order in api.everything(f"/events/{EVENT}/orders/")}
    assert statuses == {kept["code"]: "p", canceled["code"]: "c"}


def test_an_online_order_canceled_at_the_box_stays_canceled_through_a_pull_and_a_push_cancels_it_online(
    central_dir, tmp_path
):
    data_dir, token = central_dir
    server, api = start_central(data_dir, token)
    box = tmp_path / "box"
    try:
        online, other = api.order(TICKET), api.order(TICKET)
        assert pull(box, api.url, token).returncode == 0
        with box_selling(box) as local:
            canceled = local.post(f"/events/{EVENT}/orders/{online['code']}/mark_canceled/", {})
            assert (canceled.status_code, canceled.json()["status"]) == (200, "c")
        # A pull before the push: the central still has the order paid, and the box keeps its cancellation.
        assert pull(box, api.url, token).returncode == 0
        assert sync_status(box)[3] == "Waiting to be pushed: 0 order(s), 0 check-in(s), 1 cancellation(s)"
        with box_selling(box) as local:
            status, body = local.redeem(online["positions"][0]["secret"])
            assert (status, body["status"], body["reason"]) == (200, "error", "canceled")
        for cancellations in (1, 0):
            result = push(box, token)
            assert (result.returncode, result.stdout) == (
                0,
                f"Pushed to {api.url}/: 0 order(s), 0 check-in(s), {cancellations} cancellation(s).\n",
            )
        central = {order["code"]: order["status"] for order in api.everything(f"/events/{EVENT}/orders/")}
        assert central == {online["code"]: "c", other["code"]: "p"}
        # Pulled again, the central's copy is canceled too and nothing waits.
        assert pull(box, api.url, token).returncode == 0
        assert sync_status(box)[3] == "Waiting to be pushed: 0 order(s), 0 check-in(s), 0 cancellation(s)"
    finally:
        server.stop()


def sync_status(box: Path) -> list[str]:
    result = cli(box, "sync", "status", "--organizer", ORGANIZER, "--event", EVENT)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout.splitlines()


def test_sync_status_tells_what_waits_and_sync_pushes_then_pulls(allotted):
    api, token, box = allotted.api, allotted.token, allotted.box
    with box_selling(box) as local:
        sold = [local.order(TICKET), local.order(TICKET)]
        assert local.redeem(sold[0]["positions"][0]["secret"])[0] == 201
    before = sync_status(box)
    assert before[0] == f"Central: {api.url}/"
    assert before[1].startswith("Last pull: 20") and before[2] == "Last push: never"
    assert before[3:] == [
        "Waiting to be pushed: 2 order(s), 1 check-in(s), 0 cancellation(s)",
        f"Allotment of quota {QUOTA} (Admission): {UNITS} unit(s), 2 sold, 1 left",
    ]

    synced = cli(box, "sync", "--token", token, "--organizer", ORGANIZER, "--event", EVENT)
    assert (synced.returncode, synced.stderr) == (0, ""), synced.stderr
    lines = synced.stdout.splitlines()
    assert lines[0] == f"Pushed to {api.url}/: 2 order(s), 1 check-in(s), 0 cancellation(s)."
    assert lines[1].startswith(f"Pulled {ORGANIZER}/{EVENT} from {api.url}/: ")
    assert {o["code"] for o in api.everything(f"/events/{EVENT}/orders/")} >= {o["code"] for o in sold}

    after = sync_status(box)
    assert after[2].startswith("Last push: 20")
    assert after[3:] == [
        "Waiting to be pushed: 0 order(s), 0 check-in(s), 0 cancellation(s)",
        f"Allotment of quota {QUOTA} (Admission): {UNITS} unit(s), 2 sold, 1 left",
    ]


def test_sync_needs_a_token_and_status_a_pulled_event(tmp_path):
    box = tmp_path / "box"
    run_cli(box, "init", "--organizer", ORGANIZER, "--name", "Box")
    no_token = cli(box, "sync", "--organizer", ORGANIZER, "--event", EVENT)
    assert (no_token.returncode, no_token.stderr) == (
        2,
        "error: sync needs --token, an API token of the central (sync status does not).\n",
    )
    never = cli(box, "sync", "status", "--organizer", ORGANIZER, "--event", EVENT)
    assert (never.returncode, never.stderr) == (
        2,
        f"error: the event {ORGANIZER}/{EVENT} was never pulled from a central; run pull first.\n",
    )


def test_serve_syncs_in_the_background_and_keeps_selling_when_the_central_is_gone(allotted):
    api, token, box = allotted.api, allotted.token, allotted.box
    local_token = run_cli(box, "token", "create", "--organizer", ORGANIZER, "--scope", "admin").splitlines()[-1]
    box_server = Server(box, "--sync-every", "0.01", "--sync-token", token)
    local = Api(box_server.url, local_token)
    try:
        sold = local.order(TICKET)
        # A real process syncing on its own schedule: wait (bounded) until the central has the box's sale.
        deadline = time.monotonic() + 60
        while sold["code"] not in {o["code"] for o in api.everything(f"/events/{EVENT}/orders/")}:
            assert time.monotonic() < deadline, box_server.log()
            time.sleep(0.2)
        allotted.server.stop()
        # With the central gone, the box goes on selling from its allotment.
        assert local.order(TICKET)["status"] == "p"
    finally:
        box_server.stop()
