"""Real waitress processes on one data directory: shared state, and no acknowledged write lost to SIGKILL."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
import requests

from tests.helpers import open_store
from tests.servers import Server, init_token

pytestmark = pytest.mark.slow  # real processes

ORGANIZER = "proc"


@pytest.fixture
def token(data_dir):
    return init_token(data_dir, ORGANIZER)


@pytest.fixture
def servers(data_dir, token):
    started = []

    def start(threads: int = 4) -> Server:
        server = Server(data_dir, threads=threads)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def create_event(session, server, slug="live"):
    response = session.post(
        f"{server.url}/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": {"en": "Live"}, "slug": slug, "date_from": "2030-01-01T10:00:00Z"},
    )
    assert response.status_code == 201, response.text
    return f"{server.url}/api/v1/organizers/{ORGANIZER}/events/{slug}"


def test_a_write_through_one_server_is_read_through_the_other(servers, token):
    first, second = servers(), servers()
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    create_event(session, first)
    path = f"/api/v1/organizers/{ORGANIZER}/events/live/categories/"
    created = []
    for number in range(10):
        server = (first, second)[number % 2]
        response = session.post(server.url + path, json={"name": {"en": f"Category {number}"}})
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    assert created == list(range(1, 11))
    for server in (first, second):
        listing = session.get(server.url + path + "?ordering=id").json()
        assert [category["name"]["en"] for category in listing["results"]] == [f"Category {n}" for n in range(10)]


@dataclass
class Writers:
    """Threads that create vouchers through one server until stopped, noting each code the server acknowledged."""

    token: str
    event_url: str
    target: int
    acknowledged: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    enough: threading.Event = field(default_factory=threading.Event)

    def write(self, worker: int) -> None:
        own = requests.Session()
        own.headers["Authorization"] = f"Token {self.token}"
        number = 0
        while not self.stop.is_set() and number < 2000:
            code = f"W{worker}N{number:05d}"
            number += 1
            try:
                response = own.post(self.event_url + "/vouchers/", json={"code": code}, timeout=5)
            except requests.RequestException:
                return
            if response.status_code == 201:
                with self.lock:
                    self.acknowledged.append(code)
                    if len(self.acknowledged) >= self.target:
                        self.enough.set()


def test_sigkill_in_a_stream_of_writes_loses_no_acknowledged_write(servers, token, data_dir):
    for round_number in range(3):
        server = servers()
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        slug = f"kill{round_number}"
        event_url = create_event(session, server, slug)
        writing = Writers(token, event_url, target=40 + 20 * round_number)

        workers = [threading.Thread(target=writing.write, args=(worker,)) for worker in range(4)]
        for worker in workers:
            worker.start()
        assert writing.enough.wait(timeout=120)
        server.kill_hard()
        writing.stop.set()
        for worker in workers:
            worker.join(timeout=30)
        with open_store(data_dir).transaction() as tx:
            event = tx.find_one("events", slug=slug)
            stored = {voucher["code"] for voucher in tx.find("vouchers", event=event["id"])}
        assert set(writing.acknowledged) <= stored
        assert len(stored) - len(writing.acknowledged) <= 4  # at most one in flight per writer
        server.stop()
