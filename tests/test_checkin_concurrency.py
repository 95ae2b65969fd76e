"""Two scanners, one ticket, one moment: under real concurrency each secret is let in exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests

from tests.helpers import open_store
from tests.servers import Server, run_cli

pytestmark = pytest.mark.slow  # real processes

ORGANIZER = "door"


def test_eight_threads_redeeming_the_same_twenty_secrets_let_each_in_once(tmp_path):
    data_dir = tmp_path / "data"
    token = run_cli(data_dir, "init", "--organizer", ORGANIZER, "--name", "Door").strip().splitlines()[-1]
    server = Server(data_dir, threads=8)
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        base = f"{server.url}/api/v1/organizers/{ORGANIZER}"
        assert (
            session.post(
                base + "/events/", json={"name": "Door", "slug": "door", "date_from": "2030-01-01T20:00:00Z"}
            ).status_code
            == 201
        )
        item = session.post(
            base + "/events/door/items/", json={"name": "Ticket", "default_price": "10.00", "admission": True}
        ).json()
        assert (
            session.post(
                base + "/events/door/quotas/", json={"name": "All", "size": 100, "items": [item["id"]]}
            ).status_code
            == 201
        )
        order = session.post(
            base + "/events/door/orders/",
            json={"status": "p", "payment_provider": "cash", "positions": [{"item": item["id"]} for _ in range(20)]},
        ).json()
        secrets = [position["secret"] for position in order["positions"]]
        checkin_list = session.post(base + "/events/door/checkinlists/", json={"name": "Entrance"}).json()

        outcomes: Counter[tuple[str, str | None]] = Counter()
        lock = threading.Lock()
        start = threading.Barrier(8)

        def scan(worker: int) -> None:
            own = requests.Session()
            own.headers["Authorization"] = f"Token {token}"
            start.wait()
            for secret in secrets[worker % 4 * 5 :] + secrets[: worker % 4 * 5]:
                body = {"secret": secret, "lists": [checkin_list["id"]]}
                answer = own.post(base + "/checkinrpc/redeem/", json=body, timeout=60).json()
                with lock:
                    outcomes[(answer["status"], answer.get("reason"))] += 1

        threads = [threading.Thread(target=scan, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcomes == {("ok", None): 20, ("error", "already_redeemed"): 8 * 20 - 20}
    finally:
        server.stop()
    with open_store(data_dir).transaction() as tx:
        successful = [c for c in tx.all("checkins") if c["successful"]]
        assert len(successful) == 20
        assert len({c["position"] for c in successful}) == 20
