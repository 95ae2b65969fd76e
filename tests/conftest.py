"""Shared fixtures: an app on a temporary data directory with a movable clock, tokens, and an API client.

One app serves the whole session and gets a fresh store and clock per test; a test that changes the app's
configuration must do it with `monkeypatch.setitem(app.config, ...)` so that the next test does not inherit it."""

from __future__ import annotations

import pytest

from tests.helpers import (
    FUZZ_SUMMARY,
    LOCK_TIMEOUT,
    ORGANIZER,
    ApiClient,
    Clock,
    admin_client,
    make_token,
    new_app,
    open_store,
    store_of,
    use_store,
    with_sample_event,
)


@pytest.fixture
def data_dir(tmp_path):
    """Where a test's own store or server keeps its data."""
    return tmp_path / "data"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def routed_app(tmp_path_factory):
    """One app per session: Werkzeug compiles every URL rule, about 40 ms an app, the bulk of a test's setup."""
    return new_app(tmp_path_factory.mktemp("unused"))


@pytest.fixture
def app(routed_app, tmp_path, clock):
    """The app on a data directory and clock of this test's own, so every test starts from nothing."""
    data_dir = tmp_path / "data"
    store = open_store(data_dir, lock_timeout=LOCK_TIMEOUT)
    routed_app.config.update(DATA_DIR=str(data_dir), CLOCK=clock)
    use_store(routed_app, store)
    yield routed_app
    store.close()


@pytest.fixture
def store(app):
    return store_of(app)


@pytest.fixture
def token(store) -> str:
    return make_token(store)


@pytest.fixture
def api(app, token) -> ApiClient:
    """An admin client of organizer `bigevents`, with event `sampleconf` created."""
    return with_sample_event(ApiClient(app.test_client(), token))


@pytest.fixture(scope="module")
def rejecting_api(tmp_path_factory) -> ApiClient:
    """One app per module for tables of input that must be rejected: such rows change nothing (each row
    checks that nothing was created), so they need no fresh store each."""
    return admin_client(new_app(tmp_path_factory.mktemp("rejecting") / "data"))


@pytest.fixture
def client_for(app, store):
    """Make a client with a token of the given scope (and organizer)."""

    def make(scope: str = "admin", organizer: str = ORGANIZER) -> ApiClient:
        return ApiClient(app.test_client(), make_token(store, organizer, scope))

    return make


@pytest.fixture
def anonymous(app) -> ApiClient:
    return ApiClient(app.test_client(), None)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    summary = config.stash.get(FUZZ_SUMMARY, None)
    if summary:
        terminalreporter.write_line(summary)
