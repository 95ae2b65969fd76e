"""Questions asked for products, and the options of choice questions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..errors import ValidationFailed
from ..store import Doc, Transaction
from .common import (
    LETTERS_AND_DIGITS,
    FieldErrors,
    check_ref_list,
    event_object,
    invalid_pk,
    order_documents,
    random_string,
)
from .resources import EventContext, Resource

_RANGES = (
    ("valid_number_min", "valid_number_max"),
    ("valid_date_min", "valid_date_max"),
    ("valid_datetime_min", "valid_datetime_max"),
)


def _unique_identifier(existing: Iterable[str | None], wanted: str | None) -> str:
    taken = set(existing)
    if wanted:
        return wanted
    while True:
        candidate = random_string(LETTERS_AND_DIGITS, 8)
        if candidate not in taken:
            return candidate


class QuestionOptions(Resource):
    table = "question_options"
    owner_field = "question"
    orderings = ("id", "position")
    default_ordering = "position"

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        if ctx.parent is None or not data.get("identifier"):
            return
        for other in tx.find("question_options", question=ctx.parent["id"], identifier=data["identifier"]):
            if existing is None or other["id"] != existing["id"]:
                raise ValidationFailed.field("identifier", "The identifier is already used for a different option.")

    def prepare(
        self, tx: Transaction, ctx: EventContext, fields: dict, existing: Doc | None, now: datetime
    ) -> dict:
        if existing is None or ("identifier" in fields and not fields["identifier"]):
            siblings = [o.get("identifier") for o in tx.find("question_options", question=self.owner(ctx)["id"])]
            fields["identifier"] = _unique_identifier(siblings, fields.get("identifier"))
        return fields


class Questions(Resource):
    table = "questions"
    orderings = ("id", "position")
    default_ordering = "position"
    equality_filters = ("identifier", "ask_during_checkin", "required")

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        event_id = ctx.event_id
        check_ref_list(tx, event_id, data, "items", "items", errors)
        if data.get("identifier"):
            for other in tx.find("questions", event=event_id, identifier=data["identifier"]):
                if existing is None or other["id"] != existing["id"]:
                    errors.add("identifier", "This identifier is already used for a different question.")
        dependency = data.get("dependency_question")
        if dependency is not None:
            parent = event_object(tx, "questions", dependency, event_id)
            if parent is None or (existing and parent["id"] == existing["id"]):
                errors.add("dependency_question", invalid_pk(dependency))
            elif parent["type"] not in ("B", "C", "M"):
                errors.add("dependency_question", "Questions can only depend on boolean or choice questions.")
            if data.get("ask_during_checkin"):
                errors.add("dependency_question", "Dependencies are not supported during check-in.")
        for low, high in _RANGES:
            if data.get(low) is not None and data.get(high) is not None:
                if low.startswith("valid_number"):
                    inverted = Decimal(data[low]) > Decimal(data[high])
                else:
                    inverted = data[low] > data[high]
                if inverted:
                    errors.add(high, "The maximum must not be lower than the minimum.")
        identifiers = [o.get("identifier") for o in data.get("options") or [] if o.get("identifier")]
        if len(identifiers) != len(set(identifiers)):
            errors.add("options", "The identifier is already used for a different option.")
        errors.raise_if_any()

    def prepare(
        self, tx: Transaction, ctx: EventContext, fields: dict, existing: Doc | None, now: datetime
    ) -> dict:
        if fields.get("dependency_value") and not fields.get("dependency_values"):
            fields["dependency_values"] = [fields["dependency_value"]]
        fields.pop("dependency_value", None)
        if existing is None or ("identifier" in fields and not fields["identifier"]):
            taken = [q.get("identifier") for q in tx.find("questions", event=ctx.event_id)]
            fields["identifier"] = _unique_identifier(taken, fields.get("identifier"))
        return fields

    def children(self) -> tuple[tuple[str, Resource], ...]:
        return (("options", OPTIONS),)

    def cascade_delete(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        for option_id in tx.ids("question_options", question=doc["id"]):
            tx.delete("question_options", option_id)
        for other in tx.find("questions", event=doc["event"], dependency_question=doc["id"]):
            tx.update("questions", other["id"], {"dependency_question": None, "dependency_values": []})

    def present(
        self, tx: Transaction, ctx: EventContext, doc: dict, now: datetime, options: Mapping[str, Any] = {}
    ) -> dict:
        found = tx.find("question_options", question=doc["id"])
        answers = order_documents(found, None, OPTIONS.orderings, OPTIONS.default_ordering)
        values = doc.get("dependency_values") or []
        return {**doc, "options": answers, "dependency_value": values[0] if values else None}


QUESTIONS = Questions()
OPTIONS = QuestionOptions()
