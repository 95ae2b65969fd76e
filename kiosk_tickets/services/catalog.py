"""Catalog rules: categories, tax rules, items with their variations, add-ons and bundles, and quotas."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..errors import PermissionDenied, ValidationFailed
from ..store import Doc, Transaction
from . import quotas as quota_engine
from . import ticket_layouts
from .common import (
    FieldErrors,
    check_ref_list,
    check_refs,
    event_object,
    invalid_pk,
    order_documents,
    refuse_if_vouchers_point_at,
    remove_from_list_field,
    text_matches,
)
from .resources import EventContext, Resource

# ---------------------------------------------------------------------------------------- categories, tax rules

class Categories(Resource):
    table = "categories"
    orderings = ("id", "position")
    default_ordering = "position"
    equality_filters = ("is_addon",)

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        if data.get("is_addon") and data.get("cross_selling_mode"):
            errors.add("cross_selling_mode", "Cross-selling is only available for categories that are not add-ons.")
        check_ref_list(tx, ctx.event_id, data, "cross_selling_match_products", "items", errors)
        errors.raise_if_any()

    def check_deletable(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        if tx.count("addons", addon_category=doc["id"]):
            raise PermissionDenied("This category cannot be deleted because products use it for add-ons.")

    def cascade_delete(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        for item_id in tx.ids("items", category=doc["id"]):
            tx.update("items", item_id, {"category": None})


class TaxRules(Resource):
    table = "taxrules"

    def after_write(
        self, tx: Transaction, ctx: EventContext, doc: dict, previous: Doc | None, now: datetime
    ) -> None:
        if doc.get("default"):
            # There is one default tax rule per event: the newest one set wins.
            for other in tx.find("taxrules", event=doc["event"], default=True):
                if other["id"] != doc["id"]:
                    tx.update("taxrules", other["id"], {"default": False})

    def check_deletable(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        if any(item.get("tax_rule") == doc["id"] for item in tx.find("items", event=doc["event"])):
            raise PermissionDenied("This tax rule can not be deleted as it is currently in use.")


# ---------------------------------------------------------------------------------------- items and their parts


def _check_meta_data(ctx: EventContext, data: Doc, errors: FieldErrors) -> None:
    allowed = (ctx.event or {}).get("item_meta_properties") or {}
    for key in data.get("meta_data") or {}:
        if key not in allowed:
            errors.add("meta_data", f'Item meta data property "{key}" does not exist.')


def _check_no_memberships(data: Doc, errors: FieldErrors) -> None:
    # No membership types exist on this server, so any reference to one points at nothing.
    for value in data.get("require_membership_types") or []:
        errors.add("require_membership_types", invalid_pk(value))
        break
    if data.get("grant_membership_type") is not None:
        errors.add("grant_membership_type", invalid_pk(data["grant_membership_type"]))


class Variations(Resource):
    table = "variations"
    owner_field = "item"
    orderings = ("id", "position")
    default_ordering = "position"
    equality_filters = ("active",)

    def filter(self, tx: Transaction, ctx: EventContext, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        if "search" in filters:
            docs = [doc for doc in docs if text_matches(filters["search"], doc["value"])]
        return docs

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        _check_meta_data(ctx, data, errors)
        _check_no_memberships(data, errors)
        errors.raise_if_any()
        # After the input is valid, as pretix refuses it: a 403, not a validation error.
        if existing is None and ctx.parent is not None and not ctx.parent.get("has_variations"):
            raise PermissionDenied(
                "This variation cannot be created because the item does not have variations. "
                "Changing a product without variations to a product with variations is not allowed."
            )

    def check_deletable(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        if tx.count("orderpositions", variation=doc["id"]) or tx.count("cartpositions", variation=doc["id"]):
            raise PermissionDenied(
                "This variation cannot be deleted because it has already been ordered or is in a cart. "
                "Set it to inactive instead."
            )
        refuse_if_vouchers_point_at(tx, "variation", doc, "variation")
        if tx.count("variations", item=doc["item"]) <= 1:
            raise PermissionDenied(
                "This variation cannot be deleted because it is the only variation of its product; "
                "a product with variations cannot become one without."
            )

    def cascade_delete(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        remove_from_list_field(tx, "quotas", "variations", doc["id"])
        for bundle_id in tx.ids("bundles", bundled_variation=doc["id"]):
            tx.delete("bundles", bundle_id)

    def present(
        self, tx: Transaction, ctx: EventContext, doc: dict, now: datetime, options: Mapping[str, Any] = {}
    ) -> dict:
        parent = ctx.parent
        item = parent if parent and parent["id"] == doc["item"] else tx.peek_referenced("items", doc["item"])
        price = doc["default_price"] if doc["default_price"] is not None else item["default_price"]
        return {**doc, "price": price}


DUPLICATE_ADDON_CATEGORY = "The item already has an add-on configuration for this category."


class AddOns(Resource):
    table = "addons"
    owner_field = "item"
    orderings = ("id", "position")
    default_ordering = "position"

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        if event_object(tx, "categories", data["addon_category"], ctx.event_id) is None:
            errors.add("addon_category", invalid_pk(data["addon_category"]))
        elif ctx.parent is not None and any(
            other["addon_category"] == data["addon_category"] and (existing is None or other["id"] != existing["id"])
            for other in tx.find("addons", item=ctx.parent["id"])
        ):
            errors.add("addon_category", DUPLICATE_ADDON_CATEGORY)
        if data["min_count"] > data["max_count"]:
            errors.add("max_count", "The maximum count needs to be greater than or equal to the minimum count.")
        errors.raise_if_any()


class Bundles(Resource):
    table = "bundles"
    owner_field = "item"

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        bundled = event_object(tx, "items", data["bundled_item"], ctx.event_id)
        if bundled is None:
            errors.add("bundled_item", invalid_pk(data["bundled_item"]))
        else:
            if ctx.parent is not None and bundled["id"] == ctx.parent["id"]:
                errors.add("bundled_item", "The bundled item must not be the same item as the bundling one.")
            if tx.count("bundles", item=bundled["id"]):
                errors.add("bundled_item", "The bundled item must not have bundles on its own.")
            variation = data.get("bundled_variation")
            if bundled.get("has_variations") and variation is None:
                errors.add("bundled_variation", "You must choose a variation of the bundled item.")
            elif variation is not None and (tx.get("variations", variation) or {}).get("item") != bundled["id"]:
                errors.add("bundled_variation", invalid_pk(variation))
        errors.raise_if_any()


class ProgramTimes:
    """Program times live inside their item; they are checked here, not stored separately."""

    @staticmethod
    def validate(times: list[dict], errors: FieldErrors) -> None:
        for entry in times:
            if entry["end"] <= entry["start"]:
                errors.add("program_times", "The end of a program time must be after its start.")
                return


ITEM_REFERENCES = {"category": "categories", "tax_rule": "taxrules", "hidden_if_available": "quotas"}


class Items(Resource):
    table = "items"
    orderings = ("id", "position")
    default_ordering = "position"
    equality_filters = ("active", "category", "admission", "free_price")

    def filter(self, tx: Transaction, ctx: EventContext, docs: list[dict], filters: dict[str, Any]) -> list[dict]:
        if "search" in filters:
            docs = [doc for doc in docs if text_matches(filters["search"], doc["name"], doc.get("internal_name"))]
        if "tax_rate" in filters:
            wanted = Decimal(filters["tax_rate"])
            docs = [doc for doc in docs if Decimal(self.tax_rate(tx, doc)) == wanted]
        return docs

    @staticmethod
    def tax_rate(tx: Transaction, item: dict) -> str:
        rule = tx.get("taxrules", item["tax_rule"]) if item.get("tax_rule") is not None else None
        return rule["rate"] if rule else "0.00"

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        check_own_fields(data)
        errors = FieldErrors()
        event_id = ctx.event_id
        check_refs(tx, event_id, data, ITEM_REFERENCES, errors)
        hidden_item = data.get("hidden_if_item_available")
        if hidden_item is not None and (
            event_object(tx, "items", hidden_item, event_id) is None or (existing and existing["id"] == hidden_item)
        ):
            errors.add("hidden_if_item_available", invalid_pk(hidden_item))
        _check_meta_data(ctx, data, errors)
        _check_no_memberships(data, errors)
        ProgramTimes.validate(data.get("program_times") or [], errors)
        if existing is None:
            self._validate_nested(tx, ctx, data, errors, now)
        errors.raise_if_any()

    def _validate_nested(
        self, tx: Transaction, ctx: EventContext, data: Doc, errors: FieldErrors, now: datetime
    ) -> None:
        """Check nested variations, add-ons and bundles as their own endpoints would, before anything is written."""
        nested_errors: dict[str, list[Any]] = {}
        for part, resource in self.children():
            entries = data.get(part, [])
            results: list[Any] = []
            for entry in entries:
                try:
                    # The item does not exist yet: validate with no parent, so only cross-object rules apply.
                    resource.validate(tx, EventContext(ctx.organizer, ctx.event, None), entry, None, now)
                    results.append({})
                except ValidationFailed as failure:
                    results.append(failure.detail)
            if part == "addons":
                seen: set[int] = set()
                for entry, result in zip(entries, results, strict=True):
                    if entry["addon_category"] in seen and not result:
                        result["addon_category"] = [DUPLICATE_ADDON_CATEGORY]
                    seen.add(entry["addon_category"])
            if any(results):
                nested_errors[part] = results
        for part, results in nested_errors.items():
            errors.fields[part] = results

    def children(self) -> tuple[tuple[str, Resource], ...]:
        return (("variations", VARIATIONS), ("addons", ADDONS), ("bundles", BUNDLES))

    def prepare(
        self, tx: Transaction, ctx: EventContext, fields: dict, existing: Doc | None, now: datetime
    ) -> dict:
        if existing is None:
            fields["has_variations"] = bool(fields.get("variations"))
        # Not given, `personalized` follows `admission`: on create, and on PUT, which resets what it does not send
        # (the schema loads it as None then; a PATCH that does not name it leaves it alone).
        if fields.get("personalized") is None and (existing is None or "personalized" in fields):
            fields["personalized"] = fields.get("admission", existing.get("admission", False) if existing else False)
        return fields

    def check_deletable(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        refuse_if_vouchers_point_at(tx, "item", doc, "item")
        if tx.count("orderpositions", item=doc["id"]):
            raise PermissionDenied(
                "This item cannot be deleted because it has already been ordered. Set it to inactive instead."
            )

    def cascade_delete(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        variation_ids = set(tx.ids("variations", item=doc["id"]))  # read before the variations are deleted
        for table in ("variations", "addons", "bundles", "cartpositions"):
            for doc_id in tx.ids(table, item=doc["id"]):
                tx.delete(table, doc_id)
        for bundle_id in tx.ids("bundles", bundled_item=doc["id"]):
            tx.delete("bundles", bundle_id)
        for quota in tx.find("quotas", items=doc["id"]):
            tx.update(
                "quotas",
                quota["id"],
                {
                    "items": [i for i in quota["items"] if i != doc["id"]],
                    "variations": [v for v in quota["variations"] if v not in variation_ids],
                },
            )
        remove_from_list_field(tx, "questions", "items", doc["id"])
        remove_from_list_field(tx, "checkinlists", "limit_products", doc["id"])
        ticket_layouts.remove_item(tx, doc["id"])
        for other in tx.find("items", event=doc["event"], hidden_if_item_available=doc["id"]):
            tx.update("items", other["id"], {"hidden_if_item_available": None})

    def present(
        self, tx: Transaction, ctx: EventContext, doc: dict, now: datetime, options: Mapping[str, Any] = {}
    ) -> dict:
        item_ctx = EventContext(ctx.organizer, ctx.event, doc)
        parts = {
            part: [
                resource.present(tx, item_ctx, entry, now)
                for entry in order_documents(
                    tx.find(resource.table, item=doc["id"]), None, resource.orderings, resource.default_ordering
                )
            ]
            for part, resource in self.children()
        }
        return {**doc, **parts, "tax_rate": self.tax_rate(tx, doc), "program_times": doc.get("program_times") or []}


# ---------------------------------------------------------------------------------------- quotas


VARIATIONS_MISSING = "One or more items has variations but none of these are in the variations list."


class Quotas(Resource):
    table = "quotas"
    orderings = ("id", "position")
    default_ordering = "id"
    equality_filters = ("subevent",)

    def list(self, tx: Transaction, ctx: EventContext, filters: dict[str, Any], ordering: str | None) -> list[dict]:
        # Quotas have no position of their own; pretix documents the ordering all the same.
        return super().list(tx, ctx, filters, ordering.replace("position", "id") if ordering else None)

    def check_deletable(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        refuse_if_vouchers_point_at(tx, "quota", doc, "quota")

    def cascade_delete(self, tx: Transaction, ctx: EventContext, doc: Doc) -> None:
        for item in tx.find("items", event=doc["event"], hidden_if_available=doc["id"]):
            tx.update("items", item["id"], {"hidden_if_available": None})

    # `builtins.list`: in this class body, `list` is the method above.
    def filter(
        self, tx: Transaction, ctx: EventContext, docs: builtins.list[dict], filters: dict[str, Any]
    ) -> builtins.list[dict]:
        if "subevent__in" in filters:
            docs = [doc for doc in docs if doc.get("subevent") in filters["subevent__in"]]
        if "items__in" in filters:
            wanted = set(filters["items__in"])
            docs = [doc for doc in docs if wanted.intersection(doc["items"])]
        return docs

    def validate(self, tx: Transaction, ctx: EventContext, data: Doc, existing: Doc | None, now: datetime) -> None:
        errors = FieldErrors()
        event_id = ctx.event_id
        check_ref_list(tx, event_id, data, "items", "items", errors)
        if data.get("subevent") is not None:
            errors.add("subevent", invalid_pk(data["subevent"]))
        items = set(data.get("items") or [])
        variation_items = set()
        for variation_id in data.get("variations") or []:
            variation = event_object(tx, "variations", variation_id, event_id)
            if variation is None:
                errors.add("variations", invalid_pk(variation_id))
                break
            if variation["item"] not in items:
                errors.add("variations", "All variations must belong to an item contained in the items list.")
                break
            variation_items.add(variation["item"])
        if "items" not in errors.fields and "variations" not in errors.fields:
            for item_id in items:
                item = tx.get("items", item_id)
                if item and item.get("has_variations") and item_id not in variation_items:
                    errors.add("variations", VARIATIONS_MISSING)
                    break
        errors.raise_if_any()

    def present(
        self, tx: Transaction, ctx: EventContext, doc: dict, now: datetime, options: Mapping[str, Any] = {}
    ) -> dict:
        if not options.get("with_availability"):
            return doc
        report = quota_engine.availability(tx, doc, now)
        return {**doc, "available": report["available"], "available_number": report["available_number"]}


PERSONALIZED_NEEDS_ADMISSION = "Only admission products can be personalized."
MAX_BELOW_MIN_PER_ORDER = "Ensure this value is greater than or equal to min_per_order."


def check_own_fields(item: Doc) -> None:
    """Raise ValidationFailed for the first rule between the item's own fields that it breaks.

    These are answered alone and before any lookup, so an answer names them the same way on create and update.
    """
    if item.get("personalized") and not item.get("admission"):
        raise ValidationFailed.field("personalized", PERSONALIZED_NEEDS_ADMISSION)
    low, high = item.get("min_per_order"), item.get("max_per_order")
    if low is not None and high is not None and low > high:
        raise ValidationFailed.field("max_per_order", MAX_BELOW_MIN_PER_ORDER)


CATEGORIES = Categories()
TAXRULES = TaxRules()
ITEMS = Items()
VARIATIONS = Variations()
ADDONS = AddOns()
BUNDLES = Bundles()
QUOTAS = Quotas()
