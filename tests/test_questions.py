"""Questions and their options: CRUD, identifiers, dependencies, filters, validation and permissions."""

from __future__ import annotations

import re

import pytest

from tests.helpers import EVENT_URL, ORGANIZER, created
from tests.messages import NOT_FOUND

QUESTIONS = f"{EVENT_URL}/questions/"
ITEMS = f"{EVENT_URL}/items/"
GENERATED = re.compile(r"^[A-Z0-9]{8}$")

TICKET = {"name": {"en": "Ticket"}, "default_price": "23.00", "admission": True}

SHIRT_SIZE = {
    "question": {"en": "T-Shirt size"},
    "help_text": {"en": "Choose your preferred t-shirt-size"},
    "type": "C",
    "required": False,
    "items": [1],
    "position": 1,
    "ask_during_checkin": False,
    "show_during_checkin": False,
    "hidden": False,
    "print_on_invoice": False,
    "dependency_question": None,
    "dependency_values": [],
    "options": [
        {"answer": {"en": "S"}, "position": 1},
        {"answer": {"en": "M"}, "position": 2},
        {"answer": {"en": "L"}, "position": 3, "identifier": "LARGE"},
    ],
}

QUESTION_DEFAULTS = {
    "help_text": None,
    "required": False,
    "position": 0,
    "items": [],
    "ask_during_checkin": False,
    "show_during_checkin": False,
    "hidden": False,
    "print_on_invoice": False,
    "options": [],
    "valid_number_min": None,
    "valid_number_max": None,
    "valid_date_min": None,
    "valid_date_max": None,
    "valid_datetime_min": None,
    "valid_datetime_max": None,
    "valid_file_portrait": False,
    "valid_string_length_max": None,
    "dependency_question": None,
    "dependency_values": [],
    "dependency_value": None,
}


def question_body(question_id: int, text: str, qtype: str, identifier: str, **fields) -> dict:
    return {
        "id": question_id,
        "question": {"en": text},
        "type": qtype,
        "identifier": identifier,
        **QUESTION_DEFAULTS,
        **fields,
    }


def create_question(api, text: str = "Question", qtype: str = "S", **fields) -> dict:
    response = api.post(QUESTIONS, json={"question": {"en": text}, "type": qtype, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def ticket(api) -> int:
    response = api.post(ITEMS, json=TICKET)
    assert response.status_code == 201
    return response.get_json()["id"]


# ---------------------------------------------------------------------------------------- questions: CRUD


def test_create_with_nested_options(api, ticket):
    response = api.post(QUESTIONS, json=SHIRT_SIZE)
    assert response.status_code == 201
    body = response.get_json()
    assert GENERATED.match(body["identifier"])
    small, medium = body["options"][0]["identifier"], body["options"][1]["identifier"]
    assert GENERATED.match(small) and GENERATED.match(medium) and small != medium
    expected = question_body(
        1,
        "T-Shirt size",
        "C",
        body["identifier"],
        help_text={"en": "Choose your preferred t-shirt-size"},
        items=[ticket],
        position=1,
        options=[
            {"id": 1, "position": 1, "identifier": small, "answer": {"en": "S"}},
            {"id": 2, "position": 2, "identifier": medium, "answer": {"en": "M"}},
            {"id": 3, "position": 3, "identifier": "LARGE", "answer": {"en": "L"}},
        ],
    )
    assert body == expected
    assert api.get(f"{QUESTIONS}1/").get_json() == expected
    assert api.get(QUESTIONS).get_json() == {"count": 1, "next": None, "previous": None, "results": [expected]}
    options = api.get(f"{QUESTIONS}1/options/").get_json()
    assert options == {"count": 3, "next": None, "previous": None, "results": expected["options"]}


def test_create_with_every_field(api, ticket):
    payload = {
        "question": {"en": "Age", "de": "Alter"},
        "help_text": {"en": "In years"},
        "type": "N",
        "required": True,
        "position": 4,
        "items": [ticket],
        "identifier": "AGE",
        "ask_during_checkin": True,
        "show_during_checkin": True,
        "hidden": True,
        "print_on_invoice": True,
        "valid_number_min": "18",
        "valid_number_max": "120.5",
        "valid_date_min": "2000-01-01",
        "valid_date_max": "2030-12-31",
        "valid_datetime_min": "2026-01-01T10:00:00+02:00",
        "valid_datetime_max": "2026-12-31T10:00:00Z",
        "valid_file_portrait": True,
        "valid_string_length_max": 20,
    }
    assert created(api, QUESTIONS, payload) == {
        **QUESTION_DEFAULTS,
        **payload,
        "id": 1,
        "valid_number_min": "18.00",
        "valid_number_max": "120.50",
        "valid_datetime_min": "2026-01-01T08:00:00Z",
    }


def test_plain_string_question_is_english(api):
    response = api.post(QUESTIONS, json={"question": "Name?", "type": "S", "identifier": "NAME"})
    assert response.status_code == 201
    assert response.get_json() == question_body(1, "Name?", "S", "NAME")


def test_patch_changes_only_given_fields(api, ticket):
    created = api.post(QUESTIONS, json=SHIRT_SIZE).get_json()
    response = api.patch(f"{QUESTIONS}1/", json={"position": 2, "required": True})
    assert response.status_code == 200
    expected = {**created, "position": 2, "required": True}
    assert response.get_json() == expected
    assert api.get(f"{QUESTIONS}1/").get_json() == expected


def test_patch_does_not_touch_options(api, ticket):
    created = api.post(QUESTIONS, json=SHIRT_SIZE).get_json()
    response = api.patch(f"{QUESTIONS}1/", json={"options": [{"answer": "XXL"}], "hidden": True})
    assert response.status_code == 200
    assert response.get_json() == {**created, "hidden": True}


def test_put_resets_fields_not_sent(api, ticket):
    created = create_question(api, "Old", "N", identifier="KEEP", required=True, items=[ticket], valid_number_min="3")
    response = api.put(f"{QUESTIONS}{created['id']}/", json={"question": "New", "type": "S", "identifier": "KEEP"})
    assert response.status_code == 200
    assert response.get_json() == question_body(1, "New", "S", "KEEP")


def test_delete_removes_the_question_and_its_options(api, store, ticket):
    api.post(QUESTIONS, json=SHIRT_SIZE)
    other = create_question(api, "Other", "C", options=[{"answer": "Yes"}])
    response = api.delete(f"{QUESTIONS}1/")
    assert response.status_code == 204
    assert response.data == b""
    assert api.get(f"{QUESTIONS}1/").status_code == 404
    assert api.get(f"{QUESTIONS}1/options/").status_code == 404
    assert api.get(QUESTIONS).get_json()["results"] == [other]
    with store.transaction() as tx:
        assert [option["question"] for option in tx.all("question_options")] == [other["id"]]


def test_deleting_an_item_removes_it_from_questions(api, ticket):
    create_question(api, "Q", identifier="Q1", items=[ticket])
    assert api.delete(f"{ITEMS}{ticket}/").status_code == 204
    assert api.get(f"{QUESTIONS}1/").get_json() == question_body(1, "Q", "S", "Q1")


# ---------------------------------------------------------------------------------------- identifiers


def test_identifier_is_unique_per_event(api):
    create_question(api, "First", identifier="SIZE")
    response = api.post(QUESTIONS, json={"question": "Second", "type": "S", "identifier": "SIZE"})
    assert response.status_code == 400
    assert response.get_json() == {"identifier": ["This identifier is already used for a different question."]}
    assert api.get(QUESTIONS).get_json()["count"] == 1


def test_identifier_may_repeat_in_another_event(api):
    create_question(api, "First", identifier="SIZE")
    api.post(
        f"/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2017-12-27T10:00:00Z"},
    )
    response = api.post(
        f"/api/v1/organizers/{ORGANIZER}/events/otherconf/questions/",
        json={"question": "Second", "type": "S", "identifier": "SIZE"},
    )
    assert response.status_code == 201
    assert response.get_json()["identifier"] == "SIZE"


def test_patch_identifier(api):
    create_question(api, "First", identifier="ONE")
    create_question(api, "Second", identifier="TWO")
    taken = api.patch(f"{QUESTIONS}2/", json={"identifier": "ONE"})
    assert taken.status_code == 400
    assert taken.get_json() == {"identifier": ["This identifier is already used for a different question."]}
    same = api.patch(f"{QUESTIONS}2/", json={"identifier": "TWO", "hidden": True})
    assert same.status_code == 200
    assert same.get_json() == question_body(2, "Second", "S", "TWO", hidden=True)
    renamed = api.patch(f"{QUESTIONS}2/", json={"identifier": "THREE"})
    assert renamed.get_json()["identifier"] == "THREE"


@pytest.mark.parametrize("blank", [None, ""])
def test_blank_identifier_is_generated(api, blank):
    created = create_question(api, "First", identifier=blank)
    assert GENERATED.match(created["identifier"])
    response = api.patch(f"{QUESTIONS}1/", json={"identifier": blank})
    assert response.status_code == 200
    assert GENERATED.match(response.get_json()["identifier"])


# ---------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"type": "S"}, {"question": ["This field is required."]}),
        ({"question": "", "type": "S"}, {"question": ["This field may not be blank."]}),
        ({"question": {"en": "   "}, "type": "S"}, {"question": ["This field may not be blank."]}),
        ({"question": 5, "type": "S"}, {"question": ["Invalid data type."]}),
        ({"question": "Q"}, {"type": ["This field is required."]}),
        ({"question": "Q", "type": "X"}, {"type": ['"X" is not a valid choice.']}),
        ({"question": "Q", "type": "s"}, {"type": ['"s" is not a valid choice.']}),
        ({"question": "Q", "type": "S", "required": "often"}, {"required": ["Must be a valid boolean."]}),
        (
            {"question": "Q", "type": "S", "position": -1},
            {"position": ["Ensure this value is greater than or equal to 0."]},
        ),
        ({"question": "Q", "type": "S", "items": [99]}, {"items": ['Invalid pk "99" - object does not exist.']}),
        ({"question": "Q", "type": "S", "items": "1"}, {"items": ['Expected a list of items but got type "str".']}),
        (
            {"question": "Q", "type": "S", "identifier": "x" * 191},
            {"identifier": ["Ensure this field has no more than 190 characters."]},
        ),
        (
            {"question": "Q", "type": "N", "valid_number_min": "10", "valid_number_max": "9.99"},
            {"valid_number_max": ["The maximum must not be lower than the minimum."]},
        ),
        (
            {"question": "Q", "type": "N", "valid_number_min": "ten"},
            {"valid_number_min": ["A valid number is required."]},
        ),
        (
            {"question": "Q", "type": "D", "valid_date_min": "2026-02-01", "valid_date_max": "2026-01-31"},
            {"valid_date_max": ["The maximum must not be lower than the minimum."]},
        ),
        (
            {"question": "Q", "type": "D", "valid_date_min": "01.02.2026"},
            {"valid_date_min": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {
                "question": "Q",
                "type": "W",
                "valid_datetime_min": "2026-01-01T12:00:00Z",
                "valid_datetime_max": "2026-01-01T11:00:00Z",
            },
            {"valid_datetime_max": ["The maximum must not be lower than the minimum."]},
        ),
        (
            {"question": "Q", "type": "W", "valid_datetime_max": "tomorrow"},
            {
                "valid_datetime_max": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        (
            {"question": "Q", "type": "S", "valid_string_length_max": 0},
            {"valid_string_length_max": ["Ensure this value is greater than or equal to 1."]},
        ),
        ({"question": "Q", "type": "C", "options": [{}]}, {"options": [{"answer": ["This field is required."]}]}),
        (
            {"question": "Q", "type": "C", "options": [{"answer": "A"}, {"answer": ""}]},
            {"options": [{}, {"answer": ["This field may not be blank."]}]},
        ),
        (
            {
                "question": "Q",
                "type": "C",
                "options": [{"answer": "A", "identifier": "X"}, {"answer": "B", "identifier": "X"}],
            },
            {"options": ["The identifier is already used for a different option."]},
        ),
        (
            {"question": "Q", "type": "C", "options": "A,B"},
            {"options": ['Expected a list of items but got type "str".']},
        ),
        (
            {"question": "Q", "type": "S", "dependency_question": 99},
            {"dependency_question": ['Invalid pk "99" - object does not exist.']},
        ),
        (
            {"question": "Q", "type": "S", "dependency_values": "True"},
            {"dependency_values": ['Expected a list of items but got type "str".']},
        ),
        (
            {"question": "", "type": "X", "position": "first"},
            {
                "question": ["This field may not be blank."],
                "type": ['"X" is not a valid choice.'],
                "position": ["A valid integer is required."],
            },
        ),
    ],
)
def test_create_rejects_invalid_input(rejecting_api, payload, errors):
    api = rejecting_api
    before = api.get(QUESTIONS).get_json()["count"]
    response = api.post(QUESTIONS, json=payload)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(QUESTIONS).get_json()["count"] == before


def test_items_of_another_event_are_rejected(api):
    api.post(
        f"/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2017-12-27T10:00:00Z"},
    )
    foreign = api.post(f"/api/v1/organizers/{ORGANIZER}/events/otherconf/items/", json=TICKET).get_json()["id"]
    response = api.post(QUESTIONS, json={"question": "Q", "type": "S", "items": [foreign]})
    assert response.status_code == 400
    assert response.get_json() == {"items": [f'Invalid pk "{foreign}" - object does not exist.']}


def test_invalid_patch_leaves_question_unchanged(api):
    created = create_question(api, "Q", "N", valid_number_max="10")
    response = api.patch(f"{QUESTIONS}1/", json={"valid_number_min": "11", "hidden": True})
    assert response.status_code == 400
    assert response.get_json() == {"valid_number_max": ["The maximum must not be lower than the minimum."]}
    assert api.get(f"{QUESTIONS}1/").get_json() == created


# ---------------------------------------------------------------------------------------- dependencies

# A question that depends on question 1 (the parent each test creates first).
CHILD = {"question": "Child", "type": "S", "identifier": "CHILD", "dependency_question": 1}


@pytest.mark.parametrize(
    ("parent_type", "values"),
    [("B", ["True"]), ("C", ["OPT1"]), ("M", ["OPT1", "OPT2"])],
)
def test_dependency_on_boolean_or_choice_question(api, parent_type, values):
    create_question(api, "Parent", parent_type, identifier="PARENT")
    response = api.post(QUESTIONS, json={**CHILD, "dependency_values": values})
    assert response.status_code == 201
    assert response.get_json() == question_body(
        2, "Child", "S", "CHILD", dependency_question=1, dependency_values=values, dependency_value=values[0]
    )


def test_deprecated_dependency_value_is_read_as_a_one_value_list(api):
    create_question(api, "Parent", "B", identifier="PARENT")
    response = api.post(QUESTIONS, json={**CHILD, "dependency_value": "False"})
    assert response.status_code == 201
    expected = question_body(
        2, "Child", "S", "CHILD", dependency_question=1, dependency_values=["False"], dependency_value="False"
    )
    assert response.get_json() == expected
    patched = api.patch(f"{QUESTIONS}2/", json={"dependency_value": "True"})
    assert patched.status_code == 200
    assert patched.get_json() == {**expected, "dependency_values": ["True"], "dependency_value": "True"}
    cleared = api.patch(f"{QUESTIONS}2/", json={"dependency_question": None, "dependency_values": []})
    assert cleared.get_json() == question_body(2, "Child", "S", "CHILD")


def test_dependency_on_other_question_types_is_rejected(api):
    for parent_type in ("N", "S", "T", "F", "D", "H", "W", "CC", "TEL"):
        parent = create_question(api, "Parent", parent_type)
        payload = {"question": "Child", "type": "S", "dependency_question": parent["id"], "dependency_values": ["x"]}
        response = api.post(QUESTIONS, json=payload)
        assert (parent_type, response.status_code, response.get_json()) == (
            parent_type,
            400,
            {"dependency_question": ["Questions can only depend on boolean or choice questions."]},
        )
    assert api.get(QUESTIONS).get_json()["count"] == 9


def test_dependency_cannot_be_combined_with_ask_during_checkin(api):
    create_question(api, "Parent", "B")
    payload = {
        "question": "Child",
        "type": "S",
        "dependency_question": 1,
        "dependency_values": ["True"],
        "ask_during_checkin": True,
    }
    response = api.post(QUESTIONS, json=payload)
    assert response.status_code == 400
    assert response.get_json() == {"dependency_question": ["Dependencies are not supported during check-in."]}
    create_question(api, "Child", "S", dependency_question=1, dependency_values=["True"])
    patched = api.patch(f"{QUESTIONS}2/", json={"ask_during_checkin": True})
    assert patched.status_code == 400
    assert patched.get_json() == {"dependency_question": ["Dependencies are not supported during check-in."]}


def test_question_cannot_depend_on_itself(api):
    create_question(api, "Self", "B", identifier="SELF")
    response = api.patch(f"{QUESTIONS}1/", json={"dependency_question": 1, "dependency_values": ["True"]})
    assert response.status_code == 400
    assert response.get_json() == {"dependency_question": ['Invalid pk "1" - object does not exist.']}


def test_dependency_on_question_of_another_event_is_rejected(api):
    api.post(
        f"/api/v1/organizers/{ORGANIZER}/events/",
        json={"name": {"en": "Other"}, "slug": "otherconf", "date_from": "2017-12-27T10:00:00Z"},
    )
    foreign = api.post(
        f"/api/v1/organizers/{ORGANIZER}/events/otherconf/questions/", json={"question": "B", "type": "B"}
    )
    foreign_id = foreign.get_json()["id"]
    response = api.post(QUESTIONS, json={"question": "Child", "type": "S", "dependency_question": foreign_id})
    assert response.status_code == 400
    assert response.get_json() == {"dependency_question": [f'Invalid pk "{foreign_id}" - object does not exist.']}


def test_deleting_the_parent_clears_the_dependency(api):
    create_question(api, "Parent", "B", identifier="PARENT")
    create_question(api, "Child", "S", identifier="CHILD", dependency_question=1, dependency_values=["True"])
    assert api.delete(f"{QUESTIONS}1/").status_code == 204
    assert api.get(f"{QUESTIONS}2/").get_json() == question_body(2, "Child", "S", "CHILD")


# ---------------------------------------------------------------------------------------- filters and ordering


# Query and the identifiers it gives, in order.
FILTER_CASES = [
    ("", ["B", "C", "A"]),
    ("?identifier=A", ["A"]),
    ("?identifier=a", []),
    ("?identifier=NONE", []),
    ("?required=true", ["B", "A"]),
    ("?required=false", ["C"]),
    ("?ask_during_checkin=true", ["C"]),
    ("?ask_during_checkin=false", ["B", "A"]),
    ("?required=true&ask_during_checkin=false", ["B", "A"]),
    ("?ordering=position", ["B", "C", "A"]),
    ("?ordering=-position", ["A", "C", "B"]),
    ("?ordering=id", ["A", "B", "C"]),
    ("?ordering=-id", ["C", "B", "A"]),
    ("?ordering=type", ["B", "C", "A"]),
]


def test_filters_and_ordering(api):
    create_question(api, "a", identifier="A", required=True, position=3)
    create_question(api, "b", identifier="B", required=True, position=1)
    create_question(api, "c", identifier="C", ask_during_checkin=True, position=2)
    for query, identifiers in FILTER_CASES:
        response = api.get(QUESTIONS + query)
        body = response.get_json()
        assert (query, response.status_code, [q["identifier"] for q in body["results"]]) == (query, 200, identifiers)
        assert body["count"] == len(identifiers)


def test_bad_boolean_filter_is_rejected(api):
    for name in ("required", "ask_during_checkin"):
        response = api.get(f"{QUESTIONS}?{name}=perhaps")
        assert (name, response.status_code, response.get_json()) == (name, 400, {name: ["Must be a valid boolean."]})


# ---------------------------------------------------------------------------------------- options


@pytest.fixture
def choice(api) -> str:
    """A choice question with no options; returns the URL of its options."""
    create_question(api, "Meal", "C", identifier="MEAL")
    return f"{QUESTIONS}1/options/"


def test_option_crud(api, choice):
    created = api.post(choice, json={"answer": {"en": "Vegan"}, "position": 2, "identifier": "VEGAN"})
    assert created.status_code == 201
    vegan = {"id": 1, "position": 2, "identifier": "VEGAN", "answer": {"en": "Vegan"}}
    assert created.get_json() == vegan
    generated = api.post(choice, json={"answer": "Meat"})
    assert generated.status_code == 201
    meat = generated.get_json()
    assert GENERATED.match(meat["identifier"])
    assert meat == {"id": 2, "position": 0, "identifier": meat["identifier"], "answer": {"en": "Meat"}}
    assert api.get(f"{choice}1/").get_json() == vegan
    assert api.get(choice).get_json() == {"count": 2, "next": None, "previous": None, "results": [meat, vegan]}
    assert api.get(f"{QUESTIONS}1/").get_json()["options"] == [meat, vegan]

    patched = api.patch(f"{choice}1/", json={"answer": {"en": "Vegan", "de": "Vegan"}, "position": 0})
    assert patched.status_code == 200
    vegan = {**vegan, "answer": {"en": "Vegan", "de": "Vegan"}, "position": 0}
    assert patched.get_json() == vegan
    assert api.get(f"{choice}?ordering=-id").get_json()["results"] == [meat, vegan]

    put = api.put(f"{choice}2/", json={"answer": "Fish", "identifier": "FISH"})
    assert put.status_code == 200
    assert put.get_json() == {"id": 2, "position": 0, "identifier": "FISH", "answer": {"en": "Fish"}}

    deleted = api.delete(f"{choice}1/")
    assert deleted.status_code == 204
    assert api.get(f"{choice}1/").status_code == 404
    assert [o["identifier"] for o in api.get(choice).get_json()["results"]] == ["FISH"]


def test_option_identifier_is_unique_per_question(api, choice):
    api.post(choice, json={"answer": "One", "identifier": "ONE"})
    api.post(choice, json={"answer": "Two", "identifier": "TWO"})
    duplicate = api.post(choice, json={"answer": "Uno", "identifier": "ONE"})
    assert duplicate.status_code == 400
    assert duplicate.get_json() == {"identifier": ["The identifier is already used for a different option."]}
    patched = api.patch(f"{choice}2/", json={"identifier": "ONE"})
    assert patched.status_code == 400
    assert patched.get_json() == {"identifier": ["The identifier is already used for a different option."]}
    unchanged = api.patch(f"{choice}2/", json={"identifier": "TWO", "answer": "Zwei"})
    assert unchanged.status_code == 200
    assert unchanged.get_json() == {"id": 2, "position": 0, "identifier": "TWO", "answer": {"en": "Zwei"}}
    other = create_question(api, "Other", "M")
    elsewhere = api.post(f"{QUESTIONS}{other['id']}/options/", json={"answer": "One", "identifier": "ONE"})
    assert elsewhere.status_code == 201


@pytest.fixture(scope="module")
def rejecting_choice(rejecting_api) -> str:
    """A choice question without options on the shared app; returns the URL of its options."""
    question = create_question(rejecting_api, "Meal", "C", identifier="MEAL")
    return f"{QUESTIONS}{question['id']}/options/"


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"answer": ["This field is required."]}),
        ({"answer": ""}, {"answer": ["This field may not be blank."]}),
        ({"answer": None}, {"answer": ["This field may not be null."]}),
        ({"answer": ["A"]}, {"answer": ["Invalid data type."]}),
        ({"answer": "A", "position": -2}, {"position": ["Ensure this value is greater than or equal to 0."]}),
        (
            {"answer": "A", "identifier": "x" * 191},
            {"identifier": ["Ensure this field has no more than 190 characters."]},
        ),
    ],
)
def test_option_rejects_invalid_input(rejecting_api, rejecting_choice, payload, errors):
    api, choice = rejecting_api, rejecting_choice
    response = api.post(choice, json=payload)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert api.get(choice).get_json()["count"] == 0


def test_option_of_another_question_is_not_found(api, choice):
    api.post(choice, json={"answer": "One"})
    create_question(api, "Other", "C")
    for method, body in (("GET", None), ("PATCH", {"answer": "X"}), ("PUT", {"answer": "X"}), ("DELETE", None)):
        response = api.request(method, f"{QUESTIONS}2/options/1/", json=body)
        assert (method, response.status_code, response.get_json()) == (method, 404, NOT_FOUND)
    assert api.get(f"{choice}1/").status_code == 200


def test_options_of_unknown_question_are_not_found(api):
    for method, url, body in (
        ("GET", f"{QUESTIONS}9/options/", None),
        ("POST", f"{QUESTIONS}9/options/", {"answer": "X"}),
        ("GET", f"{QUESTIONS}9/options/1/", None),
        ("GET", f"{QUESTIONS}abc/options/", None),
    ):
        response = api.request(method, url, json=body)
        assert (method, url, response.status_code, response.get_json()) == (method, url, 404, NOT_FOUND)


# ---------------------------------------------------------------------------------------- access
