"""What several services share: order statuses, field-error collection, lookups and helpers of no one noun."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """pretix's order statuses; stored and sent as the one-letter codes."""

    PENDING = "n"
    PAID = "p"
    EXPIRED = "e"
    CANCELED = "c"
