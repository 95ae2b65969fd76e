"""What a client on the LAN cannot do to others: write without a token, replay after revocation, or stall
every sale with one ticket download."""

from __future__ import annotations

import threading

import pytest

from kiosk_tickets import tickets
from tests.helpers import EVENT_URL, created, revoke, store_of
from tests.messages import INVALID_TOKEN

VOUCHERS = f"{EVENT_URL}/vouchers/"
KEY = {"X-Idempotency-Key": "4f1c8b1e-2d9a-4c61-9b3e-7e0d5a6c2b10"}


def stored_answers(app) -> int:
    with store_of(app).transaction() as tx:
        return tx.count("idempotency_keys")


@pytest.mark.parametrize("authorization", [None, "Token nosuchtoken", "Bearer abc", "Token "])
def test_a_write_without_a_valid_token_stores_nothing_under_its_key(app, anonymous, authorization):
    headers = {**KEY, **({"Authorization": authorization} if authorization else {})}

    answers = [anonymous.post(VOUCHERS, json={}, headers=headers) for _ in range(3)]

    assert {response.status_code for response in answers} == {401}
    assert stored_answers(app) == 0


def test_a_revoked_token_replays_nothing(app, api, client_for):
    colleague = client_for("admin")
    first = colleague.post(VOUCHERS, json={}, headers=KEY)
    revoke(store_of(app), colleague.token)

    again = colleague.post(VOUCHERS, json={}, headers=KEY)

    assert first.status_code == 201
    assert (again.status_code, again.get_json()) == (401, INVALID_TOKEN)


def test_a_sale_goes_through_while_a_large_order_renders_its_tickets(app, api, monkeypatch):
    item = created(api, f"{EVENT_URL}/items/", {"name": "Ticket", "default_price": "10.00", "admission": True})
    created(api, f"{EVENT_URL}/quotas/", {"name": "All", "size": 100, "items": [item["id"]]})
    paid = {"status": "p", "payment_provider": "cash", "positions": [{"item": item["id"]}] * 40}
    order = created(api, f"{EVENT_URL}/orders/", paid)
    rendering, may_finish = threading.Event(), threading.Event()
    real_render = tickets.render

    def slow_render(*args, **kwargs):
        rendering.set()
        assert may_finish.wait(10), "the sale did not go through while tickets were rendering"
        return real_render(*args, **kwargs)

    monkeypatch.setattr(tickets, "render", slow_render)
    downloads: list = []
    download = threading.Thread(
        target=lambda: downloads.append(api.get(f"{EVENT_URL}/orders/{order['code']}/download/pdf/"))
    )
    download.start()
    assert rendering.wait(10)

    # The store is free while the download renders: with the render inside the transaction, this sale
    # would wait for the store lock (5 s in tests) and answer 409.
    sale = created(api, f"{EVENT_URL}/cartpositions/", {"item": item["id"], "price": "10.00"})

    may_finish.set()
    download.join(10)
    assert sale["item"] == item["id"]
    assert downloads[0].status_code == 200
    assert downloads[0].mimetype == "application/pdf"
