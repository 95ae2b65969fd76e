"""Tax rules over HTTP: CRUD, the one-default-per-event rule, deletion of rules in use, validation, access."""

from __future__ import annotations

import pytest

from tests.helpers import (
    EVENT_URL,
    assert_listed_and_shown,
    create_refused,
    created,
    delete_and_check_gone,
    page,
    patch_and_check,
)
from tests.messages import NOT_FOUND

TAXRULES_URL = f"{EVENT_URL}/taxrules/"
OTHER_EVENT_URL = "/api/v1/organizers/bigevents/events/otherconf"

# The create request of taxrules.rst, verbatim.
DOC_CREATE = {
    "name": {"en": "VAT"},
    "rate": "19.00",
    "price_includes_tax": True,
    "eu_reverse_charge": False,
    "home_country": "DE",
}
# The same, with the fields the docs' response shows although the request did not send them.
DOC_CREATE_FULL = {**DOC_CREATE, "internal_name": "VAT", "code": "S/standard"}
# The response of taxrules.rst's create example, without its id.
DOC_RESPONSE = {
    "name": {"en": "VAT"},
    "default": False,
    "internal_name": "VAT",
    "code": "S/standard",
    "rate": "19.00",
    "price_includes_tax": True,
    "eu_reverse_charge": False,
    "keep_gross_if_rate_changes": False,
    "custom_rules": None,
    "home_country": "DE",
}
DEFAULTS = {
    "internal_name": "",
    "code": None,
    "price_includes_tax": True,
    "default": False,
    "eu_reverse_charge": False,
    "home_country": None,
    "keep_gross_if_rate_changes": False,
    "custom_rules": None,
}
MINIMAL = {"name": {"en": "Reduced"}, "rate": "7.00"}
OTHER_EVENT = {"name": {"en": "Other Conference"}, "slug": "otherconf", "date_from": "2018-01-10T10:00:00Z"}


def rule(rule_id: int, **fields) -> dict:
    """The full body of a tax rule: the defaults, overridden by `fields`."""
    return {"id": rule_id, **DEFAULTS, **fields}


def create(api, payload=MINIMAL, url=TAXRULES_URL) -> dict:
    return created(api, url, payload)


# ---------------------------------------------------------------------------------------- the docs' examples


def test_create_example_from_docs_answers_without_unsent_fields(api):
    body = created(api, TAXRULES_URL, DOC_CREATE)
    # The docs' response shows internal_name "VAT" and code "S/standard" the request never sent;
    # fields not sent get their defaults here.
    assert body == {**DOC_RESPONSE, "id": body["id"], "internal_name": "", "code": None}


def test_create_with_all_fields_of_the_docs_response(api):
    body = created(api, TAXRULES_URL, DOC_CREATE_FULL)
    assert body == {"id": body["id"], **DOC_RESPONSE}


def test_list_and_detail_as_in_docs(api):
    created = create(api, {**DOC_CREATE_FULL, "default": True})
    expected = {**DOC_RESPONSE, "id": created["id"], "default": True}

    assert_listed_and_shown(api, TAXRULES_URL, expected)


def test_patch_example_from_docs(api):
    created = create(api, DOC_CREATE_FULL)

    expected = {**DOC_RESPONSE, "id": created["id"], "rate": "20.00"}
    patch_and_check(api, TAXRULES_URL, created["id"], {"rate": "20.00"}, expected)


def test_delete_example_from_docs(api):
    created = create(api, DOC_CREATE)

    delete_and_check_gone(api, TAXRULES_URL, created["id"])
    assert api.get(TAXRULES_URL).get_json() == page([])


# ---------------------------------------------------------------------------------------- create and update


def test_minimal_create_fills_defaults(api):
    body = created(api, TAXRULES_URL, MINIMAL)
    assert body == rule(body["id"], name={"en": "Reduced"}, rate="7.00")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({"rate": 7}, {"rate": "7.00"}),
        ({"rate": "7.5"}, {"rate": "7.50"}),
        ({"rate": "0"}, {"rate": "0.00"}),
        ({"name": "VAT"}, {"name": {"en": "VAT"}}),
        ({"name": {"en": "VAT", "de": "MwSt"}}, {"name": {"en": "VAT", "de": "MwSt"}}),
        ({"home_country": ""}, {"home_country": ""}),
        ({"code": "E/VATEX-EU-132-1I"}, {"code": "E/VATEX-EU-132-1I"}),
        (
            {"custom_rules": [{"country": "ZZ", "address_type": "", "action": "vat"}]},
            {"custom_rules": [{"country": "ZZ", "address_type": "", "action": "vat"}]},
        ),
        (
            {"keep_gross_if_rate_changes": True, "price_includes_tax": False},
            {"keep_gross_if_rate_changes": True, "price_includes_tax": False},
        ),
        ({"id": 999, "unknown_field": 1}, {}),
    ],
)
def test_create_normalises_values(api, sent, stored):
    response = api.post(TAXRULES_URL, json={**MINIMAL, **sent})

    assert response.status_code == 201
    body = response.get_json()
    assert body == rule(body["id"], **{"name": {"en": "Reduced"}, "rate": "7.00", **stored})


def test_put_resets_fields_not_sent(api):
    created = create(api, {**DOC_CREATE_FULL, "keep_gross_if_rate_changes": True, "custom_rules": []})

    response = api.put(f"{TAXRULES_URL}{created['id']}/", json={"name": {"en": "Zero"}, "rate": "0.00"})

    assert response.status_code == 200
    assert response.get_json() == rule(created["id"], name={"en": "Zero"}, rate="0.00")


def test_put_requires_name_and_rate(api):
    created = create(api)

    response = api.put(f"{TAXRULES_URL}{created['id']}/", json={"internal_name": "x"})

    assert response.status_code == 400
    assert response.get_json() == {"name": ["This field is required."], "rate": ["This field is required."]}
    assert api.get(f"{TAXRULES_URL}{created['id']}/").get_json() == created


def test_patch_changes_only_sent_fields(api):
    created = create(api, DOC_CREATE_FULL)

    response = api.patch(f"{TAXRULES_URL}{created['id']}/", json={"internal_name": "Standard", "id": 42})

    assert response.status_code == 200
    assert response.get_json() == {**DOC_RESPONSE, "id": created["id"], "internal_name": "Standard"}


INVALID_PAYLOADS = [
    ({}, {"name": ["This field is required."], "rate": ["This field is required."]}),
    ({"name": {"en": "VAT"}}, {"rate": ["This field is required."]}),
    ({"rate": "19.00"}, {"name": ["This field is required."]}),
    ({**MINIMAL, "name": {"en": ""}}, {"name": ["This field may not be blank."]}),
    ({**MINIMAL, "name": None}, {"name": ["This field may not be null."]}),
    ({**MINIMAL, "name": 5}, {"name": ["Invalid data type."]}),
    ({**MINIMAL, "rate": "abc"}, {"rate": ["A valid number is required."]}),
    ({**MINIMAL, "rate": None}, {"rate": ["This field may not be null."]}),
    ({**MINIMAL, "rate": True}, {"rate": ["A valid number is required."]}),
    ({**MINIMAL, "rate": "-1.00"}, {"rate": ["Ensure this value is greater than or equal to 0."]}),
    ({**MINIMAL, "rate": "19.001"}, {"rate": ["Ensure that there are no more than 2 decimal places."]}),
    ({**MINIMAL, "price_includes_tax": "maybe"}, {"price_includes_tax": ["Must be a valid boolean."]}),
    ({**MINIMAL, "default": "maybe"}, {"default": ["Must be a valid boolean."]}),
    ({**MINIMAL, "home_country": "DEU"}, {"home_country": ["Ensure this field has no more than 2 characters."]}),
    ({**MINIMAL, "code": "x" * 191}, {"code": ["Ensure this field has no more than 190 characters."]}),
    (
        {**MINIMAL, "custom_rules": {"action": "vat"}},
        {"custom_rules": ['Expected a list of items but got type "dict".']},
    ),
    (
        {**MINIMAL, "rate": "x", "eu_reverse_charge": 3, "internal_name": 5},
        {
            "rate": ["A valid number is required."],
            "eu_reverse_charge": ["Must be a valid boolean."],
            "internal_name": ["Not a valid string."],
        },
    ),
]


@pytest.mark.parametrize(("payload", "errors"), INVALID_PAYLOADS)
def test_create_rejects_invalid_payload(api, payload, errors):
    create_refused(api, TAXRULES_URL, payload, errors)


@pytest.mark.parametrize(("payload", "errors"), INVALID_PAYLOADS[3:])
def test_patch_rejects_invalid_payload(api, payload, errors):
    created = create(api)

    response = api.patch(f"{TAXRULES_URL}{created['id']}/", json=payload)

    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(f"{TAXRULES_URL}{created['id']}/").get_json() == created


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ("VAT", {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
    ],
)
def test_create_rejects_a_body_that_is_not_an_object(api, body, errors):
    response = api.post(TAXRULES_URL, json=body)

    assert response.status_code == 400
    assert response.get_json() == errors


# ---------------------------------------------------------------------------------------- one default per event


def test_creating_a_default_rule_clears_the_previous_default(api):
    first = create(api, {**MINIMAL, "default": True})
    second = create(api, {**DOC_CREATE, "default": True})

    assert second["default"] is True
    assert api.get(f"{TAXRULES_URL}{first['id']}/").get_json() == {**first, "default": False}
    assert [r["default"] for r in api.get(TAXRULES_URL).get_json()["results"]] == [False, True]


def test_patching_default_moves_it_and_leaves_other_events_alone(api):
    assert api.post("/api/v1/organizers/bigevents/events/", json=OTHER_EVENT).status_code == 201
    foreign = create(api, {**MINIMAL, "default": True}, url=f"{OTHER_EVENT_URL}/taxrules/")
    first = create(api, {**MINIMAL, "default": True})
    second = create(api, DOC_CREATE)

    response = api.patch(f"{TAXRULES_URL}{second['id']}/", json={"default": True})

    assert response.status_code == 200
    assert response.get_json() == {**second, "default": True}
    assert api.get(f"{TAXRULES_URL}{first['id']}/").get_json()["default"] is False
    assert api.get(f"{OTHER_EVENT_URL}/taxrules/{foreign['id']}/").get_json() == foreign


def test_clearing_the_default_leaves_no_default(api):
    first = create(api, {**MINIMAL, "default": True})
    second = create(api, DOC_CREATE)

    response = api.patch(f"{TAXRULES_URL}{first['id']}/", json={"default": False})

    assert response.status_code == 200
    assert [r["default"] for r in api.get(TAXRULES_URL).get_json()["results"]] == [False, False]
    assert api.get(f"{TAXRULES_URL}{second['id']}/").get_json() == second


def test_resaving_the_default_keeps_it(api):
    first = create(api, {**MINIMAL, "default": True})

    response = api.patch(f"{TAXRULES_URL}{first['id']}/", json={"default": True, "rate": "8.00"})

    assert response.status_code == 200
    assert response.get_json() == {**first, "rate": "8.00"}


# ---------------------------------------------------------------------------------------- items use tax rules


def test_item_tax_rate_follows_its_tax_rule(api):
    tax = create(api, DOC_CREATE)
    item = api.post(f"{EVENT_URL}/items/", json={"name": "Ticket", "default_price": "10.00", "tax_rule": tax["id"]})
    assert item.get_json()["tax_rate"] == "19.00"

    api.patch(f"{TAXRULES_URL}{tax['id']}/", json={"rate": "7.00"})

    assert api.get(f"{EVENT_URL}/items/{item.get_json()['id']}/").get_json()["tax_rate"] == "7.00"


def test_delete_rule_used_by_an_item_is_forbidden(api):
    tax = create(api, DOC_CREATE)
    item = api.post(f"{EVENT_URL}/items/", json={"name": "Ticket", "default_price": "10.00", "tax_rule": tax["id"]})

    response = api.delete(f"{TAXRULES_URL}{tax['id']}/")

    assert response.status_code == 403
    assert response.get_json() == {"detail": "This tax rule can not be deleted as it is currently in use."}
    assert api.get(f"{TAXRULES_URL}{tax['id']}/").get_json() == tax

    # Once no item uses it any more, it can go.
    api.patch(f"{EVENT_URL}/items/{item.get_json()['id']}/", json={"tax_rule": None})
    assert api.delete(f"{TAXRULES_URL}{tax['id']}/").status_code == 204


def test_delete_unused_rule_leaves_the_others(api):
    kept = create(api, DOC_CREATE)
    gone = create(api)

    assert api.delete(f"{TAXRULES_URL}{gone['id']}/").status_code == 204

    assert api.get(TAXRULES_URL).get_json() == page([kept])
    again = api.delete(f"{TAXRULES_URL}{gone['id']}/")
    assert again.status_code == 404
    assert again.get_json() == NOT_FOUND


# ---------------------------------------------------------------------------------------- list and pagination


def test_list_is_ordered_by_id(api):
    created = [create(api, {**MINIMAL, "name": {"en": name}}) for name in ("C", "A", "B")]

    assert api.get(TAXRULES_URL).get_json() == page(created)
    assert api.get(f"{TAXRULES_URL}?ordering=-id").get_json() == page(created[::-1])


# ---------------------------------------------------------------------------------------- access
