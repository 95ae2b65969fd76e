"""No overselling under real concurrency: two waitress processes on one data directory, many client threads."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests

from tests.helpers import open_store
from tests.servers import Server, run_cli

pytestmark = pytest.mark.slow  # real processes

ORGANIZER = "rush"
SOLD_OUT = ['There is not enough quota available on quota "Front row" to perform the operation.']


def test_two_servers_and_sixteen_threads_sell_exactly_the_quota(tmp_path):
    data_dir = tmp_path / "data"
    token = run_cli(data_dir, "init", "--organizer", ORGANIZER, "--name", "Rush").strip().splitlines()[-1]
    servers = [Server(data_dir, threads=8), Server(data_dir, threads=8)]
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        base = f"/api/v1/organizers/{ORGANIZER}/events"
        first = servers[0].url
        event = session.post(
            first + base + "/", json={"name": "Rush", "slug": "rush", "date_from": "2030-01-01T20:00:00Z"}
        )
        assert event.status_code == 201
        item = session.post(first + base + "/rush/items/", json={"name": "Ticket", "default_price": "10.00"}).json()
        quota = session.post(
            first + base + "/rush/quotas/", json={"name": "Front row", "size": 50, "items": [item["id"]]}
        )
        assert quota.status_code == 201

        outcomes: Counter[int] = Counter()
        bodies: list = []
        lock = threading.Lock()
        start = threading.Barrier(16)

        def buy(worker: int) -> None:
            own = requests.Session()
            own.headers["Authorization"] = f"Token {token}"
            server = servers[worker % 2]
            start.wait()
            sale = {"item": item["id"], "price": "10.00"}
            for _ in range(13):
                response = own.post(server.url + base + "/rush/cartpositions/", json=sale, timeout=60)
                with lock:
                    outcomes[response.status_code] += 1
                    if response.status_code != 201:
                        bodies.append(response.json())

        threads = [threading.Thread(target=buy, args=(worker,)) for worker in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert outcomes == {201: 50, 400: 16 * 13 - 50}
        assert all(body == SOLD_OUT for body in bodies)
        availability = session.get(f"{servers[1].url}{base}/rush/quotas/{quota.json()['id']}/availability/").json()
        assert (availability["cart_positions"], availability["available_number"]) == (50, 0)
    finally:
        for server in servers:
            server.stop()
    with open_store(data_dir).transaction() as tx:
        assert tx.count("cartpositions") == 50
