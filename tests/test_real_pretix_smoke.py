"""The calls a box office makes to sync with a central pretix, against a real pretix (tests/central/install_pretix.sh):
an event set up by the organizer, a voucher that blocks quota for the box, orders pushed with chosen ticket secrets and
idempotency keys, and check-ins pushed with force, datetime and nonce."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.central.pretix_server import PretixServer, create_event, installed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pretix,
    pytest.mark.skipif(not installed(), reason="no real pretix in .venv-pretix/: run tests/central/install_pretix.sh"),
]

SALES_CHANNEL = "api.boxoffice"


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PretixServer]:
    with PretixServer(tmp_path_factory.mktemp("central") / "pretix", organizer="central") as server:
        print(f"pretix started in {server.timings['total']:.1f} s: {server.timings}")
        response = server.post("saleschannels/", json={"identifier": SALES_CHANNEL, "label": {"en": "Box office"}})
        assert response.status_code == 201, response.text
        yield server


def availability(central: PretixServer, event: str, quota: int) -> dict[str, Any]:
    response = central.get(f"events/{event}/quotas/{quota}/availability/")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def paid_order(item: int, secret: str, voucher: str | None = None, **order: Any) -> dict[str, Any]:
    """An order as the box pushes it: one ticket with the box's secret, paid at the box, in the box's sales channel."""
    position = {"item": item, "price": "10.00", "secret": secret}
    if voucher is not None:
        position["voucher"] = voucher  # by code, not by id
    return {
        "status": "p",
        "payment_provider": "manual",
        "sales_channel": SALES_CHANNEL,
        "positions": [position],
        **order,
    }


def test_voucher_blocks_quota_for_the_box_and_orders_consume_it(central):
    event = create_event(central, "blocked", quota_size=10)

    response = central.post(
        "events/blocked/vouchers/",
        json={"code": "BOX-BLOCKED-1", "max_usages": 3, "block_quota": True, "item": event.item},
    )

    assert response.status_code == 201, response.text
    voucher = response.json()
    assert (voucher["max_usages"], voucher["redeemed"], voucher["block_quota"]) == (3, 0, True)
    quota = availability(central, "blocked", event.quota)
    assert (quota["blocking_vouchers"], quota["available_number"]) == (3, 7)

    response = central.post(
        "events/blocked/orders/",
        json=paid_order(event.item, "box-blocked-1", voucher="BOX-BLOCKED-1"),
    )

    assert response.status_code == 201, response.text
    assert response.json()["positions"][0]["voucher"] == voucher["id"]
    assert central.get(f"events/blocked/vouchers/{voucher['id']}/").json()["redeemed"] == 1
    quota = availability(central, "blocked", event.quota)
    # The sale moved from the voucher's block to the paid orders: the quota left for others did not change.
    assert (quota["paid_orders"], quota["blocking_vouchers"], quota["available_number"]) == (1, 2, 7)


def test_a_blocking_voucher_needs_a_product_or_quota(central):
    create_event(central, "unbound")

    response = central.post("events/unbound/vouchers/", json={"code": "BOX-X", "max_usages": 2, "block_quota": True})

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["You need to select a specific product or quota if this voucher should reserve tickets."]
    }


def test_a_voucher_used_up_refuses_the_next_order(central):
    event = create_event(central, "usedup")
    central.post(
        "events/usedup/vouchers/", json={"code": "BOX-ONE", "max_usages": 1, "block_quota": True, "item": event.item}
    )
    first = central.post("events/usedup/orders/", json=paid_order(event.item, "used-1", voucher="BOX-ONE"))
    assert first.status_code == 201, first.text

    response = central.post("events/usedup/orders/", json=paid_order(event.item, "used-2", voucher="BOX-ONE"))

    assert response.status_code == 400
    assert response.json() == {
        "positions": [{"voucher": ["The voucher has already been used the maximum number of times."]}]
    }


def test_order_with_chosen_code_and_secret_is_created_once_per_idempotency_key(central):
    event = create_event(central, "pushed")
    secret = "Kq3+x/Zw9vY=="  # base64 characters, as a signed ticket secret has
    key = str(uuid.uuid4())
    body = paid_order(event.item, secret, code="BX7K2", email="guest@example.org", payment_date="2026-11-29")

    first = central.post("events/pushed/orders/", json=body, headers={"X-Idempotency-Key": key})
    again = central.post("events/pushed/orders/", json=body, headers={"X-Idempotency-Key": key})

    assert first.status_code == 201, first.text
    order = first.json()
    assert (order["code"], order["status"], order["sales_channel"]) == ("BX7K2", "p", SALES_CHANNEL)
    assert order["positions"][0]["secret"] == secret
    assert order["payment_date"] == "2026-11-29"
    assert again.status_code == 201
    assert again.json() == order
    listed = central.get("events/pushed/orders/").json()
    assert [o["code"] for o in listed["results"]] == ["BX7K2"]
    positions = central.get(f"events/pushed/checkinlists/{event.checkin_list}/positions/", params={"secret": secret})
    assert [p["order"] for p in positions.json()["results"]] == ["BX7K2"]


def test_an_idempotency_key_replays_its_first_answer_whatever_the_body(central):
    event = create_event(central, "replayed")
    key = str(uuid.uuid4())
    refused = central.post(
        "events/replayed/orders/", json=paid_order(event.item, "s-1", code="BADO1"), headers={"X-Idempotency-Key": key}
    )

    corrected = central.post(
        "events/replayed/orders/", json=paid_order(event.item, "s-1", code="BAD12"), headers={"X-Idempotency-Key": key}
    )

    # 'O' is not in pretix's order code alphabet; the refusal is stored under the key and replayed for the fixed body.
    assert refused.status_code == 400
    assert refused.json() == {"code": ["This order code contains invalid characters."]}
    assert corrected.status_code == 400
    assert corrected.json() == refused.json()
    assert central.get("events/replayed/orders/").json()["count"] == 0
    fresh = central.post(
        "events/replayed/orders/",
        json=paid_order(event.item, "s-1", code="BAD12"),
        headers={"X-Idempotency-Key": str(uuid.uuid4())},
    )
    assert fresh.status_code == 201, fresh.text


@pytest.mark.parametrize(
    ("change", "status", "errors"),
    [
        ({"code": "KIOSK1"}, 400, {"code": ["This order code contains invalid characters."]}),
        ({"code": "bx7k3"}, 400, {"code": ["This order code contains invalid characters."]}),
        ({"code": "BX7"}, 400, {"code": ["Ensure this field has at least 5 characters."]}),
        ({"payment_provider": None}, 400, ["You cannot create a paid order without a payment provider."]),
        ({"sales_channel": "box"}, 400, {"sales_channel": ["Object with identifier=box does not exist."]}),
    ],
    ids=["letter-O-and-I", "lower-case", "too-short", "paid-without-provider", "unknown-channel"],
)
def test_order_refusals(central, change, status, errors):
    slug = f"refusal-{uuid.uuid4().hex[:8]}"
    event = create_event(central, slug)

    response = central.post(f"events/{slug}/orders/", json={**paid_order(event.item, "s-2"), **change})

    assert response.status_code == status
    assert response.json() == errors


def test_order_secret_and_code_must_be_new(central):
    event = create_event(central, "taken")
    assert central.post("events/taken/orders/", json=paid_order(event.item, "dup", code="TK123")).status_code == 201

    response = central.post("events/taken/orders/", json=paid_order(event.item, "dup", code="TK123"))

    assert response.status_code == 400
    assert response.json() == {
        "code": ["This order code is already in use."],
        "positions": [{"secret": ["You cannot assign a position secret that already exists."]}],
    }


def test_order_beyond_the_quota_needs_force(central):
    event = create_event(central, "full", quota_size=1)
    assert central.post("events/full/orders/", json=paid_order(event.item, "full-1")).status_code == 201

    refused = central.post("events/full/orders/", json=paid_order(event.item, "full-2"))
    forced = central.post("events/full/orders/", json=paid_order(event.item, "full-2", force=True))

    assert refused.status_code == 400
    assert refused.json() == {
        "positions": [{"item": ['There is not enough quota available on quota "Admission" to perform the operation.']}]
    }
    assert forced.status_code == 201, forced.text
    assert availability(central, "full", event.quota)["paid_orders"] == 2


def checkins(central: PretixServer, event: str, checkin_list: int, secret: str) -> list[dict[str, Any]]:
    response = central.get(f"events/{event}/checkinlists/{checkin_list}/positions/", params={"secret": secret})
    assert response.status_code == 200
    [position] = response.json()["results"]
    found: list[dict[str, Any]] = position["checkins"]
    return found


def test_forced_redeem_with_datetime_and_nonce(central):
    event = create_event(central, "door")
    secret = "door+ticket/1=="
    assert central.post("events/door/orders/", json=paid_order(event.item, secret)).status_code == 201
    scan = {
        "secret": secret,
        "lists": [event.checkin_list],
        "type": "entry",
        "force": True,
        "datetime": "2026-11-29T18:00:00+01:00",
        "nonce": "box-scan-1",
    }

    first = central.post("checkinrpc/redeem/", json=scan)
    again = central.post("checkinrpc/redeem/", json=scan)

    assert first.status_code == 201, first.text
    assert first.json()["status"] == "ok"
    assert first.json()["list"] == {
        "id": event.checkin_list,
        "name": "Entrance",
        "event": "door",
        "subevent": None,
        "include_pending": False,
    }
    # The answer's position shows the check-ins from before this one.
    assert first.json()["position"]["checkins"] == []
    assert again.status_code == 201
    assert again.json()["status"] == "ok"
    # The same nonce is the same scan: one check-in, at the time the box saw it, kept in UTC.
    [checkin] = checkins(central, "door", event.checkin_list, secret)
    assert (checkin["datetime"], checkin["type"], checkin["list"]) == (
        "2026-11-29T17:00:00Z",
        "entry",
        event.checkin_list,
    )

    unforced = central.post("checkinrpc/redeem/", json={**scan, "force": False, "nonce": "box-scan-2"})
    assert unforced.status_code == 400
    assert (unforced.json()["status"], unforced.json()["reason"]) == ("error", "already_redeemed")

    forced = central.post(
        "checkinrpc/redeem/", json={**scan, "nonce": "box-scan-3", "datetime": "2026-11-29T17:30:00Z"}
    )
    assert forced.status_code == 201
    assert forced.json()["status"] == "ok"
    assert [c["datetime"] for c in checkins(central, "door", event.checkin_list, secret)] == [
        "2026-11-29T17:30:00Z",
        "2026-11-29T17:00:00Z",
    ]


def test_forced_redeem_of_an_unknown_secret_is_not_found(central):
    event = create_event(central, "stranger")

    response = central.post(
        "checkinrpc/redeem/",
        json={
            "secret": "not-sold-here",
            "lists": [event.checkin_list],
            "force": True,
            "datetime": "2026-11-29T18:00:00Z",
            "nonce": "box-scan-x",
        },
    )

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Not found.",
        "status": "error",
        "reason": "invalid",
        "reason_explanation": None,
        "require_attention": False,
        "checkin_texts": [],
        "list": {
            "id": event.checkin_list,
            "name": "Entrance",
            "event": "stranger",
            "subevent": None,
            "include_pending": False,
        },
    }


def test_mail_is_written_to_files_not_sent(central):
    event = create_event(central, "mailed")

    response = central.post(
        "events/mailed/orders/",
        json=paid_order(event.item, "mailed-1", email="guest@example.org", send_email=True),
    )

    assert response.status_code == 201, response.text
    mails = [path.read_text() for path in (central.data_dir / "mail").iterdir()]
    assert any("To: guest@example.org" in mail for mail in mails)
