"""Plain helpers for the tests: the API client, the movable clock, page bodies, and the few places that reach
into the application's internals (the store of an app, tokens, organizers)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk_tickets import create_app
from kiosk_tickets.context import get_store, init_store
from kiosk_tickets.services import auth, events
from kiosk_tickets.store import Store
from tests.messages import NOT_FOUND

ORGANIZER = "bigevents"
EVENT = "sampleconf"
EVENTS_URL = f"/api/v1/organizers/{ORGANIZER}/events/"
EVENT_URL = f"{EVENTS_URL}{EVENT}"
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LOCK_TIMEOUT = 5.0
SAMPLE_EVENT = {"name": {"en": "Sample Conference"}, "slug": EVENT, "date_from": "2017-12-27T10:00:00Z"}


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

    def __init__(self, client: Any, token: str | None, scheme: str = "Token") -> None:
        self.client = client
        self.token = token
        self.scheme = scheme  # "Device" for a paired device's API token

    def request(self, method: str, url: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any):
        all_headers = {"Authorization": f"{self.scheme} {self.token}"} if self.token else {}
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


# ---------------------------------------------------------------------------------------- application internals
# Every test reaches the store, tokens and organizers through these functions only.


def open_store(data_dir: Path | str, **options: Any) -> Store:
    """A store on `data_dir`, as a separate process would open it."""
    return Store(data_dir, **options)


def store_of(app: Any) -> Store:
    """The store an app serves from."""
    return get_store(app)


def use_store(app: Any, store: Store) -> None:
    """Make an app serve from `store`."""
    init_store(app, store)


def make_token(store: Store, organizer: str = ORGANIZER, scope: str = "admin") -> str:
    """A new token of `scope` for `organizer` (created if missing)."""
    with store.transaction() as tx:
        events.ensure_organizer(tx, organizer, organizer.title())
        token, _ = auth.create_token(tx, organizer, scope, START)
    return token


def revoke(store: Store, token: str) -> None:
    """Revoke a token that was handed out earlier, as `kiosk-tickets token revoke` does."""
    with store.transaction() as tx:
        record = tx.find_one("api_tokens", token_hash=auth.hash_token(token))
        assert record is not None
        auth.revoke_token(tx, record["id"])


def revoked_token(store: Store, organizer: str = ORGANIZER) -> str:
    """An admin token of `organizer` that has been revoked."""
    with store.transaction() as tx:
        token, record = auth.create_token(tx, organizer, "admin", START)
        auth.revoke_token(tx, record["id"])
    return token


def new_app(data_dir: Path | str, clock: Clock | None = None) -> Any:
    """An app of its own on `data_dir`."""
    return create_app({"DATA_DIR": str(data_dir), "CLOCK": clock or Clock(), "LOCK_TIMEOUT": LOCK_TIMEOUT})


# ---------------------------------------------------------------------------------------- requests and bodies


def with_sample_event(client: ApiClient) -> ApiClient:
    response = client.post(EVENTS_URL, json=SAMPLE_EVENT)
    assert response.status_code == 201, response.get_json()
    return client


def admin_client(app: Any) -> ApiClient:
    """An admin client of organizer `bigevents` on `app`, with event `sampleconf` created."""
    return with_sample_event(ApiClient(app.test_client(), make_token(store_of(app))))


def created(api: ApiClient, url: str, payload: Any, **kwargs: Any) -> dict:
    """POST `payload` to `url`, check that it was created, and return the new object."""
    response = api.post(url, json=payload, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def page(results: list, count: int | None = None, next_url: str | None = None, previous_url: str | None = None) -> dict:
    """A list body: `results` of `count` objects (all of them by default) with the links to its neighbours."""
    return {
        "count": len(results) if count is None else count,
        "next": next_url,
        "previous": previous_url,
        "results": list(results),
    }


def one_page(*results: dict) -> dict:
    """A list body holding exactly `results`."""
    return page(list(results))


def fill(template: Any, ids: dict[str, int], text: bool = False) -> Any:
    """Replace "$name" by the id of that catalog object, recursively; with `text`, also "{name}" inside other
    strings by the id as text."""
    if isinstance(template, dict):
        return {key: fill(value, ids, text) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, ids, text) for value in template]
    if isinstance(template, str):
        if template.startswith("$"):
            return ids[template[1:]]
        if text and "{" in template:
            return template.format_map(ids)
    return template


def assert_listed_and_shown(api: ApiClient, url: str, obj: dict) -> None:
    """The list at `url` answers 200 with `obj` alone, and `obj`'s detail 200 with `obj`."""
    listed = api.get(url)
    detail = api.get(f"{url}{obj['id']}/")
    assert (listed.status_code, listed.get_json()) == (200, page([obj]))
    assert (detail.status_code, detail.get_json()) == (200, obj)


def patch_and_check(api: ApiClient, url: str, object_id: int, patch: Any, expected: dict) -> None:
    """PATCH object `object_id` of the list at `url`; check the 200 with `expected`, which its detail then shows."""
    response = api.patch(f"{url}{object_id}/", json=patch)
    assert (response.status_code, response.get_json()) == (200, expected)
    assert api.get(f"{url}{object_id}/").get_json() == expected


def delete_and_check_gone(api: ApiClient, url: str, object_id: int) -> None:
    """DELETE object `object_id` of the list at `url`; check the empty 204 and that the object is not found."""
    response = api.delete(f"{url}{object_id}/")
    assert (response.status_code, response.get_data()) == (204, b"")
    gone = api.get(f"{url}{object_id}/")
    assert (gone.status_code, gone.get_json()) == (404, NOT_FOUND)


def create_refused(api: ApiClient, url: str, payload: Any, errors: Any) -> None:
    """POST `payload` to the empty list at `url`; check the 400 with `errors` and that the list stays empty."""
    response = api.post(url, json=payload)
    assert (response.status_code, response.get_json()) == (400, errors)
    assert api.get(url).get_json() == page([])


def send(client: ApiClient, method: str, url: str, payload: Any = None):
    """A request with `payload` as its JSON body, or with no body at all when it is None."""
    return client.request(method.upper(), url, json=payload)


def client_as(who: str | None, client_for: Any, anonymous: ApiClient) -> ApiClient:
    """The client of `who`: None for no token, "other-organizer" for an admin of another organizer, else a scope."""
    if who is None:
        return anonymous
    if who == "other-organizer":
        return client_for("admin", organizer="otherorg")
    return client_for(who)


def fill_text(template: Any, ids: dict[str, int]) -> Any:
    """fill(), and also "{name}" inside other strings replaced by the id as text."""
    return fill(template, ids, text=True)


# What the fuzzing of the live server did, for the summary at the end of the test run.
FUZZ_SUMMARY = pytest.StashKey[str]()


def schemas_with_nested(declared: list[Any], direction: str) -> list[Any]:
    """The schemas in `declared` (classes, instances or None) and every schema nested in their fields, each once;
    `direction` is "load" or "dump": which of a schema's fields are followed."""
    from marshmallow import Schema, fields

    from kiosk_tickets import schemas

    found: dict[str, Schema] = {}
    pending = list(declared)
    while pending:
        given = pending.pop()
        if given is None:
            continue
        schema = given if isinstance(given, Schema) else schemas.instance(given)
        if type(schema).__name__ in found:
            continue
        found[type(schema).__name__] = schema
        for field in getattr(schema, f"{direction}_fields").values():
            inner = field.inner if isinstance(field, fields.List) else field
            if isinstance(inner, fields.Nested):
                pending.append(inner.schema)
    return list(found.values())
