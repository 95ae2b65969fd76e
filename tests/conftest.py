"""Shared fixtures: an app on a temporary data directory with a movable clock, tokens, and an API client."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kiosk_tickets import create_app
from kiosk_tickets.services import auth, events
from kiosk_tickets.store import Store

ORGANIZER = "bigevents"
EVENT = "sampleconf"
EVENT_URL = f"/api/v1/organizers/{ORGANIZER}/events/{EVENT}"
START = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    """A clock tests move by hand instead of sleeping."""

    def __init__(self, moment: datetime = START) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class ApiClient:
    """Flask's test client with a token and JSON bodies by default."""

    def __init__(self, client: Any, token: str | None) -> None:
        self.client = client
        self.token = token

    def request(self, method: str, url: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any):
        all_headers = {"Authorization": f"Token {self.token}"} if self.token else {}
        all_headers.update(headers or {})
        if json is not None:
            kwargs["json"] = copy.deepcopy(json)
        return self.client.open(url, method=method, headers=all_headers, **kwargs)

    def get(self, url: str, **kwargs: Any):
        return self.request("GET", url, **kwargs)

    def post(self, url: str, json: Any = None, **kwargs: Any):
        return self.request("POST", url, json=json, **kwargs)

    def patch(self, url: str, json: Any = None, **kwargs: Any):
        return self.request("PATCH", url, json=json, **kwargs)

    def put(self, url: str, json: Any = None, **kwargs: Any):
        return self.request("PUT", url, json=json, **kwargs)

    def delete(self, url: str, **kwargs: Any):
        return self.request("DELETE", url, **kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def routed_app(tmp_path_factory):
    """One app per session: Werkzeug compiles every URL rule, about 40 ms an app, the bulk of a test's setup."""
    return create_app({"DATA_DIR": str(tmp_path_factory.mktemp("unused")), "LOCK_TIMEOUT": 5.0})


@pytest.fixture
def app(routed_app, tmp_path, clock):
    """The app on a data directory and clock of this test's own, so every test starts from nothing."""
    data_dir = tmp_path / "data"
    store = Store(data_dir, lock_timeout=5.0)
    routed_app.config.update(DATA_DIR=str(data_dir), CLOCK=clock)
    routed_app.extensions["kiosk_tickets.store"] = store
    yield routed_app
    store.close()


@pytest.fixture
def store(app):
    return app.extensions["kiosk_tickets.store"]


def make_token(store, organizer: str = ORGANIZER, scope: str = "admin") -> str:
    with store.transaction() as tx:
        events.ensure_organizer(tx, organizer, organizer.title())
        token, _ = auth.create_token(tx, organizer, scope, START)
    return token


@pytest.fixture
def token(store) -> str:
    return make_token(store)


SAMPLE_EVENT = {"name": {"en": "Sample Conference"}, "slug": EVENT, "date_from": "2017-12-27T10:00:00Z"}


def with_sample_event(client: ApiClient) -> ApiClient:
    response = client.post(f"/api/v1/organizers/{ORGANIZER}/events/", json=SAMPLE_EVENT)
    assert response.status_code == 201, response.get_json()
    return client


@pytest.fixture
def api(app, token) -> ApiClient:
    """An admin client of organizer `bigevents`, with event `sampleconf` created."""
    return with_sample_event(ApiClient(app.test_client(), token))


def standalone_client(tmp_path_factory, name: str) -> ApiClient:
    """An admin client with event `sampleconf` on an app of its own, for data that outlives one test."""
    app = create_app({"DATA_DIR": str(tmp_path_factory.mktemp(name) / "data"), "CLOCK": Clock(), "LOCK_TIMEOUT": 5.0})
    return with_sample_event(ApiClient(app.test_client(), make_token(app.extensions["kiosk_tickets.store"])))


@pytest.fixture(scope="module")
def rejecting_api(tmp_path_factory) -> ApiClient:
    """One app per module for tables of input that must be rejected: such rows change nothing (each row
    checks that nothing was created), so they need no fresh store each."""
    return standalone_client(tmp_path_factory, "rejecting")


@pytest.fixture
def client_for(app, store):
    """Make a client with a token of the given scope (and organizer)."""

    def make(scope: str = "admin", organizer: str = ORGANIZER) -> ApiClient:
        return ApiClient(app.test_client(), make_token(store, organizer, scope))

    return make


@pytest.fixture
def anonymous(app) -> ApiClient:
    return ApiClient(app.test_client(), None)
