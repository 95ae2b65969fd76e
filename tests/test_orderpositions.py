"""Order positions: the resource's fields, list filters and orderings, detail, check-ins, ticket downloads of one
position (with its QR code) and access."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp

from tests.helpers import EVENT_URL, Clock, admin_client, client_as, created, new_app, store_of
from tests.messages import EMPTY_LIST, FORBIDDEN, NOT_FOUND, UNAUTHENTICATED
from tests.shop import (
    CURRENT_POSITION_FIELDS,
    EVENTS,
    ITEMS,
    NO_TICKET,
    NOT_PAID,
    ORDERS,
    POSITIONS,
    QUOTAS,
    SEED_CHECKIN,
    SEED_ITEM,
    SEED_POSITION_FIELDS,
    act_ok,
    build_shop,
    check_in,
    create_order,
    expect_position,
    position_download,
    seed_order,
)

# ---------------------------------------------------------------------------------------- the seed's example


def test_seed_example_list_and_detail(api, store):
    order, seed_position = seed_order(api, store)
    got = order["positions"][0]
    expected = expect_position(got, order["code"], seed_position)

    listed = api.get(POSITIONS)
    detail = api.get(f"{POSITIONS}{got['id']}/")

    assert listed.status_code == detail.status_code == 200
    assert listed.get_json() == {"count": 1, "next": None, "previous": None, "results": [expected]}
    assert detail.get_json() == expected
    assert SEED_POSITION_FIELDS | CURRENT_POSITION_FIELDS <= set(expected)
    assert expected["downloads"] == [
        {"output": "pdf", "url": f"http://localhost{EVENT_URL}/orderpositions/{got['id']}/download/pdf/"}
    ]
    assert api.get(f"{ORDERS}{order['code']}/").get_json()["positions"] == [expected]


# ---------------------------------------------------------------------------------------- a world of positions


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Any]:
    """Four orders made an hour apart, for tests that only read (and download).

    AAA22 paid:     A1 ticket "Peter Miller" (voucher SETTEN, secret peter-secret-1, checked in),
                    A2 workshop add-on to A1 (no name), A3 shirt M "Anna Smith"
    BBB22 pending:  B1 ticket "Zoe Adams", B2 parking (no name)
    CCC22 canceled: C1 ticket "Carl Jones"
    DDD22 paid, then canceled with a fee: D1 ticket "Dora Gone" (a canceled position)
    """
    clock = Clock()
    app = new_app(tmp_path_factory.mktemp("positions") / "data", clock)
    store = store_of(app)
    client = admin_client(app)
    ids = build_shop(client)
    assert client.patch(f"{QUOTAS}{ids['q_tickets']}/", json={"size": 10}).status_code == 200
    orders = {
        "AAA22": {
            "status": "p",
            "payment_provider": "cash",
            "invoice_address": {"name": "Frank Billing"},
            "positions": [
                {
                    "positionid": 1,
                    "item": ids["ticket"],
                    "attendee_name": "Peter Miller",
                    "voucher": "SETTEN",
                    "secret": "peter-secret-1",
                    "attendee_email": "peter@example.org",
                },
                {"positionid": 2, "item": ids["workshop"], "addon_to": 1},
                {"positionid": 3, "item": ids["shirt"], "variation": ids["M"], "attendee_name": "Anna Smith"},
            ],
        },
        "BBB22": {
            "positions": [
                {"item": ids["ticket"], "attendee_name_parts": {"given_name": "Zoe", "family_name": "Adams"}},
                {"item": ids["parking"]},
            ]
        },
        "CCC22": {"positions": [{"item": ids["ticket"], "attendee_name": "Carl Jones"}]},
        "DDD22": {
            "status": "p",
            "payment_provider": "cash",
            "positions": [{"item": ids["ticket"], "attendee_name": "Dora Gone"}],
        },
    }
    names: dict[str, dict] = {}
    for code, payload in orders.items():
        order = create_order(client, {"code": code, **payload})
        for position in order["positions"]:
            names[f"{code[0]}{position['positionid']}"] = position
        clock.advance(hours=1)
    act_ok(client, "CCC22", "mark_canceled")
    act_ok(client, "DDD22", "mark_canceled", {"cancellation_fee": "1.00"})
    check_in(store, names["A1"]["id"], "2026-11-01T18:00:00Z")
    yield {"client": client, "ids": ids, "positions": names, "store": store}
    store.close()


def named(world: dict, response) -> list[str]:
    """The names (A1, B2, …) of the positions in a list response."""
    assert response.status_code == 200, response.get_json()
    by_id = {position["id"]: name for name, position in world["positions"].items()}
    body = response.get_json()
    assert body["count"] == len(body["results"])
    return [by_id[position["id"]] for position in body["results"]]


def query_for(world: dict, template: str) -> str:
    """Fill "{ticket}" (catalog ids) and "{#A1}" (position ids) and "{@A1}" (pseudonymization ids)."""
    values = {**{k: str(v) for k, v in world["ids"].items()}}
    for name, position in world["positions"].items():
        values[f"#{name}"] = str(position["id"])
        values[f"@{name}"] = position["pseudonymization_id"]
    return template.format_map(values)


DEFAULT = ["A1", "A2", "A3", "B1", "B2", "C1"]
FILTERS = [
    pytest.param("", DEFAULT, id="default"),
    pytest.param("?order=AAA22", ["A1", "A2", "A3"], id="order"),
    pytest.param("?order=aaa22", ["A1", "A2", "A3"], id="order-any-case"),
    pytest.param("?order=ZZZZZ", [], id="order-unknown"),
    pytest.param("?item={ticket}", ["A1", "B1", "C1"], id="item"),
    pytest.param("?item=999999", [], id="item-unknown"),
    pytest.param("?item__in={ticket},{parking}", ["A1", "B1", "B2", "C1"], id="item-in"),
    pytest.param("?item__in=999998,999999", [], id="item-in-unknown"),
    pytest.param("?variation={M}", ["A3"], id="variation"),
    pytest.param("?variation={S}", [], id="variation-unsold"),
    pytest.param("?variation__in={S},{M}", ["A3"], id="variation-in"),
    pytest.param("?attendee_name=Peter Miller", ["A1", "A2"], id="attendee-name-with-addon"),
    pytest.param("?attendee_name=PETER miller", ["A1", "A2"], id="attendee-name-any-case"),
    pytest.param("?attendee_name=Zoe Adams", ["B1"], id="attendee-name-from-parts"),
    pytest.param("?attendee_name=Peter", [], id="attendee-name-is-exact"),
    pytest.param("?attendee_name=Dora Gone", [], id="attendee-name-canceled"),
    pytest.param("?secret=peter-secret-1", ["A1"], id="secret"),
    pytest.param("?secret=PETER-SECRET-1", [], id="secret-is-exact"),
    pytest.param("?secret=nosuchsecret", [], id="secret-unknown"),
    pytest.param("?order__status=p", ["A1", "A2", "A3"], id="order-status-paid"),
    pytest.param("?order__status=n", ["B1", "B2"], id="order-status-pending"),
    pytest.param("?order__status=c", ["C1"], id="order-status-canceled"),
    pytest.param("?order__status=e", [], id="order-status-expired"),
    pytest.param("?order__status=x", [], id="order-status-unknown"),
    pytest.param("?order__status__in=n,c", ["B1", "B2", "C1"], id="order-status-in"),
    pytest.param("?order__status__in=x,y", [], id="order-status-in-unknown"),
    pytest.param("?has_checkin=true", ["A1"], id="has-checkin"),
    pytest.param("?has_checkin=false", ["A2", "A3", "B1", "B2", "C1"], id="has-no-checkin"),
    pytest.param("?addon_to={#A1}", ["A2"], id="addon-to"),
    pytest.param("?addon_to={#A2}", [], id="addon-to-without-addons"),
    pytest.param("?addon_to=999999", [], id="addon-to-unknown"),
    pytest.param("?pseudonymization_id={@B2}", ["B2"], id="pseudonymization-id"),
    pytest.param("?pseudonymization_id=NOSUCHID00", [], id="pseudonymization-id-unknown"),
    pytest.param("?voucher={v_SETTEN}", ["A1"], id="voucher"),
    pytest.param("?voucher={v_MINUS5}", [], id="voucher-unused"),
    pytest.param("?voucher__code=setten", ["A1"], id="voucher-code"),
    pytest.param("?voucher__code=NOSUCHCODE", [], id="voucher-code-unknown"),
    pytest.param("?search=anna", ["A3"], id="search-attendee"),
    pytest.param("?search=peter-sec", ["A1"], id="search-secret-start"),
    pytest.param("?search=bbb2", ["B1", "B2"], id="search-order-code"),
    pytest.param("?search=frank billing", ["A1", "A2", "A3"], id="search-invoice-name"),
    pytest.param("?search=peter@example", ["A1"], id="search-attendee-email"),
    pytest.param("?search=nothing-like-it", [], id="search-nothing"),
    pytest.param("?include_canceled_positions=true", ["A1", "A2", "A3", "B1", "B2", "C1", "D1"], id="include-canceled"),
    pytest.param("?include_canceled_positions=true&order=DDD22", ["D1"], id="only-canceled"),
    pytest.param("?order=DDD22", [], id="canceled-hidden"),
    pytest.param("?item={ticket}&order__status=n", ["B1"], id="combined"),
]
ORDERINGS = [
    pytest.param("order__code", DEFAULT, id="order-code"),
    pytest.param("-order__code", DEFAULT[::-1], id="order-code-desc"),
    pytest.param("order__datetime", DEFAULT, id="order-datetime"),
    pytest.param("-order__datetime", DEFAULT[::-1], id="order-datetime-desc"),
    pytest.param("positionid", ["A1", "B1", "C1", "A2", "B2", "A3"], id="positionid"),
    pytest.param("-positionid", ["A3", "B2", "A2", "C1", "B1", "A1"], id="positionid-desc"),
    pytest.param("order__status", ["C1", "B1", "B2", "A1", "A2", "A3"], id="order-status"),
    pytest.param("-order__status", ["A3", "A2", "A1", "B2", "B1", "C1"], id="order-status-desc"),
    pytest.param("secret", DEFAULT, id="not-allowed"),
    pytest.param("", DEFAULT, id="empty"),
]
# The add-on A2 has no name of its own; these orderings leave it out.
NAMED = "item__in={ticket},{shirt},{parking}"
NAME_ORDERINGS = [
    pytest.param("attendee_name", ["B2", "A3", "C1", "A1", "B1"], id="attendee-name"),
    pytest.param("-attendee_name", ["B1", "A1", "C1", "A3", "B2"], id="attendee-name-desc"),
]


@pytest.mark.parametrize("query, expected", FILTERS)
def test_list_filters(world, query, expected):
    assert named(world, world["client"].get(POSITIONS + query_for(world, query))) == expected


@pytest.mark.parametrize("ordering, expected", ORDERINGS)
def test_list_orderings(world, ordering, expected):
    assert named(world, world["client"].get(f"{POSITIONS}?ordering={ordering}")) == expected


@pytest.mark.parametrize("ordering, expected", NAME_ORDERINGS)
def test_list_ordering_by_attendee_name(world, ordering, expected):
    query = query_for(world, f"?{NAMED}&ordering={ordering}")
    assert named(world, world["client"].get(POSITIONS + query)) == expected


@pytest.mark.parametrize(
    "query, body",
    [
        ("?item=abc", {"item": ["A valid integer is required."]}),
        ("?item__in=1,x", {"item__in": ["Enter a comma-separated list of whole numbers."]}),
        ("?has_checkin=maybe", {"has_checkin": ["Must be a valid boolean."]}),
        ("?addon_to=first", {"addon_to": ["A valid integer is required."]}),
    ],
)
def test_list_filters_with_malformed_values(world, query, body):
    response = world["client"].get(POSITIONS + query)

    assert (response.status_code, response.get_json()) == (400, body)


def test_list_pages_and_reports_when_it_was_generated(world):
    client = world["client"]

    first = client.get(f"{POSITIONS}?page_size=4")
    second = client.get(f"{POSITIONS}?page_size=4&page=2")

    assert first.headers["X-Page-Generated"] == "2026-11-01T16:00:00Z"
    assert first.get_json()["count"] == second.get_json()["count"] == 6
    assert [p["id"] for p in first.get_json()["results"]] == [world["positions"][n]["id"] for n in DEFAULT[:4]]
    assert first.get_json()["next"] == f"http://localhost{POSITIONS}?page_size=4&page=2"
    assert [p["id"] for p in second.get_json()["results"]] == [world["positions"][n]["id"] for n in DEFAULT[4:]]
    assert second.get_json()["previous"] == f"http://localhost{POSITIONS}?page_size=4"
    assert client.get(f"{POSITIONS}?page=3&page_size=4").status_code == 404


def test_positions_show_their_order_and_downloads(world):
    """Download links only on ticket positions of paid orders; the list shows what the detail shows."""
    client, positions, ids = world["client"], world["positions"], world["ids"]

    body = client.get(f"{POSITIONS}?include_canceled_positions=true").get_json()

    shown = {name: client.get(f"{POSITIONS}{positions[name]['id']}/").get_json() for name in positions}
    assert body["results"] == [shown[name] for name in [*DEFAULT, "D1"]]
    offers = {name: bool(position["downloads"]) for name, position in shown.items() if name != "D1"}
    assert offers == {"A1": True, "A2": False, "A3": False, "B1": False, "B2": False, "C1": False}
    assert shown["A1"]["downloads"] == position_download(positions["A1"]["id"])
    assert [(n, shown[n]["order"], shown[n]["code"]) for n in ("A1", "B2", "D1")] == [
        ("A1", "AAA22", "AAA22"),
        ("B2", "BBB22", "BBB22"),
        ("D1", "DDD22", "DDD22"),
    ]
    assert shown["A1"]["checkins"] == [
        {**SEED_CHECKIN, "datetime": "2026-11-01T18:00:00Z", "id": shown["A1"]["checkins"][0]["id"]}
    ]
    assert (shown["A1"]["voucher"], shown["A1"]["price"], shown["A1"]["tax_value"]) == (
        ids["v_SETTEN"],
        "10.00",
        "1.60",
    )
    assert (shown["A2"]["addon_to"], shown["A2"]["attendee_name"]) == (positions["A1"]["id"], None)
    assert (shown["B1"]["attendee_name"], shown["B1"]["attendee_name_parts"]) == (
        "Zoe Adams",
        {"given_name": "Zoe", "family_name": "Adams"},
    )
    assert shown["D1"]["canceled"] is True


@pytest.mark.parametrize("object_id", ["999999", "abc", "0", "-1"])
def test_unknown_position_is_not_found(world, object_id):
    client = world["client"]

    for url in (f"{POSITIONS}{object_id}/", f"{POSITIONS}{object_id}/download/pdf/"):
        response = client.get(url)
        assert (url, response.status_code, response.get_json()) == (url, 404, NOT_FOUND)


def test_positions_of_other_events_are_invisible(api):
    shop = build_shop(api)
    order = create_order(api, {"status": "p", "payment_provider": "cash", "positions": [{"item": shop["ticket"]}]})
    created(api, EVENTS, {"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2027-01-01T10:00:00Z"})
    position_id = order["positions"][0]["id"]

    for url in (
        f"{EVENTS}otherconf/orderpositions/{position_id}/",
        f"{EVENTS}otherconf/orderpositions/{position_id}/download/pdf/",
    ):
        assert api.get(url).status_code == 404
    assert api.get(f"{EVENTS}otherconf/orderpositions/").get_json() == EMPTY_LIST


def test_check_ins_are_listed_and_filtered(api, store):
    shop = build_shop(api)
    order = create_order(api, {"positions": [{"item": shop["ticket"]}, {"item": shop["ticket"]}]})
    first, second = (p["id"] for p in order["positions"])
    entry = check_in(store, first, "2026-11-01T12:30:00Z")
    leave = check_in(store, first, "2026-11-01T13:30:00Z")

    detail = api.get(f"{POSITIONS}{first}/").get_json()

    assert detail["checkins"] == [entry, leave]
    assert [p["id"] for p in api.get(f"{POSITIONS}?has_checkin=true").get_json()["results"]] == [first]
    assert [p["id"] for p in api.get(f"{POSITIONS}?has_checkin=false").get_json()["results"]] == [second]
    assert api.get(f"{ORDERS}{order['code']}/").get_json()["positions"][0]["checkins"] == [entry, leave]


def test_an_overdue_order_shows_its_positions_as_expired(api, clock):
    shop = build_shop(api)
    order = create_order(api, {"positions": [{"item": shop["ticket"]}]})
    clock.advance(days=15)

    assert [p["id"] for p in api.get(f"{POSITIONS}?order__status=e").get_json()["results"]] == [
        order["positions"][0]["id"]
    ]
    assert api.get(f"{POSITIONS}?order__status=n").get_json() == EMPTY_LIST


# ---------------------------------------------------------------------------------------- ticket downloads


def test_a_position_downloads_its_ticket_with_its_secret_in_the_qr_code(world):
    client, position = world["client"], world["positions"]["A1"]

    response = client.get(f"{POSITIONS}{position['id']}/download/pdf/")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sampleconf-AAA22-1.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text().replace("\x00", "")
    for expected in ("Sample Conference", "Ticket", "Peter Miller", "AAA22-1", "10.00 EUR"):
        assert expected in text
    image = pypdfium2.PdfDocument(response.data)[0].render(scale=2).to_pil()
    assert [code.text for code in zxingcpp.read_barcodes(image)] == ["peter-secret-1"]


@pytest.mark.parametrize(
    "name, output, status, body",
    [
        pytest.param("B1", "pdf", 403, NOT_PAID, id="pending-order"),
        pytest.param("C1", "pdf", 403, NOT_PAID, id="canceled-order"),
        pytest.param("A2", "pdf", 403, NO_TICKET, id="no-ticket-product"),
        pytest.param("A3", "pdf", 403, NO_TICKET, id="shirt"),
        pytest.param("D1", "pdf", 403, NO_TICKET, id="canceled-position"),
        pytest.param("A1", "passbook", 404, NOT_FOUND, id="unknown-output"),
        pytest.param("B1", "passbook", 404, NOT_FOUND, id="unknown-output-unpaid"),
    ],
)
def test_positions_without_a_ticket_to_give(world, name, output, status, body):
    position = world["positions"][name]

    response = world["client"].get(f"{POSITIONS}{position['id']}/download/{output}/")

    assert (response.status_code, response.get_json()) == (status, body)


# ---------------------------------------------------------------------------------------- access

ACCESS = [
    pytest.param("boxoffice", "list", 200, None, id="boxoffice-list"),
    pytest.param("boxoffice", "detail", 200, None, id="boxoffice-detail"),
    pytest.param("checkin", "list", 200, None, id="checkin-list"),
    pytest.param("checkin", "detail", 200, None, id="checkin-detail"),
    pytest.param("checkin", "download", 403, FORBIDDEN, id="checkin-download"),
    pytest.param(None, "list", 401, UNAUTHENTICATED, id="anonymous-list"),
    pytest.param(None, "detail", 401, UNAUTHENTICATED, id="anonymous-detail"),
    pytest.param(None, "download", 401, UNAUTHENTICATED, id="anonymous-download"),
    pytest.param("other-organizer", "list", 403, FORBIDDEN, id="other-organizer-list"),
    pytest.param("other-organizer", "detail", 403, FORBIDDEN, id="other-organizer-detail"),
    pytest.param("admin", "unknown-event", 403, FORBIDDEN, id="unknown-event"),
]


@pytest.mark.parametrize("scope, target, status, body", ACCESS)
def test_access(api, client_for, anonymous, scope, target, status, body):
    ticket = created(api, ITEMS, SEED_ITEM)["id"]
    created(api, QUOTAS, {"name": "Tickets", "size": 10, "items": [ticket]})
    order = create_order(api, {"status": "p", "payment_provider": "cash", "positions": [{"item": ticket}]})
    position_id = order["positions"][0]["id"]
    client = client_as(scope, client_for, anonymous)
    url = {
        "list": POSITIONS,
        "detail": f"{POSITIONS}{position_id}/",
        "download": f"{POSITIONS}{position_id}/download/pdf/",
        "unknown-event": f"{EVENTS}nosuchconf/orderpositions/",
    }[target]

    response = client.get(url)

    assert response.status_code == status
    if body is not None:
        assert response.get_json() == body
    elif target == "detail":
        assert response.get_json() == order["positions"][0]
    else:
        assert response.get_json()["results"] == order["positions"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_positions_are_not_written_here(world, method):
    position = world["positions"]["B2"]

    response = world["client"].request(method, f"{POSITIONS}{position['id']}/", json={"price": "0.00"})

    assert response.status_code == 405
    assert response.get_json() == {"detail": f'Method "{method}" not allowed.'}
    assert world["client"].get(f"{POSITIONS}{position['id']}/").get_json()["price"] == "8.00"
