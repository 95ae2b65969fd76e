"""Orders: creation (prices, taxes, fees, vouchers, carts, quota), the resource's fields, changes, status
changes, lazy expiry, lists, ticket downloads of a whole order, access and idempotent retries."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pytest

from tests.helpers import (
    EVENT_URL,
    ApiClient,
    Clock,
    admin_client,
    client_as,
    created,
    fill,
    fill_text,
    new_app,
    store_of,
)
from tests.messages import DATETIME_FORMAT, EMPTY_LIST, FORBIDDEN, NOT_FOUND, SECRET_CHARACTERS, UNAUTHENTICATED
from tests.shop import (
    CARTS,
    CATALOG_QUOTAS,
    CURRENT_ORDER_FIELDS,
    CURRENT_POSITION_FIELDS,
    DONATION,
    EVENTS,
    ITEMS,
    NOT_PAID,
    NOW,
    ORDER_CODE,
    ORDERS,
    PDF,
    POSITIONS,
    QUOTAS,
    SEED_ADDRESS_FIELDS,
    SEED_ORDER_FIELDS,
    SEED_POSITION_FIELDS,
    TICKET,
    VAT,
    VOUCHER_USED_UP,
    act,
    act_ok,
    availability,
    build_shop,
    check_in,
    codes,
    create_order,
    expect_order,
    get_order,
    order_count,
    order_download,
    payment,
    position_download,
    redeemed,
    seed_order,
    sold_out,
    ticket_position,
    tickets,
    usage,
)


@pytest.fixture
def shop(api) -> dict[str, int]:
    return build_shop(api)


@pytest.fixture
def small(api) -> dict[str, int]:
    """Just the ticket (23.00, 19 % VAT) in its quota of 2, for tests that need no more."""
    ids = {"vat": created(api, f"{EVENT_URL}/taxrules/", VAT)["id"]}
    ids["ticket"] = created(api, ITEMS, fill(TICKET, ids))["id"]
    ids["q_tickets"] = created(api, QUOTAS, fill(CATALOG_QUOTAS[0][1], ids))["id"]
    return ids


def test_seed_example_list_and_detail(api, store):
    order, seed_position = seed_order(api, store)
    expected = expect_order(
        order,
        [seed_position],
        "23.00",
        status="p",
        email="tester@example.org",
        payment_date="2017-12-05",
        payment_provider="banktransfer",
        payments=[payment("23.00", "confirmed", "banktransfer", "2017-12-05T10:00:00Z")],
        invoice_address={
            "last_modified": NOW,
            "is_business": False,
            "company": "Sample company",
            "name": "John Doe",
            "name_parts": {"_legacy": "John Doe"},
            "street": "Test street 12",
            "zipcode": "12345",
            "city": "Testington",
            "country": "DE",
            "state": "",
            "internal_reference": "",
            "custom_field": None,
            "vat_id": "EU123456789",
            "vat_id_validated": False,
            "transmission_type": "email",
            "transmission_info": None,
        },
        downloads=PDF,
    )

    listed = api.get(ORDERS)
    detail = api.get(f"{ORDERS}{order['code']}/")

    assert listed.status_code == detail.status_code == 200
    assert listed.get_json() == {"count": 1, "next": None, "previous": None, "results": [expected]}
    assert detail.get_json() == expected
    body = detail.get_json()
    assert SEED_ORDER_FIELDS | CURRENT_ORDER_FIELDS <= set(body)
    assert SEED_ADDRESS_FIELDS <= set(body["invoice_address"])
    assert SEED_POSITION_FIELDS | CURRENT_POSITION_FIELDS <= set(body["positions"][0])


# ---------------------------------------------------------------------------------------- creation


def test_a_pending_order_gets_generated_codes_and_a_payment_term(api, shop):
    first = tickets(api, shop, count=2, email="tester@example.org")
    second = create_order(api, {"email": "tester@example.org", "positions": [{"item": shop["workshop"]}]})

    assert first == expect_order(
        first, [ticket_position(shop), ticket_position(shop, positionid=2)], "46.00", email="tester@example.org"
    )
    assert first["code"] != second["code"]
    assert first["secret"] != second["secret"]
    secrets = {p["secret"] for order in (first, second) for p in order["positions"]}
    assert ORDER_CODE.fullmatch(second["code"])
    pseudonyms = {p["pseudonymization_id"] for order in (first, second) for p in order["positions"]}
    assert len(secrets) == len(pseudonyms) == 3
    assert get_order(api, first["code"]) == first


def test_a_free_order_is_paid_at_once(api, shop):
    order = create_order(api, {"positions": [{"item": shop["free"]}]})

    assert order == expect_order(
        order,
        [{"item": shop["free"], "price": "0.00", "downloads": PDF}],
        "0.00",
        status="p",
        payment_provider="free",
        payment_date="2026-11-01",
        payments=[payment("0.00", "confirmed", "free", NOW)],
        downloads=PDF,
    )


@pytest.mark.parametrize(
    "body, provider, state",
    [
        pytest.param({"status": "p", "payment_provider": "cash"}, "cash", "confirmed", id="paid-cash"),
        pytest.param({"status": "p", "payment_provider": "card"}, "card", "confirmed", id="paid-card"),
        pytest.param({"status": "n", "payment_provider": "banktransfer"}, "banktransfer", "created", id="pending-bank"),
        pytest.param({"payment_provider": "manual"}, "manual", "created", id="default-status"),
    ],
)
def test_status_and_payment_provider(api, small, body, provider, state):
    order = tickets(api, small, **body)

    paid = state == "confirmed"
    assert order == expect_order(
        order,
        [ticket_position(small, downloads=PDF if paid else [])],
        "23.00",
        status="p" if paid else "n",
        payment_provider=provider,
        payment_date="2026-11-01" if paid else None,
        payments=[payment("23.00", state, provider, NOW if paid else None)],
        downloads=PDF if paid else [],
    )


def test_a_paid_order_needs_a_payment_provider(api, small):
    response = api.post(ORDERS, json={"status": "p", "positions": [{"item": small["ticket"]}]})

    assert response.status_code == 400
    assert response.get_json() == {"payment_provider": ["A payment provider is required for a paid order."]}
    assert order_count(api) == (0, 0)


# (position sent, its price, tax rate, tax value, tax rule name, tax code, voucher name)
PRICES = [
    pytest.param({"item": "$ticket"}, "23.00", "19.00", "3.67", "vat", None, None, id="catalog-price"),
    pytest.param({"item": "$ticket", "price": "20.00"}, "20.00", "19.00", "3.19", "vat", None, None, id="price-sent"),
    pytest.param({"item": "$ticket", "price": 0}, "0.00", "19.00", "0.00", "vat", None, None, id="price-zero"),
    pytest.param(
        {"item": "$shirt", "variation": "$S"}, "15.00", "19.00", "2.39", "vat", None, None, id="item-price-of-variation"
    ),
    pytest.param(
        {"item": "$shirt", "variation": "$M"}, "18.00", "19.00", "2.87", "vat", None, None, id="variation-price"
    ),
    pytest.param(
        {"item": "$workshop"}, "12.00", "7.00", "0.79", "reduced", "S/reduced", None, id="reduced-rate-with-code"
    ),
    pytest.param({"item": "$parking"}, "8.00", "0.00", "0.00", None, None, None, id="no-tax-rule"),
    pytest.param(
        {"item": "$ticket", "voucher": "SETTEN"}, "10.00", "19.00", "1.60", "vat", None, "v_SETTEN", id="voucher-set"
    ),
    pytest.param(
        {"item": "$ticket", "voucher": "setten"},
        "10.00",
        "19.00",
        "1.60",
        "vat",
        None,
        "v_SETTEN",
        id="voucher-any-case",
    ),
    pytest.param(
        {"item": "$ticket", "voucher": "MINUS5"},
        "18.00",
        "19.00",
        "2.87",
        "vat",
        None,
        "v_MINUS5",
        id="voucher-subtract",
    ),
    pytest.param(
        {"item": "$ticket", "voucher": "QUARTER"},
        "17.25",
        "19.00",
        "2.75",
        "vat",
        None,
        "v_QUARTER",
        id="voucher-percent",
    ),
    pytest.param(
        {"item": "$shirt", "variation": "$M", "voucher": "MINUS5"},
        "13.00",
        "19.00",
        "2.08",
        "vat",
        None,
        "v_MINUS5",
        id="voucher-on-variation",
    ),
    pytest.param(
        {"item": "$ticket", "voucher": "SETTEN", "price": "5.00"},
        "5.00",
        "19.00",
        "0.80",
        "vat",
        None,
        "v_SETTEN",
        id="voucher-and-price-sent",
    ),
    pytest.param(
        {"item": "$workshop", "voucher": "WORKSHOPONLY"},
        "12.00",
        "7.00",
        "0.79",
        "reduced",
        "S/reduced",
        "v_WORKSHOPONLY",
        id="voucher-of-the-item",
    ),
]


@pytest.mark.parametrize("sent, price, rate, tax, rule, tax_code, voucher", PRICES)
def test_prices_and_taxes(api, shop, sent, price, rate, tax, rule, tax_code, voucher):
    order = create_order(api, {"positions": [fill(sent, shop)]})

    position = {
        "item": fill(sent, shop)["item"],
        "variation": fill(sent, shop).get("variation"),
        "price": price,
        "tax_rate": rate,
        "tax_value": tax,
        "tax_rule": shop[rule] if rule else None,
        "tax_code": tax_code,
        "voucher": shop[voucher] if voucher else None,
    }
    paid = price == "0.00"
    assert order == expect_order(
        order,
        [{**position, "downloads": PDF if paid else []}],
        price,
        status="p" if paid else "n",
        payment_provider="free" if paid else None,
        payment_date="2026-11-01" if paid else None,
        payments=[payment(price, "confirmed", "free", NOW)] if paid else [],
        downloads=PDF if paid else [],
    )
    if voucher:
        assert redeemed(api, shop[voucher]) == 1


def test_fees_are_added_to_the_total(api, shop):
    order = create_order(
        api,
        {
            "positions": [{"item": shop["ticket"]}],
            "fees": [
                {"fee_type": "payment", "value": "2.50", "tax_rule": shop["vat"], "description": "Card fee"},
                {"fee_type": "service", "value": "10.00", "_treat_value_as_percentage": True, "internal_type": "svc"},
            ],
        },
    )

    fee_ids = [fee["id"] for fee in order["fees"]]
    assert order == expect_order(
        order,
        [ticket_position(shop)],
        "27.80",
        payment_fee="2.50",
        payment_fee_tax_rate="19.00",
        payment_fee_tax_value="0.40",
        fees=[
            {
                "id": fee_ids[0],
                "fee_type": "payment",
                "value": "2.50",
                "description": "Card fee",
                "internal_type": "",
                "tax_rate": "19.00",
                "tax_value": "0.40",
                "tax_rule": shop["vat"],
                "tax_code": None,
                "canceled": False,
            },
            {
                "id": fee_ids[1],
                "fee_type": "service",
                "value": "2.30",
                "description": "",
                "internal_type": "svc",
                "tax_rate": "0.00",
                "tax_value": "0.00",
                "tax_rule": None,
                "tax_code": None,
                "canceled": False,
            },
        ],
    )


def test_positions_keep_attendees_addresses_answers_and_addons(api, shop):
    order = create_order(
        api,
        {
            "positions": [
                {
                    "positionid": 1,
                    "item": shop["ticket"],
                    "attendee_name_parts": {"given_name": "Peter", "family_name": "Miller"},
                    "attendee_email": "peter@example.org",
                    "company": "Sample company",
                    "street": "Test street 12",
                    "zipcode": "12345",
                    "city": "Testington",
                    "country": "DE",
                    "state": "BE",
                    "answers": [{"question": shop["AGE"], "answer": "23"}],
                },
                {"positionid": 2, "item": shop["workshop"], "addon_to": 1, "attendee_name": "Peter Miller"},
                {"positionid": 3, "item": shop["ticket"], "secret": "my-own.secret_1"},
            ],
        },
    )

    first_id = order["positions"][0]["id"]
    assert order == expect_order(
        order,
        [
            ticket_position(
                shop,
                attendee_name="Peter Miller",
                attendee_name_parts={"given_name": "Peter", "family_name": "Miller"},
                attendee_email="peter@example.org",
                company="Sample company",
                street="Test street 12",
                zipcode="12345",
                city="Testington",
                country="DE",
                state="BE",
                answers=[
                    {
                        "question": shop["AGE"],
                        "answer": "23",
                        "question_identifier": "AGE",
                        "options": [],
                        "option_identifiers": [],
                    }
                ],
            ),
            {
                "positionid": 2,
                "item": shop["workshop"],
                "price": "12.00",
                "tax_rate": "7.00",
                "tax_value": "0.79",
                "tax_rule": shop["reduced"],
                "tax_code": "S/reduced",
                "addon_to": first_id,
                "attendee_name": "Peter Miller",
                "attendee_name_parts": {"_legacy": "Peter Miller"},
            },
            ticket_position(shop, positionid=3, secret="my-own.secret_1"),
        ],
        "58.00",
    )


def test_order_fields_are_kept(api, shop):
    order = tickets(
        api,
        shop,
        email="tester@example.org",
        phone="+49 30 1234567",
        locale="de",
        sales_channel="box_office",
        comment="VIP guest",
        testmode=True,
        require_approval=True,
        expires="2026-11-05T10:00:00+01:00",
        checkin_attention=True,
        checkin_text="Hand over the badge",
        api_meta={"crm": {"id": 42}},
        tax_rounding_mode="sum_by_net",
        invoice_address={
            "name_parts": {"given_name": "John", "family_name": "Doe"},
            "is_business": True,
            "company": "ACME",
            "country": "AT",
            "internal_reference": "PO-1",
        },
    )

    assert order == expect_order(
        order,
        [ticket_position(shop)],
        "23.00",
        email="tester@example.org",
        phone="+49 30 1234567",
        locale="de",
        sales_channel="box_office",
        comment="VIP guest",
        testmode=True,
        require_approval=True,
        expires="2026-11-05T09:00:00Z",
        checkin_attention=True,
        checkin_text="Hand over the badge",
        api_meta={"crm": {"id": 42}},
        tax_rounding_mode="sum_by_net",
        invoice_address={
            "last_modified": NOW,
            "is_business": True,
            "company": "ACME",
            "name": "John Doe",
            "name_parts": {"given_name": "John", "family_name": "Doe"},
            "street": "",
            "zipcode": "",
            "city": "",
            "country": "AT",
            "state": "",
            "internal_reference": "PO-1",
            "custom_field": None,
            "vat_id": "",
            "vat_id_validated": False,
            "transmission_type": "email",
            "transmission_info": None,
        },
    )


@pytest.mark.parametrize("code", ["XYZ23", "ABCDEFGHIJ", "Z0Z0Z"])
def test_a_given_code_is_used(api, small, code):
    order = tickets(api, small, code=code)

    assert order["code"] == code
    assert get_order(api, code.lower())["code"] == code


# ---------------------------------------------------------------------------------------- rejected input


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """An app of this module's own with the catalog and one order (code TAKEN), for tests that write nothing."""
    app = new_app(tmp_path_factory.mktemp("orders") / "data")
    client = admin_client(app)
    ids = build_shop(client)
    taken = create_order(client, {"code": "TAKEN", "positions": [{"item": ids["free"], "secret": "usedsecret"}]})
    created(client, EVENTS, {"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2027-01-01T10:00:00Z"})
    ids["other_rule"] = created(client, f"{EVENTS}otherconf/taxrules/", VAT)["id"]
    ids["other_item"] = created(client, f"{EVENTS}otherconf/items/", DONATION)["id"]
    yield client, ids, taken
    store_of(app).close()


def position_error(index: int, count: int, error: dict) -> dict:
    return {"positions": [error if i == index else {} for i in range(count)]}


T = {"item": "$ticket"}
REJECTED = [
    pytest.param({}, {"positions": ["This field is required."]}, id="no-positions"),
    pytest.param({"positions": []}, {"positions": ["An order needs at least one position."]}, id="empty-positions"),
    pytest.param(
        {"positions": [{}]}, {"positions": [{"item": ["This field is required."]}]}, id="position-without-item"
    ),
    pytest.param(
        {"positions": [{"item": 99999}]},
        position_error(0, 1, {"item": ['Invalid pk "99999" - object does not exist.']}),
        id="unknown-item",
    ),
    pytest.param(
        {"positions": [{"item": "$other_item"}]},
        position_error(0, 1, {"item": ['Invalid pk "{other_item}" - object does not exist.']}),
        id="item-of-other-event",
    ),
    pytest.param(
        {"positions": [T, {"item": "$donation"}]},
        position_error(1, 2, {"item": ['The product "Donation" is not assigned to a quota.']}),
        id="item-in-no-quota",
    ),
    pytest.param(
        {"positions": [{"item": "$shirt"}]},
        position_error(0, 1, {"variation": ["You should specify a variation for this item."]}),
        id="variation-missing",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "variation": "$S"}]},
        position_error(0, 1, {"variation": ["The specified variation does not belong to the specified item."]}),
        id="variation-of-other-item",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "subevent": 1}]},
        position_error(0, 1, {"subevent": ["You can not specify a subevent if your event is not an event series."]}),
        id="subevent",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "seat": "A1"}]},
        position_error(0, 1, {"seat": ["The specified seat does not exist: this event has no seating plan."]}),
        id="seat",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "attendee_name": "Peter", "attendee_name_parts": {"given_name": "Peter"}}]},
        position_error(0, 1, {"attendee_name": ["Do not specify attendee_name if you specified attendee_name_parts."]}),
        id="name-and-parts",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "attendee_email": "nope"}]},
        {"positions": [{"attendee_email": ["Enter a valid email address."]}]},
        id="attendee-email",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "price": "-1.00"}]},
        {"positions": [{"price": ["Ensure this value is greater than or equal to 0."]}]},
        id="negative-price",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "price": "1.234"}]},
        {"positions": [{"price": ["Ensure that there are no more than 2 decimal places."]}]},
        id="price-places",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "discount": 5}]},
        position_error(0, 1, {"discount": ['Invalid pk "5" - object does not exist.']}),
        id="discount",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "voucher": "NOPE1"}]},
        position_error(0, 1, {"voucher": ['The voucher code "NOPE1" is not known.']}),
        id="unknown-voucher",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "voucher": "OLDIE"}]},
        position_error(0, 1, {"voucher": ["This voucher has expired."]}),
        id="expired-voucher",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "voucher": "WORKSHOPONLY"}]},
        position_error(0, 1, {"voucher": ["This voucher is not valid for this product."]}),
        id="voucher-of-other-item",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "answers": [{"question": "$AGE", "answer": "old"}]}]},
        position_error(0, 1, {"answers": [{"answer": ["A valid number is required."]}]}),
        id="bad-answer",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "secret": "usedsecret"}]},
        position_error(0, 1, {"secret": ["This ticket secret is already in use."]}),
        id="secret-taken",
    ),
    pytest.param(
        {"positions": [{"item": "$free", "secret": "twice"}, {"item": "$free", "secret": "twice"}]},
        position_error(1, 2, {"secret": ["This ticket secret is already in use."]}),
        id="secret-twice",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "secret": "a b"}]},
        {"positions": [{"secret": [SECRET_CHARACTERS]}]},
        id="secret-characters",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "positionid": 2}]},
        {"positions": ["If you set positionid, set it on every position, counting up from 1."]},
        id="positionid-not-from-1",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "positionid": 1}, {"item": "$free"}]},
        {"positions": ["If you set positionid, set it on every position, counting up from 1."]},
        id="positionid-on-some",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "positionid": 1}, {"item": "$free", "positionid": 1}]},
        {"positions": ["If you set positionid, set it on every position, counting up from 1."]},
        id="positionid-repeated",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "positionid": 1, "addon_to": 2}, {"item": "$free", "positionid": 2}]},
        position_error(0, 2, {"addon_to": ["Refer to the positionid of an earlier position that is not an add-on."]}),
        id="addon-to-later",
    ),
    pytest.param(
        {"positions": [{"item": "$ticket", "positionid": 1, "addon_to": 1}]},
        position_error(0, 1, {"addon_to": ["Refer to the positionid of an earlier position that is not an add-on."]}),
        id="addon-to-itself",
    ),
    pytest.param(
        {
            "positions": [
                {"item": "$ticket", "positionid": 1},
                {"item": "$free", "positionid": 2, "addon_to": 1},
                {"item": "$free", "positionid": 3, "addon_to": 2},
            ]
        },
        position_error(2, 3, {"addon_to": ["Refer to the positionid of an earlier position that is not an add-on."]}),
        id="addon-to-addon",
    ),
    pytest.param(
        {"positions": [T, {"item": "$free", "addon_to": 1}]},
        position_error(1, 2, {"addon_to": ["Refer to the positionid of an earlier position that is not an add-on."]}),
        id="addon-without-positionids",
    ),
    pytest.param(
        {"positions": [T], "code": "ABCO2"},
        {"code": ["Order codes may only contain A-Z and 0-9, without O and 1."]},
        id="code-with-O",
    ),
    pytest.param(
        {"positions": [T], "code": "ABC12"},
        {"code": ["Order codes may only contain A-Z and 0-9, without O and 1."]},
        id="code-with-1",
    ),
    pytest.param(
        {"positions": [T], "code": "abc23"},
        {"code": ["Order codes may only contain A-Z and 0-9, without O and 1."]},
        id="code-lowercase",
    ),
    pytest.param(
        {"positions": [T], "code": ""},
        {"code": ["Order codes may only contain A-Z and 0-9, without O and 1."]},
        id="code-blank",
    ),
    pytest.param(
        {"positions": [T], "code": "TAKEN"}, {"code": ["This order code is already in use."]}, id="code-taken"
    ),
    pytest.param(
        {"positions": [T], "code": "X" * 17},
        {"code": ["Ensure this field has no more than 16 characters."]},
        id="code-too-long",
    ),
    pytest.param({"positions": [T], "status": "c"}, {"status": ['"c" is not a valid choice.']}, id="status-canceled"),
    pytest.param(
        {"positions": [T], "payment_provider": "paypal"},
        {"payment_provider": ['"paypal" is not a valid choice.']},
        id="provider",
    ),
    pytest.param(
        {"positions": [T], "sales_channel": "telephone"},
        {"sales_channel": ['"telephone" is not a valid choice.']},
        id="sales-channel",
    ),
    pytest.param({"positions": [T], "email": "tester"}, {"email": ["Enter a valid email address."]}, id="email"),
    pytest.param(
        {"positions": [T], "expires": "tomorrow"},
        {
            "expires": [
                DATETIME_FORMAT
            ]
        },
        id="expires",
    ),
    pytest.param(
        {"positions": [T], "customer": "C1"}, {"customer": ["Customer accounts are not supported."]}, id="customer"
    ),
    pytest.param(
        {"positions": [T], "use_gift_cards": ["GIFT1"]},
        {"use_gift_cards": ["Gift cards are not supported."]},
        id="gift-cards",
    ),
    pytest.param(
        {"positions": [T], "fees": [{"fee_type": "payment", "value": "1.00", "tax_rule": 99999}]},
        {"fees": [{"tax_rule": ['Invalid pk "99999" - object does not exist.']}]},
        id="fee-unknown-tax-rule",
    ),
    pytest.param(
        {
            "positions": [T],
            "fees": [
                {"fee_type": "payment", "value": "1.00"},
                {"fee_type": "payment", "value": "1.00", "tax_rule": "$other_rule"},
            ],
        },
        {"fees": [{}, {"tax_rule": ['Invalid pk "{other_rule}" - object does not exist.']}]},
        id="fee-tax-rule-of-other-event",
    ),
    pytest.param(
        {"positions": [T], "fees": [{"fee_type": "tip", "value": "1.00"}]},
        {"fees": [{"fee_type": ['"tip" is not a valid choice.']}]},
        id="fee-type",
    ),
    pytest.param(
        {"positions": [T], "fees": [{"fee_type": "payment"}]},
        {"fees": [{"value": ["This field is required."]}]},
        id="fee-without-value",
    ),
    pytest.param(
        {"positions": [T], "invoice_address": {"name": "John", "name_parts": {"given_name": "John"}}},
        {"invoice_address": {"non_field_errors": ["Specify name or name_parts, not both."]}},
        id="address-name-and-parts",
    ),
    pytest.param(
        {"positions": [T], "invoice_address": {"country": "Germany"}},
        {"invoice_address": {"country": ["Ensure this field has no more than 2 characters."]}},
        id="address-country",
    ),
    pytest.param({"positions": [T, T, T]}, position_error(2, 3, {"item": sold_out("Tickets")}), id="quota"),
    pytest.param(
        {"positions": [{"item": "$ticket", "voucher": "ONCE1"}, {"item": "$ticket", "voucher": "ONCE1"}]},
        position_error(1, 2, VOUCHER_USED_UP),
        id="voucher-used-twice",
    ),
]


@pytest.mark.parametrize("payload, body", REJECTED)
def test_rejected_input_writes_nothing(shared_app, payload, body):
    client, ids, _ = shared_app

    response = client.post(ORDERS, json=fill_text(payload, ids))

    assert response.status_code == 400
    assert response.get_json() == fill_text(body, ids)
    assert order_count(client) == (1, 1)  # the order TAKEN only
    assert availability(client, ids["q_tickets"]) == usage()


def test_simulate_answers_with_a_preview_and_writes_nothing(shared_app):
    client, ids, _ = shared_app
    before = (order_count(client), availability(client, ids["q_tickets"]), redeemed(client, ids["v_SETTEN"]))

    response = client.post(
        ORDERS,
        json={
            "simulate": True,
            "email": "tester@example.org",
            "positions": [{"item": ids["ticket"], "voucher": "SETTEN", "attendee_name": "Peter"}],
        },
    )

    assert response.status_code == 201
    body = response.get_json()
    expected = expect_order(
        {**body, "secret": "0" * 16},
        [
            ticket_position(
                ids,
                voucher=ids["v_SETTEN"],
                price="10.00",
                tax_value="1.60",
                attendee_name="Peter",
                attendee_name_parts={"_legacy": "Peter"},
                secret="",
                id=0,
            )
        ],
        "10.00",
        code="PREVIEW",
        secret="",
        url=None,
        email="tester@example.org",
    )
    assert body == expected
    assert (order_count(client), availability(client, ids["q_tickets"]), redeemed(client, ids["v_SETTEN"])) == before


def test_simulate_reports_the_errors_of_a_real_order(shared_app):
    client, ids, _ = shared_app

    response = client.post(ORDERS, json={"simulate": True, "positions": [{"item": ids["ticket"]}] * 3})

    assert response.status_code == 400
    assert response.get_json() == position_error(2, 3, {"item": sold_out("Tickets")})


# ---------------------------------------------------------------------------------------- quota, vouchers, carts


def test_a_quota_failure_writes_nothing(api, shop):
    cart = created(api, CARTS, {"item": shop["ticket"], "price": "23.00", "cart_id": "waiting@api"})
    before = availability(api, shop["q_tickets"])

    response = api.post(
        ORDERS,
        json={
            "positions": [{"item": shop["ticket"], "voucher": "SETTEN"}, {"item": shop["ticket"], "voucher": "SETTEN"}],
        },
    )

    assert response.status_code == 400
    assert response.get_json() == {"positions": [{}, {"item": sold_out("Tickets")}]}
    assert order_count(api) == (0, 0)
    assert redeemed(api, shop["v_SETTEN"]) == 0
    assert [p["id"] for p in api.get(CARTS).get_json()["results"]] == [cart["id"]]
    assert availability(api, shop["q_tickets"]) == before == usage(carts=1)


def test_quota_is_checked_for_every_quota_of_a_position(api, shop):
    created(api, QUOTAS, {"name": "Small shirts", "size": 1, "items": [shop["shirt"]], "variations": [shop["S"]]})

    response = api.post(
        ORDERS,
        json={
            "positions": [
                {"item": shop["shirt"], "variation": shop["M"]},
                {"item": shop["shirt"], "variation": shop["S"]},
                {"item": shop["shirt"], "variation": shop["S"]},
            ]
        },
    )

    assert response.status_code == 400
    assert response.get_json() == position_error(2, 3, {"item": sold_out("Small shirts")})


def test_a_used_up_voucher_is_refused(api, shop):
    tickets(api, shop, positions=[{"item": shop["ticket"], "voucher": "ONCE1"}])

    response = api.post(ORDERS, json={"positions": [{"item": shop["ticket"], "voucher": "ONCE1"}]})

    assert response.status_code == 400
    assert response.get_json() == {"positions": [VOUCHER_USED_UP]}
    assert redeemed(api, shop["v_ONCE1"]) == 1


def test_a_voucher_held_by_a_cart_is_used_up(api, shop):
    created(api, CARTS, {"item": shop["ticket"], "price": "23.00", "voucher": "ONCE1", "cart_id": "holder@api"})

    refused = api.post(ORDERS, json={"positions": [{"item": shop["ticket"], "voucher": "ONCE1"}]})
    consumed = api.post(
        ORDERS, json={"positions": [{"item": shop["ticket"], "voucher": "ONCE1"}], "consume_carts": ["holder@api"]}
    )

    assert refused.status_code == 400
    assert refused.get_json() == {"positions": [VOUCHER_USED_UP]}
    assert consumed.status_code == 201
    assert redeemed(api, shop["v_ONCE1"]) == 1


def test_voucher_redemptions_follow_orders(api, shop):
    two = {"positions": [{"item": shop["shirt"], "variation": shop["M"], "voucher": "MINUS5"}] * 2}
    first = create_order(api, two)
    second = create_order(api, {"positions": [{"item": shop["workshop"]}, two["positions"][0]]})
    assert redeemed(api, shop["v_MINUS5"]) == 3

    act_ok(api, first["code"], "mark_canceled")
    assert redeemed(api, shop["v_MINUS5"]) == 1

    act_ok(api, first["code"], "reactivate")
    assert redeemed(api, shop["v_MINUS5"]) == 3

    act_ok(api, second["code"], "mark_expired")
    act_ok(api, second["code"], "mark_canceled")
    assert redeemed(api, shop["v_MINUS5"]) == 2


def test_consuming_carts_hands_their_quota_to_the_order(api, shop):
    for _ in range(2):
        created(api, CARTS, {"item": shop["ticket"], "price": "23.00", "cart_id": "desk1@api"})
    other = created(api, CARTS, {"item": shop["workshop"], "price": "12.00", "cart_id": "desk2@api"})
    payload = {"positions": [{"item": shop["ticket"]}, {"item": shop["ticket"]}]}

    without = api.post(ORDERS, json=payload)
    assert without.status_code == 400
    assert without.get_json() == {"positions": [{"item": sold_out("Tickets")}, {"item": sold_out("Tickets")}]}

    too_many = api.post(ORDERS, json={"positions": payload["positions"] * 2, "consume_carts": ["desk1@api"]})
    assert too_many.status_code == 400
    assert too_many.get_json() == {"positions": [{}, {}, {"item": sold_out("Tickets")}, {"item": sold_out("Tickets")}]}
    assert api.get(CARTS).get_json()["count"] == 3
    assert availability(api, shop["q_tickets"]) == usage(carts=2)

    order = create_order(api, {**payload, "consume_carts": ["desk1@api", "nosuchcart@api"]})
    assert order["status"] == "n"
    assert [p["id"] for p in api.get(CARTS).get_json()["results"]] == [other["id"]]
    assert availability(api, shop["q_tickets"]) == usage(pending=2)


def test_force_ignores_the_quota(api, shop):
    tickets(api, shop, count=2)

    order = create_order(api, {"force": True, "positions": [{"item": shop["ticket"]}]})

    assert order["status"] == "n"
    assert availability(api, shop["q_tickets"]) == {
        "available_number": 0,
        "pending_orders": 3,
        "paid_orders": 0,
        "cart_positions": 0,
    }


# ---------------------------------------------------------------------------------------- detail, change, delete


@pytest.mark.parametrize("code", ["ZZZZZ", "abcde", "1"])
def test_unknown_order_is_not_found(api, small, code):
    for method, url in (
        ("GET", f"{ORDERS}{code}/"),
        ("PATCH", f"{ORDERS}{code}/"),
        ("DELETE", f"{ORDERS}{code}/"),
        ("POST", f"{ORDERS}{code}/mark_paid/"),
        ("GET", f"{ORDERS}{code}/download/pdf/"),
    ):
        response = api.request(method, url, json={} if method == "PATCH" else None)
        assert (method, url, response.status_code, response.get_json()) == (method, url, 404, NOT_FOUND)


def test_order_codes_are_found_in_any_case(api, small):
    order = tickets(api, small)

    assert get_order(api, order["code"].lower()) == order


def test_orders_of_other_events_are_invisible(api, small):
    created(api, EVENTS, {"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2027-01-01T10:00:00Z"})
    order = tickets(api, small)

    response = api.get(f"{EVENTS}otherconf/orders/{order['code']}/")

    assert response.status_code == 404
    assert api.get(f"{EVENTS}otherconf/orders/").get_json() == EMPTY_LIST


ADDRESS = {
    "company": "New company",
    "name": "Jane Roe",
    "street": "Main street 1",
    "zipcode": "10115",
    "city": "Berlin",
    "country": "DE",
    "vat_id": "DE123",
}
PATCHES = [
    pytest.param({"email": "new@example.org"}, {"email": "new@example.org"}, id="email"),
    pytest.param({"email": None}, {"email": None}, id="email-null"),
    pytest.param({"phone": "+4930123"}, {"phone": "+4930123"}, id="phone"),
    pytest.param({"locale": "de"}, {"locale": "de"}, id="locale"),
    pytest.param({"comment": "Called back"}, {"comment": "Called back"}, id="comment"),
    pytest.param({"checkin_attention": True}, {"checkin_attention": True}, id="checkin-attention"),
    pytest.param({"checkin_text": "Wheelchair"}, {"checkin_text": "Wheelchair"}, id="checkin-text"),
    pytest.param({"valid_if_pending": True}, {"valid_if_pending": True, "downloads": PDF}, id="valid-if-pending"),
    pytest.param({"api_meta": {"a": [1, 2]}}, {"api_meta": {"a": [1, 2]}}, id="api-meta"),
    pytest.param(
        {"invoice_address": ADDRESS},
        {
            "invoice_address": {
                **ADDRESS,
                "last_modified": "2026-11-01T13:00:00Z",
                "is_business": False,
                "name_parts": {"_legacy": "Jane Roe"},
                "state": "",
                "internal_reference": "",
                "custom_field": None,
                "vat_id_validated": False,
                "transmission_type": "email",
                "transmission_info": None,
            }
        },
        id="invoice-address",
    ),
    pytest.param({"invoice_address": None}, {"invoice_address": None}, id="invoice-address-removed"),
    pytest.param(
        {
            "status": "p",
            "total": "1.00",
            "code": "ZZZZZ",
            "secret": "x",
            "positions": [],
            "testmode": True,
            "expires": "2030-01-01T00:00:00Z",
            "datetime": "2020-01-01T00:00:00Z",
            "require_approval": True,
        },
        {},
        id="other-fields-ignored",
    ),
]


@pytest.mark.parametrize("changes, fields", PATCHES)
def test_patch_changes_only_the_fields_it_may(api, small, clock, changes, fields):
    order = tickets(api, small, email="tester@example.org", invoice_address={"name": "John"})
    clock.advance(hours=1)

    response = api.patch(f"{ORDERS}{order['code']}/", json=changes)

    assert response.status_code == 200
    expected = {**order, **fields, "last_modified": "2026-11-01T13:00:00Z"}
    if expected["downloads"] == PDF:
        expected["downloads"] = order_download(order["code"])
        expected["positions"] = [{**p, "downloads": position_download(p["id"])} for p in order["positions"]]
    assert response.get_json() == expected
    assert get_order(api, order["code"]) == expected


@pytest.mark.parametrize(
    "changes, body",
    [
        ({"email": "nope"}, {"email": ["Enter a valid email address."]}),
        ({"checkin_attention": "maybe"}, {"checkin_attention": ["Must be a valid boolean."]}),
        ({"api_meta": [1]}, {"api_meta": ['Expected a dictionary of items but got type "list".']}),
        (
            {"invoice_address": {"name": "J", "name_parts": {"given_name": "J"}}},
            {"invoice_address": {"non_field_errors": ["Specify name or name_parts, not both."]}},
        ),
    ],
)
def test_patch_rejects_bad_values(api, small, changes, body):
    order = tickets(api, small, email="tester@example.org")

    response = api.patch(f"{ORDERS}{order['code']}/", json=changes)

    assert response.status_code == 400
    assert response.get_json() == body
    assert get_order(api, order["code"]) == order


def test_a_test_mode_order_can_be_deleted(api, shop, store):
    order = tickets(api, shop, count=2, testmode=True)
    kept = tickets(api, shop, positions=[{"item": shop["workshop"]}])
    check_in(store, order["positions"][0]["id"])

    response = api.delete(f"{ORDERS}{order['code']}/")

    assert response.status_code == 204
    assert response.data == b""
    assert api.get(f"{ORDERS}{order['code']}/").status_code == 404
    assert api.delete(f"{ORDERS}{order['code']}/").status_code == 404
    assert codes(api.get(ORDERS)) == [kept["code"]]
    assert [p["order"] for p in api.get(POSITIONS).get_json()["results"]] == [kept["code"]]
    assert availability(api, shop["q_tickets"]) == usage()


def test_a_real_order_cannot_be_deleted(api, small):
    order = tickets(api, small)

    response = api.delete(f"{ORDERS}{order['code']}/")

    assert response.status_code == 403
    assert response.get_json() == {"detail": "Only orders created in test mode can be deleted."}
    assert get_order(api, order["code"]) == order


# ---------------------------------------------------------------------------------------- status changes

PAYABLE = {"detail": "Only pending or expired orders can be marked as paid."}
UNPAYABLE = {"detail": "Only paid orders can be marked as unpaid."}
CANCELABLE = {"detail": "Only pending, paid or expired orders can be canceled."}
EXPIRABLE = {"detail": "Only pending orders can be marked as expired."}
EXTENDABLE = {"detail": "Only pending or expired orders can be extended."}
REACTIVATABLE = {"detail": "Only canceled orders can be reactivated."}
NOT_WAITING = {"detail": "This order is not waiting for approval."}
ACTION_BODIES = {"extend": {"expires": "2026-11-30"}}

# (status before, action) → status after, or the error body
TRANSITIONS = {
    "n": {
        "mark_paid": "p",
        "mark_pending": UNPAYABLE,
        "mark_canceled": "c",
        "mark_expired": "e",
        "extend": "n",
        "reactivate": REACTIVATABLE,
        "approve": NOT_WAITING,
        "deny": NOT_WAITING,
    },
    "p": {
        "mark_paid": PAYABLE,
        "mark_pending": "n",
        "mark_canceled": "c",
        "mark_expired": EXPIRABLE,
        "extend": EXTENDABLE,
        "reactivate": REACTIVATABLE,
        "approve": NOT_WAITING,
        "deny": NOT_WAITING,
    },
    "e": {
        "mark_paid": "p",
        "mark_pending": UNPAYABLE,
        "mark_canceled": "c",
        "mark_expired": EXPIRABLE,
        "extend": "n",
        "reactivate": REACTIVATABLE,
        "approve": NOT_WAITING,
        "deny": NOT_WAITING,
    },
    "c": {
        "mark_paid": PAYABLE,
        "mark_pending": UNPAYABLE,
        "mark_canceled": CANCELABLE,
        "mark_expired": EXPIRABLE,
        "extend": EXTENDABLE,
        "reactivate": "p",
        "approve": NOT_WAITING,
        "deny": NOT_WAITING,
    },
}
SETUP = {"n": [], "p": ["mark_paid"], "e": ["mark_expired"], "c": ["mark_paid", "mark_canceled"]}


def order_in(api: ApiClient, ids: dict[str, int], status: str, **fields: Any) -> dict:
    order = tickets(api, ids, **fields)
    for action in SETUP[status]:
        order = act_ok(api, order["code"], action)
    assert order["status"] == status
    return order


@pytest.mark.parametrize(
    "before, action, outcome",
    [pytest.param(b, a, o, id=f"{b}-{a}") for b, actions in TRANSITIONS.items() for a, o in actions.items()],
)
def test_status_changes(api, small, clock, before, action, outcome):
    order = order_in(api, small, before)
    clock.advance(minutes=5)

    response = act(api, order["code"], action, ACTION_BODIES.get(action))

    if isinstance(outcome, dict):
        assert (response.status_code, response.get_json()) == (400, outcome)
        assert get_order(api, order["code"]) == order
    else:
        assert response.status_code == 200
        body = response.get_json()
        assert body["status"] == outcome
        assert body["last_modified"] == "2026-11-01T12:05:00Z"
        assert get_order(api, order["code"]) == body
        holding = 1 if outcome in ("n", "p") else 0
        assert availability(api, small["q_tickets"]) == usage(
            pending=holding * (outcome == "n"), paid=holding * (outcome == "p")
        )


def test_mark_paid_confirms_the_payment(api, small, clock):
    order = tickets(api, small)
    clock.advance(days=2)

    paid = act_ok(api, order["code"], "mark_paid")

    assert paid == {
        **order,
        "status": "p",
        "payment_date": "2026-11-03",
        "payment_provider": "manual",
        "payments": [payment("23.00", "confirmed", "manual", "2026-11-03T12:00:00Z", "2026-11-03T12:00:00Z")],
        "last_modified": "2026-11-03T12:00:00Z",
        "downloads": order_download(order["code"]),
        "positions": [{**order["positions"][0], "downloads": position_download(order["positions"][0]["id"])}],
    }
    pending = act_ok(api, order["code"], "mark_pending")
    assert pending["payments"] == [
        payment("23.00", "canceled", "manual", "2026-11-03T12:00:00Z", "2026-11-03T12:00:00Z")
    ]
    assert (pending["status"], pending["downloads"], pending["payment_date"]) == ("n", [], None)


def test_an_expired_order_is_paid_only_with_quota_back(api, small):
    order = tickets(api, small, count=2)
    act_ok(api, order["code"], "mark_expired")
    newer = tickets(api, small)

    response = act(api, order["code"], "mark_paid")

    assert (response.status_code, response.get_json()) == (400, {"detail": sold_out("Tickets")[0]})
    assert get_order(api, order["code"])["status"] == "e"
    act_ok(api, newer["code"], "mark_canceled")
    assert act_ok(api, order["code"], "mark_paid")["status"] == "p"
    assert availability(api, small["q_tickets"]) == usage(paid=2)


def test_approval(api, small):
    waiting = tickets(api, small, require_approval=True)
    denied = tickets(api, small, require_approval=True)

    refused = act(api, waiting["code"], "mark_paid")
    assert (refused.status_code, refused.get_json()) == (
        400,
        {"detail": "This order needs to be approved before it can be paid."},
    )

    approved = act_ok(api, waiting["code"], "approve")
    assert (approved["status"], approved["require_approval"]) == ("n", False)
    assert act_ok(api, waiting["code"], "mark_paid")["status"] == "p"

    gone = act_ok(api, denied["code"], "deny")
    assert (gone["status"], gone["require_approval"], gone["cancellation_date"]) == ("c", True, NOW)
    again = act(api, denied["code"], "approve")
    assert (again.status_code, again.get_json()) == (400, NOT_WAITING)
    assert availability(api, small["q_tickets"]) == usage(paid=1)


def test_cancel_frees_quota_and_records_the_date(api, small, clock):
    order = tickets(api, small, count=2)
    assert api.post(CARTS, json={"item": small["ticket"], "price": "23.00"}).status_code == 400
    clock.advance(hours=3)

    canceled = act_ok(api, order["code"], "mark_canceled", {"send_email": False, "comment": "No show"})

    assert canceled == {
        **order,
        "status": "c",
        "cancellation_date": "2026-11-01T15:00:00Z",
        "last_modified": "2026-11-01T15:00:00Z",
    }
    assert availability(api, small["q_tickets"]) == usage()
    assert api.post(CARTS, json={"item": small["ticket"], "price": "23.00"}).status_code == 201


def test_a_cancellation_fee_keeps_a_paid_order_paid(api, shop, clock):
    order = tickets(
        api,
        shop,
        status="p",
        payment_provider="card",
        positions=[{"item": shop["ticket"]}, {"item": shop["workshop"]}],
        fees=[{"fee_type": "service", "value": "1.00"}],
    )
    clock.advance(days=1)

    kept = act_ok(api, order["code"], "mark_canceled", {"cancellation_fee": "5.00"})

    fee_id = kept["fees"][0]["id"]
    cancellation_fee = {
        "id": fee_id,
        "fee_type": "cancellation",
        "value": "5.00",
        "description": "",
        "internal_type": "",
        "tax_rate": "0.00",
        "tax_value": "0.00",
        "tax_rule": None,
        "tax_code": None,
        "canceled": False,
    }
    later = "2026-11-02T12:00:00Z"
    assert kept == {
        **order,
        "status": "p",
        "total": "5.00",
        "positions": [],
        "fees": [cancellation_fee],
        # Still paid: its (empty) download is offered, as pretix offers an order's download by its status.
        "downloads": order_download(order["code"]),
        "cancellation_date": later,
        "last_modified": later,
    }
    full = get_order(api, order["code"], "?include_canceled_positions=true")
    without_downloads = [{**p, "downloads": None} for p in full["positions"]]
    assert without_downloads == [{**p, "canceled": True, "downloads": None} for p in order["positions"]]
    assert full["fees"] == [{**order["fees"][0], "canceled": True}, cancellation_fee]
    assert availability(api, shop["q_tickets"]) == usage()


@pytest.mark.parametrize(
    "status, fee, code, outcome",
    [
        ("p", "23.01", 400, {"detail": "The cancellation fee cannot be higher than the total of the order."}),
        ("p", "23.00", 200, "p"),
        ("p", "0.00", 200, "p"),
        ("n", "5.00", 200, "c"),
        ("p", "-1.00", 400, {"cancellation_fee": ["Ensure this value is greater than or equal to 0."]}),
        ("p", "abc", 400, {"cancellation_fee": ["A valid number is required."]}),
    ],
)
def test_cancellation_fee_rules(api, small, status, fee, code, outcome):
    order = order_in(api, small, status)

    response = act(api, order["code"], "mark_canceled", {"cancellation_fee": fee})

    assert response.status_code == code
    if isinstance(outcome, dict):
        assert response.get_json() == outcome
        assert get_order(api, order["code"]) == order
    else:
        assert response.get_json()["status"] == outcome


@pytest.mark.parametrize(
    "timezone, until, expires",
    [
        ("UTC", "2026-11-20", "2026-11-20T23:59:59Z"),
        ("Europe/Berlin", "2026-11-20", "2026-11-20T22:59:59Z"),
        ("America/New_York", "2026-11-01", "2026-11-02T04:59:59Z"),
        ("UTC", "2026-11-01", "2026-11-01T23:59:59Z"),
    ],
)
def test_extend_moves_the_deadline_to_the_end_of_the_day(api, small, timezone, until, expires):
    assert api.patch(f"{EVENT_URL}/", json={"timezone": timezone}).status_code == 200
    order = tickets(api, small)

    extended = act_ok(api, order["code"], "extend", {"expires": until})

    assert extended == {**order, "expires": expires}
    assert get_order(api, order["code"])["expires"] == expires


@pytest.mark.parametrize(
    "body, error",
    [
        ({"expires": "2026-10-31"}, {"detail": "The new expiry date needs to be in the future."}),
        ({}, {"expires": ["This field is required."]}),
        (
            {"expires": "2026-11-20T10:00:00Z"},
            {"expires": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"expires": "soon"}, {"expires": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"expires": "2026-11-20", "force": "perhaps"}, {"force": ["Must be a valid boolean."]}),
    ],
)
def test_extend_rejects_bad_dates(api, small, body, error):
    order = tickets(api, small)

    response = act(api, order["code"], "extend", body)

    assert (response.status_code, response.get_json()) == (400, error)
    assert get_order(api, order["code"]) == order


def test_extending_an_expired_order_needs_quota_unless_forced(api, small):
    order = tickets(api, small, count=2)
    act_ok(api, order["code"], "mark_expired")
    tickets(api, small)

    refused = act(api, order["code"], "extend", {"expires": "2026-11-30"})
    forced = act(api, order["code"], "extend", {"expires": "2026-11-30", "force": True})

    assert (refused.status_code, refused.get_json()) == (400, {"detail": sold_out("Tickets")[0]})
    assert forced.status_code == 200
    assert (forced.get_json()["status"], forced.get_json()["expires"]) == ("n", "2026-11-30T23:59:59Z")
    assert availability(api, small["q_tickets"]) == {
        "available_number": 0,
        "pending_orders": 3,
        "paid_orders": 0,
        "cart_positions": 0,
    }


def test_reactivate_needs_quota(api, small):
    order = tickets(api, small, count=2)
    act_ok(api, order["code"], "mark_canceled")
    newer = tickets(api, small)

    refused = act(api, order["code"], "reactivate")

    assert (refused.status_code, refused.get_json()) == (400, {"detail": sold_out("Tickets")[0]})
    act_ok(api, newer["code"], "mark_canceled")
    back = act_ok(api, order["code"], "reactivate")
    assert (back["status"], back["cancellation_date"]) == ("n", None)
    assert availability(api, small["q_tickets"]) == usage(pending=2)


# ---------------------------------------------------------------------------------------- lazy expiry


def test_an_overdue_order_expires_at_the_next_request_and_frees_its_quota(api, small, clock):
    order = tickets(api, small, count=2)
    clock.advance(days=14)
    assert availability(api, small["q_tickets"]) == usage(pending=2)  # due at this very moment, not past it

    clock.advance(seconds=1)

    assert availability(api, small["q_tickets"]) == usage()
    expired = get_order(api, order["code"])
    assert (expired["status"], expired["last_modified"]) == ("e", "2026-11-15T12:00:01Z")
    assert expired == {**order, "status": "e", "last_modified": "2026-11-15T12:00:01Z"}
    assert api.post(CARTS, json={"item": small["ticket"], "price": "23.00"}).status_code == 201


@pytest.mark.parametrize(
    "url",
    [f"{ORDERS}", f"{POSITIONS}", f"{CARTS}", f"{EVENT_URL}/items/"],
    ids=["orders", "orderpositions", "cart-create", "items"],
)
def test_an_overdue_orders_quota_is_free_whatever_request_comes_next(api, small, clock, url):
    order = tickets(api, small, count=2)
    clock.advance(days=15)

    if url == CARTS:
        assert api.post(url, json={"item": small["ticket"], "price": "23.00"}).status_code == 201
    else:
        assert api.get(url).status_code == 200

    assert availability(api, small["q_tickets"])["pending_orders"] == 0
    assert get_order(api, order["code"])["last_modified"] == "2026-11-16T12:00:00Z"


def test_paid_orders_and_orders_waiting_for_approval_do_not_expire(api, small, clock):
    paid = tickets(api, small, status="p", payment_provider="cash")
    waiting = tickets(api, small, require_approval=True)
    clock.advance(days=15)

    assert get_order(api, paid["code"])["status"] == "p"
    assert get_order(api, waiting["code"])["status"] == "n"


def test_an_extended_order_expires_at_its_new_deadline(api, small, clock):
    order = tickets(api, small)
    act_ok(api, order["code"], "extend", {"expires": "2026-11-20"})

    clock.advance(days=19, hours=11, minutes=59)  # 2026-11-20T23:59
    assert get_order(api, order["code"])["status"] == "n"
    clock.advance(minutes=2)
    assert get_order(api, order["code"])["status"] == "e"


def test_an_expired_order_can_be_paid_while_its_quota_is_free(api, small, clock):
    order = tickets(api, small)
    clock.advance(days=15)

    paid = act_ok(api, order["code"], "mark_paid")

    assert paid["status"] == "p"
    assert availability(api, small["q_tickets"]) == usage(paid=1)


# ---------------------------------------------------------------------------------------- lists


@pytest.fixture(scope="module")
def listed(tmp_path_factory):
    """An app with five orders made an hour apart, for list tests that only read.

    BBB22 pending (de, shirt M), DDD22 paid (peter, ticket), EEE22 canceled (workshop), AAA22 test mode (free),
    CCC22 paid and then canceled with a fee (its ticket canceled).
    """
    clock = Clock()
    app = new_app(tmp_path_factory.mktemp("order-lists") / "data", clock)
    client = admin_client(app)
    ids = build_shop(client)
    orders = [
        {
            "code": "DDD22",
            "email": "Tester@Example.org",
            "status": "p",
            "payment_provider": "banktransfer",
            "positions": [{"item": ids["ticket"], "attendee_name": "Peter Miller"}],
        },
        {
            "code": "BBB22",
            "email": "other@example.org",
            "locale": "de",
            "positions": [{"item": ids["shirt"], "variation": ids["M"]}],
            "invoice_address": {"company": "Umbrella Corp"},
        },
        {"code": "EEE22", "email": "third@example.org", "positions": [{"item": ids["workshop"]}]},
        {"code": "AAA22", "testmode": True, "sales_channel": "box_office", "positions": [{"item": ids["free"]}]},
        {"code": "CCC22", "status": "p", "payment_provider": "cash", "positions": [{"item": ids["ticket"]}]},
    ]
    for payload in orders:
        create_order(client, payload)
        clock.advance(hours=1)
    act_ok(client, "EEE22", "mark_canceled")
    clock.advance(hours=1)
    act_ok(client, "CCC22", "mark_canceled", {"cancellation_fee": "3.00"})
    clock.advance(hours=1)
    act_ok(client, "DDD22", "mark_pending")
    act_ok(client, "DDD22", "mark_paid")  # last modified of all
    yield client, ids
    store_of(app).close()


ALL_BY_DATETIME = ["DDD22", "BBB22", "EEE22", "AAA22", "CCC22"]
LIST_QUERIES = [
    pytest.param("", ALL_BY_DATETIME, id="default-datetime"),
    pytest.param("?code=BBB22", ["BBB22"], id="code"),
    pytest.param("?code=bbb22", ["BBB22"], id="code-any-case"),
    pytest.param("?code=BBB2", [], id="code-is-not-a-prefix"),
    pytest.param("?status=p", ["DDD22", "AAA22", "CCC22"], id="status-paid"),
    pytest.param("?status=n", ["BBB22"], id="status-pending"),
    pytest.param("?status=c", ["EEE22"], id="status-canceled"),
    pytest.param("?status=e", [], id="status-expired"),
    pytest.param("?status=P", ["DDD22", "AAA22", "CCC22"], id="status-any-case"),
    pytest.param("?status=r", [], id="status-refunded-is-gone"),
    pytest.param("?status=xyz", [], id="status-unknown"),
    pytest.param("?email=tester@example.org", ["DDD22"], id="email-any-case"),
    pytest.param("?email=OTHER@EXAMPLE.ORG", ["BBB22"], id="email-upper-case"),
    pytest.param("?email=example.org", [], id="email-is-not-a-substring"),
    pytest.param("?locale=de", ["BBB22"], id="locale"),
    pytest.param("?locale=en", ["DDD22", "EEE22", "AAA22", "CCC22"], id="locale-en"),
    pytest.param("?locale=fr", [], id="locale-unknown"),
    pytest.param("?item={ticket}", ["DDD22", "CCC22"], id="item"),
    pytest.param("?item={shirt}", ["BBB22"], id="item-with-variations"),
    pytest.param("?variation={M}", ["BBB22"], id="variation"),
    pytest.param("?variation={S}", [], id="variation-not-sold"),
    pytest.param("?item=999999", [], id="item-unknown"),
    pytest.param("?testmode=true", ["AAA22"], id="testmode"),
    pytest.param("?testmode=false", ["DDD22", "BBB22", "EEE22", "CCC22"], id="testmode-false"),
    pytest.param("?created_since=2026-11-01T14:00:00Z", ["EEE22", "AAA22", "CCC22"], id="created-since"),
    pytest.param("?created_since=2026-11-01T15:00:00%2B01:00", ["EEE22", "AAA22", "CCC22"], id="created-since-offset"),
    pytest.param("?created_since=2030-01-01T00:00:00Z", [], id="created-since-future"),
    pytest.param("?modified_since=2026-11-01T18:00:00Z", ["DDD22", "CCC22"], id="modified-since"),
    pytest.param("?modified_since=2026-11-01T18:30:00Z", ["DDD22"], id="modified-since-later"),
    pytest.param("?search=peter", ["DDD22"], id="search-attendee"),
    pytest.param("?search=umbrella", ["BBB22"], id="search-company"),
    pytest.param("?search=eee2", ["EEE22"], id="search-code"),
    pytest.param("?search=third@", ["EEE22"], id="search-email"),
    pytest.param("?search=nobody", [], id="search-nothing"),
    pytest.param("?status=p&testmode=false", ["DDD22", "CCC22"], id="combined"),
    pytest.param("?ordering=datetime", ALL_BY_DATETIME, id="ordering-datetime"),
    pytest.param("?ordering=-datetime", ALL_BY_DATETIME[::-1], id="ordering-datetime-desc"),
    pytest.param("?ordering=code", ["AAA22", "BBB22", "CCC22", "DDD22", "EEE22"], id="ordering-code"),
    pytest.param("?ordering=-code", ["EEE22", "DDD22", "CCC22", "BBB22", "AAA22"], id="ordering-code-desc"),
    pytest.param("?ordering=status", ["EEE22", "BBB22", "DDD22", "AAA22", "CCC22"], id="ordering-status"),
    pytest.param("?ordering=-status", ["CCC22", "AAA22", "DDD22", "BBB22", "EEE22"], id="ordering-status-desc"),
    pytest.param(
        "?ordering=-last_modified", ["DDD22", "CCC22", "EEE22", "AAA22", "BBB22"], id="ordering-last-modified-desc"
    ),
    pytest.param("?ordering=email", ALL_BY_DATETIME, id="ordering-not-allowed"),
    pytest.param("?ordering=", ALL_BY_DATETIME, id="ordering-empty"),
    pytest.param("?status=p&ordering=-code", ["DDD22", "CCC22", "AAA22"], id="filter-and-ordering"),
]


@pytest.mark.parametrize("query, expected", LIST_QUERIES)
def test_list_filters_and_orderings(listed, query, expected):
    client, ids = listed

    response = client.get(ORDERS + query.format_map(ids))

    assert codes(response) == expected
    assert response.get_json()["count"] == len(expected)


@pytest.mark.parametrize(
    "query, body",
    [
        ("?item=abc", {"item": ["A valid integer is required."]}),
        ("?testmode=maybe", {"testmode": ["Must be a valid boolean."]}),
        ("?created_since=yesterday", {"created_since": ["Not a valid datetime."]}),
    ],
)
def test_list_filters_with_malformed_values(listed, query, body):
    client, _ = listed

    response = client.get(ORDERS + query)

    assert (response.status_code, response.get_json()) == (400, body)


def test_list_shows_canceled_positions_only_when_asked(listed):
    client, ids = listed

    hidden = client.get(f"{ORDERS}?code=CCC22").get_json()["results"][0]
    shown = client.get(f"{ORDERS}?code=CCC22&include_canceled_positions=true").get_json()["results"][0]

    assert hidden["positions"] == []
    assert [(p["item"], p["canceled"]) for p in shown["positions"]] == [(ids["ticket"], True)]
    assert {**shown, "positions": []} == hidden
    assert get_order(client, "CCC22", "?include_canceled_positions=true") == shown


def test_list_pages(listed):
    client, _ = listed

    first = client.get(f"{ORDERS}?page_size=2&ordering=code").get_json()
    last = client.get(f"{ORDERS}?page_size=2&ordering=code&page=3").get_json()

    assert [o["code"] for o in first["results"]] == ["AAA22", "BBB22"]
    assert first["next"] == f"http://localhost{ORDERS}?page_size=2&ordering=code&page=2"
    assert first["previous"] is None
    assert ([o["code"] for o in last["results"]], last["next"]) == (["EEE22"], None)
    assert last["previous"] == f"http://localhost{ORDERS}?page_size=2&ordering=code&page=2"
    assert client.get(f"{ORDERS}?page=4&page_size=2").status_code == 404


def test_modified_since_with_the_page_generated_header(api, shop, clock):
    first = tickets(api, shop)
    second = tickets(api, shop, positions=[{"item": shop["workshop"]}])
    response = api.get(ORDERS)
    generated = response.headers["X-Page-Generated"]
    assert generated == NOW
    assert api.get(ORDERS, query_string={"modified_since": generated}).get_json()["count"] == 2

    clock.advance(minutes=10)
    assert api.get(ORDERS, query_string={"modified_since": "2026-11-01T12:00:01Z"}).get_json() == EMPTY_LIST
    act_ok(api, second["code"], "mark_paid")
    later = api.get(ORDERS, query_string={"modified_since": "2026-11-01T12:00:01Z"})

    assert codes(later) == [second["code"]]
    assert later.headers["X-Page-Generated"] == "2026-11-01T12:10:00Z"
    assert codes(api.get(ORDERS, query_string={"ordering": "-last_modified"})) == [second["code"], first["code"]]


# ---------------------------------------------------------------------------------------- ticket downloads


def pdf_text(body: bytes) -> tuple[int, list[str]]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return len(reader.pages), [page.extract_text().replace("\x00", "") for page in reader.pages]


def test_an_order_downloads_one_page_per_ticket(api, shop):
    order = create_order(
        api,
        {
            "status": "p",
            "payment_provider": "cash",
            "positions": [
                {"positionid": 1, "item": shop["ticket"], "attendee_name": "Peter Miller"},
                {"positionid": 2, "item": shop["workshop"], "addon_to": 1},
                {"positionid": 3, "item": shop["shirt"], "variation": shop["M"]},
                {"positionid": 4, "item": shop["parking"], "attendee_name": "Anna Smith"},
            ],
        },
    )
    url = f"{ORDERS}{order['code']}/download/pdf/"
    assert order["downloads"] == order_download(order["code"])
    assert [bool(p["downloads"]) for p in order["positions"]] == [True, False, False, True]

    response = api.get(url)
    again = api.get(url)

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="sampleconf-{order["code"]}.pdf"'
    assert again.data == response.data
    pages, texts = pdf_text(response.data)
    assert pages == 2
    for text, product, attendee, number in (
        (texts[0], "Ticket", "Peter Miller", 1),
        (texts[1], "Parking", "Anna Smith", 4),
    ):
        assert "Sample Conference" in text
        assert product in text
        assert attendee in text
        assert f"{order['code']}-{number}" in text
    # The workshop makes no ticket of its own: it is printed on the ticket it was bought with.
    assert ("+ Workshop" in texts[0].splitlines(), "Workshop" in texts[1]) == (True, False)


def test_ticket_names_in_any_script(api, shop):
    names = ["王芳", "Zoë Ørsted", "Łukasz"]
    order = create_order(
        api,
        {
            "status": "p",
            "payment_provider": "cash",
            "positions": [
                {"item": shop["free"] if i else shop["ticket"], "attendee_name": name} for i, name in enumerate(names)
            ],
        },
    )

    response = api.get(f"{ORDERS}{order['code']}/download/pdf/")

    assert response.status_code == 200
    pages, texts = pdf_text(response.data)
    assert pages == 3
    for text, name in zip(texts, names, strict=True):
        assert name in text


@pytest.mark.parametrize(
    "status, fields, output, code, body",
    [
        pytest.param("n", {}, "pdf", 403, NOT_PAID, id="pending"),
        pytest.param("e", {}, "pdf", 403, NOT_PAID, id="expired"),
        pytest.param("c", {}, "pdf", 403, NOT_PAID, id="canceled"),
        pytest.param("p", {}, "passbook", 404, NOT_FOUND, id="unknown-output"),
        pytest.param("n", {}, "passbook", 404, NOT_FOUND, id="unknown-output-unpaid"),
    ],
)
def test_tickets_of_an_order_that_has_none_to_give(api, shop, status, fields, output, code, body):
    order = order_in(api, shop, status, **fill(fields, shop))

    response = api.get(f"{ORDERS}{order['code']}/download/{output}/")

    assert (response.status_code, response.get_json()) == (code, body)


def test_a_pending_order_valid_if_pending_offers_its_tickets(api, small):
    order = tickets(api, small, valid_if_pending=True)

    response = api.get(f"{ORDERS}{order['code']}/download/pdf/")

    assert order["downloads"] == order_download(order["code"])
    assert response.status_code == 200
    assert pdf_text(response.data)[0] == 1


# ---------------------------------------------------------------------------------------- access

ACCESS = [
    pytest.param("boxoffice", "GET", "list", None, 200, id="boxoffice-list"),
    pytest.param("boxoffice", "GET", "detail", None, 200, id="boxoffice-detail"),
    pytest.param("boxoffice", "POST", "list", "create", 201, id="boxoffice-create"),
    pytest.param("boxoffice", "POST", "mark_paid", None, 200, id="boxoffice-mark-paid"),
    pytest.param("boxoffice", "POST", "mark_canceled", None, 200, id="boxoffice-mark-canceled"),
    pytest.param("boxoffice", "GET", "download", None, 200, id="boxoffice-download"),
    pytest.param("boxoffice", "POST", "mark_pending", None, 403, id="boxoffice-mark-pending"),
    pytest.param("boxoffice", "POST", "mark_expired", None, 403, id="boxoffice-mark-expired"),
    pytest.param("boxoffice", "POST", "extend", {"expires": "2026-11-30"}, 403, id="boxoffice-extend"),
    pytest.param("boxoffice", "POST", "reactivate", None, 403, id="boxoffice-reactivate"),
    pytest.param("boxoffice", "POST", "approve", None, 403, id="boxoffice-approve"),
    pytest.param("boxoffice", "POST", "deny", None, 403, id="boxoffice-deny"),
    pytest.param("boxoffice", "PATCH", "detail", {"email": "x@example.org"}, 403, id="boxoffice-patch"),
    pytest.param("boxoffice", "DELETE", "detail", None, 403, id="boxoffice-delete"),
    pytest.param("checkin", "GET", "list", None, 200, id="checkin-list"),
    pytest.param("checkin", "GET", "detail", None, 200, id="checkin-detail"),
    pytest.param("checkin", "GET", "positions", None, 200, id="checkin-positions"),
    pytest.param("checkin", "POST", "list", "create", 403, id="checkin-create"),
    pytest.param("checkin", "POST", "mark_paid", None, 403, id="checkin-mark-paid"),
    pytest.param("checkin", "POST", "mark_canceled", None, 403, id="checkin-mark-canceled"),
    pytest.param("checkin", "GET", "download", None, 403, id="checkin-download"),
    pytest.param("checkin", "PATCH", "detail", {"email": "x@example.org"}, 403, id="checkin-patch"),
    pytest.param("checkin", "DELETE", "detail", None, 403, id="checkin-delete"),
    pytest.param(None, "GET", "list", None, 401, id="anonymous-list"),
    pytest.param(None, "GET", "detail", None, 401, id="anonymous-detail"),
    pytest.param(None, "POST", "list", "create", 401, id="anonymous-create"),
    pytest.param(None, "POST", "mark_paid", None, 401, id="anonymous-mark-paid"),
    pytest.param(None, "GET", "download", None, 401, id="anonymous-download"),
    pytest.param("other-organizer", "GET", "list", None, 403, id="other-organizer-list"),
    pytest.param("other-organizer", "POST", "list", "create", 403, id="other-organizer-create"),
    pytest.param("admin", "GET", "unknown-event", None, 403, id="unknown-event"),
]


@pytest.mark.parametrize("scope, method, target, payload, status", ACCESS)
def test_access(api, small, client_for, anonymous, scope, method, target, payload, status):
    order = tickets(api, small, testmode=True, valid_if_pending=True)
    before = get_order(api, order["code"])
    client = client_as(scope, client_for, anonymous)
    url = {
        "list": ORDERS,
        "detail": f"{ORDERS}{order['code']}/",
        "positions": POSITIONS,
        "download": f"{ORDERS}{order['code']}/download/pdf/",
        "unknown-event": f"{EVENTS}nosuchconf/orders/",
    }.get(target, f"{ORDERS}{order['code']}/{target}/")
    if payload == "create":
        payload = {"positions": [{"item": small["ticket"]}]}

    response = client.request(method, url, json=payload)

    assert response.status_code == status
    if status in (401, 403):
        assert response.get_json() == (UNAUTHENTICATED if status == 401 else FORBIDDEN)
        assert api.get(ORDERS).get_json()["count"] == 1
        assert get_order(api, order["code"]) == before
    elif method == "GET" and target == "detail":
        assert response.get_json() == before


# ---------------------------------------------------------------------------------------- idempotency


def test_a_retried_create_with_an_idempotency_key_creates_one_order(api, shop):
    headers = {"X-Idempotency-Key": "6f1c1d2e-8d43-4c3a-9a52-0c3c2c5b7e10"}
    payload = {"email": "tester@example.org", "positions": [{"item": shop["ticket"], "voucher": "SETTEN"}]}

    first = api.post(ORDERS, json=payload, headers=headers)
    retry = api.post(ORDERS, json=payload, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert codes(api.get(ORDERS)) == [first.get_json()["code"]]
    assert availability(api, shop["q_tickets"]) == usage(pending=1)
    assert redeemed(api, shop["v_SETTEN"]) == 1
    other = api.post(ORDERS, json=payload, headers={"X-Idempotency-Key": "another-key"})
    assert other.status_code == 201
    assert other.get_json()["code"] != first.get_json()["code"]


def test_a_retried_failing_create_replays_the_error(api, small):
    headers = {"X-Idempotency-Key": "failing-1"}
    payload = {"positions": [{"item": small["ticket"]}] * 3}

    first = api.post(ORDERS, json=payload, headers=headers)
    retry = api.post(ORDERS, json={"positions": [{"item": small["ticket"]}]}, headers=headers)

    assert first.status_code == retry.status_code == 400
    assert retry.get_json() == first.get_json() == position_error(2, 3, {"item": sold_out("Tickets")})
    assert order_count(api) == (0, 0)


def test_a_retried_status_change_is_answered_from_the_first_time(api, small, clock):
    order = tickets(api, small)
    headers = {"X-Idempotency-Key": "pay-once"}

    first = api.post(f"{ORDERS}{order['code']}/mark_paid/", headers=headers)
    clock.advance(minutes=1)
    retry = api.post(f"{ORDERS}{order['code']}/mark_paid/", headers=headers)

    assert first.status_code == retry.status_code == 200
    assert retry.get_json() == first.get_json()


def test_an_order_waiting_for_approval_offers_no_tickets_even_if_valid_while_pending(api, shop):
    order = tickets(api, shop, require_approval=True, valid_if_pending=True)
    assert order["downloads"] == [] and [p["downloads"] for p in order["positions"]] == [[]]
    refused = api.get(f"{ORDERS}{order['code']}/download/pdf/")
    assert (refused.status_code, refused.get_json()) == (
        403,
        {"detail": "Tickets can only be downloaded for paid orders."},
    )
    approved = act_ok(api, order["code"], "approve")
    assert [d["output"] for d in approved["downloads"]] == ["pdf"]


def test_canceled_positions_offer_no_ticket(api, shop):
    order = tickets(api, shop, count=2, status="p", payment_provider="cash")
    kept = act_ok(api, order["code"], "mark_canceled", {"cancellation_fee": "5.00"})
    assert (kept["status"], kept["downloads"], kept["positions"]) == ("p", order_download(order["code"]), [])
    canceled = get_order(api, order["code"], "?include_canceled_positions=true")["positions"]
    assert [(p["canceled"], p["downloads"]) for p in canceled] == [(True, []), (True, [])]
