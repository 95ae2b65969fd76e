"""Integrity checks over the whole database.

Two kinds of findings: damage (a reference that points at nothing: the store is not what the program
wrote), and states worth a look that are not damage: a quota holding more than its size (an admin made it
smaller than what was already sold, or forced a sale), and a system clock behind the newest time the
store recorded (a box booted without network and without a battery-backed clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime

from ..store import Transaction
from . import clock_guard
from .quotas import quota_usage

# (table, field, target table, target key): the field holds the target's id (or, for slugs, its key).
RELATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("events", "organizer", "organizers", "slug"),
    ("api_tokens", "organizer", "organizers", "slug"),
    ("devices", "organizer", "organizers", "slug"),
    ("categories", "event", "events", "id"),
    ("taxrules", "event", "events", "id"),
    ("items", "event", "events", "id"),
    ("items", "category", "categories", "id"),
    ("items", "tax_rule", "taxrules", "id"),
    ("items", "hidden_if_available", "quotas", "id"),
    ("items", "hidden_if_item_available", "items", "id"),
    ("variations", "item", "items", "id"),
    ("addons", "item", "items", "id"),
    ("addons", "addon_category", "categories", "id"),
    ("bundles", "item", "items", "id"),
    ("bundles", "bundled_item", "items", "id"),
    ("bundles", "bundled_variation", "variations", "id"),
    ("quotas", "event", "events", "id"),
    ("quotas", "items", "items", "id"),
    ("quotas", "variations", "variations", "id"),
    ("questions", "event", "events", "id"),
    ("questions", "items", "items", "id"),
    ("questions", "dependency_question", "questions", "id"),
    ("question_options", "question", "questions", "id"),
    ("vouchers", "event", "events", "id"),
    ("vouchers", "item", "items", "id"),
    ("vouchers", "variation", "variations", "id"),
    ("vouchers", "quota", "quotas", "id"),
    ("cartpositions", "event", "events", "id"),
    ("cartpositions", "item", "items", "id"),
    ("cartpositions", "variation", "variations", "id"),
    ("cartpositions", "addon_to", "cartpositions", "id"),
    ("orders", "event", "events", "id"),
    ("orderpositions", "order", "orders", "id"),
    ("orderpositions", "item", "items", "id"),
    ("orderpositions", "variation", "variations", "id"),
    ("orderpositions", "addon_to", "orderpositions", "id"),
    ("checkinlists", "event", "events", "id"),
    ("checkins", "position", "orderpositions", "id"),
    ("checkins", "list", "checkinlists", "id"),
    ("ticket_signing_keys", "event", "events", "id"),
    ("revoked_secrets", "event", "events", "id"),
    ("revoked_secrets", "position", "orderpositions", "id"),
    ("printlogs", "position", "orderpositions", "id"),
    ("ticketlayouts", "event", "events", "id"),
    ("ticketlayouts", "items", "items", "id"),
    ("sync_state", "event", "events", "id"),
    ("allotments", "event", "events", "id"),
    ("push_records", "event", "events", "id"),
)


def broken_references(tx: Transaction, progress: Callable[[int], None] | None = None) -> list[str]:
    """Return one line per reference that points at nothing."""
    problems = []
    slugs = {doc["slug"] for doc in tx.all("organizers")}
    for table, field, target, key in RELATIONS:
        documents = tx.all(table)
        for doc in documents:
            value = doc.get(field)
            for reference in value if isinstance(value, list) else [value]:
                if reference is None:
                    continue
                exists = reference in slugs if key == "slug" else tx.get(target, reference) is not None
                if not exists:
                    problems.append(f"{table} {doc['id']}: {field} {reference!r} does not exist in {target}")
        if progress:
            progress(len(documents))
    return problems


def overbooked_quotas(tx: Transaction, now: datetime) -> list[str]:
    """Return one line per quota whose paid, pending, cart and voucher units exceed its size.

    Not damage: an admin can shrink a quota below what it already holds, or force a sale past it.
    """
    findings = []
    for quota in tx.all("quotas"):
        if quota.get("size") is None:
            continue
        usage = quota_usage(tx, quota, now)
        used = usage["paid_orders"] + usage["pending_orders"] + usage["cart_positions"] + usage["blocking_vouchers"]
        if used > quota["size"]:
            findings.append(
                f"quota {quota['id']} ({quota['name']!r}): {used} units used of {quota['size']}"
                " (more than its size, as after it was made smaller than what it held, or a forced sale)"
            )
    return findings


@dataclass
class Findings:
    """What `check` found: `damage` (the store is broken) and `warnings` (states an admin can make on purpose)."""

    damage: list[str] = dataclass_field(default_factory=list)
    warnings: list[str] = dataclass_field(default_factory=list)


def check(tx: Transaction, system_time: datetime, progress: Callable[[int], None] | None = None) -> Findings:
    """Check every reference (damage), the system clock and every quota's usage (warnings).

    `system_time` is the system clock as it reads; quotas are judged at the guarded time (see clock_guard).
    """
    lag = clock_guard.behind(tx, system_time)
    warnings = [lag.sentence()] if lag is not None else []
    warnings += overbooked_quotas(tx, clock_guard.later_of(tx, system_time))
    return Findings(damage=broken_references(tx, progress), warnings=warnings)
