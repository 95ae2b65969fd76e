"""The catalog orders are made from, and the whole bodies expected of orders and positions: shared by the
order, order position and check-in tests."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers import EVENT_URL, ORGANIZER, ApiClient, created, fill

EVENTS = f"/api/v1/organizers/{ORGANIZER}/events/"
ORDERS = f"{EVENT_URL}/orders/"
POSITIONS = f"{EVENT_URL}/orderpositions/"
CARTS = f"{EVENT_URL}/cartpositions/"
ITEMS = f"{EVENT_URL}/items/"
QUOTAS = f"{EVENT_URL}/quotas/"
VOUCHERS = f"{EVENT_URL}/vouchers/"
ABSOLUTE = f"http://localhost{EVENT_URL}"
SHOP_PAGE = f"http://localhost/{ORGANIZER}/sampleconf/order"

NOW = "2026-11-01T12:00:00Z"
EXPIRES = "2026-11-15T12:00:00Z"
ORDER_CODE = re.compile(r"^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{5}$")
ORDER_SECRET = re.compile(r"^[a-z0-9]{16}$")
POSITION_SECRET = re.compile(r"^[a-z0-9]{32}$")
PSEUDONYM = re.compile(r"^[A-Z0-9]{10}$")

VOUCHER_USED_UP = {"voucher": ["This voucher has already been used the maximum number of times."]}
NOT_PAID = {"detail": "Tickets can only be downloaded for paid orders."}
NO_TICKET = {"detail": "There is no ticket to download for this order or position."}


def sold_out(name: str) -> list[str]:
    return [f'There is not enough quota available on quota "{name}" to perform the operation.']


# ---------------------------------------------------------------------------------------- the catalog

# Strings starting with "$" in payloads name catalog objects and are replaced by their ids.
VAT = {"name": {"en": "VAT"}, "rate": "19.00"}
REDUCED = {"name": {"en": "Reduced VAT"}, "rate": "7.00", "code": "S/reduced"}
TICKET = {"name": {"en": "Ticket"}, "default_price": "23.00", "admission": True, "tax_rule": "$vat"}
WORKSHOP = {"name": {"en": "Workshop"}, "default_price": "12.00", "tax_rule": "$reduced"}
SHIRT = {
    "name": {"en": "Shirt"},
    "default_price": "15.00",
    "tax_rule": "$vat",
    "variations": [{"value": {"en": "S"}}, {"value": {"en": "M"}, "default_price": "18.00"}],
}
FREE_PASS = {"name": {"en": "Free pass"}, "default_price": "0.00", "admission": True}
PARKING = {"name": {"en": "Parking"}, "default_price": "8.00", "generate_tickets": True}
DONATION = {"name": {"en": "Donation"}, "default_price": "5.00"}
CATALOG_ITEMS = (
    ("ticket", TICKET),
    ("workshop", WORKSHOP),
    ("shirt", SHIRT),
    ("free", FREE_PASS),
    ("parking", PARKING),
    ("donation", DONATION),  # in no quota
)
CATALOG_QUOTAS = (
    ("q_tickets", {"name": "Tickets", "size": 2, "items": ["$ticket"]}),
    ("q_workshops", {"name": "Workshops", "size": 10, "items": ["$workshop"]}),
    ("q_shirts", {"name": "Shirts", "size": 10, "items": ["$shirt"], "variations": ["$S", "$M"]}),
    ("q_free", {"name": "Free", "size": 10, "items": ["$free", "$parking"]}),
)
# The vouchers every catalog starts with: one of each price mode and one used up after a single use.
PRICE_VOUCHERS = (
    {"code": "SETTEN", "max_usages": 100, "price_mode": "set", "value": "10.00"},
    {"code": "MINUS5", "max_usages": 100, "price_mode": "subtract", "value": "5.00"},
    {"code": "QUARTER", "max_usages": 100, "price_mode": "percent", "value": "25.00"},
    {"code": "ONCE1", "max_usages": 1},
)
OLDIE = {"code": "OLDIE", "max_usages": 100, "valid_until": "2026-10-01T00:00:00Z"}
WORKSHOP_ONLY = {"code": "WORKSHOPONLY", "max_usages": 100, "item": "$workshop"}
CATALOG_VOUCHERS = (*PRICE_VOUCHERS, OLDIE, WORKSHOP_ONLY)
AGE = {"question": "Age", "type": "N", "items": ["$ticket"], "identifier": "AGE"}


def create_items(api: ApiClient, url: str, items: tuple[tuple[str, dict], ...], ids: dict[str, int]) -> None:
    """Create the (name, payload) items at `url`, adding their ids and their variations' (by value) to `ids`."""
    for name, payload in items:
        item = created(api, url, fill(payload, ids, text=True))
        ids[name] = item["id"]
        for variation in item["variations"]:
            ids[variation["value"]["en"]] = variation["id"]


def build_shop(api: ApiClient) -> dict[str, int]:
    """Create the catalog above; return the ids by name (quotas q_*, vouchers v_*, variations by value)."""
    ids: dict[str, int] = {}
    ids["vat"] = created(api, f"{EVENT_URL}/taxrules/", VAT)["id"]
    ids["reduced"] = created(api, f"{EVENT_URL}/taxrules/", REDUCED)["id"]
    create_items(api, ITEMS, CATALOG_ITEMS, ids)
    for name, payload in CATALOG_QUOTAS:
        ids[name] = created(api, QUOTAS, fill(payload, ids))["id"]
    response = api.post(f"{VOUCHERS}batch_create/", json=fill(list(CATALOG_VOUCHERS), ids))
    assert response.status_code == 201, response.get_json()
    for voucher in response.get_json():
        ids["v_" + voucher["code"]] = voucher["id"]
    ids["AGE"] = created(api, f"{EVENT_URL}/questions/", fill(AGE, ids))["id"]
    return ids


# ---------------------------------------------------------------------------------------- expected bodies

PDF = "pdf"  # in an expected position: "this position offers its PDF ticket"

POSITION_DEFAULTS: dict[str, Any] = {
    "positionid": 1,
    "canceled": False,
    "variation": None,
    "attendee_name": None,
    "attendee_name_parts": {},
    "attendee_email": None,
    "company": None,
    "street": None,
    "zipcode": None,
    "city": None,
    "country": None,
    "state": None,
    "voucher": None,
    "voucher_budget_use": None,
    "tax_rate": "0.00",
    "tax_value": "0.00",
    "tax_code": None,
    "tax_rule": None,
    "addon_to": None,
    "subevent": None,
    "discount": None,
    "blocked": None,
    "valid_from": None,
    "valid_until": None,
    "checkins": [],
    "print_logs": [],
    "downloads": [],
    "answers": [],
    "seat": None,
    "plugin_data": {},
}

ORDER_DEFAULTS: dict[str, Any] = {
    "event": "sampleconf",
    "status": "n",
    "testmode": False,
    "email": None,
    "phone": None,
    "customer": None,
    "locale": "en",
    "sales_channel": "web",
    "datetime": NOW,
    "expires": EXPIRES,
    "payment_date": None,
    "payment_provider": None,
    "payment_fee": "0.00",
    "payment_fee_tax_rate": "0.00",
    "payment_fee_tax_value": "0.00",
    "tax_rounding_mode": "line",
    "comment": "",
    "api_meta": {},
    "custom_followup_at": None,
    "checkin_attention": False,
    "checkin_text": None,
    "invoice_address": None,
    "fees": [],
    "downloads": [],
    "require_approval": False,
    "valid_if_pending": False,
    "refunds": [],
    "last_modified": NOW,
    "cancellation_date": None,
    "plugin_data": {},
    "use_gift_cards": [],
}


def payment(
    amount: str, state: str = "created", provider: str = "manual", paid: str | None = None, created_at: str = NOW
) -> dict:
    return {
        "local_id": 1,
        "state": state,
        "amount": amount,
        "created": created_at,
        "payment_date": paid,
        "provider": provider,
        "payment_url": None,
        "details": {},
    }


def position_download(position_id: int) -> list[dict]:
    return [{"output": "pdf", "url": f"{ABSOLUTE}/orderpositions/{position_id}/download/pdf/"}]


def order_download(code: str) -> list[dict]:
    return [{"output": "pdf", "url": f"{ABSOLUTE}/orders/{code}/download/pdf/"}]


def expect_position(got: dict, code: str, given: dict) -> dict:
    """A whole position: `given` over the defaults, generated values taken from `got` once checked."""
    if "secret" not in given:
        assert POSITION_SECRET.fullmatch(got["secret"]), got["secret"]
    assert PSEUDONYM.fullmatch(got["pseudonymization_id"]), got["pseudonymization_id"]
    body = {
        **POSITION_DEFAULTS,
        "id": got["id"],
        "order": code,
        "code": code,
        "secret": got["secret"],
        "pseudonymization_id": got["pseudonymization_id"],
        **given,
    }
    if body["downloads"] == PDF:
        body["downloads"] = position_download(got["id"])
    return body


def expect_order(got: dict, positions: list[dict], total: str, **fields: Any) -> dict:
    """A whole order: `fields` over the defaults of a pending order without payment provider, the positions'
    given fields over theirs, and the generated values (code, secrets, ids) of `got` once their format is checked."""
    code = fields.get("code", got["code"])
    assert ORDER_CODE.fullmatch(code) or "code" in fields, code
    assert ORDER_SECRET.fullmatch(got["secret"]), got["secret"]
    assert len(got["positions"]) == len(positions)
    body = {
        **ORDER_DEFAULTS,
        "code": code,
        "secret": got["secret"],
        "total": total,
        "url": f"{SHOP_PAGE}/{code}/{got['secret']}/",
        "payments": [],
        "positions": [expect_position(g, code, p) for g, p in zip(got["positions"], positions, strict=True)],
        **fields,
    }
    if body["downloads"] == PDF:
        body["downloads"] = order_download(code)
    return body


def ticket_position(ids: dict[str, int], **fields: Any) -> dict:
    """A position of the 23.00 ticket under 19 % VAT."""
    return {
        "item": ids["ticket"],
        "price": "23.00",
        "tax_rate": "19.00",
        "tax_value": "3.67",
        "tax_rule": ids["vat"],
        **fields,
    }


# ---------------------------------------------------------------------------------------- helpers


def create_order(api: ApiClient, payload: dict, **kwargs: Any) -> dict:
    response = api.post(ORDERS, json=payload, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def get_order(api: ApiClient, code: str, query: str = "") -> dict:
    response = api.get(f"{ORDERS}{code}/{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def act(api: ApiClient, code: str, action: str, body: dict | None = None):
    return api.post(f"{ORDERS}{code}/{action}/", json=body)


def act_ok(api: ApiClient, code: str, action: str, body: dict | None = None) -> dict:
    response = act(api, code, action, body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def availability(api: ApiClient, quota_id: int) -> dict:
    response = api.get(f"{QUOTAS}{quota_id}/availability/")
    assert response.status_code == 200
    report = response.get_json()
    return {key: report[key] for key in ("available_number", "pending_orders", "paid_orders", "cart_positions")}


def usage(pending: int = 0, paid: int = 0, carts: int = 0, size: int = 2) -> dict:
    return {
        "available_number": max(0, size - pending - paid - carts),
        "pending_orders": pending,
        "paid_orders": paid,
        "cart_positions": carts,
    }


def redeemed(api: ApiClient, voucher_id: int) -> int:
    return api.get(f"{VOUCHERS}{voucher_id}/").get_json()["redeemed"]


def codes(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [order["code"] for order in response.get_json()["results"]]


def order_count(api: ApiClient) -> tuple[int, int]:
    """(orders, positions incl. canceled) of the event."""
    return (
        api.get(ORDERS).get_json()["count"],
        api.get(f"{POSITIONS}?include_canceled_positions=true").get_json()["count"],
    )


def tickets(api: ApiClient, ids: dict[str, int], count: int = 1, **order: Any) -> dict:
    """Create an order of `count` tickets."""
    return create_order(api, {"positions": [{"item": ids["ticket"]} for _ in range(count)], **order})


# ---------------------------------------------------------------------------------------- the seed's example

SEED_ITEM = {"name": {"en": "Ticket"}, "default_price": "23.00", "admission": True}
SEED_ORDER = {
    "email": "tester@example.org",
    "locale": "en",
    "status": "p",
    "payment_provider": "banktransfer",
    "payment_date": "2017-12-05T10:00:00Z",
    "comment": "",
    "invoice_address": {
        "company": "Sample company",
        "name": "John Doe",
        "street": "Test street 12",
        "zipcode": "12345",
        "city": "Testington",
        "country": "DE",
        "vat_id": "EU123456789",
    },
    "positions": [
        {"item": "$item", "variation": None, "price": "23.00", "attendee_name": "Peter", "attendee_email": None}
    ],
}
SEED_ORDER_FIELDS = {
    "code",
    "status",
    "secret",
    "email",
    "locale",
    "datetime",
    "expires",
    "payment_date",
    "payment_provider",
    "payment_fee",
    "payment_fee_tax_rate",
    "payment_fee_tax_value",
    "total",
    "comment",
    "invoice_address",
    "positions",
    "downloads",
}
SEED_ADDRESS_FIELDS = {"last_modified", "company", "name", "street", "zipcode", "city", "country", "vat_id"}
SEED_POSITION_FIELDS = {
    "id",
    "code",
    "order",
    "positionid",
    "item",
    "variation",
    "price",
    "attendee_name",
    "attendee_email",
    "voucher",
    "tax_rate",
    "tax_value",
    "secret",
    "addon_to",
    "checkins",
    "downloads",
}
CURRENT_ORDER_FIELDS = {
    "event",
    "testmode",
    "phone",
    "customer",
    "sales_channel",
    "fees",
    "payments",
    "refunds",
    "last_modified",
    "require_approval",
    "valid_if_pending",
    "url",
    "cancellation_date",
    "checkin_attention",
    "checkin_text",
    "api_meta",
    "tax_rounding_mode",
    "plugin_data",
    "use_gift_cards",
}
CURRENT_POSITION_FIELDS = {
    "canceled",
    "attendee_name_parts",
    "company",
    "street",
    "zipcode",
    "city",
    "country",
    "state",
    "tax_rule",
    "tax_code",
    "subevent",
    "seat",
    "answers",
    "pseudonymization_id",
    "valid_from",
    "valid_until",
    "blocked",
    "discount",
    "voucher_budget_use",
    "print_logs",
    "plugin_data",
}
SEED_CHECKIN = {
    "list": 1,
    "datetime": "2017-12-25T12:45:23Z",
    "type": "entry",
    "gate": None,
    "device": None,
    "device_id": None,
    "auto_checked_in": False,
}


def check_in(store, position_id: int, moment: str = "2017-12-25T12:45:23Z") -> dict:
    """Record a check-in the way the check-in module stores it; return it as the API shows it."""
    with store.transaction() as tx:
        doc = tx.insert("checkins", {**SEED_CHECKIN, "datetime": moment, "position": position_id})
    return {**SEED_CHECKIN, "datetime": moment, "id": doc["id"]}


def seed_order(api: ApiClient, store: Any) -> tuple[dict, dict]:
    """The seed's order of its item, its position checked in: (the order, what its position answers beyond a new
    position's fields)."""
    item = created(api, ITEMS, SEED_ITEM)["id"]
    created(api, QUOTAS, {"name": "Tickets", "size": 10, "items": [item]})
    order = create_order(api, fill(SEED_ORDER, {"item": item}))
    checkin = check_in(store, order["positions"][0]["id"])
    position = {
        "item": item,
        "price": "23.00",
        "attendee_name": "Peter",
        "attendee_name_parts": {"_legacy": "Peter"},
        "checkins": [checkin],
        "downloads": PDF,
    }
    return order, position
