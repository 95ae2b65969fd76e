"""The built-in demo: an organizer and a festival with tickets, a pass with workshop add-ons, shirts in sizes,
quotas and questions, so a newcomer has something to sell and scan at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from .schemas import (
    CategorySchema,
    CheckinListSchema,
    EventSchema,
    ItemSchema,
    QuestionSchema,
    QuotaSchema,
    TaxRuleSchema,
    load,
)
from .services import auth, catalog, checkin, events, questions
from .services.resources import EventContext, Resource
from .store import Store, Transaction

ORGANIZER = "demo"
EVENT = "festival"


def build(store: Store, now: datetime) -> tuple[str, str]:
    """Create the demo organizer and event if missing; return (event slug, new admin token)."""
    with store.transaction() as tx:
        organizer = events.ensure_organizer(tx, ORGANIZER, "Demo Box Office")
        scope = EventContext(organizer)
        if tx.find_one("events", organizer=ORGANIZER, slug=EVENT) is None:
            start = (now + timedelta(days=30)).replace(hour=16, minute=0, second=0, microsecond=0)
            event_data = {
                "name": {"en": "Kiosk Demo Festival"},
                "slug": EVENT,
                "date_from": start.isoformat(),
                "date_to": (start + timedelta(hours=8)).isoformat(),
                "date_admission": (start - timedelta(hours=1)).isoformat(),
                "location": {"en": "Town Hall"},
                "timezone": "Europe/Berlin",
            }
            event = events.EVENTS.create(tx, scope, load(EventSchema(), event_data), now)
            _fill_event(tx, EventContext(organizer, event), now)
        token, _ = auth.create_token(tx, ORGANIZER, "admin", now, name="demo")
    return EVENT, token


def _fill_event(tx: Transaction, scope: EventContext, now: datetime) -> None:
    """Add a tax rule, tickets, a shirt with sizes, a pass with workshop add-ons, quotas, questions and a
    check-in list for the entrance."""

    def make(resource: Resource, schema, data: dict) -> dict:
        return resource.create(tx, scope, load(schema(), data), now)

    tax = make(catalog.TAXRULES, TaxRuleSchema, {"name": {"en": "VAT"}, "rate": "19.00", "default": True})
    workshops = make(catalog.CATEGORIES, CategorySchema, {"name": {"en": "Workshops"}, "is_addon": True})
    tickets = make(catalog.CATEGORIES, CategorySchema, {"name": {"en": "Tickets"}, "position": 1})
    day = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Day ticket"}, "default_price": "25.00", "admission": True,
        "category": tickets["id"], "tax_rule": tax["id"],
    })
    workshop_a = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Workshop: Screen printing"}, "default_price": "10.00", "category": workshops["id"],
        "tax_rule": tax["id"],
    })
    workshop_b = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Workshop: Drumming"}, "default_price": "12.00", "category": workshops["id"],
        "tax_rule": tax["id"], "position": 1,
    })
    festival_pass = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Festival pass"}, "default_price": "60.00", "admission": True,
        "category": tickets["id"], "tax_rule": tax["id"], "position": 1,
        "addons": [{"addon_category": workshops["id"], "min_count": 0, "max_count": 2}],
    })
    shirt = make(catalog.ITEMS, ItemSchema, {
        "name": {"en": "Festival T-shirt"}, "default_price": "20.00", "tax_rule": tax["id"], "position": 2,
        "variations": [
            {"value": {"en": "S"}, "position": 0},
            {"value": {"en": "M"}, "position": 1},
            {"value": {"en": "L"}, "position": 2},
            {"value": {"en": "XL"}, "default_price": "22.00", "position": 3},
        ],
    })
    shirt_variations = tx.ids("variations", item=shirt["id"])
    make(catalog.QUOTAS, QuotaSchema, {"name": "Admission", "size": 500, "items": [day["id"], festival_pass["id"]]})
    make(catalog.QUOTAS, QuotaSchema, {"name": "Workshops", "size": 30, "items": [workshop_a["id"], workshop_b["id"]]})
    make(
        catalog.QUOTAS,
        QuotaSchema,
        {"name": "T-shirts", "size": 100, "items": [shirt["id"]], "variations": shirt_variations},
    )
    make(
        questions.QUESTIONS,
        QuestionSchema,
        {
            "question": {"en": "Company"},
            "type": "S",
            "items": [day["id"], festival_pass["id"]],
            "identifier": "COMPANY",
        },
    )
    make(
        questions.QUESTIONS,
        QuestionSchema,
        {
            "question": {"en": "Meal preference"},
            "type": "C",
            "required": True,
            "items": [festival_pass["id"]],
            "identifier": "MEAL",
            "options": [
                {"answer": {"en": "Vegetarian"}, "identifier": "VEG"},
                {"answer": {"en": "Vegan"}, "identifier": "VEGAN", "position": 1},
                {"answer": {"en": "No preference"}, "identifier": "ANY", "position": 2},
            ],
        },
    )
    make(checkin.CHECKIN_LISTS, CheckinListSchema, {"name": "Entrance", "all_products": True})
