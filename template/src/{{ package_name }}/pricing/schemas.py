"""Pricing request and response shapes."""

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

# Quotes past this are a sales conversation, and the totals stay far inside Decimal's precision.
SEATS_MAX = 10_000


class Plan(StrEnum):
    """The plans on sale; anything else is a 422."""

    STARTER = "starter"
    PRO = "pro"
    ENTERPRISE = "enterprise"


class QuotePublic(BaseModel):
    """A price quote: decimal strings, e.g. `unit_price` "49.00", `total` "441.00"."""

    plan: Plan
    seats: int
    unit_price: Decimal
    total: Decimal
