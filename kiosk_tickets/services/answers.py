"""Answers to questions on cart and order positions: checked by question type, stored with identifiers."""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import ValidationFailed
from ..isotime import format_datetime, parse_datetime
from ..store import Transaction
from .common import OUT_OF_RANGE, i18n_text, invalid_pk, representable

_COUNTRY = re.compile(r"[A-Z]{2}")
_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{2,30}")
_BOOLEAN = {"true": "True", "false": "False", "1": "True", "0": "False", "yes": "True", "no": "False"}


def _check_value(question: dict, raw: str) -> str:
    """Return the stored text of a non-choice answer; raise ValueError with the message otherwise."""
    kind = question["type"]
    if kind == "N":
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            raise ValueError("A valid number is required.") from None
        if not number.is_finite():
            raise ValueError("A valid number is required.")
        low, high = question.get("valid_number_min"), question.get("valid_number_max")
        if low is not None and number < Decimal(low):
            raise ValueError(f"Ensure this value is greater than or equal to {low}.")
        if high is not None and number > Decimal(high):
            raise ValueError(f"Ensure this value is less than or equal to {high}.")
        return format(number.normalize(), "f") if number == number.to_integral() else format(number, "f")
    if kind in ("S", "T"):
        limit = question.get("valid_string_length_max")
        if limit and len(raw) > limit:
            raise ValueError(f"Ensure this field has no more than {limit} characters.")
        return raw
    if kind == "B":
        value = _BOOLEAN.get(raw.strip().lower())
        if value is None:
            raise ValueError("Must be a valid boolean.")
        return value
    if kind == "D":
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError:
            raise ValueError("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.") from None
        low, high = question.get("valid_date_min"), question.get("valid_date_max")
        if (low and day < date.fromisoformat(low)) or (high and day > date.fromisoformat(high)):
            raise ValueError("The date is outside the allowed range.")
        return day.isoformat()
    if kind == "H":
        try:
            return time.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            raise ValueError("Time has wrong format. Use one of these formats instead: hh:mm[:ss].") from None
    if kind == "W":
        try:
            moment = parse_datetime(raw.strip())
        except ValueError:
            raise ValueError("Datetime has wrong format. Use ISO 8601 with a time zone.") from None
        if not representable(moment):
            raise ValueError(OUT_OF_RANGE)
        low, high = question.get("valid_datetime_min"), question.get("valid_datetime_max")
        if (low and moment < parse_datetime(low)) or (high and moment > parse_datetime(high)):
            raise ValueError("The date and time is outside the allowed range.")
        return format_datetime(moment)
    if kind == "CC":
        if not _COUNTRY.fullmatch(raw.strip().upper()):
            raise ValueError("Enter a two-letter country code (ISO 3166-1 alpha-2).")
        return raw.strip().upper()
    if kind == "TEL":
        if not _PHONE.fullmatch(raw.strip()):
            raise ValueError("Enter a valid phone number.")
        return raw.strip()
    raise ValueError("File upload answers are not supported.")


def _check_answer(tx: Transaction, event_id: int, item_id: int, entry: dict) -> dict:
    """Return the stored form of one answer; raise ValueError or ValidationFailed naming its field."""
    question = tx.get("questions", entry["question"])
    if question is None or question["event"] != event_id:
        raise ValidationFailed.field("question", invalid_pk(entry["question"]))
    if item_id not in question["items"]:
        raise ValidationFailed.field("question", "This question is not asked for this product.")
    options: list[dict] = []
    if question["type"] in ("C", "M"):
        for option_id in entry.get("options") or []:
            option = tx.get("question_options", option_id)
            if option is None or option["question"] != question["id"]:
                raise ValidationFailed.field("options", invalid_pk(option_id))
            if option not in options:
                options.append(option)
        if not options:
            raise ValidationFailed.field("options", "You need to choose an option.")
        if question["type"] == "C" and len(options) > 1:
            raise ValidationFailed.field("options", "You can only choose one option.")
        text = ", ".join(i18n_text(option["answer"]) for option in options)
    else:
        if entry.get("options"):
            raise ValidationFailed.field("options", "Only choice questions take options.")
        try:
            text = _check_value(question, entry.get("answer") or "")
        except ValueError as error:
            raise ValidationFailed.field("answer", str(error)) from None
    return {
        "question": question["id"],
        "answer": text,
        "question_identifier": question["identifier"],
        "options": [option["id"] for option in options],
        "option_identifiers": [option["identifier"] for option in options],
    }


def check_answers(tx: Transaction, event_id: int, item_id: int, entries: list[dict]) -> list[dict]:
    """Return the answers as stored; raise ValidationFailed({"answers": [per-entry errors]}) otherwise.

    Required questions are not enforced here: pretix does not enforce them on API input either.
    """
    stored: list[dict] = []
    errors: list[Any] = []
    seen: set[Any] = set()
    for entry in entries:
        try:
            if entry["question"] in seen:
                raise ValidationFailed.field("question", "You cannot answer the same question twice.")
            seen.add(entry["question"])
            stored.append(_check_answer(tx, event_id, item_id, entry))
            errors.append({})
        except ValidationFailed as failure:
            errors.append(failure.detail)
    if any(errors):
        raise ValidationFailed({"answers": errors})
    return stored

