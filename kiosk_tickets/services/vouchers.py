"""Vouchers: codes, what they are restricted to, the quota they block, and batch creation."""

from __future__ import annotations

import builtins
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..errors import PermissionDenied, ValidationFailed
from ..isotime import format_datetime
from ..store import Doc, Transaction
from . import quotas as quota_engine
from .common import (
    LETTERS_AND_DIGITS,
    FieldErrors,
    check_refs,
    event_object,
    invalid_pk,
    random_string,
    text_matches,
)
from .resources import EventContext, Resource

MIN_ABOVE_MAX = "The minimum number of usages may not be higher than the maximum."
PERCENT_ABOVE_100 = "A percentage may not be higher than 100."


def voucher_code_key(code: str) -> str:
    """The form a voucher code is compared in: case does not matter."""
    return code.upper()


class Vouchers(Resource):
    table = "vouchers"
    orderings = ("id", "code", "max_usages", "valid_until", "value")
    default_ordering = "id"
    equality_filters = (
        "code", "max_usages", "redeemed", "block_quota", "allow_ignore_quota", "price_mode",
        "value", "item", "variation", "quota", "tag", "subevent",
    )

    def filter(self, tx: Transaction, ctx: EventContext, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        if "search" in filters:
            search = filters["search"]
            docs = [doc for doc in docs if text_matches(search, doc["code"], doc.get("tag"), doc.get("comment"))]
        return docs

    def changed(self, tx: Transaction, ctx: EventContext, now: datetime) -> None:
        """Vouchers are in none of the catalog lists that answer If-Modified-Since."""

    def list(self, tx: Transaction, ctx: EventContext, filters: dict[str, Any], ordering: str | None) -> list[dict]:
        docs = super().list(tx, ctx, filters, ordering)
        if ordering and ordering.lstrip("-") == "value":  # money strings sort by amount, not as text
            docs.sort(key=lambda doc: (Decimal(doc["value"]), doc["id"]), reverse=ordering.startswith("-"))
        return docs

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        check_own_fields(data)
        errors = FieldErrors()
        event_id = ctx.event_id
        check_refs(tx, event_id, data, {"item": "items", "quota": "quotas"}, errors)
        if data.get("quota") is not None and (data.get("item") is not None or data.get("variation") is not None):
            errors.add("non_field_errors", "You cannot select a quota and a specific product at the same time.")
        variation_id = data.get("variation")
        if variation_id is not None:
            variation = event_object(tx, "variations", variation_id, event_id)
            if data.get("item") is None:
                errors.add("variation", "You cannot select a variation without having selected a product.")
            elif variation is None or variation["item"] != data["item"]:
                errors.add("variation", invalid_pk(variation_id))
        if data.get("seat") is not None:
            errors.add("seat", "Invalid seat: this event has no seating plan.")
        if data.get("subevent") is not None:
            errors.add("subevent", invalid_pk(data["subevent"]))
        if existing is not None and data["max_usages"] < existing.get("redeemed", 0):
            errors.add("max_usages", "This voucher has already been redeemed more often than the new maximum.")
        if data.get("block_quota") and data.get("quota") is None and data.get("item") is None:
            errors.add(
                "block_quota", "You need to select a specific product or quota if this voucher should reserve tickets."
            )
        errors.raise_if_any()
        code = data.get("code")
        # Codes are typed in by people: "summer" and "SUMMER" are the same voucher.
        if code and any(
            other["id"] != (existing or {}).get("id")
            for other in tx.find("vouchers", event=event_id, code_key=voucher_code_key(code))
        ):
            raise ValidationFailed.field("code", "A voucher with this code already exists.")
        if data.get("block_quota"):
            self._check_quota(tx, ctx, data, existing, now)

    def _check_quota(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        """A voucher that blocks quota needs that much free quota, not counting what it already blocks there itself."""
        needed = data["max_usages"] - (existing or {}).get("redeemed", 0)
        for quota in affected_quotas(tx, ctx.event_id, data):
            # What the stored voucher holds right now is not counted against its own new block.
            free = quota_engine.available_number(tx, quota, now, exclude_voucher=(existing or {}).get("id"))
            if free is not None and free < needed:
                raise ValidationFailed.non_field(quota_engine.shortage_message(quota))

    def prepare(
        self, tx: Transaction, ctx: EventContext, fields: dict, existing: Doc | None, now: datetime
    ) -> dict:
        if existing is None:
            fields["code"] = fields.get("code") or self.new_code(tx, ctx.event_id)
            fields["redeemed"] = 0
            fields["budget_used"] = "0.00"
            fields["created"] = format_datetime(now)
        elif "code" in fields and not fields["code"]:
            fields.pop("code")
        if fields.get("code"):
            fields["code_key"] = voucher_code_key(fields["code"])
        return fields

    @staticmethod
    def new_code(tx: Transaction, event_id: int) -> str:
        while True:
            code = random_string(LETTERS_AND_DIGITS, 16)
            if tx.find_one("vouchers", event=event_id, code_key=voucher_code_key(code)) is None:
                return code

    def check_deletable(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        if doc.get("redeemed", 0) > 0:
            raise PermissionDenied("This voucher can not be deleted as it has already been used.")

    # `builtins.list`: in this class body, `list` is the method above.
    def batch_create(
        self, tx: Transaction, ctx: EventContext, entries: builtins.list[dict], now: datetime
    ) -> builtins.list[dict]:
        """Create all vouchers or none; raise ValidationFailed with one error object per entry."""
        # Rules within each entry are answered for all entries before anything is looked up.
        own = [_own_field_errors(entry) for entry in entries]
        if any(own):
            raise ValidationFailed(own)
        codes = [voucher_code_key(entry["code"]) for entry in entries if entry.get("code")]
        if len(codes) != len(set(codes)):
            raise ValidationFailed({"code": ["Duplicate voucher code in request."]})
        created: builtins.list[dict] = []
        results: list[Any] = []
        failed = False
        for entry in entries:
            try:
                created.append(self.create(tx, ctx, entry, now))
                results.append({})
            except ValidationFailed as failure:
                failed = True
                results.append(failure.detail)
        if failed:
            raise ValidationFailed(results)
        return created


def affected_quotas(tx: Transaction, event_id: int, voucher: Doc) -> list[dict]:
    """Return the quotas a voucher restricted to a quota, or to an item (and variation), blocks units of."""
    if voucher.get("quota") is not None:
        quota = tx.get("quotas", voucher["quota"])
        return [quota] if quota else []
    if voucher.get("item") is None:
        return []
    return quota_engine.quotas_for(tx, event_id, voucher["item"], voucher.get("variation"))


def check_own_fields(voucher: Doc) -> None:
    """Raise ValidationFailed for the first rule between the voucher's own fields that it breaks.

    These are answered alone and before any lookup, so an answer names them the same way on create and update.
    """
    errors = _own_field_errors(voucher)
    if errors:
        raise ValidationFailed(errors)


def _own_field_errors(voucher: Doc) -> dict[str, list[str]]:
    if voucher.get("min_usages", 1) > voucher["max_usages"]:
        return {"min_usages": [MIN_ABOVE_MAX]}
    if voucher.get("price_mode") == "percent" and Decimal(voucher.get("value") or 0) > 100:
        return {"value": [PERCENT_ABOVE_100]}
    return {}


VOUCHERS = Vouchers()
