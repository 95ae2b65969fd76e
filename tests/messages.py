"""The detail and validation messages pretix (Django REST framework) answers with, as whole bodies or strings."""

from __future__ import annotations

UNAUTHENTICATED = {"detail": "Authentication credentials were not provided."}
INVALID_TOKEN = {"detail": "Invalid token."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
INVALID_PAGE = {"detail": "Invalid page."}
REQUIRED = "This field is required."
DATETIME_FORMAT = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
EMPTY_LIST = {"count": 0, "next": None, "previous": None, "results": []}


def method_not_allowed(method: str) -> dict:
    return {"detail": f'Method "{method.upper()}" not allowed.'}


def not_an_object(kind: str) -> dict:
    """The body DRF answers when a JSON value of type `kind` (str, list, int, bool) came where an object belongs."""
    return {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
SECRET_CHARACTERS = "Use only letters, digits, dots, dashes, underscores, plus signs, slashes and equals signs."
