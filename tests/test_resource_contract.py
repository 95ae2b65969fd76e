"""The contract every catalog resource keeps: tokens, scopes, unknown events, objects and parents, pages, methods.

One row of RESOURCES covers a resource; a new resource needs one row and nothing else here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers import EVENT_URL, EVENTS_URL, ApiClient, client_as, created, fill, page, send
from tests.messages import FORBIDDEN, INVALID_PAGE, INVALID_TOKEN, NOT_FOUND, UNAUTHENTICATED, method_not_allowed

OTHER_EVENT = {"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2018-01-10T10:00:00Z"}
OTHER_EVENT_URL = f"{EVENTS_URL}otherconf"


def nothing(api: ApiClient) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Resource:
    """A resource below an event.

    `path` is the list's path below the event URL, with "{parent}" for the parent object's id; `setup` creates
    what the resource needs and returns ids by name ("parent" among them where the path has one); `body(api, ids,
    n)` returns the create body of the n-th object (creating what that object alone needs); `patch` is a valid
    PATCH body; `page_query` is a filter the pagination test sends along (and expects in the links);
    `starts_empty` is false where the setup makes the list's first object; `extra` lists further routes as
    (method, on the detail, suffix, body); `readers` and `writers` are the token scopes that may read and write."""

    name: str
    path: str
    body: Callable[[ApiClient, dict[str, Any], int], dict]
    patch: dict
    setup: Callable[[ApiClient], dict[str, Any]] = nothing
    extra: tuple[tuple[str, bool, str, Any], ...] = ()
    page_query: str = ""
    starts_empty: bool = True
    readers: frozenset[str] = frozenset({"admin", "boxoffice"})
    writers: frozenset[str] = frozenset({"admin"})
    has_parent: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "has_parent", "{parent}" in self.path)

    def list_url(self, ids: dict[str, Any], event_url: str = EVENT_URL, parent: Any = None) -> str:
        return f"{event_url}/{self.path.format(parent=ids.get('parent') if parent is None else parent)}"

    def routes(self, api: ApiClient, ids: dict[str, Any], list_url: str, object_id: Any) -> list[tuple]:
        """Every route as (method, url, body, reads): list and create, detail, change, replace, delete, extras."""
        detail = f"{list_url}{object_id}/"
        body = self.body(api, ids, 99)
        routes = [
            ("GET", list_url, None, True),
            ("POST", list_url, body, False),
            ("GET", detail, None, True),
            ("PATCH", detail, fill(self.patch, ids), False),
            ("PUT", detail, body, False),
            ("DELETE", detail, None, False),
        ]
        for method, on_detail, suffix, extra_body in self.extra:
            routes.append((method, f"{detail if on_detail else list_url}{suffix}", extra_body, method == "GET"))
        return routes


def parent_item(api: ApiClient) -> dict[str, Any]:
    return {"parent": created(api, f"{EVENT_URL}/items/", {"name": {"en": "Parent"}, "default_price": "10.00"})["id"]}


def parent_with_variations(api: ApiClient) -> dict[str, Any]:
    """An item created with variations: only such an item can get more."""
    item = {"name": {"en": "Shirt"}, "default_price": "23.00", "variations": [{"value": {"en": "S"}}]}
    return {"parent": created(api, f"{EVENT_URL}/items/", item)["id"]}


def addon_body(api: ApiClient, ids: dict[str, Any], n: int) -> dict:
    category = created(api, f"{EVENT_URL}/categories/", {"name": {"en": f"Add-ons {n}"}, "is_addon": True})
    return {"addon_category": category["id"]}


def bundle_body(api: ApiClient, ids: dict[str, Any], n: int) -> dict:
    item = created(api, f"{EVENT_URL}/items/", {"name": {"en": f"Bundled {n}"}, "default_price": "1.00"})
    return {"bundled_item": item["id"]}


def question_body(api: ApiClient, ids: dict[str, Any], n: int) -> dict:
    return {"question": {"en": f"Question {n}"}, "type": "C", "options": [{"answer": "Vegan", "identifier": f"V{n}"}]}


# The options of the first question, below its detail URL.
OPTION_ROUTES = (
    ("GET", True, "options/", None),
    ("POST", True, "options/", {"answer": "X"}),
    ("GET", True, "options/1/", None),
    ("PATCH", True, "options/1/", {"answer": "X"}),
    ("PUT", True, "options/1/", {"answer": "X"}),
    ("DELETE", True, "options/1/", None),
)

RESOURCES = [
    Resource(
        "categories",
        "categories/",
        lambda api, ids, n: {"name": {"en": f"C{n}"}, "position": n},
        {"position": 3},
        page_query="&is_addon=false",
    ),
    Resource(
        "taxrules",
        "taxrules/",
        lambda api, ids, n: {"name": {"en": f"Rule {n}"}, "rate": "7.00"},
        {"internal_name": "Standard"},
    ),
    Resource(
        "items", "items/", lambda api, ids, n: {"name": {"en": f"Item {n}"}, "default_price": "10.00"}, {"position": 3}
    ),
    Resource(
        "quotas",
        "quotas/",
        lambda api, ids, n: {"name": f"Q{n}"},
        {"size": 1},
        extra=(("GET", True, "availability/", None),),
    ),
    Resource("questions", "questions/", question_body, {"hidden": True}, extra=OPTION_ROUTES),
    Resource(
        "vouchers",
        "vouchers/",
        lambda api, ids, n: {"code": f"CODE{n:04d}"},
        {"tag": "x"},
        extra=(("POST", False, "batch_create/", [{"code": "NEWCODE"}]),),
    ),
    Resource(
        "variations",
        "items/{parent}/variations/",
        lambda api, ids, n: {"value": {"en": f"V{n}"}},
        {"position": 1},
        setup=parent_with_variations,
        starts_empty=False,
    ),
    Resource("addons", "items/{parent}/addons/", addon_body, {"position": 1}, setup=parent_item),
    Resource("bundles", "items/{parent}/bundles/", bundle_body, {"count": 2}, setup=parent_item),
]
WITH_PARENT = [resource for resource in RESOURCES if resource.has_parent]


def by_name(resource: Resource) -> str:
    return resource.name


@pytest.fixture
def existing(api, request) -> tuple[Resource, dict[str, Any], str, dict, dict]:
    """The resource of the test's `resource` parameter with one new object: (resource, ids, list URL, object,
    the list's body)."""
    resource = request.node.callspec.params["resource"]
    ids = resource.setup(api)
    url = resource.list_url(ids)
    obj = created(api, url, resource.body(api, ids, 0))
    return resource, ids, url, obj, api.get(url).get_json()


def assert_unchanged(api: ApiClient, url: str, listing: dict) -> None:
    assert api.get(url).get_json() == listing


def check_routes(client: ApiClient, routes: list[tuple], expect: Callable[[str, str, bool], tuple[int, Any]]) -> None:
    for method, url, body, reads in routes:
        response = send(client, method, url, body)
        assert (method, url, response.status_code, response.get_json()) == (method, url, *expect(method, url, reads))


# ---------------------------------------------------------------------------------------- tokens and scopes


@pytest.mark.parametrize(
    ("credential", "answer"),
    [(None, UNAUTHENTICATED), ("not-a-token", INVALID_TOKEN)],
    ids=["no token", "invalid token"],
)
@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
def test_every_route_needs_a_valid_token(api, anonymous, existing, resource, credential, answer):
    _, ids, url, obj, listing = existing
    anonymous.token = credential

    check_routes(anonymous, resource.routes(api, ids, url, obj["id"]), lambda *_: (401, answer))
    assert_unchanged(api, url, listing)


@pytest.mark.parametrize("who", ["boxoffice", "checkin", "other-organizer"])
@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
def test_token_scopes(api, client_for, anonymous, existing, resource, who):
    _, ids, url, obj, listing = existing
    client = client_as(who, client_for, anonymous)
    readable = {url: listing, f"{url}{obj['id']}/": obj}

    def expect(method: str, route: str, reads: bool) -> tuple[int, Any]:
        may = resource.readers if reads else resource.writers
        if who not in may:
            return 403, FORBIDDEN
        return 200, readable[route] if route in readable else client.get(route).get_json()

    check_routes(client, resource.routes(api, ids, url, obj["id"]), expect)
    assert_unchanged(api, url, listing)


@pytest.mark.parametrize(
    "place",
    ["/organizers/bigevents/events/nosuchevent", "/organizers/nosuchorg/events/sampleconf"],
    ids=["unknown event", "unknown organizer"],
)
@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
def test_unknown_event_or_organizer_is_forbidden(api, existing, resource, place):
    _, ids, url, obj, listing = existing
    elsewhere = resource.list_url(ids, event_url=f"/api/v1{place}")

    check_routes(api, resource.routes(api, ids, elsewhere, obj["id"]), lambda *_: (403, FORBIDDEN))
    assert_unchanged(api, url, listing)


# ---------------------------------------------------------------------------------------- unknown objects


@pytest.mark.parametrize("object_id", ["9999", "abc", "0", "-1", "1.0"])
@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
def test_unknown_object_is_not_found(api, existing, resource, object_id):
    _, ids, url, obj, listing = existing
    routes = [route for route in resource.routes(api, ids, url, object_id) if route[1].startswith(f"{url}{object_id}/")]

    check_routes(api, routes, lambda *_: (404, NOT_FOUND))
    assert_unchanged(api, url, listing)


@pytest.mark.parametrize("parent", ["9999", "abc"])
@pytest.mark.parametrize("resource", WITH_PARENT, ids=by_name)
def test_missing_parent_is_not_found(api, existing, resource, parent):
    _, ids, url, obj, listing = existing
    elsewhere = resource.list_url(ids, parent=parent)

    check_routes(api, resource.routes(api, ids, elsewhere, obj["id"]), lambda *_: (404, NOT_FOUND))
    assert_unchanged(api, url, listing)


@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
def test_object_of_another_event_is_not_found(api, existing, resource):
    """An object (or, below an item, the item) of another event is not found through this event's URLs."""
    _, ids, url, obj, listing = existing
    created(api, EVENTS_URL, OTHER_EVENT)
    if resource.has_parent:
        routes = resource.routes(api, ids, resource.list_url(ids, event_url=OTHER_EVENT_URL), obj["id"])
    else:
        foreign_url = resource.list_url(ids, event_url=OTHER_EVENT_URL)
        foreign = created(api, foreign_url, resource.body(api, ids, 1))
        detail = f"{url}{foreign['id']}/"
        routes = [route for route in resource.routes(api, ids, url, foreign["id"]) if route[1].startswith(detail)]

    check_routes(api, routes, lambda *_: (404, NOT_FOUND))
    if not resource.has_parent:
        assert api.get(f"{foreign_url}{foreign['id']}/").get_json() == foreign
    assert_unchanged(api, url, listing)


@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
def test_methods_not_allowed(api, existing, resource):
    _, ids, url, obj, listing = existing
    routes = [("POST", f"{url}{obj['id']}/", resource.body(api, ids, 1), False)]
    routes += [(method, url, {}, False) for method in ("PATCH", "PUT", "DELETE")]

    check_routes(api, routes, lambda method, *_: (405, method_not_allowed(method)))
    assert_unchanged(api, url, listing)


# ---------------------------------------------------------------------------------------- pages


def listed(api: ApiClient, resource: Resource, total: int) -> tuple[str, list[dict]]:
    """The resource's list URL, filled up to `total` objects, and the objects."""
    ids = resource.setup(api)
    url = resource.list_url(ids)
    objects = api.get(url).get_json()["results"]
    objects += [created(api, url, resource.body(api, ids, n)) for n in range(len(objects), total)]
    return url, objects


@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
def test_pagination(api, resource):
    url, objects = listed(api, resource, 5)
    query = f"page_size=2{resource.page_query}"
    base = f"http://localhost{url}?{query}"

    first, second, last, beyond = (api.get(f"{url}?{query}{more}") for more in ("", "&page=2", "&page=3", "&page=4"))

    assert first.get_json() == page(objects[:2], 5, f"{base}&page=2")
    assert second.get_json() == page(objects[2:4], 5, f"{base}&page=3", base)
    assert last.get_json() == page(objects[4:], 5, None, f"{base}&page=2")
    assert (beyond.status_code, beyond.get_json()) == (404, INVALID_PAGE)


@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
def test_page_size_is_capped_at_50(api, resource):
    url, objects = listed(api, resource, 51)
    base = f"http://localhost{url}"

    default = api.get(url).get_json()
    first = api.get(f"{url}?page_size=500").get_json()
    second = api.get(f"{url}?page_size=500&page=2").get_json()

    assert default == page(objects[:50], 51, f"{base}?page=2")
    assert first == page(objects[:50], 51, f"{base}?page_size=500&page=2")
    assert second == page(objects[50:], 51, None, f"{base}?page_size=500")


@pytest.mark.parametrize("resource", [resource for resource in RESOURCES if resource.starts_empty], ids=by_name)
def test_empty_list_has_one_empty_page(api, resource):
    url = resource.list_url(resource.setup(api))

    assert api.get(url).get_json() == page([])
    assert (api.get(f"{url}?page=2").status_code, api.get(f"{url}?page=2").get_json()) == (404, INVALID_PAGE)
