"""Signed ticket secrets (pretix_sig1): the event setting, the key scanners get in `valid_keys`, secrets checked
here the way pretixSCAN checks them offline, pretix's own test vector, revoked secrets after cancellation and at
the door, and the (always empty) blocked secrets."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from kiosk_tickets import schemas
from kiosk_tickets.cli import main
from kiosk_tickets.services import maintenance, ticket_secrets
from tests.helpers import EVENT_URL, EVENTS_URL, ORGANIZER, created, one_page, page
from tests.messages import FORBIDDEN, NOT_FOUND, UNAUTHENTICATED
from tests.scanner_check import scanner_check, scanner_key, split

SETTINGS = f"{EVENT_URL}/settings/"
ORDERS = f"{EVENT_URL}/orders/"
POSITIONS = f"{EVENT_URL}/orderpositions/"
REVOKED = f"{EVENT_URL}/revokedsecrets/"
BLOCKED = f"{EVENT_URL}/blockedsecrets/"
REDEEM = f"/api/v1/organizers/{ORGANIZER}/checkinrpc/redeem/"
NOW = "2026-11-01T12:00:00Z"
LATER = "2026-11-01T13:00:00Z"
SIG1 = {"ticket_secret_generator": "pretix_sig1"}
PAID = {"status": "p", "payment_provider": "cash"}
RANDOM_SECRET = re.compile(r"[a-z0-9]{32}")
SIGNED_SECRET = re.compile(r"[A-Za-z0-9+/=]+")

# pretix's own test secret (devices.md §5), and the first public key of libpretixsync's test fixture
# `src/testFixtures/resources/events/event1.json`, which signed it.
PRETIX_VECTOR = (
    "E4BibyTSylQOgeKjuMPiTDxi5HXPuTVsx1qCli3IL0143gj0EZXOB9iQInANxRFJTt4Pf9nXnHdB91Qk/RN0L5AIBABSxw2TKFnSUNUCKAEAPAQA"
)
PRETIX_VECTOR_KEY = (
    "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUNvd0JRWURLMlZ3QXlFQTdBRDcvdkZBMzNFc1k0ejJQSHI3aVpQc1o4bjVkaDBhalA4"
    "Z3l6Tm1tSXM9Ci0tLS0tRU5EIFBVQkxJQyBLRVktLS0tLQo="
)


# ---------------------------------------------------------------------------------------- the shop and requests


@pytest.fixture
def shop(api) -> dict[str, int]:
    """A ticket and a shirt with two variations, in one quota."""
    ticket = created(api, f"{EVENT_URL}/items/", {"name": "Ticket", "default_price": "23.00", "admission": True})
    shirt = created(
        api,
        f"{EVENT_URL}/items/",
        {"name": "Shirt", "default_price": "15.00", "variations": [{"value": "S"}, {"value": "M"}]},
    )
    ids = {"ticket": ticket["id"], "shirt": shirt["id"], "S": shirt["variations"][0]["id"]}
    quota = {"name": "All", "size": 100, "items": [ticket["id"], shirt["id"]], "variations": [ids["S"]]}
    created(api, f"{EVENT_URL}/quotas/", quota)
    return ids


@pytest.fixture
def signing(api, shop) -> dict[str, int]:
    """The shop, in an event that signs its secrets."""
    response = api.patch(SETTINGS, json=SIG1)
    assert response.status_code == 200, response.get_json()
    return shop


def answer(response) -> tuple[int, Any]:
    return response.status_code, response.get_json()


def published_keys(api) -> list[str]:
    return api.get(f"{EVENT_URL}/").get_json()["valid_keys"]["pretix_sig1"]


def buy(api, shop: dict[str, int], count: int = 1, **fields: Any) -> dict:
    return created(api, ORDERS, {**PAID, "positions": [{"item": shop["ticket"]}] * count, **fields})


def secrets_of(order: dict) -> list[str]:
    return [position["secret"] for position in order["positions"]]


def revoked(revoked_id: int, secret: str, at: str = NOW) -> dict:
    return {"id": revoked_id, "secret": secret, "created": at}


def door(api) -> int:
    return created(api, f"{EVENT_URL}/checkinlists/", {"name": "Door"})["id"]


def redeem(api, secret: str, list_id: int, **fields: Any):
    return api.post(REDEEM, json={"secret": secret, "lists": [list_id], **fields})


# ---------------------------------------------------------------------------------------- the setting and the key


def test_the_setting_is_random_until_set_and_takes_only_the_known_generators(api):
    defaults = api.get(SETTINGS).get_json()
    assert defaults["ticket_secret_generator"] == "random"
    assert answer(api.patch(SETTINGS, json={"ticket_secret_generator": "md5"})) == (
        400,
        {"ticket_secret_generator": ['"md5" is not a valid choice.']},
    )
    assert api.get(f"{EVENT_URL}/").get_json()["valid_keys"] == {}
    # The service and the schema list the same generators (schemas import nothing of the services).
    field = schemas.EventSettingsSchema().fields["ticket_secret_generator"]
    assert field.choices == ticket_secrets.GENERATORS

    changed = api.patch(SETTINGS, json=SIG1)

    assert answer(changed) == (200, {**defaults, **SIG1})
    # The key is published as soon as the event signs, before its first sale.
    keys = published_keys(api)
    assert len(keys) == 1
    scanner_key(keys[0])
    # Setting it again, or going back and forth, keeps the one key: tickets already sold stay valid.
    api.patch(SETTINGS, json={"ticket_secret_generator": None})
    assert api.get(SETTINGS).get_json()["ticket_secret_generator"] == "random"
    api.patch(SETTINGS, json=SIG1)
    assert published_keys(api) == keys


def test_each_event_has_its_own_key(api, signing):
    other = {"name": {"en": "Other"}, "slug": "other", "date_from": "2027-01-01T10:00:00Z"}
    assert api.post(EVENTS_URL, json=other).status_code == 201
    assert api.patch(f"{EVENTS_URL}other/settings/", json=SIG1).status_code == 200

    theirs = api.get(f"{EVENTS_URL}other/").get_json()["valid_keys"]["pretix_sig1"]

    assert len(theirs) == 1 and theirs != published_keys(api)


def test_a_random_event_sells_random_secrets_and_publishes_no_key(api, shop):
    order = buy(api, shop, 2)

    assert all(RANDOM_SECRET.fullmatch(secret) for secret in secrets_of(order))
    assert api.get(f"{EVENT_URL}/").get_json()["valid_keys"] == {}


# ---------------------------------------------------------------------------------------- secrets a scanner verifies


def test_a_signed_secret_verifies_as_a_scanner_checks_it(api, signing):
    order = created(
        api,
        ORDERS,
        {
            **PAID,
            "positions": [
                {"item": signing["ticket"]},
                {
                    "item": signing["shirt"],
                    "variation": signing["S"],
                    "valid_from": "2026-12-01T10:00:00Z",
                    "valid_until": "2026-12-01T22:30:00+01:00",
                },
            ],
        },
    )
    ticket, shirt = secrets_of(order)
    keys = published_keys(api)

    assert all(SIGNED_SECRET.fullmatch(secret) for secret in (ticket, shirt))
    plain, with_validity = scanner_check(ticket, keys), scanner_check(shirt, keys)
    # Fields left at 0 are not in the payload, as protobuf writes them: the ticket has no variation or validity.
    assert plain == {"seed": plain["seed"], "item": signing["ticket"]}
    assert with_validity == {
        "seed": with_validity["seed"],
        "item": signing["shirt"],
        "variation": signing["S"],
        "valid_from": 1796119200,  # 2026-12-01T10:00:00Z
        "valid_until": 1796160600,  # 2026-12-01T21:30:00Z
    }
    assert all(re.fullmatch(r"[A-Za-z0-9]{9}", fields["seed"]) for fields in (plain, with_validity))
    assert plain["seed"] != with_validity["seed"]
    # The server's decoder reads the same facts.
    assert ticket_secrets.decode(shirt) == ticket_secrets.SignedTicket(
        seed=with_validity["seed"],
        item=signing["shirt"],
        variation=signing["S"],
        valid_from=1796119200,
        valid_until=1796160600,
    )
    assert ticket_secrets.verify(ticket, keys) == ticket_secrets.decode(ticket)


def test_a_changed_byte_or_another_events_key_fails_the_check(api, signing):
    secret = secrets_of(buy(api, signing))[0]
    header, payload, signature = split(secret)
    forged_payload = payload[:-1] + bytes([payload[-1] ^ 1])
    forged = base64.b64encode(header + forged_payload + signature).decode()[::-1]

    for text, keys in ((forged, published_keys(api)), (secret, [PRETIX_VECTOR_KEY])):
        with pytest.raises(AssertionError, match="no key verifies"):
            scanner_check(text, keys)
        assert ticket_secrets.verify(text, keys) is None
    assert ticket_secrets.verify("not-a-signed-secret", published_keys(api)) is None


@pytest.mark.parametrize("reader", ["the test's parser", "ticket_secrets.decode"])
def test_pretix_test_vector_decodes(reader):
    if reader == "ticket_secrets.decode":
        ticket = ticket_secrets.decode(PRETIX_VECTOR)
        fields = {"seed": ticket.seed, "item": ticket.item, "subevent": ticket.subevent}
        assert (ticket.variation, ticket.valid_from, ticket.valid_until) == (0, 0, 0)
        assert ticket_secrets.verify(PRETIX_VECTOR, [PRETIX_VECTOR_KEY]) == ticket
    else:
        fields = scanner_check(PRETIX_VECTOR, [PRETIX_VECTOR_KEY])

    assert fields == {"seed": "CTJqJOl1H", "item": 1, "subevent": 14}


@pytest.mark.parametrize("text", ["", "AAAA", "x" * 7, "ÄÖÜ=", PRETIX_VECTOR[1:], "A" + PRETIX_VECTOR])
def test_text_that_is_no_signed_secret_does_not_decode(text):
    with pytest.raises(ValueError):
        ticket_secrets.decode(text)


def test_no_answer_and_no_event_document_holds_the_private_key(api, signing, store):
    order = buy(api, signing)
    api.post(f"{ORDERS}{order['code']}/mark_canceled/")
    with store.transaction() as tx:
        stored = tx.find(ticket_secrets.KEYS_TABLE)
        event = tx.find_one("events", slug="sampleconf")
    assert len(stored) == 1
    private_pem = base64.b64decode(stored[0]["private_key"])
    assert b"PRIVATE KEY" in private_pem
    # Every form the private key could leak in: as stored, its PEM, and the PEM's base64 body.
    private_body = b"".join(line for line in private_pem.splitlines() if not line.startswith(b"-----"))
    leaks = (stored[0]["private_key"].encode(), private_pem, private_body, b"PRIVATE")

    answers = [
        api.get(f"{EVENT_URL}/"),
        api.get(EVENTS_URL),
        api.get(SETTINGS),
        api.get(f"{SETTINGS}?explain=true"),
        api.patch(SETTINGS, json=SIG1),
        api.get(ORDERS),
        api.get(REVOKED),
        api.get(f"/api/v1/organizers/{ORGANIZER}/"),
        api.get("/api/v1/openapi.json"),
    ]

    for response in answers:
        assert response.status_code == 200
        assert not any(leak in response.data for leak in leaks), response.request.path
    assert not any(leak in repr(event).encode() for leak in leaks)
    assert base64.b64decode(published_keys(api)[0]).startswith(b"-----BEGIN PUBLIC KEY-----\n")


def test_a_secret_given_by_the_client_is_kept_and_not_revoked(api, signing):
    order = buy(api, signing, positions=[{"item": signing["ticket"], "secret": "given-by-the-till"}])
    assert secrets_of(order) == ["given-by-the-till"]

    canceled = api.post(f"{ORDERS}{order['code']}/mark_canceled/").get_json()

    assert secrets_of(canceled) == ["given-by-the-till"]
    assert answer(api.get(REVOKED)) == (200, page([]))


def test_after_going_back_to_random_new_secrets_are_random_and_old_signed_ones_still_revoked(api, signing):
    signed = buy(api, signing)
    assert api.patch(SETTINGS, json={"ticket_secret_generator": "random"}).status_code == 200
    random = buy(api, signing)
    assert RANDOM_SECRET.fullmatch(secrets_of(random)[0])

    canceled = api.post(f"{ORDERS}{signed['code']}/mark_canceled/").get_json()

    listed = api.get(REVOKED).get_json()["results"]
    assert [entry["secret"] for entry in listed] == secrets_of(signed)
    assert RANDOM_SECRET.fullmatch(secrets_of(canceled)[0])  # the replacement is made as the setting says now
    assert scanner_check(secrets_of(signed)[0], published_keys(api))["item"] == signing["ticket"]


# ---------------------------------------------------------------------------------------- revoked secrets


def test_canceling_an_order_revokes_its_signed_secrets_and_gives_its_tickets_new_ones(api, signing, clock):
    first = buy(api, signing, 2)
    old = secrets_of(first)

    canceled = api.post(f"{ORDERS}{first['code']}/mark_canceled/")

    assert canceled.status_code == 200
    new = secrets_of(canceled.get_json())
    assert set(new).isdisjoint(old)
    assert [scanner_check(secret, published_keys(api))["item"] for secret in new] == [signing["ticket"]] * 2
    response = api.get(REVOKED)
    assert answer(response) == (200, page([revoked(2, old[1]), revoked(1, old[0])]))
    assert response.headers["X-Page-Generated"] == NOW

    clock.advance(hours=1)
    second = buy(api, signing)
    fee = api.post(f"{ORDERS}{second['code']}/mark_canceled/", json={"cancellation_fee": "5.00"})
    assert fee.status_code == 200
    later = revoked(3, secrets_of(second)[0], LATER)

    # The cursor a scanner keeps is the newest `created` it saw; at or after it comes again (>=, as pretix).
    assert answer(api.get(REVOKED, query_string={"created_since": NOW})) == (
        200,
        page([later, revoked(2, old[1]), revoked(1, old[0])]),
    )
    assert answer(api.get(REVOKED, query_string={"created_since": LATER})) == (200, one_page(later))
    assert answer(api.get(REVOKED, query_string={"created_since": "2026-11-01T12:00:01Z"})) == (200, one_page(later))
    assert answer(api.get(REVOKED, query_string={"secret": old[0]})) == (200, one_page(revoked(1, old[0])))
    by_id = [revoked(1, old[0]), revoked(2, old[1]), later]
    assert api.get(REVOKED, query_string={"ordering": "id"}).get_json() == page(by_id)
    assert api.get(REVOKED, query_string={"ordering": "-id"}).get_json() == page(by_id[::-1])
    assert api.get(REVOKED, query_string={"ordering": "created"}).get_json() == page(by_id)
    assert answer(api.get(f"{REVOKED}3/")) == (200, later)
    assert answer(api.get(f"{REVOKED}4/")) == (404, NOT_FOUND)
    assert answer(api.get(REVOKED, query_string={"created_since": "yesterday"}))[0] == 400


def test_expiry_revokes_nothing(api, signing, clock):
    order = created(api, ORDERS, {"positions": [{"item": signing["ticket"]}]})
    clock.advance(days=15)

    expired = api.get(f"{ORDERS}{order['code']}/").get_json()

    assert (expired["status"], secrets_of(expired)) == ("e", secrets_of(order))
    assert answer(api.get(REVOKED)) == (200, page([]))


def test_random_secrets_are_never_revoked(api, shop):
    order = buy(api, shop)

    canceled = api.post(f"{ORDERS}{order['code']}/mark_canceled/").get_json()

    assert secrets_of(canceled) == secrets_of(order)
    assert answer(api.get(REVOKED)) == (200, page([]))


def test_deleting_a_test_mode_order_revokes_its_signed_secrets(api, signing, store, clock):
    order = buy(api, signing, testmode=True)
    canceled = api.post(f"{ORDERS}{order['code']}/mark_canceled/").get_json()
    reactivated = api.post(f"{ORDERS}{canceled['code']}/reactivate/").get_json()

    assert api.delete(f"{ORDERS}{order['code']}/").status_code == 204

    assert api.get(REVOKED).get_json() == page(
        [revoked(2, secrets_of(reactivated)[0]), revoked(1, secrets_of(order)[0])]
    )
    with store.transaction() as tx:
        assert maintenance.check(tx, clock()).damage == []


def test_a_product_change_revokes_the_signed_secret_and_issues_one_of_the_new_product(api, signing, store, clock):
    # No route changes a position's product yet; the services that will call `refresh` after a change.
    order = buy(api, signing)
    position_id, old = order["positions"][0]["id"], secrets_of(order)[0]
    with store.transaction() as tx:
        changed = tx.update("orderpositions", position_id, {"item": signing["shirt"], "variation": signing["S"]})
        refreshed = ticket_secrets.refresh(tx, changed, clock())
        kept = ticket_secrets.refresh(tx, refreshed, clock())

    assert changed["secret"] == old
    assert refreshed["secret"] != old
    assert kept["secret"] == refreshed["secret"]  # a secret that tells the ticket's facts is kept
    assert api.get(f"{POSITIONS}{position_id}/").get_json()["secret"] == refreshed["secret"]
    assert scanner_check(refreshed["secret"], published_keys(api)) == {
        "seed": ticket_secrets.decode(refreshed["secret"]).seed,
        "item": signing["shirt"],
        "variation": signing["S"],
    }
    assert answer(api.get(REVOKED)) == (200, one_page(revoked(1, old)))


# ---------------------------------------------------------------------------------------- at the door


def test_a_revoked_secret_is_refused_at_the_door_and_recorded_on_its_ticket(api, signing):
    list_id = door(api)
    order = buy(api, signing)
    old = secrets_of(order)[0]
    api.post(f"{ORDERS}{order['code']}/mark_canceled/")

    response = redeem(api, old, list_id)

    status, body = answer(response)
    assert (status, body["status"], body["reason"], body["reason_explanation"]) == (400, "error", "revoked", None)
    assert (body["position"]["id"], body["position"]["order"]) == (order["positions"][0]["id"], order["code"])
    assert body["list"] == {
        "id": list_id,
        "name": "Door",
        "event": "sampleconf",
        "subevent": None,
        "include_pending": False,
    }
    history = api.get(f"{EVENT_URL}/checkins/").get_json()["results"]
    assert [(c["position"], c["successful"], c["error_reason"]) for c in history] == [
        (order["positions"][0]["id"], False, "revoked")
    ]


def test_a_forced_scan_of_a_revoked_secret_checks_its_ticket_in(api, signing):
    list_id = door(api)
    order = buy(api, signing)
    old = secrets_of(order)[0]
    api.post(f"{ORDERS}{order['code']}/mark_canceled/")
    # While the order is canceled, even a scan that already happened offline cannot let its ticket in.
    refused = redeem(api, old, list_id, force=True)
    assert (refused.status_code, refused.get_json()["reason"]) == (400, "canceled")  # settled: no retry
    reactivated = api.post(f"{ORDERS}{order['code']}/reactivate/").get_json()
    assert reactivated["status"] == "p"

    assert redeem(api, old, list_id).get_json()["reason"] == "revoked"
    forced = redeem(api, old, list_id, force=True)

    assert (forced.status_code, forced.get_json()["status"]) == (201, "ok")
    assert forced.get_json()["position"]["id"] == order["positions"][0]["id"]
    again = redeem(api, secrets_of(reactivated)[0], list_id)
    assert (again.status_code, again.get_json()["reason"]) == (200, "already_redeemed")


def test_a_revoked_secret_of_another_event_is_unknown_here(api, signing):
    other = {"name": {"en": "Other"}, "slug": "other", "date_from": "2027-01-01T10:00:00Z"}
    assert api.post(EVENTS_URL, json=other).status_code == 201
    elsewhere = created(api, f"{EVENTS_URL}other/checkinlists/", {"name": "Elsewhere"})["id"]
    order = buy(api, signing)
    api.post(f"{ORDERS}{order['code']}/mark_canceled/")

    response = redeem(api, secrets_of(order)[0], elsewhere)

    assert (response.status_code, response.get_json()["reason"]) == (404, "invalid")


def test_a_random_secret_of_a_canceled_order_is_still_canceled_not_revoked(api, shop):
    list_id = door(api)
    order = buy(api, shop)
    api.post(f"{ORDERS}{order['code']}/mark_canceled/")

    response = redeem(api, secrets_of(order)[0], list_id)

    assert (response.status_code, response.get_json()["reason"]) == (200, "canceled")


# ---------------------------------------------------------------------------------------- blocked secrets and access


@pytest.mark.parametrize("query", [{}, {"updated_since": NOW}, {"blocked": "true"}, {"ordering": "-updated"}])
def test_blocked_secrets_are_an_empty_list(api, signing, query):
    buy(api, signing)

    response = api.get(BLOCKED, query_string=query)

    assert answer(response) == (200, {"count": 0, "next": None, "previous": None, "results": []})
    assert response.headers["X-Page-Generated"] == NOW


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("checkin", 200), ("boxoffice", 403), (None, 401)],
)
@pytest.mark.parametrize("url", [REVOKED, BLOCKED])
def test_checkin_and_admin_tokens_read_the_lists(api, client_for, anonymous, who, status, url):
    client = anonymous if who is None else client_for(who)

    response = client.get(url)

    expected = {200: page([]), 403: FORBIDDEN, 401: UNAUTHENTICATED}[status]
    assert answer(response) == (status, expected)


# ---------------------------------------------------------------------------------------- the command line


def test_the_secret_command_decodes_and_checks_a_secret_against_an_event(api, signing, data_dir, capsys):
    order = buy(api, signing)
    old = secrets_of(order)[0]
    new = secrets_of(api.post(f"{ORDERS}{order['code']}/mark_canceled/").get_json())[0]
    seed = ticket_secrets.decode(old).seed
    at_event = ["--data-dir", str(data_dir), "secret", "--organizer", ORGANIZER, "--event", "sampleconf"]

    assert main(["secret", PRETIX_VECTOR]) == 0
    assert capsys.readouterr().out == (
        "seed CTJqJOl1H, item 1, variation -, subevent 14, valid from -, valid until -\n"
    )
    assert main([*at_event, old]) == 1
    assert capsys.readouterr().out == (
        f"seed {seed}, item {signing['ticket']}, variation -, subevent -, valid from -, valid until -\n"
        "signature: made with the key of bigevents/sampleconf\n"
        f"revoked: {NOW}\n"
        "ticket: none has this secret now\n"
    )
    assert main([*at_event, new]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "signature: made with the key of bigevents/sampleconf",
        "revoked: no",
        f"ticket: order {order['code']}, position 1",
    ]
    assert main([*at_event, PRETIX_VECTOR]) == 1
    assert "signature: NOT made with the key of bigevents/sampleconf" in capsys.readouterr().out
    assert main(["secret", "not-signed"]) == 2
    assert capsys.readouterr().err == "error: this is not a pretix_sig1 secret (not base64).\n"
